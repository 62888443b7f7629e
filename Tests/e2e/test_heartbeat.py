"""Heartbeat: app-level ping/pong, server pings per --ping-interval, 4002 after --pong-timeout."""

import json
import statistics
import time

from twclient import Client, RawWS, RawClosed, metrics, publish, unique

PING_INTERVAL = 0.5
PONG_TIMEOUT = 1.0
SERVER_ARGS = ["--ping-interval", "500ms", "--pong-timeout", "1s"]


def test_app_ping_is_answered_with_pong(server):
    with Client(server) as c:
        c.send({"type": "ping"})
        m = c.recv()
        assert m["type"] == "pong", m


def test_app_ping_with_id_is_answered_once(server):
    with Client(server) as c:
        m = c.request({"type": "ping", "id": 77})
        assert m["id"] == 77 and m["type"] in ("pong", "ack"), m
        c.no_message(0.3)


def test_websocket_ping_frame_is_answered_with_pong_frame(server):
    with Client(server) as c:
        assert c.ws.ping(b"hello").wait(2), "no pong frame for a ping frame"


def test_server_sends_ping_frames_and_ping_messages_per_interval(server):
    with RawWS(server, "/ws", answer_pings=True, answer_app_pings=True) as r:
        r.read_welcome()
        start = time.monotonic()
        r.pump(2.7)
        frames = [t - start for t in r.ping_frames]
        msgs = [t - start for t in r.app_pings]
        assert len(frames) >= 3, f"ping frames at {frames} over 2.7s with --ping-interval 500ms"
        assert len(msgs) >= 3, f'{{"type":"ping"}} messages at {msgs} over 2.7s with --ping-interval 500ms'
        assert len(frames) <= 8 and len(msgs) <= 8, f"too many pings: frames {frames}, messages {msgs}"
        for name, ts in (("frames", frames), ("messages", msgs)):
            gaps = [b - a for a, b in zip(ts, ts[1:])]
            mean = statistics.mean(gaps)
            assert 0.6 * PING_INTERVAL <= mean <= 1.6 * PING_INTERVAL, f"ping {name} every {mean:.3f}s on average (gaps {gaps}); --ping-interval is 500ms"
            assert ts[0] <= 2.5 * PING_INTERVAL, f"first ping {name} only after {ts[0]:.2f}s"


def test_client_answering_ping_frames_only_stays_connected(server):
    """A stock client (the websockets package answers ping frames, nothing else) is not timed out."""
    s = unique("hb")
    with Client(server, f"?subscribe={s}") as c:
        try:
            m = c.recv(timeout=3 * PONG_TIMEOUT)  # skips (and counts) {"type":"ping"}
            raise AssertionError(f"unexpected message {m!r}")
        except TimeoutError:
            pass
        assert c.server_pings >= 3, f"only {c.server_pings} ping messages in {3 * PONG_TIMEOUT}s"
        assert publish(server, s, "alive") == 1
        assert c.event(s)["data"] == "alive"


def test_client_answering_pong_messages_only_stays_connected(server):
    """A client that ignores ping frames but answers {"type":"ping"} with {"type":"pong"} is alive too."""
    with RawWS(server, "/ws", answer_pings=False, answer_app_pings=True) as r:
        r.read_welcome()
        try:
            r.pump(3 * PONG_TIMEOUT)
        except RawClosed as c:
            raise AssertionError(f"closed although it answered every ping message with pong: {c}")
        assert len(r.app_pings) >= 3
        r.send_json({"type": "ping"})
        assert r.recv_json()["type"] == "pong"


def test_silent_client_is_closed_with_4002_and_others_keep_working(server, bystander):
    before = metrics(server)["ping_timeouts"]
    with RawWS(server, "/ws", answer_pings=False, answer_app_pings=False) as r:
        r.read_welcome()
        start = time.monotonic()
        closed = r.wait_close(timeout=PING_INTERVAL * 2 + PONG_TIMEOUT + 3)
        took = time.monotonic() - start
        assert closed.code == 4002, f"expected close 4002, got {closed}"
        assert r.ping_frames, "closed without having been pinged"
        since_ping = time.monotonic() - r.ping_frames[0]
        assert since_ping >= PONG_TIMEOUT * 0.9, f"closed {since_ping:.2f}s after the first ping, before --pong-timeout 1s"
        assert took <= PING_INTERVAL * 2 + PONG_TIMEOUT + 1.5, f"closed only after {took:.2f}s"
    bystander.check()
    after = metrics(server)["ping_timeouts"]
    assert after >= before + 1, f"ping_timeouts {before} -> {after}"


def test_no_heartbeat_sends_no_pings_and_closes_nobody(start_server):
    srv = start_server("--no-heartbeat", "--ping-interval", "200ms", "--pong-timeout", "300ms")
    with RawWS(srv, "/ws", answer_pings=False) as r:
        r.read_welcome()
        got = r.pump(1.5)
        assert not r.ping_frames, "ping frames sent with --no-heartbeat"
        assert not r.app_pings and not got, f"messages sent with --no-heartbeat: {got}"
        r.send_json({"type": "ping"})
        assert r.recv_json()["type"] == "pong"
