"""OWASP probes over HTTP and in the browser: injection, XSS, traversal, malformed input, leaks.

Each probe returns a :class:`Probed` (the findings and how many attack requests it sent), so a
gate can record how much it tried: a probe that tried nothing must not look like a pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pytest_castmatch.checks.web import Client, Reply
from pytest_castmatch.model import Finding

STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|\bat [\w.$]+\([\w]+\.java:\d+\)"
    r"|(?:sqlite3|psycopg2?|pymysql)\.\w*Error|\bsqlalchemy\.exc\b",
)
SQL_ERROR = re.compile(
    r"sqlite3?\.|OperationalError|syntax error|unrecognized token|SQLSTATE|you have an error in your sql"
    r"|unterminated quoted string|no such column|ORA-\d{5}",
    re.IGNORECASE,
)
SECRET_FILE = re.compile(r"root:[x*]?:0:0:|\[boot loader\]|BEGIN (RSA|OPENSSH) PRIVATE KEY|^import \w+$", re.MULTILINE)
NO_MATCH = "zqxjnomatch"
#: (always-true, always-false) pairs: with the value bound as a parameter both match nothing.
SQL_PAIRS: tuple[tuple[str, str], ...] = (
    (f"{NO_MATCH}' OR '1'='1", f"{NO_MATCH}' AND '1'='2"),
    (f"{NO_MATCH}' OR 1=1 --", f"{NO_MATCH}' AND 1=2 --"),
    (f'{NO_MATCH}" OR "1"="1', f'{NO_MATCH}" AND "1"="2'),
    (f"{NO_MATCH}') OR ('1'='1", f"{NO_MATCH}') AND ('1'='2"),
    (f"{NO_MATCH}%' OR '%'='", f"{NO_MATCH}%' AND '%'='x"),
)
SQL_BREAKERS: tuple[str, ...] = ("'", "\"", "')", "';--", "1 UNION SELECT NULL--", "'; DROP TABLE talents; --")
#: Payloads that, if rendered as markup, either run script or leave a ``data-xss-probe`` element.
XSS_PAYLOADS: tuple[str, ...] = (
    '<img src=x data-xss-probe=1 onerror="window.__xss=1">',
    '"><script data-xss-probe=2>window.__xss=2</script>',
    "'><svg data-xss-probe=3 onload=alert(3)>",
    "</title></textarea><b data-xss-probe=4 onmouseover=alert(4)>x</b>",
    "javascript:window.__xss=5//<i data-xss-probe=5>",
)
TRAVERSALS: tuple[str, ...] = (
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "....//....//....//etc/passwd",
    "..\\..\\..\\..\\windows\\win.ini",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
)


@dataclass
class Probed:
    """What a probe found and how many attack requests (or page loads) it made."""

    findings: list[Finding] = field(default_factory=list)
    tried: int = 0

    def add(self, other: Probed) -> Probed:
        """Fold another probe's results into this one."""
        self.findings += other.findings
        self.tried += other.tried
        return self


def leaks(reply: Reply, where: str) -> list[Finding]:
    """A response that shows a stack trace or a raw database error."""
    found = []
    text = reply.text
    if match := STACK_TRACE.search(text):
        found.append(Finding("stack-trace-leak", f"{where} answered {reply.status} with a stack trace",
                             criterion="OWASP ASVS 7.4.1", page=where, context=text[max(0, match.start() - 80):
                                                                                   match.end() + 160]))
    elif reply.status >= 500 and (match := SQL_ERROR.search(text)):
        found.append(Finding("sql-error-leak", f"{where} answered {reply.status} with a database error",
                             criterion="OWASP ASVS 7.4.1", page=where, context=text[max(0, match.start() - 80):
                                                                                   match.end() + 160]))
    return found


def _server_error(reply: Reply, where: str, rule: str = "server-error") -> list[Finding]:
    if reply.status >= 500:
        return [Finding(rule, f"{where} answered {reply.status}; hostile input must get a 4xx", page=where,
                        context=reply.text[:300])]
    return []


def _count(reply: Reply, count: Callable[[Any], int]) -> int | None:
    if reply.status != 200:
        return None
    try:
        return count(reply.json())
    except (ValueError, KeyError, TypeError):
        return None


def sql_injection(client: Client, path: str, param: str, *, count: Callable[[Any], int],
                  params: dict[str, str] | None = None) -> Probed:
    """Boolean-based and error-based SQL injection through one query parameter of a JSON endpoint.

    ``count(json)`` says how many rows a response holds. With the value bound as a parameter,
    an always-true payload matches no more than its always-false twin; concatenated into SQL
    it returns extra rows. Quote breakers must never produce a 5xx or a database error.
    """
    out = Probed()
    base = dict(params or {})
    for true_text, false_text in SQL_PAIRS:
        replies = [client.get(path, params={**base, param: text}) for text in (true_text, false_text)]
        out.tried += 2
        for reply, text in zip(replies, (true_text, false_text), strict=True):
            where = f"{path}?{param}={text}"
            out.findings += _server_error(reply, where, "sqli-server-error") + leaks(reply, where)
        rows_true, rows_false = (_count(r, count) for r in replies)
        if rows_true is not None and rows_true > (rows_false or 0):
            out.findings.append(Finding(
                "sqli-extra-rows", f"{param}={true_text!r} returned {rows_true} rows, its false twin {rows_false}: "
                "the value reaches SQL as code", criterion="OWASP ASVS 5.3.4", page=path,
                context=f"{param}={true_text}"))
    for text in SQL_BREAKERS:
        reply = client.get(path, params={**base, param: text})
        out.tried += 1
        where = f"{path}?{param}={text}"
        out.findings += _server_error(reply, where, "sqli-server-error") + leaks(reply, where)
        if reply.status < 500 and SQL_ERROR.search(reply.text) and "sqlite" in reply.text.lower():
            out.findings.append(Finding("sql-error-leak", f"{where} shows a database error", page=where,
                                        criterion="OWASP ASVS 7.4.1"))
    return out


def path_traversal(client: Client, prefixes: Iterable[str]) -> Probed:
    """GET ``prefix + traversal`` for each prefix (e.g. ``/static/``, ``/media/``): no file leaks, no 5xx."""
    out = Probed()
    for prefix in prefixes:
        for attack in TRAVERSALS:
            path = prefix + attack
            reply = client.get(path)
            out.tried += 1
            out.findings += _server_error(reply, path) + leaks(reply, path)
            if reply.status == 200 and SECRET_FILE.search(reply.text):
                out.findings.append(Finding("path-traversal", f"GET {path} served a file outside the web root",
                                            criterion="OWASP ASVS 12.3.1", page=path, context=reply.text[:200]))
    return out


def hostile_bodies(client: Client, method: str, path: str, *, max_body: int = 6 * 1024 * 1024,
                   headers: dict[str, str] | None = None) -> Probed:
    """Malformed, mistyped, deeply nested and oversize bodies: each answered 4xx, none with a trace."""
    deep = ("[" * 5000 + "]" * 5000).encode()
    bodies: list[tuple[str, bytes, str]] = [
        ("truncated JSON", b'{"talent_id": 1, "notes": ', "application/json"),
        ("not JSON", b"not json at all", "application/json"),
        ("wrong types", json.dumps({"talent_id": "one", "starts_at": 7, "notes": ["x"]}).encode(),
         "application/json"),
        ("JSON array", b"[1, 2, 3]", "application/json"),
        ("null", b"null", "application/json"),
        ("invalid UTF-8", b'{"notes": "\xff\xfe\xfa"}', "application/json"),
        ("deep nesting", deep, "application/json"),
        ("wrong content type", b"<xml>1</xml>", "application/xml"),
        ("broken multipart", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n", "multipart/form-data"),
        ("oversize", b'{"notes": "' + b"A" * max_body + b'"}', "application/json"),
    ]
    out = Probed()
    for label, body, ctype in bodies:
        where = f"{method} {path} ({label})"
        try:
            reply = client.request(method, path, body=body, headers={**(headers or {}), "Content-Type": ctype})
        except OSError as exc:
            # A server may close the connection on an oversize body instead of answering 413; that is a refusal.
            client.close()
            out.tried += 1
            if label != "oversize":
                out.findings.append(Finding("connection-dropped", f"{where}: connection failed ({exc})", page=path))
            continue
        out.tried += 1
        out.findings += _server_error(reply, where) + leaks(reply, where)
        if label == "oversize" and reply.status < 400:
            out.findings.append(Finding("oversize-accepted", f"{where}: a {max_body} byte body was accepted "
                                        f"({reply.status}); set a request size limit", page=path,
                                        criterion="OWASP ASVS 13.1.3"))
    return out


#: Upload file names that try to escape the upload folder or smuggle a different type.
UPLOAD_NAMES: tuple[str, ...] = (
    "../../../../../../tmp/castmatch-probe.png",
    "..\\..\\..\\castmatch-probe.png",
    "%2e%2e%2f%2e%2e%2fcastmatch-probe.png",
    "/etc/cron.d/castmatch-probe.png",
    "probe.png\x00.html",
    "probe.php.png",
)
#: The smallest valid PNG (1 x 1, grey): a real image, so only the file name is hostile.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c636800000082008177cd72b60000000049454e44ae426082"
)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body (fields, then files as name -> (filename, data, type)) and its type."""
    boundary = "castmatch-probe-boundary"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, ctype) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {ctype}\r\n\r\n")
        parts.append(head.encode("utf-8", "surrogateescape") + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_names(client: Client, path: str, *, field_name: str, fields: Callable[[], dict[str, str]],
                 served_under: Iterable[str] = ()) -> Probed:
    """Upload a valid image under each hostile file name: no 5xx, no trace, and the name is never
    served back from ``served_under`` prefixes (the file did not land where its name pointed)."""
    out = Probed()
    for name in UPLOAD_NAMES:
        body, ctype = multipart(fields(), {field_name: (name, TINY_PNG, "image/png")})
        reply = client.post(path, body=body, headers={"Content-Type": ctype})
        out.tried += 1
        where = f"POST {path} (file name {name!r})"
        out.findings += _server_error(reply, where) + leaks(reply, where)
        for prefix in served_under:
            served = client.get(prefix + name.replace("\x00", "%00"))
            out.tried += 1
            if served.status == 200 and served.body.startswith(TINY_PNG[:8]):
                out.findings.append(Finding("upload-path-traversal", f"the upload named {name!r} is served at "
                                            f"{prefix}{name}", criterion="OWASP ASVS 12.3.1", page=path))
    return out


class XssWatch:
    """Watches one browser page for script run by a payload: dialogs, ``window.__xss``, probe elements."""

    def __init__(self, page: Any) -> None:
        # ``page`` is a Playwright Page, typed loosely so this module needs no playwright import.
        self.page = page
        self.dialogs: list[str] = []
        self.tried = 0
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(str(dialog.message))
        dialog.dismiss()

    def inspect(self, where: str, payload: str) -> list[Finding]:
        """Findings for the page as it is now, after ``payload`` was sent to ``where``."""
        self.tried += 1
        found = []
        state = self.page.evaluate(
            "() => ({flag: window.__xss || null,"
            " probes: Array.from(document.querySelectorAll('[data-xss-probe]')).map(e => e.outerHTML.slice(0, 160))})"
        )
        if state["flag"] is not None or self.dialogs:
            found.append(Finding("xss-executed", f"payload ran script in the browser at {where}",
                                 criterion="OWASP ASVS 5.3.3", page=where, context=payload,
                                 selector="; ".join(state["probes"]) or None))
        elif state["probes"]:
            found.append(Finding("xss-markup-injected", f"payload became live markup at {where} (script was stopped "
                                 "only by CSP)", criterion="OWASP ASVS 5.3.3", page=where, context=payload,
                                 selector="; ".join(state["probes"])))
        self.dialogs.clear()
        return found
