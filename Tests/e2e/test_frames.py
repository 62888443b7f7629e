"""Framing: fragmented messages, control frames between fragments, permessage-deflate, close handshake."""

import json

from twclient import OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, Client, RawWS, unique

MAX_SIZE = 8192
SERVER_ARGS = ["--ping-interval", "20s", "--pong-timeout", "5s", "--max-message-size", str(MAX_SIZE)]


def _send_fragmented(r: RawWS, text: str, sizes, ping_between: bytes | None = None):
    data = text.encode()
    chunks, i = [], 0
    for n in sizes:
        chunks.append(data[i:i + n])
        i += n
    chunks.append(data[i:])
    for k, chunk in enumerate(chunks):
        r.send_frame(OP_TEXT if k == 0 else OP_CONT, chunk, fin=(k == len(chunks) - 1))
        if ping_between is not None and k == 0:
            r.send_frame(OP_PING, ping_between)


def test_fragmented_text_message_is_reassembled(server):
    s = unique("frag")
    with Client(server, f"?subscribe={s}") as sub, RawWS(server) as r:
        r.read_welcome()
        msg = json.dumps({"type": "custom", "id": "frag", "event_type": s, "data": {"text": "abcdefghij" * 10}})
        _send_fragmented(r, msg, [5, 17, 40])
        ack = r.recv_json()
        assert ack == {**ack, "type": "ack", "id": "frag", "delivered": 1}, ack
        assert sub.event(s)["data"] == {"text": "abcdefghij" * 10}


def test_fragment_boundary_inside_a_utf8_character(server):
    s = unique("utf8")
    data = "h\u00e9llo \u2713 \U0001F600 end"
    msg = json.dumps({"type": "custom", "id": 1, "event_type": s, "data": data}, ensure_ascii=False)
    raw = msg.encode()
    cut = raw.index("\U0001F600".encode()) + 2  # in the middle of the 4-byte emoji
    with Client(server, f"?subscribe={s}") as sub, RawWS(server) as r:
        r.read_welcome()
        r.send_frame(OP_TEXT, raw[:cut], fin=False)
        r.send_frame(OP_CONT, raw[cut:], fin=True)
        ack = r.recv_json()
        assert ack["type"] == "ack", ack
        assert sub.event(s)["data"] == data


def test_ping_frame_between_fragments_is_answered_and_message_reassembled(server):
    with RawWS(server) as r:
        r.read_welcome()
        _send_fragmented(r, '{"type":"ping","id":"between"}', [4, 6], ping_between=b"ctl")
        m = r.recv_json()
        assert m["type"] == "pong" and m.get("id") == "between", m
        assert b"ctl" in r.pong_frames, f"ping frame between fragments not answered: {r.pong_frames}"


def test_many_small_fragments(server):
    with RawWS(server) as r:
        r.read_welcome()
        _send_fragmented(r, '{"type":"ping"}', [1] * 14)
        assert r.recv_json()["type"] == "pong"


def test_permessage_deflate_negotiated_and_round_trips(server):
    s = unique("deflate")
    big = {"text": "compress me " * 400, "n": 1234567890123456789}
    with Client(server, f"?subscribe={s}") as sub, Client(server) as pub:
        ext = sub.response_headers.get("Sec-WebSocket-Extensions", "")
        assert "permessage-deflate" in ext, f"permessage-deflate not negotiated: {ext!r}"
        ack = pub.request({"type": "custom", "id": 1, "event_type": s, "data": big})
        assert ack["type"] == "ack" and ack["delivered"] == 1, ack
        assert sub.event(s)["data"] == big
        for i in range(20):
            pub.send({"type": "custom", "event_type": s, "data": {"i": i, "pad": "y" * 300}})
        for i in range(20):
            assert sub.event(s)["data"] == {"i": i, "pad": "y" * 300}


def test_raw_deflate_frames_both_ways(server):
    """A hand-made deflate client: compressed frames in (RSV1), and whatever the server sends decodes."""
    s = unique("rawdeflate")
    with RawWS(server, f"/ws?subscribe={s}", offer_deflate=True) as r:
        assert r.deflate, f"permessage-deflate not negotiated: {r.headers!r}"
        r.read_welcome()
        for i in range(3):
            r.send_json({"type": "custom", "id": i, "event_type": s, "data": {"i": i, "t": "z" * 500}}, compress=True)
        got = [r.recv_json() for _ in range(6)]
        events = [m for m in got if m["type"] == "custom"]
        acks = [m for m in got if m["type"] == "ack"]
        assert [e["data"] for e in events] == [{"i": i, "t": "z" * 500} for i in range(3)], got
        assert [a["id"] for a in acks] == [0, 1, 2], got
        # Uncompressed frames are fine on a deflate connection too.
        r.send_json({"type": "ping"})
        assert r.recv_json()["type"] == "pong"


def test_decompressed_size_over_max_message_size_closes_1009(server, bystander):
    """max_message_size applies to the decompressed message."""
    with RawWS(server, offer_deflate=True) as r:
        assert r.deflate
        r.read_welcome()
        msg = json.dumps({"type": "custom", "event_type": "bomb", "data": "a" * (MAX_SIZE * 4)})
        r.send_text(msg, compress=True)
        c = r.wait_close(3)
        assert c.code == 1009, f"expected 1009, got {c}"
    bystander.check()


def test_client_close_handshake_is_echoed(server):
    with RawWS(server) as r:
        r.read_welcome()
        r.send_close(1000, "bye")
        f = r.recv_frame(3)
        while f.opcode in (OP_PING, OP_PONG, OP_TEXT):
            f = r.recv_frame(3)
        assert f.opcode == OP_CLOSE, f
        assert int.from_bytes(f.payload[:2], "big") == 1000, f
        r.sock.settimeout(3)
        assert r.sock.recv(10) == b"", "server should close the TCP connection after the close handshake"


def test_websockets_client_closes_cleanly(server):
    c = Client(server)
    c.ws.close(1000, "done")
    assert c.ws.close_code == 1000, c.ws.close_code


def test_no_compression_flag_does_not_negotiate(start_server):
    srv = start_server("--no-compression", "--ping-interval", "20s")
    s = unique("plain")
    with Client(srv, f"?subscribe={s}") as sub, Client(srv) as pub:
        ext = sub.response_headers.get("Sec-WebSocket-Extensions")
        assert not ext or "permessage-deflate" not in ext, f"negotiated with --no-compression: {ext!r}"
        big = {"text": "plain " * 500}
        pub.request({"type": "custom", "id": 1, "event_type": s, "data": big})
        assert sub.event(s)["data"] == big
    with RawWS(srv, offer_deflate=True) as r:
        assert not r.deflate
        r.read_welcome()
        r.send_json({"type": "ping"})
        frame = r.recv_frame(3)
        assert not frame.rsv1, "compressed frame although not negotiated"


# Protocol violations (docs/protocol.md: close 1002, an extension of the base contract).

def _violation(server, bystander, send):
    with RawWS(server) as r:
        r.read_welcome()
        send(r)
        c = r.wait_close(3)
        assert c.code == 1002, f"expected close 1002, got {c}"
    bystander.check()


def test_unknown_opcode_closes_1002(server, bystander):
    _violation(server, bystander, lambda r: r.send_frame(0x3, b"x"))


def test_continuation_without_start_closes_1002(server, bystander):
    _violation(server, bystander, lambda r: r.send_frame(OP_CONT, b'{"type":"ping"}'))


def test_unmasked_client_frame_closes_1002(server, bystander):
    _violation(server, bystander, lambda r: r.send_frame(OP_TEXT, b'{"type":"ping"}', mask=False))


def test_rsv1_without_deflate_closes_1002(server, bystander):
    _violation(server, bystander, lambda r: r.send_frame(OP_TEXT, b'{"type":"ping"}', rsv1=True))


def test_invalid_utf8_text_is_bad_message(server, bystander):
    """docs/protocol.md: invalid UTF-8 is answered with bad_message."""
    with RawWS(server) as r:
        r.read_welcome()
        r.send_frame(OP_TEXT, b'{"type":"custom","event_type":"x","data":"\xff\xfe"}')
        err = r.recv_json()
        assert err["type"] == "error" and err["code"] == "bad_message", err
        r.send_json({"type": "ping"})
        assert r.recv_json()["type"] == "pong"
    bystander.check()
