"""Ed25519 keys for signing gate reports: generate, load, sign, name.

A private key never leaves :class:`Ed25519Signer`: it is not printed, logged, put in an
exception message or chained as an exception cause, and ``repr`` shows only its key id.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # cryptography is imported where a key is made, read or used: a run without one never loads it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class AttestError(Exception):
    """Signing or reading an attestation failed; the message never contains key material."""


class Signer(Protocol):
    """Anything that signs bytes and names its key (a file key, a KMS, a hardware token)."""

    @property
    def keyid(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def keyid_of(public_key: Ed25519PublicKey) -> str:
    """The key id: sha256 of the raw 32-byte public key, in hex (stable, public, short to compare)."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


class Ed25519Signer:
    """An Ed25519 private key that only signs; ``repr`` shows the key id, never the key."""

    __slots__ = ("_key", "_keyid")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self._keyid = keyid_of(key.public_key())

    @property
    def keyid(self) -> str:
        return self._keyid

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def __repr__(self) -> str:
        return f"Ed25519Signer(keyid={self._keyid[:16]}…)"


def generate_key() -> tuple[bytes, bytes]:
    """A new key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def load_signing_key(spec: str) -> Ed25519Signer:
    """Load the key named by ``CASTMATCH_SIGNING_KEY``: the PEM itself, or a path to a PEM file.

    Raises :class:`AttestError` saying what is wrong and how to fix it; the value itself is
    never echoed, since a mangled PEM pasted into a secret is still a secret.
    """
    text = spec.strip()
    if not text:
        raise AttestError(
            "CASTMATCH_SIGNING_KEY is empty — set it to an Ed25519 private key PEM "
            "or the path of one (create one with `castmatch-gate keygen --out PATH`)"
        )
    if "-----BEGIN" in text:
        # CI secret stores sometimes keep newlines as literal "\n".
        data = text.replace("\\n", "\n").encode("ascii", "replace")
        where = "CASTMATCH_SIGNING_KEY"
    else:
        path = Path(text).expanduser()
        if "\n" in text or len(text) > 4096 or not path.is_file():
            raise AttestError(
                "CASTMATCH_SIGNING_KEY is neither a PEM nor the path of a readable file "
                "(value not shown) — set it to the key PEM or to the key file's path"
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AttestError(f"{path}: cannot read the signing key ({exc.strerror}) — check its permissions") from None
        where = str(path)
    return Ed25519Signer(_private_key(data, where))


#: The environment variable that holds the signing key (a PEM, or the path of one).
KEY_ENV = "CASTMATCH_SIGNING_KEY"


def signer_from(
    key_file: Path | None, *, required: bool, environ: Mapping[str, str] | None = None
) -> Ed25519Signer | None:
    """The key of ``key_file``, else of ``CASTMATCH_SIGNING_KEY``; an empty variable is no key."""
    if key_file is not None:
        return load_signing_key(str(key_file))
    spec = (os.environ if environ is None else environ).get(KEY_ENV, "")
    if spec.strip():
        return load_signing_key(spec)
    if required:
        raise AttestError(f"no signing key — set ${KEY_ENV} or pass --key-file PATH")
    return None


def _private_key(data: bytes, where: str) -> Ed25519PrivateKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise AttestError(
            f"{where}: the key is encrypted — export it unencrypted into the secret store "
            "(the secret store is the protection)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise AttestError(
            f"{where}: not a readable private key PEM — create one with `castmatch-gate keygen --out PATH`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AttestError(f"{where}: the key is not Ed25519 — create one with `castmatch-gate keygen --out PATH`")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key PEM; :class:`AttestError` names the file and the fix."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise AttestError(f"{path}: cannot read the public key ({exc.strerror})") from None
    except (ValueError, UnsupportedAlgorithm):
        raise AttestError(
            f"{path}: not a public key PEM — use the .pub file written by `castmatch-gate keygen`"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise AttestError(f"{path}: the public key is not Ed25519")
    return key
