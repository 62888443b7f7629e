"""Fixtures of the end-to-end suite.

Each test module gets its own server (fixture ``server``), started from the binary named by
TASKWIRE_BIN (default .build/debug/taskwire, relative to the repository root) on a free
loopback port with the module's ``SERVER_ARGS``; it is ready once /healthz answers 200 and
is stopped after the module. Tests that need a server of their own (other flags, or one they
shut down) use ``start_server``. When a test fails, the logs of its servers are attached to
the report.
"""

from __future__ import annotations

import os
import tempfile

import pytest

from twclient import Bystander, Server

# Hypothesis (under schemathesis, test_openapi_fuzz.py) keeps caches in a directory: not in the
# repository. (Each server's task database is a temporary file too: see Server.database.)
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "taskwire-e2e-hypothesis"))

_MODULE_SERVERS: dict[str, Server] = {}
_EXTRA = pytest.StashKey[list]()
_LOG_LINES = 150


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    args = list(getattr(request.module, "SERVER_ARGS", []))
    name = request.module.__name__.rsplit(".", 1)[-1]
    s = Server(args, log_dir=tmp_path_factory.mktemp("logs"), name=name)
    _MODULE_SERVERS[request.module.__name__] = s
    s.start()
    yield s
    s.kill()
    _MODULE_SERVERS.pop(request.module.__name__, None)


@pytest.fixture(autouse=True)
def _server_still_running(request):
    """Fails a test after which the module's server is no longer running (a crash)."""
    yield
    if "server" in request.fixturenames:
        s = _MODULE_SERVERS.get(request.module.__name__)
        if s is not None and s.proc is not None and s.proc.poll() is not None:
            pytest.fail(f"the server exited during the test with status {s.proc.returncode}")


@pytest.fixture
def start_server(request, tmp_path):
    """Starts a server of the test's own: ``start_server("--flag", "value", ...)``."""
    started: list[Server] = []
    request.node.stash[_EXTRA] = started

    def start(*args: str, name: str = "own") -> Server:
        s = Server(list(args), log_dir=tmp_path, name=f"{name}{len(started)}")
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.kill()


@pytest.fixture
def bystander(server):
    """A well-behaved client that must keep working while the test misbehaves."""
    b = Bystander(server)
    yield b
    b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    servers: list[Server] = []
    mod = _MODULE_SERVERS.get(item.module.__name__)
    if mod is not None and "server" in getattr(item, "fixturenames", ()):
        servers.append(mod)
    servers += item.stash.get(_EXTRA, [])
    for s in servers:
        lines = s.log().splitlines()
        tail = "\n".join(lines[-_LOG_LINES:])
        status = "running" if s.alive() else f"exited {s.proc.returncode if s.proc else '?'}"
        rep.sections.append((f"server log: {s.name} port {s.port} ({status}), last {_LOG_LINES} lines", tail))
