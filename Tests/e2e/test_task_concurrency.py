"""Concurrency over HTTP: 1,000 tasks, 8 claimers racing for them until 204.

Each task must be claimed exactly once and none may be lost: every claimer keeps its own
kept-alive connection, claims, completes, and stops at the first 204.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from twtasks import API, Session, counts_of, expected_counts, list_all, queue_name, queue_status

SERVER_ARGS = ["--ping-interval", "30s"]

TASKS = 1000
SUBMITTERS = 8
CLAIMERS = 8


def _run_threads(n: int, target) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # collected and re-raised by the test
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    return errors


def test_1000_tasks_8_claimers_each_claimed_exactly_once(server):
    q = queue_name("race")
    created: list[list[str]] = [[] for _ in range(SUBMITTERS)]

    def submit(i):
        s = Session(server)
        try:
            for k in range(i, TASKS, SUBMITTERS):
                r = s.request("POST", f"{API}/tasks", {"name": f"t{k}", "queue": q, "payload": {"k": k}})
                assert r.status == 201, (r.status, r.body[:300])
                created[i].append(r.json()["id"])
        finally:
            s.close()

    t0 = time.monotonic()
    errors = _run_threads(SUBMITTERS, submit)
    assert not errors, errors[:3]
    ids = [tid for part in created for tid in part]
    assert len(ids) == len(set(ids)) == TASKS
    assert counts_of(server, q) == expected_counts(pending=TASKS)
    t_submit = time.monotonic() - t0

    claimed: list[list[tuple[str, int]]] = [[] for _ in range(CLAIMERS)]
    ends = [0] * CLAIMERS

    def claimer(i):
        s = Session(server)
        wid = f"claimer-{i}"
        try:
            while True:
                r = s.request("POST", f"{API}/queues/{q}/claim", {"worker_id": wid, "lease_seconds": 300})
                if r.status == 204:
                    ends[i] += 1
                    return
                assert r.status == 200, (r.status, r.body[:300])
                t = r.json()
                assert t["status"] == "running" and t["worker_id"] == wid and t["queue"] == q, t
                claimed[i].append((t["id"], t["attempts"]))
                c = s.request("POST", f"{API}/tasks/{t['id']}/complete", {"worker_id": wid, "result": {"by": wid}})
                assert c.status == 200, (c.status, c.body[:300])
                assert c.json()["status"] == "completed"
        finally:
            s.close()

    t1 = time.monotonic()
    errors = _run_threads(CLAIMERS, claimer)
    assert not errors, errors[:3]
    t_claim = time.monotonic() - t1

    everything = [c for part in claimed for c in part]
    times = Counter(tid for tid, _ in everything)
    twice = [tid for tid, n in times.items() if n > 1]
    assert not twice, f"{len(twice)} tasks were claimed more than once, e.g. {twice[:3]}"
    assert set(times) == set(ids), f"{len(set(ids) - set(times))} tasks were never claimed"
    assert all(a == 1 for _, a in everything), "a claim answered attempts != 1"
    assert ends == [1] * CLAIMERS
    # More than one claimer got work (the race was real).
    assert sum(1 for part in claimed if part) >= 2, [len(p) for p in claimed]

    assert counts_of(server, q) == expected_counts(completed=TASKS)
    st = queue_status(server)
    assert st["running_tasks"] == 0 or q not in st["queues"] or st["queues"][q]["running_tasks"] == 0
    done = list_all(server, f"queue={q}", limit=500)
    assert len(done) == TASKS and {t["id"] for t in done} == set(ids)
    by_id = {t["id"]: t for t in done}
    winner = {tid: f"claimer-{i}" for i, part in enumerate(claimed) for tid, _ in part}
    for tid, t in by_id.items():
        assert t["status"] == "completed" and t["attempts"] == 1, t
        assert t["worker_id"] == winner[tid] and t["result"] == {"by": winner[tid]}, t
    print(f"submit {TASKS} with {SUBMITTERS} threads: {t_submit:.2f}s; claim+complete with {CLAIMERS}: {t_claim:.2f}s; "
          f"per claimer {[len(p) for p in claimed]}")
