"""Tests for auditlib.calendar: worked examples, overrides, sources cross-checked, properties.

Dates are chosen around the 2025 Spring Festival (holiday 28 Jan-4 Feb, make-up Sun 26 Jan and
Sat 8 Feb) and National Day (holiday 1-8 Oct, make-up Sun 28 Sep and Sat 11 Oct).
"""

from __future__ import annotations

import datetime as dt
import doctest
import types

import chinese_calendar
import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditlib.calendar as calmod
from auditlib.calendar import CalendarRangeError, TradingCalendar, WorkCalendar, from_params

LUNCH = ("12:00", "13:00")
CC_LAST_YEAR = max(calmod._chinese_calendar_years())  # 2026 with chinese-calendar 1.11.0


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


@pytest.fixture(scope="module")
def lunch_cal():
    return WorkCalendar(lunch_break=LUNCH)


@pytest.fixture(scope="module")
def tc():
    return TradingCalendar()


def T(s: str) -> np.datetime64:
    return np.datetime64(pd.Timestamp(s).to_datetime64(), "ns")


def D(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


def test_docstring_examples():
    result = doctest.testmod(calmod)
    assert result.attempted > 10 and result.failed == 0


# ---------------------------------------------------------------- working days


def test_spring_festival_2025_workdays(cal):
    days = pd.date_range("2025-01-24", "2025-02-10")
    expected_off = {"2025-01-25", *(f"2025-01-{d}" for d in (28, 29, 30, 31)), "2025-02-01", "2025-02-02"}
    expected_off |= {"2025-02-03", "2025-02-04", "2025-02-09"}
    got = dict(zip(days.strftime("%Y-%m-%d"), cal.is_workday(days), strict=True))
    assert {d for d, w in got.items() if not w} == expected_off
    assert got["2025-01-26"] and got["2025-02-08"]  # make-up Sunday / Saturday


@pytest.mark.parametrize(
    "received, n, deadline",
    [
        # Spring Festival: Fri 24 Jan -> make-up Sun 26, Mon 27, then 28 Jan-4 Feb off -> Wed 5 Feb
        ("2025-01-24 15:00", 1, "2025-01-26"),
        ("2025-01-24 15:00", 2, "2025-01-27"),
        ("2025-01-24 15:00", 3, "2025-02-05"),
        # received during the holiday: counting starts after the receiving date anyway
        ("2025-01-30 10:00", 3, "2025-02-07"),
        # a deadline falling on the make-up Saturday 8 Feb
        ("2025-02-05 09:00", 3, "2025-02-08"),
        ("2025-02-07 23:59", 1, "2025-02-08"),
        # National Day: Fri 26 Sep -> Sun 28 (make-up), Mon 29, Tue 30
        ("2025-09-26 10:00", 3, "2025-09-30"),
        ("2025-09-26 10:00", 4, "2025-10-09"),
        ("2025-09-27 10:00", 1, "2025-09-28"),  # received on a plain Saturday
        ("2025-09-30 09:00", 1, "2025-10-09"),
        # deadline on make-up Saturday 11 Oct
        ("2025-10-09 08:00", 2, "2025-10-11"),
        ("2025-10-10 16:00", 1, "2025-10-11"),
        ("2025-10-10 16:00", 2, "2025-10-13"),
        # n = 0: the end of the receiving date itself
        ("2025-10-03 10:00", 0, "2025-10-03"),
    ],
)
def test_workday_deadline_worked_examples(cal, received, n, deadline):
    got = cal.workday_deadline(received, n)
    assert got == T(f"{deadline} 23:59:59")
    assert got.dtype == np.dtype("datetime64[ns]")


def test_workday_deadline_is_exactly_235959(cal):
    got = cal.workday_deadline(pd.Series(pd.to_datetime(["2025-03-03 00:00:00", "2025-03-03 23:59:59"])), 1)
    assert (got == T("2025-03-04 23:59:59")).all()
    assert pd.Timestamp(got[0]).nanosecond == 0 and pd.Timestamp(got[0]).microsecond == 0


def test_workday_deadline_per_row_n(cal):
    got = cal.workday_deadline(np.array(["2025-09-26T10:00"], dtype="datetime64[s]"), np.arange(5))
    assert got.astype("datetime64[D]").astype(str).tolist() == [
        "2025-09-26",
        "2025-09-28",
        "2025-09-29",
        "2025-09-30",
        "2025-10-09",
    ]


def test_next_workday(cal):
    got = cal.next_workday(["2025-01-24", "2025-01-27", "2025-02-07", "2025-09-30", "2025-10-10"])
    assert got.astype(str).tolist() == ["2025-01-26", "2025-02-05", "2025-02-08", "2025-10-09", "2025-10-11"]
    assert cal.next_workday("2025-01-24", 3) == D("2025-02-05")
    assert cal.next_workday("2025-01-24", 0) == D("2025-01-24")
    with pytest.raises(ValueError):
        cal.next_workday("2025-01-24", -1)


def test_state_council_2026_arrangement(cal):
    """国办发明电〔2025〕7号: holidays and make-up days of 2026."""
    off = (
        pd.date_range("2026-01-01", "2026-01-03")
        .append(pd.date_range("2026-02-15", "2026-02-23"))
        .append(pd.date_range("2026-04-04", "2026-04-06"))
        .append(pd.date_range("2026-05-01", "2026-05-05"))
        .append(pd.date_range("2026-06-19", "2026-06-21"))
        .append(pd.date_range("2026-09-25", "2026-09-27"))
        .append(pd.date_range("2026-10-01", "2026-10-07"))
    )
    makeup = pd.to_datetime(
        ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    )
    year = pd.date_range("2026-01-01", "2026-12-31")
    expected = (year.day_of_week < 5) & ~year.isin(off) | year.isin(makeup)
    np.testing.assert_array_equal(cal.is_workday(year), expected)


# ---------------------------------------------------------------- working time


@pytest.mark.parametrize(
    "received, minutes, deadline",
    [
        ("2025-03-03 10:00", 30, "2025-03-03 10:30"),
        ("2025-03-03 16:45", 30, "2025-03-04 09:15"),  # across the day end
        ("2025-03-03 16:30", 30, "2025-03-03 17:00"),  # ends exactly at close: 17:00, not next morning
        ("2025-03-07 16:50", 30, "2025-03-10 09:20"),  # Friday -> Monday across a weekend
        ("2025-09-26 16:50", 30, "2025-09-28 09:20"),  # Friday -> make-up Sunday
        ("2025-09-30 16:50", 30, "2025-10-09 09:20"),  # across National Day
        ("2025-03-03 08:00", 30, "2025-03-03 09:30"),  # received before hours
        ("2025-03-03 17:00", 30, "2025-03-04 09:30"),  # received at close = outside
        ("2025-03-03 20:00", 30, "2025-03-04 09:30"),  # received in the evening
        ("2025-03-08 11:00", 30, "2025-03-10 09:30"),  # received on Saturday
        ("2025-10-03 11:00", 30, "2025-10-09 09:30"),  # received during the holiday
        ("2025-03-03 11:45", 30, "2025-03-03 12:15"),  # no lunch break by default
        ("2025-09-25 10:00", 480, "2025-09-26 10:00"),  # 8 working hours
        ("2025-09-26 10:00", 480, "2025-09-28 10:00"),
        ("2025-03-03 10:00", 0.5, "2025-03-03 10:00:30"),
        ("2025-03-03 10:00", 0, "2025-03-03 10:00"),  # 0 inside working time: ts itself
        ("2025-03-03 17:00", 0, "2025-03-04 09:00"),  # 0 outside: the next start
        ("2025-03-08 10:00", 0, "2025-03-10 09:00"),
    ],
)
def test_working_time_deadline(cal, received, minutes, deadline):
    assert cal.working_time_deadline(received, minutes) == T(deadline)


@pytest.mark.parametrize(
    "received, minutes, deadline",
    [
        ("2025-03-03 11:45", 30, "2025-03-03 13:15"),  # across lunch
        ("2025-03-03 11:30", 30, "2025-03-03 12:00"),  # ends exactly at lunch start
        ("2025-03-03 12:00", 30, "2025-03-03 13:30"),  # received at lunch start = in lunch
        ("2025-03-03 12:30", 30, "2025-03-03 13:30"),  # received in lunch
        ("2025-03-03 12:30", 0, "2025-03-03 13:00"),
        ("2025-09-26 10:00", 480, "2025-09-28 11:00"),  # 7-hour days: 6 h Fri + 2 h make-up Sun
        ("2025-09-26 16:50", 30, "2025-09-28 09:20"),
    ],
)
def test_working_time_deadline_with_lunch(lunch_cal, received, minutes, deadline):
    assert lunch_cal.working_time_deadline(received, minutes) == T(deadline)


def test_working_hours_configurable():
    c = WorkCalendar(work_start="8:30", work_end="17:30", lunch_break=("11:30", "13:00"))
    assert (c.work_start, c.work_end, c.lunch_break) == ("08:30", "17:30", ("11:30", "13:00"))
    assert c.working_time_deadline("2025-03-03 07:00", 0) == T("2025-03-03 08:30")
    assert c.working_time_deadline("2025-03-03 11:00", 60) == T("2025-03-03 13:30")
    assert c.working_minutes_between("2025-03-03 00:00", "2025-03-04 00:00") == 450.0
    with pytest.raises(ValueError):
        WorkCalendar(work_start="17:00", work_end="09:00")
    with pytest.raises(ValueError):
        WorkCalendar(lunch_break=("08:00", "13:00"))
    with pytest.raises(ValueError):
        WorkCalendar(work_start="9h")


def test_working_minutes_between(cal, lunch_cal):
    assert cal.working_minutes_between("2025-03-03 00:00", "2025-03-04 00:00") == 480.0
    assert lunch_cal.working_minutes_between("2025-03-03 00:00", "2025-03-04 00:00") == 420.0
    assert lunch_cal.working_minutes_between("2025-03-03 11:30", "2025-03-03 13:30") == 60.0
    assert cal.working_minutes_between("2025-09-30 16:00", "2025-10-09 10:00") == 120.0
    assert cal.working_minutes_between("2025-10-01 00:00", "2025-10-08 23:59") == 0.0
    assert cal.working_minutes_between("2025-03-04 10:00", "2025-03-03 16:00") == -120.0  # signed
    start = pd.Series(pd.to_datetime(["2025-03-03 09:00", None, "2025-03-03 09:00"]))
    end = pd.Series(pd.to_datetime(["2025-03-03 09:30", "2025-03-03 09:30", None]))
    got = cal.working_minutes_between(start, end)
    assert got[0] == 30.0 and np.isnan(got[1]) and np.isnan(got[2])
    # scalar end broadcast against an array of starts
    got = cal.working_minutes_between(["2025-03-03 09:00", "2025-03-03 16:00"], "2025-03-03 17:00")
    assert got.tolist() == [480.0, 60.0]


def test_deadline_and_elapsed_are_consistent(lunch_cal):
    ts = pd.Series(pd.date_range("2025-01-20", "2025-02-12", freq="37min"))
    for minutes in (1, 30, 480, 1000):
        dl = lunch_cal.working_time_deadline(ts, minutes)
        np.testing.assert_allclose(lunch_cal.working_minutes_between(ts, dl), minutes)
        # one nanosecond earlier is not yet enough
        assert (lunch_cal.working_minutes_between(ts, dl - np.timedelta64(1, "s")) < minutes).all()


# ---------------------------------------------------------------- inputs


def test_input_types(cal):
    values = ["2025-09-26 10:00", None, "2025-01-24 15:00"]
    expected = np.array(["2025-09-30T23:59:59", "NaT", "2025-02-05T23:59:59"], dtype="datetime64[ns]")
    series = pd.Series(pd.to_datetime(values), index=[10, 20, 30])
    for inp in (
        values,
        series,
        pd.DatetimeIndex(series),
        series.to_numpy(),
        series.to_numpy().astype("datetime64[s]"),
        series.astype("timestamp[ns][pyarrow]"),
        [pd.Timestamp("2025-09-26 10:00"), pd.NaT, dt.datetime(2025, 1, 24, 15)],
    ):
        got = cal.workday_deadline(inp, 3)
        assert isinstance(got, np.ndarray) and len(got) == 3
        np.testing.assert_array_equal(got, expected)
    # 2-D keeps its shape; a scalar gives a numpy scalar
    assert cal.workday_deadline(np.array([["2025-09-26"] * 2] * 2, dtype="datetime64[D]"), 3).shape == (2, 2)
    assert isinstance(cal.workday_deadline(dt.date(2025, 9, 26), 3), np.datetime64)
    assert isinstance(cal.is_workday("2025-09-28"), np.bool_)
    # tz-aware input is converted to Shanghai wall time first: 18:00 UTC = 02:00 next day in Shanghai
    aware = pd.Series(pd.to_datetime(["2025-09-25 18:00"]).tz_localize("UTC"))
    assert cal.workday_deadline(aware, 0)[0] == T("2025-09-26 23:59:59")


def test_nat_handling(cal):
    nat = np.array(["NaT", "NaT"], dtype="datetime64[ns]")
    assert cal.is_workday(nat).tolist() == [False, False]
    assert np.isnat(cal.workday_deadline(nat, 1)).all()
    assert np.isnat(cal.working_time_deadline(nat, 30)).all()
    assert np.isnan(cal.working_minutes_between(nat, nat)).all()
    assert np.isnat(cal.next_workday(nat)).all()
    assert np.isnat(cal.working_time_deadline("2025-03-03 10:00", np.nan))


# ---------------------------------------------------------------- overrides and unknown years


def test_extra_holidays_and_workdays():
    c = WorkCalendar(extra_holidays=["2025-03-04", dt.date(2025, 3, 5)], extra_workdays="2025-03-08")
    assert c.is_workday(["2025-03-04", "2025-03-05", "2025-03-08"]).tolist() == [False, False, True]
    assert c.workday_deadline("2025-03-03 10:00", 1) == T("2025-03-06 23:59:59")
    assert c.workday_deadline("2025-03-06 10:00", 2) == T("2025-03-08 23:59:59")
    assert c.working_time_deadline("2025-03-07 16:50", 30) == T("2025-03-08 09:20")
    # overriding a statutory make-up day away
    c2 = WorkCalendar(extra_holidays=["2025-09-28"])
    assert c2.workday_deadline("2025-09-26 10:00", 3) == T("2025-10-09 23:59:59")
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(extra_holidays=["2025-03-04"], extra_workdays=["2025-03-04"])


def test_unknown_year_raises_naming_the_year(cal):
    y = CC_LAST_YEAR + 5
    with pytest.raises(CalendarRangeError, match=str(y)) as info:
        cal.is_workday(["2025-03-03", f"{y}-03-03", f"{y + 1}-03-03"])
    assert info.value.year == y and isinstance(info.value, ValueError)
    assert f"{y} 年" in str(info.value) and "holiday_file" in str(info.value)
    with pytest.raises(CalendarRangeError, match="2003"):
        cal.workday_deadline("2003-06-01", 1)
    # a deadline running out of the known years names the next year
    nxt = str(CC_LAST_YEAR + 1)
    with pytest.raises(CalendarRangeError, match=nxt):
        cal.workday_deadline(f"{CC_LAST_YEAR}-12-30 10:00", 5)
    with pytest.raises(CalendarRangeError, match=nxt):
        cal.working_time_deadline(f"{CC_LAST_YEAR}-12-31 16:00", 600)
    with pytest.raises(CalendarRangeError, match=nxt):
        cal.working_minutes_between(f"{CC_LAST_YEAR}-12-01", f"{CC_LAST_YEAR + 1}-01-05")
    with pytest.raises(CalendarRangeError, match=str(y)):
        WorkCalendar(extra_holidays=[f"{y}-01-02"])


def test_far_dates_are_not_wrapped(cal, tc):
    """9999-12-31 (an "open-ended" sentinel) does not fit in ns: numpy would wrap it silently."""
    sentinel = np.array(["2025-03-03", "9999-12-31"], dtype="datetime64[D]")
    with pytest.raises(CalendarRangeError, match="9999"):
        cal.is_workday(sentinel)
    with pytest.raises(CalendarRangeError, match="9999"):
        cal.workday_deadline(pd.Series(["2025-03-03", "9999-12-31"]), 1)
    with pytest.raises(CalendarRangeError, match="9999"):
        tc.trading_days("2025-01-01", "9999-12-31")


def _write_holiday_file(path, year):
    """A made-up arrangement for a year chinese_calendar does not know (test data, not a forecast)."""
    path.write_text(
        "date,kind,name\n"
        f"{year}-01-01,holiday,New Year\n"
        f"{year}-02-08,holiday,Spring Festival\n"
        f"{year}-02-09,holiday,Spring Festival\n"
        f"# comment lines and blank lines are ignored\n\n"
        f"{year}-02-13,workday,make-up\n",
        encoding="utf-8",
    )
    return path


def test_holiday_file_makes_unknown_year_usable(tmp_path):
    year = CC_LAST_YEAR + 1
    c = WorkCalendar(holiday_file=_write_holiday_file(tmp_path / "h.csv", year))
    assert year in c.known_years and CC_LAST_YEAR in c.known_years
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
    expected = (days.day_of_week < 5) & ~days.isin(
        pd.to_datetime([f"{year}-01-01", f"{year}-02-08", f"{year}-02-09"])
    )
    expected |= days == pd.Timestamp(f"{year}-02-13")
    np.testing.assert_array_equal(c.is_workday(days), expected)
    # deadlines now run from the last chinese_calendar year into the file's year
    last = pd.Timestamp(f"{CC_LAST_YEAR}-12-31")
    got = c.workday_deadline(last, 1)
    assert pd.Timestamp(got).date() == c.next_workday(last).astype(object)
    assert pd.Timestamp(got).year == year
    with pytest.raises(CalendarRangeError, match=str(year + 1)):
        c.is_workday(f"{year + 1}-01-04")


def test_holiday_file_gap_year_is_not_skipped(tmp_path):
    year = CC_LAST_YEAR + 3
    c = WorkCalendar(holiday_file=_write_holiday_file(tmp_path / "h.csv", year))
    assert bool(c.is_workday(f"{year}-02-13"))
    gap = str(CC_LAST_YEAR + 1)
    assert gap in str(pytest.raises(CalendarRangeError, c.is_workday, f"{gap}-06-01").value)
    with pytest.raises(CalendarRangeError, match=gap):
        c.workday_deadline(f"{CC_LAST_YEAR}-12-31", 3)  # would jump over the unknown years
    with pytest.raises(CalendarRangeError, match=gap):
        c.working_minutes_between(f"{CC_LAST_YEAR}-06-01", f"{year}-06-01")
    with pytest.raises(CalendarRangeError, match=gap):
        c.working_time_deadline(f"{CC_LAST_YEAR}-12-31 16:00", 600)


def test_holiday_file_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\n2030-01-01,vacation\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 2"):
        WorkCalendar(holiday_file=bad)
    bad.write_text("day,type\n2030-01-01,holiday\n", encoding="utf-8")
    with pytest.raises(ValueError, match="date,kind"):
        WorkCalendar(holiday_file=bad)


def test_from_params(tmp_path):
    assert from_params(None).known_years == WorkCalendar().known_years
    c = from_params({"lunch_break": ["12:00", "13:00"], "extra_holidays": ["2025-03-04"]})
    assert c.working_minutes_between("2025-03-03 00:00", "2025-03-05 00:00") == 420.0
    ns = types.SimpleNamespace(work_start="08:00", work_end="16:00", extra_workdays=None)
    c = from_params(ns)
    assert c.working_time_deadline("2025-03-03 07:00", 0) == T("2025-03-03 08:00")
    year = CC_LAST_YEAR + 1
    c = from_params({"holiday_file": str(_write_holiday_file(tmp_path / "h.csv", year))})
    assert year in c.known_years


# ---------------------------------------------------------------- cross-check: holidays package


def test_agrees_with_holidays_package_2020_2026(cal):
    """Working days and 调休 make-up days agree with python-holidays' China calendar, day by day."""
    cn = holidays.China(years=range(2020, 2027))  # default category: public holidays
    days = pd.date_range("2020-01-01", "2026-12-31")
    theirs = np.array([cn.is_working_day(d) for d in days.date])
    ours = cal.is_workday(days)
    assert days[ours != theirs].strftime("%Y-%m-%d").tolist() == []
    their_makeup = {d for d in cn.weekend_workdays if 2020 <= d.year <= 2026}
    our_makeup = set(days[ours & (days.day_of_week >= 5)].date)
    assert our_makeup == their_makeup
    assert len(our_makeup) > 30


def test_holidays_package_known_differences_2004_2019(cal):
    """The one difference before 2020: Sat 2005-12-31 was a make-up working day under
    国办发明电〔2005〕35号 ("12月31日（星期六）上班"); chinese-calendar 1.11.0 lacks it, holidays has it.
    Institutions auditing that date can add it with extra_workdays."""
    cn = holidays.China(years=range(2004, 2021))
    days = pd.date_range("2004-01-01", "2019-12-31")
    theirs = np.array([cn.is_working_day(d) for d in days.date])
    diff = days[cal.is_workday(days) != theirs].strftime("%Y-%m-%d").tolist()
    assert diff in ([], ["2005-12-31"])  # [] once chinese-calendar is fixed


# ---------------------------------------------------------------- property: vectorized == loop


def _segments(day: dt.date, lunch) -> list[tuple[dt.datetime, dt.datetime]]:
    if not chinese_calendar.is_workday(day):
        return []
    at = lambda h, m=0: dt.datetime.combine(day, dt.time(h, m))  # noqa: E731
    return [(at(9), at(12)), (at(13), at(17))] if lunch else [(at(9), at(17))]


def _ref_workday_deadline(ts: dt.datetime, n: int) -> dt.datetime:
    day, k = ts.date(), 0
    while k < n:
        day += dt.timedelta(days=1)
        k += chinese_calendar.is_workday(day)
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def _ref_working_time_deadline(ts: dt.datetime, minutes: float, lunch) -> dt.datetime:
    remaining, day = dt.timedelta(minutes=minutes), ts.date()
    while True:
        for s, e in _segments(day, lunch):
            if e <= ts:
                continue
            start = max(s, ts)
            if remaining == dt.timedelta(0) or start + remaining <= e:
                return start + remaining
            remaining -= e - start
        day += dt.timedelta(days=1)


def _ref_minutes_between(a: dt.datetime, b: dt.datetime, lunch) -> float:
    if b < a:
        return -_ref_minutes_between(b, a, lunch)
    total, day = dt.timedelta(0), a.date()
    while day <= b.date():
        for s, e in _segments(day, lunch):
            lo, hi = max(s, a), min(e, b)
            total += max(hi - lo, dt.timedelta(0))
        day += dt.timedelta(days=1)
    return total / dt.timedelta(minutes=1)


_BOUNDARY_TIMES = [
    dt.time(h, m) for h, m in ((0, 0), (8, 59), (9, 0), (12, 0), (12, 30), (13, 0), (16, 59), (17, 0))
]
timestamps = st.builds(
    dt.datetime.combine,
    st.dates(dt.date(2020, 1, 1), dt.date(2026, 10, 31)),
    st.one_of(st.sampled_from(_BOUNDARY_TIMES), st.times()),
)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(st.tuples(timestamps, st.integers(0, 12)), min_size=1, max_size=20))
def test_property_workday_deadline(cal, rows):
    ts = [t for t, _ in rows]
    n = np.array([k for _, k in rows])
    expected = np.array([_ref_workday_deadline(t, k) for t, k in rows], dtype="datetime64[ns]")
    np.testing.assert_array_equal(cal.workday_deadline(ts, n), expected)


@pytest.mark.parametrize("lunch", [False, True])
@PROPERTY
@given(
    rows=st.lists(
        st.tuples(timestamps, st.one_of(st.integers(0, 2400), st.sampled_from([0.25, 0.5, 7.5]))),
        min_size=1,
        max_size=20,
    )
)
def test_property_working_time_deadline(cal, lunch_cal, lunch, rows):
    c = lunch_cal if lunch else cal
    ts = [t for t, _ in rows]
    m = np.array([x for _, x in rows], dtype=float)
    expected = np.array([_ref_working_time_deadline(t, x, lunch) for t, x in rows], dtype="datetime64[ns]")
    np.testing.assert_array_equal(c.working_time_deadline(ts, m), expected)


@pytest.mark.parametrize("lunch", [False, True])
@PROPERTY
@given(
    rows=st.lists(
        st.tuples(timestamps, st.timedeltas(dt.timedelta(days=-5), dt.timedelta(days=20))),
        min_size=1,
        max_size=20,
    )
)
def test_property_working_minutes_between(cal, lunch_cal, lunch, rows):
    c = lunch_cal if lunch else cal
    start = [t for t, _ in rows]
    end = [t + d for t, d in rows]
    expected = [_ref_minutes_between(a, b, lunch) for a, b in zip(start, end, strict=True)]
    np.testing.assert_allclose(c.working_minutes_between(start, end), expected, rtol=0, atol=1e-9)


@PROPERTY
@given(st.lists(st.dates(dt.date(2004, 1, 1), dt.date(2026, 12, 31)), min_size=1, max_size=30))
def test_property_is_workday(cal, dates):
    np.testing.assert_array_equal(cal.is_workday(dates), [chinese_calendar.is_workday(d) for d in dates])


# ---------------------------------------------------------------- trading days


# weekday closures announced by the Shanghai Stock Exchange
SSE_2025_CLOSED = (
    ["2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04"]
    + ["2025-04-04", "2025-05-01", "2025-05-02", "2025-05-05", "2025-06-02"]
    + ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"]
)
SSE_2026_CLOSED = (
    ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"]
    + ["2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19", "2026-09-25"]
    + ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
)
MAKEUP_WEEKENDS = ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"] + [
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
]


@pytest.mark.parametrize("year, closed", [(2025, SSE_2025_CLOSED), (2026, SSE_2026_CLOSED)])
def test_trading_days_official(tc, year, closed):
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
    expected = (days.day_of_week < 5) & ~days.isin(pd.to_datetime(closed))
    np.testing.assert_array_equal(tc.is_trading_day(days), expected)
    got = tc.trading_days(f"{year}-01-01", f"{year}-12-31")
    assert got.size == expected.sum() and got.dtype == np.dtype("datetime64[D]")


def test_makeup_weekends_are_closed(tc, cal):
    assert not tc.is_trading_day(MAKEUP_WEEKENDS).any()
    assert cal.is_workday(MAKEUP_WEEKENDS).all()


def test_next_trading_day_across_spring_festival(tc):
    got = tc.next_trading_day(["2025-01-24", "2025-01-26", "2025-01-27", "2025-02-07"])
    assert got.astype(str).tolist() == ["2025-01-27", "2025-01-27", "2025-02-05", "2025-02-10"]
    assert tc.next_trading_day("2025-01-24", 2) == D("2025-02-05")
    assert tc.next_trading_day("2025-09-30", 1) == D("2025-10-09")
    assert tc.trading_days("2025-01-25", "2025-02-10").astype(str).tolist() == [
        "2025-01-27",
        "2025-02-05",
        "2025-02-06",
        "2025-02-07",
        "2025-02-10",
    ]
    assert tc.trading_days("2025-02-10", "2025-01-25").size == 0


def test_trading_sources_agree_with_statutory_derivation(tc):
    """exchange_calendars vs 'weekday and not a statutory holiday' for 2007-2026: they agree
    except Fri 2024-02-09 (除夕), a statutory working day on which the SSE was closed."""
    years = range(2007, 2027)
    derived = calmod._statutory_trading_days(years)
    days = pd.date_range("2007-01-01", "2026-12-31")
    ours = tc.is_trading_day(days)
    derived_flags = np.isin(days.to_numpy().astype("datetime64[D]").astype(np.int64), derived)
    assert days[ours != derived_flags].strftime("%Y-%m-%d").tolist() == ["2024-02-09"]


def test_trading_calendar_errors_and_extra_closed(tc):
    assert {2025, 2026} <= tc.known_years
    y = max(tc.known_years) + 1
    with pytest.raises(CalendarRangeError, match=str(y)):
        tc.is_trading_day(f"{y}-01-04")
    with pytest.raises(CalendarRangeError, match=str(y)):
        tc.next_trading_day(f"{y - 1}-12-31")
    c = TradingCalendar(extra_closed=["2025-02-05"])
    assert c.next_trading_day("2025-01-27") == D("2025-02-06")
    assert not tc.is_trading_day(np.array(["NaT"], dtype="datetime64[ns]"))[0]
