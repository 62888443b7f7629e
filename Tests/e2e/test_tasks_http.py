"""The task HTTP API of PROTOCOL.md, endpoint by endpoint: answers, status codes and error bodies.

Every test works in queues of its own (``queue_name()``), so the module's one server serves them all.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from twclient import assert_error_body, http, parse_rfc3339
from twtasks import (API, COUNT_FIELDS, Session, assert_task, cancel, cancel_raw, claim, claim_raw, counts_of,
                     create, create_raw, expected_counts, get, list_all, list_page, list_raw, queue_name,
                     queue_status, retry, retry_raw, same_json, worker, worker_raw)

SERVER_ARGS = ["--ping-interval", "30s", "--max-payload-size", "4KiB", "--max-body-size", "64KiB"]
MAX_PAYLOAD = 4096

# Ids that are not ids: 404 like unknown ones (PROTOCOL.md: "404, also for malformed ids").
MALFORMED_IDS = ["not-a-task", "x" * 65, "bad%20id", "%E2%98%83", "..", "0", "00000000-0000-4000-8000-000000000000"]


@pytest.fixture
def q():
    return queue_name()


def running_task(srv, q, worker_id="w1", lease=30, **fields):
    t = create(srv, name="job", queue=q, **fields)
    c = claim(srv, q, worker_id, lease=lease)
    assert c["id"] == t["id"]
    return c


# ---------------------------------------------------------------- POST /api/v1/tasks

def test_create_with_only_a_name_has_the_defaults(server, q):
    r = create_raw(server, {"name": "only-name"})
    assert r.status == 201, r.text()
    assert "json" in r.headers.get("content-type", "")
    t = assert_task(r.json(), queue="default", name="only-name", payload=None, priority=0, status="pending",
                    progress=None, message=None, attempts=0, max_attempts=3, worker_id=None,
                    lease_expires_at=None, result=None, error=None)
    assert t["created_at"] == t["updated_at"]
    assert abs(parse_rfc3339(t["created_at"]).timestamp() - time.time()) < 5
    assert get(server, t["id"]) == t


def test_create_with_every_field(server, q):
    body = {"queue": q, "name": "resize image", "payload": {"w": 640, "h": [1, 2.5, None, True], "s": "é\u2603"},
            "priority": -7, "max_attempts": 5}
    t = create(server, **body)
    assert_task(t, queue=q, name="resize image", payload=body["payload"], priority=-7, max_attempts=5, status="pending")
    assert get(server, t["id"]) == t


@pytest.mark.parametrize("payload", [None, 0, -1.5, "text", [], {}, [1, [2, [3]]], {"a": {"b": {"c": None}}}, True, "\u0000\u2028"],
                         ids=["null", "zero", "float", "string", "empty-array", "empty-object", "nested-array",
                              "nested-object", "bool", "odd-chars"])
def test_payload_any_json_value_kept(server, q, payload):
    t = create(server, name="p", queue=q, payload=payload)
    assert same_json(t["payload"], payload)
    assert same_json(get(server, t["id"])["payload"], payload)


def test_payload_text_kept_exactly(server, q):
    # Big integers and number spellings survive: the payload is kept as the JSON text sent.
    raw = ('{"name":"big","queue":"%s","payload":{"n":9007199254740993,"m":1234567890123456789012,"f":1.50,"e":1E+2}}' % q).encode()
    r = create_raw(server, raw=raw)
    assert r.status == 201, r.text()
    for text in (r.text(), http(server, "GET", f"{API}/tasks/{r.json()['id']}").text()):
        assert '"payload":{"n":9007199254740993,"m":1234567890123456789012,"f":1.50,"e":1E+2}' in text, text


def test_create_null_optional_fields_are_the_defaults(server):
    t = create(server, name="n", queue=None, payload=None, priority=None, max_attempts=None)
    assert_task(t, queue="default", priority=0, max_attempts=3, payload=None)


@pytest.mark.parametrize("raw,field", [
    (b"not json", None),
    (b"[1,2]", None),
    (b"", None),
    (b"{}", "name"),
    (b'{"name":null}', "name"),
    (b'{"name":5}', "name"),
    (b'{"name":""}', "name"),
    (b'{"name":"n","queue":""}', "queue"),
    (b'{"name":"n","queue":"bad queue"}', "queue"),
    (b'{"name":"n","queue":"' + b"q" * 65 + b'"}', "queue"),
    (b'{"name":"n","queue":7}', "queue"),
    (b'{"name":"n","priority":"1"}', "priority"),
    (b'{"name":"n","priority":1.5}', "priority"),
    (b'{"name":"n","priority":1e30}', "priority"),
    (b'{"name":"n","max_attempts":0}', "max_attempts"),
    (b'{"name":"n","max_attempts":-1}', "max_attempts"),
    (b'{"name":"n","max_attempts":"3"}', "max_attempts"),
    (b'{"name":"n","max_attempts":2.5}', "max_attempts"),
], ids=["not-json", "array", "empty-body", "no-name", "name-null", "name-number", "name-empty", "queue-empty",
        "queue-space", "queue-too-long", "queue-number", "priority-string", "priority-fraction", "priority-huge",
        "max_attempts-0", "max_attempts-negative", "max_attempts-string", "max_attempts-fraction"])
def test_bad_create_is_400_naming_the_field(server, raw, field):
    before = queue_status(server)["total_tasks"]
    assert_error_body(create_raw(server, raw=raw), 400, "bad_request", mentions=field)
    assert queue_status(server)["total_tasks"] == before, "a refused task was stored"


def test_payload_over_the_limit_is_413_naming_payload(server, q):
    big = "x" * (MAX_PAYLOAD + 10)
    assert_error_body(create_raw(server, {"name": "big", "queue": q, "payload": big}), 413, "payload_too_large", mentions="payload")
    # Just under the limit is fine (the limit counts the payload's JSON text).
    ok = create(server, name="fits", queue=q, payload="y" * (MAX_PAYLOAD - 2))
    assert len(ok["payload"]) == MAX_PAYLOAD - 2
    assert counts_of(server, q)["total_tasks"] == 1


def test_body_over_the_limit_is_413(server, q):
    body = b'{"name":"huge","queue":"%s","payload":"%s"}' % (q.encode(), b"z" * (70 * 1024))
    r = create_raw(server, raw=body)
    assert_error_body(r, 413, "payload_too_large")


# ---------------------------------------------------------------- GET /api/v1/tasks/{id}

def test_get_unknown_id_is_404(server):
    r = http(server, "GET", f"{API}/tasks/3b241101-e2bb-4255-8caf-4136c566a962")
    assert_error_body(r, 404, "not_found", mentions="3b241101-e2bb-4255-8caf-4136c566a962")


@pytest.mark.parametrize("tid", MALFORMED_IDS)
def test_get_malformed_id_is_404(server, tid):
    assert_error_body(http(server, "GET", f"{API}/tasks/{tid}"), 404, "not_found")


# ---------------------------------------------------------------- GET /api/v1/tasks

def test_list_newest_first_with_filters(server, q):
    q2 = queue_name()
    made = [create(server, name=f"t{i}", queue=q, payload=i) for i in range(6)]
    other = create(server, name="other", queue=q2)
    page = list_page(server, f"queue={q}")
    assert [t["id"] for t in page["tasks"]] == [t["id"] for t in reversed(made)]
    assert page["next_cursor"] is None
    for t in page["tasks"]:
        assert_task(t)
    assert page["tasks"][0] == get(server, made[-1]["id"])
    # status filter
    claim(server, q, "w")  # the oldest of the queue is running now
    cancel(server, made[3]["id"])
    assert [t["id"] for t in list_page(server, f"queue={q}&status=running")["tasks"]] == [made[0]["id"]]
    assert [t["id"] for t in list_page(server, f"queue={q}&status=cancelled")["tasks"]] == [made[3]["id"]]
    assert [t["id"] for t in list_page(server, f"queue={q}&status=pending")["tasks"]] == [made[i]["id"] for i in (5, 4, 2, 1)]
    assert list_page(server, f"queue={q}&status=completed")["tasks"] == []
    assert other["id"] not in {t["id"] for t in list_page(server, f"queue={q}")["tasks"]}
    # Without a queue: every queue, newest first.
    everything = list_page(server, "limit=2")["tasks"]
    assert [t["id"] for t in everything] == [other["id"], made[-1]["id"]]


def test_list_limit_default_50_and_paging(server, q):
    made = [create(server, name=f"t{i}", queue=q)["id"] for i in range(53)]
    first = list_page(server, f"queue={q}")
    assert len(first["tasks"]) == 50 and isinstance(first["next_cursor"], str)
    second = list_page(server, f"queue={q}&cursor={first['next_cursor']}")
    assert len(second["tasks"]) == 3 and second["next_cursor"] is None
    assert [t["id"] for t in first["tasks"] + second["tasks"]] == made[::-1]
    # A page that ends exactly at the end may or may not say so; the next one is then empty.
    pages, ids, cursor = 0, [], None
    while True:
        page = list_page(server, f"queue={q}&limit=1" + (f"&cursor={cursor}" if cursor else ""))
        pages += 1
        ids += [t["id"] for t in page["tasks"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == made[::-1] and pages in (53, 54)


def test_list_limit_500_is_the_most(server, q):
    assert list_page(server, f"queue={q}&limit=500")["tasks"] == []
    assert_error_body(list_raw(server, "limit=501"), 400, "bad_request", mentions="limit")


@pytest.mark.parametrize("query,param", [
    ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=abc", "limit"), ("limit=1.5", "limit"),
    ("status=bogus", "status"), ("status=PENDING", "status"),
    ("queue=bad%20queue", "queue"), ("queue=" + "q" * 65, "queue"),
    ("cursor=not-a-cursor", "cursor"), ("cursor=%00%01", "cursor"),
])
def test_bad_list_query_is_400_naming_the_parameter(server, query, param):
    assert_error_body(list_raw(server, query), 400, "bad_request", mentions=param)


def test_paging_while_tasks_are_added_returns_every_task_once(server, q):
    before = [create(server, name=f"b{i}", queue=q)["id"] for i in range(120)]
    stop = threading.Event()
    added: list[str] = []
    errors: list[BaseException] = []

    def adder():
        s = Session(server)
        try:
            while not stop.is_set() and len(added) < 400:
                r = s.request("POST", f"{API}/tasks", {"name": "during", "queue": q})
                assert r.status == 201, r.body
                added.append(r.json()["id"])
        except BaseException as e:
            errors.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=adder, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        seen, cursor, pages = [], None, 0
        while True:
            page = list_page(server, f"queue={q}&limit=7" + (f"&cursor={cursor}" if cursor else ""))
            pages += 1
            seen += [t["id"] for t in page["tasks"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            time.sleep(0.005)  # let the adders in between pages
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors
    assert len(added) > 0, "nothing was added while paging"
    assert len(seen) == len(set(seen)), "a task was listed twice"
    missing = set(before) - set(seen)
    assert not missing, f"{len(missing)} tasks that existed before paging were not listed"
    assert set(seen) <= set(before) | set(added)
    # Tasks added during the paging are newer than the first page: the pages never skip back to them.
    order = {tid: i for i, tid in enumerate(before)}
    tail = [tid for tid in seen if tid in order]
    assert tail == sorted(tail, key=lambda tid: -order[tid]), "not newest first"
    # Once the adders stopped, one more listing has them all, each once.
    every = [t["id"] for t in list_all(server, f"queue={q}", limit=50)]
    assert len(every) == len(set(every)) == len(before) + len(added)
    assert set(every) == set(before) | set(added)


# ---------------------------------------------------------------- POST /api/v1/tasks/{id}/cancel

def test_cancel_pending_then_again_is_409(server, q):
    t = create(server, name="c", queue=q)
    c = cancel(server, t["id"])
    assert c["id"] == t["id"] and c["status"] == "cancelled"
    assert parse_rfc3339(c["updated_at"]) >= parse_rfc3339(t["updated_at"])
    assert_error_body(cancel_raw(server, t["id"]), 409, "conflict")
    assert get(server, t["id"])["status"] == "cancelled"


def test_cancel_running(server, q):
    t = running_task(server, q)
    assert cancel(server, t["id"])["status"] == "cancelled"
    assert_error_body(worker_raw(server, t["id"], "complete", {"worker_id": "w1"}), 409, "conflict")


@pytest.mark.parametrize("finish", ["complete", "fail"])
def test_cancel_finished_is_409(server, q, finish):
    t = running_task(server, q)
    body = {"worker_id": "w1"} if finish == "complete" else {"worker_id": "w1", "error": "e", "retry": False}
    worker(server, t["id"], finish, **body)
    err = assert_error_body(cancel_raw(server, t["id"]), 409, "conflict")
    assert get(server, t["id"])["status"] == ("completed" if finish == "complete" else "failed"), err


@pytest.mark.parametrize("tid", ["3b241101-e2bb-4255-8caf-4136c566a962", *MALFORMED_IDS])
def test_cancel_unknown_or_malformed_is_404(server, tid):
    assert_error_body(cancel_raw(server, tid), 404, "not_found")


# ---------------------------------------------------------------- POST /api/v1/tasks/{id}/retry

@pytest.mark.parametrize("end", ["fail", "cancel"])
def test_retry_a_failed_or_cancelled_task_gives_it_every_attempt_again(server, q, end):
    t = running_task(server, q, max_attempts=2, payload={"k": [1, 2]}, priority=3)
    if end == "fail":
        worker(server, t["id"], "fail", worker_id="w1", error="boom", retry=False)
    else:
        cancel(server, t["id"])
    r = retry(server, t["id"])
    assert_task(r, id=t["id"], queue=q, payload={"k": [1, 2]}, priority=3, max_attempts=2, progress=None,
                message="retried", worker_id=None, lease_expires_at=None, error=None, result=None,
                created_at=t["created_at"])
    assert get(server, t["id"]) == r
    assert counts_of(server, q) == expected_counts(pending=1)
    # Claimed again; the two attempts are there again.
    c = claim(server, q, "w2")
    assert c["id"] == t["id"] and c["attempts"] == 1
    worker(server, t["id"], "fail", worker_id="w2", error="again", retry=True)
    assert get(server, t["id"])["status"] == "pending"


@pytest.mark.parametrize("state", ["pending", "running", "completed"])
def test_retry_a_task_that_is_not_failed_or_cancelled_is_409(server, q, state):
    t = create(server, name="r", queue=q)
    if state != "pending":
        t = claim(server, q, "w1")
    if state == "completed":
        t = worker(server, t["id"], "complete", worker_id="w1", result=1)
    assert_error_body(retry_raw(server, t["id"]), 409, "conflict", mentions=state)
    assert get(server, t["id"])["status"] == state


@pytest.mark.parametrize("tid", ["3b241101-e2bb-4255-8caf-4136c566a962", *MALFORMED_IDS])
def test_retry_unknown_or_malformed_is_404(server, tid):
    assert_error_body(retry_raw(server, tid), 404, "not_found")


# ---------------------------------------------------------------- POST /api/v1/queues/{queue}/claim

def test_claim_takes_a_pending_task(server, q):
    t = create(server, name="c", queue=q, payload={"x": 1})
    before = time.time()
    r = claim_raw(server, q, {"worker_id": "worker-7", "lease_seconds": 45})
    assert r.status == 200, r.text()
    c = assert_task(r.json(), id=t["id"], status="running", attempts=1, worker_id="worker-7", payload={"x": 1})
    lease = parse_rfc3339(c["lease_expires_at"]).timestamp()
    assert before + 44 <= lease <= time.time() + 46, c
    assert get(server, t["id"]) == c


def test_claim_default_lease_is_30s(server, q):
    create(server, name="c", queue=q)
    c = claim(server, q, "w")
    lease = parse_rfc3339(c["lease_expires_at"]) - parse_rfc3339(c["updated_at"])
    assert abs(lease - timedelta(seconds=30)) < timedelta(seconds=1), c


def test_claim_empty_queue_is_204(server, q):
    r = claim_raw(server, q, {"worker_id": "w"})
    assert r.status == 204 and r.body == b"", (r.status, r.body)
    create(server, name="elsewhere", queue=queue_name())  # another queue's task is not ours
    assert claim_raw(server, q, {"worker_id": "w"}).status == 204


def test_claim_order_priority_then_oldest(server, q):
    low = create(server, name="low", queue=q, priority=-1)
    mid1 = create(server, name="mid1", queue=q)
    high1 = create(server, name="high1", queue=q, priority=5)
    mid2 = create(server, name="mid2", queue=q, priority=0)
    high2 = create(server, name="high2", queue=q, priority=5)
    order = [claim(server, q, "w")["id"] for _ in range(5)]
    assert order == [high1["id"], high2["id"], mid1["id"], mid2["id"], low["id"]]
    assert claim(server, q, "w") is None


def test_claimed_task_is_not_claimed_again_but_a_requeued_one_is(server, q):
    t = running_task(server, q)
    assert claim(server, q, "w2") is None
    worker(server, t["id"], "fail", worker_id="w1", error="e", retry=True)
    again = claim(server, q, "w2")
    assert again["id"] == t["id"] and again["attempts"] == 2


@pytest.mark.parametrize("body,field", [
    ({}, "worker_id"),
    ({"worker_id": None}, "worker_id"),
    ({"worker_id": ""}, "worker_id"),
    ({"worker_id": 3}, "worker_id"),
    ({"worker_id": "w", "lease_seconds": 0}, "lease_seconds"),
    ({"worker_id": "w", "lease_seconds": 3601}, "lease_seconds"),
    ({"worker_id": "w", "lease_seconds": -5}, "lease_seconds"),
    ({"worker_id": "w", "lease_seconds": "30"}, "lease_seconds"),
    ({"worker_id": "w", "lease_seconds": 1.5}, "lease_seconds"),
], ids=["no-worker", "worker-null", "worker-empty", "worker-number", "lease-0", "lease-3601", "lease-negative",
        "lease-string", "lease-fraction"])
def test_bad_claim_is_400_naming_the_field(server, q, body, field):
    create(server, name="c", queue=q)
    assert_error_body(claim_raw(server, q, body), 400, "bad_request", mentions=field)
    assert counts_of(server, q)["pending_tasks"] == 1, "a refused claim took the task"


@pytest.mark.parametrize("lease", [1, 3600])
def test_claim_lease_bounds_accepted(server, q, lease):
    create(server, name="c", queue=q)
    assert claim(server, q, "w", lease=lease)["attempts"] == 1


def test_claim_bad_body_is_400(server, q):
    assert_error_body(claim_raw(server, q, raw=b"{"), 400, "bad_request")
    assert_error_body(claim_raw(server, q, raw=b"[]"), 400, "bad_request")


def test_claim_invalid_queue_name_is_refused(server):
    r = claim_raw(server, "bad%20queue", {"worker_id": "w"})
    assert r.status in (400, 404), r.text()
    assert_error_body(r, r.status, mentions="queue" if r.status == 400 else None)


# ---------------------------------------------------------------- worker calls

def test_progress(server, q):
    t = running_task(server, q)
    p = worker(server, t["id"], "progress", worker_id="w1", progress=0.25, message="a quarter")
    assert (p["progress"], p["message"], p["status"]) == (0.25, "a quarter", "running")
    # Each field alone; the other is kept.
    p = worker(server, t["id"], "progress", worker_id="w1", progress=1)
    assert (p["progress"], p["message"]) == (1, "a quarter")
    p = worker(server, t["id"], "progress", worker_id="w1", message="almost")
    assert (p["progress"], p["message"]) == (1, "almost")
    p = worker(server, t["id"], "progress", worker_id="w1", progress=0)
    assert p["progress"] == 0
    assert get(server, t["id"]) == p


@pytest.mark.parametrize("body,field", [
    ({"progress": 0.5}, "worker_id"),
    ({"worker_id": "", "progress": 0.5}, "worker_id"),
    ({"worker_id": "w1", "progress": 1.5}, "progress"),
    ({"worker_id": "w1", "progress": -0.1}, "progress"),
    ({"worker_id": "w1", "progress": "half"}, "progress"),
    ({"worker_id": "w1", "progress": 0.5, "message": 5}, "message"),
], ids=["no-worker", "worker-empty", "over-1", "negative", "string", "message-number"])
def test_bad_progress_is_400_naming_the_field(server, q, body, field):
    t = running_task(server, q)
    assert_error_body(worker_raw(server, t["id"], "progress", body), 400, "bad_request", mentions=field)
    assert get(server, t["id"])["progress"] is None


def test_heartbeat_extends_the_lease(server, q):
    t = running_task(server, q, lease=5)
    h = worker(server, t["id"], "heartbeat", worker_id="w1", lease_seconds=600)
    extended = parse_rfc3339(h["lease_expires_at"]) - parse_rfc3339(t["lease_expires_at"])
    assert timedelta(seconds=590) <= extended <= timedelta(seconds=600), (t, h)
    assert h["status"] == "running" and h["attempts"] == 1
    h2 = worker(server, t["id"], "heartbeat", worker_id="w1")  # 30 s by default
    left = parse_rfc3339(h2["lease_expires_at"]) - parse_rfc3339(h2["updated_at"])
    assert abs(left - timedelta(seconds=30)) < timedelta(seconds=1), h2


@pytest.mark.parametrize("lease", [0, 3601, "10"])
def test_bad_heartbeat_lease_is_400(server, q, lease):
    t = running_task(server, q)
    assert_error_body(worker_raw(server, t["id"], "heartbeat", {"worker_id": "w1", "lease_seconds": lease}), 400,
                      "bad_request", mentions="lease_seconds")


def test_complete_keeps_the_result(server, q):
    t = running_task(server, q)
    result = {"url": "s3://b/k", "sizes": [1, 2, 3], "ok": True, "none": None}
    c = worker(server, t["id"], "complete", worker_id="w1", result=result)
    assert_task(c, status="completed", result=result, attempts=1, lease_expires_at=None)
    assert get(server, t["id"]) == c
    assert_error_body(worker_raw(server, t["id"], "complete", {"worker_id": "w1", "result": 2}), 409, "conflict")
    assert get(server, t["id"])["result"] == result


def test_complete_without_result_is_null(server, q):
    t = running_task(server, q)
    assert worker(server, t["id"], "complete", worker_id="w1")["result"] is None


def test_result_over_the_limit_is_413_naming_result(server, q):
    t = running_task(server, q)
    r = worker_raw(server, t["id"], "complete", {"worker_id": "w1", "result": "r" * (MAX_PAYLOAD + 1)})
    assert_error_body(r, 413, "payload_too_large", mentions="result")
    assert get(server, t["id"])["status"] == "running"


def test_fail_with_retry_requeues(server, q):
    t = running_task(server, q, max_attempts=2)
    f = worker(server, t["id"], "fail", worker_id="w1", error="disk full", retry=True)
    assert_task(f, status="pending", error="disk full", attempts=1, worker_id=None, lease_expires_at=None)
    c = claim(server, q, "w2")
    assert c["attempts"] == 2
    f2 = worker(server, t["id"], "fail", worker_id="w2", error="again")  # retry: true, but no attempt left
    assert_task(f2, status="failed", error="again", attempts=2, lease_expires_at=None)


def test_fail_without_retry_is_final(server, q):
    t = running_task(server, q, max_attempts=5)
    f = worker(server, t["id"], "fail", worker_id="w1", error="bad input", retry=False)
    assert_task(f, status="failed", error="bad input", attempts=1)
    assert claim(server, q, "w1") is None


@pytest.mark.parametrize("body,field", [
    ({"worker_id": "w1"}, "error"),
    ({"worker_id": "w1", "error": None}, "error"),
    ({"worker_id": "w1", "error": 5}, "error"),
    ({"worker_id": "w1", "error": "e", "retry": "yes"}, "retry"),
    ({"error": "e"}, "worker_id"),
], ids=["no-error", "error-null", "error-number", "retry-string", "no-worker"])
def test_bad_fail_is_400_naming_the_field(server, q, body, field):
    t = running_task(server, q)
    assert_error_body(worker_raw(server, t["id"], "fail", body), 400, "bad_request", mentions=field)
    assert get(server, t["id"])["status"] == "running"


WORKER_CALLS = [("progress", {"progress": 0.5}), ("heartbeat", {"lease_seconds": 30}), ("complete", {"result": 1}),
                ("fail", {"error": "e"})]


@pytest.mark.parametrize("action,extra", WORKER_CALLS, ids=[a for a, _ in WORKER_CALLS])
def test_worker_call_by_another_worker_is_409(server, q, action, extra):
    t = running_task(server, q)
    assert_error_body(worker_raw(server, t["id"], action, {"worker_id": "intruder", **extra}), 409, "conflict")
    after = get(server, t["id"])
    assert (after["status"], after["worker_id"], after["progress"], after["lease_expires_at"]) == \
        ("running", "w1", None, t["lease_expires_at"])


@pytest.mark.parametrize("action,extra", WORKER_CALLS, ids=[a for a, _ in WORKER_CALLS])
def test_worker_call_on_a_task_not_running_is_409(server, q, action, extra):
    pending = create(server, name="p", queue=q)
    assert_error_body(worker_raw(server, pending["id"], action, {"worker_id": "w1", **extra}), 409, "conflict")
    assert get(server, pending["id"]) == pending
    done = running_task(server, queue_name())
    worker(server, done["id"], "complete", worker_id="w1")
    assert_error_body(worker_raw(server, done["id"], action, {"worker_id": "w1", **extra}), 409, "conflict")


@pytest.mark.parametrize("action,extra", WORKER_CALLS, ids=[a for a, _ in WORKER_CALLS])
@pytest.mark.parametrize("tid", ["3b241101-e2bb-4255-8caf-4136c566a962", "not-a-task", "%E2%98%83"])
def test_worker_call_on_unknown_or_malformed_id_is_404(server, action, extra, tid):
    assert_error_body(worker_raw(server, tid, action, {"worker_id": "w1", **extra}), 404, "not_found")


@pytest.mark.parametrize("action", ["progress", "heartbeat", "complete", "fail"])
def test_worker_call_with_a_bad_body_is_400(server, q, action):
    t = running_task(server, q)
    assert_error_body(worker_raw(server, t["id"], action, raw=b"nope"), 400, "bad_request")
    assert_error_body(worker_raw(server, t["id"], action, raw=b'"a string"'), 400, "bad_request")


# ---------------------------------------------------------------- GET /api/v1/queue/status

def test_queue_status_counts_per_queue(server, q):
    q2 = queue_name()
    ids = [create(server, name=f"t{i}", queue=q)["id"] for i in range(7)]
    create(server, name="other", queue=q2)
    c1 = claim(server, q, "w")
    c2 = claim(server, q, "w")
    c3 = claim(server, q, "w")
    worker(server, c1["id"], "complete", worker_id="w")
    worker(server, c2["id"], "fail", worker_id="w", error="e", retry=False)
    cancel(server, ids[-1])
    st = queue_status(server)
    assert st["queues"][q] == expected_counts(pending=3, running=1, completed=1, failed=1, cancelled=1)
    assert st["queues"][q2] == expected_counts(pending=1)
    assert c3["status"] == "running"
    for f in COUNT_FIELDS:
        assert st[f] == sum(qc[f] for qc in st["queues"].values()), (f, st)
    assert st["total_tasks"] == sum(st[f] for f in COUNT_FIELDS if f != "total_tasks")


def test_unknown_queue_is_absent_from_status(server):
    assert queue_name() not in queue_status(server)["queues"]


# ---------------------------------------------------------------- POST /api/v1/notifications

def test_notification_is_202(server):
    r = http(server, "POST", f"{API}/notifications", body={"level": "success", "title": "t", "message": "m", "user_id": None})
    assert r.status == 202, r.text()
    r = http(server, "POST", f"{API}/notifications", body={"level": "info", "title": "t", "message": "m", "user_id": "u-1"})
    assert r.status == 202, r.text()


def test_notification_bad_body_is_400(server):
    assert_error_body(http(server, "POST", f"{API}/notifications", raw=b"{"), 400, "bad_request")
    assert_error_body(http(server, "POST", f"{API}/notifications", body={"level": "loud", "title": "t"}), 400,
                      "bad_request", mentions="level")
