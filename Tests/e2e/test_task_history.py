"""A task's whole event history over real sockets: `task:<id>` is numbered by the task store, so a
subscription with `since` seq 0 replays every event of the task, also after the server restarted;
a stream not recovered gets a `resync` hint in the ack."""

from twclient import Client, publish, unique
from twtasks import claim, create, queue_name, worker

SERVER_ARGS = ["--history-size", "5"]


def _task_events(c: Client, n: int) -> list[dict]:
    out = []
    while len(out) < n:
        m = c.recv()
        if m["type"] == "task_update":
            out.append(m)
    return out


def _run_task(srv, q: str, progress_steps: int) -> str:
    t = create(srv, "render", queue=q)
    assert claim(srv, q, worker="w")["id"] == t["id"]
    for i in range(progress_steps):
        worker(srv, t["id"], "progress", worker_id="w", progress=(i + 1) / (progress_steps + 1), message=f"step {i}")
    worker(srv, t["id"], "complete", worker_id="w", result={"ok": True})
    return t["id"]


def test_since_zero_replays_a_tasks_whole_history_after_a_restart(start_server, tmp_path):
    srv = start_server("--database", str(tmp_path / "history.db"), "--history-size", "5", name="history")
    q = queue_name("hist")
    # 1 created + 1 claimed + 12 progress + 1 completed: more than the hub keeps in memory (5).
    tid = _run_task(srv, q, progress_steps=12)
    with Client(srv) as c:
        c.send({"type": "subscribe", "id": 1, "event_types": [f"task:{tid}"], "since": {f"task:{tid}": {"seq": 0, "epoch": ""}}})
        ack = c.recv()
        assert ack == {"type": "ack", "id": 1, "subscriptions": [f"task:{tid}"], "recovered": {f"task:{tid}": True}}, ack
        before = _task_events(c, 15)
    assert [e["seq"] for e in before] == list(range(1, 16))
    assert [e["status"] for e in before] == ["pending"] + ["running"] * 13 + ["completed"]
    assert before[5]["message"] == "step 3"
    epoch = before[0]["epoch"]
    assert all(e["epoch"] == epoch and e["event_type"] == f"task:{tid}" for e in before)

    srv.stop()
    srv.start()  # the same database: the hub's memory is empty, the store still has it all
    with Client(srv) as c:
        c.send({"type": "subscribe", "id": 2, "event_types": [f"task:{tid}"], "since": {f"task:{tid}": {"seq": 0, "epoch": ""}}})
        assert c.recv()["recovered"] == {f"task:{tid}": True}
        assert _task_events(c, 15) == before, "the same events, byte for byte in meaning, after the restart"
        c.no_message(0.2)
    with Client(srv) as c:
        c.send({"type": "subscribe", "id": 3, "event_types": [f"task:{tid}"], "since": {f"task:{tid}": {"seq": 9, "epoch": epoch}}})
        assert c.recv()["recovered"] == {f"task:{tid}": True}
        assert [e["seq"] for e in _task_events(c, 6)] == list(range(10, 16))
        c.no_message(0.2)


def test_live_events_continue_the_stores_numbering_after_a_restart(start_server, tmp_path):
    srv = start_server("--database", str(tmp_path / "numbering.db"), name="numbering")
    q = queue_name("num")
    t = create(srv, "job", queue=q)
    claim(srv, q, worker="w")
    srv.stop()
    srv.start()
    with Client(srv, query=f"?subscribe=task:{t['id']}") as c:
        worker(srv, t["id"], "progress", worker_id="w", progress=0.5)
        worker(srv, t["id"], "complete", worker_id="w", result=1)
        got = _task_events(c, 2)
        assert [e["seq"] for e in got] == [3, 4]
        # Reconnecting from the first live event recovers the rest (from the hub's history).
        with Client(srv) as again:
            again.send({"type": "subscribe", "id": 4, "event_types": [f"task:{t['id']}"],
                        "since": {f"task:{t['id']}": {"seq": 3, "epoch": got[0]["epoch"]}}})
            assert again.recv()["recovered"] == {f"task:{t['id']}": True}
            assert [e["seq"] for e in _task_events(again, 1)] == [4]


def test_an_unrecoverable_stream_gets_a_resync_hint(server, bystander):
    stream = unique("gone")
    publish(server, stream, {"i": 1})
    with Client(server) as c:
        c.send({"type": "subscribe", "id": 5, "event_types": [stream, "task_updated"],
                "since": {stream: {"seq": 1, "epoch": "not-this-one"}, "task_updated": {"seq": 7, "epoch": "nor-this"}}})
        ack = c.recv()
        assert ack["recovered"] == {stream: False, "task_updated": False}, ack
        hint = ack["resync"]
        assert set(hint) == {stream, "task_updated"}
        assert hint[stream]["seq"] == 1 and "snapshot" not in hint[stream], hint
        assert hint["task_updated"]["snapshot"] == "/api/v1/tasks", hint
        # Live events follow the position in the hint.
        publish(server, stream, {"i": 2})
        e = c.recv_until(lambda m: m.get("type") == "custom")
        assert e["seq"] == hint[stream]["seq"] + 1 and e["epoch"] == hint[stream]["epoch"]
    bystander.check()
