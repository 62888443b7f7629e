"""Helpers for the cluster-mode tests (test_cluster.py): nodes on one PostgreSQL schema, what a
client receives filed by stream and checked for gaps and duplicates, and a TCP proxy that cuts a
node off from its database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlsplit, urlunsplit

from twclient import HOST, Client, http, wait_for
from twtasks import same_json

PG_URL = os.environ.get("TASKWIRE_TEST_POSTGRES_URL", "")
CROSS = 15.0  # bound for an event to cross from one node to the other (a debug build on a loaded 2-core CI machine)


# ---------------------------------------------------------------- nodes on one schema

def db_url(schema: str, hostport: str | None = None) -> str:
    """TASKWIRE_TEST_POSTGRES_URL with `schema=…` added (and, for a proxy, another host:port)."""
    p = urlsplit(PG_URL)
    netloc = p.netloc
    if hostport is not None:
        netloc = (netloc.rsplit("@", 1)[0] + "@" if "@" in netloc else "") + hostport
    return urlunsplit(p._replace(netloc=netloc, query="&".join(q for q in (p.query, f"schema={schema}") if q)))


class Cluster:
    """The nodes of one test, all on the test's own fresh schema (so every stream starts at seq 1)."""

    def __init__(self, start_server):
        self.schema = "tw_" + uuid.uuid4().hex[:12]
        self.url = db_url(self.schema)
        self._start = start_server
        self.nodes = []

    def node(self, name: str, *args: str, url: str | None = None):
        """Starts `taskwire serve --database <the schema's URL> *args` (``url``: another way to it)
        and waits until it follows the event log (/readyz 200): before that, what other nodes
        publish is history to it, not live events."""
        s = self._start("--database", url or self.url, *args, name=name)
        self.nodes.append(s)
        wait_for(lambda: readyz(s) == 200, timeout=CROSS, what=f"/readyz 200 on node {name}")
        return s

    def close(self) -> None:
        """Stops the nodes, then drops the schema (when `psql` is at hand; it is a test database)."""
        for s in self.nodes:
            s.kill()
        if shutil.which("psql"):
            subprocess.run(["psql", PG_URL, "-qAtc", f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)


# ---------------------------------------------------------------- what clients receive

class Tape:
    """The events one client received (across its reconnections), filed by stream."""

    def __init__(self):
        self.by_stream: dict[str, list[dict]] = defaultdict(list)

    def read(self, c: Client, done, timeout: float = CROSS, what: str = "events") -> "Tape":
        """Reads events from ``c`` until ``done(self)`` holds."""
        deadline = time.monotonic() + timeout
        while not done(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{what} not received within {timeout}s; so far: {self.summary()}")
            try:
                m = c.recv(timeout=min(left, 0.2))
            except TimeoutError:
                continue
            assert m.get("type") not in ("error", "ack", "pong"), f"unexpected message: {m!r}"
            self.by_stream[m.get("event_type")].append(m)
        return self

    def drain(self, c: Client, duration: float) -> "Tape":
        """Reads whatever arrives for ``duration`` seconds (to see that nothing more comes)."""
        deadline = time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            try:
                m = c.recv(timeout=left)
            except TimeoutError:
                break
            assert m.get("type") not in ("error", "ack", "pong"), f"unexpected message: {m!r}"
            self.by_stream[m.get("event_type")].append(m)
        return self

    def read_all(self, c: Client, expected: dict[str, list]) -> "Tape":
        """Reads until every stream got its last expected event (seq = the count expected: every
        stream starts at 1; the last event of a stream is never one that may be replaced)."""
        return self.read(c, lambda t: all(not v or (t.by_stream[s] and t.by_stream[s][-1]["seq"] >= len(v))
                                          for s, v in expected.items()),
                         what=f"events up to seq { {s: len(v) for s, v in expected.items()} }")

    def since(self) -> dict:
        """The position of the last event seen per stream: a `since` to resume from."""
        return {s: {"seq": evs[-1]["seq"], "epoch": evs[-1]["epoch"]} for s, evs in self.by_stream.items() if evs}

    def summary(self) -> dict:
        return {s: [e.get("seq") for e in evs] for s, evs in self.by_stream.items()}


def replaceable(want: list[dict], j: int) -> bool:
    """Whether event ``j`` of a stream may be skipped: PROTOCOL.md lets the server replace a task's
    update (status pending or running, on task_updated) by a newer one of the same task not yet
    sent, leaving a gap in seq. The hub does so within one batch of deliveries, which the backplane
    makes when it reads several events at once, even for a client that reads promptly."""
    w = want[j]
    return (w.get("type") == "task_update" and w.get("kind") == "task_updated" and w["status"] in ("pending", "running")
            and any(x.get("task_id") == w["task_id"] for x in want[j + 1:]))


def assert_tape(tape: Tape, expected: dict[str, list[dict]]) -> None:
    """Each stream got ``expected`` (fields compared as JSON), event k with seq k, in one epoch:
    nothing missed (but replaceable updates, see ``replaceable``), nothing twice, nothing out of
    order, nothing else."""
    assert set(tape.by_stream) <= set(expected), f"events of other streams: {set(tape.by_stream) - set(expected)}"
    for s, want in expected.items():
        got = tape.by_stream.get(s, [])
        shown = [(e.get("seq"), e.get("status") or e.get("data") or e.get("title")) for e in got]
        seqs = [e["seq"] for e in got]
        assert seqs == sorted(set(seqs)) and (not seqs or 1 <= seqs[0] and seqs[-1] == len(want)), \
            f"{s}: expected seq 1…{len(want)} in order, once each; got {shown}"
        assert len({e["epoch"] for e in got}) <= 1, f"{s}: more than one epoch: {[e['epoch'] for e in got]}"
        by_seq = {e["seq"]: e for e in got}
        for j, w in enumerate(want):
            g = by_seq.get(j + 1)
            if g is None:
                assert replaceable(want, j), f"{s}: event {j + 1} missing (not a replaceable update): {w!r}; got {shown}"
                continue
            fields = {k: v for k, v in w.items() if k != "kind"}
            assert all(same_json(g.get(k), v) for k, v in fields.items()), f"{s} event {j + 1}:\n  expected {w!r}\n  got      {g!r}"


def task_view(t: dict, kind: str) -> dict:
    """The task_update event a change makes: the task as the API answered it (``kind``: the
    well-known stream of the change, which is not compared but says whether it is replaceable)."""
    return {"type": "task_update", "task_id": t["id"], "status": t["status"], "progress": t["progress"],
            "message": t["message"], "queue": t["queue"], "kind": kind}


def ws_publish(c: Client, stream: str, data) -> None:
    """A `custom` message with an id; waits for its ack."""
    ack = c.request({"type": "custom", "id": f"p-{uuid.uuid4().hex[:8]}", "event_type": stream, "data": data}, timeout=10)
    assert ack["type"] == "ack", ack


def events(c: Client, n: int, timeout: float = CROSS) -> list[dict]:
    """The next ``n`` stream events."""
    return [c.event(timeout=timeout) for _ in range(n)]


# ---------------------------------------------------------------- the database cut off

class PgProxy:
    """A TCP proxy in front of PostgreSQL: ``cut()`` drops every connection through it and refuses
    new ones (the database is "down" for the nodes behind it), ``restore()`` lets them in again."""

    def __init__(self):
        p = urlsplit(PG_URL)
        self.target = (p.hostname or "localhost", p.port or 5432)
        self.sock = socket.create_server((HOST, 0))
        self.hostport = f"{HOST}:{self.sock.getsockname()[1]}"
        self.up, self.conns, self.lock = True, [], threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return  # closed
            try:
                if not self.up:
                    raise OSError("cut")
                u = socket.create_connection(self.target, timeout=5)
            except OSError:
                c.close()
                continue
            u.settimeout(None)
            with self.lock:
                self.conns += [c, u]
            for x, y in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.up = False
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self.sock.close()


def readyz(node) -> int:
    try:
        return http(node, "GET", "/readyz", timeout=5).status
    except OSError:
        return 0

