"""Typed tables cached as Parquet, so that the next audit of the same extract skips parsing its CSV.

An extract is audited more than once: a rerun after a fix, `--resume`, the report in the other language, the
next audit period on the same hand-over. At 10^7 transactions typing ~4 GB of CSV is most of the load time
(docs/performance.md); reading the typed columns back from Parquet is a fraction of it.

Opt-in, because the typed tables hold the institution's personal data (names, ID numbers, bank accounts):
a copy is written only where the operator says, `$AUDITLIB_CACHE_DIR` (or `auditlib run/batch --cache-dir`),
never silently next to the data or in a home folder. Remove the folder whenever the audit is closed.

Entry: `<table>-<sha256[:24]>-<encoding>-<fingerprint>.{typed,issues}.parquet` + `.json`. The key is the
file's SHA-256 (computed anyway for the manifest), the `encoding` override and a fingerprint of the loader's
code and of pandas, pyarrow and numpy: a changed file or loader reads the CSV again. Only what depends on
the file alone is cached (typed rows, quarantine rows, rows read, encoding); warnings that depend on the run
(`as_of`) and references between tables are computed on every run, so results never depend on the cache
(tests/test_tablecache.py). Entries are written atomically (audits of one extract may run at once); a
damaged or unreadable entry is ignored and rewritten; any write failure (read-only, disk full) just means
no cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
from importlib import metadata
from pathlib import Path

import pandas as pd

CACHE_ENV = "AUDITLIB_CACHE_DIR"


def _fingerprint() -> str:
    """Changes whenever the result of reading a file could change: the loader, the schema, this module and
    the libraries that parse and store."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    sources = sorted((here / "load").glob("*.py")) + [
        here / n for n in ("schema.py", "arrowops.py", "tablecache.py")
    ]
    for path in sources:
        h.update(path.read_bytes())
    for pkg in ("pandas", "pyarrow", "numpy"):
        try:
            h.update(f"{pkg}={metadata.version(pkg)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()[:12]


FINGERPRINT = _fingerprint()


def default_dir() -> Path | None:
    """`$AUDITLIB_CACHE_DIR`, or None: no cache unless asked for."""
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value) if value else None


class Cache:
    """The cache in one folder (None: a cache that holds nothing and writes nothing)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _stem(self, table: str, sha: str, encoding: str | None) -> Path:
        enc = re.sub(r"[^a-z0-9]+", "", (encoding or "auto").lower())
        return self.folder / f"{table}-{sha[:24]}-{enc}-{FINGERPRINT}"

    def get(self, table: str, sha: str, encoding: str | None):
        """(typed frame, quarantine rows, rows read, encoding read), or None."""
        if self.folder is None:
            return None
        stem = self._stem(table, sha, encoding)
        try:
            meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
            if meta.get("sha256") != sha:
                return None
            typed = pd.read_parquet(stem.with_suffix(".typed.parquet"))
            issues = pd.read_parquet(stem.with_suffix(".issues.parquet"))
        except (OSError, ValueError, KeyError):  # absent, partial, from another version: read the file
            return None
        except Exception:  # noqa: BLE001 - pyarrow's own errors on a damaged file: the same
            return None
        return typed, issues, int(meta["rows_read"]), meta["encoding"]

    def put(
        self,
        table: str,
        sha: str,
        encoding: str | None,
        typed: pd.DataFrame,
        issues: pd.DataFrame,
        rows_read: int,
        enc: str | None,
    ) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stem = self._stem(table, sha, encoding)
            tag = uuid.uuid4().hex[:8]
            for suffix, df in ((".typed.parquet", typed), (".issues.parquet", issues)):
                tmp = stem.with_name(f".{stem.name}{suffix}.{tag}")  # data first, the .json last: it makes
                df.to_parquet(tmp, index=False, compression="zstd")  # the entry valid
                tmp.replace(stem.with_suffix(suffix))
            meta = {
                "table": table,
                "sha256": sha,
                "rows_read": int(rows_read),
                "encoding": enc,
                "fingerprint": FINGERPRINT,
                "written": dt.datetime.now().isoformat(timespec="seconds"),
            }
            tmp = stem.with_name(f".{stem.name}.json.{tag}")
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            tmp.replace(stem.with_suffix(".json"))
        except Exception:  # noqa: BLE001 - read-only, disk full, an unwritable value: the cache is an
            return  # optimisation, never a failure of the audit
