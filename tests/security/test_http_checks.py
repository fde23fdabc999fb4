"""Known-answer tests of the header, probe, access and rate-limit checks against a local server."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from pytest_castmatch.checks import access, headers, probes, ratelimit
from pytest_castmatch.checks.web import Client, Reply
from pytest_castmatch.model import Finding
from tests.security.conftest import Route, Server

GOOD = [
    ("Content-Security-Policy", "default-src 'self'; script-src 'self'; frame-ancestors 'none'"),
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=()"),
    ("Set-Cookie", "sid=abc; HttpOnly; SameSite=Lax; Path=/"),
]


def reply(hdrs: list[tuple[str, str]], url: str = "http://x/page") -> Reply:
    return Reply(url, 200, tuple(hdrs), b"", 0.0)


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings if f.severity == "error"}


def test_good_headers_have_no_findings() -> None:
    r = reply(GOOD)
    assert headers.security_headers(r) == []
    assert headers.cookie_flags(r, https=False) == []
    assert headers.server_leak(reply([*GOOD, ("Server", "uvicorn")])) == []
    assert headers.cors(r) == []


def test_each_missing_or_weak_header_is_named() -> None:
    weak = [("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'"),
            ("Strict-Transport-Security", "max-age=60"), ("Referrer-Policy", "unsafe-url")]
    assert rules(headers.security_headers(reply(weak))) == {
        "csp-unsafe-inline", "csp-frame-ancestors", "hsts-short", "nosniff-missing", "referrer-policy-leaky",
        "permissions-policy-missing"}
    assert rules(headers.security_headers(reply([]))) >= {"csp-missing", "hsts-missing"}
    # A nonce makes CSP2+ browsers ignore 'unsafe-inline': not a finding.
    nonce = [("Content-Security-Policy", "script-src 'nonce-abc' 'unsafe-inline'; frame-ancestors 'self'")]
    assert "csp-unsafe-inline" not in rules(headers.security_headers(reply(nonce)))


def test_cookie_flags_and_leaks_and_cors() -> None:
    bad_cookie = reply([("Set-Cookie", "sid=abc; Path=/"), ("Set-Cookie", "ok=1; HttpOnly; SameSite=Strict")])
    assert rules(headers.cookie_flags(bad_cookie, https=False)) == {"cookie-httponly", "cookie-samesite"}
    assert rules(headers.cookie_flags(bad_cookie, https=True)) == {"cookie-httponly", "cookie-samesite",
                                                                    "cookie-secure"}
    assert headers.cookie_flags(reply([("Set-Cookie", "theme=dark; SameSite=Lax")]), https=False,
                                readable=["theme"]) == []
    assert rules(headers.server_leak(reply([("Server", "nginx/1.25.3")]))) == {"server-version-leak"}
    assert rules(headers.server_leak(reply([("X-Powered-By", "PHP/8.1")]))) == {"server-version-leak"}
    reflect = reply([("Access-Control-Allow-Origin", headers.HOSTILE_ORIGIN)])
    assert rules(headers.cors(reflect)) == {"cors-reflects-origin"}
    star = reply([("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")])
    assert rules(headers.cors(star)) == {"cors-wildcard"}


def test_audit_fetches_every_path(server: Server) -> None:
    server.route("/good", lambda m, p, b: (200, GOOD, b"ok"))
    server.route("/bad", lambda m, p, b: (500, [], b"boom"))
    found, checked = headers.audit(server.url, ["/good", "/bad"])
    assert checked == 2
    assert {f.page for f in found if f.severity == "error"} == {"/bad"}
    assert "server-error" in rules(found)


def _search(vulnerable: bool) -> Route:
    def answer(method: str, path: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        area = parse_qs(urlsplit(path).query).get("area", [""])[0]
        if vulnerable and area.count("'") % 2:
            return 500, [], b"sqlite3.OperationalError: unrecognized token"
        total = 40 if vulnerable and ("'1'='1" in area or "1=1" in area or "'%'='" in area) else 0
        return 200, [("Content-Type", "application/json")], json.dumps({"total": total}).encode()
    return answer


def test_sql_injection_known_answers(server: Server) -> None:
    server.route("/safe", _search(False))
    server.route("/vuln", _search(True))
    client = Client(server.url)
    try:
        safe = probes.sql_injection(client, "/safe", "area", count=lambda j: int(j["total"]))
        vuln = probes.sql_injection(client, "/vuln", "area", count=lambda j: int(j["total"]))
    finally:
        client.close()
    assert safe.findings == []
    assert safe.tried == 2 * len(probes.SQL_PAIRS) + len(probes.SQL_BREAKERS)
    assert {"sqli-extra-rows", "sqli-server-error"} <= rules(vuln.findings)


def test_leaks_traversal_and_hostile_bodies(server: Server) -> None:
    trace = b'Traceback (most recent call last):\n  File "/app/x.py", line 3, in f'
    server.route("/static/", lambda m, p, b: (200, [], b"root:x:0:0:root:/root:/bin/bash") if "passwd" in p
                 else (404, [], b"no"))
    server.route("/fragile", lambda m, p, b: (500, [], trace) if b.startswith(b"{") and not b.endswith(b"}")
                 else (413 if len(b) > 10_000 else 400, [], b"bad"))
    server.route("/sturdy", lambda m, p, b: (413 if len(b) > 10_000 else 422, [], b"bad"))
    client = Client(server.url)
    try:
        traversal = probes.path_traversal(client, ["/static/"])
        fragile = probes.hostile_bodies(client, "POST", "/fragile", max_body=20_000)
        sturdy = probes.hostile_bodies(client, "POST", "/sturdy", max_body=20_000)
    finally:
        client.close()
    assert "path-traversal" in rules(traversal.findings)
    assert traversal.tried == len(probes.TRAVERSALS)
    assert {"server-error", "stack-trace-leak"} <= rules(fragile.findings)
    assert sturdy.findings == []
    assert sturdy.tried == 10


def test_tampered_tokens_all_differ_and_refusals_are_checked(server: Server) -> None:
    token = "cm1.eyJzdWIiOjIsInJvbGUiOiJkaXJlY3RvciIsImV4cCI6MTB9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
    forged = access.tampered(token)
    assert {what for what, _ in forged} >= {"signature altered", "signature stripped"}
    assert all(f != token for _, f in forged)
    server.route("/open", lambda m, p, b: (200, [], b"{}"))
    server.route("/closed", lambda m, p, b: (401, [], b"{}"))
    client = Client(server.url)
    try:
        found, tried = access.refused(client, ["/open", "/closed"], headers=None, why="anonymously", rule="unauth")
    finally:
        client.close()
    assert tried == 2
    assert [f.page for f in found] == ["/open"]


def test_rate_limit_judgement() -> None:
    limited = ratelimit.Burst(statuses=[200] * 100 + [429], refusal=Reply("u", 429, (("Retry-After", "1"),), b"", 0))
    assert ratelimit.judge(limited, path="/x", min_burst=100) == []
    assert rules(ratelimit.judge(limited, path="/x", min_burst=150)) == {"burst-too-small"}
    no_retry = ratelimit.Burst(statuses=[200, 429], refusal=Reply("u", 429, (), b"", 0))
    assert "retry-after-missing" in rules(ratelimit.judge(no_retry, path="/x", min_burst=1))
    assert rules(ratelimit.judge(ratelimit.Burst(statuses=[200] * 600), path="/x", min_burst=1)) == {"no-rate-limit"}


def test_burst_stops_at_first_refusal(server: Server) -> None:
    count = {"n": 0}

    def limited(method: str, path: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        count["n"] += 1
        return (429, [("Retry-After", "2")], b"") if count["n"] > 30 else (200, [], b"ok")

    server.route("/x", limited)
    result = ratelimit.burst(server.url, "/x", identity={}, cap=200, workers=2)
    assert result.refusal is not None
    assert 30 <= result.allowed_before_refusal <= 30
    assert len(result.statuses) < 200
