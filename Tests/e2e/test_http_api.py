"""HTTP API: publish, connections, DELETE a connection, metrics (JSON and Prometheus), health, errors."""

import re
import time

import pytest

from twclient import Client, RawWS, assert_error_body, connections, http, metrics, parse_rfc3339, publish, unique, wait_for

SERVER_ARGS = ["--ping-interval", "30s", "--pong-timeout", "5s"]

CONNECTION_FIELDS = {"client_id", "user_id", "session_id", "connected_at", "last_ping", "state", "subscriptions"}
METRIC_FIELDS = {"total_connections", "active_connections", "messages_sent", "messages_received",
                 "connection_errors", "ping_timeouts", "average_connection_duration",
                 "connection_success_rate", "message_throughput"}


# ---------------------------------------------------------------- publish

def test_publish_returns_delivered_and_reaches_subscribers(server):
    s = unique("hp")
    subs = [Client(server, f"?subscribe={s}") for _ in range(3)]
    try:
        r = http(server, "POST", "/api/v1/publish", body={"event_type": s, "data": {"k": [1, None, "v"]}})
        assert r.status == 200, r.text()
        assert "json" in r.headers.get("content-type", "")
        assert r.json() == {"delivered": 3}
        for c in subs:
            ev = c.event(s)
            assert ev["type"] == "custom" and ev["event_type"] == s and ev["seq"] == 1
            assert isinstance(ev["epoch"], str) and ev["epoch"]
            assert ev["data"] == {"k": [1, None, "v"]}
    finally:
        for c in subs:
            c.close()


def test_publish_with_no_subscribers_delivers_zero(server):
    r = http(server, "POST", "/api/v1/publish", body={"event_type": unique("nobody"), "data": 1})
    assert r.status == 200 and r.json() == {"delivered": 0}


@pytest.mark.parametrize("data", [None, 1234567890123456789, {"deep": {"er": [[[]]]}}, "s", [True, False]])
def test_publish_data_unchanged(server, data):
    s = unique("hpd")
    with Client(server, f"?subscribe={s}") as c:
        assert publish(server, s, data) == 1
        ev = c.event(s)
        assert ev["data"] == data and type(ev["data"]) is type(data)


def test_publish_raw_body_big_integer_digits_kept(server):
    s = unique("hpi")
    with Client(server, f"?subscribe={s}") as c:
        r = http(server, "POST", "/api/v1/publish", raw=('{"event_type":"%s","data":[9007199254740993,1234567890123456789]}' % s).encode())
        assert r.status == 200, r.text()
        text = c.ws.recv(timeout=3)
        assert "9007199254740993" in text and "1234567890123456789" in text, text


@pytest.mark.parametrize("raw,field", [
    (b"not json", None),
    (b"[1,2]", None),
    (b"{}", "event_type"),
    (b'{"data":1}', "event_type"),
    (b'{"event_type":5,"data":1}', "event_type"),
    (b'{"event_type":null,"data":1}', "event_type"),
    (b'{"event_type":"bad name","data":1}', "event_type"),
    (b'{"event_type":"","data":1}', "event_type"),
], ids=["not-json", "array", "empty-object", "no-event_type", "event_type-number", "event_type-null",
        "event_type-invalid", "event_type-empty"])
def test_bad_publish_body_is_400_naming_the_field(server, raw, field):
    r = http(server, "POST", "/api/v1/publish", raw=raw)
    assert_error_body(r, 400, code="bad_request", mentions=field)


# ---------------------------------------------------------------- connections

def test_connections_lists_clients_with_all_fields(server):
    a, b = unique("c1"), unique("c2")
    t0 = time.time()
    with Client(server, f"?subscribe={a}") as c1, Client(server) as c2:
        c1.subscribe(b)
        conns = connections(server)
        by_id = {x["client_id"]: x for x in conns}
        assert c1.id in by_id and c2.id in by_id, f"{c1.id}, {c2.id} not in {list(by_id)}"
        for cid in (c1.id, c2.id):
            x = by_id[cid]
            missing = CONNECTION_FIELDS - x.keys()
            assert not missing, f"connection lacks {missing}: {x!r}"
            assert x["user_id"] is None and x["session_id"] is None
            assert x["state"] == "connected", x
            at = parse_rfc3339(x["connected_at"]).timestamp()
            assert t0 - 5 <= at <= time.time() + 5, f"connected_at {x['connected_at']} is not now"
            if x["last_ping"] is not None:
                parse_rfc3339(x["last_ping"])
        assert sorted(by_id[c1.id]["subscriptions"]) == sorted([a, b])
        assert by_id[c2.id]["subscriptions"] == []
    # Gone once closed.
    wait_for(lambda: not ({c1.id, c2.id} & {x["client_id"] for x in connections(server)}), 2,
             what="closed connections leave the list")


def test_delete_connection_closes_it_with_1008(server, bystander):
    with Client(server) as c:
        r = http(server, "DELETE", f"/api/v1/connections/{c.id}")
        assert r.status == 204, f"{r.status} {r.text()}"
        assert r.body == b""
        code = c.wait_close(3)
        assert code == 1008, f"expected close 1008, got {code}"
    wait_for(lambda: c.id not in {x["client_id"] for x in connections(server)}, 2, what="deleted connection gone")
    r = http(server, "DELETE", f"/api/v1/connections/{c.id}")
    assert_error_body(r, 404, code="not_found")
    bystander.check()


def test_delete_raw_connection_closes_it_with_1008(server):
    with RawWS(server) as r:
        w = r.read_welcome()
        resp = http(server, "DELETE", f"/api/v1/connections/{w['client_id']}")
        assert resp.status == 204
        assert r.wait_close(3).code == 1008


@pytest.mark.parametrize("cid", ["no-such-client", "00000000-0000-0000-0000-000000000000", "%20bad%20", "x" * 300])
def test_delete_unknown_connection_is_404(server, cid):
    r = http(server, "DELETE", f"/api/v1/connections/{cid}")
    assert_error_body(r, 404, code="not_found")


# ---------------------------------------------------------------- metrics

def test_metrics_has_every_field(server):
    m = metrics(server)
    missing = METRIC_FIELDS - m.keys()
    assert not missing, f"metrics lack {missing}: {m!r}"
    for k in METRIC_FIELDS:
        assert isinstance(m[k], (int, float)) and not isinstance(m[k], bool), f"{k} is not a number: {m[k]!r}"
        assert m[k] >= 0, f"{k} < 0: {m[k]!r}"
    for k in ("total_connections", "active_connections", "messages_sent", "messages_received",
              "connection_errors", "ping_timeouts"):
        assert isinstance(m[k], int), f"{k} should be an integer count: {m[k]!r}"
    assert 0 <= m["connection_success_rate"] <= 1


def _settle(srv, pred, timeout=2.0):
    """The metrics once ``pred`` holds (or the last read after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        m = metrics(srv)
        if pred(m) or time.monotonic() > deadline:
            return m
        time.sleep(0.05)


def test_metrics_count_correctly(start_server):
    srv = start_server("--ping-interval", "60s", "--pong-timeout", "5s")
    m0 = metrics(srv)
    assert m0["total_connections"] == 0 and m0["active_connections"] == 0, m0
    assert m0["messages_sent"] == 0 and m0["messages_received"] == 0, m0
    s = unique("m")
    a = Client(srv, f"?subscribe={s}")
    b = Client(srv)
    # Counters may be updated just after the bytes reach the client: allow them a moment.
    m1 = _settle(srv, lambda m: m["total_connections"] == 2 and m["active_connections"] == 2 and m["messages_sent"] == 2)
    assert m1["total_connections"] == 2 and m1["active_connections"] == 2, m1
    assert m1["messages_sent"] == 2, f"two welcomes written: {m1}"
    # b: ping -> pong; custom with id -> ack + one delivery to a
    b.send({"type": "ping"})
    b.recv()
    ack = b.request({"type": "custom", "id": 1, "event_type": s, "data": 1})
    assert ack["delivered"] == 1
    a.event(s)
    m2 = _settle(srv, lambda m: m["messages_received"] == 2 and m["messages_sent"] == 5)
    assert m2["messages_received"] == 2, f"2 messages from clients: {m2}"
    assert m2["messages_sent"] == 2 + 3, f"welcomes + pong + ack + event: {m2}"
    assert m2["message_throughput"] > 0, m2
    t_close = time.monotonic()
    b.close()
    m3 = wait_for(lambda: (lambda m: m if m["active_connections"] == 1 else None)(metrics(srv)), 2,
                  what="active_connections back to 1")
    assert m3["total_connections"] == 2, m3
    assert m3["connection_errors"] == 0 and m3["ping_timeouts"] == 0, m3
    assert m3["connection_success_rate"] == 1, m3
    assert 0 < m3["average_connection_duration"] < 60, m3
    a.close()


# ---------------------------------------------------------------- Prometheus, health, errors

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+\d+)?$')


def test_prometheus_metrics(server):
    with Client(server):
        r = http(server, "GET", "/metrics")
    assert r.status == 200, r.text()
    assert r.headers.get("content-type", "").startswith("text/plain"), r.headers.get("content-type")
    names = set()
    for line in r.text().splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                assert parts[2].startswith("taskwire_"), f"metric without the taskwire_ prefix: {line!r}"
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        float(m.group(3).replace("+Inf", "inf").replace("-Inf", "-inf").replace("NaN", "nan"))
        assert m.group(1).startswith("taskwire_"), f"metric without the taskwire_ prefix: {line!r}"
        names.add(m.group(1))
    assert names, "no samples in /metrics"
    assert any("connection" in n for n in names), f"no connection metric among {sorted(names)}"
    assert any("message" in n for n in names), f"no message metric among {sorted(names)}"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints(server, path):
    r = http(server, "GET", path)
    assert r.status == 200, f"{path}: {r.status} {r.text()}"


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/nope"),
    ("GET", "/no/such/route"),
    ("POST", "/api/v1/nothing-here"),
    ("GET", "/api/v2/metrics"),
])
def test_unknown_route_is_404_json(server, method, path):
    r = http(server, method, path, raw=b"{}" if method == "POST" else None)
    assert_error_body(r, 404, code="not_found")


# ---------------------------------------------------------------- headers

def test_every_response_has_a_current_date_header(server):
    from email.utils import parsedate_to_datetime
    import datetime

    for path in ["/healthz", "/api/v1/tasks?limit=1", "/no/such/path"]:
        r = http(server, "GET", path)
        date = r.headers.get("date")
        assert date and date.endswith(" GMT"), (path, r.headers)
        sent = parsedate_to_datetime(date)
        now = datetime.datetime.now(datetime.timezone.utc)
        assert abs((now - sent).total_seconds()) < 5, (path, date, now)
