"""One send per response: uvicorn's HTTP protocol with the status line and headers held for the body.

uvicorn's httptools protocol writes a response's head as soon as the app starts the response and
the body when it comes, one ``send()`` each: two system calls and two TCP segments for every
small API answer, and a reader on the other side woken twice. Here the transport holds a write
until the next one on the same connection (the body follows the head within the same step of
the event loop) and sends both at once; a write nothing follows (a head without a body, the last
chunk of a stream) goes out on the next turn of the loop, and closing sends what is held first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from castmatch_app import balance


class HoldingTransport:
    """Delegates to ``transport``; a write waits for the next write or the next loop turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is None:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        held, self._held = self._held, None
        self._transport.write(held + data)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def __getattr__(self, name: str) -> Any:  # pause_reading, get_extra_info, is_closing, ...
        return getattr(self._transport, name)


class OneSendHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a holding transport, counting connections for ``balance``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if balance.CURRENT is not None:
            balance.CURRENT.opened()
        super().connection_made(HoldingTransport(transport, self.loop))  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        if balance.CURRENT is not None:
            balance.CURRENT.lost()
        super().connection_lost(exc)
