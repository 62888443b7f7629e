"""Helpers for the Taskwire end-to-end suite.

- ``Server``: starts ``taskwire serve`` on a free loopback port and stops it.
- ``http``: one HTTP request with the standard library.
- ``Client``: a well-behaved client built on the PyPI ``websockets`` package.
- ``RawWS``: a hand-written RFC 6455 client over a plain socket, for clients that must
  misbehave (never answer pings, send binary, fragments, oversized frames, raw deflate).
"""

from __future__ import annotations

import base64
import collections
import errno
import json
import os
import re
import signal
import socket
import struct
import subprocess
import time
import uuid
import zlib
import http.client as httpclient
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def server_binary() -> Path:
    p = Path(os.environ.get("TASKWIRE_BIN", ".build/debug/taskwire"))
    if not p.is_absolute():
        p = REPO_ROOT / p
    return p


def unique(prefix: str = "s") -> str:
    """A fresh stream name, so that each test starts at seq 1."""
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- server


class ServerStartError(RuntimeError):
    pass


def _popen_binary(cmd: list[str], **kw) -> subprocess.Popen:
    """Popen, waiting (up to 60 s) while the binary is being written: a `swift build` that
    relinks it during a run makes exec fail with ETXTBSY ("Text file busy") for a moment."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return subprocess.Popen(cmd, **kw)
        except OSError as e:
            if e.errno != errno.ETXTBSY or time.monotonic() > deadline:
                raise
            time.sleep(0.25)


class Server:
    """One ``taskwire serve`` process on a free port of 127.0.0.1."""

    #: An ``ssl.SSLContext`` trusting the server's certificate, for a server started with
    #: ``--tls-cert``: ``http`` and ``url`` then speak https:// and wss://.
    ssl_context = None

    def __init__(self, args: list[str] | None = None, log_dir: Path | None = None, name: str = "server",
                 database: str | Path | None = None):
        self.args = list(args or [])
        self.name = name
        self.log_dir = Path(log_dir or "/tmp")
        # The task store: a file of the test's own (never taskwire.db in the repository), kept
        # across restarts of this Server. A `--database` among the args wins.
        self.database = Path(database) if database else self.log_dir / f"{name}.db"
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self._log_file = None

    # -- lifecycle
    def start(self, attempts: int = 3, port: int | None = None) -> "Server":
        """Starts the server on a free port, or on ``port`` (a restart where clients expect it)."""
        binary = server_binary()
        if not binary.exists():
            raise ServerStartError(f"server binary {binary} does not exist (run `swift build`, or set TASKWIRE_BIN)")
        last = ""
        for attempt in range(1 if port else attempts):
            self.port = port or free_port()
            self.log_path = self.log_dir / f"{self.name}-{self.port}.log"
            self._log_file = open(self.log_path, "wb")
            db_args = [] if any(a == "--database" or a.startswith("--database=") for a in self.args) \
                else ["--database", str(self.database)]
            cmd = [str(binary), "serve", "--host", HOST, "--port", str(self.port),
                   "--log-level", os.environ.get("TASKWIRE_E2E_LOG_LEVEL", "debug"), *db_args, *self.args]
            self._log_file.write(("$ " + " ".join(cmd) + "\n").encode())
            self._log_file.flush()
            # The server reads TASKWIRE_* settings from its environment: give it none, so that
            # only the flags count.
            env = {k: v for k, v in os.environ.items() if not k.startswith("TASKWIRE_")}
            self.proc = _popen_binary(cmd, stdout=self._log_file, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=REPO_ROOT, env=env)
            if self._wait_healthy(timeout=30):
                return self
            last = self.log()
            self.kill()
            # A port taken between free_port() and the bind: try another one.
            if "address already in use" not in last.lower():
                break
        raise ServerStartError(f"server did not become healthy; args={self.args}\n--- log ---\n{last}")

    def _wait_healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = http(self, "GET", "/healthz", timeout=1)
                if r.status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    stop = kill

    def sigkill(self) -> None:
        """``kill -9``: no shutdown at all (the durability tests restart on the same database)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=5)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log(self, tail: int = 200_000) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        return data[-tail:].decode("utf-8", "replace")

    # -- addresses
    def url(self, path: str = "/ws") -> str:
        scheme = "wss" if self.ssl_context is not None else "ws"
        return f"{scheme}://{HOST}:{self.port}{path}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()


# --------------------------------------------------------------------------- HTTP


@dataclass
class Response:
    status: int
    headers: dict  # lower-cased names
    body: bytes

    def json(self):
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def http(server: Server, method: str, path: str, body=None, raw: bytes | None = None,
         headers: dict | None = None, timeout: float = 5) -> Response:
    """One request; ``body`` is sent as JSON, ``raw`` as is."""
    if server.ssl_context is not None:
        conn = httpclient.HTTPSConnection(HOST, server.port, timeout=timeout, context=server.ssl_context)
    else:
        conn = httpclient.HTTPConnection(HOST, server.port, timeout=timeout)
    try:
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        payload = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)
    finally:
        conn.close()


def assert_error_body(resp: Response, status: int, code: str | None = None, mentions: str | None = None):
    """Checks an HTTP API error: ``{"error":{"code":"…","message":"…"}}``."""
    assert resp.status == status, f"expected HTTP {status}, got {resp.status}: {resp.body[:500]!r}"
    assert "json" in resp.headers.get("content-type", ""), f"error body is not JSON: content-type={resp.headers.get('content-type')!r}"
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"not an error body: {body!r}"
    err = body["error"]
    assert isinstance(err.get("code"), str) and err["code"], f"error.code missing: {body!r}"
    assert isinstance(err.get("message"), str) and err["message"], f"error.message missing: {body!r}"
    if code is not None:
        assert err["code"] == code, f"expected error.code {code!r}, got {err!r}"
    if mentions is not None:
        assert mentions in err["message"], f"error.message should name {mentions!r}: {err['message']!r}"
    return err


def parse_rfc3339(s: str) -> datetime:
    assert isinstance(s, str), f"not a timestamp string: {s!r}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", s), f"not RFC 3339: {s!r}"
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- websockets client


class Client:
    """A client on the ``websockets`` package (sync API). Reads the welcome on connect.

    ``recv`` skips server ``{"type":"ping"}`` messages unless asked not to; messages read
    while looking for something else are kept in ``backlog`` and returned first.
    """

    def __init__(self, server: Server, query: str = "", compression: str | None = "deflate",
                 open_timeout: float = 5, **kw):
        self.server = server
        self.ws = ws_connect(server.url("/ws" + query), compression=compression, proxy=None,
                             ping_interval=None, open_timeout=open_timeout, close_timeout=3,
                             max_size=None, legacy=True, **kw)
        self.backlog: collections.deque = collections.deque()
        self.server_pings = 0
        first = self._recv_raw(timeout=5)
        assert first.get("type") == "welcome", f"first message is not welcome: {first!r}"
        self.welcome = first
        self.id = first["client_id"]

    # -- sending
    def send(self, obj) -> None:
        self.ws.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    # -- receiving
    def _recv_raw(self, timeout: float) -> dict:
        text = self.ws.recv(timeout=timeout)
        assert isinstance(text, str), f"expected a text message, got binary {text[:80]!r}"
        return json.loads(text)

    def recv(self, timeout: float = 3, skip_pings: bool = True) -> dict:
        if self.backlog:
            return self.backlog.popleft()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no message within {timeout}s")
            msg = self._recv_raw(timeout=left)
            if skip_pings and msg.get("type") == "ping":
                self.server_pings += 1
                continue
            return msg

    def recv_until(self, pred, timeout: float = 3, what: str = "message") -> dict:
        """Returns the first message matching ``pred``; the others go to the backlog."""
        kept = []
        deadline = time.monotonic() + timeout
        try:
            while self.backlog:
                m = self.backlog.popleft()
                if pred(m):
                    return m
                kept.append(m)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {what} within {timeout}s; other messages: {kept!r}")
                m = self._recv_raw(timeout=left)
                if m.get("type") == "ping":
                    self.server_pings += 1
                    continue
                if pred(m):
                    return m
                kept.append(m)
        finally:
            self.backlog.extendleft(reversed(kept))

    def request(self, obj: dict, timeout: float = 3) -> dict:
        """Sends a request with an ``id`` and returns the answer with the same ``id``."""
        assert "id" in obj
        self.send(obj)
        rid = obj["id"]
        return self.recv_until(lambda m: m.get("id") == rid and m.get("type") in ("ack", "error", "pong"),
                               timeout, what=f"answer to id {rid!r}")

    def subscribe(self, *streams: str, rid=None) -> dict:
        rid = rid if rid is not None else f"sub-{uuid.uuid4().hex[:8]}"
        reply = self.request({"type": "subscribe", "id": rid, "event_types": list(streams)})
        assert reply["type"] == "ack", f"subscribe {streams} was refused: {reply!r}"
        return reply

    def event(self, stream: str | None = None, timeout: float = 3) -> dict:
        """The next stream event (optionally of one stream)."""
        return self.recv_until(
            lambda m: m.get("type") not in ("ack", "error", "pong", "ping") and (stream is None or m.get("event_type") == stream),
            timeout, what=f"event on {stream}")

    def no_message(self, duration: float = 0.4, allow=("ping",)) -> None:
        """Asserts that nothing but ``allow``-ed types arrives for ``duration`` seconds."""
        assert not self.backlog, f"unexpected messages: {list(self.backlog)!r}"
        deadline = time.monotonic() + duration
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                m = self._recv_raw(timeout=left)
            except TimeoutError:
                return
            assert m.get("type") in allow, f"unexpected message: {m!r}"

    def assert_alive(self, timeout: float = 3) -> None:
        """An application ping is answered: the connection is open and served."""
        self.send({"type": "ping"})
        self.recv_until(lambda m: m.get("type") == "pong", timeout, what="pong")

    def wait_close(self, timeout: float = 5) -> int | None:
        """Reads until the server closes; returns the close code it sent (None: no close frame)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"connection not closed within {timeout}s")
                self.ws.recv(timeout=left)
        except ConnectionClosed as e:
            return e.rcvd.code if e.rcvd is not None else None

    @property
    def response_headers(self):
        return self.ws.response.headers

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Bystander:
    """A well-behaved client that must keep working while another client misbehaves."""

    def __init__(self, server: Server):
        self.server = server
        self.stream = unique("bystander")
        self.client = Client(server, f"?subscribe={self.stream}")
        self.count = 0

    def check(self) -> None:
        self.count += 1
        data = {"n": self.count, "check": "bystander"}
        r = http(self.server, "POST", "/api/v1/publish", body={"event_type": self.stream, "data": data})
        assert r.status == 200, f"publish for the bystander failed: {r.status} {r.text()}"
        assert r.json().get("delivered") == 1, f"bystander not reached: {r.text()}"
        ev = self.client.event(self.stream, timeout=3)
        assert ev["data"] == data
        self.client.assert_alive()

    def close(self):
        self.client.close()


# --------------------------------------------------------------------------- raw client

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeRefused(Exception):
    def __init__(self, status: int, headers: dict, body: bytes):
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class RawClosed(Exception):
    """The server sent a close frame (code None: none in it) or dropped the TCP connection (eof)."""

    def __init__(self, code: int | None, reason: str = "", eof: bool = False):
        super().__init__(f"closed code={code} reason={reason!r} eof={eof}")
        self.code = code
        self.reason = reason
        self.eof = eof


@dataclass
class Frame:
    fin: bool
    rsv1: bool
    opcode: int
    payload: bytes


class RawWS:
    """A minimal RFC 6455 client over a socket, with optional permessage-deflate."""

    def __init__(self, server: Server, path: str = "/ws", headers: dict | None = None,
                 offer_deflate: bool = False, answer_pings: bool = True, answer_app_pings: bool = False,
                 timeout: float = 5, receive_buffer: int | None = None):
        self.server = server
        self.answer_pings = answer_pings
        self.answer_app_pings = answer_app_pings
        self.ping_frames: list[float] = []      # arrival times of WebSocket ping frames
        self.app_pings: list[float] = []        # arrival times of {"type":"ping"} messages
        self.pong_frames: list[bytes] = []
        self.close_sent = False
        self.deflate = False
        self._buf = b""
        self._frag_op = None
        self._frag_rsv1 = False
        self._frag_parts: list[bytes] = []
        if receive_buffer is None:
            self.sock = socket.create_connection((HOST, server.port), timeout=timeout)
        else:
            # Set before connecting, so that the window the server sees stays this small.
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            self.sock.settimeout(timeout)
            self.sock.connect((HOST, server.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        req = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{server.port}", "Upgrade: websocket",
               "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if offer_deflate:
            req.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        for k, v in (headers or {}).items():
            req.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode())
        status, hdrs = self._read_http_head(timeout)
        self.status = status
        self.headers = hdrs
        if status != 101:
            body = self._read_http_body(hdrs, timeout)
            self.sock.close()
            raise HandshakeRefused(status, hdrs, body)
        import hashlib
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        assert hdrs.get("sec-websocket-accept") == accept, f"bad Sec-WebSocket-Accept: {hdrs!r}"
        ext = hdrs.get("sec-websocket-extensions", "")
        if "permessage-deflate" in ext:
            assert offer_deflate, f"server negotiated an extension that was not offered: {ext!r}"
            self.deflate = True
            self.server_no_context = "server_no_context_takeover" in ext
            self.client_no_context = "client_no_context_takeover" in ext
            self._inflater = zlib.decompressobj(-15)
            self._deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self.welcome = None

    # -- HTTP head
    def _read_http_head(self, timeout: float):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self._buf:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed during the handshake: {self._buf!r}")
            self._buf += chunk
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs

    def _read_http_body(self, hdrs: dict, timeout: float) -> bytes:
        n = hdrs.get("content-length")
        deadline = time.monotonic() + timeout
        if n is not None:
            n = int(n)
            while len(self._buf) < n:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self._buf += chunk
            body, self._buf = self._buf[:n], self._buf[n:]
            return body
        if "chunked" in hdrs.get("transfer-encoding", "").lower():
            out = b""
            while True:
                while b"\r\n" not in self._buf:
                    self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        return out
                    self._buf += chunk
                line, self._buf = self._buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                while len(self._buf) < size + 2:
                    self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        break
                    self._buf += chunk
                out += self._buf[:size]
                self._buf = self._buf[size + 2:]
                if size == 0:
                    return out
        # until EOF
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self._buf += chunk
        except (socket.timeout, OSError):
            pass
        body, self._buf = self._buf, b""
        return body

    # -- frames out
    def send_frame(self, opcode: int, payload: bytes = b"", fin: bool = True, rsv1: bool = False,
                   mask: bool = True, length_override: int | None = None) -> None:
        b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
        n = len(payload) if length_override is None else length_override
        if n < 126:
            head = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            head = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if len(payload) < 4096 else _mask_fast(payload, key)
            self.sock.sendall(head + key + masked)
        else:
            self.sock.sendall(head + payload)

    def send_text(self, text: str | bytes, compress: bool = False) -> None:
        data = text.encode() if isinstance(text, str) else text
        if compress:
            assert self.deflate, "permessage-deflate was not negotiated"
            data = self._compress(data)
        self.send_frame(OP_TEXT, data, rsv1=compress)

    def send_json(self, obj, compress: bool = False) -> None:
        self.send_text(json.dumps(obj), compress=compress)

    def _compress(self, data: bytes) -> bytes:
        if self.client_no_context:
            self._deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        out = self._deflater.compress(data) + self._deflater.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]

    def send_close(self, code: int = 1000, reason: str = "") -> None:
        self.close_sent = True
        self.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode())

    # -- frames in
    def _fill(self, n: int, deadline: float) -> None:
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no frame in time") from None
            except ConnectionResetError:
                raise RawClosed(None, eof=True) from None
            if not chunk:
                raise RawClosed(None, eof=True)
            self._buf += chunk

    def recv_frame(self, timeout: float = 3) -> Frame:
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        b0, b1 = self._buf[0], self._buf[1]
        assert not (b1 & 0x80), "server frames must not be masked"
        n = b1 & 0x7F
        off = 2
        if n == 126:
            self._fill(4, deadline)
            n = struct.unpack("!H", self._buf[2:4])[0]
            off = 4
        elif n == 127:
            self._fill(10, deadline)
            n = struct.unpack("!Q", self._buf[2:10])[0]
            off = 10
        self._fill(off + n, deadline)
        payload = self._buf[off:off + n]
        self._buf = self._buf[off + n:]
        return Frame(bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, payload)

    def recv_message(self, timeout: float = 3):
        """Next data message as ``str`` (text) or ``bytes`` (binary); handles control frames.

        Raises ``RawClosed`` when the server closes, ``TimeoutError`` on time-out.
        """
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv_frame(max(0.001, deadline - time.monotonic()))
            if f.opcode == OP_PING:
                self.ping_frames.append(time.monotonic())
                if self.answer_pings and not self.close_sent:
                    self.send_frame(OP_PONG, f.payload)
                continue
            if f.opcode == OP_PONG:
                self.pong_frames.append(f.payload)
                continue
            if f.opcode == OP_CLOSE:
                code = struct.unpack("!H", f.payload[:2])[0] if len(f.payload) >= 2 else None
                reason = f.payload[2:].decode("utf-8", "replace")
                if not self.close_sent:
                    try:
                        self.send_close(code or 1000)
                    except OSError:
                        pass
                raise RawClosed(code, reason)
            if f.opcode in (OP_TEXT, OP_BINARY):
                assert self._frag_op is None, "new data frame inside a fragmented message"
                self._frag_op, self._frag_rsv1, self._frag_parts = f.opcode, f.rsv1, [f.payload]
            elif f.opcode == OP_CONT:
                assert self._frag_op is not None, "continuation frame without a message"
                self._frag_parts.append(f.payload)
            else:
                raise AssertionError(f"unexpected opcode {f.opcode}")
            if not f.fin:
                continue
            data = b"".join(self._frag_parts)
            op, rsv1 = self._frag_op, self._frag_rsv1
            self._frag_op, self._frag_parts = None, []
            if rsv1:
                assert self.deflate, "compressed frame without permessage-deflate"
                if self.server_no_context:
                    self._inflater = zlib.decompressobj(-15)
                data = self._inflater.decompress(data + b"\x00\x00\xff\xff")
            if op == OP_TEXT:
                text = data.decode("utf-8")
                if text.startswith('{"type":"ping"') or text.replace(" ", "").startswith('{"type":"ping"'):
                    try:
                        if json.loads(text).get("type") == "ping":
                            self.app_pings.append(time.monotonic())
                            if self.answer_app_pings:
                                self.send_json({"type": "pong"})
                    except ValueError:
                        pass
                return text
            return data

    def recv_json(self, timeout: float = 3, skip_pings: bool = True) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv_message(max(0.001, deadline - time.monotonic()))
            assert isinstance(m, str), f"expected text, got binary {m[:80]!r}"
            obj = json.loads(m)
            if skip_pings and obj.get("type") == "ping":
                continue
            return obj

    def read_welcome(self, timeout: float = 3) -> dict:
        m = self.recv_message(timeout)
        obj = json.loads(m)
        assert obj.get("type") == "welcome", f"first message is not welcome: {obj!r}"
        self.welcome = obj
        return obj

    def wait_close(self, timeout: float = 5) -> RawClosed:
        """Reads (and drops) messages until the server closes; returns the close."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"server did not close within {timeout}s")
            try:
                self.recv_message(left)
            except RawClosed as c:
                return c

    def pump(self, duration: float) -> list:
        """Reads everything for ``duration`` seconds (answering pings as configured)."""
        out = []
        deadline = time.monotonic() + duration
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            try:
                out.append(self.recv_message(left))
            except TimeoutError:
                return out

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _mask_fast(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def raw_handshake(server: Server, path: str, timeout: float = 5) -> HandshakeRefused | RawWS:
    """Attempts an upgrade; returns the refusal, or the open RawWS."""
    try:
        return RawWS(server, path, timeout=timeout)
    except HandshakeRefused as r:
        return r


def publish(server: Server, stream: str, data) -> int:
    r = http(server, "POST", "/api/v1/publish", body={"event_type": stream, "data": data})
    assert r.status == 200, f"POST /api/v1/publish: HTTP {r.status} {r.text()[:300]}"
    return r.json()["delivered"]


def metrics(server: Server) -> dict:
    r = http(server, "GET", "/api/v1/metrics")
    assert r.status == 200, f"GET /api/v1/metrics: {r.status} {r.text()[:300]}"
    return r.json()


def connections(server: Server) -> list:
    r = http(server, "GET", "/api/v1/connections")
    assert r.status == 200, f"GET /api/v1/connections: {r.status} {r.text()[:300]}"
    return r.json()["connections"]


def wait_for(pred, timeout: float = 3, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")
