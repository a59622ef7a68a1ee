"""Read an institution's data bundle into typed tables, quarantining bad rows.

Nothing is dropped silently: every row read is either loaded or quarantined with table, row,
column and reason, and counted (loaded + quarantined = rows read). Problems that make the bundle
unusable (a missing required table or column, an unreadable file) are all collected first and
raised together as one `DataContractError`, the way pandera's lazy validation reports every
failure case instead of stopping at the first.

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2 (for
Parquet, record i is row i + 2 too, so one convention serves every format).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import AuditError
from .schema import TABLES, Column, Table

ROW = "_row"  # the spreadsheet row number every loaded table carries, for evidence
SUFFIXES = (".csv", ".parquet", ".xlsx")
TRUE = {"true", "1", "y", "yes", "t", "是"}
FALSE = {"false", "0", "n", "no", "f", "否"}
QUALITY_COLUMNS = ["table", "row", "column", "reason", "action"]


class DataContractError(AuditError):
    """The bundle cannot be audited as handed over; `problems` lists every reason found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


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
        return table in self.tables

    @property
    def quarantined(self) -> pd.DataFrame:
        return self.quality[self.quality["action"] == "quarantined"]


# ---------------------------------------------------------------- files and encodings

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GB18030 (a superset of GBK).

    The whole file is checked, streaming, because a GBK export can be pure ASCII for
    thousands of rows before its first Chinese name.
    """
    with open(path, "rb") as f:
        head = f.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        f.seek(0)
        for enc in ("utf-8", "gb18030"):
            decoder = codecs.getincrementaldecoder(enc)()
            f.seek(0)
            try:
                for block in iter(lambda: f.read(1 << 22), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
                return enc
            except UnicodeDecodeError:
                continue
    raise UnicodeError(f"{path.name}: neither UTF-8 nor GBK/GB18030; give `encoding` in params")


def find_table_files(data_dir: Path) -> tuple[dict[str, Path], list[str]]:
    files: dict[str, Path] = {}
    problems: list[str] = []
    for name in TABLES:
        found = [data_dir / f"{name}{s}" for s in SUFFIXES if (data_dir / f"{name}{s}").is_file()]
        if len(found) > 1:
            problems.append(f"{data_dir}: table {name} given twice ({', '.join(p.name for p in found)}); keep one")
        elif found:
            files[name] = found[0]
    return files, problems


def _read_csv(path: Path, encoding: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """All cells as text; malformed records (too many fields) are returned for quarantine."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding=encoding)
        return df, []
    except pd.errors.ParserError:
        pass
    # Slow path only for malformed files: find the bad records with the csv module.
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        good, bad = [], []
        for i, rec in enumerate(reader):
            if len(rec) > len(header):
                bad.append((i + 2, f"{len(rec)} fields where the header has {len(header)}"))
            else:
                good.append((i + 2, rec + [""] * (len(header) - len(rec))))
    df = pd.DataFrame([r for _, r in good], columns=header, dtype=str)
    df.index = pd.Index([n - 2 for n, _ in good])
    return df, bad


def read_raw(path: Path, encoding: str | None = None) -> tuple[pd.DataFrame, list[tuple[int, str]], str | None]:
    """Read one file untyped. Returns (frame indexed by data-row number from 0, malformed rows, encoding)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if path.stat().st_size == 0:
            raise ValueError("the file is empty (not even a header row)")
        enc = encoding or detect_encoding(path)
        df, bad = _read_csv(path, enc)
        return df, bad, enc
    if suffix == ".parquet":
        return pd.read_parquet(path), [], None
    if suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
        if len(sheets) != 1:
            raise ValueError(f"an .xlsx table must have exactly one sheet, found {len(sheets)}")
        return next(iter(sheets.values())), [], None
    raise ValueError(f"unsupported file type {suffix}")


# ---------------------------------------------------------------- typing columns

def _as_text(s: pd.Series) -> pd.Series:
    """Trimmed text with empty cells as null; numbers from Parquet/Excel become their text."""
    if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
        s = s.astype("string")
    s = s.astype("string").str.strip()
    return s.mask(s == "")


def _parse(col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Return (typed values, bad mask, reason) for one column."""
    kind = col.type
    if kind in ("date", "ts") and pd.api.types.is_datetime64_any_dtype(raw):
        values = raw.astype("datetime64[ns]")
        values = values.dt.normalize() if kind == "date" else values
        return values, pd.Series(False, index=raw.index), ""
    if kind == "str":
        values = _as_text(raw)
        if col.choices is not None:
            values = values.str.lower()
            bad = values.notna() & ~values.isin(col.choices)
            return values, bad, "value not in the allowed list (" + ", ".join(col.choices) + ")"
        return values, pd.Series(False, index=raw.index), ""
    text = _as_text(raw)
    present = text.notna()
    if kind == "date":
        values = pd.to_datetime(text, format="ISO8601", errors="coerce")
        bad = present & (values.isna() | (values != values.dt.normalize()))
        return values.astype("datetime64[ns]"), bad, "not a date YYYY-MM-DD"
    if kind == "ts":
        values = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if getattr(values.dt, "tz", None) is not None:  # a zone was given: the contract says local time, no zone
            return values.dt.tz_localize(None).astype("datetime64[ns]"), present, "timestamp has a time zone"
        return values.astype("datetime64[ns]"), present & values.isna(), "not a timestamp YYYY-MM-DD HH:MM[:SS]"
    if kind == "bool":
        low = text.str.lower()
        values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        values[low.isin(TRUE).fillna(False).astype(bool)] = True
        values[low.isin(FALSE).fillna(False).astype(bool)] = False
        return values, present & values.isna(), "not a boolean (true/false, 1/0, Y/N, 是/否)"
    if kind in ("dec", "int"):
        values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").astype("float64")
        bad = present & values.isna()
        if kind == "int":
            frac = present & values.notna() & (values != np.floor(values))
            return values.round().astype("Int64").where(~frac), bad | frac, "not a whole number"
        return values, bad, "not a number"
    raise AssertionError(f"unknown column type {kind}")


def _quality_rows(table: str, rows: np.ndarray, column: str, reason: str, action: str) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame({
        "table": [table] * n, "row": rows.astype("int64"), "column": [column] * n,
        "reason": [reason] * n, "action": [action] * n,
    })


def type_table(table: Table, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Type every contract column; quarantine rows with a bad or missing required value or a duplicate key."""
    issues: list[pd.DataFrame] = []
    rows = raw.index.to_numpy() + 2
    out = pd.DataFrame(index=raw.index)
    out[ROW] = rows
    bad_any = np.zeros(len(raw), dtype=bool)
    for col in table.columns:
        if col.name not in raw.columns:  # an optional column not given
            out[col.name] = _parse(col, pd.Series([None] * len(raw), index=raw.index, dtype="string"))[0]
            continue
        values, bad, reason = _parse(col, raw[col.name])
        bad = bad.to_numpy(dtype=bool)
        if bad.any():
            shown = _as_text(raw[col.name])[bad].str.slice(0, 40).fillna("")
            reasons = (reason + ": '" + shown + "'").to_numpy()
            df = _quality_rows(table.name, rows[bad], col.name, "", "quarantined")
            df["reason"] = reasons
            issues.append(df)
        missing = (values.isna().to_numpy() & ~bad) if col.required else np.zeros(len(raw), dtype=bool)
        if missing.any():
            issues.append(_quality_rows(table.name, rows[missing], col.name, "required value missing", "quarantined"))
        bad_any |= bad | missing
        out[col.name] = values
    for extra in raw.columns:  # extra columns are kept (as text) and ignored by the rules
        if extra not in out.columns:
            out[extra] = raw[extra]
    if table.primary_key:
        keyed = out[~bad_any]
        dup = keyed.duplicated(list(table.primary_key), keep="first")
        if dup.any():
            first = keyed.drop_duplicates(list(table.primary_key)).set_index(list(table.primary_key))[ROW]
            dups = keyed[dup]
            firsts = first.reindex(pd.MultiIndex.from_frame(dups[list(table.primary_key)])
                                   if len(table.primary_key) > 1 else dups[table.primary_key[0]]).to_numpy()
            df = _quality_rows(table.name, dups[ROW].to_numpy(), ",".join(table.primary_key), "", "quarantined")
            df["reason"] = [f"duplicate primary key (first at row {int(r)})" for r in firsts]
            issues.append(df)
            bad_any[np.flatnonzero(~bad_any)[dup.to_numpy()]] = True
    return out[~bad_any].reset_index(drop=True), issues


def _orphans(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Rows whose reference points at no row of the referenced table: kept, but reported."""
    issues = []
    for t in TABLES.values():
        if t.name not in tables:
            continue
        for col in t.columns:
            if not col.references:
                continue
            ref_table, ref_col = col.references.split(".")
            if ref_table not in tables:
                continue
            vals = tables[t.name][col.name]
            orphan = (vals.notna() & ~vals.isin(tables[ref_table][ref_col])).to_numpy(dtype=bool)
            if orphan.any():
                issues.append(_quality_rows(t.name, tables[t.name][ROW].to_numpy()[orphan], col.name,
                                            f"refers to no row of {ref_table}", "kept"))
    return issues


# ---------------------------------------------------------------- the bundle

def load_bundle(data_dir: str | Path, encoding: str | None = None, only: set[str] | None = None) -> Bundle:
    """Load every contract table found in `data_dir` (or only those in `only`)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataContractError([f"data folder not found: {data_dir}"])
    files, problems = find_table_files(data_dir)
    for t in TABLES.values():
        if t.required and t.name not in files:
            problems.append(f"{data_dir}: required table {t.name} missing (expected {t.name}.csv or {t.name}.parquet)")
    raws: dict[str, tuple] = {}
    for name, path in files.items():
        if only is not None and name not in only:
            continue
        try:
            raw, malformed, enc = read_raw(path, encoding)
        except (ValueError, UnicodeError, OSError, pd.errors.ParserError) as e:
            problems.append(f"{path.name} (table {name}): cannot be read: {e}")
            continue
        raw.columns = [str(c).strip().lower() for c in raw.columns]
        absent = [c for c in TABLES[name].required_columns if c not in raw.columns]
        for c in absent:
            problems.append(f"{path.name} (table {name}): required column {c} missing")
        dupcols = sorted({c for c in raw.columns if list(raw.columns).count(c) > 1})
        for c in dupcols:
            problems.append(f"{path.name} (table {name}): column {c} appears twice")
        raws[name] = (path, raw, malformed, enc)
    if problems:
        raise DataContractError(problems)

    tables: dict[str, pd.DataFrame] = {}
    infos: dict[str, FileInfo] = {}
    issues: list[pd.DataFrame] = []
    for name, (path, raw, malformed, enc) in raws.items():
        typed, table_issues = type_table(TABLES[name], raw)
        for row, reason in malformed:
            table_issues.append(_quality_rows(name, np.array([row]), "", "malformed record: " + reason, "quarantined"))
        issues.extend(table_issues)
        n_read = len(raw) + len(malformed)
        tables[name] = typed
        infos[name] = FileInfo(name, path, path.suffix.lstrip(".").lower(), enc, sha256_file(path),
                               rows_read=n_read, rows_loaded=len(typed), rows_quarantined=n_read - len(typed))
    issues.extend(_orphans(tables))
    quality = (pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=QUALITY_COLUMNS))
    quality = quality.astype({"row": "int64"}).sort_values(["table", "row", "column"], kind="stable")
    missing = [t.name for t in TABLES.values() if not t.required and t.name not in files]
    return Bundle(data_dir, tables, quality.reset_index(drop=True), infos, missing)

