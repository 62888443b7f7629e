"""The inbound rate limit (off by default): over --rate-limit a message is answered with
rate_limited and not processed; more than --rate-limit-max-violations in a minute closes 4004.
A flooding client does not slow the others."""

from twclient import Client

RATE = 5
BURST = 5
MAX_VIOLATIONS = 20
SERVER_ARGS = ["--rate-limit", str(RATE), "--rate-limit-burst", str(BURST),
               "--rate-limit-max-violations", str(MAX_VIOLATIONS), "--max-bad-messages", "1000"]


def test_messages_within_the_burst_are_served(server, bystander):
    with Client(server) as c:
        for i in range(BURST):
            c.send({"type": "ping", "id": i})
            assert c.recv()["type"] == "pong"
    bystander.check()


def test_a_flood_gets_rate_limited_then_closed_4004(server, bystander):
    with Client(server) as c:
        for i in range(BURST + MAX_VIOLATIONS + 10):
            c.send({"type": "ping", "id": i})
        answers = []
        code = None
        while code is None:
            try:
                answers.append(c.recv(timeout=3))
            except Exception:
                code = c.wait_close(3)
        kinds = [a["type"] if a["type"] != "error" else a["code"] for a in answers]
        assert kinds[:BURST] == ["pong"] * BURST, kinds
        assert "rate_limited" in kinds[BURST:], kinds
        assert code == 4004, f"expected close 4004 after a flood, got {code}"
    bystander.check()


def test_rate_limit_is_off_by_default(start_server):
    srv = start_server()
    with Client(srv) as c:
        for i in range(200):
            c.send({"type": "ping", "id": i})
        assert all(c.recv()["type"] == "pong" for _ in range(200))
