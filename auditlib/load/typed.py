"""Typing the cells of one table by its contract declaration; bad rows are quarantined with their reason.

Types: `str` (trimmed, empty is null; vocabulary columns become categoricals over the allowed values),
`date`/`ts` (local time, a cell with a zone refused), `bool`, `dec`, `int`. A required value missing, a
value that is not of its type and a repeated primary key quarantine the row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowops import codes_in
from ..schema import Column, Table
from .quality import ROW, quality_rows, quoted

TRUE = {"true", "1", "y", "yes", "t", "是"}
FALSE = {"false", "0", "n", "no", "f", "否"}
LOCAL_ZONE = "Asia/Shanghai"  # the contract's local time: typed instants with a zone are read in it
#: the datetime64[ns] range the tables use; dates beyond it (9999-12-31 as "open end") are clamped to it
MIN_DAY, MAX_DAY = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")


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
# cell (docs/performance.md); ASCII classes and no `\s`, which pandas would send back to `re`
_ZONE = r"[0-9]:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]*)?)?[ \t]*(?:[zZ]|[+-][0-9]{2}(?::?[0-9]{2})?)$"


def _datetimes_arrow(text: pd.Series) -> pd.Series | None:
    """pyarrow's cast when it reads every cell (`YYYY-MM-DD[ HH:MM[:SS[.f]]]` in the ns range): ~5x faster
    than pandas on 10^7 cells, and where it reads a cell it reads it as pandas does
    (tests/test_load_arrow.py). None when any cell is refused (`2020/01/05`, `9999-12-31`, a bad cell): pandas
    then reads the column."""
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
    """Return (typed values, bad mask, reason) for one column; the reason is text, or a Series cell by
    cell."""
    kind = col.type
    if kind in ("date", "ts") and pd.api.types.is_datetime64_any_dtype(raw):  # typed already (Parquet)
        values = _to_ns(raw)
        values = values.dt.normalize() if kind == "date" else values
        return values, pd.Series(False, index=raw.index), ""
    if kind == "str":
        return _parse_text(col, raw)
    text = _as_text(raw)
    if kind in ("date", "ts"):
        return _parse_time(kind, text)
    if kind == "bool":
        return _parse_bool(text)
    if kind in ("dec", "int"):
        return _parse_number(kind, text)
    raise AssertionError(f"unknown column type {kind}")


def _parse_text(col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    values = _as_text(raw)
    if col.choices is None:
        return values, pd.Series(False, index=raw.index), ""
    # one byte a row instead of the text: the vocabulary, sorted, is the categories, so comparisons,
    # membership and sorting read as on the text (tests/test_load_arrow.py); the codes come from Arrow's
    # lookup in the few allowed values, not from hashing every cell
    dtype = vocabulary_dtype(col)
    codes = codes_in(values.str.lower(), dtype.categories)
    bad = pd.Series(values.notna().to_numpy(dtype=bool) & (codes < 0), index=raw.index)
    values = pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=raw.index)
    return values, bad, "value not in the allowed list (" + ", ".join(col.choices) + ")"


def _parse_time(kind: str, text: pd.Series) -> tuple[pd.Series, pd.Series, str | pd.Series]:
    """A zone (`Z`, `+08:00`) is refused cell by cell: the contract says local time, and pandas cannot parse
    zoned and plain cells together."""
    present = text.notna()
    values, zoned = _datetimes(text)
    if kind == "date":
        bad = present & (values.isna() | (values != values.dt.normalize()))
        return values, bad, "not a date YYYY-MM-DD"
    unparsable = present & values.isna() & ~zoned
    if zoned.any():
        reason = np.where(
            zoned.to_numpy(), "timestamp has a time zone", "not a timestamp YYYY-MM-DD HH:MM[:SS]"
        )
        return values, unparsable | zoned, pd.Series(reason, index=text.index, dtype=object)
    return values, unparsable, "not a timestamp YYYY-MM-DD HH:MM[:SS]"


def _parse_bool(text: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    low = text.str.lower()
    values = pd.Series(pd.NA, index=text.index, dtype="boolean")
    values[low.isin(TRUE).fillna(False).astype(bool)] = True
    values[low.isin(FALSE).fillna(False).astype(bool)] = False
    return values, text.notna() & values.isna(), "not a boolean (true/false, 1/0, Y/N, 是/否)"


def _parse_number(kind: str, text: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    present = text.notna()
    values = _numbers(text.str.replace(",", "", regex=False))
    values = values.where(np.isfinite(values))  # `inf`, `1e400`: not an amount
    bad = present & values.isna()
    if kind == "int":
        frac = present & values.notna() & ((values != np.floor(values)) | (values.abs() > 2**53))
        return values.where(~frac).round().astype("Int64"), bad | frac, "not a whole number"
    return values, bad, "not a number"


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
    are filtered only when some are bad: the peak is the typed table and one raw column, not two or three
    copies of the table."""
    rows = raw.index.to_numpy() + 2
    out = pd.DataFrame(index=raw.index)
    out[ROW] = rows
    bad_any = np.zeros(len(rows), dtype=bool)
    issues: list[pd.DataFrame] = []
    for col in table.columns:
        if col.name not in raw.columns:  # an optional column not given
            if col.since > 1:  # added after v1: left out, so the rules that need it know it was not provided
                continue
            out[col.name] = _parse(col, pd.Series([None] * len(rows), index=raw.index, dtype="string"))[0]
            continue
        out[col.name], bad, col_issues = _type_column(table, col, raw.pop(col.name), rows)
        bad_any |= bad
        issues.extend(col_issues)
    for extra in list(raw.columns):  # extra columns are kept (as text) and ignored by the rules
        if extra not in out.columns:
            out[extra] = raw.pop(extra)
    if table.primary_key:
        issues.extend(_duplicate_keys(table, out, rows, bad_any))
    if bad_any.any():
        out = out[~bad_any]
    return out.reset_index(drop=True), issues


def _type_column(
    table: Table, col: Column, cells: pd.Series, rows: np.ndarray
) -> tuple[pd.Series, np.ndarray, list[pd.DataFrame]]:
    """(typed values, rows to quarantine, their quality rows) for one column."""
    issues = []
    values, bad, reason = _parse(col, cells)
    bad = bad.to_numpy(dtype=bool)
    if bad.any():
        reason = reason[bad] if isinstance(reason, pd.Series) else reason
        df = quality_rows(table.name, rows[bad], col.name, "", "quarantined")
        # quote the cell so the institution finds it; never personal data
        df["reason"] = (
            quoted(reason, _as_text(cells[bad]))
            if not col.pii
            else np.broadcast_to(np.asarray(reason, dtype=object), (int(bad.sum()),))
        )
        issues.append(df)
    missing = (values.isna().to_numpy() & ~bad) if col.required else np.zeros(len(rows), dtype=bool)
    if missing.any():
        issues.append(
            quality_rows(table.name, rows[missing], col.name, "required value missing", "quarantined")
        )
    return values, bad | missing, issues


def _duplicate_keys(
    table: Table, out: pd.DataFrame, rows: np.ndarray, bad_any: np.ndarray
) -> list[pd.DataFrame]:
    """Quarantine (mark in `bad_any`) every row repeating the primary key of an earlier good row."""
    key = list(table.primary_key)
    good = np.flatnonzero(~bad_any)
    keyed = out[key] if len(good) == len(out) else out[key].iloc[good]
    if _keys_distinct(keyed):
        return []
    dup = keyed.duplicated(key, keep="first").to_numpy()
    if not dup.any():
        return []
    first_pos = np.flatnonzero(~dup)
    index = pd.MultiIndex.from_frame if len(key) > 1 else (lambda frame: frame[key[0]])
    first = pd.Series(rows[good[first_pos]], index=index(keyed.iloc[first_pos]))
    firsts = first.reindex(index(keyed.iloc[np.flatnonzero(dup)])).to_numpy()
    df = quality_rows(table.name, rows[good[dup]], ",".join(key), "", "quarantined")
    df["reason"] = [f"duplicate primary key (first at row {int(r)})" for r in firsts]
    bad_any[good[dup]] = True
    return [df]
