"""custom messages from clients: fan-out, seq/epoch, data passed through unchanged, forbidden streams."""

import json

import pytest

from twclient import Client, publish, unique

SERVER_ARGS = ["--ping-interval", "20s", "--pong-timeout", "5s"]

PAYLOADS = [
    None,
    0,
    -1,
    1234567890123456789,          # 19 digits: beyond a double's exact range
    -9223372036854775808,         # Int64.min
    9223372036854775807,          # Int64.max
    12345678901234567890123,      # beyond Int64
    0.1,
    1e300,
    True,
    False,
    "",
    "héllo \u2713 \U0001F600 \"quoted\" \\ back\nslash\t\u0000",
    [],
    {},
    [1, "two", None, [3, [4, {"five": 5}]]],
    {"a": {"b": {"c": {"d": [1, 2, {"e": None}]}}}, "n": 1234567890123456789, "s": "x" * 1000},
]


def _collect(client, stream, n, timeout=3):
    return [client.event(stream, timeout) for _ in range(n)]


def test_custom_reaches_subscribers_with_event_type_seq_epoch(server):
    s = unique("fan")
    sub1 = Client(server, f"?subscribe={s}")
    sub2 = Client(server, f"?subscribe={s}")
    other = Client(server, f"?subscribe={unique('other')}")
    sender = Client(server)
    try:
        for i in range(3):
            ack = sender.request({"type": "custom", "id": i, "event_type": s, "data": {"i": i}})
            assert ack == {**ack, "type": "ack", "id": i}, ack
            assert ack["delivered"] == 2, ack
        for sub in (sub1, sub2):
            evs = _collect(sub, s, 3)
            assert [e["seq"] for e in evs] == [1, 2, 3], evs
            assert [e["data"] for e in evs] == [{"i": 0}, {"i": 1}, {"i": 2}]
            for e in evs:
                assert e["type"] == "custom"
                assert e["event_type"] == s
                assert isinstance(e["epoch"], str) and e["epoch"]
            assert len({e["epoch"] for e in evs}) == 1, "one epoch within a stream"
        other.no_message(0.3)
        sender.no_message(0.1)  # not subscribed: gets only its acks
    finally:
        for c in (sub1, sub2, other, sender):
            c.close()


def test_sender_receives_its_own_message_when_subscribed(server):
    s = unique("self")
    with Client(server, f"?subscribe={s}") as c, Client(server, f"?subscribe={s}") as d:
        c.send({"type": "custom", "id": "m1", "event_type": s, "data": "mine"})
        ack = c.recv_until(lambda m: m.get("type") == "ack", what="ack")
        ev = c.event(s)
        assert ack["id"] == "m1" and ack["delivered"] == 2
        assert ev["data"] == "mine" and ev["seq"] == 1
        assert d.event(s)["data"] == "mine"


def test_custom_without_id_is_delivered_without_ack(server):
    s = unique("noack")
    with Client(server, f"?subscribe={s}") as sub, Client(server) as pub:
        pub.send({"type": "custom", "event_type": s, "data": [1]})
        assert sub.event(s)["data"] == [1]
        pub.no_message(0.3)


def test_data_passes_through_unchanged(server):
    s = unique("data")
    with Client(server, f"?subscribe={s}") as sub, Client(server) as pub:
        for i, payload in enumerate(PAYLOADS):
            ack = pub.request({"type": "custom", "id": i, "event_type": s, "data": payload})
            assert ack["type"] == "ack" and ack["delivered"] == 1, ack
        for i, payload in enumerate(PAYLOADS):
            ev = sub.event(s)
            assert ev["seq"] == i + 1
            assert ev["data"] == payload and type(ev["data"]) is type(payload), f"sent {payload!r}, got {ev['data']!r}"


def test_large_integers_keep_every_digit_on_the_wire(server):
    """The frame text itself carries the integers' digits (no float round trip)."""
    s = unique("bigint")
    with Client(server, f"?subscribe={s}") as sub, Client(server) as pub:
        pub.send('{"type":"custom","event_type":"%s","data":{"n":1234567890123456789,"m":[9007199254740993,-9007199254740993]}}' % s)
        text = sub.ws.recv(timeout=3)
        while json.loads(text).get("type") == "ping":
            text = sub.ws.recv(timeout=3)
        assert "1234567890123456789" in text, text
        assert "9007199254740993" in text and "-9007199254740993" in text, text


def test_seq_counts_events_with_no_subscriber(server):
    """An event is numbered whether or not anyone is subscribed."""
    s = unique("gap")
    with Client(server) as pub:
        for i in range(2):
            ack = pub.request({"type": "custom", "id": i, "event_type": s, "data": i})
            assert ack["delivered"] == 0
        with Client(server, f"?subscribe={s}") as sub:
            pub.request({"type": "custom", "id": 9, "event_type": s, "data": "third"})
            ev = sub.event(s)
            assert ev["seq"] == 3 and ev["data"] == "third"


def test_seq_is_per_stream_and_shared_with_http_publish(server):
    s1, s2 = unique("p1"), unique("p2")
    with Client(server, f"?subscribe={s1},{s2}") as sub, Client(server) as pub:
        pub.request({"type": "custom", "id": 1, "event_type": s1, "data": "a"})
        assert publish(server, s1, "b") == 1
        pub.request({"type": "custom", "id": 2, "event_type": s2, "data": "c"})
        pub.request({"type": "custom", "id": 3, "event_type": s1, "data": "d"})
        got = [sub.event(timeout=3) for _ in range(4)]
        by = {}
        for e in got:
            by.setdefault(e["event_type"], []).append((e["seq"], e["data"]))
        assert by[s1] == [(1, "a"), (2, "b"), (3, "d")], got
        assert by[s2] == [(1, "c")], got


def test_many_messages_gapless_in_order(server):
    s = unique("many")
    n = 200
    with Client(server, f"?subscribe={s}") as sub, Client(server) as pub:
        for i in range(n):
            pub.send({"type": "custom", "event_type": s, "data": i})
        evs = [sub.event(s, timeout=5) for _ in range(n)]
        assert [e["seq"] for e in evs] == list(range(1, n + 1))
        assert [e["data"] for e in evs] == list(range(n))


@pytest.mark.parametrize("stream", [
    "task_created", "task_updated", "task_completed", "task_failed", "queue_status_changed",
    "system_notification", "user_notification", "task:x", "queue:y",
])
def test_publishing_on_server_streams_is_forbidden(server, bystander, stream):
    with Client(server, f"?subscribe={stream}") as c:
        err = c.request({"type": "custom", "id": "f", "event_type": stream, "data": {"fake": True}})
        assert err["type"] == "error" and err["code"] == "forbidden" and err["id"] == "f", err
        assert isinstance(err["message"], str) and err["message"]
        c.no_message(0.2)  # and nothing was delivered to the subscriber (itself)
        c.assert_alive()
    bystander.check()


def test_publishing_on_invalid_stream_is_invalid_event_type(server):
    with Client(server) as c:
        err = c.request({"type": "custom", "id": 3, "event_type": "no spaces", "data": 1})
        assert err["type"] == "error" and err["code"] == "invalid_event_type" and err["id"] == 3, err
        c.assert_alive()
