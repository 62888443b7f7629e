// The HTTP API of the server that served the page, with the page's token as a Bearer credential.

export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class API {
  /** @param {string|null} token sent as `Authorization: Bearer` when present */
  constructor(token, base = "/api/v1") {
    this.token = token;
    this.base = base;
  }

  /** One request; resolves with the parsed JSON body (null for 202/204), rejects with an APIError. */
  async call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (error) {
      throw new APIError(0, "unavailable", `the server does not answer (${error.message})`);
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = json?.error ?? {};
      throw new APIError(response.status, error.code ?? "internal", error.message ?? response.statusText);
    }
    return json;
  }

  tasks(query) {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
    return this.call("GET", `/tasks?${params}`);
  }
  task(id) { return this.call("GET", `/tasks/${encodeURIComponent(id)}`); }
  createTask(task) { return this.call("POST", "/tasks", task); }
  cancel(id) { return this.call("POST", `/tasks/${encodeURIComponent(id)}/cancel`); }
  retry(id) { return this.call("POST", `/tasks/${encodeURIComponent(id)}/retry`); }
  /** The task's stored event history, oldest first (`{events, next_after}`). */
  taskEvents(id, after = 0) { return this.call("GET", `/tasks/${encodeURIComponent(id)}/events?after=${after}`); }
  queueStatus() { return this.call("GET", "/queue/status"); }
  connections() { return this.call("GET", "/connections"); }
  metrics() { return this.call("GET", "/metrics"); }
}
