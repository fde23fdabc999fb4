"""The one-send transport: a response's head and body leave in one write, and nothing is held back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from castmatch_app.wire import HoldingTransport
from tests.app.test_server import server


class Sink(asyncio.Protocol):
    def __init__(self) -> None:
        self.closed = asyncio.Event()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()


@asynccontextmanager
async def holding_pair() -> AsyncIterator[tuple[HoldingTransport, socket.socket, Sink]]:
    """A holding transport over one end of a real socket pair, and the other end to read from."""
    ours, peer = socket.socketpair()
    peer.setblocking(False)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(Sink, sock=ours)
    holding = HoldingTransport(transport, loop)
    try:
        yield holding, peer, protocol
    finally:
        holding.close()
        peer.close()


def recv_now(peer: socket.socket) -> bytes:
    try:
        return peer.recv(65536)
    except BlockingIOError:
        return b""


def test_head_and_body_leave_in_one_write() -> None:
    async def scenario() -> None:
        async with holding_pair() as (transport, peer, _):
            transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
            assert recv_now(peer) == b"", "the head waits for its body"
            transport.write(b"ok")
            assert recv_now(peer) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"

    asyncio.run(scenario())


def test_a_write_nothing_follows_goes_out_on_the_next_loop_turn() -> None:
    async def scenario() -> None:
        async with holding_pair() as (transport, peer, _):
            transport.write(b"HTTP/1.1 304 Not Modified\r\n\r\n")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            assert recv_now(peer) == b"HTTP/1.1 304 Not Modified\r\n\r\n"

    asyncio.run(scenario())


def test_close_sends_what_is_held_and_abort_drops_it() -> None:
    async def scenario() -> None:
        async with holding_pair() as (transport, peer, sink):
            transport.write(b"last words")
            transport.close()
            await asyncio.wait_for(sink.closed.wait(), 5)
            assert recv_now(peer) == b"last words"
        async with holding_pair() as (transport, peer, sink):
            transport.write(b"never sent")
            transport.abort()
            await asyncio.wait_for(sink.closed.wait(), 5)
            assert recv_now(peer) == b""

    asyncio.run(scenario())


def test_buffer_size_counts_held_bytes_and_other_calls_reach_the_transport() -> None:
    async def scenario() -> None:
        async with holding_pair() as (transport, _, _):
            transport.write(b"12345")
            assert transport.get_write_buffer_size() == 5
            assert transport.get_extra_info("socket") is not None
            assert not transport.is_closing()
            transport.close()
            assert transport.is_closing()

    asyncio.run(scenario())


def test_real_server_answers_whole_responses_over_keep_alive(tmp_path: Path, data_dir: Path) -> None:
    """Through the served app: a small answer, a large page and another small one on one connection."""
    with server(tmp_path, data_dir, "--port", "0") as (_, url):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            for path in ("/api/v1/talent/42", "/talent/42", "/api/v1/talent/42/similar", "/api/v1/talent/42"):
                conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = conn.recv(65536)
                    assert chunk, "connection closed mid-response"
                    received += chunk
                head, _, body = received.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200 OK"), path
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    chunk = conn.recv(65536)
                    assert chunk, "connection closed mid-body"
                    body += chunk
                assert len(body) == length, path
