// The smaller views: queue counters, the notifications feed, and the admin view of
// connections and hub metrics. Each keeps its data and writes the DOM only in `flush()`.

import { el, formatAge, formatCount, formatTime, setText } from "./dom.js";

export const STATUSES = ["pending", "running", "completed", "failed", "cancelled"];

/** Totals over all queues and one row per queue, from `queue_status` (GET or event). */
export class QueueCounters {
  /**
   * @param {HTMLElement} totals  holds `[data-count=<status>|total]`
   * @param {HTMLTableSectionElement} queues  tbody, one row per queue
   * @param {(names: string[]) => void} onQueues  told the queue names when they change
   */
  constructor(totals, queues, onQueues) {
    this.totals = totals;
    this.queues = queues;
    this.onQueues = onQueues;
    this.status = null;
    this.rows = new Map();
    this.dirty = false;
  }

  set(status) {
    this.status = status;
    this.dirty = true;
  }

  flush() {
    if (!this.dirty || !this.status) return;
    this.dirty = false;
    const s = this.status;
    setText(this.totals.querySelector("[data-count=total]"), formatCount(s.total_tasks));
    for (const status of STATUSES) {
      setText(this.totals.querySelector(`[data-count=${status}]`), formatCount(s[`${status}_tasks`]));
    }
    const queues = s.queues ?? {};
    const names = Object.keys(queues).sort();
    let added = false;
    for (const name of names) {
      let row = this.rows.get(name);
      if (!row) {
        row = this.makeRow(name);
        this.rows.set(name, row);
        added = true;
      }
      this.render(row, queues[name]);
    }
    for (const [name, row] of this.rows) {
      if (!(name in queues)) {
        row.tr.remove();
        this.rows.delete(name);
        added = true;
      }
    }
    if (added) {
      // Keep rows in name order.
      for (const name of names) this.queues.append(this.rows.get(name).tr);
      this.onQueues(names);
    }
    this.queues.parentElement.classList.toggle("empty", names.length === 0);
  }

  makeRow(name) {
    const cells = Object.fromEntries([...STATUSES, "total"].map((k) => [k, el("td", { class: "num", dataset: { count: k } })]));
    const segments = Object.fromEntries(STATUSES.map((k) => [k, el("span", { class: `segment ${k}` })]));
    const tr = el("tr", { dataset: { queue: name } },
      el("th", { scope: "row" }, name),
      ...STATUSES.map((k) => cells[k]),
      cells.total,
      el("td", { class: "mix" }, el("div", { class: "stack" }, ...STATUSES.map((k) => segments[k]))));
    return { tr, cells, segments };
  }

  render({ cells, segments }, counts) {
    const total = counts.total_tasks || 0;
    setText(cells.total, formatCount(total));
    for (const status of STATUSES) {
      const n = counts[`${status}_tasks`] || 0;
      setText(cells[status], formatCount(n));
      segments[status].style.width = total ? `${(100 * n) / total}%` : "0";
    }
  }
}

/** The newest notifications, at most `cap`. */
export class NotificationFeed {
  constructor(list, cap = 50) {
    this.list = list;
    this.cap = cap;
    this.incoming = [];
  }

  add(notification) {
    this.incoming.push(notification);
    if (this.incoming.length > this.cap) this.incoming.shift();
  }

  flush() {
    if (!this.incoming.length) return;
    const fragment = document.createDocumentFragment();
    for (const n of this.incoming.reverse()) {
      fragment.append(el("li", { class: `notification ${n.level}` },
        el("div", { class: "head" }, el("span", { class: `level ${n.level}` }, n.level), el("strong", {}, n.title),
          el("time", { datetime: n.timestamp }, formatTime(n.timestamp))),
        n.message ? el("p", {}, n.message) : null));
    }
    this.incoming = [];
    this.list.prepend(fragment);
    while (this.list.children.length > this.cap) this.list.lastElementChild.remove();
    this.list.parentElement.classList.toggle("empty", this.list.children.length === 0);
  }
}

/** Connections and hub metrics, polled from the admin API while the page is visible. */
export class AdminView {
  /**
   * @param {HTMLElement} metrics  holds `[data-metric=<name>]`
   * @param {HTMLTableSectionElement} connections  tbody
   * @param {import("./api.js").API} api
   * @param {number} intervalMs
   */
  constructor(metrics, connections, api, intervalMs = 2000) {
    this.metrics = metrics;
    this.connections = connections;
    this.api = api;
    this.intervalMs = intervalMs;
    this.ownClientID = null;
    this.timer = null;
  }

  start() {
    const tick = async () => {
      if (document.visibilityState === "visible") await this.poll();
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  async poll() {
    try {
      const [metrics, connections] = await Promise.all([this.api.metrics(), this.api.connections()]);
      this.renderMetrics(metrics);
      this.renderConnections(connections.connections ?? []);
    } catch {
      // Offline: the connection banner says so; the last figures stay.
    }
  }

  renderMetrics(m) {
    const show = (name, text) => setText(this.metrics.querySelector(`[data-metric=${name}]`), text);
    show("active_connections", formatCount(m.active_connections));
    show("total_connections", formatCount(m.total_connections));
    show("messages_sent", formatCount(m.messages_sent));
    show("messages_received", formatCount(m.messages_received));
    show("message_throughput", `${formatCount(Math.round(m.message_throughput))}/s`);
    show("connection_errors", formatCount(m.connection_errors));
    show("ping_timeouts", formatCount(m.ping_timeouts));
    show("average_connection_duration", `${Math.round(m.average_connection_duration)} s`);
    show("connection_success_rate", `${(100 * m.connection_success_rate).toFixed(1)}%`);
  }

  renderConnections(list) {
    const rows = list
      .slice()
      .sort((a, b) => String(b.connected_at).localeCompare(String(a.connected_at)))
      .slice(0, 100)
      .map((c) => el("tr", { class: c.client_id === this.ownClientID ? "own" : null },
        el("td", {}, el("code", {}, c.client_id), c.client_id === this.ownClientID ? el("span", { class: "tag", title: "this page's connection" }, "you") : null),
        el("td", {}, c.user_id ?? "—"),
        el("td", {}, el("span", { class: `state ${c.state}` }, c.state)),
        el("td", { class: "time" }, formatAge(c.connected_at)),
        el("td", { class: "subs", title: (c.subscriptions ?? []).join(", ") }, formatCount((c.subscriptions ?? []).length))));
    this.connections.replaceChildren(...rows);
    this.connections.parentElement.classList.toggle("empty", rows.length === 0);
  }
}
