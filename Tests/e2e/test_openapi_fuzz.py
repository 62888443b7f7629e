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

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from twclient import REPO_ROOT, http

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
               ("POST", "/api/v1/tasks/{id}/cancel"), ("POST", "/api/v1/queues/{queue}/claim"),
               ("POST", "/api/v1/tasks/{id}/progress"), ("POST", "/api/v1/tasks/{id}/heartbeat"),
               ("POST", "/api/v1/tasks/{id}/complete"), ("POST", "/api/v1/tasks/{id}/fail"),
               ("GET", "/api/v1/queue/status"), ("POST", "/api/v1/notifications"), ("POST", "/api/v1/publish"),
               ("GET", "/api/v1/connections"), ("DELETE", "/api/v1/connections/{client_id}"),
               ("GET", "/api/v1/metrics"), ("GET", "/metrics"), ("GET", "/healthz"), ("GET", "/readyz")]:
        assert op in operations, f"{op} is not in the OpenAPI document"


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
    case.call_and_validate(base_url=f"http://127.0.0.1:{server.port}", checks=CHECKS, timeout=10)
