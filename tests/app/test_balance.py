"""Keep-alive connections even out over the workers: a worker over its share closes, clients reconnect."""

from __future__ import annotations

import http.client
import os
import re
import signal
import time
from pathlib import Path

import pytest

from castmatch_app.balance import CLOSE_INTERVAL_S, Balance, create, reset
from tests.app.test_server import server


def pair(tmp_path: Path) -> tuple[Balance, Balance]:
    path = tmp_path / "connections"
    create(path, 2)
    return Balance(path, 0), Balance(path, 1)


def test_a_worker_over_its_share_closes_one_connection_at_a_time_down_to_it(tmp_path: Path) -> None:
    full, empty = pair(tmp_path)
    for _ in range(40):
        full.opened()
    assert full.counts() == [40, 0]
    assert full.should_close(now=100.0)
    assert not full.should_close(now=100.0 + CLOSE_INTERVAL_S / 2), "one close per interval"
    now, moved = 100.0, 1
    full.lost()
    empty.opened()  # the client came back, on the other worker
    while full.should_close(now := now + CLOSE_INTERVAL_S):
        moved += 1
        full.lost()
        empty.opened()
    assert moved == 18  # down to a share of 20 plus the slack of 2
    assert full.counts() == [22, 18]
    assert not empty.should_close(now + 1)


def test_within_the_slack_nothing_closes(tmp_path: Path) -> None:
    a, b = pair(tmp_path)
    for _ in range(52):
        a.opened()
    for _ in range(48):
        b.opened()
    assert not a.should_close()
    assert not b.should_close()


def test_a_replacement_worker_starts_from_zero_and_a_bad_index_is_refused(tmp_path: Path) -> None:
    a, _ = pair(tmp_path)
    a.opened()
    reset(tmp_path / "connections", 0)
    assert a.counts() == [0, 0]
    with pytest.raises(ValueError, match=r"worker index 2 outside 0\.\.1"):
        Balance(tmp_path / "connections", 2)


def worker_connections(url: str) -> list[int]:
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    found = dict(re.findall(r'castmatch_worker_connections\{worker="(\d+)"\} ([\d.]+)', text))
    return [int(float(found[k])) for k in sorted(found)]


def test_connections_piled_on_one_worker_spread_out(tmp_path: Path, data_dir: Path) -> None:
    with server(tmp_path, data_dir, "--port", "0", "--workers", "2") as (proc, url):
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        host = url.removeprefix("http://")
        os.kill(children[1], signal.SIGSTOP)  # every new connection now goes to the other worker
        try:
            clients = [http.client.HTTPConnection(host, timeout=10) for _ in range(30)]
            for client in clients:
                client.connect()  # connected, no request yet: nothing has been answered, or closed
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and sum(worker_connections(url)) < 31:
                time.sleep(0.05)
            piled = worker_connections(url)
        finally:
            os.kill(children[1], signal.SIGCONT)
        assert max(piled) >= 30, piled  # all 30 on the running worker (the stopped one may hold stale ones)
        closes: list[int] = []  # per round of one request per client; a closed client reconnects on its next
        for _ in range(40):
            closes.append(0)
            for client in clients:
                client.request("GET", "/api/v1/talent/42")
                response = client.getresponse()
                response.read()
                if response.getheader("connection", "").lower() == "close":
                    closes[-1] += 1
                    client.close()
            time.sleep(CLOSE_INTERVAL_S)
        time.sleep(0.3)  # let the last closes be counted
        spread = worker_connections(url)
        for client in clients:
            client.close()
    assert sum(closes) >= 12, closes  # 30 on one worker: at least 30 - (16 + 2) had to move
    assert sum(closes[-10:]) == 0, closes  # and then it stays put: no churn once within the slack
    # A share of 16 of the 31, the slack of 2 and the /metrics request's own connection at most.
    assert sum(spread) in range(30, 33), spread
    assert max(spread) <= 19, spread
