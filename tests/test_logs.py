"""With LOG_FORMAT=json the log is one JSON object a line, one per handled update with its
duration, and never a person's name, number or words."""

from __future__ import annotations

import io
import json
import logging

from bot.localapi import BotAPIStandin
from bot.logs import JsonLines
from tests.support.running import eventually


async def test_json_lines_time_each_update_and_name_nobody(standin: BotAPIStandin, run_bot) -> None:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)  # what `python -m bot` logs
    try:
        await run_bot()
        dai = standin.user(4001, "Dai Lingling", language_code="en")
        standin.send_message(dai, "My phone is 13800138000, the lamp at my door is out")
        await eventually(lambda: standin.messages(dai.id), within=10)
        standin.send_command(dai, "/start")
        await eventually(lambda: len(standin.messages(dai.id)) >= 2, within=10)
        # the line for an update is written once its handling ends, just after its answer left
        await eventually(lambda: captured.getvalue().count('"update handled"') >= 2, within=10)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    lines = [json.loads(line) for line in captured.getvalue().splitlines() if line.startswith("{")]
    assert len(lines) == len(captured.getvalue().splitlines())  # every line is one JSON object
    handled = [line for line in lines if line["message"] == "update handled"]
    assert len(handled) == 2
    for line in handled:
        assert line["kind"] == "message" and line["outcome"] == "handled"
        assert isinstance(line["update_id"], int) and line["duration_ms"] >= 0
    text = captured.getvalue()
    for personal in ("Dai", "Lingling", "13800138000", "lamp at my door", "4001"):
        assert personal not in text, f"the log names {personal!r}"
