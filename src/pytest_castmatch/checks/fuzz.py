"""Property-based API fuzzing with Schemathesis (v4 Python API) over an OpenAPI document.

Every operation gets a fixed number of generated cases, and the whole run a time budget.
Failures are recorded, not raised, so one run lists every operation that breaks; each
finding carries the seed and a curl command, and ``run(..., seed=N)`` replays the same cases.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_castmatch.model import Finding
from pytest_castmatch.record import Record, record

#: Findings kept per operation (one per kind of failure): the rest repeat the same bug.
MAX_FAILURES_PER_OPERATION = 3


class FuzzEngineMissing(RuntimeError):
    """Schemathesis (and Hypothesis) are not installed."""


@dataclass
class OperationTally:
    """Cases sent to one operation and the problems they found."""

    label: str
    cases: int = 0
    failures: int = 0
    seen: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class FuzzRun:
    """The outcome of one fuzzing run; ``seed`` replays it."""

    seed: int
    findings: list[Finding] = field(default_factory=list)
    operations: list[OperationTally] = field(default_factory=list)
    elapsed: float = 0.0
    budget_hit: bool = False
    version: str = ""

    @property
    def cases(self) -> int:
        return sum(op.cases for op in self.operations)


def _engine() -> Any:
    try:
        import hypothesis  # noqa: F401
        import schemathesis
    except ImportError as exc:
        raise FuzzEngineMissing(
            f"schemathesis is not installed ({exc}); install it with: pip install 'pytest-castmatch[security]'"
        ) from None
    return schemathesis


def load(openapi_url: str, *, headers: Mapping[str, str] | None = None) -> Any:
    """The Schemathesis schema object for ``openapi_url`` (raises FuzzEngineMissing)."""
    schemathesis = _engine()
    return schemathesis.openapi.from_url(openapi_url, headers=dict(headers or {}), timeout=30)


def _failure_messages(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [m for sub in exc.exceptions for m in _failure_messages(sub)]
    title = getattr(exc, "title", "") or type(exc).__name__
    message = getattr(exc, "message", "") or str(exc)
    return [message if message.startswith(title) else f"{title}: {message}".strip()]


def run(openapi_url: str, base_url: str, *, max_examples: int = 10, seed: int | None = None,
        budget_s: float = 60.0, headers: Mapping[str, str] | None = None,
        exclude: Iterable[str] = ()) -> FuzzRun:
    """Fuzz every operation of the spec at ``openapi_url`` against ``base_url``.

    Checks: no 5xx (``not_a_server_error``) and every documented response matches its schema
    (``response_schema_conformance``). ``exclude`` names operations ("GET /path") not to call.
    """
    schemathesis = _engine()
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    chosen = seed if seed is not None else random.SystemRandom().randrange(2**32)
    out = FuzzRun(seed=chosen, version=str(schemathesis.__version__))
    schema = load(openapi_url, headers=headers)
    skip = set(exclude)
    checks = [not_a_server_error, response_schema_conformance]
    started = time.monotonic()
    for result in schema.get_all_operations():
        try:
            operation = result.ok()
        except AttributeError:
            error = result.err()
            out.findings.append(Finding("openapi-invalid", f"operation cannot be fuzzed: {error}",
                                        criterion="OpenAPI 3.1"))
            continue
        label = f"{operation.method.upper()} {operation.path}"
        if label in skip:
            continue
        tally = OperationTally(label)
        out.operations.append(tally)

        body: Any = _case_runner(out, tally, base_url, headers, started, budget_s, checks)
        decorate: Any = given  # its overloads do not type a decorator applied to a plain function
        test: Any = decorate(operation.as_strategy())(body)
        test = settings(
            max_examples=max_examples, deadline=None, database=None, derandomize=False,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )(test)
        test = hypothesis_seed(chosen)(test)
        test()
    out.elapsed = time.monotonic() - started
    if not out.operations:
        out.findings.append(Finding("fuzz-nothing", f"{openapi_url} lists no operations to fuzz"))
    return out


def _case_runner(out: FuzzRun, tally: OperationTally, base_url: str, headers: Mapping[str, str] | None,
                 started: float, budget_s: float, checks: list[Any]) -> Any:
    """The body Hypothesis calls once per generated case (a closure: @given takes no defaults)."""

    def one_case(case: Any) -> None:
        if time.monotonic() - started > budget_s:
            out.budget_hit = True
            return
        tally.cases += 1
        response = case.call(base_url=base_url, headers=dict(headers or {}))
        try:
            case.validate_response(response, checks=checks)
        except (AssertionError, BaseExceptionGroup) as exc:
            tally.failures += 1
            for message in _failure_messages(exc):
                # One finding per kind of problem and operation: further cases show the same bug again.
                rule = "fuzz-" + ("server-error" if "Server error" in message else "schema-violation")
                if (tally.label, rule) not in tally.seen and len(tally.seen) < MAX_FAILURES_PER_OPERATION:
                    tally.seen.add((tally.label, rule))
                    out.findings.append(Finding(
                        rule,
                        f"{tally.label}: {message.splitlines()[0]} (replay: seed {out.seed})",
                        criterion="OpenAPI contract", page=tally.label,
                        context=message[:600] + "\n" + case.as_curl_command(base_url=base_url)))

    return one_case


@record
class ContractCall(Record):
    """One real request whose response must match the spec (status documented, body per schema)."""

    method: str
    path: str
    path_parameters: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None
    expect_status: int = 200


def contract(openapi_url: str, base_url: str, calls: Iterable[ContractCall]) -> tuple[list[Finding], int]:
    """Send each call and check its response against the OpenAPI document; (findings, calls made)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    schema = load(openapi_url)
    found: list[Finding] = []
    made = 0
    for call in calls:
        label = f"{call.method.upper()} {call.path}"
        operation = schema.find_operation_by_label(label)
        if operation is None:
            found.append(Finding("contract-missing-operation", f"{label} is not in {openapi_url}",
                                 criterion="OpenAPI contract", page=label))
            continue
        kwargs: dict[str, Any] = {"path_parameters": dict(call.path_parameters), "query": dict(call.query),
                                  "headers": dict(call.headers)}
        if call.body is not None:
            kwargs["body"] = call.body
            kwargs["media_type"] = call.media_type or "application/json"
        case = operation.Case(**kwargs)
        response = case.call(base_url=base_url)
        made += 1
        if response.status_code != call.expect_status:
            found.append(Finding("contract-status", f"{label} answered {response.status_code}, expected "
                                 f"{call.expect_status}", criterion="OpenAPI contract", page=label,
                                 context=response.text[:300]))
        try:
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                     response_schema_conformance])
        except (AssertionError, BaseExceptionGroup) as exc:
            for message in _failure_messages(exc):
                found.append(Finding("contract-violation", f"{label}: {message.splitlines()[0]}",
                                     criterion="OpenAPI contract", page=label, context=message[:800]))
    return found, made
