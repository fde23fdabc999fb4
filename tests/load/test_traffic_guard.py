"""The one traffic guard: loopback and listed hosts only, refused before a name lookup or a connection."""

from __future__ import annotations

import socket

import pytest

from pytest_castmatch.checks import latency
from pytest_castmatch.traffic import TrafficRefused, ensure_allowed


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost", "http://[::1]:8080/x",
                                 "http://127.8.9.1"])
def test_loopback_is_allowed(url: str) -> None:
    assert ensure_allowed(url) != ""


@pytest.mark.parametrize("url", ["https://castmatch.example", "http://10.0.0.5:8000", "http://192.168.1.20",
                                 "ftp://127.0.0.1", "not a url"])
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(TrafficRefused, match="refusing to load"):
        ensure_allowed(url)


def test_listed_hosts_are_allowed_and_only_those() -> None:
    assert ensure_allowed("https://staging.example", ("Staging.Example",))
    with pytest.raises(TrafficRefused, match=r"staging\.example"):
        ensure_allowed("https://prod.example", ("staging.example",))


def test_the_latency_probe_refuses_before_any_name_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError("a name was looked up for a refused host")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    monkeypatch.setattr(socket, "create_connection", no_lookup)
    with pytest.raises(TrafficRefused, match="allowed_hosts"):
        latency.probe("https://unlisted.example", ["/api"], rounds=1, concurrency=1)
