"""Authentication and access control over real sockets, with tokens made by PyJWT.

A server with `--secure` (HS256 secret, an RSA and a P-256 public key, an origin allow-list)
refuses every credential problem before the upgrade (401) and on every API call, and enforces
each token's rights on streams and API families; the development default lets anonymous
clients in but still refuses bad tokens."""

from __future__ import annotations

import json
import time

import pytest

from authkit import Keys, bearer, claims, es256, hs256, hs256_raw, rs256, unsigned
from twclient import Client, HandshakeRefused, RawWS, assert_error_body, http, unique, wait_for

ORIGIN = "https://app.example"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return Keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def secure(keys, tmp_path_factory):
    from twclient import Server
    s = Server(keys.server_args() + ["--allowed-origins", f"{ORIGIN},https://other.example"],
               log_dir=tmp_path_factory.mktemp("logs"), name="secure")
    s.start()
    yield s
    s.kill()


def refused(srv, path: str = "/ws", headers: dict | None = None) -> HandshakeRefused:
    try:
        ws = RawWS(srv, path=path, headers=headers)
    except HandshakeRefused as r:
        return r
    ws.close()
    raise AssertionError(f"the upgrade of {path} was accepted")


def assert_refused(r: HandshakeRefused, status: int, code: str, mentions: str) -> None:
    assert r.status == status, (r.status, r.body)
    body = json.loads(r.body)
    assert body["error"]["code"] == code, body
    assert mentions in body["error"]["message"], body


# ------------------------------------------------------------------ refusals at the upgrade

def test_every_bad_credential_is_refused_with_401_before_the_upgrade(secure, keys):
    r = refused(secure)
    assert_refused(r, 401, "unauthorized", "required")
    assert r.headers.get("www-authenticate") == "Bearer"
    cases = {
        "signature": hs256(claims(), secret="not-the-secret"),
        "not accepted": hs256(claims(), alg="HS384"),
        "alg none": unsigned(claims()),
        "expired": hs256(claims(ttl=-30)),
        "not valid yet": hs256(claims(nbf=int(time.time()) + 600)),
        "malformed": "abc.def",
    }
    for mentions, token in cases.items():
        assert_refused(refused(secure, headers=bearer(token)), 401, "unauthorized", mentions)
        assert_refused(refused(secure, path=f"/ws?token={token}"), 401, "unauthorized", mentions)
    # RS256 signed by a key the server does not know; HS256 with the public key as its secret.
    assert_refused(refused(secure, headers=bearer(rs256(keys.stranger, claims()))), 401, "unauthorized", "signature")
    confused = hs256_raw(claims(), keys.rsa_pem.read_bytes())
    assert_refused(refused(secure, headers=bearer(confused)), 401, "unauthorized", "signature")


def test_each_accepted_algorithm_lets_the_client_in_with_its_identity(secure, keys):
    for token in (hs256(claims("u-hs", sid="s1")), rs256(keys.rsa, claims("u-rs", sid="s1")), es256(keys.ec, claims("u-es", sid="s1"))):
        with Client(secure, query=f"?token={token}") as c:
            assert c.welcome["user_id"] == json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[1] + "==").decode())["sub"]
            assert c.welcome["session_id"] == "s1"
        with Client(secure, additional_headers=bearer(token)) as c:
            c.assert_alive()


def test_origins_outside_the_allow_list_are_refused_with_403(secure):
    token = hs256(claims(subscribe=["*"]))
    assert_refused(refused(secure, headers={**bearer(token), "Origin": "https://evil.example"}), 403, "forbidden", "evil.example")
    with Client(secure, query=f"?token={token}", origin=ORIGIN) as c:
        c.assert_alive()
    with Client(secure, query=f"?token={token}") as c:  # not a browser: no Origin header
        c.assert_alive()


def test_a_query_subscription_outside_the_tokens_rights_is_refused_with_403(secure):
    token = hs256(claims(subscribe=["task:*"]))
    assert_refused(refused(secure, path=f"/ws?subscribe=task:t1,news&token={token}"), 403, "forbidden", "news")
    with Client(secure, query=f"?subscribe=task:t1&token={token}") as c:
        assert c.welcome["subscriptions"] == ["task:t1"]


# ------------------------------------------------------------------ rights on the socket

def test_subscribe_and_publish_are_limited_to_the_tokens_patterns(secure):
    room = unique("room")
    token = hs256(claims(subscribe=[f"{room}.*", "task:*"], publish=[f"{room}.chat"]))
    with Client(secure, query=f"?token={token}") as c:
        assert c.request({"type": "subscribe", "id": 1, "event_types": [f"{room}.chat"]})["type"] == "ack"
        e = c.request({"type": "subscribe", "id": 2, "event_types": ["task:x", "news"]})
        assert e["type"] == "error" and e["code"] == "forbidden" and "news" in e["message"], e
        assert c.request({"type": "custom", "id": 3, "event_type": f"{room}.chat", "data": 1}) == {"type": "ack", "id": 3, "delivered": 1}
        e = c.request({"type": "custom", "id": 4, "event_type": f"{room}.other", "data": 1})
        assert e["type"] == "error" and e["code"] == "forbidden", e
        assert c.event(f"{room}.chat")["data"] == 1
        c.no_message(0.2)


def test_user_notifications_reach_only_their_user(secure):
    admin = hs256(claims("ops", admin=True))
    alice = hs256(claims("alice", subscribe=["user_notification"]))
    bob = hs256(claims("bob", subscribe=["user_notification"]))
    with Client(secure, query=f"?subscribe=user_notification&token={alice}") as a, \
            Client(secure, query=f"?subscribe=user_notification&token={bob}") as b:
        r = http(secure, "POST", "/api/v1/notifications",
                 {"level": "info", "title": "t", "message": "for alice", "user_id": "alice"}, headers=bearer(admin))
        assert r.status == 202, r.body
        assert a.event("user_notification")["message"] == "for alice"
        b.no_message(0.3)


def test_an_expired_connection_is_closed_with_4001_unless_refreshed(secure):
    with Client(secure, query=f"?token={hs256(claims('carol', ttl=2))}") as c:
        assert c.wait_close(timeout=10) == 4001
    with Client(secure, query=f"?token={hs256(claims('dave', ttl=2))}") as c:
        fresh = c.request({"type": "refresh", "id": "r1", "token": hs256(claims("dave", ttl=300))})
        assert fresh["type"] == "ack" and fresh["expires_at"], fresh
        other = c.request({"type": "refresh", "id": "r2", "token": hs256(claims("eve", ttl=300))})
        assert other["type"] == "error" and other["code"] == "forbidden", other
        bad = c.request({"type": "refresh", "id": "r3", "token": hs256(claims("dave"), secret="wrong")})
        assert bad["type"] == "error" and bad["code"] == "unauthorized", bad
        time.sleep(3.5)
        c.assert_alive()


# ------------------------------------------------------------------ rights on the HTTP API

def test_each_api_family_needs_its_right(secure):
    tasks = bearer(hs256(claims("producer", api=["tasks"])))
    worker = bearer(hs256(claims("worker", api=["worker"])))
    admin = bearer(hs256(claims("ops", admin=True)))
    q = unique("q")
    assert_error_body(http(secure, "POST", "/api/v1/tasks", {"name": "x", "queue": q}), 401, "unauthorized")
    r = http(secure, "POST", "/api/v1/tasks", {"name": "x", "queue": q}, headers=tasks)
    assert r.status == 201, r.body
    tid = r.json()["id"]
    assert http(secure, "GET", f"/api/v1/tasks/{tid}", headers=tasks).status == 200
    assert http(secure, "GET", "/api/v1/queue/status", headers=tasks).status == 200
    assert_error_body(http(secure, "POST", f"/api/v1/queues/{q}/claim", {"worker_id": "w"}, headers=tasks), 403, "forbidden")
    assert_error_body(http(secure, "POST", "/api/v1/tasks", {"name": "x"}, headers=worker), 403, "forbidden")
    assert http(secure, "POST", f"/api/v1/queues/{q}/claim", {"worker_id": "w"}, headers=worker).status == 200
    assert http(secure, "POST", f"/api/v1/tasks/{tid}/complete", {"worker_id": "w", "result": 1}, headers=worker).status == 200
    for method, path, body in (("GET", "/api/v1/connections", None), ("GET", "/api/v1/metrics", None), ("GET", "/metrics", None),
                               ("POST", "/api/v1/publish", {"event_type": "x", "data": 1}),
                               ("POST", "/api/v1/notifications", {"level": "info", "title": "t", "message": "m"})):
        for creds in (tasks, worker):
            assert_error_body(http(secure, method, path, body, headers=creds), 403, "forbidden")
        assert http(secure, method, path, body, headers=admin).status in (200, 202), (path, )
    # The token may also come as a query parameter; health and the OpenAPI document are open.
    assert http(secure, "GET", f"/api/v1/metrics?token={hs256(claims('ops', admin=True))}").status == 200
    for path in ("/healthz", "/readyz", "/api/v1/openapi.json"):
        assert http(secure, "GET", path).status == 200, path
    assert_error_body(http(secure, "GET", "/api/v1/metrics", headers=bearer(unsigned(claims(admin=True)))), 401, "unauthorized")


def test_tokens_and_the_secret_never_reach_the_log(secure):
    token = hs256(claims("logged", admin=True))
    http(secure, "GET", f"/api/v1/connections?token={token}")
    with Client(secure, query=f"?token={token}") as c:
        c.assert_alive()
    # The first line is the test's own command line (with the secret); the rest is the server's.
    log = secure.log().split("\n", 1)[1]
    assert token not in log and token.split(".")[2] not in log
    assert "e2e-secret" not in log


# ------------------------------------------------------------------ the development default

def test_anonymous_by_default_but_bad_tokens_are_still_refused(server):
    with Client(server, query="?subscribe=anything") as c:
        assert c.welcome["user_id"] is None
    assert http(server, "GET", "/api/v1/connections").status == 200
    assert_refused(refused(server, path=f"/ws?token={hs256(claims())}"), 401, "unauthorized", "not accepted")
    assert_error_body(http(server, "GET", "/api/v1/metrics", headers=bearer("x.y.z")), 401, "unauthorized")
    assert "anonymous access is allowed" in server.log()


# ------------------------------------------------------------------ taskwire token

def test_taskwire_token_mints_what_the_server_accepts(secure):
    import subprocess

    import jwt as pyjwt

    from authkit import SECRET
    from twclient import server_binary

    out = subprocess.run(
        [str(server_binary()), "token", "--jwt-secret", SECRET, "--sub", "minted", "--sid", "s9", "--subscribe", "task:*",
         "--publish", "room.*", "--api", "tasks", "--expires-in", "10m"],
        capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    decoded = pyjwt.decode(token, SECRET, algorithms=["HS256"])
    assert decoded["sub"] == "minted" and decoded["sid"] == "s9" and decoded["subscribe"] == ["task:*"]
    assert decoded["publish"] == ["room.*"] and decoded["api"] == ["tasks"] and "admin" not in decoded
    assert 590 <= decoded["exp"] - time.time() <= 600
    assert http(secure, "GET", "/api/v1/queue/status", headers=bearer(token)).status == 200
    assert_error_body(http(secure, "GET", "/api/v1/connections", headers=bearer(token)), 403, "forbidden")
    with Client(secure, query=f"?subscribe=task:abc&token={token}") as c:
        assert c.welcome["user_id"] == "minted"

    short = subprocess.run([str(server_binary()), "token", "--jwt-secret", "short"], capture_output=True, text=True,
                           timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert short.returncode != 0 and "32 bytes" in short.stderr, short.stderr
