"""The system under test: start the reference CastMatch app, share it, stop it; find a browser.

One app per test run. pytest-xdist workers share it through a lock file in the run's
common temp folder: the first to arrive starts it, the rest read its URL. Only the
process that owns the run (the xdist controller, or pytest itself) stops it, so no
worker pulls the app from under another.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_castmatch.deployment import Deployment

STATE = "app.json"
LOCK = "app.lock"
LOG = "app.log"

#: Flags Debian's Chromium needs in a sandboxed, offline container: without the
#: background-networking ones it spends its start-up on refused connections.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


#: The reference app's seeded test accounts and webhook key (documented in castmatch_app's docstring),
#: under the variable names its profile gives them.
REFERENCE_ENV = {
    "CASTMATCH_ACCOUNTS": json.dumps([["meera@castmatch.test", "Meera-Casting-2025"],
                                      ["arjun@castmatch.test", "Arjun-Casting-2025"]]),
    "CASTMATCH_WEBHOOK_SECRET": "castmatch-calendar-secret",
}

#: Apps this process started, by pid: holding the Popen lets us reap it (and keeps its
#: destructor from warning that the child still runs, which filterwarnings=error turns fatal).
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


class SutError(RuntimeError):
    """The system under test could not be started or reached; the message says why."""


@dataclass(frozen=True)
class App:
    url: str
    pid: int
    log: Path


def find_chromium(path: str | None = None) -> str | None:
    """The browser to drive: ``path`` (the ``chromium`` setting) if given, else Chromium on PATH."""
    if path:
        return path
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_launch_args(base: Mapping[str, object] | None = None, path: str | None = None) -> dict[str, object]:
    """Launch arguments for pytest-playwright's ``browser_type_launch_args`` fixture."""
    args = dict(base or {})
    found = find_chromium(path)
    if found is None:
        raise SutError(
            "no Chromium found: install Debian's chromium (apt-get install chromium) or set "
            "CASTMATCH_CHROMIUM=/path/to/chrome — `playwright install` cannot download here"
        )
    args["executable_path"] = found
    given = args.get("args") or []
    extra = [str(a) for a in given] if isinstance(given, list | tuple) else []
    args["args"] = [*extra, *(f for f in CHROMIUM_FLAGS if f not in extra)]
    return args


def deployment_env(deployment: Deployment, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables a profile names (accounts, webhook secret), read from ``env`` (the process's).

    For the reference app the plugin starts itself, its public test values fill in what is unset.
    """
    given = dict(os.environ if env is None else env)
    return {**REFERENCE_ENV, **given} if deployment.reference else given


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_app(folder: Path, env: Mapping[str, str] | None = None, timeout: float = 90.0) -> App:
    """Return the run's app, starting it on a free loopback port if nobody has yet."""
    env = dict(os.environ if env is None else env)
    with _locked(folder):
        state = folder / STATE
        if state.exists():
            data = json.loads(state.read_text())
            app = App(data["url"], int(data["pid"]), Path(data["log"]))
            if _alive(app.pid) and _healthy(app.url):
                return app
            raise SutError(f"the reference app ({app.url}, pid {app.pid}) died during the run; "
                           f"its log: {app.log}\n{_tail(app.log)}")
        app = _start(folder, env, timeout)
        state.write_text(json.dumps({"url": app.url, "pid": app.pid, "log": str(app.log)}))
        return app


def _start(folder: Path, env: dict[str, str], timeout: float) -> App:
    # Bind here and hand the socket down: no window in which another process takes the port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = folder / LOG
    env.setdefault("CASTMATCH_FAULT_INJECTION", "1")
    # Own state database per run: concurrent runs (the defect matrix, CI jobs) must not see
    # each other's bookings and sessions. The generated catalogue is read-only and cached.
    cmd = [sys.executable, "-m", "castmatch_app", "serve", "--fd", str(sock.fileno()),
           "--state-db", str(folder / "state.sqlite3")]
    with open(log, "wb") as out:
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    pass_fds=(sock.fileno(),), start_new_session=True)
        except OSError as exc:
            sock.close()
            raise SutError(f"cannot start the reference app ({' '.join(cmd)}): {exc}") from exc
    sock.close()
    _STARTED[proc.pid] = proc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SutError(f"the reference app exited with status {proc.returncode} before it was healthy; "
                           f"log {log}:\n{_tail(log)}")
        if _healthy(url, timeout=1.0):
            return App(url, proc.pid, log)
        time.sleep(0.1)
    _terminate(proc.pid)
    raise SutError(f"the reference app did not answer {url}/healthz within {timeout:.0f} s; log {log}:\n{_tail(log)}")


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_group(proc: subprocess.Popen[bytes], grace: float = 10.0, after_kill: float = 10.0) -> None:
    """SIGTERM a child started in its own session (and its workers), SIGKILL after ``grace`` seconds.

    Reaps it through its Popen, so the Popen knows it has exited (and never warns that it still runs).
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=after_kill)


def _terminate(pid: int, grace: float = 10.0) -> None:
    proc = _STARTED.pop(pid, None)
    if proc is not None:
        stop_group(proc, grace, grace)
        return
    # Started by another process of this run (an xdist worker): signal its group, then watch it go.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def stop_app(folder: Path) -> None:
    """Stop the run's app if one was started (safe to call when none was)."""
    state = folder / STATE
    if not state.exists():
        return
    with contextlib.suppress(ValueError, KeyError, OSError):
        _terminate(int(json.loads(state.read_text())["pid"]))
    state.unlink(missing_ok=True)
