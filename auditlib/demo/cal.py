"""Working days, trading days and working time for the demo generator (independent of auditlib.rules).

Working day: a Chinese statutory working day (chinese_calendar, with 调休 make-up weekends).
Trading day: a weekday that is not a statutory holiday (the exchange stays closed on make-up weekends).
Working hours: 09:00-17:00 on working days, no lunch break.

Everything is vectorized over numpy datetime64 arrays: ``D`` for dates, ``s`` for timestamps.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
import numpy as np

FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2026, 12, 31)
WORK_START = 9 * 3600
WORK_END = 17 * 3600
WORK_LEN = WORK_END - WORK_START
DAY = np.timedelta64(1, "D")
SEC = np.timedelta64(1, "s")


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    days = np.arange(np.datetime64(FIRST), np.datetime64(LAST) + DAY, dtype="datetime64[D]")
    work = np.array([chinese_calendar.is_workday(d.item()) for d in days])
    holiday = np.array([chinese_calendar.is_holiday(d.item()) for d in days])
    weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday (3); Monday = 0
    trading = (weekday < 5) & ~holiday
    return days[work], days[trading]


def workdays() -> np.ndarray:
    return _tables()[0]


def trading_days() -> np.ndarray:
    return _tables()[1]


def d64(x) -> np.datetime64:
    return np.datetime64(x, "D")


def ts64(x) -> np.datetime64:
    return np.datetime64(x, "s")


def is_workday(dates) -> np.ndarray:
    wd = workdays()
    dates = np.asarray(dates, dtype="datetime64[D]")
    pos = np.searchsorted(wd, dates).clip(max=len(wd) - 1)
    return wd[pos] == dates


def is_trading(dates) -> np.ndarray:
    td = trading_days()
    dates = np.asarray(dates, dtype="datetime64[D]")
    pos = np.searchsorted(td, dates).clip(max=len(td) - 1)
    return td[pos] == dates


def nth_workday_after(dates, n=1) -> np.ndarray:
    """The n-th working day strictly after each date (n >= 1)."""
    wd = workdays()
    dates = np.asarray(dates, dtype="datetime64[D]")
    return wd[np.searchsorted(wd, dates, side="right") + (np.asarray(n) - 1)]


def next_trading_after(dates, n=1) -> np.ndarray:
    td = trading_days()
    dates = np.asarray(dates, dtype="datetime64[D]")
    return td[np.searchsorted(td, dates, side="right") + (np.asarray(n) - 1)]


def trading_on_or_after(dates) -> np.ndarray:
    td = trading_days()
    dates = np.asarray(dates, dtype="datetime64[D]")
    return td[np.searchsorted(td, dates, side="left")]


def trade_date_for(applied, cutoff_seconds=15 * 3600) -> np.ndarray:
    """The correct trade (T) date: the day itself on a trading day before the cut-off, else the next trading
    day."""
    applied = np.asarray(applied, dtype="datetime64[s]")
    day = applied.astype("datetime64[D]")
    secs = (applied - day).astype("int64")
    same = is_trading(day) & (secs < cutoff_seconds)
    return np.where(same, day, next_trading_after(day))


def workday_deadline(ts, n) -> np.ndarray:
    """End (23:59:59) of the n-th working day strictly after the calendar date of ts."""
    day = np.asarray(ts, dtype="datetime64[s]").astype("datetime64[D]")
    return nth_workday_after(day, n).astype("datetime64[s]") + np.timedelta64(86399, "s")


def working_seconds(ts) -> np.ndarray:
    """Working seconds elapsed from the start of the calendar to ts."""
    wd = workdays()
    ts = np.asarray(ts, dtype="datetime64[s]")
    day = ts.astype("datetime64[D]")
    pos = np.searchsorted(wd, day)
    on = wd[pos.clip(max=len(wd) - 1)] == day
    within = np.clip((ts - day).astype("int64") - WORK_START, 0, WORK_LEN)
    return pos.astype("int64") * WORK_LEN + np.where(on, within, 0)


def from_working_seconds(w) -> np.ndarray:
    """The first instant at which ``w`` working seconds have elapsed (a 17:00 end stays on that day)."""
    wd = workdays()
    w = np.asarray(w, dtype="int64")
    k = w // WORK_LEN
    rem = w % WORK_LEN
    at_end = (rem == 0) & (k > 0)
    k = np.where(at_end, k - 1, k)
    rem = np.where(at_end, WORK_LEN, rem)
    return wd[k].astype("datetime64[s]") + (WORK_START + rem) * SEC


def working_deadline(ts, seconds) -> np.ndarray:
    """The instant ``seconds`` of working time after ts (counting from the next working start if outside)."""
    return from_working_seconds(working_seconds(ts) + np.asarray(seconds, dtype="int64"))
