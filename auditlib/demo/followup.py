"""A second period for one demo institution, so that `make demo` shows the whole remediation loop.

Period one is the demo year (2025, as_of 2026-01-31); the institution answers its findings
(`params/demo-a-responses.csv`, some rows good, some rejected) and the re-run with `previous_dir` half a year
later (period 2026-01-01 to 2026-06-30, as_of 2026-07-31: within the years the working-day calendar knows)
lists the promised actions now overdue. Its data is the institution's own tables one year on, as an extract
taken on that as_of would hold them: every date and timestamp moved 52 weeks later (weekdays kept); a row
whose first event is after as_of is left out; an event column (`Table.not_after_as_of`) holding a day after
as_of is emptied (it has not happened yet). Ids do not change, so state that persists (roles, staff,
customers) gives the same findings, with the same finding ids, as a year earlier. Cells that are no date
(planted bad values) are copied as they are. CSV tables only (demo-a has no other kind): the text is edited
cell by cell, so the institution's encoding, quoting and malformed records are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from ..load import detect_encoding
from ..schema import TABLES

#: the demo institution with a second period, and that period's as_of
NAME = "demo-a"
AS_OF = dt.date(2026, 7, 31)
FOLDER = f"{NAME}-next"
#: 52 weeks, not a calendar year: every day keeps its weekday, so what falls on a trading or working day
#: still does (only the moved holidays differ)
LATER = dt.timedelta(weeks=52)
_WHEN = re.compile(r"(\d{4})-(\d{2})-(\d{2})(.*)")


def later(value: str) -> str:
    """`value` 52 weeks later when it is a date or timestamp (its time part kept), else unchanged."""
    day = _day(value)
    return value if day is None else (day + LATER).isoformat() + value[10:]


def _day(value: str) -> dt.date | None:
    m = _WHEN.fullmatch(value)
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def shift_table(path: Path, out: Path, as_of: dt.date = AS_OF) -> int:
    """One CSV table a year later, as of `as_of`; returns the data rows written."""
    table = TABLES.get(path.stem)
    encoding = detect_encoding(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding=encoding), newline="")))
    header, body = rows[0], rows[1:]
    when = [c.name for c in table.columns if c.type in ("date", "ts")] if table else []
    cols = [header.index(c) for c in when if c in header]
    first = table.time_column if table and table.time_column in header else (when[0] if when else None)
    first_at = header.index(first) if first in header else None
    events = {header.index(c) for c in (table.not_after_as_of if table else ()) if c in header}
    kept = [header]
    for row in body:
        row = list(row)
        for i in cols:
            if i < len(row):
                row[i] = later(row[i])
        if first_at is not None and first_at < len(row):
            day = _day(row[first_at])
            if day is not None and day > as_of:
                continue
        for i in events:
            if i < len(row) and i != first_at and (_day(row[i]) or dt.date.min) > as_of:
                row[i] = ""
        kept.append(row)
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(kept)
    out.write_text(buf.getvalue(), encoding=encoding)
    return len(kept) - 1


def write_next_period(data_dir: str | Path) -> Path:
    """`<data_dir>/demo-a-next/`: demo-a's tables for the follow-up period (demo-a must be written first)."""
    src, dst = Path(data_dir) / NAME, Path(data_dir) / FOLDER
    if not src.is_dir():
        raise FileNotFoundError(f"{src}: write {NAME} first (auditlib demo --out {data_dir})")
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if path.name.startswith("_"):  # the answer key is period one's
            continue
        if path.suffix.lower() != ".csv":
            raise ValueError(f"{path}: the follow-up period is made from CSV tables only")
        shift_table(path, dst / path.name)
    return dst
