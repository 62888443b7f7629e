"""Bad input: each gets its documented error and the connection stays open, until the limits:
more than --max-bad-messages errors in a minute closes with 1008, an oversized message with 1009."""

import json

import pytest

from twclient import OP_BINARY, OP_CONT, OP_TEXT, Client, RawWS, unique

MAX_BAD = 3
MAX_SIZE = 4096
SERVER_ARGS = ["--max-bad-messages", str(MAX_BAD), "--max-message-size", str(MAX_SIZE),
               "--ping-interval", "20s", "--pong-timeout", "5s"]

# (id, text sent, expected code, expected id in the error)
BAD = [
    ("not-json", "this is not json", "bad_message", None),
    ("truncated-json", '{"type":"ping"', "bad_message", None),
    ("trailing-garbage", '{"type":"ping"} x', "bad_message", None),
    ("empty", "", "bad_message", None),
    ("json-array", "[1,2,3]", "bad_message", None),
    ("json-string", '"ping"', "bad_message", None),
    ("json-null", "null", "bad_message", None),
    ("no-type", '{"id":1,"event_types":["a"]}', "bad_message", 1),
    ("type-number", '{"type":5,"id":2}', "bad_message", 2),
    ("type-null", '{"type":null,"id":3}', "bad_message", 3),
    ("id-object", '{"type":"ping","id":{"a":1}}', "bad_message", None),
    ("event_types-string", '{"type":"subscribe","id":4,"event_types":"a"}', "bad_message", 4),
    ("event_types-numbers", '{"type":"subscribe","id":5,"event_types":[1,2]}', "bad_message", 5),
    ("event_types-missing", '{"type":"subscribe","id":6}', "bad_message", 6),
    ("unsubscribe-event_types-object", '{"type":"unsubscribe","id":7,"event_types":{"a":1}}', "bad_message", 7),
    ("custom-event_type-number", '{"type":"custom","id":8,"event_type":7,"data":1}', "bad_message", 8),
    ("custom-event_type-missing", '{"type":"custom","id":9,"data":1}', "bad_message", 9),
    ("since-not-object", '{"type":"subscribe","id":10,"event_types":["a"],"since":5}', "bad_message", 10),
    ("unknown-type", '{"type":"frobnicate","id":11}', "unknown_type", 11),
    ("unknown-type-string-id", '{"type":"SUBSCRIBE","id":"abc"}', "unknown_type", "abc"),
    ("invalid-stream-subscribe", '{"type":"subscribe","id":12,"event_types":["bad name"]}', "invalid_event_type", 12),
    ("invalid-stream-unsubscribe", '{"type":"unsubscribe","id":13,"event_types":["bad/name"]}', "invalid_event_type", 13),
    ("invalid-stream-custom", '{"type":"custom","id":14,"event_type":"bad*name","data":1}', "invalid_event_type", 14),
]


@pytest.mark.parametrize("text,code,rid", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_message_gets_error_and_connection_stays_open(server, bystander, text, code, rid):
    with Client(server) as c:
        c.send(text)
        err = c.recv()
        assert err["type"] == "error", f"expected an error for {text!r}, got {err!r}"
        assert {"code", "message", "id"} <= err.keys(), f"error lacks fields: {err!r}"
        assert err["code"] == code, f"for {text!r}: expected {code}, got {err!r}"
        assert err["id"] == rid, f"for {text!r}: expected id {rid!r}, got {err!r}"
        assert isinstance(err["message"], str) and err["message"]
        c.assert_alive()
        c.no_message(0.1)
    bystander.check()


def test_binary_frame_is_bad_message_and_connection_stays_open(server, bystander):
    with Client(server) as c:
        c.send(b'{"type":"ping"}')
        err = c.recv()
        assert err["type"] == "error" and err["code"] == "bad_message" and err["id"] is None, err
        c.assert_alive()
    # and from a raw client, a binary frame that is not JSON at all
    with RawWS(server) as r:
        r.read_welcome()
        r.send_frame(OP_BINARY, bytes(range(256)))
        err = r.recv_json()
        assert err["type"] == "error" and err["code"] == "bad_message", err
        r.send_json({"type": "ping"})
        assert r.recv_json()["type"] == "pong"
    bystander.check()


def test_up_to_max_bad_messages_the_connection_stays_open(server):
    with Client(server) as c:
        for i in range(MAX_BAD):
            c.send("nope")
            assert c.recv()["code"] == "bad_message"
        c.assert_alive()


def test_more_than_max_bad_messages_in_a_minute_closes_1008(server, bystander):
    with Client(server) as c:
        for i in range(MAX_BAD):
            c.send({"type": "nope", "id": i})
            err = c.recv()
            assert err["code"] == "unknown_type"
        c.assert_alive()
        c.send({"type": "nope", "id": "last"})
        code = c.wait_close(3)
        assert code == 1008, f"expected close 1008 after {MAX_BAD + 1} errors, got {code}"
    bystander.check()


def test_errors_of_every_kind_count_towards_max_bad_messages(server, bystander):
    with Client(server) as c:
        c.send("not json")
        c.send({"type": "custom", "event_type": "task_created", "data": 1})   # forbidden
        c.send({"type": "subscribe", "event_types": ["bad name"]})          # invalid_event_type
        codes = [c.recv()["code"] for _ in range(3)]
        assert codes == ["bad_message", "forbidden", "invalid_event_type"], codes
        c.send(b"\x00")  # binary
        assert c.wait_close(3) == 1008
    bystander.check()


def _message_of_size(n: int, stream: str) -> str:
    head = '{"type":"custom","id":1,"event_type":"%s","data":"' % stream
    tail = '"}'
    pad = n - len(head) - len(tail)
    assert pad >= 0
    text = head + "x" * pad + tail
    assert len(text.encode()) == n
    return text


def test_message_at_max_message_size_is_accepted(server):
    s = unique("max")
    with Client(server, f"?subscribe={s}", compression=None) as c:
        c.send(_message_of_size(MAX_SIZE, s))
        ack = c.recv_until(lambda m: m.get("type") in ("ack", "error"))
        assert ack["type"] == "ack", f"a message of exactly --max-message-size was refused: {ack!r}"
        assert len(c.event(s)["data"]) > 4000


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_message_over_max_message_size_closes_1009(server, bystander, compression):
    s = unique("big")
    with Client(server, compression=compression) as c:
        c.send(_message_of_size(MAX_SIZE + 1, s))
        code = c.wait_close(3)
        assert code == 1009, f"expected close 1009, got {code}"
    bystander.check()


def test_single_frame_over_max_message_size_closes_1009(server, bystander):
    with RawWS(server) as r:
        r.read_welcome()
        r.send_frame(OP_TEXT, _message_of_size(2 * MAX_SIZE, "big").encode())
        c = r.wait_close(3)
        assert c.code == 1009, f"expected close 1009, got {c}"
    bystander.check()


def test_fragmented_message_over_max_message_size_closes_1009(server, bystander):
    """Each fragment is small; the message is not."""
    text = _message_of_size(MAX_SIZE + 1500, "big").encode()
    parts = [text[i:i + 1000] for i in range(0, len(text), 1000)]
    with RawWS(server) as r:
        r.read_welcome()
        for i, p in enumerate(parts):
            try:
                r.send_frame(OP_TEXT if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1))
            except OSError:
                break  # the server may already have closed
        c = r.wait_close(3)
        assert c.code == 1009, f"expected close 1009, got {c}"
    bystander.check()
