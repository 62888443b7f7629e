"""Presets and flags as the welcome reports them; compression per preset."""

import pytest

from twclient import Client


@pytest.mark.parametrize("args,expect,compression", [
    ([], (30000, 10000, 1048576), True),
    (["--preset", "standard"], (30000, 10000, 1048576), True),
    (["--preset", "high-performance"], (15000, 5000, 4194304), True),
    (["--preset", "lightweight"], (60000, 30000, 65536), False),
    (["--preset", "lightweight", "--ping-interval", "2s", "--pong-timeout", "1500ms", "--max-message-size", "1000",
      "--compression"], (2000, 1500, 1000), True),
], ids=["default", "standard", "high-performance", "lightweight", "lightweight-with-flags"])
def test_preset_numbers_in_welcome(start_server, args, expect, compression):
    srv = start_server(*args)
    with Client(srv) as c:
        w = c.welcome
        assert (w["ping_interval_ms"], w["pong_timeout_ms"], w["max_message_size"]) == expect, w
        ext = c.response_headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in ext) == compression, f"compression expected {compression}, header {ext!r}"
        c.assert_alive()


def test_config_file_and_flags_over_it(start_server, tmp_path):
    cfg = tmp_path / "taskwire.json"
    cfg.write_text('{"hub":{"ping_interval":"4s","pong_timeout":"3s","max_message_size":2000,"enable_compression":false}}')
    srv = start_server("--config", str(cfg), "--pong-timeout", "2500ms")
    with Client(srv) as c:
        w = c.welcome
        assert (w["ping_interval_ms"], w["pong_timeout_ms"], w["max_message_size"]) == (4000, 2500, 2000), w
        ext = c.response_headers.get("Sec-WebSocket-Extensions") or ""
        assert "permessage-deflate" not in ext, ext
