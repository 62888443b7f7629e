"""Recovery over real sockets: reconnect with `since` and receive exactly the missed events, in
order, then live ones; a wrong epoch or a history that no longer reaches back is not recovered."""

import threading

from twclient import Client, publish, unique

SERVER_ARGS = ["--history-size", "20"]


def events(c: Client, n: int) -> list[dict]:
    out = []
    while len(out) < n:
        m = c.recv()
        if m["type"] == "custom":
            out.append(m)
    return out


def test_reconnect_with_since_gets_exactly_the_missed_events_then_live_ones(server, bystander):
    stream = unique("rec")
    with Client(server, query=f"?subscribe={stream}") as c:
        for i in range(3):
            publish(server, stream, {"i": i})
        seen = events(c, 3)
    assert [e["seq"] for e in seen] == [1, 2, 3]
    epoch = seen[-1]["epoch"]
    for i in range(3, 8):
        publish(server, stream, {"i": i})
    with Client(server) as c:
        c.send({"type": "subscribe", "id": 1, "event_types": [stream], "since": {stream: {"seq": 3, "epoch": epoch}}})
        ack = c.recv()
        assert ack == {"type": "ack", "id": 1, "subscriptions": [stream], "recovered": {stream: True}}, ack
        publish(server, stream, {"i": 8})
        got = events(c, 6)
        assert [e["seq"] for e in got] == [4, 5, 6, 7, 8, 9]
        assert [e["data"]["i"] for e in got] == [3, 4, 5, 6, 7, 8]
        c.no_message(0.2)
    bystander.check()


def test_events_published_during_the_replay_are_neither_lost_nor_doubled(server):
    stream = unique("rec")
    for i in range(15):
        publish(server, stream, {"i": i})
    with Client(server, query=f"?subscribe={stream}") as probe:
        publish(server, stream, {"i": 15})
        epoch = events(probe, 1)[0]["epoch"]
    stop = threading.Event()

    def keep_publishing():
        i = 16
        while not stop.is_set() and i < 60:
            publish(server, stream, {"i": i})
            i += 1

    t = threading.Thread(target=keep_publishing)
    t.start()
    try:
        with Client(server) as c:
            c.send({"type": "subscribe", "id": 2, "event_types": [stream], "since": {stream: {"seq": 5, "epoch": epoch}}})
            ack = c.recv()
            assert ack["recovered"] == {stream: True}, ack
            t.join()
            publish(server, stream, {"i": "end"})
            seqs = []
            while True:
                m = c.recv()
                if m["type"] != "custom":
                    continue
                seqs.append(m["seq"])
                if m["data"]["i"] == "end":
                    break
            assert seqs == list(range(6, seqs[-1] + 1)), seqs
    finally:
        stop.set()
        t.join()


def test_a_wrong_epoch_or_an_exhausted_history_is_not_recovered(server):
    stream = unique("rec")
    for i in range(30):  # the history keeps the last 20
        publish(server, stream, {"i": i})
    with Client(server, query=f"?subscribe={stream}") as probe:
        publish(server, stream, {"i": 30})
        epoch = events(probe, 1)[0]["epoch"]
    with Client(server) as c:
        c.send({"type": "subscribe", "id": 3, "event_types": [stream], "since": {stream: {"seq": 2, "epoch": epoch}}})
        assert c.recv()["recovered"] == {stream: False}
        c.no_message(0.2)
    with Client(server) as c:
        c.send({"type": "subscribe", "id": 4, "event_types": [stream], "since": {stream: {"seq": 30, "epoch": "other"}}})
        assert c.recv()["recovered"] == {stream: False}
        publish(server, stream, {"i": 31})
        assert [e["seq"] for e in events(c, 1)] == [32]
