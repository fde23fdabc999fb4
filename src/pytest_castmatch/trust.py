"""The trust policy: which public keys may sign a gate report for launch, and for which owners.

It lives in the repository, reviewed like code: ``baselines/signers/signers.toml`` names each
Ed25519 public key file beside it, marks the launch keys (the CI job's) and lists the owners a
key signs off for::

    [keys.ci]
    file = "ci.pub"
    launch = true

    [keys.dr-qa-lead]
    file = "design-review-qa.pub"
    owners = ["design-review-qa"]

Pure: no pytest import. A key that is not listed is trusted for nothing.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_castmatch.config import ConfigError, _parse_toml, _Table
from pytest_castmatch.keys import AttestError, keyid_of, load_public_key
from pytest_castmatch.record import Record, record

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

#: The file in the signers folder that maps keys to roles.
POLICY_FILE = "signers.toml"
#: Where a project keeps its trust policy, relative to where commands run.
DEFAULT_FOLDER = Path("baselines/signers")
#: Values of ``CI`` that mean "not in CI" (GitHub, GitLab and most others set CI=true).
_NOT_CI = frozenset({"", "0", "false", "no"})


class TrustError(ConfigError):
    """The trust policy cannot be read; the message names the file, the line and the fix."""


@record
class TrustedKey(Record):
    """One listed public key and what it may sign."""

    name: str
    keyid: str
    key: Ed25519PublicKey
    launch: bool
    owners: tuple[str, ...]
    file: str


@record
class TrustPolicy(Record):
    """The keys a verifier trusts; ``source`` says where they came from (for messages)."""

    keys: tuple[TrustedKey, ...] = ()
    source: str = "no trust policy"

    def by_keyid(self, keyid: str) -> TrustedKey | None:
        """The listed key with this key id, if any."""
        return next((k for k in self.keys if k.keyid == keyid), None)

    def named(self, name: str) -> TrustedKey | None:
        """The listed key with this name, if any."""
        return next((k for k in self.keys if k.name == name), None)

    def is_launch_key(self, keyid: str) -> bool:
        """True when ``keyid`` is listed with ``launch = true``."""
        key = self.by_keyid(keyid)
        return key is not None and key.launch

    def may_sign_off(self, keyid: str, owner: str) -> bool:
        """True when ``keyid`` is listed for ``owner``."""
        key = self.by_keyid(keyid)
        return key is not None and owner in key.owners

    def keys_for(self, owner: str) -> tuple[TrustedKey, ...]:
        """The keys listed for ``owner``."""
        return tuple(k for k in self.keys if owner in k.owners)

    def union(self, other: TrustPolicy) -> TrustPolicy:
        """Both policies' keys (a key listed in both keeps this policy's entry)."""
        known = {k.keyid for k in self.keys}
        extra = tuple(k for k in other.keys if k.keyid not in known)
        return TrustPolicy(self.keys + extra, f"{self.source} + {other.source}")


def launch_keys_of(keys: Mapping[str, Ed25519PublicKey], source: str = "keys given") -> TrustPolicy:
    """Trust each named key as a launch key that also speaks for the owner of the same name.

    This is what a verifier means by naming a key explicitly (``verify --key devops.pub``).
    """
    listed = tuple(
        TrustedKey(name, keyid_of(key), key, True, (name,), name) for name, key in sorted(keys.items())
    )
    return TrustPolicy(listed, source)


def from_key_files(paths: Iterable[Path]) -> TrustPolicy:
    """:func:`launch_keys_of` the public key files given, each named by its file name without ``.pub``."""
    files = list(paths)
    keys = {path.name.removesuffix(".pub"): load_public_key(path) for path in files}
    return launch_keys_of(keys, ", ".join(str(p) for p in files) or "keys given")


def load_trust(folder: Path, owners: Collection[str] | None = None) -> TrustPolicy:
    """Read ``folder/signers.toml`` and the keys it names.

    A missing folder (or one with neither ``signers.toml`` nor keys) trusts nothing. Public
    keys without ``signers.toml`` are an error: a key nobody assigned a role must not be
    guessed into one. With ``owners``, every owner a key signs for must be one of them.
    """
    path = folder / POLICY_FILE
    if not path.is_file():
        if folder.is_dir() and any(folder.glob("*.pub")):
            raise TrustError(
                f"{path}: missing — list each key in {folder} as [keys.<name>] with file = "
                "\"<name>.pub\" and launch = true (CI) or owners = [\"<team>\"] (sign-off)"
            )
        return TrustPolicy((), f"{path} (absent: no key is trusted)")
    text, data = _parse_toml(path)
    root = _Table(path, text, data, ())
    root.check_keys(["keys"])
    table = root.sub("keys")
    listed: list[TrustedKey] = []
    for name in table.data:
        entry = table.sub(name)
        entry.check_keys(["file", "launch", "owners"])
        file = entry.string("file")
        key_path = folder / file
        if Path(file).is_absolute() or os.sep in file or not key_path.is_file():
            raise entry.error("file", f"no key file {file!r} in {folder}", "name a .pub file in this folder")
        try:
            key = load_public_key(key_path)
        except AttestError as exc:
            raise entry.error("file", str(exc), "use the .pub file written by `castmatch-gate keygen`") from None
        teams = entry.strings("owners")
        for team in teams:
            if owners is not None and team not in owners:
                close = difflib.get_close_matches(team, list(owners), n=1)
                hint = f"did you mean {close[0]!r}?" if close else "use an owner from gates.toml"
                raise entry.error("owners", f"unknown owner {team!r}", hint)
        launch = entry.boolean("launch", False)
        if not launch and not teams:
            raise entry.error("launch", "the key signs for nothing", 'set launch = true or owners = ["<team>"]')
        trusted = TrustedKey(name, keyid_of(key), key, launch, teams, str(key_path))
        twin = next((k for k in listed if k.keyid == trusted.keyid), None)
        if twin is not None:
            raise entry.error("file", f"the same key as [keys.{twin.name}]", "list each key once")
        listed.append(trusted)
    return TrustPolicy(tuple(listed), str(path))


def trust_for(
    folder: Path | None, keys: Sequence[Path] = (), owners: Collection[str] | None = None
) -> TrustPolicy:
    """The trust policy a command was given: ``folder`` and public key files named explicitly; with
    neither, :data:`DEFAULT_FOLDER` when it exists."""
    if folder is None and not keys and DEFAULT_FOLDER.is_dir():
        folder = DEFAULT_FOLDER
    if folder is not None and not folder.is_dir():
        raise TrustError(f"{folder}: no such directory — pass --signers DIR holding {POLICY_FILE} and its keys")
    trust = load_trust(folder, owners) if folder is not None else TrustPolicy()
    return trust.union(from_key_files(keys)) if keys else trust


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """True when the ``CI`` environment variable is set (to anything but empty, 0, false or no)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in _NOT_CI


def untrusted_go(report: Mapping[str, object]) -> bool:
    """A full run that would be GO for launch but was signed by a key that is not a launch key."""
    verdict = report.get("verdict")
    scope = report.get("scope")
    signer = report.get("signer")
    if not isinstance(verdict, Mapping) or not isinstance(scope, Mapping) or not isinstance(signer, Mapping):
        return False
    return (
        verdict.get("decision") == "GO"
        and not verdict.get("launch")
        and bool(scope.get("full"))
        and bool(report.get("signed"))
        and not signer.get("launch_key")
    )
