"""Cluster mode: several `taskwire serve` processes on one PostgreSQL database, which is both the
task store and the event backplane.

Each test gets a schema of its own (`--database postgres://…?schema=tw_…`, created by the first
node to start, dropped after the test when `psql` is at hand), so every stream starts at seq 1.
Every event published on any node reaches the subscribers of every node with the same `seq` and
`epoch`, gapless and in order; `since` recovers from the database on any node; `/readyz` says
whether a node follows the event log; the lease reaper of any node requeues a dead node's leases.

Needs TASKWIRE_TEST_POSTGRES_URL (`export TASKWIRE_TEST_POSTGRES_URL="$(scripts/start-test-postgres)"`).
"""

from __future__ import annotations

import pytest

from clusterkit import CROSS, PG_URL, Cluster, PgProxy, Tape, assert_tape, db_url, events, readyz, task_view, ws_publish
from twclient import Client, assert_error_body, http, publish, unique, wait_for
from twtasks import API, claim, create, get, queue_name, queue_status, same_json, worker

if not PG_URL:
    pytest.skip("cluster mode needs PostgreSQL: TASKWIRE_TEST_POSTGRES_URL is unset "
                "(export TASKWIRE_TEST_POSTGRES_URL=\"$(scripts/start-test-postgres)\")", allow_module_level=True)

TASK_STREAMS = ["task_created", "task_updated", "task_completed", "task_failed"]
LEASE_ARGS = ("--lease-check-interval", "200ms")


@pytest.fixture
def cluster(start_server):
    c = Cluster(start_server)
    yield c
    c.close()


def drive(node, q: str, custom: str, expected: dict[str, list], tag: str) -> None:
    """Through ``node``'s APIs only: three tasks created, claimed, progressed, then one completed, one
    failed, one failed with retry (pending again); two custom events over HTTP, one over a WebSocket
    `custom` message; one system notification. Files the events each should make in ``expected``."""
    def made(stream: str, t: dict) -> dict:
        expected[stream].append(task_view(t, stream))
        return t

    for i in range(3):
        made("task_created", create(node, f"job-{tag}-{i}", queue=q, payload={"i": i}))
    for i in range(3):
        w = f"w-{tag}-{i}"
        t = made("task_updated", claim(node, q, worker=w))
        made("task_updated", worker(node, t["id"], "progress", worker_id=w, progress=0.5, message=f"half {tag}"))
        if i == 0:
            made("task_completed", worker(node, t["id"], "complete", worker_id=w, result={"tag": tag}))
        elif i == 1:
            made("task_failed", worker(node, t["id"], "fail", worker_id=w, error="boom", retry=False))
        else:
            assert made("task_updated", worker(node, t["id"], "fail", worker_id=w, error="again", retry=True))["status"] == "pending"
    for k in range(2):
        publish(node, custom, {"tag": tag, "k": k})
        expected[custom].append({"type": "custom", "data": {"tag": tag, "k": k}})
    with Client(node) as pub:
        ws_publish(pub, custom, {"tag": tag, "ws": True})
    expected[custom].append({"type": "custom", "data": {"tag": tag, "ws": True}})
    r = http(node, "POST", f"{API}/notifications", body={"level": "info", "title": f"note {tag}", "message": tag})
    assert r.status == 202, r.text()
    expected["system_notification"].append({"type": "notification", "level": "info", "title": f"note {tag}", "message": tag})


# ---------------------------------------------------------------- the tests

def test_a_client_on_a_sees_what_b_did_and_resumes_on_b_after_a_is_killed(cluster):
    """Tasks and events made through node B's API reach a client on node A, every stream numbered
    1, 2, 3, … in order. After `kill -9` of A, more happens on B; the client reconnects to B with
    `since` its last position per stream: every stream is recovered, the missed events follow, then
    live ones, and the whole tape is exactly what B did: nothing missed, nothing twice (a running
    task's update may be replaced by its next one, as PROTOCOL.md allows: see ``replaceable``)."""
    a, b = cluster.node("A"), cluster.node("B")
    custom = unique("feed")
    streams = [*TASK_STREAMS, custom, "system_notification"]
    expected: dict[str, list] = {s: [] for s in streams}
    tape = Tape()
    c = Client(a, "?subscribe=" + ",".join(streams))
    try:
        drive(b, queue_name("one"), custom, expected, "1")
        assert_tape(tape.read_all(c, expected).drain(c, 0.3), expected)
        since = tape.since()
        a.sigkill()
    finally:
        c.close()
    drive(b, queue_name("two"), custom, expected, "2")  # while the client is away
    with Client(b) as c:
        ack = c.request({"type": "subscribe", "id": "resume", "event_types": streams, "since": since}, timeout=CROSS)
        assert ack["type"] == "ack" and ack["recovered"] == {s: True for s in streams}, ack
        drive(b, queue_name("three"), custom, expected, "3")  # live, after the replay
        assert_tape(tape.read_all(c, expected), expected)
        c.no_message(0.5)


def test_both_nodes_number_a_stream_alike(cluster):
    """Events published alternately through A and B (over HTTP and WebSocket `custom` messages)
    reach a subscriber on each node as the identical sequence of (seq, epoch, data), numbered 1…N,
    each node's publications in the order it made them."""
    a, b = cluster.node("A"), cluster.node("B")
    s, n = unique("both"), 40
    with Client(a, f"?subscribe={s}") as ca, Client(b, f"?subscribe={s}") as cb, Client(a) as pa, Client(b) as pb:
        sent = []
        for i in range(n):
            node, pub = (a, pa) if i % 2 == 0 else (b, pb)
            d = {"i": i, "via": "A" if node is a else "B", "how": "http" if i % 4 < 2 else "ws"}
            if d["how"] == "http":
                publish(node, s, d)
            else:
                ws_publish(pub, s, d)
            sent.append(d)
        got_a = [(e["seq"], e["epoch"], e["data"]) for e in events(ca, n)]
        got_b = [(e["seq"], e["epoch"], e["data"]) for e in events(cb, n)]
        ca.no_message(0.3)
        cb.no_message(0.1)
    assert got_a == got_b, "the two nodes disagree"
    assert [x[0] for x in got_a] == list(range(1, n + 1)) and len({x[1] for x in got_a}) == 1, got_a
    assert sorted((x[2] for x in got_a), key=lambda d: d["i"]) == sent, "lost, doubled or altered"
    for via in ("A", "B"):
        order = [x[2]["i"] for x in got_a if x[2]["via"] == via]
        assert order == sorted(order), f"the events published through {via} came out of order: {order}"


def test_a_tasks_history_replays_on_the_other_node(cluster):
    """A task run through A; a client on B subscribing to task:<id> with `since` seq 0 gets the
    task's whole history from the database (more than the hub's memory holds, every event: a replay
    replaces nothing), then live events, as A's own subscriber saw them (same seq, epoch, content)
    and as the events endpoint lists them."""
    a, b = cluster.node("A", "--history-size", "5"), cluster.node("B", "--history-size", "5")
    q = queue_name("hist")
    t = create(a, "render", queue=q)
    stream = f"task:{t['id']}"
    with Client(a, f"?subscribe={stream}") as on_a:
        claim(a, q, worker="w")
        for i in range(10):
            worker(a, t["id"], "progress", worker_id="w", progress=(i + 1) / 11, message=f"step {i}")
        with Client(b) as on_b:
            ack = on_b.request({"type": "subscribe", "id": 1, "event_types": [stream],
                                "since": {stream: {"seq": 0, "epoch": ""}}}, timeout=CROSS)
            assert ack["recovered"] == {stream: True}, ack
            replay = events(on_b, 12)
            worker(a, t["id"], "complete", worker_id="w", result={"ok": True})
            got = replay + events(on_b, 1)
            on_b.no_message(0.3)
        live_a = [on_a.event(timeout=CROSS)]
        while live_a[-1]["status"] != "completed":
            live_a.append(on_a.event(timeout=CROSS))
    assert [e["seq"] for e in got] == list(range(1, 14)), [e["seq"] for e in got]
    assert [e["status"] for e in got] == ["pending"] + ["running"] * 11 + ["completed"]
    assert got[6]["message"] == "step 4" and len({e["epoch"] for e in got}) == 1
    # Live on A: the same events (a progress update may have been replaced by the next one).
    fields = ("seq", "epoch", "status", "progress", "message")
    assert [e["seq"] for e in live_a] == sorted({e["seq"] for e in live_a}) and live_a[-1]["seq"] == 13, live_a
    assert [[e[f] for f in fields] for e in live_a] == [[got[e["seq"] - 1][f] for f in fields] for e in live_a], \
        "node B's history differs from what A sent live"
    r = http(b, "GET", f"{API}/tasks/{t['id']}/events")
    assert r.status == 200, r.text()
    listed = r.json()["events"]
    assert [(e["seq"], e["status"], e["message"]) for e in listed] == [(e["seq"], e["status"], e["message"]) for e in got]


def test_readyz_says_whether_a_node_follows_the_event_log(cluster):
    """/readyz is 200 on both nodes once they follow the log. When B's database connections are cut
    it is 503 on B (A stays 200), and B refuses publishes (HTTP 503, WebSocket `unavailable`);
    once they are back it is 200 again, and B's subscriber gets the events published on A
    meanwhile, in order, with no gap."""
    proxy = PgProxy()
    try:
        a = cluster.node("A")
        b = cluster.node("B", url=db_url(cluster.schema, proxy.hostport))
        wait_for(lambda: readyz(a) == 200 and readyz(b) == 200, timeout=CROSS, what="/readyz 200 on both nodes")
        s = unique("gap")
        with Client(b, f"?subscribe={s}") as c:
            publish(a, s, {"i": 0})
            assert c.event(s, timeout=CROSS)["seq"] == 1
            proxy.cut()
            wait_for(lambda: readyz(b) == 503, timeout=CROSS, what="/readyz 503 on B while its database is cut off")
            assert readyz(a) == 200
            # B cannot take events meanwhile: publishing there is refused at once, not left waiting.
            refused = http(b, "POST", "/api/v1/publish", {"event_type": s, "data": {"i": -1}})
            assert_error_body(refused, 503, "unavailable")
            with Client(b) as pub:
                pub.send({"type": "custom", "id": 7, "event_type": s, "data": {"i": -1}})
                answer = pub.recv_until(lambda m: m.get("id") == 7, timeout=CROSS)
                assert answer["type"] == "error" and answer["code"] == "unavailable", answer
            for i in range(1, 4):
                publish(a, s, {"i": i})
            proxy.restore()
            wait_for(lambda: readyz(b) == 200, timeout=CROSS, what="/readyz 200 on B once its database is back")
            got = events(c, 3)
            assert [(e["seq"], e["data"]["i"]) for e in got] == [(2, 1), (3, 2), (4, 3)], got
            c.no_message(0.3)
    finally:
        proxy.close()


def test_a_lease_taken_on_a_killed_node_expires_through_the_other(cluster):
    """A worker claims through A with a 1 s lease; A is killed -9. Node B's reaper puts the task back
    to pending ("lease expired"); a client on B sees the claim (made on A) and then the requeue,
    numbered on without a gap; the task can be claimed again through B."""
    a, b = cluster.node("A", *LEASE_ARGS), cluster.node("B", *LEASE_ARGS)
    q = queue_name("lease")
    t = create(b, "job", queue=q)
    with Client(b, f"?subscribe=task:{t['id']}") as c:
        assert claim(a, q, worker="doomed", lease=1)["id"] == t["id"]
        a.sigkill()
        got = events(c, 2)
        c.no_message(0.3)
    assert [(e["seq"], e["status"]) for e in got] == [(2, "running"), (3, "pending")], got
    assert got[1]["message"] == "lease expired", got[1]
    now = get(b, t["id"])
    assert (now["status"], now["worker_id"], now["attempts"]) == ("pending", None, 1), now
    again = claim(b, q, worker="rescuer")
    assert again["id"] == t["id"] and again["attempts"] == 2, again


def test_two_reapers_expire_each_lease_once(cluster):
    """With both nodes alive (each running its reaper), five 2 s leases taken on either node expire once
    each: subscribers of queue:<q> on A and on B see the same 15 events (5 created, 5 claimed,
    5 requeued with "lease expired"), numbered 1…15."""
    a, b = cluster.node("A", *LEASE_ARGS), cluster.node("B", *LEASE_ARGS)
    q = queue_name("reap")
    stream = f"queue:{q}"
    with Client(a, f"?subscribe={stream}") as ca, Client(b, f"?subscribe={stream}") as cb:
        ids = [create(b if i % 2 else a, "job", queue=q)["id"] for i in range(5)]
        claimed = [claim(a if i % 2 else b, q, worker=f"w{i}", lease=2)["id"] for i in range(5)]
        assert sorted(claimed) == sorted(ids), claimed
        tapes = [Tape().read(c, lambda t: sum(e["message"] == "lease expired" for e in t.by_stream[stream]) >= 5)
                 for c in (ca, cb)]
        tapes[0].drain(ca, 1.5)  # a second reaper acting late would show up here
        tapes[1].drain(cb, 0.2)
    seen = [[(e["seq"], e["epoch"], e["task_id"], e["status"], e["message"]) for e in t.by_stream[stream]] for t in tapes]
    assert seen[0] == seen[1], "the nodes disagree"
    assert [x[0] for x in seen[0]] == list(range(1, 16)), seen[0]
    expired = [x[2] for x in seen[0] if x[4] == "lease expired"]
    assert sorted(expired) == sorted(ids), f"each lease must expire exactly once: {expired}"


def test_a_node_started_later_recovers_a_stream_from_the_database(cluster):
    """Events published on A before node B even started: a client on B subscribing with `since`
    seq 0 (in the cluster's epoch, as A's subscriber saw it) gets all of them from the database,
    then live ones; `since` a later seq gets the rest only."""
    a = cluster.node("A")
    s = unique("early")
    with Client(a, f"?subscribe={s}") as ca:
        for i in range(20):
            publish(a, s, {"i": i})
        epoch = events(ca, 20)[-1]["epoch"]
    b = cluster.node("B")
    with Client(b) as cb:
        ack = cb.request({"type": "subscribe", "id": 1, "event_types": [s], "since": {s: {"seq": 0, "epoch": epoch}}}, timeout=CROSS)
        assert ack["recovered"] == {s: True}, ack
        publish(a, s, {"i": 20})
        got = events(cb, 21)
        cb.no_message(0.3)
    assert [(e["seq"], e["data"]["i"], e["epoch"]) for e in got] == [(i + 1, i, epoch) for i in range(21)]
    with Client(b) as cb:
        ack = cb.request({"type": "subscribe", "id": 2, "event_types": [s], "since": {s: {"seq": 15, "epoch": epoch}}}, timeout=CROSS)
        assert ack["recovered"] == {s: True}, ack
        assert [e["seq"] for e in events(cb, 6)] == list(range(16, 22))
        cb.no_message(0.3)


def test_queue_status_changed_reaches_the_other_node(cluster):
    """Tasks created through B: a client on A gets queue_status_changed with B's counts of the queue."""
    a, b = cluster.node("A"), cluster.node("B")
    q = queue_name("st")
    with Client(a, "?subscribe=queue_status_changed") as c:
        for _ in range(3):
            create(b, "job", queue=q)
        m = c.recv_until(lambda m: m.get("type") == "queue_status" and (m.get("queues") or {}).get(q, {}).get("pending_tasks") == 3,
                         timeout=CROSS, what=f"queue_status with 3 pending in {q}")
    assert same_json(m["queues"][q], queue_status(b)["queues"][q]), m

