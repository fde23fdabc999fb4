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
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from pytest_castmatch.deployment import Deployment
from pytest_castmatch.record import Record, record

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
#: A headless run prefers Chromium's headless shell (Debian's chromium-headless-shell, the build
#: Playwright itself drives headless): the same Blink and V8 without the browser's UI layers, so a
#: page costs about a quarter less CPU. Lighthouse and headed runs use the full browser.
HEADLESS_CANDIDATES = ("chromium-headless-shell", "chrome-headless-shell")


#: The reference app's seeded test accounts and webhook key (documented in castmatch_app's docstring),
#: under the variable names its profile gives them.
REFERENCE_ENV = {
    "CASTMATCH_ACCOUNTS": json.dumps([["meera@castmatch.test", "Meera-Casting-2025"],
                                      ["arjun@castmatch.test", "Arjun-Casting-2025"],
                                      ["priya@castmatch.test", "Priya-Casting-2025"],
                                      ["rohan@castmatch.test", "Rohan-Casting-2025"],
                                      ["zoya@castmatch.test", "Zoya-Casting-2025"],
                                      ["vikram@castmatch.test", "Vikram-Casting-2025"]]),
    "CASTMATCH_WEBHOOK_SECRET": "castmatch-calendar-secret",
}

#: Apps this process started, by pid: holding the Popen lets us reap it (and keeps its
#: destructor from warning that the child still runs, which filterwarnings=error turns fatal).
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


class SutError(RuntimeError):
    """The system under test could not be started or reached; the message says why."""


@record
class App(Record):
    url: str
    pid: int
    log: Path


def find_chromium(path: str | None = None, *, headless_shell: bool = False) -> str | None:
    """The browser to drive: ``path`` (the ``chromium`` setting) if given, else Chromium on PATH
    (its headless shell first when ``headless_shell`` and it is installed)."""
    if path:
        return path
    for name in (*HEADLESS_CANDIDATES, *CHROMIUM_CANDIDATES) if headless_shell else CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_launch_args(base: Mapping[str, object] | None = None, path: str | None = None, *,
                         headless_shell: bool = True) -> dict[str, object]:
    """Launch arguments for pytest-playwright's ``browser_type_launch_args`` fixture.

    Without ``headless_shell`` the full browser is launched even headless: for measurements of what a
    page costs its users (the headless shell, for one, fetches lazy images the browser leaves alone).
    """
    args = dict(base or {})
    args.pop("executable_path", None)
    found = find_chromium(path, headless_shell=headless_shell and args.get("headless", True) is not False)
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


def ensure_app(folder: Path, env: Mapping[str, str] | None = None, timeout: float = 90.0,
               owner: int | None = None) -> App:
    """Return the run's app, starting it on a free loopback port if nobody has yet.

    It runs with the defects named in ``CASTMATCH_DEFECTS`` of ``env`` (default: this process's
    environment) and with fault injection on unless ``CASTMATCH_FAULT_INJECTION`` says ``0``. It stops
    by itself once the process ``owner`` (default: this one) is gone, however that process ended.
    """
    from castmatch_app import testing  # the standard library only: no app dependency to import it

    env = dict(os.environ if env is None else env) | {testing.OWNER_ENV: str(owner or os.getpid())}
    with _locked(folder):
        state = folder / STATE
        if state.exists():
            data = json.loads(state.read_text())
            app = App(data["url"], int(data["pid"]), Path(data["log"]))
            if testing.Running(app.url, app.log, app.pid).alive():
                return app
            raise SutError(f"the reference app ({app.url}, pid {app.pid}) died during the run; "
                           f"its log: {app.log}\n{_tail(app.log)}")
        try:
            # Own state database per run: concurrent runs (the defect matrix, CI jobs) must not see
            # each other's bookings and sessions. The generated catalogue is read-only and cached.
            running = testing.launch(
                folder, defects=[d for d in env.get("CASTMATCH_DEFECTS", "").split(",") if d.strip()],
                fault_injection=env.get("CASTMATCH_FAULT_INJECTION", "1") not in {"0", "false", "no"},
                env=env, log=folder / LOG, timeout=timeout)
        except testing.LaunchError as exc:
            raise SutError(f"the reference app did not start: {exc}") from exc
        assert running.proc is not None
        _STARTED[running.pid] = running.proc
        app = App(running.url, running.pid, running.log)
        state.write_text(json.dumps({"url": app.url, "pid": app.pid, "log": str(app.log)}))
        return app


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_app(folder: Path) -> None:
    """Stop the run's app if one was started (safe to call when none was)."""
    state = folder / STATE
    if not state.exists():
        return
    from castmatch_app import testing

    with contextlib.suppress(ValueError, KeyError, OSError):
        data = json.loads(state.read_text())
        pid = int(data["pid"])
        # The process that started it holds its Popen and reaps it; another (the xdist controller,
        # when a worker started it) stops it by pid. The run is over and nobody reads the app any more:
        # no drain period (the requests still in flight finish).
        testing.Running(data["url"], Path(data["log"]), pid, proc=_STARTED.pop(pid, None)).stop(drain=False)
    state.unlink(missing_ok=True)
