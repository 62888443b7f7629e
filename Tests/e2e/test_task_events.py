"""Task events over WebSocket: the exact events of a task's life, on every stream they belong to.

Each test runs a server of its own (about 0.1 s to start), so every stream starts at seq 1 and
the expected events, seq numbers included, are exact. A watcher connection subscribes to
task_created, task_updated, task_completed, task_failed, queue:<q> and queue_status_changed
before the task exists, and to task:<id> once the id is known (so that stream is seen from its
second event on: seq 2, as an event is numbered whether or not anyone is subscribed).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest

from twclient import Client, assert_error_body, http, parse_rfc3339
from twtasks import (COUNT_FIELDS, API, Session, cancel, cancel_raw, claim, create, expected_counts, get, retry,
                     queue_name, queue_status, same_json, worker, worker_raw)

TASK_STREAMS = ("task_created", "task_updated", "task_completed", "task_failed")
# The fields of a task_update event PROTOCOL.md lists, with the subscription fields.
EVENT_FIELDS = ("type", "task_id", "status", "progress", "message", "queue", "event_type", "seq", "epoch")

# Lease expiry: PROTOCOL.md says an expired lease is acted on within two seconds.
LEASE_ACT_WITHIN = 2.0
SLACK = 0.5  # scheduling slack of a debug build on a busy CI machine


@pytest.fixture
def srv(start_server):
    return start_server("--ping-interval", "30s", name="events")


class Watcher:
    """A connection subscribed to the task streams of one queue; files what it receives by stream."""

    def __init__(self, server, queue: str, extra: tuple[str, ...] = ()):
        self.queue = queue
        streams = [*TASK_STREAMS, f"queue:{queue}", "queue_status_changed", *extra]
        self.client = Client(server, "?subscribe=" + ",".join(streams))
        assert sorted(self.client.welcome["subscriptions"]) == sorted(streams), self.client.welcome
        self.events: dict[str, list[dict]] = defaultdict(list)  # task_update events by stream
        self.statuses: list[tuple[float, dict]] = []  # (arrival, queue_status event)
        self.others: list[dict] = []

    def follow(self, tid: str) -> None:
        self.client.subscribe(f"task:{tid}")

    def _file(self, m: dict) -> None:
        t = m.get("type")
        if t == "task_update":
            self.events[m.get("event_type")].append(m)
        elif t == "queue_status":
            self.statuses.append((time.monotonic(), m))
        else:
            self.others.append(m)

    def pump(self, until=lambda w: False, timeout: float = 3.0, what: str = "events") -> None:
        """Reads messages until ``until(self)`` holds; raises on time-out."""
        deadline = time.monotonic() + timeout
        while not until(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{what} not received within {timeout}s; task events so far: "
                                     f"{ {k: [(e['status'], e['seq']) for e in v] for k, v in self.events.items()} }")
            try:
                self._file(self.client.recv(timeout=min(left, 0.1)))
            except TimeoutError:
                pass

    def wait_counts(self, want: dict[str, int], timeout: float = 3.0) -> None:
        self.pump(lambda w: all(len(w.events[s]) >= n for s, n in want.items()), timeout, what=f"events {want}")

    def settle(self, duration: float = 0.4) -> None:
        """Reads everything that arrives for ``duration`` seconds."""
        deadline = time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._file(self.client.recv(timeout=left))
            except TimeoutError:
                return

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def watch(srv):
    made: list[Watcher] = []

    def make(queue: str, extra: tuple[str, ...] = ()) -> Watcher:
        w = Watcher(srv, queue, extra)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def ev(task: dict | str, status: str, progress, message, queue: str) -> dict:
    return {"type": "task_update", "task_id": task if isinstance(task, str) else task["id"], "status": status,
            "progress": progress, "message": message, "queue": queue}


def assert_stream(w: Watcher, stream: str, expected: list[dict], first_seq: int = 1) -> None:
    """The events of ``stream`` are exactly ``expected``, numbered from ``first_seq`` without gaps,
    in one epoch. (Fields beyond the protocol's are allowed: the protocol may be extended.)"""
    got = w.events.get(stream, [])
    shown = [(e.get("status"), e.get("progress"), e.get("message"), e.get("seq")) for e in got]
    assert len(got) == len(expected), f"{stream}: expected {len(expected)} events, got {len(got)}: {shown}"
    epoch = got[0].get("epoch") if got else None
    assert not got or (isinstance(epoch, str) and epoch), f"{stream}: no epoch in {got[0]!r}"
    for i, (g, e) in enumerate(zip(got, expected)):
        want = {**e, "event_type": stream, "seq": first_seq + i, "epoch": epoch}
        missing = [f for f in EVENT_FIELDS if f not in g]
        assert not missing, f"{stream} event {i + 1} lacks {missing}: {g!r}"
        have = {f: g[f] for f in EVENT_FIELDS}
        assert same_json(have, want), f"{stream} event {i + 1}:\n  expected {want!r}\n  got      {have!r}"


def assert_matches_task(event: dict, task: dict) -> None:
    """An event says what GET /api/v1/tasks/{id} said at that moment."""
    for ef, tf in (("task_id", "id"), ("status", "status"), ("progress", "progress"), ("message", "message"), ("queue", "queue")):
        assert same_json(event[ef], task[tf]), f"event {ef}={event[ef]!r} but task {tf}={task[tf]!r}"


# ---------------------------------------------------------------- the happy path

def test_create_claim_progress_heartbeat_complete(srv, watch):
    q = queue_name("life")
    w = watch(q)
    t = create(srv, name="resize", queue=q, payload={"w": 640})
    w.follow(t["id"])
    claimed = claim(srv, q, "w1", lease=30)
    assert claimed["attempts"] == 1
    p = worker(srv, t["id"], "progress", worker_id="w1", progress=0.5, message="half way")
    assert (p["progress"], p["message"]) == (0.5, "half way")
    # A lease renewal changes nothing a subscriber sees: no event.
    worker(srv, t["id"], "heartbeat", worker_id="w1", lease_seconds=30)
    done = worker(srv, t["id"], "complete", worker_id="w1", result={"ok": True})
    assert done["status"] == "completed" and done["result"] == {"ok": True}

    w.wait_counts({"task_created": 1, "task_updated": 2, "task_completed": 1, f"queue:{q}": 4, f"task:{t['id']}": 3})
    w.settle(0.4)
    created = ev(t, "pending", None, None, q)
    running = ev(t, "running", None, None, q)
    progress = ev(t, "running", 0.5, "half way", q)
    completed = ev(t, "completed", 1, "half way", q)
    assert_stream(w, "task_created", [created])
    assert_stream(w, "task_updated", [running, progress])
    assert_stream(w, "task_completed", [completed])
    assert_stream(w, "task_failed", [])
    assert_stream(w, f"queue:{q}", [created, running, progress, completed])
    assert_stream(w, f"task:{t['id']}", [running, progress, completed], first_seq=2)
    assert_matches_task(w.events["task_completed"][0], get(srv, t["id"]))
    assert not w.others, w.others


def test_fail_with_retry_then_claim_again_then_fail_for_good(srv, watch):
    q = queue_name("retry")
    w = watch(q)
    t = create(srv, name="flaky", queue=q, max_attempts=3)
    w.follow(t["id"])
    claim(srv, q, "w1")
    again = worker(srv, t["id"], "fail", worker_id="w1", error="boom 1", retry=True)
    assert again["status"] == "pending" and again["attempts"] == 1 and again["error"] == "boom 1", again
    assert again["worker_id"] is None and again["lease_expires_at"] is None, again
    second = claim(srv, q, "w2")
    assert second["attempts"] == 2 and second["id"] == t["id"]
    final = worker(srv, t["id"], "fail", worker_id="w2", error="boom 2", retry=False)
    assert final["status"] == "failed" and final["attempts"] == 2 and final["error"] == "boom 2", final
    assert final["lease_expires_at"] is None, final

    w.wait_counts({"task_updated": 3, "task_failed": 1, f"queue:{q}": 5})
    w.settle(0.4)
    created = ev(t, "pending", None, None, q)
    running = ev(t, "running", None, None, q)
    requeued = ev(t, "pending", None, again["message"], q)
    failed = ev(t, "failed", None, None, q)
    # The requeue says why (PROTOCOL.md leaves the wording to the server; this one's is fixed).
    assert again["message"] == "retrying after error", again
    assert_stream(w, "task_created", [created])
    assert_stream(w, "task_updated", [running, requeued, running])
    assert_stream(w, "task_failed", [failed])
    assert_stream(w, "task_completed", [])
    assert_stream(w, f"queue:{q}", [created, running, requeued, running, failed])
    assert_stream(w, f"task:{t['id']}", [running, requeued, running, failed], first_seq=2)
    # Finished: no worker call and no cancel is allowed any more; none makes an event.
    assert_error_body(worker_raw(srv, t["id"], "fail", {"worker_id": "w2", "error": "x"}), 409, "conflict")
    assert_error_body(cancel_raw(srv, t["id"]), 409, "conflict")
    w.settle(0.3)
    assert len(w.events[f"queue:{q}"]) == 5


def test_retry_stops_at_max_attempts(srv, watch):
    q = queue_name("maxatt")
    w = watch(q)
    t = create(srv, name="n", queue=q, max_attempts=2)
    claim(srv, q, "w1")
    assert worker(srv, t["id"], "fail", worker_id="w1", error="e1")["status"] == "pending"  # retry defaults to true
    claim(srv, q, "w1")
    last = worker(srv, t["id"], "fail", worker_id="w1", error="e2", retry=True)
    assert last["status"] == "failed" and last["attempts"] == 2, last
    assert claim(srv, q, "w1") is None
    w.wait_counts({"task_failed": 1, f"queue:{q}": 5})
    w.settle(0.3)
    assert [e["status"] for e in w.events[f"queue:{q}"]] == ["pending", "running", "pending", "running", "failed"]


# ---------------------------------------------------------------- leases

def test_lease_expiry_requeues_then_fails(srv, watch):
    q = queue_name("lease")
    w = watch(q)
    t = create(srv, name="slow", queue=q, max_attempts=2)
    w.follow(t["id"])

    t0 = time.monotonic()
    c1 = claim(srv, q, "w1", lease=1)
    lease_end = parse_rfc3339(c1["lease_expires_at"]) - parse_rfc3339(c1["updated_at"])
    assert 0.9 <= lease_end.total_seconds() <= 1.1, c1
    w.wait_counts({"task_updated": 1})
    w.pump(lambda w: len(w.events["task_updated"]) >= 2, timeout=1 + LEASE_ACT_WITHIN + SLACK,
           what="the lease-expiry event")
    requeued_after = time.monotonic() - t0
    assert requeued_after >= 0.95, f"requeued after {requeued_after:.2f}s, before the 1 s lease ran out"
    back = get(srv, t["id"])
    assert back["status"] == "pending" and back["message"] == "lease expired" and back["attempts"] == 1, back
    assert back["worker_id"] is None and back["lease_expires_at"] is None, back
    # The first worker lost the task: every call of it is 409.
    for action, body in (("progress", {"progress": 0.9}), ("heartbeat", {}), ("complete", {"result": 1}),
                         ("fail", {"error": "late"})):
        assert_error_body(worker_raw(srv, t["id"], action, {"worker_id": "w1", **body}), 409, "conflict")

    t1 = time.monotonic()
    c2 = claim(srv, q, "w2", lease=1)
    assert c2["attempts"] == 2
    w.pump(lambda w: len(w.events["task_failed"]) >= 1, timeout=1 + LEASE_ACT_WITHIN + SLACK,
           what="the final lease-expiry event")
    assert time.monotonic() - t1 >= 0.95
    gone = get(srv, t["id"])
    assert gone["status"] == "failed" and gone["attempts"] == 2 and gone["lease_expires_at"] is None, \
        f"after the task_failed event, GET says {gone!r}; events: {dict(w.events)!r}"
    w.settle(0.3)

    created = ev(t, "pending", None, None, q)
    running = ev(t, "running", None, None, q)
    expired = ev(t, "pending", None, "lease expired", q)
    failed = ev(t, "failed", None, gone["message"], q)
    assert_stream(w, "task_updated", [running, expired, running])
    assert_stream(w, "task_failed", [failed])
    assert_stream(w, f"queue:{q}", [created, running, expired, running, failed])
    assert_stream(w, f"task:{t['id']}", [running, expired, running, failed], first_seq=2)
    assert_matches_task(w.events["task_failed"][0], gone)


def test_call_after_lease_ran_out_is_409_even_before_the_server_acts(start_server):
    # A long check interval: the lease runs out long before the server looks at it.
    srv = start_server("--lease-check-interval", "1h", name="lazy")
    q = queue_name("late")
    t = create(srv, name="n", queue=q)
    claim(srv, q, "w1", lease=1)
    time.sleep(1.1)
    assert get(srv, t["id"])["status"] == "running"  # nobody acted yet
    for action, body in (("heartbeat", {"lease_seconds": 30}), ("progress", {"progress": 0.1}), ("complete", {})):
        assert_error_body(worker_raw(srv, t["id"], action, {"worker_id": "w1", **body}), 409, "conflict")


def test_heartbeat_keeps_the_lease(srv, watch):
    q = queue_name("hb")
    w = watch(q)
    t = create(srv, name="n", queue=q)
    claim(srv, q, "w1", lease=2)
    for _ in range(6):  # 3 s on a 2 s lease, renewed every 0.5 s
        time.sleep(0.5)
        worker(srv, t["id"], "heartbeat", worker_id="w1", lease_seconds=2)
    assert worker(srv, t["id"], "complete", worker_id="w1")["status"] == "completed"
    w.wait_counts({"task_completed": 1})
    w.settle(0.3)
    assert [e["status"] for e in w.events[f"queue:{q}"]] == ["pending", "running", "completed"]


# ---------------------------------------------------------------- cancel

def test_cancel_pending(srv, watch):
    q = queue_name("cxp")
    w = watch(q)
    t = create(srv, name="n", queue=q)
    w.follow(t["id"])
    c = cancel(srv, t["id"])
    assert c["attempts"] == 0 and c["worker_id"] is None, c
    assert_error_body(cancel_raw(srv, t["id"]), 409, "conflict")
    assert claim(srv, q, "w1") is None, "a cancelled task is never claimed"
    w.wait_counts({"task_updated": 1, f"queue:{q}": 2})
    w.settle(0.4)
    created = ev(t, "pending", None, None, q)
    cancelled = ev(t, "cancelled", None, None, q)
    assert_stream(w, "task_created", [created])
    assert_stream(w, "task_updated", [cancelled])
    assert_stream(w, f"queue:{q}", [created, cancelled])
    assert_stream(w, f"task:{t['id']}", [cancelled], first_seq=2)
    assert_stream(w, "task_completed", [])
    assert_stream(w, "task_failed", [])


def test_cancel_running(srv, watch):
    q = queue_name("cxr")
    w = watch(q)
    t = create(srv, name="n", queue=q)
    w.follow(t["id"])
    claim(srv, q, "w1")
    worker(srv, t["id"], "progress", worker_id="w1", progress=0.25)
    c = cancel(srv, t["id"])
    assert c["lease_expires_at"] is None and c["attempts"] == 1, c
    # The worker finds out on its next call.
    assert_error_body(worker_raw(srv, t["id"], "complete", {"worker_id": "w1", "result": 1}), 409, "conflict")
    assert_error_body(worker_raw(srv, t["id"], "heartbeat", {"worker_id": "w1"}), 409, "conflict")
    assert_error_body(cancel_raw(srv, t["id"]), 409, "conflict")
    w.wait_counts({"task_updated": 3, f"queue:{q}": 4})
    w.settle(0.4)
    created = ev(t, "pending", None, None, q)
    running = ev(t, "running", None, None, q)
    progress = ev(t, "running", 0.25, None, q)
    cancelled = ev(t, "cancelled", 0.25, None, q)
    assert_stream(w, "task_updated", [running, progress, cancelled])
    assert_stream(w, f"queue:{q}", [created, running, progress, cancelled])
    assert_stream(w, f"task:{t['id']}", [running, progress, cancelled], first_seq=2)
    assert_stream(w, "task_completed", [])
    assert_stream(w, "task_failed", [])
    assert get(srv, t["id"])["status"] == "cancelled"


# ---------------------------------------------------------------- retry (the dashboard's)

def test_retry_of_a_failed_task_is_a_task_updated_event(srv, watch):
    q = queue_name("rty")
    w = watch(q)
    t = create(srv, name="n", queue=q, max_attempts=1)
    w.follow(t["id"])
    claim(srv, q, "w1")
    worker(srv, t["id"], "fail", worker_id="w1", error="boom", retry=True)
    retry(srv, t["id"])
    claim(srv, q, "w2")
    w.wait_counts({"task_updated": 3, "task_failed": 1, f"queue:{q}": 5})
    w.settle(0.4)
    created = ev(t, "pending", None, None, q)
    running = ev(t, "running", None, None, q)
    failed = ev(t, "failed", None, None, q)
    retried = ev(t, "pending", None, "retried", q)
    again = ev(t, "running", None, None, q)
    assert_stream(w, "task_updated", [running, retried, again])
    assert_stream(w, "task_failed", [failed])
    assert_stream(w, f"queue:{q}", [created, running, failed, retried, again])
    assert_stream(w, f"task:{t['id']}", [running, failed, retried, again], first_seq=2)


# ---------------------------------------------------------------- scoping

def test_scoped_streams_carry_only_their_task_and_queue(srv):
    qa, qb = queue_name("sa"), queue_name("sb")
    a = create(srv, name="a", queue=qa)
    with Client(srv, f"?subscribe=queue:{qa},task:{a['id']}") as c:
        b = create(srv, name="b", queue=qb)  # another queue: not on queue:qa, not on task:a
        a2 = create(srv, name="a2", queue=qa)  # same queue, other task: on queue:qa only
        claim(srv, qb, "w")
        cancel(srv, a["id"])
        got = []
        deadline = time.monotonic() + 0.6
        while (left := deadline - time.monotonic()) > 0:
            try:
                got.append(c.recv(timeout=left))
            except TimeoutError:
                break
        seen = [(m["event_type"], m["task_id"], m["status"]) for m in got]
        assert sorted(seen) == sorted([
            (f"queue:{qa}", a2["id"], "pending"),
            (f"queue:{qa}", a["id"], "cancelled"),
            (f"task:{a['id']}", a["id"], "cancelled"),
        ]), seen
        assert b["id"] not in {m["task_id"] for m in got}


# ---------------------------------------------------------------- queue_status_changed

def _assert_status_event(m: dict) -> None:
    for f in COUNT_FIELDS:
        assert isinstance(m.get(f), int) and m[f] >= 0, f"{f} in {m!r}"
    assert m["total_tasks"] == sum(m[f] for f in COUNT_FIELDS if f != "total_tasks"), m
    assert m["event_type"] == "queue_status_changed" and isinstance(m["seq"], int), m
    assert isinstance(m.get("queues"), dict), f"no `queues` object: {m!r}"
    for name, qc in m["queues"].items():
        assert set(COUNT_FIELDS) <= set(qc), (name, qc)
    for f in COUNT_FIELDS:
        assert m[f] == sum(qc[f] for qc in m["queues"].values()), f"{f}: the queues do not add up: {m!r}"


def test_queue_status_changed_is_coalesced_and_right(srv, watch):
    qa, qb = queue_name("csa"), queue_name("csb")
    w = watch(qa)
    w.settle(0.4)  # the status the server may publish as it starts (all zero)
    w.statuses.clear()
    transitions = 48  # 30 creates, 8 claims, 5 completes, 2 fails, 3 cancels
    outcome: dict = {}

    def burst():
        # On its own thread, so that the watcher reads (and times) the events as they come.
        s = Session(srv)
        try:
            b_ids = []
            for i in range(20):
                assert s.request("POST", f"{API}/tasks", {"name": f"a{i}", "queue": qa}).status == 201
            for i in range(10):
                r = s.request("POST", f"{API}/tasks", {"name": f"b{i}", "queue": qb})
                assert r.status == 201, r.body
                b_ids.append(r.json()["id"])
            claimed = []
            for _ in range(8):
                r = s.request("POST", f"{API}/queues/{qa}/claim", {"worker_id": "w"})
                assert r.status == 200, r.body
                claimed.append(r.json()["id"])
            for tid in claimed[:5]:
                assert s.request("POST", f"{API}/tasks/{tid}/complete", {"worker_id": "w"}).status == 200
            for tid in claimed[5:7]:
                assert s.request("POST", f"{API}/tasks/{tid}/fail", {"worker_id": "w", "error": "x", "retry": False}).status == 200
            for tid in b_ids[:3]:
                assert s.request("POST", f"{API}/tasks/{tid}/cancel").status == 200
            outcome["ok"] = True
        except BaseException as e:  # reported by the main thread
            outcome["error"] = e
        finally:
            s.close()

    t_start = time.monotonic()
    th = threading.Thread(target=burst, daemon=True)
    th.start()
    w.pump(lambda w: not th.is_alive(), timeout=20, what="the end of the burst")
    th.join()
    if "error" in outcome:
        raise outcome["error"]
    burst_time = time.monotonic() - t_start

    final = queue_status(srv)
    assert {f: final[f] for f in COUNT_FIELDS} == expected_counts(pending=12 + 7, running=1, completed=5, failed=2, cancelled=3)
    assert final["queues"] == {qa: expected_counts(pending=12, running=1, completed=5, failed=2),
                               qb: expected_counts(pending=7, cancelled=3)}, final["queues"]

    def at_final(w):
        return w.statuses and all(same_json(w.statuses[-1][1].get(f), final[f]) for f in (*COUNT_FIELDS, "queues"))
    w.pump(at_final, timeout=2.0, what="a queue_status with the final counts")
    t_final = time.monotonic()
    w.settle(0.8)  # nothing changes any more: nothing more is published
    events = [m for _, m in w.statuses]
    for m in events:
        _assert_status_event(m)
    assert same_json({k: events[-1][k] for k in (*COUNT_FIELDS, "queues")}, {k: final[k] for k in (*COUNT_FIELDS, "queues")}), \
        f"the last event is not the final state: {events[-1]!r}"
    # Numbered without gaps, one epoch.
    seqs = [m["seq"] for m in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert len({m["epoch"] for m in events}) == 1
    # Coalesced: a few per second at most, far fewer than the transitions.
    window = t_final - t_start
    assert len(events) <= window / 0.25 + 2, f"{len(events)} status events in {window:.2f}s (burst {burst_time:.2f}s)"
    assert len(events) < transitions / 4, f"{len(events)} status events for {transitions} transitions"
    # Read as they arrive (the burst ran on another thread): never two within 100 ms.
    gaps = [b - a for (a, _), (b, _) in zip(w.statuses, w.statuses[1:])]
    assert all(g >= 0.1 for g in gaps), f"status events closer than 100 ms: {[round(g, 3) for g in gaps]}"
    assert not w.others, w.others


def test_no_queue_status_without_a_change(srv, watch):
    q = queue_name("quiet")
    w = watch(q)
    t = create(srv, name="n", queue=q)
    w.pump(lambda w: len(w.statuses) >= 1 and w.statuses[-1][1]["pending_tasks"] == 1, timeout=2,
           what="the status after one create")
    n = len(w.statuses)
    # A rejected call, a lease renewal and a progress report change no count: no event.
    assert_error_body(worker_raw(srv, t["id"], "complete", {"worker_id": "nobody"}), 409, "conflict")
    w.settle(0.7)
    assert len(w.statuses) == n, [m for _, m in w.statuses[n:]]
    claim(srv, q, "w1")
    w.pump(lambda w: w.statuses[-1][1]["running_tasks"] == 1, timeout=2, what="the status after the claim")
    n = len(w.statuses)
    worker(srv, t["id"], "heartbeat", worker_id="w1")
    worker(srv, t["id"], "progress", worker_id="w1", progress=0.3)
    w.settle(0.7)
    assert len(w.statuses) == n, [m for _, m in w.statuses[n:]]


# ---------------------------------------------------------------- notifications

def _drain(c: Client, duration: float) -> list[dict]:
    out = []
    deadline = time.monotonic() + duration
    while (left := deadline - time.monotonic()) > 0:
        try:
            out.append(c.recv(timeout=left))
        except TimeoutError:
            break
    return out


def test_system_notification_reaches_its_subscribers_only(srv):
    with Client(srv, "?subscribe=system_notification") as sysc, \
            Client(srv, "?subscribe=user_notification") as userc, \
            Client(srv, "?subscribe=task_created,task_failed") as other:
        before = time.time()
        r = http(srv, "POST", f"{API}/notifications",
                 body={"level": "warning", "title": "Disk", "message": "90% full", "user_id": None})
        assert r.status == 202, r.text()
        m = sysc.event("system_notification")
        ts = parse_rfc3339(m["timestamp"]).timestamp()
        assert before - 2 <= ts <= time.time() + 2, m
        want = {"type": "notification", "level": "warning", "title": "Disk", "message": "90% full",
                "event_type": "system_notification", "seq": 1}
        assert {k: m[k] for k in want} == want, m
        assert isinstance(m["epoch"], str) and m["epoch"], m
        # Every level is accepted; the numbering goes on.
        for i, level in enumerate(("info", "error", "success"), start=2):
            assert http(srv, "POST", f"{API}/notifications", body={"level": level, "title": "t", "message": "m"}).status == 202
            m = sysc.event("system_notification")
            assert (m["level"], m["seq"]) == (level, i), m
        assert _drain(userc, 0.4) == []
        assert _drain(other, 0.1) == []
        sysc.no_message(0.2)


def test_notification_to_a_user_reaches_no_anonymous_connection(srv):
    with Client(srv, "?subscribe=user_notification") as userc, \
            Client(srv, "?subscribe=system_notification,user_notification") as both, \
            Client(srv, "?subscribe=system_notification") as sysc:
        assert userc.welcome["user_id"] is None
        r = http(srv, "POST", f"{API}/notifications",
                 body={"level": "info", "title": "For u1", "message": "private", "user_id": "u1"})
        assert r.status == 202, r.text()
        for c in (userc, both, sysc):
            assert _drain(c, 0.5 if c is userc else 0.1) == [], "a notification with a user_id went to an anonymous connection"
        # The connections still work, and a system notification reaches its subscribers.
        assert http(srv, "POST", f"{API}/notifications", body={"title": "all", "message": ""}).status == 202
        assert both.event("system_notification")["title"] == "all"
        assert sysc.event("system_notification")["title"] == "all"
        assert _drain(userc, 0.3) == []


@pytest.mark.parametrize("body,field", [
    ({"level": "info"}, "title"),
    ({"title": ""}, "title"),
    ({"title": 5}, "title"),
    ({"title": "t", "level": "fatal"}, "level"),
    ({"title": "t", "level": 1}, "level"),
    ({"title": "t", "message": []}, "message"),
    ({"title": "t", "user_id": 7}, "user_id"),
    ({"title": "t", "user_id": ""}, "user_id"),
], ids=["no-title", "empty-title", "title-number", "level-unknown", "level-number", "message-array",
        "user_id-number", "user_id-empty"])
def test_bad_notification_is_400_naming_the_field(srv, body, field):
    with Client(srv, "?subscribe=system_notification") as c:
        assert_error_body(http(srv, "POST", f"{API}/notifications", body=body), 400, "bad_request", mentions=field)
        c.no_message(0.2)
