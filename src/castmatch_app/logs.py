"""Structured JSON logs on stderr, one object per line, carrying the request id of the request.

Lines are written in batches: one write per quarter second (or per 64 kB) instead of one write
and flush per request, which cost the access log a sixth of the app's throughput. A warning or
error is written at once, with everything before it, and a normal exit (SIGTERM included)
writes what is pending; only a killed process can lose its last quarter second of lines.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("castmatch_request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                                "logger": record.name}
        if isinstance(record.msg, dict):
            data.update(record.msg)
        else:
            data["message"] = record.getMessage()
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id and "request_id" not in data:
            data["request_id"] = request_id
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


class BatchingHandler(logging.Handler):
    """Formats each record at once and writes the lines in batches (see the module doc)."""

    def __init__(self, stream: Any, interval_s: float = 0.25, max_bytes: int = 64 * 1024) -> None:
        super().__init__()
        self.stream = stream
        self.max_bytes = max_bytes
        self.pending: list[str] = []
        self.size = 0
        self._stopping = threading.Event()
        self._timer = threading.Thread(target=self._flush_every, args=(interval_s,), name="log-flush", daemon=True)
        self._timer.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:
            self.handleError(record)
            return
        # handle() holds self.lock around emit(), and flush() takes the same (re-entrant) lock.
        self.pending.append(line)
        self.size += len(line)
        if record.levelno >= logging.WARNING or self.size >= self.max_bytes:
            self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            if not self.pending:
                return
            text, self.pending, self.size = "".join(self.pending), [], 0
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed under us: nothing left to tell
                pass

    def _flush_every(self, interval_s: float) -> None:
        while not self._stopping.wait(interval_s):
            self.flush()

    def close(self) -> None:
        self._stopping.set()
        self.flush()
        super().close()


def configure(level: int = logging.INFO) -> None:
    # The JSON lines carry neither thread, process nor source location; not collecting them for
    # every record is the logging HOWTO's own advice ("Optimization") for a hot logging path.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    handler = BatchingHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # uvicorn's own access log would duplicate ours without request ids.
    logging.getLogger("uvicorn.access").disabled = True


def now_ms() -> float:
    return time.time() * 1000
