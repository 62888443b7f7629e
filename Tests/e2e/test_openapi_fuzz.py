"""Schemathesis against the OpenAPI 3.1 document the server serves at GET /api/v1/openapi.json.

Every operation is fuzzed with a bounded number of generated requests, valid and invalid
(schemathesis' positive and negative modes), each answer checked for:
  - not_a_server_error: no 5xx;
  - response_schema_conformance: the body matches the documented schema of its status;
  - status_code_conformance: the status is one the document lists for the operation.

pytest collects one test per operation, so the document is read at collection time from the
file the binary serves (Sources/TaskwireHTTP/Resources/openapi.json); ``test_served_document``
checks that the server serves exactly that document. Generation is deterministic (the same
requests every run); set TASKWIRE_FUZZ_EXAMPLES to change the number of examples per operation
and TASKWIRE_FUZZ_RANDOM=1 to explore with fresh random inputs.
"""

from __future__ import annotations

import itertools
import json
import os
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from twclient import REPO_ROOT, http
from twtasks import claim, create, queue_status

SERVER_ARGS = ["--ping-interval", "30s", "--max-payload-size", "64KiB"]

DOCUMENT = REPO_ROOT / "Sources" / "TaskwireHTTP" / "Resources" / "openapi.json"
EXAMPLES = int(os.environ.get("TASKWIRE_FUZZ_EXAMPLES", "40"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

schema = schemathesis.openapi.from_path(DOCUMENT)


def test_served_document(server):
    r = http(server, "GET", "/api/v1/openapi.json")
    assert r.status == 200 and "json" in r.headers.get("content-type", ""), (r.status, r.headers)
    served = r.json()
    assert served == json.loads(DOCUMENT.read_text()), \
        f"the server does not serve {DOCUMENT.relative_to(REPO_ROOT)} (the fuzz tests read that file)"
    assert served["openapi"].startswith("3.1")
    operations = {(m.upper(), p) for p, item in served["paths"].items() for m in item if m != "parameters"}
    # Every endpoint of PROTOCOL.md's HTTP table is documented (and so fuzzed below).
    for op in [("POST", "/api/v1/tasks"), ("GET", "/api/v1/tasks/{id}"), ("GET", "/api/v1/tasks"),
               ("POST", "/api/v1/tasks/{id}/cancel"), ("POST", "/api/v1/tasks/{id}/retry"),
               ("POST", "/api/v1/queues/{queue}/claim"),
               ("POST", "/api/v1/tasks/{id}/progress"), ("POST", "/api/v1/tasks/{id}/heartbeat"),
               ("POST", "/api/v1/tasks/{id}/complete"), ("POST", "/api/v1/tasks/{id}/fail"),
               ("GET", "/api/v1/queue/status"), ("POST", "/api/v1/notifications"), ("POST", "/api/v1/publish"),
               ("GET", "/api/v1/connections"), ("DELETE", "/api/v1/connections/{client_id}"),
               ("GET", "/api/v1/metrics"), ("GET", "/metrics"), ("GET", "/healthz"), ("GET", "/readyz"),
               ("GET", "/"), ("GET", "/dashboard/{file}"), ("GET", "/taskwire-client.js")]:
        assert op in operations, f"{op} is not in the OpenAPI document"


_serial = itertools.count()
FUZZ_WORKER = "fuzz-worker"


def _steer(case, srv) -> None:
    """Points a share of the generated requests at real tasks and queues.

    Random ids only ever meet 404 and random queues 204: a request whose generated ``id`` or
    ``queue`` hashes to 0 or 1 (mod 4) is sent to a fresh running task held by ``fuzz-worker``
    (whose ``worker_id`` the body then takes, half of the time) or to a fresh pending task, and
    claims go to a queue with a pending task, so the 200 and 409 answers get fuzzed bodies too.
    The choice depends only on the generated data, so runs stay reproducible.
    """
    pp = case.path_parameters
    if not isinstance(pp, dict):
        return
    if isinstance(pp.get("id"), str) and "/tasks/" in case.path:
        h = zlib.crc32(pp["id"].encode())
        if h % 4 == 0:
            q = f"fuzz-run-{next(_serial)}"
            create(srv, name="fuzz", queue=q, payload={"fuzz": True})
            pp["id"] = claim(srv, q, FUZZ_WORKER, lease=600)["id"]
            if isinstance(case.body, dict) and (h >> 2) % 2 == 0:
                case.body["worker_id"] = FUZZ_WORKER
        elif h % 4 == 1:
            pp["id"] = create(srv, name="fuzz", queue="fuzz-pending")["id"]
    if isinstance(pp.get("queue"), str) and "/claim" in case.path:
        if zlib.crc32(pp["queue"].encode()) % 2 == 0:
            pp["queue"] = "fuzz-claim"
            create(srv, name="fuzz", queue="fuzz-claim", payload=[1, "two", None])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the repository
    derandomize=os.environ.get("TASKWIRE_FUZZ_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    print_blob=True,
)
def test_api(case, server):
    _steer(case, server)
    case.call_and_validate(base_url=f"http://127.0.0.1:{server.port}", checks=CHECKS, timeout=10)


def test_fuzzing_reached_real_tasks(server):
    """The steering worked: fuzzed worker calls and cancels changed real tasks (runs after test_api)."""
    queues = {name: c for name, c in queue_status(server)["queues"].items() if name.startswith("fuzz-")}
    if not queues:
        pytest.skip("test_api did not run in this session")
    total = {f: sum(c[f] for c in queues.values()) for f in ("completed_tasks", "failed_tasks", "cancelled_tasks", "running_tasks")}
    assert total["completed_tasks"] > 0 and total["cancelled_tasks"] > 0, total
