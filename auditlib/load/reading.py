"""Reading one table's file into untyped cells: discovery, encoding, and the CSV, Parquet and xlsx readers.

`read_raw` is the one entry point: every reader gives a frame of text cells indexed by data-row number
(from 0), the records it had to refuse (too many fields), and the encoding it read the file in.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from ..schema import TABLES
from .quality import Problem

SUFFIXES = (".csv", ".parquet", ".xlsx")
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # what pandas' read_csv(dtype=str) gives: the raw cells


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


def find_table_files(data_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The file of each contract table in `data_dir` (`<table>.csv|.parquet|.xlsx`), in the contract's
    order."""
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for name in TABLES:
        found = [data_dir / f"{name}{s}" for s in SUFFIXES if (data_dir / f"{name}{s}").is_file()]
        if len(found) > 1:
            given = ", ".join(p.name for p in found)
            problems.append(
                Problem(f"table {name} given twice ({given}); keep one", str(data_dir), table=name)
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
    """True if the file holds an odd number of `"` (no GBK/GB18030/UTF-8 multi-byte character contains
    0x22)."""
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


def arrow_csv_options(names: list[str], encoding: str, block_size: int) -> dict:
    """pyarrow's CSV options for a file read as text cells under the given column names (the header skipped):
    quoted newlines kept, blank lines kept (so rows keep their numbers), empty cells as empty text."""
    enc = "utf8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig") else encoding
    return {
        "read_options": pa_csv.ReadOptions(
            skip_rows=1, column_names=names, encoding=enc, block_size=block_size
        ),
        "parse_options": pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        "convert_options": pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def _read_csv_arrow(path: Path, encoding: str, header: list[str]) -> pd.DataFrame | None:
    """The common case, fast: every record has exactly the header's fields. pyarrow's reader parses in
    parallel, ~13x faster than pandas' (10^7 transactions, 1 GB: 1.5 s against 19 s); anything it refuses
    (a record with more or fewer fields, an unclosed quote, a cell over the block size) returns None and
    the file is read by pandas below, which handles those. Where both read a file they give the same
    cells (tests/test_load_arrow.py)."""
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pa_csv.read_csv(path, **arrow_csv_options(names, encoding, 1 << 24))
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
    """All cells as text; malformed records (too many fields) are returned for quarantine.

    Three readers, fastest first: pyarrow when every record has the header's fields, pandas when some
    records have more, the csv module when pandas refuses the file."""
    header = _csv_header(path, encoding)
    if not [h for h in header if h.strip().lstrip("\ufeff").strip()]:
        raise ValueError("no header row (the first line is blank)")
    df = _read_csv_arrow(path, encoding, header)
    if df is not None:
        return _checked(path, df), []
    read = _read_csv_pandas(path, encoding, header)
    if read is None:
        read = _read_csv_module(path, encoding, len(header))
    df, bad = read
    return _checked(path, df), bad


def _read_csv_pandas(
    path: Path, encoding: str, header: list[str]
) -> tuple[pd.DataFrame, list[tuple[int, str]]] | None:
    """pandas' reader, for records with more fields than the header; None when it refuses the file.

    Read without the header so that pandas never takes a first column for an index when records have more
    fields than the header (a trailing comma on every line), and keep blank lines (dropped later) so that
    every row keeps its spreadsheet number."""
    n = len(header)
    try:
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
        # reads no row at all, losing every record after it); the csv module reads both right
        return None
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
    return df, bad


def _read_csv_module(path: Path, encoding: str, n: int) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """The csv module, record by record: only for files the faster readers refuse."""
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
    df.index = pd.Index([row - 2 for row, _ in good])
    return df, bad


def _drop_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Blank lines and records of empty cells only (`,,,`: Excel exports formatted empty rows so) are no
    rows."""
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
