"""The upgrade and the first message: welcome, query subscriptions, refusals before the upgrade."""

import json
import urllib.parse

import pytest
from websockets.exceptions import InvalidStatus

from twclient import Client, RawWS, HandshakeRefused, assert_error_body, publish, raw_handshake, unique

SERVER_ARGS = [
    "--ping-interval", "20s",
    "--pong-timeout", "7s",
    "--max-message-size", "100000",
    "--max-connections", "50",
]

WELCOME_FIELDS = {"type", "client_id", "user_id", "session_id", "subscriptions",
                  "ping_interval_ms", "pong_timeout_ms", "max_message_size", "server"}


def test_welcome_is_first_with_all_fields_and_configured_numbers(server):
    with Client(server) as c:
        w = c.welcome
        missing = WELCOME_FIELDS - w.keys()
        assert not missing, f"welcome lacks {missing}: {w!r}"
        assert isinstance(w["client_id"], str) and w["client_id"]
        assert w["user_id"] is None, "anonymous connection: user_id is null"
        assert w["session_id"] is None, "anonymous connection: session_id is null"
        assert w["subscriptions"] == []
        assert w["ping_interval_ms"] == 20000
        assert w["pong_timeout_ms"] == 7000
        assert w["max_message_size"] == 100000
        assert isinstance(w["server"], str) and w["server"].startswith("taskwire/"), w["server"]
        # Nothing else is sent unprompted.
        c.no_message(0.3)


def test_welcome_is_first_on_raw_socket(server):
    """The very first frame of the connection is the welcome, as one text frame of one JSON object."""
    with RawWS(server, "/ws") as r:
        f = r.recv_frame(3)
        assert f.opcode == 0x1 and f.fin, f"first frame is not a whole text frame: {f!r}"
        w = json.loads(f.payload)
        assert w["type"] == "welcome"
        assert WELCOME_FIELDS <= w.keys()


def test_client_ids_are_unique(server):
    clients = [Client(server) for _ in range(5)]
    try:
        ids = [c.id for c in clients]
        assert len(set(ids)) == 5, ids
    finally:
        for c in clients:
            c.close()


def test_query_subscriptions_appear_in_welcome(server):
    a, b = unique("qa"), unique("qb")
    with Client(server, f"?subscribe={a},{b}") as c:
        assert sorted(c.welcome["subscriptions"]) == sorted([a, b])


def test_query_subscriptions_are_active_and_deliver(server):
    a, b = unique("qa"), unique("qb")
    with Client(server, f"?subscribe={a},{b}") as c:
        assert publish(server, a, {"x": 1}) == 1
        ev = c.event(a)
        assert ev["data"] == {"x": 1} and ev["event_type"] == a and ev["seq"] == 1
        assert publish(server, b, [1, 2]) == 1
        assert c.event(b)["data"] == [1, 2]


def test_query_subscriptions_wellknown_and_scoped(server):
    names = ["task_created", "task_updated", "queue_status_changed", "task:abc-1", "queue:default"]
    q = urllib.parse.quote(",".join(names), safe=",")
    with Client(server, f"?subscribe={q}") as c:
        assert sorted(c.welcome["subscriptions"]) == sorted(names)


def test_query_subscriptions_duplicates_collapse(server):
    a = unique("qd")
    with Client(server, f"?subscribe={a},{a}") as c:
        assert c.welcome["subscriptions"] == [a]


@pytest.mark.parametrize("bad", [
    "bad name",          # space
    "bad$name",          # character outside the set
    "x" * 129,           # too long
    "task:bad/id",       # '/' not allowed in a task id
    "queue:" + "q" * 65,  # queue name too long
    "ok,bad!",           # one bad name among good ones
], ids=["space", "dollar", "too-long", "task-slash", "queue-too-long", "one-bad-of-two"])
def test_invalid_query_subscribe_is_400_json_before_upgrade(server, bad):
    path = "/ws?subscribe=" + urllib.parse.quote(bad, safe=",")
    res = raw_handshake(server, path)
    if isinstance(res, RawWS):
        res.close()
        pytest.fail(f"upgrade accepted with subscribe={bad!r}; expected HTTP 400")
    assert_error_body(res, 400, code="bad_request")


def test_invalid_query_subscribe_refused_to_websockets_client(server):
    with pytest.raises(InvalidStatus) as e:
        Client(server, "?subscribe=no%20spaces")
    assert e.value.response.status_code == 400
    body = json.loads(e.value.response.body)
    assert body["error"]["code"] == "bad_request"


def test_refused_upgrade_does_not_take_a_connection(server):
    """A refused upgrade leaves the server serving others; a good client connects right after."""
    for _ in range(3):
        res = raw_handshake(server, "/ws?subscribe=%24")
        assert isinstance(res, HandshakeRefused) and res.status == 400
    with Client(server) as c:
        c.assert_alive()


# The server reads a connection's first request itself: a WebSocket upgrade never goes through
# the HTTP decoder, anything else is handed to it with the bytes already read.

def _raw_request(server, head: bytes, chunk: int | None = None, extra: bytes = b"", read_for: float = 1.0) -> bytes:
    """Sends `head` (+ `extra`), `chunk` bytes at a time if given; returns what came back in `read_for` s."""
    import socket
    import time
    data = head + extra
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if chunk:
            for i in range(0, len(data), chunk):
                s.sendall(data[i:i + chunk])
                time.sleep(0.002)
        else:
            s.sendall(data)
        got = b""
        deadline = time.monotonic() + read_for
        s.settimeout(0.1)
        while time.monotonic() < deadline:
            try:
                part = s.recv(65536)
            except socket.timeout:
                continue
            if not part:
                break
            got += part
        return got


def _upgrade_head(path="/ws", lines=None) -> bytes:
    lines = lines if lines is not None else ["Upgrade: websocket", "Connection: Upgrade"]
    head = [f"GET {path} HTTP/1.1", "Host: localhost", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13", *lines]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def test_upgrade_headers_in_any_case_and_token_lists_are_accepted(server):
    head = _upgrade_head(lines=["uPGRADE:\tWebSocket ", "connection: keep-alive,  UPGRADE"])
    got = _raw_request(server, head, read_for=0.5)
    assert got.startswith(b"HTTP/1.1 101 Switching Protocols\r\n"), got[:200]
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in got
    assert b'"type":"welcome"' in got


def test_a_head_sent_byte_by_byte_is_upgraded(server):
    got = _raw_request(server, _upgrade_head("/ws?subscribe=bytewise"), chunk=1, read_for=1.5)
    assert got.startswith(b"HTTP/1.1 101 "), got[:200]
    assert b'"subscriptions":["bytewise"]' in got


def test_a_frame_in_the_same_write_as_the_head_is_handled(server):
    payload = b'{"type":"ping","id":41}'
    mask = b"\x01\x02\x03\x04"
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    got = _raw_request(server, _upgrade_head(), extra=frame, read_for=0.7)
    assert got.startswith(b"HTTP/1.1 101 "), got[:200]
    assert b'"type":"pong"' in got and b'"id":41' in got, got[-300:]


@pytest.mark.parametrize("lines", [
    ["Connection: Upgrade"],                                   # no Upgrade header
    ["Upgrade: websocket"],                                    # no Connection: upgrade
    ["Upgrade: websocket", "Connection: Upgrade", "X-Folded: a", " b"],  # obs-fold
])
def test_a_first_request_that_is_not_a_plain_upgrade_is_served_as_http(server, lines):
    got = _raw_request(server, _upgrade_head(lines=lines), read_for=0.7)
    status = got.split(b"\r\n", 1)[0]
    assert not status.startswith(b"HTTP/1.1 101"), got[:200]
    assert status.startswith(b"HTTP/1.1 4"), got[:200]


def test_plain_get_on_the_websocket_path_is_404_and_the_connection_serves_http(server):
    req = b"GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    got = _raw_request(server, req, read_for=0.7)
    responses = got.split(b"HTTP/1.1 ")[1:]
    assert len(responses) == 2, got[:500]
    assert responses[0].startswith(b"404"), responses[0][:200]
    assert b'"error"' in responses[0]
    assert responses[1].startswith(b"200"), responses[1][:200]


def test_an_upgrade_on_another_path_is_answered_by_the_router(server):
    got = _raw_request(server, _upgrade_head("/elsewhere"), read_for=0.5)
    assert got.startswith(b"HTTP/1.1 404"), got[:200]
