"""Shared functions and constants for the CastMatch app tests."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from castmatch_app.app import runtime_of
from castmatch_app.config import Settings, parse_rate_limits
from castmatch_app.runtime import Runtime

DIRECTOR = ("meera@castmatch.test", "Meera-Casting-2025")
OTHER_DIRECTOR = ("arjun@castmatch.test", "Arjun-Casting-2025")
TALENT = ("kabir@castmatch.test", "Kabir-Talent-2025")

MakeApp = Callable[..., TestClient]
_SLOTS = itertools.count()


def free_slot() -> tuple[str, str]:
    """A booking date and time no other call in this process returns (one talent, one booking per slot)."""
    n = next(_SLOTS)
    return (dt.date(2099, 1, 1) + dt.timedelta(days=n // 12)).isoformat(), f"{9 + n % 12:02d}:00"


def settings_for(data_dir: Path, state_db: Path, defects: tuple[str, ...] = (), **overrides: Any) -> Settings:
    values: dict[str, Any] = {"rate_limits": parse_rate_limits("off"), "access_log": False,
                              "fault_injection": True, "drain_seconds": 0.0}
    values.update(overrides)
    return Settings.from_env(data_dir=data_dir, state_db=state_db, defects=frozenset(defects), **values)


def rt(client: TestClient) -> Runtime:
    return runtime_of(client.app)


def csrf(html: str, action: str | None = None) -> str:
    """The CSRF token of the form posting to ``action`` (or the first form with one)."""
    forms = re.findall(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', html, re.S)
    for form_action, body in forms:
        if action is None or form_action.endswith(action):
            match = re.search(r'name="csrf" value="([^"]+)"', body)
            if match:
                return match.group(1)
    raise AssertionError(f"no CSRF token for form {action}")


def sign_in(client: TestClient, account: tuple[str, str] = DIRECTOR) -> None:
    page = client.get("/signin")
    response = client.post("/signin", data={"username": account[0], "password": account[1],
                                            "csrf": csrf(page.text, "/signin"), "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def token(client: TestClient, account: tuple[str, str] = DIRECTOR) -> dict[str, Any]:
    response = client.post("/api/v1/oauth/token", data={"grant_type": "password", "username": account[0],
                                                         "password": account[1]})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def bearer(client: TestClient, account: tuple[str, str] = DIRECTOR) -> dict[str, str]:
    return {"Authorization": "Bearer " + token(client, account)["access_token"]}


def asset(client: TestClient, path: str) -> str:
    return client.get(rt(client).assets.url(path)).text


def luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def check_defect(make_app: MakeApp, clean: TestClient, name: str, broken: Callable[[TestClient], bool],
                 **overrides: Any) -> None:
    """The proof: ``broken`` holds with the defect switched on and not on the clean app."""
    on = make_app(name, **overrides)
    assert on.get("/healthz").headers["x-castmatch-defects"] == name
    assert broken(on), f"{name}: defect not observable"
    off = make_app(**overrides) if overrides else clean
    assert not broken(off), f"{name}: clean app looks broken"
