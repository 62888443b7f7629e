"""Graceful shutdown: SIGTERM closes every client with 1001 and the process exits 0."""

import threading
import time

from twclient import Client, RawWS, RawClosed, unique


def test_sigterm_closes_every_client_with_1001_and_exits_0(start_server):
    srv = start_server("--shutdown-grace-period", "3s", "--ping-interval", "20s")
    s = unique("bye")
    clients = [Client(srv, f"?subscribe={s}"), Client(srv), Client(srv, compression=None)]
    raw = RawWS(srv, "/ws")
    raw.read_welcome()
    codes = {}

    def watch(i, c):
        codes[i] = c.wait_close(10)

    threads = [threading.Thread(target=watch, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    srv.terminate()
    t0 = time.monotonic()
    closed = raw.wait_close(10)
    for t in threads:
        t.join(12)
    rc = srv.wait(timeout=15)
    took = time.monotonic() - t0
    assert closed.code == 1001, f"raw client: expected close 1001, got {closed}"
    assert codes == {0: 1001, 1: 1001, 2: 1001}, f"close codes seen by the clients: {codes}"
    assert rc == 0, f"exit status {rc} after SIGTERM"
    assert took < 8, f"shutdown took {took:.1f}s with every client answering the close"
    raw.close()


def test_sigterm_with_an_unresponsive_client_still_exits_0(start_server):
    """A client that never answers the close handshake is cut after the grace period."""
    srv = start_server("--shutdown-grace-period", "1s", "--close-timeout", "1s", "--ping-interval", "20s")
    raw = RawWS(srv, "/ws")
    raw.read_welcome()
    good = Client(srv)
    # The raw client reads nothing from now on, so it answers no close frame.
    srv.terminate()
    t0 = time.monotonic()
    assert good.wait_close(10) == 1001
    rc = srv.wait(timeout=15)
    took = time.monotonic() - t0
    assert rc == 0, f"exit status {rc}"
    assert took < 8, f"shutdown took {took:.1f}s with --shutdown-grace-period 1s"
    # What the raw client got: a close 1001 (then the cut).
    try:
        c = raw.wait_close(2)
        assert c.code in (1001, None), c
    except (TimeoutError, OSError):
        raise AssertionError("the unresponsive client was neither told nor cut")
    raw.close()


def test_sigterm_closes_idle_http_keepalive_connections_and_exits_0(start_server):
    """An HTTP/1.1 connection kept open between requests does not hold the shutdown up: the
    server closes it (after its answered request) and exits."""
    import http.client

    srv = start_server("--shutdown-grace-period", "1s")
    keepalive = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    keepalive.request("GET", "/healthz")
    first = keepalive.getresponse()
    assert first.status == 200 and first.getheader("Connection", "").lower() != "close"
    first.read()
    raw = RawWS(srv, "/ws")
    raw.read_welcome()
    srv.terminate()
    t0 = time.monotonic()
    rc = srv.wait(timeout=15)
    took = time.monotonic() - t0
    assert rc == 0, f"exit status {rc} after SIGTERM"
    assert took < 8, f"shutdown took {took:.1f}s with an idle keep-alive connection open"
    # The kept-alive connection was closed by the server: nothing more comes from it.
    assert keepalive.sock.recv(1) == b""
    keepalive.close()
    raw.close()
