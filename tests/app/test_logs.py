"""The app's JSON logs: one object per line, with the request id, and nothing lost when the process dies."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from castmatch_app import logs

KILLED_RIGHT_AFTER_LOGGING = """
import logging, os, signal
from castmatch_app import logs
logs.configure()
logs.request_id_var.set("req-7")
for n in range(3):
    logging.getLogger("castmatch.access").info({"event": "request", "n": n})
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_every_line_is_written_before_a_kill() -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_RIGHT_AFTER_LOGGING], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == -9
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["n"], line["request_id"], line["logger"]) for line in lines] == [
        (0, "req-7", "castmatch.access"), (1, "req-7", "castmatch.access"), (2, "req-7", "castmatch.access")]


def test_a_plain_message_and_an_exception_become_fields() -> None:
    try:
        raise ValueError("bad input")
    except ValueError:
        record = logging.getLogger("castmatch.app").makeRecord(
            "castmatch.app", logging.ERROR, __file__, 1, "failed on %s", ("/talent",), sys.exc_info())
    data = json.loads(logs.JsonFormatter().format(record))
    assert (data["level"], data["message"]) == ("error", "failed on /talent")
    assert "ValueError: bad input" in data["exception"]
