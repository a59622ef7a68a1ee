"""Working-day and trading-day calendars for the time rules (CMP-*, REC-001).

Why this module exists: the complaint rules count *Chinese statutory working days*, which include
the weekend make-up days (调休) and exclude the long holiday breaks, and the reconciliation rule
needs *Shanghai Stock Exchange trading days*, which exclude those same make-up weekends.
``numpy.busday_*`` cannot represent a Saturday that is a working day, so both calendars are kept
as sorted arrays of member days and every query is a vectorized ``np.searchsorted``: 10^6
timestamps take tens of milliseconds, with no per-row Python.

Conventions (see docs/calendar.md):

* inputs are naive Asia/Shanghai wall time (tz-aware input is converted to Shanghai time first);
  numpy arrays, pandas Series/DatetimeIndex, lists and scalars are accepted; array input gives a
  numpy array of the same shape, scalar input gives a numpy scalar;
* "within N working days of T" ends at 23:59:59 of the N-th working day strictly after T's date;
* working time is [work_start, work_end) on working days, minus the lunch break;
* a year the calendar does not know raises :class:`CalendarRangeError` naming the year: never a
  silent guess.

Worked example (a general complaint received on the Friday before National Day 2025; Sunday
28 Sep is a make-up working day, 1-8 Oct are the holiday):

>>> cal = WorkCalendar()
>>> str(cal.workday_deadline("2025-09-26 10:00", 3))
'2025-09-30T23:59:59.000000000'
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd

__all__ = ["CalendarRangeError", "WorkCalendar", "TradingCalendar", "from_params"]

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_DAY = 86_400 * NS_PER_SECOND
#: "end of the day" is 23:59:59 exactly, as the rules say (not 23:59:59.999999999).
END_OF_DAY_NS = NS_PER_DAY - NS_PER_SECOND
SHANGHAI = "Asia/Shanghai"
_NAT = np.iinfo(np.int64).min
_EPOCH_DAY = _dt.date(1970, 1, 1)


# --------------------------------------------------------------------------------------------
# errors


def _format_years(years: Iterable[int]) -> str:
    """'2004-2026, 2030': consecutive runs compressed, so the message stays one line."""
    ys = sorted(set(years))
    if not ys:
        return "none"
    runs, start, prev = [], ys[0], ys[0]
    for y in ys[1:]:
        if y != prev + 1:
            runs.append((start, prev))
            start = y
        prev = y
    runs.append((start, prev))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


class CalendarRangeError(ValueError):
    """A date falls in a year the calendar does not know.

    Why a distinct error: a deadline computed from a guessed calendar would silently misjudge
    findings; the caller must add the year (``holiday_file``) or upgrade the calendar source.
    ``year`` is the (first) unknown year, ``known_years`` what the calendar knows.
    """

    def __init__(self, message: str, year: int | None = None, known_years: Iterable[int] = ()):
        super().__init__(message)
        self.year = year
        self.known_years = frozenset(known_years)


_KINDS = {
    "work": ("工作日历", "the working-day calendar", "Add a holiday_file for that year."),
    "trade": (
        "交易日历",
        "the trading-day calendar",
        "Upgrade exchange-calendars / chinese-calendar to a release that covers that year.",
    ),
}


def _range_error(year: int, known: Iterable[int], kind: str, detail: str = "") -> CalendarRangeError:
    zh, en, hint = _KINDS[kind]
    known = frozenset(known)
    msg = (
        f"{zh}不包含 {year} 年 ({en} does not know the year {year}; known: {_format_years(known)})."
        f"{' ' + detail if detail else ''} {hint}"
    )
    return CalendarRangeError(msg, year=int(year), known_years=known)


# --------------------------------------------------------------------------------------------
# input / output normalisation


def _to_ns(values) -> tuple[np.ndarray, tuple[int, ...]]:
    """Any date/time input -> (int64 ns of naive Shanghai wall time, flattened; original shape).

    NaT/None become the int64 minimum (numpy's NaT). Fast path: datetime64 arrays and Series are
    only re-united to ns, never parsed.
    """
    if isinstance(values, pd.Series | pd.Index):
        if not (isinstance(values.dtype, np.dtype) and values.dtype.kind == "M"):
            values = pd.to_datetime(values)  # strings, objects, tz-aware, Arrow timestamps
            if getattr(values.dtype, "tz", None) is not None or getattr(
                getattr(values.dtype, "pyarrow_dtype", None), "tz", None
            ):
                if isinstance(values, pd.Series):
                    values = values.dt.tz_convert(SHANGHAI).dt.tz_localize(None)
                else:
                    values = values.tz_convert(SHANGHAI).tz_localize(None)
        arr = values.to_numpy()
        if arr.dtype.kind != "M":
            arr = _parse_objects(np.asarray(arr, dtype=object))
    elif isinstance(values, np.ndarray | np.datetime64) and np.asarray(values).dtype.kind == "M":
        arr = np.asarray(values)
    else:
        arr = _parse_objects(np.asarray(values, dtype=object))
    if arr.dtype != np.dtype("datetime64[ns]"):
        # numpy wraps silently when a coarser unit does not fit in ns (e.g. a 9999-12-31 sentinel)
        bad = (arr < _NS_MIN) | (arr > _NS_MAX)  # NaT compares False
        if bad.any():
            year = int(arr.ravel()[np.argmax(bad.ravel())].astype("datetime64[Y]").astype(np.int64)) + 1970
            raise _OutsideNsRange(year)
        arr = arr.astype("datetime64[ns]")
    return np.ascontiguousarray(arr).view(np.int64).ravel(), arr.shape


_NS_MIN = np.datetime64("1678-01-01", "D")
_NS_MAX = np.datetime64("2262-01-01", "D")


class _OutsideNsRange(Exception):
    """A date nanosecond timestamps cannot hold; the calendars turn it into CalendarRangeError."""

    def __init__(self, year: int):
        super().__init__(year)
        self.year = year


def _parse_objects(obj: np.ndarray) -> np.ndarray:
    """Strings, date, datetime, Timestamp (possibly tz-aware) -> datetime64 array, same shape."""
    idx = pd.to_datetime(obj.ravel())
    if idx.tz is not None:
        idx = idx.tz_convert(SHANGHAI).tz_localize(None)
    return idx.to_numpy().reshape(obj.shape)


def _shape_out(flat: np.ndarray, shape: tuple[int, ...]):
    """Restore the input's shape; a scalar input gives a numpy scalar (np.datetime64, np.bool_...)."""
    if shape == ():
        return flat.reshape(())[()]
    return flat.reshape(shape)


def _ns_to_dt64(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]")


def _days_to_dt64(days: np.ndarray) -> np.ndarray:
    return days.view("datetime64[D]")


def _years_of_days(days: np.ndarray) -> np.ndarray:
    """Calendar year of int64 day numbers (days since 1970-01-01)."""
    return days.view("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _floor_days(ns: np.ndarray) -> np.ndarray:
    return np.floor_divide(ns, NS_PER_DAY)


def _day_number(d: _dt.date) -> int:
    return (d - _EPOCH_DAY).days


def _as_date(value) -> _dt.date:
    """One override date: date, datetime, Timestamp, np.datetime64 or an ISO 'YYYY-MM-DD' string."""
    if isinstance(value, str):
        return _dt.date.fromisoformat(value.strip()[:10])
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"not a date: {value!r}")
    return ts.date()


def _as_dates(values) -> list[_dt.date]:
    if values is None:
        return []
    if isinstance(values, str | _dt.date | np.datetime64 | pd.Timestamp):
        values = [values]  # a lone date, not an iterable of characters
    return [_as_date(v) for v in values]


def _parse_time_of_day(value, what: str) -> int:
    """'09:00', '9:00', '09:00:00', '24:00' or datetime.time -> ns after midnight."""
    if isinstance(value, _dt.time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * NS_PER_SECOND
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", str(value))
    if not m:
        raise ValueError(f"{what} must look like 'HH:MM', got {value!r}")
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if mi > 59 or s > 59 or h > 24 or (h == 24 and (mi or s)):
        raise ValueError(f"{what} is not a time of day: {value!r}")
    return ((h * 60 + mi) * 60 + s) * NS_PER_SECOND


def _format_time_of_day(ns: int) -> str:
    secs = ns // NS_PER_SECOND
    h, m, sec = secs // 3600, secs // 60 % 60, secs % 60
    return f"{h:02d}:{m:02d}" + (f":{sec:02d}" if sec else "")


def _as_counts(n, what: str) -> np.ndarray:
    """Non-negative integer counts (scalar or array); floats are accepted when integral."""
    arr = np.asarray(n)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{what} must be whole numbers, got {n!r}")
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"{what} must be an integer or an integer array, got {n!r}")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError(f"{what} must be >= 0, got {n!r}")
    return arr


def _broadcast(a: np.ndarray, a_shape, b: np.ndarray):
    """Broadcast a flat input (with its original shape) against a parameter array; flat results."""
    a2, b2 = np.broadcast_arrays(a.reshape(a_shape), b)
    return a2.ravel(), b2.ravel(), a2.shape


# --------------------------------------------------------------------------------------------
# the shared engine: a sorted set of member days over a set of known years


class _DaySet:
    """Sorted member days (int64 days since epoch) plus the years for which membership is known.

    Every query first checks that the years it touches are known, including any year it *crosses*
    (a deadline from a known year into an unknown one, or over a gap between known years).
    """

    def __init__(self, members: np.ndarray, known_years: Iterable[int], kind: str):
        self.kind = kind
        self.known_years = frozenset(int(y) for y in known_years)
        if not self.known_years:
            raise ValueError("a calendar needs at least one known year")
        self.y0, self.y1 = min(self.known_years), max(self.known_years)
        span = range(self.y0, self.y1 + 1)
        self._known = np.array([y in self.known_years for y in span], dtype=bool)
        # unknown years counted up to each year: a gap between two years shows as a difference
        self._cum_unknown = np.cumsum(~self._known)
        # first unknown year strictly after each year (for the message)
        nxt, after = [], self.y1 + 1
        for y in reversed(span):
            nxt.append(after)
            if y not in self.known_years:
                after = y
        self._next_unknown = np.array(nxt[::-1], dtype=np.int64)
        self.base = _day_number(_dt.date(self.y0, 1, 1))
        n_days = _day_number(_dt.date(self.y1, 12, 31)) - self.base + 1
        self.days = np.unique(np.asarray(members, dtype=np.int64))
        self.flags = np.zeros(n_days, dtype=bool)
        self.flags[self.days - self.base] = True

    def to_ns(self, values) -> tuple[np.ndarray, tuple[int, ...]]:
        try:
            return _to_ns(values)
        except _OutsideNsRange as exc:
            raise _range_error(exc.year, self.known_years, self.kind) from None

    # -- checks -------------------------------------------------------------------------------
    def check_known(self, days: np.ndarray, detail: str = "") -> np.ndarray:
        """Years of `days` (valid rows only); raises naming the first unknown year in input order."""
        years = _years_of_days(days)
        idx = years - self.y0
        inside = (idx >= 0) & (idx < self._known.size)
        bad = ~inside
        bad[inside] = ~self._known[idx[inside]]
        if bad.any():
            raise _range_error(int(years[np.argmax(bad)]), self.known_years, self.kind, detail)
        return years

    def check_span(self, y_from: np.ndarray, y_to: np.ndarray) -> None:
        """Both ends known (checked before); raise if an unknown year lies between them."""
        lo, hi = np.minimum(y_from, y_to), np.maximum(y_from, y_to)
        gap = self._cum_unknown[hi - self.y0] != self._cum_unknown[lo - self.y0]
        if gap.any():
            i = np.argmax(gap)
            raise _range_error(int(self._next_unknown[lo[i] - self.y0]), self.known_years, self.kind)

    def overflow(self, years: np.ndarray, mask: np.ndarray) -> None:
        """Rows whose answer lies past the last member day: name the next unknown year."""
        if mask.any():
            i = np.argmax(mask)
            raise _range_error(int(self._next_unknown[years[i] - self.y0]), self.known_years, self.kind)

    # -- queries ------------------------------------------------------------------------------
    def contains(self, days: np.ndarray) -> np.ndarray:
        self.check_known(days)
        return self.flags[days - self.base]

    def nth_after(self, days: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The n-th member strictly after each day (n == 0: the day itself)."""
        years = self.check_known(days)
        k = np.searchsorted(self.days, days, side="right") + n - 1
        self.overflow(years, (k >= self.days.size) & (n > 0))
        out = np.where(n > 0, self.days[np.minimum(k, self.days.size - 1)], days)
        self.check_span(years, _years_of_days(out))
        return out

    def between(self, start_day: int, end_day: int) -> np.ndarray:
        ys = self.check_known(np.array([start_day, end_day], dtype=np.int64))
        self.check_span(ys[:1], ys[1:])
        lo = np.searchsorted(self.days, start_day, side="left")
        hi = np.searchsorted(self.days, end_day, side="right")
        return self.days[lo:hi]


def _valid_apply(ns_or_days: np.ndarray, fn, fill) -> np.ndarray:
    """Apply fn to the non-NaT rows only; NaT rows get `fill`."""
    valid = ns_or_days != _NAT
    if valid.all():
        return fn(valid)
    out = np.full(ns_or_days.shape, fill, dtype=np.asarray(fill).dtype)
    if valid.any():
        out[valid] = fn(valid)
    return out


# --------------------------------------------------------------------------------------------
# statutory working days (chinese_calendar), built once per process


@functools.lru_cache(maxsize=1)
def _chinese_calendar_years() -> frozenset[int]:
    """The years chinese_calendar has data for (it raises NotImplementedError for the others)."""
    known = set()
    for y in range(1949, 2200):
        try:
            chinese_calendar.is_workday(_dt.date(y, 6, 1))
        except NotImplementedError:
            continue
        known.add(y)
    return frozenset(known)


@functools.lru_cache(maxsize=1)
def _statutory_flags() -> tuple[int, np.ndarray]:
    """(first day number, is_workday per day) over chinese_calendar's years, via its public API."""
    years = _chinese_calendar_years()
    first, last = _dt.date(min(years), 1, 1), _dt.date(max(years), 12, 31)
    n = (last - first).days + 1
    flags = np.fromiter(
        (chinese_calendar.is_workday(first + _dt.timedelta(i)) for i in range(n)), dtype=bool, count=n
    )
    flags.setflags(write=False)
    return _day_number(first), flags


def read_holiday_file(path) -> dict[_dt.date, bool]:
    """CSV `date,kind` (kind = holiday|workday) -> {date: is_working_day}. Extra columns ignored."""
    path = Path(path)
    out: dict[_dt.date, bool] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = (ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#"))
        reader = csv.DictReader(lines)
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        if "date" not in fields or "kind" not in fields:
            raise ValueError(f"{path}: holiday_file needs a header with columns date,kind; got {fields}")
        reader.fieldnames = fields
        for i, row in enumerate(reader, start=2):
            kind = (row.get("kind") or "").strip().lower()
            if kind not in ("holiday", "workday"):
                raise ValueError(f"{path}, row {i}: kind must be 'holiday' or 'workday', got {kind!r}")
            try:
                d = _dt.date.fromisoformat((row.get("date") or "").strip())
            except ValueError as exc:
                raise ValueError(f"{path}, row {i}: date must be YYYY-MM-DD: {exc}") from None
            is_work = kind == "workday"
            if out.get(d, is_work) != is_work:
                raise ValueError(f"{path}: {d} is listed both as holiday and as workday")
            out[d] = is_work
    if not out:
        raise ValueError(f"{path}: holiday_file lists no dates")
    return out


# --------------------------------------------------------------------------------------------
# WorkCalendar


def _nth_day_after(days: _DaySet, dates, n) -> np.ndarray:
    """The n-th member of `days` strictly after each date (NaT stays NaT): next workday and trading day
    alike."""
    ns, shape = days.to_ns(dates)
    counts = _as_counts(n, "n")
    ns, counts, shape = _broadcast(ns, shape, counts)
    out = _valid_apply(ns, lambda v: days.nth_after(_floor_days(ns[v]), counts[v]), np.int64(_NAT))
    return _shape_out(_days_to_dt64(out), shape)


class WorkCalendar:
    """Chinese statutory working days (weekdays minus holidays, plus 调休 make-up days) and hours.

    Sources, in increasing precedence: chinese_calendar; ``holiday_file`` (a CSV ``date,kind`` that
    also makes its years known, for years chinese_calendar has not published yet); then
    ``extra_holidays`` / ``extra_workdays`` (an institution's own closures or extra working days).

    Working time is [work_start, work_end) on each working day, minus ``lunch_break``.

    >>> cal = WorkCalendar()
    >>> bool(cal.is_workday("2025-09-28"))          # Sunday, make-up day for National Day
    True
    >>> str(cal.next_workday("2025-09-30"))         # 1-8 Oct is the holiday
    '2025-10-09'
    """

    known_years: frozenset[int]

    def __init__(
        self,
        extra_holidays=(),
        extra_workdays=(),
        holiday_file=None,
        work_start="09:00",
        work_end="17:00",
        lunch_break=None,
    ):
        cc_base, cc_flags = _statutory_flags()
        cc_years = _chinese_calendar_years()
        file_days = read_holiday_file(holiday_file) if holiday_file is not None else {}
        known = set(cc_years) | {d.year for d in file_days}

        y0, y1 = min(known), max(known)
        base = _day_number(_dt.date(y0, 1, 1))
        n_days = _day_number(_dt.date(y1, 12, 31)) - base + 1
        all_days = np.arange(base, base + n_days, dtype=np.int64)
        # plain weekdays first (1970-01-01 was a Thursday), then the statutory data over its years
        flags = ((all_days + 3) % 7) < 5
        lo = cc_base - base
        flags[lo : lo + cc_flags.size] = cc_flags
        for d, is_work in file_days.items():
            flags[_day_number(d) - base] = is_work

        holidays, workdays = _as_dates(extra_holidays), _as_dates(extra_workdays)
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise ValueError(f"dates listed both in extra_holidays and extra_workdays: {both}")
        for what, dates, value in (("extra_holidays", holidays, False), ("extra_workdays", workdays, True)):
            for d in dates:
                if d.year not in known:
                    raise _range_error(d.year, known, "work", f"{what} lists {d}.")
                flags[_day_number(d) - base] = value

        year_known = np.isin(_years_of_days(all_days), sorted(known))
        self._days = _DaySet(all_days[flags & year_known], known, "work")
        self.known_years = self._days.known_years

        ws = _parse_time_of_day(work_start, "work_start")
        we = _parse_time_of_day(work_end, "work_end")
        if not ws < we:
            raise ValueError(f"work_start {work_start!r} must be before work_end {work_end!r}")
        segments = [(ws, we)]
        #: working hours as "HH:MM[:SS]" strings, for reports
        self.work_start, self.work_end = _format_time_of_day(ws), _format_time_of_day(we)
        self.lunch_break = None
        if lunch_break is not None and len(lunch_break) > 0:
            if len(lunch_break) != 2:
                raise ValueError(f"lunch_break must be (start, end), got {lunch_break!r}")
            ls = _parse_time_of_day(lunch_break[0], "lunch_break start")
            le = _parse_time_of_day(lunch_break[1], "lunch_break end")
            if not (ws <= ls < le <= we):
                raise ValueError(f"lunch_break {lunch_break!r} must lie inside working hours, start < end")
            self.lunch_break = (_format_time_of_day(ls), _format_time_of_day(le))
            segments = [(s, e) for s, e in ((ws, ls), (le, we)) if e > s]
        self._build_segments(segments)

    def _build_segments(self, segments: list[tuple[int, int]]) -> None:
        """Working-time segments of every working day, and the working time elapsed before each.

        W(t) = working ns from the start of the calendar to t is then one searchsorted away, and
        its inverse (a working-time deadline) is a searchsorted on the cumulative ends.
        """
        day_ns = self._days.days * NS_PER_DAY
        starts = np.stack([day_ns + s for s, _ in segments], axis=1).ravel()
        lengths = np.tile(np.array([e - s for s, e in segments], dtype=np.int64), day_ns.size)
        self._seg_start = starts
        self._seg_len = lengths
        self._cum_end = np.cumsum(lengths)
        self._cum_before = self._cum_end - lengths

    # -- working days -------------------------------------------------------------------------
    def is_workday(self, dates):
        """True for working days (make-up weekends included); NaT -> False. Time of day is ignored.

        >>> WorkCalendar().is_workday(["2025-01-26", "2025-01-28", "2025-02-08"]).tolist()
        [True, False, True]
        """
        ns, shape = self._days.to_ns(dates)
        out = _valid_apply(ns, lambda v: self._days.contains(_floor_days(ns[v])), False)
        return _shape_out(out, shape)

    def next_workday(self, dates, n=1):
        """The n-th working day strictly after each date's calendar date (n=0: the date itself).

        Spring Festival 2025 (holiday 28 Jan-4 Feb, make-up Sun 26 Jan and Sat 8 Feb):

        >>> WorkCalendar().next_workday(["2025-01-24", "2025-01-27", "2025-02-07"]).astype(str).tolist()
        ['2025-01-26', '2025-02-05', '2025-02-08']
        """
        return _nth_day_after(self._days, dates, n)

    def workday_deadline(self, ts, n):
        """End (23:59:59) of the N-th working day strictly after the calendar date of ``ts``.

        This is the rules' "within N working days of T": the receiving day itself never counts,
        whatever the hour, and a weekend or holiday receipt counts from the next working day.
        n=0 gives the end of T's own date. NaT -> NaT. Inclusive: done at the deadline is on time.

        >>> cal = WorkCalendar()
        >>> str(cal.workday_deadline("2025-09-26 10:00", 3))   # 09-28 (Sun, make-up), 09-29, 09-30
        '2025-09-30T23:59:59.000000000'
        >>> str(cal.workday_deadline("2025-10-09 08:00", 1))   # Fri 10-10, then Sat 10-11 make-up
        '2025-10-10T23:59:59.000000000'
        >>> str(cal.workday_deadline("2025-10-09 08:00", 2))
        '2025-10-11T23:59:59.000000000'
        """
        ns, shape = self._days.to_ns(ts)
        counts = _as_counts(n, "n")
        ns, counts, shape = _broadcast(ns, shape, counts)

        def run(v):
            return self._days.nth_after(_floor_days(ns[v]), counts[v]) * NS_PER_DAY + END_OF_DAY_NS

        out = _valid_apply(ns, run, np.int64(_NAT))
        return _shape_out(_ns_to_dt64(out), shape)

    # -- working time -------------------------------------------------------------------------
    def _elapsed(self, t: np.ndarray) -> np.ndarray:
        """W(t): working ns from the calendar's start up to t (flat between working segments)."""
        i = np.searchsorted(self._seg_start, t, side="right") - 1
        ic = np.maximum(i, 0)
        w = self._cum_before[ic] + np.minimum(t - self._seg_start[ic], self._seg_len[ic])
        return np.where(i < 0, 0, w)

    def working_time_deadline(self, ts, minutes):
        """The instant at which ``minutes`` working minutes have elapsed since ``ts``.

        Counting starts at ts, or at the next start of working time if ts is outside it (before
        work_start, at/after work_end, in the lunch break, on a non-working day). minutes=0 gives
        ts itself when inside working time, else that next start. When the count ends exactly at
        the end of a working segment the deadline is that end (17:00), not the next morning.
        NaT or NaN minutes -> NaT.

        >>> cal = WorkCalendar(lunch_break=("12:00", "13:00"))
        >>> str(cal.working_time_deadline("2025-09-26 16:50", 30))   # Fri -> make-up Sun
        '2025-09-28T09:20:00.000000000'
        >>> str(cal.working_time_deadline("2025-09-26 11:45", 30))   # across lunch
        '2025-09-26T13:15:00.000000000'
        """
        ns, shape = self._days.to_ns(ts)
        m = np.asarray(minutes, dtype=np.float64)
        if np.any(m < 0):
            raise ValueError(f"minutes must be >= 0, got {minutes!r}")
        ns, m, shape = _broadcast(ns, shape, m)
        nan_m = np.isnan(m)
        if nan_m.any():
            ns = np.where(nan_m, _NAT, ns)
        m_ns = np.round(np.where(nan_m, 0, m) * NS_PER_MINUTE).astype(np.int64)

        def run(v):
            t, add = ns[v], m_ns[v]
            years = self._days.check_known(_floor_days(t))
            target = self._elapsed(t) + add
            # add == 0: first segment ending strictly after target (ts itself or the next start);
            # add > 0: first segment ending at or after target (the earliest instant reaching it)
            j = np.searchsorted(self._cum_end, target + (add == 0), side="left")
            self._days.overflow(years, j >= self._cum_end.size)
            out = self._seg_start[j] + (target - self._cum_before[j])
            self._days.check_span(years, _years_of_days(_floor_days(out)))
            return out

        out = _valid_apply(ns, run, np.int64(_NAT))
        return _shape_out(_ns_to_dt64(out), shape)

    def working_minutes_between(self, start, end):
        """Working minutes elapsed between start and end (float). NaT on either side -> nan.

        Signed: end before start gives a negative number (minus the working minutes from end to
        start), so a data error such as an action recorded before receipt stays visible.

        >>> cal = WorkCalendar(lunch_break=("12:00", "13:00"))
        >>> float(cal.working_minutes_between("2025-09-26 16:00", "2025-09-28 10:00"))
        120.0
        """
        s, s_shape = self._days.to_ns(start)
        e, e_shape = self._days.to_ns(end)
        s2, e2 = np.broadcast_arrays(s.reshape(s_shape), e.reshape(e_shape))
        shape = s2.shape
        s, e = s2.ravel(), e2.ravel()
        both = np.where((s == _NAT) | (e == _NAT), _NAT, s)

        def run(v):
            sv, ev = s[v], e[v]
            ys = self._days.check_known(_floor_days(sv))
            ye = self._days.check_known(_floor_days(ev))
            self._days.check_span(ys, ye)
            return (self._elapsed(ev) - self._elapsed(sv)) / NS_PER_MINUTE

        out = _valid_apply(both, run, np.float64(np.nan))
        return _shape_out(out, shape)


# --------------------------------------------------------------------------------------------
# TradingCalendar

#: exchange_calendars' XSHG list claims to cover 1999 onwards (its docstring).
_XSHG_FIRST_YEAR = 1999


@functools.lru_cache(maxsize=1)
def _xshg_sessions() -> tuple[frozenset[int], np.ndarray]:
    """(years exchange_calendars' hard-coded XSHG holiday list covers, session day numbers)."""
    import exchange_calendars as xcals  # imported lazily: ~0.3 s, only trading-day rules need it
    from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

    with warnings.catch_warnings():
        # exchange_calendars 4.13 reads tz-aware Series.values, deprecated in pandas 3.1: not ours to fix
        warnings.filterwarnings("ignore", message=r"Series\.values returning an ndarray")
        try:
            bound = pd.Timestamp(XSHGExchangeCalendar.bound_max())
        except AttributeError:  # older exchange_calendars: take the default last session
            bound = pd.Timestamp(xcals.get_calendar("XSHG").last_session)
        last_year = bound.year if (bound.month, bound.day) == (12, 31) else bound.year - 1
        cal = xcals.get_calendar("XSHG", start=f"{_XSHG_FIRST_YEAR}-01-01", end=f"{last_year}-12-31")
    sessions = cal.sessions.to_numpy().astype("datetime64[D]").astype(np.int64)
    return frozenset(range(_XSHG_FIRST_YEAR, last_year + 1)), sessions


def _statutory_trading_days(years: Iterable[int]) -> np.ndarray:
    """Fallback derivation: weekdays that are not statutory holidays (chinese_calendar.is_holiday).

    Make-up weekends are excluded because they are weekends; long-break weekdays because
    is_holiday covers them. Misses exchange-only closures (e.g. 2024-02-09, 除夕).
    """
    base, flags = _statutory_flags()
    days = np.arange(base, base + flags.size, dtype=np.int64)
    weekday = ((days + 3) % 7) < 5
    in_years = np.isin(_years_of_days(days), sorted(years))
    return days[weekday & flags & in_years]


class TradingCalendar:
    """Shanghai Stock Exchange trading days (sessions).

    Not the working-day calendar: the exchange stays closed on 调休 make-up weekends, and may
    close on days that are statutory working days (e.g. Fri 2024-02-09, Lunar New Year's Eve).
    Source: exchange_calendars "XSHG" for the years its hard-coded list covers; for a year only
    chinese_calendar knows, trading day = weekday that is not a statutory holiday. ``extra_closed``
    removes further days.

    >>> tc = TradingCalendar()
    >>> tc.is_trading_day(["2025-01-26", "2025-02-05", "2025-02-08"]).tolist()   # make-up days closed
    [False, True, False]
    """

    known_years: frozenset[int]

    def __init__(self, extra_closed=()):
        x_years, x_sessions = _xshg_sessions()
        cc_only = _chinese_calendar_years() - x_years
        known = set(x_years) | set(cc_only)
        members = np.concatenate([x_sessions, _statutory_trading_days(cc_only)])
        closed = _as_dates(extra_closed)
        for d in closed:
            if d.year not in known:
                raise _range_error(d.year, known, "trade", f"extra_closed lists {d}.")
        if closed:
            members = np.setdiff1d(members, np.array([_day_number(d) for d in closed], dtype=np.int64))
        self._days = _DaySet(members, known, "trade")
        self.known_years = self._days.known_years
        self.sources = {"exchange_calendars": frozenset(x_years), "chinese_calendar": frozenset(cc_only)}

    def is_trading_day(self, dates):
        """True on exchange sessions; NaT -> False; unknown year -> CalendarRangeError."""
        ns, shape = self._days.to_ns(dates)
        out = _valid_apply(ns, lambda v: self._days.contains(_floor_days(ns[v])), False)
        return _shape_out(out, shape)

    def next_trading_day(self, dates, n=1):
        """The n-th trading day strictly after each date (n=0: the date itself).

        >>> str(TradingCalendar().next_trading_day("2025-01-27"))   # closed 28 Jan-4 Feb and Sat 8 Feb
        '2025-02-05'
        """
        return _nth_day_after(self._days, dates, n)

    def trading_days(self, start, end):
        """All trading days in [start, end] (calendar dates, both inclusive), as datetime64[D]."""
        (s,), _ = self._days.to_ns(start)
        (e,), _ = self._days.to_ns(end)
        if s == _NAT or e == _NAT:
            raise ValueError("trading_days needs two dates, got NaT")
        s_day, e_day = int(_floor_days(s)), int(_floor_days(e))
        if e_day < s_day:
            return np.array([], dtype="datetime64[D]")
        return _days_to_dt64(self._days.between(s_day, e_day).copy())


# --------------------------------------------------------------------------------------------


_PARAM_KEYS = ("extra_holidays", "extra_workdays", "holiday_file", "work_start", "work_end", "lunch_break")


def from_params(cal_params=None) -> WorkCalendar:
    """Build the WorkCalendar from the params' calendar section (object or dict; missing -> default).

    ``holiday_file`` is used as given (relative paths resolve against the working directory).
    """
    kwargs = {}
    for key in _PARAM_KEYS:
        if cal_params is None:
            value = None
        elif isinstance(cal_params, Mapping):
            value = cal_params.get(key)
        else:
            value = getattr(cal_params, key, None)
        if value is not None:
            kwargs[key] = value
    return WorkCalendar(**kwargs)
