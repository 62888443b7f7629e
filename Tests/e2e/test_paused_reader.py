"""A client pauses reading while more is sent to it than its socket holds, then reads it all.

The server writes each connection's frames to the socket itself; what a full socket does not
take is queued in NIO, and later frames queue behind it until it is written. The client must
get every event in order and whole, across that switch and back, and be closed by nobody.
"""

from __future__ import annotations

import time

from twclient import Client, RawWS, unique

EVENTS = 600           # under the stream log's bound: the paused client is behind, not lost
FILLER = 16 * 1024     # 600 x 16 KB = about 10 MB, more than loopback's socket buffers hold
SERVER_ARGS = ["--history-size", "2000", "--outbound-queue-messages", "5000", "--outbound-queue-bytes", "64MiB"]


def queued_in_kernel(server_port: int, client_port: int) -> int:
    """Bytes in the kernel between the server and the client's port: the server's send queue
    and the client's receive queue, from /proc/net/tcp."""
    total = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote = (int(a.split(":")[1], 16) for a in fields[1:3])
            tx_queue, rx_queue = (int(q, 16) for q in fields[4].split(":"))
            if (local, remote) == (server_port, client_port):
                total += tx_queue
            elif (local, remote) == (client_port, server_port):
                total += rx_queue
    return total


def custom_events(ws: RawWS, count: int, timeout: float) -> list[dict]:
    """The next `count` custom events `ws` receives (application pings are skipped)."""
    deadline = time.monotonic() + timeout
    events = [ws.recv_json(timeout=max(0.1, deadline - time.monotonic())) for _ in range(count)]
    assert all(e.get("type") == "custom" for e in events), [e for e in events if e.get("type") != "custom"][:1]
    return events


def test_a_paused_reader_gets_everything_in_order(server):
    stream = unique("paused")
    paused = RawWS(server, path=f"/ws?subscribe={stream}", receive_buffer=64 * 1024)
    paused.read_welcome(timeout=5)
    watcher = RawWS(server, path=f"/ws?subscribe={stream}")
    watcher.read_welcome(timeout=5)

    with Client(server) as publisher:
        for k in range(1, EVENTS + 1):
            publisher.send({"type": "custom", "event_type": stream, "data": {"k": k, "filler": chr(97 + k % 26) * FILLER}})
        # A reader that keeps up gets them all meanwhile: the paused one holds up nobody.
        assert [e["data"]["k"] for e in custom_events(watcher, EVENTS, timeout=30)] == list(range(1, EVENTS + 1))
        # The sockets (the server's send buffer, the client's receive buffer) hold part of
        # it; the rest waits in the server, queued behind what the socket did not take.
        in_sockets = queued_in_kernel(server.port, paused.sock.getsockname()[1])
        assert in_sockets < EVENTS * FILLER // 2, f"the sockets hold {in_sockets} bytes: the server never had to queue"

        received = custom_events(paused, EVENTS, timeout=30)
        assert [e["seq"] for e in received] == list(range(1, EVENTS + 1))
        for e in received:
            assert e["data"]["filler"] == chr(97 + e["data"]["k"] % 26) * FILLER, f"event {e['seq']} damaged"

        # Once the queue is written, frames go to the socket directly again, still in order.
        for k in range(EVENTS + 1, EVENTS + 51):
            publisher.send({"type": "custom", "event_type": stream, "data": {"k": k}})
        assert [e["seq"] for e in custom_events(paused, 50, timeout=10)] == list(range(EVENTS + 1, EVENTS + 51))
