"""Access-control checks over an OAuth2-style JSON API: refusals, IDOR, token tampering, rotation.

These checks speak the documented token endpoint (``POST /api/v1/oauth/token``, form-encoded,
``grant_type=password`` or ``refresh_token``); the checks take a :class:`Client` and paths, so
they apply to any deployment with the same contract.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable

from pytest_castmatch.checks.web import Client, Reply
from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

TOKEN_PATH = "/api/v1/oauth/token"
REFUSED = frozenset({401, 403, 404})


@record
class Tokens(Record):
    """An access token and the refresh token issued with it."""

    access: str
    refresh: str


def token_grant(client: Client, form: dict[str, str], path: str = TOKEN_PATH) -> tuple[Reply, Tokens | None]:
    """POST a grant to the token endpoint; the reply and, on 200, the tokens."""
    reply = client.post(path, form=form)
    if reply.status != 200:
        return reply, None
    data = reply.json()
    return reply, Tokens(str(data["access_token"]), str(data.get("refresh_token", "")))


def sign_in(client: Client, username: str, password: str, path: str = TOKEN_PATH) -> Tokens:
    """Password grant; raises AssertionError with the server's answer when it is refused."""
    reply, tokens = token_grant(client, {"grant_type": "password", "username": username, "password": password}, path)
    assert tokens is not None, f"cannot sign in as {username}: {reply.status} {reply.text[:200]}"
    return tokens


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def tampered(token: str) -> list[tuple[str, str]]:
    """Forgeries of a ``prefix.payload.mac`` token: (what was changed, forged token)."""
    parts = token.split(".")
    out = [("signature stripped", ".".join(parts[:-1]) + "."), ("not a token", "x" * 40)]
    if len(parts) == 3:
        prefix, body, mac = parts
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            for key, value in (("sub", 1), ("role", "admin"), ("exp", 4_102_444_800)):
                if key in payload:
                    forged = dict(payload, **{key: value if payload[key] != value else 2})
                    raw = json.dumps(forged, separators=(",", ":")).encode()
                    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
                    out.append((f"payload {key} changed (old signature kept)", f"{prefix}.{encoded}.{mac}"))
        # Change the first character: the last one of unpadded base64 may only hold padding bits.
        flipped = ("A" if mac[:1] != "A" else "B") + mac[1:]
        out.append(("signature altered", f"{prefix}.{body}.{flipped}"))
    return out


def refused(client: Client, paths: Iterable[str], *, headers: dict[str, str] | None, why: str,
            rule: str, criterion: str = "OWASP ASVS 4.1.1") -> tuple[list[Finding], int]:
    """GET each path with ``headers``: anything but 401/403/404 (or a redirect to sign in) is a finding."""
    found: list[Finding] = []
    tried = 0
    for path in paths:
        reply = client.get(path, headers=headers or {})
        tried += 1
        location = reply.header("location") or ""
        if reply.status in REFUSED or (300 <= reply.status < 400 and "signin" in location):
            continue
        found.append(Finding(rule, f"GET {path} {why} answered {reply.status} instead of refusing",
                             criterion=criterion, page=path, context=reply.text[:300]))
    return found, tried


def refresh_rotation(client: Client, refresh: str, path: str = TOKEN_PATH) -> tuple[list[Finding], int]:
    """A refresh token works once: its successor works, and reusing the spent one is refused."""
    found: list[Finding] = []
    reply, second = token_grant(client, {"grant_type": "refresh_token", "refresh_token": refresh}, path)
    if second is None:
        return [Finding("refresh-broken", f"a fresh refresh token was refused: {reply.status} {reply.text[:200]}",
                        criterion="RFC 6749 6")], 1
    if second.refresh == refresh or not second.refresh:
        found.append(Finding("refresh-not-rotated", "refreshing returned no new refresh token",
                             criterion="OAuth 2.0 Security BCP 4.14"))
    reply, reused = token_grant(client, {"grant_type": "refresh_token", "refresh_token": refresh}, path)
    if reused is not None:
        found.append(Finding("refresh-token-reuse", "a spent refresh token was accepted again: a stolen token "
                             "stays valid", criterion="OAuth 2.0 Security BCP 4.14"))
    elif reply.status >= 500:
        found.append(Finding("server-error", f"reusing a refresh token answered {reply.status}"))
    probe = client.get("/api/v1/me", headers=bearer(second.access))
    if probe.status != 200:
        found.append(Finding("refresh-access-broken", f"the access token from a refresh was refused: {probe.status}",
                             criterion="RFC 6749 6"))
    return found, 3
