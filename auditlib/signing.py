"""Ed25519 keys and the signature over manifest.json (run contract v2, "Signed manifests").

The signature is over the exact bytes of manifest.json, which holds the SHA-256 of every output file: one
signature seals the whole output folder. The manifest records the signing key's public key and fingerprint,
so `verify` can check the seal without a key file; only `--pubkey` (the institution's or examiner's key,
obtained another way) proves who sealed it. All cryptography is `cryptography`'s; no network is needed.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import AuditError

KEY_ENV = "AUDITLIB_SIGNING_KEY"  # the private key file, when --sign-key is not given
FINGERPRINT_ENV = "AUDITLIB_KEY_FINGERPRINT"  # handed to the kernel, for the report's cover
PRIVATE, PUBLIC = "auditlib-signing.key", "auditlib-signing.pub"
SIGNATURE = "manifest.sig"


class KeyFileError(AuditError):
    """A key file that cannot be used (exit 2: like bad params, before anything runs)."""


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: Ed25519PublicKey) -> str:
    """`SHA256:` and the hex SHA-256 of the raw public key, in groups of four (for reading aloud)."""
    digest = hashlib.sha256(_raw(public)).hexdigest()
    return "SHA256:" + " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def public_record(public: Ed25519PublicKey) -> dict:
    """What the manifest records of the signing key."""
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(_raw(public)).decode(),
        "fingerprint": fingerprint(public),
    }


def keygen(folder: str | Path) -> tuple[Path, Path]:
    """A new key pair in `folder`: the private key readable by its owner only (0600), the public key to hand
    to whoever verifies. Never overwrites a key."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    private_path, public_path = folder / PRIVATE, folder / PUBLIC
    for p in (private_path, public_path):
        if p.exists():
            raise KeyFileError(f"{p} exists: a signing key is never overwritten (remove it, or choose --out)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(private_path, 0o600)  # whatever the umask
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as e:
        raise KeyFileError(f"signing key {path}: cannot be read: {e.strerror or e}") from None
    except (ValueError, TypeError) as e:
        raise KeyFileError(f"signing key {path}: not a private key in PEM ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"signing key {path}: not an Ed25519 key (`auditlib keygen` makes one)")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise KeyFileError(f"public key {path}: cannot be read: {e.strerror or e}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:  # a private key given by mistake still names its public key
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError):
            raise KeyFileError(f"public key {path}: not a key in PEM") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"public key {path}: not an Ed25519 key")
    return key


def signing_key(path: str | Path | None = None) -> Ed25519PrivateKey | None:
    """The key to sign with: `path` (--sign-key), else $AUDITLIB_SIGNING_KEY, else none (unsigned)."""
    path = path or os.environ.get(KEY_ENV)
    return load_private_key(path) if path else None


def sign(manifest: Path, key: Ed25519PrivateKey) -> Path:
    """`manifest.sig` beside the manifest: the base64 Ed25519 signature of its bytes."""
    sig = manifest.with_name(SIGNATURE)
    sig.write_text(base64.b64encode(key.sign(manifest.read_bytes())).decode() + "\n", encoding="ascii")
    return sig


def recorded_key(record: object) -> Ed25519PublicKey | None:
    """The public key a manifest records (`signing_key`), None when it records none or a malformed one."""
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(record["public_key"], validate=True))
    except (TypeError, KeyError, ValueError):
        return None


def signature_problem(manifest: Path, public: Ed25519PublicKey) -> str | None:
    """Why `manifest.sig` does not seal `manifest` under `public`, or None when it does. The file must be
    exactly what `sign` writes: base64 has slack (unused bits, whitespace) that would let a changed byte
    pass unseen."""
    path = manifest.with_name(SIGNATURE)
    try:
        text = path.read_bytes()
        sig = base64.b64decode(text.strip(), validate=True)
    except OSError as e:
        return f"{SIGNATURE}: cannot be read: {e.strerror or e}"
    except ValueError:
        return f"{SIGNATURE}: not a signature (malformed)"
    if len(sig) != 64 or text != base64.b64encode(sig) + b"\n":
        return f"{SIGNATURE}: not a signature (malformed)"
    try:
        public.verify(sig, manifest.read_bytes())
    except InvalidSignature:
        return (
            f"{SIGNATURE}: the signature does not match {manifest.name} "
            "(altered after signing, or signed by another key)"
        )
    return None
