"""The bundle: every contract table found in the data folder, loaded the way the data contract reads.

Per table: find its file, read the cells, check the header, type the columns (bad rows quarantined),
report what looks wrong (kept); then the references between tables. Problems that make the bundle
unusable are all collected first and raised together as one `DataContractError`, the way pandera's lazy
validation reports every failure case instead of stopping at the first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..arrowops import give_back_memory
from ..schema import TABLES
from ..tablecache import Cache
from ..tablecache import default_dir as default_cache_dir
from .checks import orphans, table_warnings
from .hashing import FileHashes
from .quality import DataContractError, Problem, no_quality, quality_rows
from .reading import find_table_files, read_raw
from .typed import type_table, vocabulary_dtype


@dataclass
class FileInfo:
    table: str
    path: Path
    format: str
    encoding: str | None
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass
class Bundle:
    data_dir: Path
    tables: dict[str, pd.DataFrame]
    quality: pd.DataFrame  # table, row, column, reason, action (quarantined | kept)
    files: dict[str, FileInfo]
    missing: list[str] = field(default_factory=list)  # optional tables not provided

    def has(self, table: str) -> bool:
        """`table`, or `table.column` for an optional column added after v1 (absent when not provided)."""
        name, _, column = table.partition(".")
        return name in self.tables and (not column or column in self.tables[name].columns)

    @property
    def quarantined(self) -> pd.DataFrame:
        return self.quality[self.quality["action"] == "quarantined"]

    @property
    def missing_columns(self) -> list[str]:
        """Optional columns added after v1 (`transactions.fee`...) that the given tables do not have (asked of
        `has`: a partitioned bundle knows its big tables' columns without reading them)."""
        return [
            f"{name}.{c.name}"
            for name in self.tables
            if name in TABLES
            for c in TABLES[name].columns
            if c.since > 1 and not self.has(f"{name}.{c.name}")
        ]


@dataclass
class _Loaded:
    """One table as loaded: typed rows, its quality rows, rows read and the encoding it was read in."""

    typed: pd.DataFrame
    issues: list[pd.DataFrame]
    rows_read: int
    encoding: str | None


def load_bundle(
    data_dir: str | Path,
    encoding: str | None = None,
    only: set[str] | None = None,
    as_of: dt.date | str | None = None,
    cache_dir: str | Path | None = None,
) -> Bundle:
    """Load every contract table found in `data_dir` (or only those in `only`).

    With `as_of` (the audit's params.as_of), dates after that day in columns recording past events are
    reported as warnings. `cache_dir` (default `$AUDITLIB_CACHE_DIR`, else none) keeps the typed tables as
    Parquet for the next audit of the same files (auditlib/tablecache.py)."""
    data_dir = Path(data_dir)
    as_of = pd.Timestamp(as_of) if as_of is not None else None
    cache = Cache(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    files, problems = _find_files(data_dir)
    todo = _reading_order(files, only)
    hashes = FileHashes(todo)
    tables, infos, issues = {}, {}, []
    for name, path in todo.items():
        loaded = _load_table(name, path, encoding, cache, hashes, problems)
        if loaded is None:
            continue
        issues.extend(loaded.issues)
        issues.extend(table_warnings(TABLES[name], loaded.typed, as_of))
        tables[name] = loaded.typed
        infos[name] = _file_info(name, path, loaded, hashes.get(name))
    if problems:
        hashes.cancel()
        raise DataContractError(problems)
    tables = {name: tables[name] for name in files if name in tables}  # the contract's order
    infos = {name: infos[name] for name in files if name in infos}
    give_back_memory()  # the raw text of big files, freed
    issues.extend(orphans(tables))
    quality = pd.concat(issues, ignore_index=True) if issues else no_quality()
    quality = quality.astype({"row": "int64"}).sort_values(["table", "row", "column"], kind="stable")
    missing = [t.name for t in TABLES.values() if not t.required and t.name not in files]
    return Bundle(data_dir, tables, quality.reset_index(drop=True), infos, missing)


def _find_files(data_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    if not data_dir.is_dir():
        raise DataContractError([Problem(f"data folder not found: {data_dir}")])
    files, problems = find_table_files(data_dir)
    for t in TABLES.values():
        if t.required and t.name not in files:
            expected = f"expected {t.name}.csv or {t.name}.parquet"
            problems.append(
                Problem(f"required table {t.name} missing ({expected})", str(data_dir), table=t.name)
            )
    return files, problems


def _reading_order(files: dict[str, Path], only: set[str] | None) -> dict[str, Path]:
    """Largest file first, one table at a time: the peak is then the big typed tables plus the *smaller* raw
    tables read after them, not every typed table plus the largest raw one."""
    chosen = [(n, p) for n, p in files.items() if only is None or n in only]
    return dict(sorted(chosen, key=lambda item: -item[1].stat().st_size))


def _load_table(
    name: str, path: Path, encoding: str | None, cache: Cache, hashes: FileHashes, problems: list[Problem]
) -> _Loaded | None:
    """The table from the cache, or read and typed; None when its file has a problem (added to `problems`).
    Once the bundle has a problem the remaining files are only read for their own problems, never typed."""
    if cache.folder is not None and not problems:
        cached = cache.get(name, hashes.get(name), encoding)
        if cached is not None:
            return _from_cache(name, *cached)
    try:
        raw, malformed, enc = read_raw(path, encoding)
    except (MemoryError, RecursionError):
        raise
    except Exception as e:  # noqa: BLE001 - any unreadable file is one named problem of the bundle
        problems.append(_read_problem(path, name, e))
        return None
    problems.extend(_header_problems(path, name, raw))
    if problems:
        return None
    n_read = len(raw) + len(malformed)
    typed, issues = type_table(TABLES[name], raw)
    del raw
    for row, reason in malformed:
        issues.append(quality_rows(name, np.array([row]), "", "malformed record: " + reason, "quarantined"))
    all_issues = pd.concat(issues, ignore_index=True) if issues else no_quality()
    cache.put(name, hashes.get(name), encoding, typed, all_issues, n_read, enc)
    return _Loaded(typed, issues, n_read, enc)


def _from_cache(
    name: str, typed: pd.DataFrame, issues: pd.DataFrame, n_read: int, enc: str | None
) -> _Loaded:
    for col in TABLES[name].columns:  # Parquet keeps only the categories a column holds
        if col.choices is not None and col.name in typed:
            typed[col.name] = typed[col.name].astype(vocabulary_dtype(col))
    return _Loaded(typed, [issues] if len(issues) else [], n_read, enc)


def _file_info(name: str, path: Path, loaded: _Loaded, sha: str) -> FileInfo:
    n_read, n_loaded = loaded.rows_read, len(loaded.typed)
    fmt = path.suffix.lstrip(".").lower()
    return FileInfo(name, path, fmt, loaded.encoding, sha, n_read, n_loaded, n_read - n_loaded)


def _read_problem(path: Path, name: str, e: Exception) -> Problem:
    what = str(e) if isinstance(e, ValueError | UnicodeError) else f"{type(e).__name__}: {e}"
    if isinstance(e, UnicodeDecodeError):
        what = f"not {e.encoding} at byte {e.start} ({e.reason}); check `encoding` in params"
    what = " ".join(what.split())[:300]
    return Problem(f"cannot be read: {what}", file=path.name, table=name)


def _header_problems(path: Path, name: str, raw: pd.DataFrame) -> list[Problem]:
    """Normalize the header in place; return what makes the table unusable (missing or repeated columns)."""
    raw.columns = [str(c).strip().lstrip("\ufeff").strip().lower() for c in raw.columns]
    problems = []
    absent = [c for c in TABLES[name].required_columns if c not in raw.columns]
    for c in absent:
        problems.append(Problem(f"required column {c} missing", file=path.name, table=name, column=c))
    if absent and len(raw.columns) == 1 and re.search(r"[;\t|]", raw.columns[0]):
        message = f"the header is one column '{raw.columns[0][:60]}': the file must be comma-separated"
        problems.append(Problem(message, file=path.name, table=name))
    for c in sorted({c for c in raw.columns if list(raw.columns).count(c) > 1}):
        problems.append(Problem(f"column {c} appears twice", file=path.name, table=name, column=c))
    return problems
