"""Time the vectorized calendar functions at 10^6 random timestamps in 2025.

Run on demand: ``python benchmarks/bench_calendar.py [n]``. Why: the complaint rules call these on
whole tables, so they must stay in the ~1 s range at 10^6 rows (docs/calendar.md has the numbers).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditlib.calendar import TradingCalendar, WorkCalendar  # noqa: E402


def best_of(fn, repeat: int = 5) -> float:
    """Best wall time of `repeat` runs (seconds): the least disturbed by other processes."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(20250101)
    start = np.datetime64("2025-01-01T00:00:00", "ns").astype(np.int64)
    span = 365 * 86_400 * 10**9
    ts = (start + rng.integers(0, span - 30 * 86_400 * 10**9, n)).view("datetime64[ns]")
    ts_us = pd.Series(ts.astype("datetime64[us]"))  # what pandas 3 gives for parsed strings
    later = ts + rng.integers(0, 10 * 86_400 * 10**9, n).astype("timedelta64[ns]")

    t0 = time.perf_counter()
    cal = WorkCalendar()  # first build scans chinese_calendar day by day (then cached)
    build_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    lunch = WorkCalendar(lunch_break=("12:00", "13:00"))
    build_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    tc = TradingCalendar()  # first build imports exchange_calendars and reads its XSHG sessions
    build_tc = time.perf_counter() - t0

    rows = [
        ("WorkCalendar() first build", build_cold),
        ("WorkCalendar() next builds", build_warm),
        ("TradingCalendar() first build", build_tc),
        ("is_workday", best_of(lambda: cal.is_workday(ts))),
        ("workday_deadline(n=3)", best_of(lambda: cal.workday_deadline(ts, 3))),
        (
            "workday_deadline(n=3), pandas Series datetime64[us]",
            best_of(lambda: cal.workday_deadline(ts_us, 3)),
        ),
        ("working_time_deadline(30 min)", best_of(lambda: cal.working_time_deadline(ts, 30))),
        ("working_time_deadline(480 min, lunch)", best_of(lambda: lunch.working_time_deadline(ts, 480))),
        ("working_minutes_between", best_of(lambda: cal.working_minutes_between(ts, later))),
        ("working_minutes_between (lunch)", best_of(lambda: lunch.working_minutes_between(ts, later))),
        ("next_trading_day", best_of(lambda: tc.next_trading_day(ts))),
    ]
    print(f"auditlib.calendar benchmark: n = {n:,} timestamps in 2025, best of 5")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, "
        f"{platform.machine()}"
    )
    print(f"{'function':<58} {'seconds':>8} {'ns/row':>8}")
    for name, secs in rows:
        per_row = "" if "build" in name else f"{secs / n * 1e9:8.0f}"
        print(f"{name:<58} {secs:8.3f} {per_row:>8}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
