// The task table: the newest tasks (at most `cap` rows), updated in place as events arrive.
// Events only mark rows dirty; `flush()` (once per animation frame) touches the DOM.

import { canCancel, canRetry, el, formatTime, setText, shortID } from "./dom.js";

export class TaskTable {
  /**
   * @param {HTMLTableSectionElement} body  the table's tbody
   * @param {{onSelect: Function, onCancel: Function, onRetry: Function}} actions
   * @param {number} cap  most rows shown
   */
  constructor(body, actions, cap = 200, maxInserts = 40) {
    this.body = body;
    this.actions = actions;
    this.cap = cap;
    /** Most rows added by one flush: under a flood, the newest of each flush stand for the rest. */
    this.maxInserts = maxInserts;
    /** Tasks created but passed over by the last flush (0 when every new task got its row). */
    this.skipped = 0;
    this.rows = new Map(); // id -> {task, tr, cells}
    this.inserts = new Map(); // id -> task, to add on top at the next flush, oldest first
    this.dirty = new Set();
    this.filter = { queue: "", status: "" };
    this.selected = null;
    body.addEventListener("click", (event) => this.click(event));
  }

  /** Whether `task` belongs in the table under the current filter. */
  matches(task) {
    return (!this.filter.queue || task.queue === this.filter.queue) && (!this.filter.status || task.status === this.filter.status);
  }

  /** Replaces every row with `tasks` (newest first), as the HTTP API lists them. */
  load(tasks) {
    this.rows.clear();
    this.inserts.clear();
    this.dirty.clear();
    this.body.replaceChildren();
    const fragment = document.createDocumentFragment();
    for (const task of tasks.slice(0, this.cap)) fragment.append(this.makeRow(task).tr);
    this.body.append(fragment);
    this.renderEmpty();
  }

  /** A task as the HTTP API answers it (after an action, or a detail load). */
  upsert(task) {
    const row = this.rows.get(task.id);
    if (row) {
      row.task = { ...row.task, ...task, seenAt: Date.now() };
      this.dirty.add(task.id);
    } else if (this.inserts.has(task.id)) {
      Object.assign(this.inserts.get(task.id), task);
    } else if (this.matches(task)) {
      this.inserts.set(task.id, task);
    }
  }

  /** A `task_update` event from `stream`. */
  apply(event, stream) {
    const row = this.rows.get(event.task_id);
    const waiting = row ? null : this.inserts.get(event.task_id);
    if (!row && !waiting) {
      if (stream !== "task_created") return;
      const task = {
        id: event.task_id, queue: event.queue, name: "", status: event.status, progress: event.progress,
        message: event.message, attempts: 0, max_attempts: null, updated_at: null, seenAt: Date.now(), needsName: true,
      };
      if (!this.matches(task)) return;
      this.inserts.set(task.id, task);
      if (this.inserts.size > this.cap) this.inserts.delete(this.inserts.keys().next().value);
      return;
    }
    const task = row ? row.task : waiting;
    // An event older than what a fresher HTTP snapshot showed: a finished task changes only by a retry.
    if (stream === "task_created") return;
    if (isFinished(task.status) && !(event.status === "pending" && event.message === "retried")) return;
    if (task.status === "pending" && event.status === "running") task.attempts = (task.attempts ?? 0) + 1;
    if (event.message === "retried") task.attempts = 0;
    task.status = event.status;
    task.progress = event.progress;
    task.message = event.message;
    task.seenAt = Date.now();
    if (row) this.dirty.add(task.id);
  }

  /** Writes what changed since the last flush to the DOM; returns the ids of new rows without a name. */
  flush() {
    const unnamed = [];
    this.skipped = 0;
    if (this.inserts.size) {
      const fragment = document.createDocumentFragment();
      const fresh = [...this.inserts.values()].slice(-this.maxInserts).reverse();
      this.skipped = this.inserts.size - fresh.length;
      this.inserts.clear();
      for (const task of fresh) {
        if (this.rows.has(task.id)) continue;
        fragment.append(this.makeRow(task).tr);
        if (task.needsName) unnamed.push(task.id);
      }
      this.body.prepend(fragment);
      while (this.rows.size > this.cap) {
        const last = this.body.lastElementChild;
        this.rows.delete(last.dataset.taskId);
        this.dirty.delete(last.dataset.taskId);
        last.remove();
      }
      this.renderEmpty();
    }
    for (const id of this.dirty) {
      const row = this.rows.get(id);
      if (row) this.render(row);
    }
    this.dirty.clear();
    return unnamed;
  }

  /** Fills in names of rows first seen through events (which do not carry them). */
  name(task) {
    const row = this.rows.get(task.id);
    if (!row) return;
    row.task.name = task.name;
    row.task.max_attempts = task.max_attempts;
    row.task.needsName = false;
    this.dirty.add(task.id);
  }

  select(id) {
    this.rows.get(this.selected)?.tr.classList.remove("selected");
    this.selected = id;
    this.rows.get(id)?.tr.classList.add("selected");
  }

  makeRow(task) {
    const cells = {
      name: el("span", { class: "task-name" }),
      id: el("code", { class: "task-id" }, shortID(task.id)),
      queue: el("span", { class: "queue-name" }, task.queue),
      badge: el("span", { class: "badge" }),
      bar: el("div", { class: "bar" }),
      percent: el("span", { class: "percent" }),
      message: el("span", { class: "message" }),
      attempts: el("td", { class: "num attempts" }),
      updated: el("td", { class: "time" }),
      cancel: el("button", { class: "btn small", dataset: { action: "cancel" }, title: "Cancel this task" }, "Cancel"),
      retry: el("button", { class: "btn small", dataset: { action: "retry" }, title: "Retry this task" }, "Retry"),
    };
    const tr = el(
      "tr",
      { dataset: { taskId: task.id }, class: task.id === this.selected ? "selected" : null },
      el("td", { class: "task" }, cells.name, cells.id),
      el("td", {}, cells.queue),
      el("td", { class: "status" }, cells.badge),
      el("td", { class: "progress-cell" }, el("div", { class: "progress" }, cells.bar), cells.percent, cells.message),
      cells.attempts,
      cells.updated,
      el("td", { class: "actions" }, cells.cancel, cells.retry),
    );
    const row = { task: { ...task, seenAt: task.seenAt ?? Date.now() }, tr, cells };
    this.rows.set(task.id, row);
    this.render(row);
    return row;
  }

  render({ task, tr, cells }) {
    tr.dataset.status = task.status;
    setText(cells.name, task.name || "…");
    setText(cells.badge, task.status);
    cells.badge.className = `badge ${task.status}`;
    const progress = task.progress == null ? null : Math.max(0, Math.min(1, task.progress));
    tr.dataset.progress = progress == null ? "" : String(progress);
    cells.bar.style.transform = `scaleX(${progress ?? 0})`;
    cells.bar.className = `bar ${task.status}`;
    setText(cells.percent, progress == null ? "" : `${Math.round(progress * 100)}%`);
    setText(cells.message, task.message ?? "");
    if (cells.message.title !== cells.message.textContent) cells.message.title = cells.message.textContent;
    setText(cells.attempts, task.max_attempts ? `${task.attempts}/${task.max_attempts}` : task.attempts);
    setText(cells.updated, formatTime(task.seenAt));
    cells.cancel.hidden = !canCancel(task.status);
    cells.retry.hidden = !canRetry(task.status);
  }

  renderEmpty() {
    this.body.parentElement.classList.toggle("empty", this.rows.size === 0 && this.inserts.size === 0);
  }

  click(event) {
    const tr = event.target.closest("tr[data-task-id]");
    if (!tr) return;
    const id = tr.dataset.taskId;
    const action = event.target.closest("button[data-action]")?.dataset.action;
    if (action === "cancel") this.actions.onCancel(id);
    else if (action === "retry") this.actions.onRetry(id);
    else this.actions.onSelect(id);
  }
}

export const isFinished = (status) => status === "completed" || status === "failed" || status === "cancelled";
