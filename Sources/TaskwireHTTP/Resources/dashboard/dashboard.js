// The live dashboard: wires the WebSocket client, the HTTP API and the views together.
//
// Every event only updates in-memory state and marks views dirty; one animation frame writes
// the DOM for all the events that arrived since the last one, so that thousands of events per
// second cost a few DOM updates per frame.

import { TaskwireClient } from "/taskwire-client.js";
import { API } from "./api.js";
import { ThroughputChart } from "./chart.js";
import { el, formatCount, setText } from "./dom.js";
import { AdminView, NotificationFeed, QueueCounters } from "./panels.js";
import { bindSubmitForm } from "./submit-form.js";
import { TaskDetails, TimelineLog } from "./task-details.js";
import { TaskTable } from "./task-table.js";

const STREAMS = [
  "task_created", "task_updated", "task_completed", "task_failed",
  "queue_status_changed", "system_notification", "user_notification",
];
/** The streams the task table and counters are built from: a gap in any of them means reloading over HTTP. */
const STATE_STREAMS = STREAMS.slice(0, 5);
const THROUGHPUT = { task_created: "created", task_completed: "completed", task_failed: "failed" };

const $ = (selector) => document.querySelector(selector);
const token = new URLSearchParams(location.search).get("token");
const api = new API(token);
const client = new TaskwireClient({ token });

// ---------------------------------------------------------------- views

const chart = new ThroughputChart($("#throughput"), $("#throughput-legend"));
const counters = new QueueCounters($("#totals"), $("#queues tbody"), fillQueueFilter);
const feed = new NotificationFeed($("#notifications ol"));
const admin = new AdminView($("#metrics"), $("#connections tbody"), api);
const timeline = new TimelineLog();
const table = new TaskTable($("#tasks tbody"), { onSelect: selectTask, onCancel: cancelTask, onRetry: retryTask });
const details = new TaskDetails($("#details"), timeline, { onCancel: cancelTask, onRetry: retryTask, onClose: closeDetails });

/** The table changes at most this often: rows moving faster are not read, and each change lays out the whole table. */
const TABLE_INTERVAL_MS = 200;
let frameRequested = false;
let tableFlushedAt = 0;
function schedule() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame((now) => {
    frameRequested = false;
    if (now - tableFlushedAt >= TABLE_INTERVAL_MS) {
      tableFlushedAt = now;
      const unnamed = table.flush();
      if (unnamed.length) requestNames();
      const note = $("#tasks-skipped");
      note.hidden = table.skipped === 0;
      if (table.skipped) setText(note, `busy: ${formatCount(table.skipped)} new tasks passed over, the newest shown`);
    } else if (table.inserts.size || table.dirty.size) {
      setTimeout(schedule, TABLE_INTERVAL_MS - (now - tableFlushedAt));
    }
    counters.flush();
    feed.flush();
    details.flush();
    chart.draw();
  });
}
setInterval(schedule, 500); // the chart moves on even when nothing happens

// ---------------------------------------------------------------- events

/** Task and queue events that arrive while a snapshot is loading, applied on top of it. */
let buffered = null;

client.addEventListener("message", ({ detail: message }) => {
  const stream = message.event_type;
  switch (message.type) {
    case "task_update":
      if (THROUGHPUT[stream]) chart.record(THROUGHPUT[stream]);
      timeline.record(message, stream);
      if (buffered) buffered.push(message);
      else applyTaskEvent(message);
      break;
    case "queue_status":
      if (buffered) buffered.push(message);
      else counters.set(message);
      break;
    case "notification":
      feed.add(message);
      break;
  }
  schedule();
});

function applyTaskEvent(message) {
  table.apply(message, message.event_type);
  details.apply(message);
}

client.addEventListener("recovered", ({ detail }) => {
  // Notifications missed offline cannot be reloaded: only the state streams decide.
  const lost = detail.first || STATE_STREAMS.some((s) => detail.unknown.includes(s) || detail.recovered[s] === false);
  if (lost) reload();
});

client.addEventListener("welcome", ({ detail }) => {
  admin.ownClientID = detail.client_id;
  admin.poll();
  setText($("#server-version"), detail.server);
});

client.addEventListener("error", ({ detail }) => toast(`Server: ${detail.message}`, "error"));

client.addEventListener("state", ({ detail }) => showConnection(detail));

/** Loads the task table and the counts over HTTP (first connect, or a reconnect that missed events). */
let reloads = 0;
async function reload() {
  reloads += 1;
  buffered = [];
  try {
    const [page, status] = await Promise.all([
      api.tasks({ limit: table.cap, ...table.filter }),
      api.queueStatus(),
    ]);
    table.load(page.tasks);
    counters.set(status);
    if (details.id) details.show(await api.task(details.id));
  } catch (error) {
    toast(`Could not load tasks: ${error.message}`, "error");
  } finally {
    const events = buffered;
    buffered = null;
    for (const message of events) {
      if (message.type === "queue_status") counters.set(message);
      else applyTaskEvent(message);
    }
    schedule();
  }
}

/** Rows that came from `task_created` events lack a name: one listing a second fills them in. */
let namesPending = false;
function requestNames() {
  if (namesPending) return;
  namesPending = true;
  setTimeout(async () => {
    try {
      const page = await api.tasks({ limit: table.cap, ...table.filter });
      for (const task of page.tasks) table.name(task);
      schedule();
    } catch {
      // Offline: the next frame with unnamed rows asks again.
    } finally {
      namesPending = false;
    }
  }, 300);
}

// ---------------------------------------------------------------- actions

async function selectTask(id) {
  try {
    const task = await api.task(id);
    table.select(id);
    details.show(task);
    $("#details").scrollIntoView({ block: "nearest", behavior: "smooth" });
    schedule();
    const history = await api.taskEvents(id);
    details.showHistory(id, history.events);
  } catch (error) {
    toast(error.message, "error");
  }
}

function closeDetails() {
  details.hide();
  table.select(null);
}

async function act(label, call, id) {
  try {
    const task = await call(id);
    table.upsert(task);
    if (details.id === task.id) details.show(task);
    schedule();
    toast(`${label} ${task.name} (${task.id.slice(0, 8)}): now ${task.status}.`, "ok");
  } catch (error) {
    toast(error.message, "error");
  }
}
function cancelTask(id) { return act("Cancelled", (x) => api.cancel(x), id); }
function retryTask(id) { return act("Retried", (x) => api.retry(x), id); }

bindSubmitForm($("#submit-form"), (task) => api.createTask(task));

// ---------------------------------------------------------------- filters

function fillQueueFilter(names) {
  const select = $("#filter-queue");
  const current = select.value;
  select.replaceChildren(el("option", { value: "" }, "All queues"), ...names.map((n) => el("option", { value: n }, n)));
  if (current && !names.includes(current)) select.append(el("option", { value: current }, current));
  select.value = current;
  const list = $("#queue-names");
  list.replaceChildren(...names.map((n) => el("option", { value: n })));
}

for (const id of ["#filter-queue", "#filter-status"]) {
  $(id).addEventListener("change", () => {
    table.filter = { queue: $("#filter-queue").value, status: $("#filter-status").value };
    reload();
  });
}

// ---------------------------------------------------------------- connection state

let countdown = null;
function showConnection({ state, retryInMs, attempt, code }) {
  const pill = $("#conn-state");
  pill.dataset.state = state;
  setText(pill.querySelector(".label"), { connecting: "Connecting…", online: "Live", offline: "Offline", closed: "Closed" }[state] ?? state);
  document.body.classList.toggle("is-offline", state === "offline" || state === "connecting" && attempt > 0);
  const banner = $("#offline-banner");
  clearInterval(countdown);
  if (state === "offline") {
    banner.hidden = false;
    const until = Date.now() + retryInMs;
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      setText(banner.querySelector(".detail"),
        `Connection lost${code ? ` (${code})` : ""}. Reconnecting in ${seconds} s (attempt ${attempt}); live updates resume and missed events are recovered.`);
    };
    tick();
    countdown = setInterval(tick, 500);
  } else if (state === "online") {
    banner.hidden = true;
  }
}
$("#offline-banner [data-action=retry-now]").addEventListener("click", () => client.retryNow());

// ---------------------------------------------------------------- toasts

function toast(text, kind = "info") {
  const item = el("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  $("#toasts").append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

// ---------------------------------------------------------------- start

client.subscribe(STREAMS);
client.connect();
admin.start();
// For the console and tests.
window.taskwireDashboard = { client, api, table, chart, get reloads() { return reloads; } };
