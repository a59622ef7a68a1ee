"""Checks on typed tables: rows that load but look wrong, reported with `action=kept`, never removed.

A text cell a spreadsheet would run as a formula or could not hold whole, a day clamped to the range the
tables hold, a chronology error within a row, an event dated after `as_of`, a reference to no row of the
referenced table. Reasons never quote personal data.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..arrowops import isin_text
from ..schema import TABLES, Order, Table
from .quality import ROW, quality_rows, quoted
from .typed import MAX_DAY, MIN_DAY

#: a text cell starting with one of these is read as a formula by Excel/WPS (CSV injection), unless it is
#: just a signed number or phone number (`-5`, `+86 138 0000 0000`)
FORMULA_START = ("=", "+", "-", "@")
_PLAIN_SIGNED = re.compile(r"^[+-][\d\s.,()\-]*$")
CELL_LIMIT = 32767  # characters a spreadsheet cell holds (Excel, xlsxwriter)


def _kept(
    table: Table, df: pd.DataFrame, mask: np.ndarray, column: str, reason: str, cells: pd.Series | None = None
) -> pd.DataFrame:
    out = quality_rows(table.name, df[ROW].to_numpy()[mask], column, reason, "kept")
    if cells is not None and len(out) and not table.column(column).pii:
        out["reason"] = quoted(reason, cells[mask].astype("string"))
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
        out = quality_rows(table.name, df[ROW].to_numpy()[wrong], o.later, "", "kept")
        out["reason"] = quoted("", _fmt_time(df[o.later][wrong], kinds[1]))
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


def orphans(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
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
                    quality_rows(
                        t.name,
                        tables[t.name][ROW].to_numpy()[orphan],
                        col.name,
                        f"refers to no row of {ref_table}",
                        "kept",
                    )
                )
    return issues
