"""One run's report, from trust to the folder: who signs and with what standing, which manual items
were signed off before the run, and the report folder held for the run and published whole.

No pytest import: the plugin turns what fails here into usage errors and exit statuses.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_castmatch import policy, publish, signoffs
from pytest_castmatch.config import GateConfig
from pytest_castmatch.dsse import verifies
from pytest_castmatch.keys import Signer
from pytest_castmatch.model import Reason
from pytest_castmatch.report_folder import FolderError, ReportFolder, wait_seconds
from pytest_castmatch.trust import TrustPolicy, in_ci, load_trust
from pytest_castmatch.verdict import ManualSignOff

#: Exit statuses (pytest's) of a run whose report could not be published.
USAGE_ERROR = 4
INTERNAL_ERROR = 3


class RunPublication:
    """The controller's hold on the run's report: signer, trust, sign-offs, and the folder."""

    def __init__(self, report_dir: Path, *, staging: Path | None = None) -> None:
        self.folder = ReportFolder(report_dir)
        #: Where gates put evidence: the folder being assembled, which replaces the report folder whole.
        self.evidence_root = staging or self.folder.staging
        self.signer: Signer | None = None
        self.trust = TrustPolicy()
        self.signoffs: list[ManualSignOff] = []
        self.signoff_problems: list[Reason] = []
        self.published = False
        self.failure = ""
        self._launch = False

    def load_trust(self, config: GateConfig, *, signers: Path | None = None,
                   shown: Callable[[Path], str] = str) -> None:
        """Read the trust policy (``signers``, default signers/ beside the gates file) and verify the
        sign-off statements beside the gates file.

        Raises ``ConfigError`` (a :class:`pytest_castmatch.trust.TrustError`) for an unreadable
        signers.toml; a statement that does not verify becomes a blocker, not an error.
        """
        folder = config.path.parent
        self.trust = load_trust(signers or folder / policy.SIGNERS, list(config.owners))
        today = dt.datetime.now(dt.UTC).date()
        found, problems = signoffs.check(folder / signoffs.FOLDER, config, self.trust, today,
                                         shown=shown(folder / signoffs.FOLDER))
        self.signoffs, self.signoff_problems = found, problems
        self._launch = self.launch_key()

    def launch_key(self) -> bool:
        """Whether the signer signs with a launch key of the trust policy: its key id is listed with
        ``launch = true`` and a signature it makes verifies with that key (a key id is only a claim)."""
        if self.signer is None:
            return False
        key = self.trust.by_keyid(self.signer.keyid)
        if key is None or not key.launch:
            return False
        probe = b"castmatch launch key probe"
        return verifies(key.key, self.signer.sign(probe), probe)

    def facts(self) -> dict[str, Any]:
        """The :class:`pytest_castmatch.verdict.RunFacts` fields about the signer and the sign-offs."""
        return {
            "signer_keyid": self.signer.keyid if self.signer is not None else "",
            "launch_key": self._launch,
            "signoffs": tuple(self.signoffs),
            "signoff_problems": tuple(self.signoff_problems),
        }

    def hold(self, notice: Callable[[str], None]) -> None:
        """Take the folder for the run; its old verdict gives way to "no report yet" (FolderError if not)."""
        self.folder.lock(wait_seconds(), notice=notice)
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        publish.void(self.folder, f"a gate run (pid {os.getpid()}) started at {started} and has not written its "
                     "report — if no run is going on any more, it ended before writing one")
        self.folder.prepare()

    def publish(
        self,
        doc: Mapping[str, Any],
        *,
        previous: Mapping[str, Any] | None,
        history: Sequence[Mapping[str, Any]] = (),
    ) -> int | None:
        """Publish the folder whole; None when done, else the exit status for the failure in :attr:`failure`."""
        try:
            publish.publish(doc, self.folder.target, signer=self.signer, previous=previous, history=history,
                            folder=self.folder)
        except FolderError as exc:
            self.failure = str(exc)
            return USAGE_ERROR
        except Exception as exc:  # a signer (KMS, token) or a view that failed: nothing stale may stay
            self.failure = f"{type(exc).__name__}: {exc}"
            return INTERNAL_ERROR
        self.published = True
        return None

    def refused_in_ci(self, doc: Mapping[str, Any]) -> bool:
        """A full run GO without a launch key's signature, while ``CI`` is set."""
        verdict, scope = doc.get("verdict") or {}, doc.get("scope") or {}
        go_for_all = verdict.get("decision") == "GO" and bool(scope.get("full"))
        return in_ci() and go_for_all and not self._launch

    def finish(self) -> None:
        """After the run: a folder held but not published says NO-GO and why; then it is let go."""
        if self.folder.locked and not self.published:
            publish.void(self.folder, self.failure or (
                "the run ended before the gate judged it (interrupted, crashed, or no gate to judge)"))
        self.folder.discard()
        self.folder.release()


def void_stale(report_dir: Path, reason: str) -> None:
    """A run stopped before it began (a usage error) leaves no earlier verdict behind it never judged."""
    folder = ReportFolder(report_dir)
    if not folder.target.is_dir():
        return
    try:
        folder.lock(0.0)
    except FolderError:
        return  # another run holds the folder and writes its own report, or it is not a report folder
    try:
        publish.void(folder, reason)
    finally:
        folder.release()
