"""SHA-256 of the bundle's files: the manifest's input hashes and the table cache's key.

The files are hashed in one background thread while they are parsed (hashlib releases the GIL, so a
large extract is hashed on the other core); `FileHashes.get` is the one place a hash is waited for.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class FileHashes:
    """The hashes of some files, computed in the background in the order given."""

    def __init__(self, files: dict[str, Path]):
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditlib-sha256")
        self._futures = {name: pool.submit(sha256_file, path) for name, path in files.items()}
        pool.shutdown(wait=False)

    def get(self, name: str) -> str:
        return self._futures[name].result()

    def cancel(self) -> None:
        """Stop hashing what has not started (the bundle is refused: no hash will be needed)."""
        for pending in self._futures.values():
            pending.cancel()
