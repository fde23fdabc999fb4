"""Launch the reference app as a process of its own, wait until it is ready, and stop it.

Every test, gate and benchmark that needs a running CastMatch starts it here::

    running = launch(folder, workers=2, defects=["slow-api"])
    ...  # requests to running.url
    running.stop()

The listening socket is bound here, on a free loopback port, and handed to the app by descriptor,
so the URL is known before the app starts and no other process can take the port in between.
The app runs in a process group of its own (a supervisor and its workers when ``workers > 1``).

It is *ready* when ``/readyz`` answers 200 and every worker has logged that its start-up is complete (the
model is built, so the first request measures the service and not the start-up). ``stop`` sends
SIGTERM to the top process, which drains as in production (a supervisor passes the signal on to
its workers), and SIGKILLs the whole group if it has not exited within the grace period;
``stop(drain=False)`` skips the drain period, for an owner that no longer reads the app.

Only the standard library is imported here: the plugin, the suites and the benchmarks launch the
app without importing it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: What uvicorn logs for each worker once its lifespan start-up (the model build) has finished.
READY_LINE = "Application startup complete"
#: Only the defects given to ``launch`` reach the app, never one inherited from the environment.
DEFECTS_ENV = "CASTMATCH_DEFECTS"
#: The process whose end stops an app started for it, however it ended (``serve`` watches it): a run that
#: crashed before it could stop its app leaves no server behind.
OWNER_ENV = "CASTMATCH_OWNER_PID"
#: How long a first SIGTERM is given to reach the app's handler before a second one may follow: two
#: signals that arrive before the handler runs count as one (and the app would drain after all).
SIGNAL_HANDLED_S = 0.05


class LaunchError(RuntimeError):
    """The app did not start or did not become ready; the message says why and ends with its log."""


@dataclass
class Running:
    """A launched app: its URL, the file its output goes to, and the pid of its top process."""

    url: str
    log: Path
    pid: int
    workers: int = 1
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    #: ``time.monotonic()`` just before the process was started.
    started: float = field(default_factory=time.monotonic, compare=False)

    def ready_workers(self) -> int:
        """How many worker processes have logged that they are ready (replacements included)."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace").count(READY_LINE)
        except OSError:
            return 0

    def alive(self) -> bool:
        """True while the top process exists and is not a zombie."""
        if self.proc is not None:
            return self.proc.poll() is None
        return process_alive(self.pid)

    def tail(self, lines: int = 20) -> str:
        """The last lines of the app's output, for error messages."""
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float = 90.0, workers: int | None = None) -> None:
        """Block until ``/readyz`` answers 200 and ``workers`` workers (default: all) are ready."""
        wanted = self.workers if workers is None else workers
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                code = self.proc.returncode if self.proc is not None else "?"
                raise LaunchError(f"the app exited with status {code} before it was ready; log {self.log}:\n"
                                  f"{self.tail()}")
            if self.ready_workers() >= wanted and _answers(self.url + "/readyz"):
                return
            time.sleep(0.05)
        raise LaunchError(f"the app at {self.url} was not ready within {timeout:.0f} s; log {self.log}:\n{self.tail()}")

    def stop(self, grace: float = 15.0, *, drain: bool = True) -> int | None:
        """SIGTERM, then SIGKILL for the whole group after ``grace`` seconds; the exit status when ours.

        Without ``drain`` a second SIGTERM follows the first once it has been handled, so the app skips
        its drain period (it still finishes the requests in flight): for an owner that is done with it.
        """
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGTERM)
        if not drain and not self._gone_within(SIGNAL_HANDLED_S):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGTERM)
        if not self._gone_within(grace):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            self._gone_within(grace)
        return self.proc.returncode if self.proc is not None else None

    def _gone_within(self, seconds: float) -> bool:
        if self.proc is not None:
            try:
                self.proc.wait(seconds)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + seconds
        while process_alive(self.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def launch(folder: Path, *, workers: int = 1, defects: Iterable[str] = (), state: Path | None = None,
           rate_limit: str | None = None, drain_seconds: float | None = None, fault_injection: bool = False,
           access_log: bool = True, env: Mapping[str, str] | None = None, log: Path | None = None,
           app: str | None = None, ready: bool = True, timeout: float = 90.0) -> Running:
    """Start ``castmatch-app serve`` on a free loopback port; with ``ready``, return once it is ready.

    ``folder`` receives the log (``log``, by default ``app-<port>.log``) and, unless ``state`` names
    another file, the state database. Only the ``defects`` given are switched on: an inherited ``CASTMATCH_DEFECTS``
    does not reach the app. ``env`` adds variables (a data directory, say) to the inherited ones;
    ``app`` serves another app factory under the same server (``serve --app``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    port = sock.getsockname()[1]
    log = log or folder / f"app-{port}.log"
    command = [sys.executable, "-m", "castmatch_app", "serve", "--fd", str(sock.fileno()), "--workers",
               str(workers), "--state-db", str(state or folder / "state.sqlite3")]
    for name in defects:
        command += ["--defect", name]
    if rate_limit is not None:
        command += ["--rate-limit", rate_limit]
    if drain_seconds is not None:
        command += ["--drain-seconds", str(drain_seconds)]
    if fault_injection:
        command.append("--allow-fault-injection")
    if app is not None:
        command += ["--app", app]
    child_env = {**os.environ, **(env or {})}
    child_env.pop(DEFECTS_ENV, None)
    child_env["CASTMATCH_ACCESS_LOG"] = "1" if access_log else "0"
    started = time.monotonic()
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=child_env,
                                    pass_fds=(sock.fileno(),), start_new_session=True)
    except OSError as exc:
        raise LaunchError(f"cannot start the reference app ({' '.join(command)}): {exc}") from exc
    finally:
        sock.close()
    running = Running(f"http://127.0.0.1:{port}", log, proc.pid, workers, proc, started)
    if ready:
        try:
            running.wait_ready(timeout)
        except LaunchError:
            running.stop(grace=5)
            raise
    return running


def launch_for_gates(folder: Path, **options: Any) -> Running:
    """The launcher the reference profile names (``[deployment.instance] launcher``): :func:`launch` with
    the defects the gate run names in ``CASTMATCH_DEFECTS``, so an instance a gate starts has the same
    defects as the app it measures."""
    names = [name.strip() for name in os.environ.get(DEFECTS_ENV, "").split(",") if name.strip()]
    return launch(folder, defects=names, **options)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def process_alive(pid: int) -> bool:
    """True while process ``pid`` runs (someone else's counts; one that exited and awaits its parent does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a child that exited but was not reaped yet is gone for every purpose here
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
