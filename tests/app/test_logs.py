"""The app's log handler: JSON lines written in batches, with nothing lost on the way out."""

from __future__ import annotations

import io
import json
import logging
import time

from castmatch_app.logs import BatchingHandler, JsonFormatter


def make(interval_s: float = 60.0, max_bytes: int = 64 * 1024) -> tuple[logging.Logger, BatchingHandler, io.StringIO]:
    stream = io.StringIO()
    handler = BatchingHandler(stream, interval_s=interval_s, max_bytes=max_bytes)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"castmatch.test.{id(handler)}")
    logger.propagate = False
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    return logger, handler, stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_info_lines_wait_for_the_batch_and_close_writes_them() -> None:
    logger, handler, stream = make()
    for i in range(3):
        logger.info({"event": "request", "n": i})
    assert stream.getvalue() == ""
    handler.close()
    assert [line["n"] for line in lines(stream)] == [0, 1, 2]


def test_a_warning_is_written_at_once_with_everything_before_it() -> None:
    logger, handler, stream = make()
    logger.info({"event": "request", "n": 1})
    logger.warning("disk nearly full")
    assert [line.get("n", line.get("message")) for line in lines(stream)] == [1, "disk nearly full"]
    handler.close()


def test_a_full_batch_is_written_without_waiting() -> None:
    logger, handler, stream = make(max_bytes=200)
    for i in range(5):
        logger.info({"event": "request", "n": i})
    assert len(lines(stream)) >= 2
    handler.close()
    assert len(lines(stream)) == 5


def test_pending_lines_are_written_on_the_interval() -> None:
    logger, handler, stream = make(interval_s=0.05)
    logger.info({"event": "request"})
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(lines(stream)) == 1
    handler.close()
