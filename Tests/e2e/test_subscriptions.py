"""subscribe / unsubscribe: acks with the subscription list, idempotence, all or nothing."""

import pytest

from twclient import Client, connections, publish, unique

SERVER_ARGS = ["--ping-interval", "20s", "--pong-timeout", "5s"]


def test_subscribe_ack_lists_all_subscriptions(server):
    a, b, c_ = unique("a"), unique("b"), unique("c")
    with Client(server, f"?subscribe={a}") as c:
        ack = c.request({"type": "subscribe", "id": 1, "event_types": [b, c_]})
        assert ack == {**ack, "type": "ack", "id": 1}, ack
        assert sorted(ack["subscriptions"]) == sorted([a, b, c_])
        assert "recovered" not in ack or ack["recovered"] is None, "no since: no recovered expected"


def test_subscribe_is_idempotent(server):
    a = unique("idem")
    with Client(server) as c:
        first = c.request({"type": "subscribe", "id": "one", "event_types": [a]})
        again = c.request({"type": "subscribe", "id": "two", "event_types": [a, a]})
        assert first["type"] == again["type"] == "ack"
        assert first["id"] == "one" and again["id"] == "two", "string ids are echoed"
        assert first["subscriptions"] == [a]
        assert again["subscriptions"] == [a]
        # Subscribed twice, delivered once.
        assert publish(server, a, 1) == 1
        assert c.event(a)["data"] == 1
        c.no_message(0.3)


def test_unsubscribe_ack_and_idempotent(server):
    a, b = unique("u1"), unique("u2")
    with Client(server, f"?subscribe={a},{b}") as c:
        ack = c.request({"type": "unsubscribe", "id": 7, "event_types": [a]})
        assert ack["type"] == "ack" and ack["id"] == 7
        assert ack["subscriptions"] == [b]
        ack = c.request({"type": "unsubscribe", "id": 8, "event_types": [a]})
        assert ack["type"] == "ack" and ack["subscriptions"] == [b], "unsubscribing again is fine"
        never = unique("never")
        ack = c.request({"type": "unsubscribe", "id": 9, "event_types": [never]})
        assert ack["type"] == "ack" and ack["subscriptions"] == [b]
        # No longer delivered.
        assert publish(server, a, "gone") == 0
        assert publish(server, b, "kept") == 1
        assert c.event()["data"] == "kept"
        c.no_message(0.3)


def test_subscribe_all_or_nothing_on_one_invalid_name(server):
    good, good2 = unique("ok"), unique("ok")
    with Client(server) as c:
        err = c.request({"type": "subscribe", "id": 42, "event_types": [good, "not valid!", good2]})
        assert err["type"] == "error", f"expected an error: {err!r}"
        assert err["code"] == "invalid_event_type"
        assert err["id"] == 42
        assert isinstance(err["message"], str) and err["message"]
        # Nothing was added.
        [me] = [x for x in connections(server) if x["client_id"] == c.id]
        assert me["subscriptions"] == []
        assert publish(server, good, 1) == 0
        assert publish(server, good2, 1) == 0
        ack = c.request({"type": "subscribe", "id": 43, "event_types": [unique("other")]})
        assert good not in ack["subscriptions"] and good2 not in ack["subscriptions"]
        c.assert_alive()


@pytest.mark.parametrize("bad", ["", "x" * 129, "a b", "é", "task:", "task:a:b", "queue:", "queue:a/b", "task:" + "t" * 65])
def test_invalid_stream_names(server, bad):
    with Client(server) as c:
        err = c.request({"type": "subscribe", "id": 1, "event_types": [bad]})
        assert err["type"] == "error" and err["code"] == "invalid_event_type" and err["id"] == 1, err
        c.assert_alive()


def test_longest_valid_name_and_all_characters(server):
    names = ["x" * 128, "Az09_.:-", "task:" + "t" * 64, "queue:" + "q" * 64]
    with Client(server) as c:
        ack = c.request({"type": "subscribe", "id": 1, "event_types": names})
        assert ack["type"] == "ack", ack
        assert sorted(ack["subscriptions"]) == sorted(names)


def test_wellknown_and_scoped_streams_can_be_subscribed(server):
    names = ["task_created", "task_updated", "task_completed", "task_failed", "queue_status_changed",
             "system_notification", "user_notification", "task:abc", "queue:default"]
    with Client(server) as c:
        ack = c.request({"type": "subscribe", "id": 1, "event_types": names})
        assert ack["type"] == "ack", ack
        assert sorted(ack["subscriptions"]) == sorted(names)


def test_subscribe_without_id_gets_no_ack_but_works(server):
    a = unique("noid")
    with Client(server) as c:
        c.send({"type": "subscribe", "event_types": [a]})
        # The next answer is the pong: no ack was sent for the request without id.
        c.send({"type": "ping", "id": "p"})
        m = c.recv()
        assert m["type"] == "pong", f"expected only the pong, got {m!r}"
        assert publish(server, a, "hello") == 1
        assert c.event(a)["data"] == "hello"


def test_since_is_accepted_and_recovered_true_when_nothing_missed(server):
    a = unique("since")
    with Client(server, f"?subscribe={a}") as c:
        publish(server, a, 1)
        ev = c.event(a)
        epoch, seq = ev["epoch"], ev["seq"]
    with Client(server) as c2:
        ack = c2.request({"type": "subscribe", "id": 5, "event_types": [a],
                          "since": {a: {"seq": seq, "epoch": epoch}}})
        assert ack["type"] == "ack", ack
        assert ack["recovered"] == {a: True}, ack
        publish(server, a, 2)
        ev = c2.event(a)
        assert ev["seq"] == seq + 1 and ev["data"] == 2


def test_subscriptions_listed_in_connections(server):
    a, b = unique("l1"), unique("l2")
    with Client(server, f"?subscribe={a}") as c:
        c.subscribe(b)
        [me] = [x for x in connections(server) if x["client_id"] == c.id]
        assert sorted(me["subscriptions"]) == sorted([a, b])


def test_since_with_unknown_epoch_is_not_recovered(server):
    a = unique("epoch")
    publish(server, a, 1)
    with Client(server) as c:
        ack = c.request({"type": "subscribe", "id": 6, "event_types": [a],
                         "since": {a: {"seq": 1, "epoch": "not-the-epoch"}}})
        assert ack["type"] == "ack", ack
        assert ack["recovered"] == {a: False}, ack
        assert a in ack["subscriptions"]


def test_max_subscriptions_refuses_all_or_nothing(start_server):
    srv = start_server("--max-subscriptions", "3", "--ping-interval", "20s")
    a, b, c_, d = (unique(x) for x in "abcd")
    with Client(srv) as c:
        assert sorted(c.subscribe(a, b)["subscriptions"]) == sorted([a, b])
        err = c.request({"type": "subscribe", "id": "over", "event_types": [c_, d]})
        assert err["type"] == "error" and err["id"] == "over", err
        [me] = [x for x in connections(srv) if x["client_id"] == c.id]
        assert sorted(me["subscriptions"]) == sorted([a, b]), "nothing added by the refused request"
        assert sorted(c.subscribe(c_)["subscriptions"]) == sorted([a, b, c_])
        c.assert_alive()
