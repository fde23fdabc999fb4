"""Structured JSON logs on stderr, one object per line, carrying the request id of the request.

Standard ``logging`` with a ``StreamHandler``: each record is written (and flushed) as it is
logged, so a process that is killed has lost nothing it logged before.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("castmatch_request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: a dict message is merged in; the request id is added when known."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
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


def configure(level: int = logging.INFO) -> None:
    """Route every logger (uvicorn's too) through one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
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
