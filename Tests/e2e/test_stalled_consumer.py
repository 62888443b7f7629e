"""One client stops reading while 10,000 events go to it and to 50 others, over real sockets.

The 50 readers must receive every event, in order, with nothing missing or repeated; the
stalled client is closed with 4003 once the stream's log (bounded at 1,000 messages here)
has moved past it; the server's resident memory stays within a stated bound all along.

Events are 1.5 KB so that the stalled client's socket buffers (a few MB on loopback) fill up
well before the end; the readers negotiate permessage-deflate, the stalled client does not.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from websockets.asyncio.client import connect as async_connect

from twclient import Client, RawClosed, RawWS, metrics, unique, wait_for

READERS = 50
EVENTS = 10_000
BATCH = 500
OUTBOUND_MESSAGES = 1000
# Resident memory may grow by at most this much while the events flow (the stream logs are
# bounded at 1,000 messages of 1.5 KB per shard; the rest is allocator slack and buffers).
RSS_GROWTH_BOUND_MIB = 32

# The close handshake may take long here: the 4003 close frame waits behind what the stalled
# client's socket buffers already hold, until the test reads them at the end.
SERVER_ARGS = ["--max-connections", "200", "--outbound-queue-messages", str(OUTBOUND_MESSAGES),
               "--outbound-queue-bytes", "16MiB", "--close-timeout", "5m"]


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Readers:
    """50 asyncio clients in a thread, each checking that seqs arrive as 1, 2, 3, … exactly."""

    def __init__(self, url: str):
        self.url = url
        self.received = [0] * READERS
        self.errors: list[str] = []
        self.ready = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _reader(self, i: int) -> None:
        async with async_connect(self.url, max_size=None, ping_interval=None, compression="deflate") as ws:
            assert json.loads(await ws.recv())["type"] == "welcome"
            self._connected += 1
            if self._connected == READERS:
                self.ready.set()
            while self.received[i] < EVENTS:
                text = await ws.recv()
                # `seq` is written after the data: find it from the end, without parsing 1.5 KB.
                at = text.rfind('"seq":')
                if at < 0:
                    if json.loads(text).get("type") == "ping":
                        continue
                    self.errors.append(f"reader {i}: unexpected {text[:200]}")
                    return
                seq = int(text[at + 6:text.index(",", at)])
                if seq != self.received[i] + 1:
                    self.errors.append(f"reader {i}: seq {seq} after {self.received[i]}")
                    return
                self.received[i] = seq

    async def _main(self) -> None:
        self._connected = 0
        try:
            await asyncio.gather(*(self._reader(i) for i in range(READERS)))
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            self.done.set()

    def start(self) -> "Readers":
        self.thread.start()
        return self


def test_a_stalled_client_is_closed_with_4003_and_hurts_nobody(server):
    stream = unique("stall")
    readers = Readers(server.url(f"/ws?subscribe={stream}")).start()
    assert readers.ready.wait(20), f"readers did not connect: {readers.errors}"

    stalled = RawWS(server, path=f"/ws?subscribe={stream}")
    assert json.loads(stalled.recv_message(timeout=5))["type"] == "welcome"  # then it reads nothing more

    pid = server.proc.pid
    rss_before = rss_mib(pid)
    rss_peak = rss_before
    filler = "x" * 1500
    started = time.monotonic()
    with Client(server) as publisher:
        for first in range(1, EVENTS + 1, BATCH):
            for k in range(first, first + BATCH):
                publisher.send({"type": "custom", "event_type": stream, "data": {"k": k, "filler": filler}})
            last = first + BATCH - 1
            # Flow control of the test, not of the server: the readers are Python.
            wait_for(lambda: readers.errors or min(readers.received) >= last, timeout=30,
                     what=f"every reader at event {last}")
            assert not readers.errors, readers.errors[:3]
            rss_peak = max(rss_peak, rss_mib(pid))
    elapsed = time.monotonic() - started
    assert readers.done.wait(10)
    assert not readers.errors, readers.errors[:3]
    assert readers.received == [EVENTS] * READERS

    # The stalled client: whatever it was sent before the bound, then close 4003.
    seqs = []
    code = None
    try:
        while True:
            m = json.loads(stalled.recv_message(timeout=20))
            if m.get("type") == "custom":
                seqs.append(m["seq"])
    except RawClosed as closed:
        code = closed.code
    except TimeoutError:
        raise AssertionError(f"the stalled client got {len(seqs)} events (last {seqs[-1:]}), then nothing for 20 s; "
                             f"metrics: {metrics(server)}")
    assert code == 4003, f"the stalled client was closed with {code}, not 4003"
    assert seqs == list(range(1, len(seqs) + 1)), "what it got before the close is in order"
    assert len(seqs) < EVENTS, "the stalled client cannot have received everything"

    print(f"\n{READERS} readers x {EVENTS} events in {elapsed:.1f}s; stalled client got {len(seqs)} then 4003; "
          f"server RSS {rss_before:.1f} MiB before, {rss_peak:.1f} MiB at peak")
    assert rss_peak - rss_before <= RSS_GROWTH_BOUND_MIB, (rss_before, rss_peak)
    assert metrics(server)["slow_consumer_disconnects"] >= 1
