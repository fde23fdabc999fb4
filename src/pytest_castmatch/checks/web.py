"""A small HTTP client for the security and API checks: raw status, every header, no redirects.

The checks need what browsers and libraries usually hide: each ``Set-Cookie`` line, a 3xx
instead of the page it points to, a 5xx body as sent. The standard library's ``http.client``
gives exactly that and keeps the checks free of extra dependencies.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from pytest_castmatch.record import Record, record

DEFAULT_TIMEOUT = 15.0


@record
class Reply(Record):
    """One HTTP response as sent: status, headers (repeated names kept), body, time taken."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed: float

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        """Every value of header ``name`` in the order sent (e.g. each Set-Cookie line)."""
        lower = name.lower()
        return [v for k, v in self.headers if k.lower() == lower]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body)


@dataclass
class Client:
    """One keep-alive connection to one origin, with a cookie jar of name -> value."""

    base_url: str
    timeout: float = DEFAULT_TIMEOUT
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    _conn: http.client.HTTPConnection | None = field(default=None, repr=False)

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            parts = urlsplit(self.base_url)
            cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(parts.netloc, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        """Close the connection (a new one opens on the next request)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request to ``path`` (relative to the base URL); never follows redirects."""
        target = urlsplit(self.base_url).path.rstrip("/") + path
        if params:
            target += ("&" if "?" in target else "?") + urlencode(params)
        sent = {"User-Agent": "castmatch-gate/1", **self.headers, **(headers or {})}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        elif form is not None:
            body = urlencode(form).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.cookies:
            sent.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        started = time.perf_counter()
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, target, body=body, headers=sent)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed between requests: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        reply = Reply(self.base_url.rstrip("/") + target, resp.status, tuple(resp.getheaders()), data, elapsed)
        if resp.getheader("connection", "").lower() == "close":
            self.close()
        self._remember_cookies(reply)
        return reply

    def get(self, path: str, **kwargs: Any) -> Reply:
        """``request("GET", path, ...)``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        """``request("POST", path, ...)``."""
        return self.request("POST", path, **kwargs)

    def _remember_cookies(self, reply: Reply) -> None:
        for line in reply.header_all("set-cookie"):
            pair = line.split(";", 1)[0]
            name, _, value = pair.partition("=")
            name = name.strip()
            if not name:
                continue
            if value == "" or "max-age=0" in line.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value.strip()


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None,
          timeout: float = DEFAULT_TIMEOUT) -> Reply:
    """One request to an absolute URL on a fresh connection."""
    parts = urlsplit(url)
    client = Client(f"{parts.scheme}://{parts.netloc}", timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return client.request(method, path, headers=headers, body=body)
    finally:
        client.close()
