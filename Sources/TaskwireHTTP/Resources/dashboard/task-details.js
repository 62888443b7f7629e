// Task details: the task as the HTTP API answers it, and its timeline: the task's whole stored
// history (GET /api/v1/tasks/{id}/events) when the panel opens, then every event of the task this
// page receives, live while the panel is open.

import { canCancel, canRetry, el, formatTime, setText } from "./dom.js";

/** The events seen per task, for the most recent `tasks` tasks, at most `events` each. */
export class TimelineLog {
  constructor(tasks = 1000, events = 50) {
    this.limitTasks = tasks;
    this.limitEvents = events;
    this.entries = new Map(); // id -> {items: [{at, stream, seq, status, progress, message}], total}
  }

  record(event, stream) {
    let entry = this.entries.get(event.task_id);
    if (!entry) {
      entry = { items: [], total: 0 };
      this.entries.set(event.task_id, entry);
      if (this.entries.size > this.limitTasks) this.entries.delete(this.entries.keys().next().value);
    }
    entry.items.push({ at: Date.now(), stream, seq: event.seq, status: event.status, progress: event.progress, message: event.message });
    entry.total += 1;
    if (entry.items.length > this.limitEvents) entry.items.shift();
  }

  /** The events kept for task `id` and how many were ever recorded (the first kept is number total - items.length). */
  events(id) {
    return this.entries.get(id) ?? { items: [], total: 0 };
  }
}

export class TaskDetails {
  /**
   * @param {HTMLElement} root  the panel
   * @param {TimelineLog} log
   * @param {{onCancel: Function, onRetry: Function, onClose: Function}} actions
   */
  constructor(root, log, actions) {
    this.root = root;
    this.log = log;
    this.actions = actions;
    this.task = null;
    this.shown = 0; // timeline entries rendered
    this.dirty = false;
    root.querySelector("[data-action=close]").addEventListener("click", () => actions.onClose());
    root.querySelector("[data-action=cancel]").addEventListener("click", () => this.task && actions.onCancel(this.task.id));
    root.querySelector("[data-action=retry]").addEventListener("click", () => this.task && actions.onRetry(this.task.id));
  }

  get id() {
    return this.task?.id ?? null;
  }

  /** Shows `task` (from the HTTP API). */
  show(task) {
    const changed = this.task?.id !== task.id;
    this.task = { ...task };
    this.root.hidden = false;
    if (changed) {
      this.shown = 0;
      const list = this.root.querySelector(".timeline");
      list.replaceChildren();
      // When this page did not see the task created, say where its timeline starts.
      const { items, total } = this.log.events(task.id);
      if (items[0]?.stream !== "task_created" || total > items.length) {
        list.append(el("li", { class: "origin" }, el("time", {}, formatTime(task.created_at)), el("span", { class: "badge" }, "created"),
          el("span", { class: "message" }, "earlier events happened before this page opened")));
      }
    }
    this.dirty = true;
  }

  /**
   * Replaces the start of the timeline with the task's stored history (from the API); events this
   * page had recorded for it so far are covered by it and not drawn again.
   */
  showHistory(id, events) {
    if (this.task?.id !== id) return;
    const list = this.root.querySelector(".timeline");
    list.replaceChildren(
      ...events.map((e) =>
        el("li", { class: "stored" },
          el("time", {}, formatTime(e.at)),
          el("span", { class: `badge ${e.status}` }, e.status),
          el("span", { class: "stream" }, `${e.event_type} · task #${e.seq}`),
          e.progress == null ? null : el("span", { class: "percent" }, `${Math.round(e.progress * 100)}%`),
          e.message ? el("span", { class: "message" }, e.message) : null),
      ),
    );
    this.shown = this.log.events(id).total;
  }

  hide() {
    this.task = null;
    this.root.hidden = true;
  }

  /** A `task_update` event of the task shown. */
  apply(event) {
    if (!this.task || event.task_id !== this.task.id) return;
    Object.assign(this.task, { status: event.status, progress: event.progress, message: event.message });
    this.dirty = true;
  }

  flush() {
    if (!this.dirty || !this.task) return;
    this.dirty = false;
    const t = this.task;
    const field = (name, value) => setText(this.root.querySelector(`[data-field=${name}]`), value);
    field("name", t.name);
    field("id", t.id);
    field("queue", t.queue);
    field("priority", t.priority);
    field("attempts", t.max_attempts ? `${t.attempts} of ${t.max_attempts}` : "");
    field("worker", t.worker_id ?? "—");
    field("created", formatTime(t.created_at));
    field("progress", t.progress == null ? "—" : `${Math.round(t.progress * 100)}%`);
    field("message", t.message ?? "—");
    field("error", t.error ?? "—");
    field("payload", pretty(t.payload));
    field("result", t.result === undefined ? "—" : pretty(t.result));
    const badge = this.root.querySelector("[data-field=status]");
    setText(badge, t.status);
    badge.className = `badge ${t.status}`;
    this.root.querySelector("[data-action=cancel]").hidden = !canCancel(t.status);
    this.root.querySelector("[data-action=retry]").hidden = !canRetry(t.status);

    const { items, total } = this.log.events(t.id);
    const list = this.root.querySelector(".timeline");
    for (const e of items.slice(Math.max(0, items.length - (total - this.shown)))) {
      list.append(
        el("li", {},
          el("time", {}, formatTime(e.at)),
          el("span", { class: `badge ${e.status}` }, e.status),
          el("span", { class: "stream" }, `${e.stream} #${e.seq}`),
          e.progress == null ? null : el("span", { class: "percent" }, `${Math.round(e.progress * 100)}%`),
          e.message ? el("span", { class: "message" }, e.message) : null),
      );
    }
    this.shown = total;
  }
}

function pretty(value) {
  return value === null ? "null" : JSON.stringify(value, null, 2);
}
