"""Signed values: access tokens, session cookies, CSRF tokens and calendar webhook signatures.

Access tokens are self-contained (HMAC-SHA256 over a JSON payload), so checking one needs no
database read and the rate limiter can key on the verified subject cheaply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from castmatch_app import defects

WEBHOOK_TOLERANCE_S = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Claims:
    sub: int
    role: str
    exp: int


class TokenError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "expired"


class Signer:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def _mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(self.key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()

    # -- access tokens ----------------------------------------------------------------------------
    def access_token(self, user_id: int, role: str, ttl: int, now: float) -> str:
        payload = json.dumps({"sub": user_id, "role": role, "iat": int(now), "exp": int(now) + ttl},
                             separators=(",", ":")).encode()
        return "cm1." + _b64(payload) + "." + _b64(self._mac("access", payload))

    def verify_access(self, token: str, now: float) -> Claims:
        try:
            prefix, body, mac = token.split(".")
            payload = _unb64(body)
            valid = prefix == "cm1" and hmac.compare_digest(_unb64(mac), self._mac("access", payload))
            data = json.loads(payload) if valid else None
        except (ValueError, json.JSONDecodeError):
            raise TokenError("invalid") from None
        if not isinstance(data, dict):
            raise TokenError("invalid")
        if data["exp"] <= now and not defects.active("token-no-expiry"):
            raise TokenError("expired")
        return Claims(int(data["sub"]), str(data["role"]), int(data["exp"]))

    # -- session cookie: "<id>.<mac>" so a forged id cannot even reach the database ---------------
    def session_cookie(self, sid: str) -> str:
        return sid + "." + _b64(self._mac("session", sid.encode())[:16])

    def session_id(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie:
            return None
        sid, _, mac = cookie.rpartition(".")
        try:
            ok = hmac.compare_digest(_unb64(mac), self._mac("session", sid.encode())[:16])
        except ValueError:
            return None
        return sid if ok else None

    # -- CSRF: bound to the session's secret and the form's purpose -------------------------------
    def csrf_token(self, session_csrf: str, form: str = "") -> str:
        return _b64(self._mac("csrf:" + form, session_csrf.encode())[:24])

    def check_csrf(self, session_csrf: str, submitted: str | None, form: str = "") -> bool:
        return bool(submitted) and hmac.compare_digest(submitted or "", self.csrf_token(session_csrf, form))


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``<timestamp>.<raw body>`` (documented for calendar providers)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + mac


def verify_webhook(secret: str, timestamp: str | None, signature: str | None, body: bytes,
                   now: float | None = None) -> str | None:
    """None when valid, else the reason it is not."""
    if defects.active("webhook-bad-signature"):
        return None
    if not timestamp or not signature:
        return "missing X-CastMatch-Timestamp or X-CastMatch-Signature header"
    try:
        sent = int(timestamp)
    except ValueError:
        return "X-CastMatch-Timestamp must be Unix seconds"
    if abs((now or time.time()) - sent) > WEBHOOK_TOLERANCE_S:
        return f"timestamp outside the {WEBHOOK_TOLERANCE_S} s tolerance; re-sign the delivery"
    if not hmac.compare_digest(signature, webhook_signature(secret, timestamp, body)):
        return "signature does not match; sign '<timestamp>.<raw body>' with HMAC-SHA256"
    return None
