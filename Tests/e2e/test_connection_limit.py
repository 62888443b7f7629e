"""--max-connections: 503 with Retry-After past the limit; a closed connection frees its slot at once."""

import time

import pytest
from websockets.exceptions import InvalidStatus

from twclient import Client, HandshakeRefused, RawWS, assert_error_body, http, metrics, publish, raw_handshake, unique, wait_for

SERVER_ARGS = ["--max-connections", "2", "--ping-interval", "20s", "--pong-timeout", "5s"]


def _wait_idle(server):
    wait_for(lambda: metrics(server)["active_connections"] == 0, 3, what="no active connections")


def _assert_refused_503(server):
    res = raw_handshake(server, "/ws")
    if isinstance(res, RawWS):
        res.close()
        pytest.fail("a connection past --max-connections was accepted; expected HTTP 503")
    assert res.status == 503, f"expected 503, got {res.status} {res.body!r}"
    ra = res.headers.get("retry-after")
    assert ra is not None, f"503 without Retry-After: {res.headers!r}"
    assert ra.strip().isdigit(), f"Retry-After should be a number of seconds: {ra!r}"
    assert_error_body(res, 503)


def test_past_max_connections_is_503_with_retry_after_and_json(server):
    _wait_idle(server)
    s = unique("lim")
    a = Client(server, f"?subscribe={s}")
    b = Client(server)
    try:
        _assert_refused_503(server)
        # The websockets package sees the same refusal.
        with pytest.raises(InvalidStatus) as e:
            Client(server)
        assert e.value.response.status_code == 503
        # The connections in place are unaffected, and HTTP is still served.
        assert http(server, "GET", "/healthz").status == 200
        assert publish(server, s, {"still": "here"}) == 1
        assert a.event(s)["data"] == {"still": "here"}
        b.assert_alive()
    finally:
        a.close()
        b.close()


def test_clean_close_frees_slot_at_once(server):
    _wait_idle(server)
    a = Client(server)
    b = Client(server)
    try:
        _assert_refused_503(server)
        b.close()  # close handshake completed: the slot must be free now
        c = Client(server)  # no retry: "at once"
        c.assert_alive()
        _assert_refused_503(server)
        c.close()
    finally:
        a.close()
        b.close()


def test_dropped_tcp_connection_frees_slot(start_server):
    """A client that vanishes without a close frame (TCP FIN only): its slot is free as soon as
    the server sees the end of the stream. (A server of its own: a leaked slot must not break
    the other tests.)"""
    srv = start_server("--max-connections", "2", "--ping-interval", "20s", "--pong-timeout", "5s")
    a = Client(srv)
    r = RawWS(srv, "/ws")
    r.read_welcome()
    try:
        _assert_refused_503(srv)
        r.close()  # TCP FIN, no close frame
        deadline = time.monotonic() + 1.0
        while True:
            res = raw_handshake(srv, "/ws")
            if isinstance(res, RawWS):
                res.read_welcome()
                res.close()
                break
            assert res.status == 503
            if time.monotonic() >= deadline:
                active = metrics(srv)["active_connections"]
                raise AssertionError(f"slot of a dropped connection not freed within 1s (active_connections={active})")
            time.sleep(0.05)
        a.assert_alive()  # the other client is unaffected
    finally:
        a.close()


def test_server_close_frees_slot(server):
    """A connection the server closes (admin DELETE) frees its slot at once too."""
    _wait_idle(server)
    a = Client(server)
    b = Client(server)
    try:
        r = http(server, "DELETE", f"/api/v1/connections/{b.id}")
        assert r.status == 204, r.text()
        assert b.wait_close(3) == 1008
        deadline = time.monotonic() + 1.0
        while True:
            try:
                Client(server).close()
                break
            except InvalidStatus as e:
                assert e.response.status_code == 503
                assert time.monotonic() < deadline, "slot of a connection closed by the server not freed within 1s"
                time.sleep(0.05)
    finally:
        a.close()
        b.close()
