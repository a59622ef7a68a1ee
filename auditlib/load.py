"""Read an institution's data bundle into typed tables, quarantining bad rows.

Nothing is dropped silently: every row read is either loaded or quarantined with table, row,
column and reason, and counted (loaded + quarantined = rows read). Problems that make the bundle
unusable (a missing required table or column, an unreadable file) are all collected first and
raised together as one `DataContractError`, the way pandera's lazy validation reports every
failure case instead of stopping at the first.

Row numbers are spreadsheet rows: the header is row 1, the first data row is row 2 (for
Parquet, record i is row i + 2 too, so one convention serves every format).

Besides quarantine, rows that load but look wrong are reported as warnings (`action=kept`): a
reference to no row of the referenced table, a chronology error within a row (a complaint answered
before it was received), a date after the audit's `as_of`, a text cell a spreadsheet would read as
a formula, a text longer than a spreadsheet cell holds. Reasons never quote personal data.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .arrowops import codes_in, give_back_memory, isin_text
from .errors import AuditError
from .schema import TABLES, Column, Order, Table
from .tablecache import Cache
from .tablecache import default_dir as default_cache_dir

ROW = "_row"  # the spreadsheet row number every loaded table carries, for evidence
SUFFIXES = (".csv", ".parquet", ".xlsx")
TRUE = {"true", "1", "y", "yes", "t", "是"}
FALSE = {"false", "0", "n", "no", "f", "否"}
QUALITY_COLUMNS = ["table", "row", "column", "reason", "action"]
LOCAL_ZONE = "Asia/Shanghai"  # the contract's local time: typed instants with a zone are read in it
#: the datetime64[ns] range the tables use; dates beyond it (9999-12-31 as "open end") are clamped to it
MIN_DAY, MAX_DAY = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
#: a text cell starting with one of these is read as a formula by Excel/WPS (CSV injection), unless it is
#: just a signed number or phone number (`-5`, `+86 138 0000 0000`)
FORMULA_START = ("=", "+", "-", "@")
_PLAIN_SIGNED = re.compile(r"^[+-][\d\s.,()\-]*$")
CELL_LIMIT = 32767  # characters a spreadsheet cell holds (Excel, xlsxwriter)
SHOWN = 40  # characters of a bad cell quoted in its reason
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # what pandas' read_csv(dtype=str) gives: the raw cells


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
        """`table`, or `table.column` for an optional column added after v1 (absent when not provided)."""
        name, _, column = table.partition(".")
        return name in self.tables and (not column or column in self.tables[name].columns)

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
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise UnicodeError(
                'the file is UTF-16 (Excel\'s "Unicode text"); save it as CSV UTF-8 or give '
                "`encoding: utf-16` in params"
            )
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
    raise UnicodeError("neither UTF-8 nor GBK/GB18030; give `encoding` in params")


def find_table_files(data_dir: Path) -> tuple[dict[str, Path], list[str]]:
    files: dict[str, Path] = {}
    problems: list[str] = []
    for name in TABLES:
        found = [data_dir / f"{name}{s}" for s in SUFFIXES if (data_dir / f"{name}{s}").is_file()]
        if len(found) > 1:
            problems.append(
                f"{data_dir}: table {name} given twice ({', '.join(p.name for p in found)}); keep one"
            )
        elif found:
            files[name] = found[0]
    return files, problems


class UnclosedQuoteError(ValueError):
    """A quoted cell opened and never closed: the rest of the file would be read as that one cell."""


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The header as written (pandas renames a repeated name `x` to `x.1`, hiding the repetition)."""
    with open(path, encoding=encoding, newline="") as f:
        return next(csv.reader(f), [])


def _odd_quotes(path: Path) -> bool:
    """True if the file holds an odd number of `"` (no GBK/GB18030/UTF-8 multi-byte character contains 0x22)."""
    n = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            n += block.count(b'"')
    return n % 2 == 1


def _check_last_record(path: Path, df: pd.DataFrame) -> None:
    """An unmatched quote makes both parsers read the rest of the file into one cell of the last record,
    silently: refuse it, naming the row where the quote opened."""
    if df.empty:
        return
    last = df.iloc[-1].astype(str)
    if last.str.contains("\n", regex=False).any() and _odd_quotes(path):
        row = int(df.index[-1]) + 2
        raise UnclosedQuoteError(
            f'row {row}: a quoted cell is never closed (unmatched "), so the rest of the '
            f"file would be read as one cell; fix the quote and hand the file over again"
        )


def _read_csv_arrow(path: Path, encoding: str, header: list[str]) -> pd.DataFrame | None:
    """The common case, fast: every record has exactly the header's fields. pyarrow's reader parses in
    parallel, ~13x faster than pandas' (10^7 transactions, 1 GB: 1.5 s against 19 s); anything it refuses
    (a record with more or fewer fields, an unclosed quote, a cell over the block size) returns None and
    the file is read by pandas below, which handles those. Where both read a file they give the same
    cells (tests/test_load_arrow.py)."""
    names = [f"c{i}" for i in range(len(header))]
    enc = "utf8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig") else encoding
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                skip_rows=1, column_names=names, encoding=enc, block_size=1 << 24
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError, LookupError, UnicodeError):
        return None
    df = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    df.columns = header
    return df


def _checked(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    """The cells of a file read whole: refused if a quote never closed, blank records dropped."""
    _check_last_record(path, df)
    return _drop_empty(df)


def _read_utf8_quick(path: Path) -> tuple[pd.DataFrame, str] | None:
    """(cells, encoding) when pyarrow reads the whole file as UTF-8, else None (the caller then detects the
    encoding and reads the file the slow way). pyarrow checks every cell is valid UTF-8 and the header is
    decoded strictly, so a file read here is one `detect_encoding` would call UTF-8: the separate pass over
    the bytes in Python (~1 s per GB) is saved for the common file."""
    with open(path, "rb") as f:
        head = f.read(3)
    encoding = "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"
    try:
        header = _csv_header(path, encoding)
    except (UnicodeError, csv.Error):
        return None
    if not [h for h in header if h.strip().lstrip("\ufeff").strip()]:
        return None
    df = _read_csv_arrow(path, encoding, header)
    return None if df is None else (_checked(path, df), encoding)


def _read_csv(path: Path, encoding: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """All cells as text; malformed records (too many fields) are returned for quarantine."""
    header = _csv_header(path, encoding)
    if not [h for h in header if h.strip().lstrip("\ufeff").strip()]:
        raise ValueError("no header row (the first line is blank)")
    n = len(header)
    df = _read_csv_arrow(path, encoding, header)
    if df is not None:
        return _checked(path, df), []
    try:
        # Read without the header so that pandas never takes a first column for an index when records have more
        # fields than the header (a trailing comma on every line), and keep blank lines (dropped below) so
        # that every row keeps its spreadsheet number.
        df = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=encoding,
            header=None,
            skiprows=1,
            skip_blank_lines=False,
        )
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        # EmptyDataError: a header and nothing else, or a blank line right after the header (pandas then
        # reads no row at all, losing every record after it); the csv module below reads both right
        df = None
    if df is not None:
        bad: list[tuple[int, str]] = []
        if df.shape[1] > n:  # cells beyond the header: empty ones (trailing commas) are harmless
            extra = (df.iloc[:, n:] != "").to_numpy()
            over = extra.any(axis=1)
            fields = n + extra.shape[1] - np.argmax(extra[:, ::-1], axis=1)
            bad = [
                (int(i) + 2, f"{int(k)} fields where the header has {n}")
                for i, k in zip(df.index[over], fields[over], strict=True)
            ]
            df = df.loc[~over, df.columns[:n]]
        elif df.shape[1] < n:
            for i in range(df.shape[1], n):
                df[i] = ""
        df.columns = header
        return _checked(path, df), bad
    # Slow path only for malformed files: find the bad records with the csv module.
    csv.field_size_limit(
        max(csv.field_size_limit(), 2**31 - 1)
    )  # a 1 MB complaint text is a cell, not an error
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        good, bad = [], []
        for i, rec in enumerate(reader):
            filled = len(rec) - next((k for k, c in enumerate(reversed(rec)) if c != ""), len(rec))
            if filled > n:
                bad.append((i + 2, f"{filled} fields where the header has {n}"))
            else:
                good.append((i + 2, rec[:n] + [""] * (n - len(rec))))
    df = pd.DataFrame([r for _, r in good], columns=header, dtype=str)
    df.index = pd.Index([n - 2 for n, _ in good])
    return _checked(path, df), bad


def _drop_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Blank lines and records of empty cells only (`,,,`: Excel exports formatted empty rows so) are no rows."""
    if df.empty or not len(df.columns):
        return df
    cand = np.flatnonzero(
        (df.iloc[:, 0] == "").to_numpy(dtype=bool, na_value=False)
    )  # Arrow compares, no copy
    if not len(cand):
        return df
    empty = (df.iloc[cand] == "").all(axis=1).to_numpy()
    return df.drop(index=df.index[cand[empty]])


def read_raw(
    path: Path, encoding: str | None = None
) -> tuple[pd.DataFrame, list[tuple[int, str]], str | None]:
    """Read one file untyped. Returns (frame indexed by data-row number from 0, malformed rows, encoding)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if path.stat().st_size == 0:
            raise ValueError("the file is empty (not even a header row)")
        quick = _read_utf8_quick(path) if encoding is None else None
        if quick is not None:
            return quick[0], [], quick[1]
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


def _to_ns(values: pd.Series) -> pd.Series:
    """datetime64[ns], local time: a typed zone (Parquet) is converted to Asia/Shanghai and dropped; days
    outside the ns range (9999-12-31 for an open end, 0001-01-01 for unknown) are clamped to its ends."""
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None)
    if np.datetime_data(values.dtype)[0] != "ns":
        values = values.mask(values > MAX_DAY, MAX_DAY).mask(values < MIN_DAY, MIN_DAY)
    return values.astype("datetime64[ns]")


# given as text, not compiled, so that pandas hands it to pyarrow (RE2) instead of calling Python's `re` per
# cell (10^7 timestamps: 7.6 s -> 0.3 s); ASCII classes and no `\s`, which pandas would send back to `re`
_ZONE = r"[0-9]:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]*)?)?[ \t]*(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$"


def _datetimes_arrow(text: pd.Series) -> pd.Series | None:
    """pyarrow's cast when it reads every cell (`YYYY-MM-DD[ HH:MM[:SS[.f]]]` in the ns range): ~5x faster
    than pandas on 10^7 cells, and where it reads a cell it reads it as pandas does (tests/test_load_arrow.py).
    None when any cell is refused (`2020/01/05`, `9999-12-31`, a bad cell): pandas then reads the column."""
    try:
        values = pc.cast(pa.array(text.astype("string").array), pa.timestamp("ns"))
    except (pa.ArrowException, TypeError, ValueError):
        return None
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="datetime64[ns]")


def _datetimes(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(datetime64[ns] values, cells that carry a zone); unparsable cells are NaT."""
    zoned = text.str.contains(_ZONE).fillna(False)
    # ISO 8601 reads `2020` and `2020-01` as 2020-01-01: a day that was never written is refused
    short = (text.str.len() < 8).fillna(False)
    if short.any():
        text = text.mask(short)
    if not zoned.any():
        fast = _datetimes_arrow(text)
        if fast is not None:
            return fast, zoned
    try:
        values = pd.to_datetime(text.mask(zoned), format="ISO8601", errors="coerce")
    except (
        ValueError
    ):  # zoned cells the pattern missed (`2025-01-02+08:00`), mixed with plain ones: cell by cell
        parsed = [
            pd.to_datetime(v, format="ISO8601", errors="coerce") if isinstance(v, str) else pd.NaT
            for v in text.mask(zoned).astype(object)
        ]
        extra = pd.Series([p is not pd.NaT and p.tzinfo is not None for p in parsed], index=text.index)
        zoned = zoned | extra
        values = pd.Series(
            [pd.NaT if z else p for p, z in zip(parsed, extra, strict=True)],
            index=text.index,
            dtype="datetime64[us]",
        )
    if getattr(values.dt, "tz", None) is not None:  # every cell the pattern let through had a zone
        zoned = zoned | values.notna()
        values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    return _to_ns(values), zoned


_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _numbers(text: pd.Series) -> pd.Series:
    """float64, NaN where the cell is not a number. Plain decimal cells are cast by pyarrow, ~20x faster than
    `pd.to_numeric` (and correctly rounded); the few others (`1e400`, `abc`, `inf`) go to pandas."""
    plain = text.str.contains(_NUMBER).fillna(False).to_numpy(dtype=bool)
    arr = pa.array(text.array)
    values = pc.cast(pc.if_else(pa.array(plain), arr, pa.scalar(None, arr.type)), pa.float64())
    values = values.to_numpy(zero_copy_only=False)
    other = ~plain & text.notna().to_numpy(dtype=bool)
    if other.any():
        values[other] = pd.to_numeric(text[other], errors="coerce").astype("float64").to_numpy()
    return pd.Series(values, index=text.index, dtype="float64")


def vocabulary_dtype(col: Column) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(sorted(col.choices))


def _parse(col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series, str | pd.Series]:
    """Return (typed values, bad mask, reason) for one column; the reason is text, or a Series cell by cell."""
    kind = col.type
    if kind in ("date", "ts") and pd.api.types.is_datetime64_any_dtype(raw):
        values = _to_ns(raw)
        values = values.dt.normalize() if kind == "date" else values
        return values, pd.Series(False, index=raw.index), ""
    if kind == "str":
        values = _as_text(raw)
        if col.choices is not None:
            # one byte a row instead of the text (10^7 transactions: ~1.3 GB less): the vocabulary, sorted, is
            # the categories, so comparisons, membership and sorting read as on the text (tests/test_load_arrow.py);
            # the codes come from Arrow's lookup in the few allowed values, not from hashing every cell
            dtype = vocabulary_dtype(col)
            codes = codes_in(values.str.lower(), dtype.categories)
            bad = pd.Series(values.notna().to_numpy(dtype=bool) & (codes < 0), index=raw.index)
            values = pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=raw.index)
            return values, bad, "value not in the allowed list (" + ", ".join(col.choices) + ")"
        return values, pd.Series(False, index=raw.index), ""
    text = _as_text(raw)
    present = text.notna()
    if kind in ("date", "ts"):
        # a zone (`Z`, `+08:00`) is refused cell by cell: the contract says local time, and pandas cannot parse
        # zoned and plain cells together
        values, zoned = _datetimes(text)
        if kind == "date":
            bad = present & (values.isna() | (values != values.dt.normalize()))
            return values, bad, "not a date YYYY-MM-DD"
        unparsable = present & values.isna() & ~zoned
        if zoned.any():
            reason = np.where(
                zoned.to_numpy(), "timestamp has a time zone", "not a timestamp YYYY-MM-DD HH:MM[:SS]"
            )
            return values, unparsable | zoned, pd.Series(reason, index=raw.index, dtype=object)
        return values, unparsable, "not a timestamp YYYY-MM-DD HH:MM[:SS]"
    if kind == "bool":
        low = text.str.lower()
        values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        values[low.isin(TRUE).fillna(False).astype(bool)] = True
        values[low.isin(FALSE).fillna(False).astype(bool)] = False
        return values, present & values.isna(), "not a boolean (true/false, 1/0, Y/N, 是/否)"
    if kind in ("dec", "int"):
        values = _numbers(text.str.replace(",", "", regex=False))
        values = values.where(np.isfinite(values))  # `inf`, `1e400`: not an amount
        bad = present & values.isna()
        if kind == "int":
            frac = present & values.notna() & ((values != np.floor(values)) | (values.abs() > 2**53))
            return values.where(~frac).round().astype("Int64"), bad | frac, "not a whole number"
        return values, bad, "not a number"
    raise AssertionError(f"unknown column type {kind}")


def _quality_rows(table: str, rows: np.ndarray, column: str, reason: str, action: str) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame(
        {
            "table": [table] * n,
            "row": rows.astype("int64"),
            "column": [column] * n,
            "reason": [reason] * n,
            "action": [action] * n,
        }
    )


def _quoted(reason: str | pd.Series, cells: pd.Series) -> np.ndarray:
    """`reason: 'cell text'`, the text cut to SHOWN characters and on one line."""
    shown = (
        cells.str.slice(0, SHOWN).str.replace(r"[\r\n\t]", " ", regex=True).fillna("").to_numpy(dtype=object)
    )
    reason = reason.to_numpy(dtype=object) if isinstance(reason, pd.Series) else reason
    return reason + ": '" + shown + "'"


def _strictly_increasing(keyed: pd.DataFrame) -> bool:
    """True when a one-column text key is in strictly increasing order, so has no duplicates: extracts are
    usually ordered by their key, and this one Arrow comparison (~0.3 s for 2.6 * 10^7 ids) saves hashing
    every key (~12 s). False means only "hash to find out"."""
    if keyed.shape[1] != 1 or len(keyed) < 2 or not hasattr(keyed.iloc[:, 0].array, "_pa_array"):
        return False
    a = keyed.iloc[:, 0].array._pa_array
    increasing = pc.all(pc.greater(a.slice(1), a.slice(0, len(a) - 1))).as_py()
    return bool(increasing) and a.null_count == 0


DISTINCT_BY_DUCKDB = 200_000  # key rows from which DuckDB counts the distinct keys (tests set it lower)


def _keys_distinct(keyed: pd.DataFrame) -> bool:
    """True when the key columns certainly hold no duplicate, so the rows need not be hashed by pandas.

    Ordered keys need one comparison; big tables are counted by DuckDB (parallel, on the Arrow buffers:
    2.6 * 10^7 op_ids in ~2 s where pandas' `duplicated` takes ~10 s). False only means "let pandas look",
    which then also finds which rows repeat which."""
    if _strictly_increasing(keyed):
        return True
    if len(keyed) < DISTINCT_BY_DUCKDB or keyed.isna().to_numpy().any():
        return False
    import duckdb  # only here: importing it costs every small audit ~0.1 s

    keys = pa.Table.from_pandas(keyed, preserve_index=False)  # noqa: F841 - DuckDB reads it by name
    con = duckdb.connect()
    try:
        distinct = con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM keys)").fetchone()[0]
    finally:
        con.close()
    return distinct == len(keyed)


def type_table(table: Table, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Type every contract column; quarantine rows with a bad or missing required value or a duplicate key.

    Each raw column is dropped from `raw` as soon as it is typed (the caller's frame is emptied), and rows
    are filtered only when some are bad: at 10^7 rows the peak is the typed table and one raw column, not
    two or three copies of the table."""
    issues: list[pd.DataFrame] = []
    index = raw.index
    rows = index.to_numpy() + 2
    out = pd.DataFrame(index=index)
    out[ROW] = rows
    bad_any = np.zeros(len(index), dtype=bool)
    for col in table.columns:
        if col.name not in raw.columns:  # an optional column not given
            if col.since > 1:  # added after v1: left out, so the rules that need it know it was not provided
                continue
            out[col.name] = _parse(col, pd.Series([None] * len(index), index=index, dtype="string"))[0]
            continue
        cells = raw.pop(col.name)
        values, bad, reason = _parse(col, cells)
        bad = bad.to_numpy(dtype=bool)
        if bad.any():
            reason = reason[bad] if isinstance(reason, pd.Series) else reason
            df = _quality_rows(table.name, rows[bad], col.name, "", "quarantined")
            # quote the cell so the institution finds it; never personal data
            df["reason"] = (
                _quoted(reason, _as_text(cells[bad]))
                if not col.pii
                else np.broadcast_to(np.asarray(reason, dtype=object), (int(bad.sum()),))
            )
            issues.append(df)
        del cells
        missing = (values.isna().to_numpy() & ~bad) if col.required else np.zeros(len(index), dtype=bool)
        if missing.any():
            issues.append(
                _quality_rows(table.name, rows[missing], col.name, "required value missing", "quarantined")
            )
        bad_any |= bad | missing
        out[col.name] = values
    for extra in list(raw.columns):  # extra columns are kept (as text) and ignored by the rules
        if extra not in out.columns:
            out[extra] = raw.pop(extra)
    if table.primary_key:
        key = list(table.primary_key)
        good = np.flatnonzero(~bad_any)
        keyed = out[key] if len(good) == len(out) else out[key].iloc[good]
        dup = (
            np.zeros(len(keyed), dtype=bool)
            if _keys_distinct(keyed)
            else keyed.duplicated(key, keep="first").to_numpy()
        )
        if dup.any():
            first_pos = np.flatnonzero(~dup)
            first = pd.Series(
                rows[good[first_pos]],
                index=pd.MultiIndex.from_frame(keyed.iloc[first_pos])
                if len(key) > 1
                else keyed[key[0]].iloc[first_pos],
            )
            dups = keyed.iloc[np.flatnonzero(dup)]
            firsts = first.reindex(
                pd.MultiIndex.from_frame(dups) if len(key) > 1 else dups[key[0]]
            ).to_numpy()
            df = _quality_rows(table.name, rows[good[dup]], ",".join(key), "", "quarantined")
            df["reason"] = [f"duplicate primary key (first at row {int(r)})" for r in firsts]
            issues.append(df)
            bad_any[good[dup]] = True
    if bad_any.any():
        out = out[~bad_any]
    return out.reset_index(drop=True), issues


def _kept(
    table: Table, df: pd.DataFrame, mask: np.ndarray, column: str, reason: str, cells: pd.Series | None = None
) -> pd.DataFrame:
    out = _quality_rows(table.name, df[ROW].to_numpy()[mask], column, reason, "kept")
    if cells is not None and len(out) and not table.column(column).pii:
        out["reason"] = _quoted(reason, cells[mask].astype("string"))
    return out


def _text_warnings(table: Table, df: pd.DataFrame) -> list[pd.DataFrame]:
    """Free-text cells a spreadsheet would read as a formula (CSV injection) or could not hold whole."""
    issues = []
    for col in table.columns:
        if col.type != "str" or col.choices is not None or col.name not in df:
            continue
        s = df[col.name]
        if not len(s) or s.isna().all():
            continue
        formula = s.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
        if formula.any():
            idx = np.flatnonzero(formula)
            formula[idx[s.iloc[idx].str.match(_PLAIN_SIGNED).fillna(False).to_numpy(dtype=bool)]] = False
        if formula.any():
            issues.append(
                _kept(
                    table,
                    df,
                    formula,
                    col.name,
                    "text starts with = + - or @ (a spreadsheet may run it as a formula)",
                    s,
                )
            )
        long = (s.str.len() > CELL_LIMIT).fillna(False).to_numpy(dtype=bool)
        if long.any():
            issues.append(
                _kept(
                    table,
                    df,
                    long,
                    col.name,
                    f"text longer than {CELL_LIMIT} characters (a spreadsheet cell holds no more)",
                )
            )
    return issues


def _range_warnings(table: Table, df: pd.DataFrame) -> list[pd.DataFrame]:
    """Days outside what the tables can hold were clamped to its ends (see `_to_ns`): say so."""
    issues = []
    for col in table.columns:
        if col.type in ("date", "ts") and col.name in df:
            s = df[col.name]
            for end, word, example in ((MAX_DAY, "after", "9999-12-31"), (MIN_DAY, "before", "0001-01-01")):
                hit = (s == end).fillna(False).to_numpy(dtype=bool)
                if hit.any():
                    issues.append(
                        _kept(
                            table,
                            df,
                            hit,
                            col.name,
                            f"date {word} {end:%Y-%m-%d} (e.g. {example}): read as {end:%Y-%m-%d}",
                        )
                    )
    return issues


def table_warnings(table: Table, df: pd.DataFrame, as_of: pd.Timestamp | None = None) -> list[pd.DataFrame]:
    """Rows that load but look wrong: reported with `action=kept`, never removed."""
    issues = _text_warnings(table, df) + _range_warnings(table, df) + _order_warnings(table, df)
    if as_of is not None:
        issues += _future_warnings(table, df, as_of)
    return issues


def _fmt_time(s: pd.Series, kind: str) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S")


def _order_warnings(table: Table, df: pd.DataFrame) -> list[pd.DataFrame]:
    """Chronology within a row: `later` before `earlier` (by day when either column is a date)."""
    issues = []
    for o in table.order_checks:
        o = Order(*o)
        if o.earlier not in df or o.later not in df:
            continue
        a, b = df[o.earlier], df[o.later]
        kinds = (table.column(o.earlier).type, table.column(o.later).type)
        by_day = "date" in kinds or o.slack_days
        if by_day:
            a, b = a.dt.normalize(), b.dt.normalize()
        wrong = (b < a - pd.Timedelta(days=o.slack_days)).fillna(False).to_numpy(dtype=bool)
        if not wrong.any():
            continue
        shown = _fmt_time(df[o.earlier][wrong], kinds[0])
        head = f"more than {o.slack_days} days before" if o.slack_days else "before"
        out = _quality_rows(table.name, df[ROW].to_numpy()[wrong], o.later, "", "kept")
        out["reason"] = _quoted("", _fmt_time(df[o.later][wrong], kinds[1]))
        out["reason"] = (f"{head} {o.earlier} (" + shown + ")").to_numpy(dtype=object) + out["reason"]
        issues.append(out)
    return issues


def _future_warnings(table: Table, df: pd.DataFrame, as_of: pd.Timestamp) -> list[pd.DataFrame]:
    """Events dated after the day the audit looks from: a typo (2052 for 2025) or a test record."""
    issues = []
    limit = as_of.normalize() + pd.Timedelta(days=1)
    for name in table.not_after_as_of:
        if name not in df:
            continue
        after = ((df[name] >= limit) & (df[name] != MAX_DAY)).fillna(False).to_numpy(dtype=bool)
        if after.any():
            issues.append(
                _kept(
                    table,
                    df,
                    after,
                    name,
                    f"after as_of ({as_of:%Y-%m-%d})",
                    _fmt_time(df[name], table.column(name).type),
                )
            )
    return issues


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
            orphan = vals.notna().to_numpy(dtype=bool) & ~isin_text(vals, tables[ref_table][ref_col])
            if orphan.any():
                issues.append(
                    _quality_rows(
                        t.name,
                        tables[t.name][ROW].to_numpy()[orphan],
                        col.name,
                        f"refers to no row of {ref_table}",
                        "kept",
                    )
                )
    return issues


# ---------------------------------------------------------------- the bundle


def _read_problem(path: Path, name: str, e: Exception) -> str:
    what = str(e) if isinstance(e, ValueError | UnicodeError) else f"{type(e).__name__}: {e}"
    if isinstance(e, UnicodeDecodeError):
        what = f"not {e.encoding} at byte {e.start} ({e.reason}); check `encoding` in params"
    what = " ".join(what.split())[:300]
    return f"{path.name} (table {name}): cannot be read: {what}"


def _header_problems(path: Path, name: str, raw: pd.DataFrame) -> list[str]:
    """Normalize the header in place; return what makes the table unusable (missing or repeated columns)."""
    raw.columns = [str(c).strip().lstrip("\ufeff").strip().lower() for c in raw.columns]
    problems = []
    absent = [c for c in TABLES[name].required_columns if c not in raw.columns]
    for c in absent:
        problems.append(f"{path.name} (table {name}): required column {c} missing")
    if absent and len(raw.columns) == 1 and re.search(r"[;\t|]", raw.columns[0]):
        problems.append(
            f"{path.name} (table {name}): the header is one column '{raw.columns[0][:60]}': "
            f"the file must be comma-separated"
        )
    for c in sorted({c for c in raw.columns if list(raw.columns).count(c) > 1}):
        problems.append(f"{path.name} (table {name}): column {c} appears twice")
    return problems


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
    if not data_dir.is_dir():
        raise DataContractError([f"data folder not found: {data_dir}"])
    files, problems = find_table_files(data_dir)
    for t in TABLES.values():
        if t.required and t.name not in files:
            problems.append(
                f"{data_dir}: required table {t.name} missing (expected {t.name}.csv or {t.name}.parquet)"
            )
    # One table at a time: read, check its header, type it, drop its raw text. The peak is the typed tables
    # plus one raw table, not every file's text at once (~4 GB of CSV at 10^7 transactions). Once the bundle
    # has a contract problem the remaining files are only read for their own problems, never typed.
    # Largest file first: the peak is then the big tables plus the *smaller* raw tables read after them, not
    # every typed table plus the largest raw one (10^7 transactions: ~1.5 GiB less). Results keep the
    # contract's table order.
    tables: dict[str, pd.DataFrame] = {}
    infos: dict[str, FileInfo] = {}
    issues: list[pd.DataFrame] = []
    todo = [
        (n, p)
        for n, p in sorted(files.items(), key=lambda item: -item[1].stat().st_size)
        if only is None or n in only
    ]
    # the SHA-256 of every file (the manifest's, and the cache key) in a thread while the files are parsed:
    # hashlib releases the GIL, so the ~4 GB of a 10^7 extract are hashed on the other core
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditlib-sha256")
    shas = {n: hasher.submit(sha256_file, p) for n, p in todo}
    hasher.shutdown(wait=False)
    for name, path in todo:
        sha = shas[name]  # a future until needed
        if cache.folder is not None and not problems:
            sha = sha.result()
            cached = cache.get(name, sha, encoding)
        else:
            cached = None
        if cached is not None:
            typed, table_issues, n_read, enc = cached
            for col in TABLES[name].columns:  # Parquet keeps only the categories a column holds
                if col.choices is not None and col.name in typed:
                    typed[col.name] = typed[col.name].astype(vocabulary_dtype(col))
            table_issues = [table_issues] if len(table_issues) else []
        else:
            try:
                raw, malformed, enc = read_raw(path, encoding)
            except (MemoryError, RecursionError):
                raise
            except Exception as e:  # noqa: BLE001 - any unreadable file is one named problem of the bundle
                problems.append(_read_problem(path, name, e))
                continue
            problems.extend(_header_problems(path, name, raw))
            if problems:
                continue
            n_read = len(raw) + len(malformed)
            typed, table_issues = type_table(TABLES[name], raw)
            del raw
            for row, reason in malformed:
                table_issues.append(
                    _quality_rows(name, np.array([row]), "", "malformed record: " + reason, "quarantined")
                )
            sha = sha.result() if isinstance(sha, Future) else sha
            cache.put(
                name,
                sha,
                encoding,
                typed,
                pd.concat(table_issues, ignore_index=True) if table_issues else _no_quality(),
                n_read,
                enc,
            )
        issues.extend(table_issues)
        issues.extend(table_warnings(TABLES[name], typed, as_of))
        tables[name] = typed
        sha = sha.result() if isinstance(sha, Future) else sha
        infos[name] = FileInfo(
            name,
            path,
            path.suffix.lstrip(".").lower(),
            enc,
            sha,
            rows_read=n_read,
            rows_loaded=len(typed),
            rows_quarantined=n_read - len(typed),
        )
    if problems:
        for pending in shas.values():
            pending.cancel()
        raise DataContractError(sorted(problems, key=lambda p: _problem_order(p, files)))
    tables = {name: tables[name] for name in files if name in tables}
    infos = {name: infos[name] for name in files if name in infos}
    give_back_memory()  # the raw text of big files, freed
    issues.extend(_orphans(tables))
    quality = pd.concat(issues, ignore_index=True) if issues else _no_quality()
    quality = quality.astype({"row": "int64"}).sort_values(["table", "row", "column"], kind="stable")
    missing = [t.name for t in TABLES.values() if not t.required and t.name not in files]
    return Bundle(data_dir, tables, quality.reset_index(drop=True), infos, missing)


def _problem_order(problem: str, files: dict[str, Path]) -> int:
    """Problems are listed in the contract's table order, whatever order the files were read in."""
    for i, (name, path) in enumerate(files.items()):
        if problem.startswith(f"{path.name} (table {name})"):
            return i
    return -1  # the folder's own problems (a missing table, a table given twice) first, as found


def _no_quality() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series(dtype=object),
            "row": pd.Series(dtype="int64"),
            "column": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
            "action": pd.Series(dtype=object),
        }
    )
