"""The report folder, replaced whole: a lock beside the target, a staging folder beside it, a rename.

Readers and later runs see the previous complete folder or the new complete one, never a mix:
a run writes every file into ``.<name>.castmatch-<pid>-<token>/`` beside the target, then
renames it into place. ``.<name>.castmatch.lock`` beside the target lets one run at a time
write the folder; a second run waits for it, up to a bound, then refuses.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

REPORT = "report.json"
ENVELOPE = "report.dsse.json"
BUNDLE = "report.intoto.jsonl"
HTML = "index.html"
SUMMARY = "summary.md"
SARIF = "findings.sarif"
#: The files that state a verdict: none may outlive the run that wrote it.
VERDICT_FILES = (REPORT, ENVELOPE, BUNDLE, HTML, SUMMARY, SARIF)
#: Screenshots, traces and logs the report links to.
EVIDENCE = "evidence"
#: How long a run waits for another run's lock on the folder (seconds) unless the variable says.
WAIT_VARIABLE = "CASTMATCH_REPORT_WAIT"
DEFAULT_WAIT = 120.0
_ELSEWHERE = "pass --gate-report DIR with a writable folder of its own"


def process_alive(pid: int) -> bool:
    """True while process ``pid`` runs: another user's counts, one that exited and awaits its parent does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # state "Z": exited, not reaped yet; its staging folder will never be finished
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc to ask: the process exists


class FolderError(Exception):
    """The report folder cannot be written; the message is one line naming the path and the fix."""


def wait_seconds(environ: Mapping[str, str] | None = None) -> float:
    """How long to wait for the folder's lock: ``CASTMATCH_REPORT_WAIT`` seconds, else 120."""
    text = (os.environ if environ is None else environ).get(WAIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86400:
        raise FolderError(f"{WAIT_VARIABLE}={text!r}: not a number of seconds — set e.g. {WAIT_VARIABLE}=60")
    return value


def usable(target: Path) -> None:
    """Refuse, before anything is written, a target that cannot become a report folder."""
    if target.exists() and not target.is_dir():
        raise FolderError(f"{target}: a file is in the way of the report folder — remove it, or {_ELSEWHERE}")
    if target.is_dir():
        if not os.access(target, os.W_OK | os.X_OK):
            raise FolderError(f"{target}: the report folder is not writable — make it writable, or {_ELSEWHERE}")
        names = os.listdir(target)
        if names and not any(name in (*VERDICT_FILES, EVIDENCE) for name in names):
            raise FolderError(
                f"{target}: holds files that are not a gate report, and the report replaces the whole "
                f"folder — {_ELSEWHERE}"
            )
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise FolderError(f"{target}: the file {parent} is in the way of the report folder — {_ELSEWHERE}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FolderError(f"{target}: cannot be made, {parent} is not writable — {_ELSEWHERE}")


class ReportFolder:
    """One run's hold on a report folder: its lock, its staging folder, the rename into place."""

    def __init__(self, target: Path) -> None:
        self.target = target.absolute()
        self.staging = self._sibling(f"castmatch-{os.getpid()}-{secrets.token_hex(4)}")
        self.lock_path = self._sibling("castmatch.lock")
        self._fd: int | None = None

    def _sibling(self, suffix: str) -> Path:
        return self.target.parent / f".{self.target.name}.{suffix}"

    @property
    def locked(self) -> bool:
        """True while this run holds the folder's lock."""
        return self._fd is not None

    def lock(self, wait: float, notice: Callable[[str], None] | None = None) -> None:
        """Take the folder's lock, waiting up to ``wait`` seconds for another run to finish with it."""
        if self._fd is not None:
            return
        usable(self.target)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise FolderError(f"{self.target}: cannot write the report folder ({why}) — {_ELSEWHERE}") from None
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self.holder()
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise FolderError(
                        f"{self.target}: another run ({holder}) is writing this report folder — let it finish "
                        f"(waited {wait:g} s; {WAIT_VARIABLE} sets how long), or {_ELSEWHERE}"
                    ) from None
                if not told and notice is not None:
                    notice(f"castmatch: waiting up to {wait:g} s for {self.target}: another run ({holder}) writes it")
                    told = True
                time.sleep(0.1)
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {stamp}".encode(), 0)
        self._fd = fd
        self._sweep()

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it ("pid N since T"), for messages."""
        try:
            return self.lock_path.read_text(encoding="utf-8").strip() or "unknown pid"
        except OSError:
            return "unknown pid"

    def _sweep(self) -> None:
        """Remove staging folders that runs which no longer exist left behind."""
        for path in self.target.parent.glob(f".{self.target.name}.castmatch-*"):
            parts = path.name.rsplit(".castmatch-", 1)[-1].split("-")
            if path.is_dir() and parts[0].isdigit() and path != self.staging and not process_alive(int(parts[0])):
                shutil.rmtree(path, ignore_errors=True)

    def release(self) -> None:
        """Let the next run have the folder."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def prepare(self) -> Path:
        """The staging folder, created if need be."""
        self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging

    def commit(self) -> None:
        """Rename the staging folder into place (the lock must be held)."""
        self._swap_in(self.staging)

    def replace(self, write: Callable[[Path], None]) -> None:
        """Put a folder holding only what ``write`` puts into it in place of the target (lock held)."""
        fresh = self._sibling(f"castmatch-{os.getpid()}-{secrets.token_hex(4)}")
        fresh.mkdir()
        try:
            write(fresh)
            self._swap_in(fresh)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)

    def remove_verdicts(self) -> None:
        """Delete the target's verdict files, when nothing can be written in their place."""
        for name in VERDICT_FILES:
            try:
                (self.target / name).unlink(missing_ok=True)
            except OSError:
                continue

    def discard(self) -> None:
        """Remove the staging folder (a run that publishes nothing)."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def _swap_in(self, source: Path) -> None:
        if self._fd is None:
            raise FolderError(f"{self.target}: not locked — take the folder's lock before writing it")
        old = None
        if self.target.is_dir():
            old = self._sibling(f"castmatch-{os.getpid()}-{secrets.token_hex(4)}-old")
            os.rename(self.target, old)
        elif self.target.exists():
            raise FolderError(f"{self.target}: a file is in the way of the report folder — remove it, or {_ELSEWHERE}")
        try:
            os.rename(source, self.target)
        except OSError:
            if old is not None:
                os.rename(old, self.target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
