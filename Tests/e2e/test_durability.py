"""Durability: a task the server answered 201 for survives ``kill -9``.

The server runs on a database file of the test's own; client threads submit tasks as fast as
they can; the server is killed with SIGKILL mid-stream and started again on the same file.
Every acknowledged task must be there with its exact payload, through GET and the listing.
Requests that were in flight when the server died may or may not have been stored (their
client never heard back): they may show up, but nothing else may.
"""

from __future__ import annotations

import random
import threading
import time

from twclient import http
from twtasks import (API, Session, claim, create, get, list_all, queue_name, queue_status, same_json,
                     wait_until, worker)

WRITERS = 6


def _payload(writer: int, k: int):
    """A payload of its own per task, of varied shapes (big integers, floats, unicode, nesting)."""
    rnd = random.Random(writer * 100_000 + k)
    shapes = [
        lambda: {"writer": writer, "k": k, "big": 2**63 + k, "neg": -(10**20) - k, "f": rnd.random(),
                 "s": "é\u2603\U0001F600" * rnd.randint(0, 3), "nested": {"a": [k, [None, True, {"b": str(k)}]]}},
        lambda: [writer, k, rnd.random(), "x" * rnd.randint(0, 200)],
        lambda: f"{writer}-{k}-" + "t" * rnd.randint(0, 50),
        lambda: k * 1000 + writer,
        lambda: {"writer": writer, "k": k, "blob": "".join(rnd.choice("abcdef0123456789") for _ in range(rnd.randint(0, 2000)))},
    ]
    return shapes[k % len(shapes)]()


class Submitters:
    """Threads posting tasks until told to stop or until the server goes away."""

    def __init__(self, srv, queue: str, n: int = WRITERS):
        self.srv, self.queue = srv, queue
        self.acked: dict[str, dict] = {}  # id -> the request body of a 201
        self.in_flight = 0  # requests sent that never got an answer
        self.unexpected: list = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]

    def _run(self, i: int) -> None:
        s = Session(self.srv, timeout=5)
        k = 0
        try:
            while not self.stop.is_set():
                body = {"name": f"w{i}-{k}", "queue": self.queue, "payload": _payload(i, k), "priority": k % 7 - 3,
                        "max_attempts": 1 + k % 5}
                try:
                    r = s.request("POST", f"{API}/tasks", body)
                except Exception:  # refused, reset, timed out: the server is gone
                    with self.lock:
                        self.in_flight += 1
                    return  # the server is gone
                if r.status != 201:
                    with self.lock:
                        self.unexpected.append((r.status, r.body[:300]))
                    return
                with self.lock:
                    self.acked[r.json()["id"]] = body
                k += 1
        finally:
            s.close()

    def start(self) -> "Submitters":
        for t in self.threads:
            t.start()
        return self

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)
        assert not any(t.is_alive() for t in self.threads)

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def _check_all_there(srv, queue: str, acked: dict[str, dict], may_extra: int) -> None:
    listed = list_all(srv, f"queue={queue}", limit=500)
    ids = [t["id"] for t in listed]
    assert len(ids) == len(set(ids)), "the listing names a task twice"
    lost = set(acked) - set(ids)
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged tasks are gone after kill -9, e.g. {sorted(lost)[:3]}"
    extra = set(ids) - set(acked)
    assert len(extra) <= may_extra, f"{len(extra)} tasks that were never acknowledged (at most {may_extra} were in flight)"
    by_id = {t["id"]: t for t in listed}
    for tid, body in acked.items():
        t = by_id[tid]
        for f in ("name", "queue", "priority", "max_attempts"):
            assert t[f] == body[f], (f, t, body)
        assert same_json(t["payload"], body["payload"]), f"payload of {tid} changed: {t['payload']!r} != {body['payload']!r}"
        assert t["status"] == "pending" and t["attempts"] == 0, t
    # Each one also by GET (a sample, plus every big payload: they take the longest to write).
    sample = random.Random(7).sample(sorted(acked), min(150, len(acked)))
    sample += [tid for tid, b in acked.items() if isinstance(b["payload"], dict) and "blob" in b["payload"]][:100]
    for tid in sample:
        t = get(srv, tid)
        assert same_json(t["payload"], acked[tid]["payload"]) and t["name"] == acked[tid]["name"], t
    counts = queue_status(srv)["queues"].get(queue)
    assert counts is not None and counts["total_tasks"] == counts["pending_tasks"] == len(ids), counts


def test_acknowledged_tasks_survive_kill_9(start_server, tmp_path):
    db = tmp_path / "durable.db"
    q = queue_name("durable")
    srv = start_server("--database", str(db), name="durable")

    acked: dict[str, dict] = {}
    in_flight = 0
    for round_no in range(2):
        subs = Submitters(srv, q).start()
        # Writing for a while, fast: kill in the middle of the stream.
        wait_until(lambda: subs.count() >= 150 * (round_no + 1), timeout=20, what="150 acknowledged tasks")
        time.sleep(random.uniform(0.05, 0.3))
        srv.sigkill()
        subs.join()
        assert not subs.unexpected, subs.unexpected[:3]
        acked.update(subs.acked)
        in_flight += subs.in_flight
        assert db.exists()
        srv.start()  # the same database file
        print(f"round {round_no + 1}: {len(subs.acked)} acknowledged, {subs.in_flight} in flight at kill -9")
        assert subs.in_flight >= 1, "the kill did not interrupt the writers"
        _check_all_there(srv, q, acked, may_extra=in_flight)


def test_task_states_survive_kill_9(start_server, tmp_path):
    db = tmp_path / "states.db"
    q = queue_name("states")
    srv = start_server("--database", str(db), name="states")
    ids = [create(srv, name=f"t{i}", queue=q, payload={"i": i})["id"] for i in range(12)]
    for i in range(4):
        c = claim(srv, q, "w")
        worker(srv, c["id"], "complete", worker_id="w", result={"done": c["payload"]["i"]})
    c = claim(srv, q, "w")
    failed = worker(srv, c["id"], "fail", worker_id="w", error="nope", retry=False)
    c = claim(srv, q, "w")
    worker(srv, c["id"], "progress", worker_id="w", progress=0.5, message="half")
    running = get(srv, c["id"])
    short = claim(srv, q, "w2", lease=1)  # its lease runs out while the server is down
    cancelled = http(srv, "POST", f"{API}/tasks/{ids[-1]}/cancel").json()
    before = {t["id"]: t for t in list_all(srv, f"queue={q}")}
    status_before = queue_status(srv)["queues"][q]

    srv.sigkill()
    srv.start()
    after = {t["id"]: t for t in list_all(srv, f"queue={q}")}
    assert after.keys() == before.keys()
    for tid, t in before.items():
        if tid == short["id"]:
            continue
        assert after[tid] == t, f"task changed across kill -9:\n  before {t!r}\n  after  {after[tid]!r}"
    assert after[failed["id"]]["status"] == "failed" and after[cancelled["id"]]["status"] == "cancelled"
    assert after[running["id"]]["progress"] == 0.5 and after[running["id"]]["message"] == "half"
    # The worker holding a live lease carries on after the restart.
    assert worker(srv, running["id"], "complete", worker_id="w", result=1)["status"] == "completed"
    # The lease that ran out meanwhile is acted on after the restart, within about two seconds.
    t = wait_until(lambda: (x := get(srv, short["id"]))["status"] == "pending" and x, timeout=4,
                   what="the lease that ran out during the restart to be acted on")
    assert t["message"] == "lease expired" and t["attempts"] == 1, t
    st = queue_status(srv)["queues"][q]
    assert st == {**status_before, "running_tasks": 0, "completed_tasks": 5, "pending_tasks": status_before["pending_tasks"] + 1}, (status_before, st)
