// Taskwire's JavaScript client: one WebSocket to a Taskwire server, kept open.
//
// It subscribes, publishes and pings with acks, answers the server's heartbeat, reconnects by
// itself with exponential backoff and jitter, and on every reconnect subscribes again with
// `since` (the last seq and epoch it saw per stream), so the server replays what was missed.
// Plain ES module, no dependencies; served by the server at /taskwire-client.js.
//
//   import { TaskwireClient } from "/taskwire-client.js";
//   const client = new TaskwireClient({ token });
//   client.addEventListener("message", (e) => console.log(e.detail));
//   client.addEventListener("recovered", (e) => { if (!e.detail.complete) reloadOverHTTP(); });
//   client.connect();
//   await client.subscribe(["task_created", "task_completed"]);
//
// Events (CustomEvent, payload in `detail`):
//   state      {state: "connecting"|"online"|"offline"|"closed", attempt, retryInMs, code, reason}
//   welcome    the server's welcome message
//   message    every message delivered because of a subscription (task_update, queue_status,
//              notification, custom), with its event_type, seq and epoch
//   recovered  after each successful (re)subscribe on a new connection:
//              {first, recovered: {stream: bool}, unknown: [streams with no position yet],
//               complete: every stream recovered (nothing can have been missed)}
//   error      an `error` message from the server that answered no request of ours

/** Defaults of the reconnect backoff: delay = min(maxMs, initialMs * factor^attempt), jittered. */
export const DEFAULT_BACKOFF = Object.freeze({ initialMs: 500, maxMs: 15000, factor: 2, jitter: 0.5 });

/** The delay before reconnect attempt `attempt` (0-based): exponential, capped, less up to `jitter` of it at random. */
export function backoffDelay(attempt, backoff = DEFAULT_BACKOFF, random = Math.random) {
  const base = Math.min(backoff.maxMs, backoff.initialMs * Math.pow(backoff.factor, attempt));
  return Math.round(base * (1 - backoff.jitter * random()));
}

/** The WebSocket URL of the server that served the current page (`/ws`), with `token` if given. */
export function defaultURL(token, loc = globalThis.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  const url = new URL(`${scheme}//${loc.host}/ws`);
  if (token) url.searchParams.set("token", token);
  return url.toString();
}

export class TaskwireClient extends EventTarget {
  /**
   * @param {object} [options]
   * @param {string} [options.url]      WebSocket URL; default: `/ws` of the page's server
   * @param {string} [options.token]    credentials, sent as the `token` query parameter
   * @param {object} [options.backoff]  {initialMs, maxMs, factor, jitter}
   * @param {number} [options.requestTimeoutMs]  how long a request waits for its ack
   * @param {Function} [options.WebSocket]       a WebSocket implementation (tests)
   */
  constructor(options = {}) {
    super();
    this.url = options.url ?? defaultURL(options.token);
    if (options.url && options.token) {
      const url = new URL(options.url);
      url.searchParams.set("token", options.token);
      this.url = url.toString();
    }
    this.backoff = { ...DEFAULT_BACKOFF, ...(options.backoff ?? {}) };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10000;
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    /** @type {"idle"|"connecting"|"online"|"offline"|"closed"} */
    this.state = "idle";
    this.welcome = null;
    this.socket = null;
    this.attempt = 0;
    this.connections = 0;
    this.streams = new Set();
    this.positions = new Map(); // stream -> {seq, epoch}
    this.pending = new Map(); // request id -> {resolve, reject, timer}
    this.nextID = 1;
    this.retryTimer = null;
    this.watchdog = null;
    this.lastReceived = 0;
    // Back on the network: try at once rather than at the end of the backoff.
    globalThis.addEventListener?.("online", () => this.retryNow());
  }

  /** Opens the connection (and keeps reopening it) until `close()`. */
  connect() {
    if (this.state === "connecting" || this.state === "online") return;
    this.clearTimers();
    this.setState("connecting");
    let socket;
    try {
      socket = new this.WebSocket(this.url);
    } catch (error) {
      this.scheduleReconnect(1006, String(error));
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failPending("connection closed");
      if (this.state !== "closed") this.scheduleReconnect(event.code, event.reason);
    };
    socket.onerror = () => {}; // a close event follows
  }

  /** Closes the connection for good. */
  close() {
    this.setState("closed");
    this.clearTimers();
    this.failPending("client closed");
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000, "client closed");
    }
  }

  /** Subscribes to `streams` (kept across reconnects). `since`: {stream: {seq, epoch}} to replay from. */
  subscribe(streams, since) {
    streams.forEach((s) => this.streams.add(s));
    if (this.state !== "online") return Promise.resolve(null); // sent on (re)connect
    const message = { type: "subscribe", event_types: streams };
    if (since && Object.keys(since).length) message.since = since;
    return this.request(message);
  }

  /** Unsubscribes from `streams` and forgets their positions. */
  unsubscribe(streams) {
    streams.forEach((s) => {
      this.streams.delete(s);
      this.positions.delete(s);
    });
    if (this.state !== "online") return Promise.resolve(null);
    return this.request({ type: "unsubscribe", event_types: streams });
  }

  /** Publishes `data` on a custom stream; resolves with the ack (`delivered`). */
  publish(eventType, data) {
    return this.request({ type: "custom", event_type: eventType, data });
  }

  /** Sends `ping`; resolves with the `pong`. */
  ping() {
    return this.request({ type: "ping" });
  }

  /** The last position seen on `stream`, or undefined. */
  position(stream) {
    return this.positions.get(stream);
  }

  /** Sends a request with a fresh id; resolves with its ack (or pong), rejects with its error. */
  request(message, timeoutMs = this.requestTimeoutMs) {
    if (!this.socket || this.state !== "online") return Promise.reject(new Error("not connected"));
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(JSON.stringify({ ...message, id }));
    });
  }

  // ---------------------------------------------------------------- internals

  receive(text) {
    this.lastReceived = Date.now();
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    switch (message.type) {
      case "welcome":
        this.onWelcome(message);
        return;
      case "ping":
        this.socket?.send('{"type":"pong"}');
        return;
      case "ack":
      case "pong":
        if (message.id != null) this.settle(message.id, (p) => p.resolve(message));
        return;
      case "error":
        if (message.id != null && this.pending.has(message.id)) {
          this.settle(message.id, (p) => p.reject(Object.assign(new Error(message.message), { code: message.code })));
        } else {
          this.emit("error", message);
        }
        return;
    }
    const stream = message.event_type;
    if (typeof stream === "string" && typeof message.seq === "number") {
      const last = this.positions.get(stream);
      // The server never repeats an event within a stream; this keeps that true across replays.
      if (last && last.epoch === message.epoch && message.seq <= last.seq) return;
      this.positions.set(stream, { seq: message.seq, epoch: message.epoch });
    }
    this.emit("message", message);
  }

  async onWelcome(welcome) {
    this.welcome = welcome;
    this.attempt = 0;
    const first = this.connections === 0;
    this.connections += 1;
    this.setState("online");
    this.startWatchdog(welcome);
    this.emit("welcome", welcome);
    const streams = [...this.streams];
    if (!streams.length) {
      this.emit("recovered", { first, recovered: {}, unknown: [], complete: first });
      return;
    }
    const since = {};
    const unknown = [];
    for (const s of streams) {
      const p = this.positions.get(s);
      if (p) since[s] = p;
      else unknown.push(s);
    }
    const message = { type: "subscribe", event_types: streams };
    if (!first && Object.keys(since).length) message.since = since;
    try {
      const ack = await this.request(message);
      const recovered = ack.recovered ?? {};
      const complete = !first && unknown.length === 0 && Object.values(recovered).every(Boolean);
      this.emit("recovered", { first, recovered, unknown: first ? streams : unknown, complete });
    } catch (error) {
      this.emit("error", { code: error.code ?? "internal", message: String(error.message ?? error) });
    }
  }

  /**
   * Pings a connection that has been silent for a ping interval, and drops it (to reconnect)
   * when the pong does not come within the pong timeout: a dead network path is noticed even
   * when no close ever arrives.
   */
  startWatchdog(welcome) {
    const quietMs = welcome.ping_interval_ms ?? 30000;
    const graceMs = welcome.pong_timeout_ms ?? 10000;
    let probing = false;
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      const socket = this.socket;
      if (!socket || probing || Date.now() - this.lastReceived < quietMs) return;
      probing = true;
      this.request({ type: "ping" }, graceMs).then(
        () => (probing = false),
        () => {
          probing = false;
          if (this.socket === socket) this.drop(4002, "no pong from the server in time");
        },
      );
    }, Math.min(quietMs, 5000));
  }

  /** Gives up on the current connection and reconnects. */
  drop(code, reason) {
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.failPending(reason);
    this.scheduleReconnect(code, reason);
  }

  scheduleReconnect(code, reason) {
    this.clearTimers();
    const retryInMs = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.setState("offline", { code, reason, retryInMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state === "offline") this.connect();
    }, retryInMs);
  }

  /** Tries to reconnect now (a user asked to), cancelling the wait. */
  retryNow() {
    if (this.state !== "offline") return;
    this.clearTimers();
    this.connect();
  }

  settle(id, action) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    action(p);
  }

  failPending(reason) {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  clearTimers() {
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    this.retryTimer = null;
    this.watchdog = null;
  }

  setState(state, extra = {}) {
    this.state = state;
    this.emit("state", { state, attempt: this.attempt, ...extra });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
