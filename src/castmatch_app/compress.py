"""gzip for responses, with a memo so a hot body is compressed once and not on every request.

Starlette's GZipMiddleware compresses each response afresh. The API's hot answers (a popular
search, the recommendations for a popular profile) come from the runtime cache as the very same
bytes request after request, and compressing them again was the largest single cost of serving
them. Here a body seen a second time is admitted to a small LRU of compressed bodies; a body seen
once (an HTML page with its own request id and CSRF token) is compressed and forgotten, so unique
pages cannot push the hot answers out. Python caches a bytes object's hash, so a hit costs one
dict lookup.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/xml",
                "application/manifest+json", "image/svg+xml")


class GZip:
    def __init__(self, app: ASGIApp, minimum_size: int = 800, level: int = 5, memo_entries: int = 512,
                 memo_max_bytes: int = 256 * 1024) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.level = level
        self.memo_entries = memo_entries
        self.memo_max_bytes = memo_max_bytes
        self.memo: OrderedDict[bytes, bytes] = OrderedDict()
        self.seen: OrderedDict[int, None] = OrderedDict()  # hashes of bodies seen once

    def compressed(self, body: bytes) -> bytes:
        hit = self.memo.get(body)
        if hit is not None:
            self.memo.move_to_end(body)
            return hit
        out = gzip.compress(body, self.level, mtime=0)
        if len(body) <= self.memo_max_bytes:
            digest = hash(body)
            if digest in self.seen:
                del self.seen[digest]
                self.memo[body] = out
                if len(self.memo) > self.memo_entries:
                    self.memo.popitem(last=False)
            else:
                self.seen[digest] = None
                if len(self.seen) > 8 * self.memo_entries:
                    self.seen.popitem(last=False)
        return out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "gzip" not in Headers(scope=scope).get("accept-encoding", ""):
            await self.app(scope, receive, send)
            return
        start: Message | None = None

        async def send_compressed(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # held until the body shows whether it is worth compressing
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            held, start = start, None
            body: bytes = message.get("body", b"")
            headers = MutableHeaders(raw=held["headers"])
            eligible = headers.get("content-type", "").startswith(COMPRESSIBLE) and "content-encoding" not in headers
            if eligible:
                headers.add_vary_header("Accept-Encoding")
            # This app answers with one body per response; a streamed one is passed through as it is.
            if not eligible or message.get("more_body", False) or len(body) < self.minimum_size:
                await send(held)
                await send(message)
                return
            data = self.compressed(body)
            headers["Content-Encoding"] = "gzip"
            headers["Content-Length"] = str(len(data))
            await send(held)
            await send({"type": "http.response.body", "body": data, "more_body": False})

        await self.app(scope, receive, send_compressed)
