"""A drop-in `load_bundle` for big institutions: typed tables cached as Parquet, one table in memory at a time.

`auditlib.load.load_bundle` parses every CSV on every run: at 10^7 transactions ~4 GB of CSV, about two
CPU minutes of parsing and typing before the first rule runs (docs/performance.md).

This module returns the *same* Bundle (tables, quarantine and warnings, file infos; checked by
tests/test_batch_fastread.py against `load.load_bundle`), one table at a time like the loader, with one
change of method, not of result:

1. (adopted by load.py since: each table typed as soon as it is read, its raw text dropped)
2. the typed table and its quarantine rows are cached as Parquet, keyed by the file's SHA-256 (computed
   anyway for the manifest), the `encoding` override and a fingerprint of the loader's code and of pandas
   and pyarrow: the next run of the same file (a rerun, --resume, the next audit period on the same
   extract, another report language) reads typed columns instead of parsing CSV. Warnings that depend
   on the run (`as_of`) and references between tables are computed on every run, as in load.py.

The cache lives in `$AUDITLIB_CACHE_DIR` if set, else `<data_dir>/.auditlib-cache/` if the data folder is
writable, else nowhere (no cache, same results). `AUDITLIB_CACHE=off` disables it. Entries are written
atomically (several audits may share one data folder); a corrupt or unreadable entry is ignored and
rewritten. Removing the folder is always safe.

Hook (auditlib/notebook.py, `Audit.start`): call `fastread.load_bundle` instead of `load.load_bundle`, same
arguments. Or in load.py: make `load_bundle` delegate here (or adopt the per-table loop).
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

import numpy as np
import pandas as pd

from . import load as L
from .schema import TABLES

CACHE_DIRNAME = ".auditlib-cache"
CACHE_ENV = "AUDITLIB_CACHE_DIR"
SWITCH_ENV = "AUDITLIB_CACHE"  # "off" disables the cache


def _fingerprint() -> str:
    """Changes whenever the result of reading a file could change: the loader, the schema, this module,
    pandas, pyarrow."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("load.py", "schema.py", "fastread.py"):
        h.update((here / name).read_bytes())
    for pkg in ("pandas", "pyarrow", "numpy"):
        try:
            h.update(f"{pkg}={metadata.version(pkg)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()[:12]


FINGERPRINT = _fingerprint()


def cache_dir_for(data_dir: Path) -> Path | None:
    if os.environ.get(SWITCH_ENV, "").lower() in ("off", "0", "no", "false"):
        return None
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    if os.access(data_dir, os.W_OK):
        return data_dir / CACHE_DIRNAME
    return None


class Cache:
    """`<table>-<sha256[:24]>-<enc>-<fingerprint>.{typed,issues}.parquet` + `.json` (rows read, encoding)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _stem(self, table: str, sha: str, encoding: str | None) -> str:
        enc = re.sub(r"[^a-z0-9]+", "", (encoding or "auto").lower())
        return f"{table}-{sha[:24]}-{enc}-{FINGERPRINT}"

    def get(self, table: str, sha: str, encoding: str | None):
        if self.folder is None:
            return None
        stem = self.folder / self._stem(table, sha, encoding)
        try:
            meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
            if meta.get("sha256") != sha:
                return None
            typed = pd.read_parquet(stem.with_suffix(".typed.parquet"))
            issues = pd.read_parquet(stem.with_suffix(".issues.parquet"))
        except (OSError, ValueError, KeyError):  # absent, partial, from another version: read the file
            return None
        except Exception:  # noqa: BLE001 - pyarrow's own errors on a damaged file: same
            return None
        return typed, issues, meta["rows_read"], meta["encoding"]

    def put(self, table: str, sha: str, encoding: str | None, typed: pd.DataFrame, issues: pd.DataFrame,
            rows_read: int, enc: str | None) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stem = self.folder / self._stem(table, sha, encoding)
            tag = uuid.uuid4().hex[:8]
            parts = {".typed.parquet": typed, ".issues.parquet": issues}
            for suffix, df in parts.items():  # data first, the .json last: it makes the entry valid
                tmp = stem.with_name(f".{stem.name}{suffix}.{tag}")
                df.to_parquet(tmp, index=False, compression="zstd")
                tmp.replace(stem.with_suffix(suffix))
            meta = {"table": table, "sha256": sha, "rows_read": int(rows_read), "encoding": enc,
                    "fingerprint": FINGERPRINT, "written": dt.datetime.now().isoformat(timespec="seconds")}
            tmp = stem.with_name(f".{stem.name}.json.{tag}")
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            tmp.replace(stem.with_suffix(".json"))
            # older entries of the same table in this folder (another extract, another loader version)
            for old in self.folder.glob(f"{table}-*"):
                if not old.name.startswith(stem.name):
                    old.unlink(missing_ok=True)
        except OSError:  # read-only, disk full: the cache is an optimisation, never a failure
            return


def _issues_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({"table": pd.Series(dtype=object), "row": pd.Series(dtype="int64"),
                             "column": pd.Series(dtype=object), "reason": pd.Series(dtype=object),
                             "action": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True)


def load_bundle(data_dir: str | Path, encoding: str | None = None, only: set[str] | None = None,
                as_of: dt.date | str | None = None, cache_dir: Path | None | bool = True) -> L.Bundle:
    """`auditlib.load.load_bundle`, same arguments and result; `cache_dir`: True = the default place
    (see module doc), a path, or None/False for no cache."""
    data_dir = Path(data_dir)
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else None
    if not data_dir.is_dir():
        raise L.DataContractError([f"data folder not found: {data_dir}"])
    cache = Cache(cache_dir_for(data_dir) if cache_dir is True else (Path(cache_dir) if cache_dir else None))
    files, problems = L.find_table_files(data_dir)
    for t in TABLES.values():
        if t.required and t.name not in files:
            problems.append(f"{data_dir}: required table {t.name} missing (expected {t.name}.csv or {t.name}.parquet)")
    loaded: dict[str, tuple] = {}
    for name, path in files.items():
        if only is not None and name not in only:
            continue
        sha = L.sha256_file(path)
        hit = cache.get(name, sha, encoding)
        if hit is not None:
            loaded[name] = (path, sha, *hit)
            continue
        try:
            raw, malformed, enc = L.read_raw(path, encoding)
        except (MemoryError, RecursionError):
            raise
        except Exception as e:  # noqa: BLE001 - any unreadable file is one named problem of the bundle
            problems.append(L._read_problem(path, name, e))
            continue
        problems += L._header_problems(path, name, raw)
        if problems:  # the bundle cannot be audited: collect the other files' problems, type nothing more
            del raw
            continue
        typed, parts = L.type_table(TABLES[name], raw)
        for row, reason in malformed:
            parts.append(L._quality_rows(name, np.array([row]), "", "malformed record: " + reason, "quarantined"))
        n_read = len(raw) + len(malformed)
        del raw
        issues = _issues_frame(parts)
        cache.put(name, sha, encoding, typed, issues, n_read, enc)
        loaded[name] = (path, sha, typed, issues, n_read, enc)
    if problems:
        raise L.DataContractError(problems)

    tables: dict[str, pd.DataFrame] = {}
    infos: dict[str, L.FileInfo] = {}
    issues_all: list[pd.DataFrame] = []
    for name, (path, sha, typed, issues, n_read, enc) in loaded.items():
        if len(issues):
            issues_all.append(issues)
        issues_all.extend(L.table_warnings(TABLES[name], typed, as_of_ts))
        tables[name] = typed
        infos[name] = L.FileInfo(name, path, path.suffix.lstrip(".").lower(), enc, sha, rows_read=n_read,
                                 rows_loaded=len(typed), rows_quarantined=n_read - len(typed))
    issues_all.extend(L._orphans(tables))
    quality = (pd.concat(issues_all, ignore_index=True) if issues_all else pd.DataFrame(columns=L.QUALITY_COLUMNS))
    quality = quality.astype({"row": "int64"}).sort_values(["table", "row", "column"], kind="stable")
    missing = [t.name for t in TABLES.values() if not t.required and t.name not in files]
    return L.Bundle(data_dir, tables, quality.reset_index(drop=True), infos, missing)
