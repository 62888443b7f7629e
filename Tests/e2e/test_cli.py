"""The command-line tools against a real server: ``taskwire submit``, ``watch``, ``worker`` and
``status``, run as the user would (the binary, its flags, its standard streams)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from twclient import Client, connections, http, publish, server_binary, unique, wait_for
from twtasks import create, get, queue_name

# Leases are checked every 200 ms, so a lease that is not renewed shows quickly.
SERVER_ARGS = ["--lease-check-interval", "200ms"]


def tw(server, *args: str, input: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    """Runs ``taskwire COMMAND --server URL ARGS`` to completion."""
    return subprocess.run([str(server_binary()), args[0], "--server", server.base_url(), *args[1:]], input=input,
                          capture_output=True, text=True, timeout=timeout)


def tw_background(server, *args: str, command: list[str] | None = None) -> subprocess.Popen:
    """Starts ``taskwire ARGS --server URL [-- COMMAND]``, its output in pipes."""
    cmd = [str(server_binary()), *args, "--server", server.base_url()]
    if command:
        cmd += ["--", *command]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


class Lines:
    """Collects the lines of a pipe on a thread, so a test can wait for them."""

    def __init__(self, pipe):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe):
        for line in pipe:
            self.lines.append(line.rstrip("\n"))

    def wait(self, n: int, timeout: float = 10) -> list[str]:
        return wait_for(lambda: self.lines[:n] if len(self.lines) >= n else None, timeout, what=f"{n} lines (have {self.lines!r})")

    def join(self, timeout: float = 5) -> list[str]:
        self._thread.join(timeout)
        return self.lines


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "job.sh"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def subscribed(server, stream: str) -> bool:
    return any(stream in c["subscriptions"] for c in connections(server))


def task_events(c: Client, task_id: str, until: str, timeout: float = 20) -> list[dict]:
    """The events of one task on the connection, up to the first with status ``until``."""
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    while not out or out[-1]["status"] != until:
        left = deadline - time.monotonic()
        assert left > 0, f"no {until!r} event for {task_id}; got {out!r}"
        m = c.event(timeout=left)
        if m.get("task_id") == task_id:
            out.append(m)
    return out


# ---------------------------------------------------------------- submit

def test_submit_one_task_from_flags_prints_its_id(server):
    q = queue_name()
    r = tw(server, "submit", "resize", "--queue", q, "--payload", '{"w": 640}', "--priority", "3")
    assert r.returncode == 0, r.stderr
    (task_id,) = r.stdout.split()
    t = get(server, task_id)
    assert (t["name"], t["queue"], t["payload"], t["priority"], t["status"]) == ("resize", q, {"w": 640}, 3, "pending")
    assert "submitted 1 task" in r.stderr


def test_submit_from_a_json_lines_file_keeps_the_order_and_the_fields(server, tmp_path):
    q = queue_name()
    other = queue_name()
    lines = [json.dumps({"name": f"job-{i}", "payload": {"i": i}}) for i in range(12)]
    lines.insert(5, "")  # blank lines are skipped
    lines.append(json.dumps({"name": "elsewhere", "queue": other, "max_attempts": 5}))
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    r = tw(server, "submit", "--file", str(path), "--queue", q)
    assert r.returncode == 0, r.stderr
    ids = r.stdout.split()
    assert len(ids) == 13 and len(set(ids)) == 13
    for i, task_id in enumerate(ids[:12]):
        t = get(server, task_id)
        assert (t["name"], t["queue"], t["payload"]) == (f"job-{i}", q, {"i": i})
    last = get(server, ids[12])
    assert (last["queue"], last["max_attempts"]) == (other, 5)
    assert "submitted 13 tasks" in r.stderr


def test_submit_from_standard_input_reports_bad_lines_and_exits_1(server):
    q = queue_name()
    text = '{"name":"good-1"}\nnot json\n{"payload":1}\n{"name":"good-2"}\n'
    r = tw(server, "submit", "--file", "-", "--queue", q, input=text)
    assert r.returncode == 1
    ids = r.stdout.split()
    assert [get(server, i)["name"] for i in ids] == ["good-1", "good-2"]
    assert "line 2: not JSON" in r.stderr
    assert "line 3: field 'name' is missing" in r.stderr
    assert "submitted 2 tasks, 2 failed" in r.stderr


def test_submit_reports_the_servers_refusal(server):
    r = tw(server, "submit", "x", "--queue", "bad queue name")
    assert r.returncode == 1
    assert r.stdout == ""
    assert "queue" in r.stderr and "1 failed" in r.stderr


# ---------------------------------------------------------------- worker

def test_worker_reports_progress_and_completes_with_the_json_result(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, 'read payload\n'
                           'echo "PROGRESS 0.25 starting"\n'
                           'echo "a log line"\n'
                           'echo "PROGRESS 75% nearly there"\n'
                           'echo "attempt $TASKWIRE_ATTEMPT of $TASKWIRE_TASK_NAME" >&2\n'
                           'echo "{\\"echo\\": $payload}"\n')
    with Client(server) as c:
        c.subscribe(f"queue:{q}")
        t = create(server, name="work", queue=q, payload={"n": 7})
        worker = tw_background(server, "worker", "--queue", q, "--max-tasks", "1", "--poll-interval", "0.1", command=[job])
        out, err = worker.communicate(timeout=30)
        assert worker.returncode == 0, err
        events = task_events(c, t["id"], "completed")
    done = get(server, t["id"])
    assert done["status"] == "completed"
    assert done["result"] == {"echo": {"n": 7}}
    progress = [(e["progress"], e["message"]) for e in events if e["status"] == "running" and e["progress"] is not None]
    assert progress == [(0.25, "starting"), (0.75, "nearly there")], events
    assert events[-1]["status"] == "completed"
    assert "a log line" in out.splitlines()
    assert "PROGRESS" not in out
    assert "attempt 1 of work" in err


def test_worker_result_is_the_whole_output_as_a_string_when_the_last_line_is_not_json(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, 'echo "first"\necho "PROGRESS 0.5"\necho "second"\n')
    t = create(server, name="text", queue=q)
    r = tw(server, "worker", "--queue", q, "--max-tasks", "1", "--poll-interval", "0.1", "--", job)
    assert r.returncode == 0, r.stderr
    assert get(server, t["id"])["result"] == "first\nsecond"


def test_a_failing_command_fails_the_task_with_its_status_and_stderr_then_it_is_retried(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, 'echo "about to fail"\necho "disk full" >&2\nexit 3\n')
    with Client(server) as c:
        c.subscribe(f"queue:{q}")
        t = create(server, name="doomed", queue=q, max_attempts=2)
        r = tw(server, "worker", "--queue", q, "--max-tasks", "2", "--poll-interval", "0.1", "--", job)
        assert r.returncode == 0, r.stderr
        events = task_events(c, t["id"], "failed")
    failed = get(server, t["id"])
    assert (failed["status"], failed["attempts"]) == ("failed", 2)
    assert "exit status 3" in failed["error"] and "disk full" in failed["error"]
    statuses = [e["status"] for e in events]
    assert statuses == ["pending", "running", "pending", "running", "failed"], events


def test_no_retry_fails_the_task_at_once(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, "exit 1\n")
    t = create(server, name="once", queue=q, max_attempts=3)
    r = tw(server, "worker", "--queue", q, "--max-tasks", "1", "--no-retry", "--poll-interval", "0.1", "--", job)
    assert r.returncode == 0, r.stderr
    assert (get(server, t["id"])["status"], get(server, t["id"])["attempts"]) == ("failed", 1)


def test_the_worker_renews_the_lease_of_a_long_command(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, 'sleep 3\necho \'"slow but fine"\'\n')
    t = create(server, name="slow", queue=q, max_attempts=1)
    r = tw(server, "worker", "--queue", q, "--lease", "1", "--max-tasks", "1", "--poll-interval", "0.1", "--", job)
    assert r.returncode == 0, r.stderr
    done = get(server, t["id"])
    assert (done["status"], done["result"], done["attempts"]) == ("completed", "slow but fine", 1), r.stderr


def test_an_idle_worker_is_woken_by_the_queue_stream_not_by_its_poll(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, "echo '\"woken\"'\n")
    worker = tw_background(server, "worker", "--queue", q, "--poll-interval", "60", "--max-tasks", "1", command=[job])
    try:
        wait_for(lambda: subscribed(server, f"queue:{q}"), 15, what="worker subscribed to its queue")
        t = create(server, name="wake", queue=q)
        wait_for(lambda: get(server, t["id"])["status"] == "completed", 10, what="task completed long before the next poll")
        assert worker.wait(timeout=10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert get(server, t["id"])["result"] == "woken"


def wait_running(server, task_id: str) -> None:
    wait_for(lambda: get(server, task_id)["status"] == "running", 15, what=f"task {task_id} running")


def test_sigterm_lets_the_current_task_finish_then_the_worker_exits(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, 'sleep 1.5\necho \'{"finished": true}\'\n')
    t = create(server, name="finish-me", queue=q)
    second = create(server, name="not-claimed", queue=q)
    worker = tw_background(server, "worker", "--queue", q, "--poll-interval", "0.1", "--grace-period", "20", command=[job])
    wait_running(server, t["id"])
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert get(server, t["id"])["status"] == "completed"
    assert get(server, t["id"])["result"] == {"finished": True}
    assert get(server, second["id"])["status"] == "pending", "nothing is claimed after SIGTERM"


def test_sigterm_releases_a_task_still_running_after_the_grace_period(server, tmp_path):
    q = queue_name()
    job = script(tmp_path, "exec sleep 60\n")
    t = create(server, name="too-slow", queue=q, max_attempts=3)
    worker = tw_background(server, "worker", "--queue", q, "--poll-interval", "0.1", "--grace-period", "0.5", command=[job])
    wait_running(server, t["id"])
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert time.monotonic() - started < 10
    released = get(server, t["id"])
    assert released["status"] == "pending", released
    assert "released" in released["error"]


# ---------------------------------------------------------------- watch

def test_watch_prints_human_readable_lines(server):
    stream = unique("watch")
    q = queue_name()
    watch = tw_background(server, "watch", "--stream", stream, "--stream", f"queue:{q}", "--count", "3")
    lines = Lines(watch.stdout)
    wait_for(lambda: subscribed(server, stream) and subscribed(server, f"queue:{q}"), 15, what="watch subscribed")
    publish(server, stream, {"hello": "world"})
    t = create(server, name="seen", queue=q)
    publish(server, stream, [1, 2])
    got = lines.wait(3)
    assert watch.wait(timeout=10) == 0
    assert got[0] == f'{stream} #1  {{"hello":"world"}}'
    assert got[1] == f"queue:{q} #1  task {t['id']} pending  [queue {q}]"
    assert got[2] == f"{stream} #2  [1,2]"
    assert "connected" in watch.stderr.read()


def test_watch_json_prints_the_messages_as_sent(server):
    stream = unique("watchjson")
    watch = tw_background(server, "watch", "--stream", stream, "--json", "--count", "2")
    lines = Lines(watch.stdout)
    wait_for(lambda: subscribed(server, stream), 15, what="watch subscribed")
    publish(server, stream, {"n": 1})
    publish(server, stream, None)
    got = [json.loads(line) for line in lines.wait(2)]
    assert watch.wait(timeout=10) == 0
    assert [(m["type"], m["event_type"], m["seq"], m["data"]) for m in got] == [
        ("custom", stream, 1, {"n": 1}), ("custom", stream, 2, None)]
    assert got[0]["epoch"] == got[1]["epoch"]


def test_watch_reconnects_and_replays_what_it_missed(server):
    stream = unique("watchre")
    watch = tw_background(server, "watch", "--stream", stream, "--json", "--count", "4")
    lines = Lines(watch.stdout)
    errors = Lines(watch.stderr)
    wait_for(lambda: subscribed(server, stream), 15, what="watch subscribed")
    publish(server, stream, 1)
    lines.wait(1)
    (conn,) = [c for c in connections(server) if stream in c["subscriptions"]]
    assert http(server, "DELETE", f"/api/v1/connections/{conn['client_id']}").status == 204
    publish(server, stream, 2)  # while away, or just after: recovered either way
    wait_for(lambda: any(stream in c["subscriptions"] and c["client_id"] != conn["client_id"] for c in connections(server)),
             15, what="watch back")
    publish(server, stream, 3)
    publish(server, stream, 4)
    got = [json.loads(line) for line in lines.wait(4)]
    assert watch.wait(timeout=10) == 0
    assert [(m["seq"], m["data"]) for m in got] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert any(line.startswith("disconnected") for line in errors.join())


# ---------------------------------------------------------------- status

def test_status_shows_counts_per_queue_and_connections(server):
    q = queue_name()
    for _ in range(3):
        create(server, name="counted", queue=q)
    with Client(server, query="?subscribe=status-probe"):
        r = tw(server, "status")
        j = tw(server, "status", "--json")
    assert r.returncode == 0 and j.returncode == 0, r.stderr + j.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith(q + " "))
    assert row.split() == [q, "3", "3", "0", "0", "0", "0"]
    assert r.stdout.splitlines()[0].split() == ["QUEUE", "TOTAL", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]
    assert "status-probe" in r.stdout
    data = json.loads(j.stdout)
    assert data["queue_status"]["queues"][q]["pending_tasks"] == 3
    assert any("status-probe" in c["subscriptions"] for c in data["connections"])


def test_the_server_comes_from_the_environment(server):
    env = dict(os.environ, TASKWIRE_SERVER=server.base_url())
    r = subprocess.run([str(server_binary()), "status", "--json"], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    assert "queue_status" in json.loads(r.stdout)


def test_serve_on_a_port_in_use_names_the_address_and_exits_1(tmp_path):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        p = subprocess.run(
            [str(server_binary()), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--database", str(tmp_path / "t.db"), "--log-level", "warning"],
            capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert f"cannot listen on 127.0.0.1:{port}" in p.stderr and "Address already in use" in p.stderr, p.stderr


def test_a_second_server_on_the_same_port_is_refused_not_let_in(start_server, tmp_path):
    """The listener shares its port between its event loops (SO_REUSEPORT); another server
    asking for that port must still fail, not silently take part of the connections."""
    first = start_server()
    p = subprocess.run(
        [str(server_binary()), "serve", "--host", "127.0.0.1", "--port", str(first.port),
         "--database", str(tmp_path / "second.db"), "--log-level", "warning"],
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert f"cannot listen on 127.0.0.1:{first.port}" in p.stderr and "Address already in use" in p.stderr, p.stderr
    assert http(first, "GET", "/healthz").status == 200


def test_bench_fanout_marks_its_window_only_for_a_tracer():
    """`--mark-window` raises SIGUSR1 and SIGUSR2 for an instruction counter; without one they
    would kill the process, so it is refused up front with a usage error."""
    p = subprocess.run([str(server_binary()), "bench", "fanout", "--subscribers", "10", "--messages", "2", "--mark-window"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 64, (p.returncode, p.stderr)
    assert "--mark-window needs a tracer" in p.stderr, p.stderr
