"""Fold a test's phase reports (setup, call, teardown) into one gate outcome.

Pure. Fails closed: a gate only reaches ``passed`` through a passing call phase and a
clean teardown; any phase that is missing, odd or unknown leaves it short of passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_castmatch.classify import GateInfo
from pytest_castmatch.model import Finding, GateResult, Outcome, Sample

MESSAGE_LIMIT = 2000
#: Key of a setup report's data when the plugin found the gate not applicable (the value is the reason).
NOT_APPLICABLE = "not_applicable"


@dataclass(slots=True)
class PhaseLog:
    """What the controller has heard about one test so far.

    One per gate, alive for the whole run: what it heard is kept in tuples (empty ones are shared), so a
    run of thousands of gates does not add thousands of containers for the cycle collector to walk.
    """

    outcome: Outcome | None = None
    duration: float = 0.0
    message: str = ""
    reruns: int = 0
    teardown_done: bool = False
    findings: tuple[Finding, ...] = ()
    samples: tuple[Sample, ...] = ()
    evidence: tuple[str, ...] = ()
    info: GateInfo | None = None

    def add(
        self,
        *,
        when: str,
        outcome: str,
        wasxfail: bool,
        message: str,
        duration: float,
        data: Mapping[str, Any] | None,
    ) -> None:
        """Record one phase report (``outcome`` is pytest's: passed/failed/skipped/rerun)."""
        self.duration += duration
        if data:
            if found := data.get("findings"):
                self.findings += tuple(Finding.from_json(f) for f in found)
            if metrics := data.get("metrics"):
                self.samples += tuple(Sample.from_json(s) for s in metrics)
            if evidence := data.get("evidence"):
                self.evidence += tuple(str(p) for p in evidence)
        if outcome == "rerun":
            # pytest-rerunfailures: the attempt failed and will run again; a later pass is flaky.
            self.reruns += 1
            self.outcome, self.message = None, _trim(message)
            self.teardown_done = False
            return
        if when == "setup":
            if outcome == "failed":
                self._set(Outcome.ERROR, message)
            elif outcome == "skipped" and data and data.get(NOT_APPLICABLE):
                self._set(Outcome.NOT_APPLICABLE, str(data[NOT_APPLICABLE]))
            elif outcome == "skipped":
                self._set(Outcome.XFAILED if wasxfail else Outcome.SKIPPED, message)
        elif when == "call":
            if outcome == "passed":
                self._set(Outcome.XPASSED if wasxfail else Outcome.PASSED, message)
            elif outcome == "failed":
                self._set(Outcome.FAILED, message)
            else:
                self._set(Outcome.XFAILED if wasxfail else Outcome.SKIPPED, message)
        elif when == "teardown":
            self.teardown_done = True
            if outcome == "failed":
                self._set(Outcome.ERROR, message, force=self.outcome is Outcome.PASSED)
        else:
            # xdist reports a test lost with its worker with when="???".
            self._set(Outcome.CRASHED, message, force=True)

    def _set(self, outcome: Outcome, message: str, force: bool = False) -> None:
        if self.outcome is None or force or self.outcome is Outcome.PASSED:
            self.outcome = outcome
            self.message = _trim(message) or self.message

    def result(self, info: GateInfo, interrupted: bool) -> GateResult:
        """The gate's final outcome; ``interrupted`` tells what an unfinished gate means."""
        outcome = self.outcome
        message = self.message
        if outcome is None:
            outcome = Outcome.INTERRUPTED if interrupted else Outcome.NOT_RUN
        elif outcome is Outcome.PASSED and not self.teardown_done:
            outcome, message = (Outcome.INTERRUPTED if interrupted else Outcome.NOT_RUN), "teardown never reported"
        elif outcome is Outcome.PASSED and self.reruns:
            outcome, message = Outcome.FLAKY, f"passed after {self.reruns} failed attempt(s): {message}".rstrip(": ")
        elif outcome is Outcome.PASSED and self.findings and (failing := sum(1 for f in self.findings
                                                                            if f.severity.fails)):
            # A finding recorded after the call's check (a fixture's teardown) still fails the gate.
            outcome, message = Outcome.FAILED, f"{failing} finding(s) of high or critical severity were recorded"
        return GateResult(
            id=info.id,
            priority=info.priority,
            owner=info.owner,
            outcome=outcome,
            duration=self.duration,
            message=message,
            findings=self.findings,
            samples=self.samples,
            evidence=tuple(dict.fromkeys(self.evidence)) if self.evidence else (),
            location=info.location,
        )


def _trim(message: str) -> str:
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 1] + "…"


def fold(
    expected: Iterable[GateInfo], logs: Mapping[str, PhaseLog], interrupted: bool
) -> list[GateResult]:
    """Every expected gate gets a result, whether or not any report about it arrived."""
    results = []
    unheard = PhaseLog()
    for info in expected:
        results.append(logs.get(info.id, unheard).result(info, interrupted))
    return results
