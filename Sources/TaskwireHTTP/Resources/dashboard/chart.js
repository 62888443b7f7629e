// The live throughput chart: tasks created, completed and failed per second over the last
// minute, drawn on a canvas at most a few times per second.

import { formatCount, setText } from "./dom.js";

export const SERIES = [
  { key: "created", label: "created", color: "#3b82f6" },
  { key: "completed", label: "completed", color: "#16a34a" },
  { key: "failed", label: "failed", color: "#dc2626" },
];

export class ThroughputChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} legend  holds one `[data-series=key] .rate` per series
   * @param {number} seconds  width of the window
   */
  constructor(canvas, legend, seconds = 60) {
    this.canvas = canvas;
    this.legend = legend;
    this.seconds = seconds;
    this.buckets = new Map(); // unix second -> {created, completed, failed}
    this.drawnAt = 0;
    new ResizeObserver(() => this.draw(true)).observe(canvas);
  }

  /** Counts one event of `key` ("created", "completed", "failed") in the current second. */
  record(key, now = Date.now()) {
    const second = Math.floor(now / 1000);
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = { created: 0, completed: 0, failed: 0 };
      this.buckets.set(second, bucket);
    }
    bucket[key] += 1;
  }

  /** Per second of the window, oldest first, the counts (the current, partial second last). */
  window(now = Date.now()) {
    const last = Math.floor(now / 1000);
    for (const second of this.buckets.keys()) {
      if (second <= last - this.seconds) this.buckets.delete(second);
    }
    const rows = [];
    for (let s = last - this.seconds + 1; s <= last; s++) {
      rows.push(this.buckets.get(s) ?? { created: 0, completed: 0, failed: 0 });
    }
    return rows;
  }

  /** Redraws, at most four times a second unless `force`. */
  draw(force = false, now = Date.now()) {
    if (!force && now - this.drawnAt < 250) return;
    this.drawnAt = now;
    const rows = this.window(now);
    const complete = rows[rows.length - 2];
    for (const series of SERIES) {
      const rate = this.legend.querySelector(`[data-series="${series.key}"] .rate`);
      if (rate) setText(rate, `${formatCount(complete[series.key])}/s`);
    }
    this.paint(rows);
  }

  paint(rows) {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const pad = { left: 44, right: 16, top: 8, bottom: 20 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const peak = Math.max(...rows.flatMap((r) => SERIES.map((s) => r[s.key])));
    // Four grid steps of a whole, round number of tasks.
    const top = 4 * Math.max(1, niceCeiling(peak / 4));
    const x = (i) => pad.left + (i / (rows.length - 1)) * plotW;
    const y = (v) => pad.top + plotH - (v / top) * plotH;

    g.font = "11px system-ui, sans-serif";
    g.fillStyle = "#6b7280";
    g.strokeStyle = "#e5e7eb";
    g.lineWidth = 1;
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (let k = 0; k <= 4; k++) {
      const v = (top * k) / 4;
      const py = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(pad.left, py);
      g.lineTo(width - pad.right, py);
      g.stroke();
      g.fillText(formatCount(Math.round(v)), pad.left - 6, py);
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    for (const ago of [60, 45, 30, 15, 0]) {
      const i = rows.length - 1 - ago;
      if (i >= 0) g.fillText(ago ? `-${ago}s` : "now", x(i), height - pad.bottom + 6);
    }

    g.lineWidth = 2;
    g.lineJoin = "round";
    for (const series of SERIES) {
      g.strokeStyle = series.color;
      g.beginPath();
      rows.forEach((r, i) => (i ? g.lineTo(x(i), y(r[series.key])) : g.moveTo(x(i), y(r[series.key]))));
      g.stroke();
    }
  }
}

/** The smallest of 1, 2, 5 × 10^k at or above `value` (1 for anything up to 1). */
export function niceCeiling(value) {
  if (value <= 1) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}
