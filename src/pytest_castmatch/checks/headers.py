"""Transport and browser security of HTTP responses: security headers, cookie flags, CORS, leaks.

Pure functions over a :class:`~pytest_castmatch.checks.web.Reply` (``security_headers``,
``cookie_flags``, ``server_leak``) plus ``cors`` and ``audit``, which send the requests. Each
returns :class:`Finding` objects; severity "error" fails the gate, "warning" is reported only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pytest_castmatch.checks.web import Client, Reply
from pytest_castmatch.model import Finding

#: HSTS shorter than this (180 days) does not survive a typical release cycle.
HSTS_MIN_AGE = 15_552_000
VERSION_LEAK = re.compile(r"\d+\.\d+|/\s*\d")
SAFE_REFERRER = frozenset({"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin",
                           "origin", "origin-when-cross-origin"})
HOSTILE_ORIGIN = "https://attacker.example"


def _path(reply: Reply) -> str:
    parts = urlsplit(reply.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csp_directives(policy: str) -> dict[str, list[str]]:
    """``default-src 'self'; img-src *`` -> {"default-src": ["'self'"], "img-src": ["*"]}."""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            out.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return out


def _csp(policy: str | None, page: str) -> list[Finding]:
    if not policy:
        return [Finding("csp-missing", "no Content-Security-Policy header", criterion="OWASP ASVS 14.4.3", page=page)]
    found = []
    directives = csp_directives(policy)
    script = directives.get("script-src", directives.get("default-src"))
    if script is None:
        found.append(Finding("csp-no-script-src", "CSP has neither script-src nor default-src: any script runs",
                             criterion="OWASP ASVS 14.4.3", page=page, context=policy))
    elif "'unsafe-inline'" in script and not any(t.startswith(("'nonce-", "'sha")) for t in script):
        # With a nonce or hash present, CSP2+ browsers ignore 'unsafe-inline' (it is a CSP1 fallback).
        found.append(Finding("csp-unsafe-inline", "CSP script-src allows 'unsafe-inline': injected markup can run "
                             "script", criterion="OWASP ASVS 14.4.3", page=page, context=policy))
    elif "*" in script or "data:" in script:
        found.append(Finding("csp-wildcard-script", "CSP script-src allows '*' or data: URLs", page=page,
                             context=policy))
    style = directives.get("style-src", directives.get("default-src", []))
    if "'unsafe-inline'" in style:
        found.append(Finding("csp-unsafe-inline-style", "CSP style-src allows 'unsafe-inline'", severity="warning",
                             page=page, context=policy))
    if "frame-ancestors" not in directives:
        found.append(Finding("csp-frame-ancestors", "CSP has no frame-ancestors: the page can be framed "
                             "(clickjacking)", criterion="OWASP ASVS 14.4.7", page=page, context=policy))
    elif "*" in directives["frame-ancestors"]:
        found.append(Finding("csp-frame-ancestors", "CSP frame-ancestors allows any origin", page=page,
                             context=policy))
    return found


def security_headers(reply: Reply) -> list[Finding]:
    """CSP (no unsafe-inline, frame-ancestors), HSTS, nosniff, Referrer-Policy, Permissions-Policy."""
    page = _path(reply)
    found = _csp(reply.header("content-security-policy"), page)
    hsts = reply.header("strict-transport-security")
    if not hsts:
        found.append(Finding("hsts-missing", "no Strict-Transport-Security header", criterion="OWASP ASVS 14.4.5",
                             page=page))
    else:
        age = re.search(r"max-age\s*=\s*\"?(\d+)", hsts, re.IGNORECASE)
        if not age or int(age.group(1)) < HSTS_MIN_AGE:
            found.append(Finding("hsts-short", f"Strict-Transport-Security max-age below {HSTS_MIN_AGE} s",
                                 criterion="OWASP ASVS 14.4.5", page=page, context=hsts))
    if (reply.header("x-content-type-options") or "").strip().lower() != "nosniff":
        found.append(Finding("nosniff-missing", "X-Content-Type-Options: nosniff is not sent",
                             criterion="OWASP ASVS 14.4.4", page=page))
    referrer = reply.header("referrer-policy")
    tokens = {t.strip().lower() for t in (referrer or "").split(",") if t.strip()}
    if not referrer:
        found.append(Finding("referrer-policy-missing", "no Referrer-Policy header", criterion="OWASP ASVS 14.4.6",
                             page=page))
    elif not tokens & SAFE_REFERRER:
        found.append(Finding("referrer-policy-leaky", f"Referrer-Policy {referrer!r} sends full URLs cross-origin",
                             criterion="OWASP ASVS 14.4.6", page=page))
    if not reply.header("permissions-policy"):
        found.append(Finding("permissions-policy-missing", "no Permissions-Policy header", page=page))
    return found


def cookie_flags(reply: Reply, *, https: bool, readable: Iterable[str] = ()) -> list[Finding]:
    """Each Set-Cookie: HttpOnly (unless named in ``readable``), SameSite, Secure when served over https."""
    page = _path(reply)
    script_readable = set(readable)
    found = []
    for line in reply.header_all("set-cookie"):
        name = line.split("=", 1)[0].strip()
        attrs = {a.split("=", 1)[0].strip().lower(): a.partition("=")[2].strip().lower() for a in line.split(";")[1:]}
        if "httponly" not in attrs and name not in script_readable:
            found.append(Finding("cookie-httponly", f"cookie {name!r} is readable from script (no HttpOnly)",
                                 criterion="OWASP ASVS 3.4.2", page=page, context=line))
        samesite = attrs.get("samesite")
        if samesite not in {"lax", "strict"} and not (samesite == "none" and "secure" in attrs):
            found.append(Finding("cookie-samesite", f"cookie {name!r} has no SameSite=Lax/Strict",
                                 criterion="OWASP ASVS 3.4.3", page=page, context=line))
        if https and "secure" not in attrs:
            found.append(Finding("cookie-secure", f"cookie {name!r} is sent over https without Secure",
                                 criterion="OWASP ASVS 3.4.1", page=page, context=line))
    return found


def server_leak(reply: Reply) -> list[Finding]:
    """Server / X-Powered-By headers must not name software versions."""
    found = []
    for name in ("server", "x-powered-by", "x-aspnet-version", "x-runtime"):
        value = reply.header(name)
        if value and (name != "server" or VERSION_LEAK.search(value)):
            found.append(Finding("server-version-leak", f"{name}: {value} tells attackers what to target",
                                 criterion="OWASP ASVS 14.3.3", page=_path(reply), context=f"{name}: {value}"))
    return found


def cors(reply: Reply) -> list[Finding]:
    """CORS for a request sent with ``Origin: HOSTILE_ORIGIN``: no reflection, no credentialed wildcard."""
    allowed = reply.header("access-control-allow-origin")
    credentials = (reply.header("access-control-allow-credentials") or "").lower() == "true"
    page = _path(reply)
    if allowed == HOSTILE_ORIGIN or allowed == "null":
        return [Finding("cors-reflects-origin", f"Access-Control-Allow-Origin echoes any origin ({allowed})"
                        + (" with credentials" if credentials else ""), criterion="OWASP ASVS 14.5.3", page=page)]
    if allowed == "*":
        severity = "error" if credentials else "warning"
        return [Finding("cors-wildcard", "Access-Control-Allow-Origin: * lets any site read this response",
                        severity=severity, criterion="OWASP ASVS 14.5.3", page=page)]
    return []


def audit(base_url: str, paths: Iterable[str], *, readable_cookies: Iterable[str] = ()) -> tuple[list[Finding], int]:
    """Fetch each path (as a hostile cross-origin caller) and run every check; (findings, responses checked)."""
    https = urlsplit(base_url).scheme == "https"
    client = Client(base_url, headers={"Origin": HOSTILE_ORIGIN})
    found: list[Finding] = []
    checked = 0
    try:
        for path in paths:
            reply = client.get(path)
            client.cookies.clear()  # every path as a first visit, so each one's Set-Cookie is seen
            checked += 1
            if reply.status >= 500:
                found.append(Finding("server-error", f"GET {path} answered {reply.status}", page=path))
            found += security_headers(reply)
            found += cookie_flags(reply, https=https, readable=readable_cookies)
            found += server_leak(reply)
            found += cors(reply)
    finally:
        client.close()
    return found, checked
