"""Helpers for the task-queue tests: the task HTTP API of PROTOCOL.md, one call per function.

Every helper that names an expected status asserts it and returns the parsed body, so a test
reads as the protocol does: ``t = create(srv, name="x")``, ``claim(srv, q, "w1")``, …
``Session`` keeps one HTTP/1.1 connection open for the many requests of the load tests.
"""

from __future__ import annotations

import http.client as httpclient
import json
import time
import uuid

from twclient import HOST, Response, Server, http, parse_rfc3339
from twclient import wait_for as wait_until  # one polling helper for the whole suite

API = "/api/v1"

# A task's fields (PROTOCOL.md, GET /api/v1/tasks/{id}).
TASK_FIELDS = ("id", "queue", "name", "payload", "priority", "status", "progress", "message", "attempts",
               "max_attempts", "worker_id", "lease_expires_at", "result", "error", "created_at", "updated_at")
STATUSES = ("pending", "running", "completed", "failed", "cancelled")
COUNT_FIELDS = ("total_tasks", "pending_tasks", "running_tasks", "completed_tasks", "failed_tasks", "cancelled_tasks")
# A task_update event's fields, beside `type`, `event_type`, `seq` and `epoch`.
UPDATE_FIELDS = ("task_id", "status", "progress", "message", "queue")


def queue_name(prefix: str = "q") -> str:
    """A fresh queue name (valid: [A-Za-z0-9_.-]{1,64})."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _check(r: Response, status: int, what: str) -> Response:
    assert r.status == status, f"{what}: expected HTTP {status}, got {r.status}: {r.body[:500]!r}"
    return r


def assert_task(t: dict, **expect) -> dict:
    """Checks a task object: every field present, types right, then the ``expect``-ed values."""
    assert isinstance(t, dict), f"not a task object: {t!r}"
    missing = [f for f in TASK_FIELDS if f not in t]
    assert not missing, f"task lacks {missing}: {t!r}"
    assert isinstance(t["id"], str) and t["id"], t
    assert isinstance(t["queue"], str) and isinstance(t["name"], str), t
    assert isinstance(t["priority"], int) and isinstance(t["attempts"], int) and isinstance(t["max_attempts"], int), t
    assert t["status"] in STATUSES, t
    assert t["progress"] is None or (isinstance(t["progress"], (int, float)) and 0 <= t["progress"] <= 1), t
    for f in ("message", "worker_id", "error"):
        assert t[f] is None or isinstance(t[f], str), f"{f}: {t!r}"
    parse_rfc3339(t["created_at"])
    parse_rfc3339(t["updated_at"])
    if t["lease_expires_at"] is not None:
        parse_rfc3339(t["lease_expires_at"])
    for k, v in expect.items():
        assert same_json(t[k], v), f"task field {k!r}: expected {v!r}, got {t[k]!r} in {t!r}"
    return t


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same_json(a, b) -> bool:
    """JSON equality: numbers compare by value (1 == 1.0), everything else by value and type."""
    if _is_num(a) and _is_num(b):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


# ---------------------------------------------------------------- producer API

def create_raw(srv: Server, body=None, raw: bytes | None = None) -> Response:
    return http(srv, "POST", f"{API}/tasks", body=body, raw=raw)


def create(srv: Server, name: str = "job", **fields) -> dict:
    r = _check(create_raw(srv, {"name": name, **fields}), 201, "POST /api/v1/tasks")
    assert "json" in r.headers.get("content-type", ""), r.headers
    return assert_task(r.json())


def get(srv: Server, tid: str) -> dict:
    r = _check(http(srv, "GET", f"{API}/tasks/{tid}"), 200, f"GET /api/v1/tasks/{tid}")
    return assert_task(r.json())


def cancel_raw(srv: Server, tid: str) -> Response:
    return http(srv, "POST", f"{API}/tasks/{tid}/cancel")


def cancel(srv: Server, tid: str) -> dict:
    return assert_task(_check(cancel_raw(srv, tid), 200, f"cancel {tid}").json(), status="cancelled")


def retry_raw(srv: Server, tid: str) -> Response:
    return http(srv, "POST", f"{API}/tasks/{tid}/retry")


def retry(srv: Server, tid: str) -> dict:
    return assert_task(_check(retry_raw(srv, tid), 200, f"retry {tid}").json(), status="pending", attempts=0)


def list_raw(srv: Server, query: str = "") -> Response:
    return http(srv, "GET", f"{API}/tasks{('?' + query) if query else ''}")


def list_page(srv: Server, query: str = "") -> dict:
    r = _check(list_raw(srv, query), 200, f"GET /api/v1/tasks?{query}")
    page = r.json()
    assert set(page) >= {"tasks", "next_cursor"}, page
    assert isinstance(page["tasks"], list)
    assert page["next_cursor"] is None or isinstance(page["next_cursor"], str), page["next_cursor"]
    return page


def list_all(srv: Server, query: str = "", limit: int = 500, max_pages: int = 1000) -> list[dict]:
    """Every task of the listing, following ``next_cursor`` to the end."""
    from urllib.parse import quote
    out, cursor = [], None
    for _ in range(max_pages):
        q = "&".join(p for p in (query, f"limit={limit}", f"cursor={quote(cursor, safe='')}" if cursor else "") if p)
        page = list_page(srv, q)
        out += page["tasks"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError(f"listing did not end after {max_pages} pages")


# ---------------------------------------------------------------- worker API

def claim_raw(srv: Server, queue: str, body=None, raw: bytes | None = None) -> Response:
    return http(srv, "POST", f"{API}/queues/{queue}/claim", body=body, raw=raw)


def claim(srv: Server, queue: str, worker: str = "w1", lease: int | None = None) -> dict | None:
    """The claimed task, or None on 204."""
    body = {"worker_id": worker}
    if lease is not None:
        body["lease_seconds"] = lease
    r = claim_raw(srv, queue, body)
    if r.status == 204:
        assert r.body == b"", f"204 with a body: {r.body[:200]!r}"
        return None
    _check(r, 200, f"claim on {queue}")
    return assert_task(r.json(), status="running", worker_id=worker)


def worker_raw(srv: Server, tid: str, action: str, body=None, raw: bytes | None = None) -> Response:
    return http(srv, "POST", f"{API}/tasks/{tid}/{action}", body=body, raw=raw)


def worker(srv: Server, tid: str, action: str, **body) -> dict:
    r = _check(worker_raw(srv, tid, action, body), 200, f"{action} {tid}")
    return assert_task(r.json())


def queue_status(srv: Server) -> dict:
    r = _check(http(srv, "GET", f"{API}/queue/status"), 200, "GET /api/v1/queue/status")
    st = r.json()
    for f in COUNT_FIELDS:
        assert isinstance(st.get(f), int), f"queue status lacks {f}: {st!r}"
    assert isinstance(st.get("queues"), dict), f"queue status lacks the `queues` object: {st!r}"
    return st


def counts_of(srv: Server, queue: str) -> dict:
    """The counts of one queue (all zero when the queue has no task)."""
    return queue_status(srv)["queues"].get(queue, {f: 0 for f in COUNT_FIELDS})


def expected_counts(**nonzero) -> dict:
    c = {f: 0 for f in COUNT_FIELDS}
    for k, v in nonzero.items():
        c[f"{k}_tasks"] = v
    c["total_tasks"] = sum(c[f] for f in COUNT_FIELDS if f != "total_tasks")
    return c


# ---------------------------------------------------------------- a kept-alive connection

class Session:
    """One HTTP/1.1 connection reused for many requests (the load and durability tests)."""

    def __init__(self, srv: Server, timeout: float = 10):
        self.srv = srv
        self.timeout = timeout
        self.conn: httpclient.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None) -> Response:
        """One request, never sent twice: a failure closes the connection and propagates."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self.conn is None:
            self.conn = httpclient.HTTPConnection(HOST, self.srv.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=headers)
            r = self.conn.getresponse()
            payload = r.read()
        except Exception:
            self.close()
            raise
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None


