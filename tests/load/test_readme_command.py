"""The README's distributed command, a master and two workers on loopback, runs as written.

The command lines are read from the README's load section; only what must differ on a test machine
is swapped in (the target, a free port, the output folder, a small and short run), so the README
cannot drift from what works.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> tuple[list[str], list[str]]:
    """The master's and the worker's command line from the README's load section."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text[text.index("## Load, latency and inference gates"):], re.S)
    block = next(b for b in blocks if "--master" in b)
    lines = [line for line in block.replace("\\\n", " ").splitlines() if line.strip() and not line.startswith("#")]
    master, worker = (shlex.split(line) for line in lines)
    return master, worker


def swap(command: list[str], values: dict[str, str]) -> list[str]:
    """``command`` run by this interpreter, with the values of the options named in ``values`` replaced."""
    assert command[0].endswith("locust"), command
    out = [sys.executable, "-m", "locust"]
    rest = iter(command[1:])
    for token in rest:
        out.append(token)
        if token in values:
            next(rest)
            out.append(values[token])
    return out


def test_the_readme_master_and_two_workers_run_on_loopback(local_service: str, tmp_path: Path) -> None:
    master, worker = readme_commands()
    assert master[master.index("--expect-workers") + 1] == "2"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    master = swap(master, {"--master-bind-port": port, "-u": "6", "-r": "6", "--run-time": "3s",
                           "--stop-timeout": "2", "--host": local_service, "--castmatch-think": "uniform:0.1:0.3",
                           "--castmatch-out": str(tmp_path / "windows.json"), "--csv": str(tmp_path / "stats")})
    worker = swap(worker, {"--master-port": port})
    accounts = [["first@example.test", "pw"], ["booker@example.test", "pw"]]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CASTMATCH_ACCOUNTS": json.dumps(accounts)}
    workers = [subprocess.Popen(worker, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    try:
        run = subprocess.run(master, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False)
    finally:
        for proc in workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    data = json.loads((tmp_path / "windows.json").read_text())
    # Locust exits 1 when a request failed: here only the test service's deliberately broken "/similar".
    assert {e["name"] for e in data["errors"]} == {"/api/v1/talent/{id}/similar"}, data["errors"]
    assert run.returncode == 1, run.stderr[-2000:]
    assert data["workers"] == 2
    assert max(w["users"] or 0 for w in data["windows"]) == 6
    names = {name for w in data["windows"] for name in w["endpoints"]}
    assert {"/api/v1/search", "/api/v1/talent/{id}", "/api/v1/talent/{id}/similar"} <= names
    # Every process reports its CPU; a window may close before a busy process's next sample.
    reported = {process for w in data["windows"] for process in (w["generator"] or {}).get("cpu", {})}
    assert reported == {"master", "worker-0", "worker-1"}
    assert all(proc.returncode == 0 for proc in workers)
