"""Keep-alive connections spread evenly over the worker processes.

Workers share one listening socket and whichever wakes first accepts: a burst of new connections
can land 60/40 or worse, and with keep-alive the split lasts as long as the clients stay. Under
load the fuller worker then answers every one of its clients later (its queue is longer) while
the other has room. Each worker counts its open connections in a small file the supervisor
shares with all of them; a worker holding more than its share (plus some slack) answers its next
request with ``Connection: close`` (one connection at a time), and the client's reconnection is
accepted by whichever worker is free, so the split converges to even. With one worker there is
nothing to balance.
"""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import struct
import time
from pathlib import Path

FILE_ENV = "CASTMATCH_BALANCE_FILE"
INDEX_ENV = "CASTMATCH_WORKER_INDEX"
SLOT = struct.Struct("q")
CLOSE_INTERVAL_S = 0.02


def create(path: Path, workers: int) -> None:
    """The supervisor's side: one zeroed counter per worker."""
    path.write_bytes(bytes(SLOT.size * workers))


def reset(path: Path, index: int) -> None:
    """A dead worker's connections died with it; its replacement starts from zero."""
    with open(path, "r+b") as f:
        f.seek(index * SLOT.size)
        f.write(bytes(SLOT.size))


class Balance:
    def __init__(self, path: Path, index: int) -> None:
        with open(path, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), 0)
        self.workers = len(self._map) // SLOT.size
        if not 0 <= index < self.workers:
            raise ValueError(f"worker index {index} outside 0..{self.workers - 1} of {path}")
        self.path = path
        self.index = index
        self.open = 0  # this worker's connections; the file holds a copy for the others
        self.next_close = 0.0

    @classmethod
    def from_env(cls) -> Balance | None:
        path = os.environ.get(FILE_ENV)
        if not path:
            return None
        return cls(Path(path), int(os.environ.get(INDEX_ENV, "0")))

    def remove(self) -> None:
        """The supervisor is gone (killed, so it could not clean up): remove the file and its folder."""
        self.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.path.parent.rmdir()  # only if empty: never more than what the supervisor made

    def counts(self) -> list[int]:
        return [SLOT.unpack_from(self._map, i * SLOT.size)[0] for i in range(self.workers)]

    def _publish(self) -> None:
        SLOT.pack_into(self._map, self.index * SLOT.size, self.open)

    def opened(self) -> None:
        self.open += 1
        self._publish()

    def lost(self) -> None:
        self.open = max(0, self.open - 1)
        self._publish()

    def should_close(self, now: float | None = None) -> bool:
        """True when this worker holds more than its share of the connections.

        One connection at a time, at most one per ``CLOSE_INTERVAL_S``: a closed connection is
        gone at once but its client may reconnect only with its next request, and until then
        the total looks smaller than it is; moving them one by one keeps that from closing more
        than the excess.
        """
        now = time.monotonic() if now is None else now
        if now < self.next_close:
            return False
        counts = self.counts()
        fair = math.ceil(sum(counts) / self.workers)
        if self.open > fair + max(2, fair // 20):
            self.next_close = now + CLOSE_INTERVAL_S
            return True
        return False


#: This process's balance, set by the server when it runs as one of several workers.
CURRENT: Balance | None = None
