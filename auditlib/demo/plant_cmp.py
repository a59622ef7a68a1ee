"""CMP plants: complaint handling (CMP-001..012).

Each complaint has its own customer (so that CMP-010 only sees the repeats planted for it) and is
fully compliant except for the one field a case is about. Working-day deadlines are computed from the
institution's parameters (demo-b allows 5 working days for a general reply), so the near-misses sit
exactly on the last allowed working day whatever the parameter.
"""

from __future__ import annotations

import numpy as np

from . import cal
from .base import Demo

HOSTILE = [
    "<script>alert(1)</script>客户称网页弹出异常窗口",
    "客户要求<b>立即</b>赔偿损失，并称将向媒体反映",
    '=HYPERLINK("http://example.invalid/x","点击查看详情")',
    '客户原话："你们的系统又崩了, 第三次了"\n要求书面答复',
    "+86 138-0000-0000 @投诉 -- 客户留下的联系方式",
]


def _day_after(received: str, n: int) -> str:
    """The n-th working day strictly after the date of `received`, as YYYY-MM-DD."""
    return str(cal.nth_workday_after(np.array([received[:10]], dtype="datetime64[D]"), n)[0])


def _next_day(day: str) -> str:
    return str(np.datetime64(day) + 1)


def plant(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    eod = "23:59:00" if "complaints" in d.p.ts_minutes else "23:59:59"
    n_general = d.p.param("CMP-002", "general_reply_working_days")
    n_major = d.p.param("CMP-004", "major_reply_working_days")

    def cp(received, **kw):
        c = d.new_customer(tol=d.levels[-1], assessed="2024-06-03 10:00:00")
        return d.new_complaint(c, received, **kw)

    # ------------------------------------------------------------------ CMP-001
    x = cp("2025-03-18 10:00:00", forwarded_at="2025-03-18 10:31:00")
    d.hit("CMP-001", x, "forwarded 31 working minutes after receipt")
    x = cp("2025-03-18 10:00:00", forwarded_at="2025-03-18 10:30:00")
    d.near("CMP-001", x, "forwarded exactly 30 working minutes after receipt")
    x = cp("2025-06-10 11:00:00", forwarded_at=None)
    d.hit("CMP-001", x, "never forwarded to the handling department")
    x = cp("2025-01-26 16:45:00", forwarded_at="2025-01-27 09:15:00")
    d.near("CMP-001", x, "received 16:45 on the make-up Sunday 01-26: 15 min that day + 15 min on 01-27")
    if not small:
        x = cp("2025-10-03 10:00:00", forwarded_at="2025-10-09 09:31:00", channel="online")
        d.hit(
            "CMP-001", x, "received on a National Day holiday; the clock starts 10-09 09:00, forwarded 09:31"
        )
        x = cp("2025-10-03 10:30:00", forwarded_at="2025-10-09 09:30:00", channel="online")
        d.near("CMP-001", x, "received on a holiday, forwarded 10-09 09:30 (30 working minutes)")
        x = cp(
            "2024-12-31 16:50:00",
            forwarded_at=None,
            responded_at="2024-12-31 18:00:00",
            resolved_at="2025-01-02 10:00:00",
            callback_at="2025-01-02 15:00:00",
        )
        d.near("CMP-001", x, "never forwarded, but received 2024-12-31: before the period")

    # ------------------------------------------------------------------ CMP-002 (general reply)
    cases = [
        ("2025-01-27 10:00:00", "hit", "received Mon 01-27, just before Spring Festival"),
        ("2025-01-26 10:00:00", "near", "received on the make-up Sunday 01-26"),
        ("2025-02-05 10:00:00", "near", "received 02-05, first day after Spring Festival"),
        ("2025-02-05 10:30:00", "hit", "received 02-05, first day after Spring Festival"),
        ("2025-10-03 14:00:00", "near", "received on a National Day holiday"),
    ]
    if not small:
        cases.append(("2025-10-03 15:00:00", "hit", "received on a National Day holiday"))
    for received, kind, why in cases:
        due = _day_after(received, n_general)
        if kind == "near":
            at = f"{due} {eod}" if received.startswith("2025-02-05") else f"{due} 16:00:00"
            x = cp(
                received,
                responded_at=at,
                resolved_at=f"{due} {eod}" if at.endswith(eod) else f"{due} 17:00:00",
                callback_at=f"{_next_day(due)} 10:00:00" if cal.is_workday([_next_day(due)])[0] else None,
            )
            if not cal.is_workday([_next_day(due)])[0]:
                d.extra["complaints"][-1]["callback_at"] = np.datetime64(f"{due} {eod}", "s")
            note = (
                " (a hit under the default 3: the override matters)" if due > _day_after(received, 3) else ""
            )
            d.near("CMP-002", x, f"{why}; replied on {due}, the last of {n_general} working days{note}")
        else:
            at = f"{_next_day(due)} 10:00:00"
            x = cp(
                received,
                responded_at=at,
                resolved_at=f"{_next_day(due)} 11:00:00",
                callback_at=f"{_next_day(due)} 15:00:00",
            )
            d.hit("CMP-002", x, f"{why}; {n_general} working days end {due}, replied {_next_day(due)}")
    x = cp("2025-11-12 10:00:00", responded_at=None, resolved_at=None, callback_at=None, root_cause=None)
    d.hit("CMP-002", x, "general complaint never answered")

    # ------------------------------------------------------------------ CMP-003 (major interim measure)
    x = cp("2025-01-27 15:00:00", severity="major", interim_measure_at="2025-02-05 15:01:00")
    d.hit(
        "CMP-003", x, "8 working hours from Mon 01-27 15:00 end 02-05 15:00 (Spring Festival); measure 15:01"
    )
    x = cp("2025-01-27 15:00:00", severity="major", interim_measure_at="2025-02-05 15:00:00")
    d.near("CMP-003", x, "interim measure exactly 8 working hours after receipt (02-05 15:00)")
    x = cp("2025-04-09 11:00:00", severity="major", interim_measure_at=None)
    d.hit("CMP-003", x, "major complaint with no interim measure")
    if not small:
        x = cp("2025-02-07 14:00:00", severity="major", interim_measure_at="2025-02-08 14:00:00")
        d.near("CMP-003", x, "Fri 14:00 + 8 working hours = make-up Saturday 02-08 14:00")
        x = cp("2025-02-07 14:30:00", severity="major", interim_measure_at="2025-02-10 09:00:00")
        d.hit("CMP-003", x, "due on the make-up Saturday 02-08 14:30, measure taken Monday")
        x = cp(
            "2025-03-08 20:00:00",
            severity="major",
            channel="online",
            interim_measure_at="2025-03-10 16:30:00",
        )
        d.near("CMP-003", x, "received Saturday night: the clock starts Monday 09:00")

    # ------------------------------------------------------------------ CMP-004 (major reply)
    due = _day_after("2025-09-30", n_major)
    x = cp(
        "2025-09-30 10:00:00",
        severity="major",
        responded_at=f"{_next_day(due)} 10:00:00",
        resolved_at=f"{_next_day(due)} 12:00:00",
        callback_at=f"{_next_day(due)} 16:00:00",
    )
    d.hit(
        "CMP-004", x, f"major complaint of 09-30: {n_major} working days end {due}; replied {_next_day(due)}"
    )
    x = cp(
        "2025-09-30 11:00:00",
        severity="major",
        responded_at=f"{due} {eod}",
        resolved_at=f"{due} {eod}",
        callback_at=f"{_next_day(due)} 10:00:00",
    )
    d.near("CMP-004", x, f"major complaint of 09-30 replied at the very end of {due}")
    x = cp(
        "2025-08-14 10:00:00",
        severity="major",
        responded_at=None,
        resolved_at=None,
        callback_at=None,
        root_cause=None,
    )
    d.hit("CMP-004", x, "major complaint never answered")
    if not small:
        x = cp(
            "2025-09-28 10:00:00",
            severity="major",
            responded_at="2025-09-30 17:00:00",
            resolved_at="2025-09-30 17:30:00",
            callback_at="2025-09-30 18:00:00",
        )
        d.near("CMP-004", x, "received on the make-up Sunday 09-28, replied on the 2nd working day 09-30")

    # ------------------------------------------------------------------ CMP-005 (regulator registration)
    # (complaints transferred by a regulator are major: CMP-012)
    reg = {"channel": "regulator", "severity": "major"}
    x = cp("2025-09-30 16:00:00", registered_at="2025-10-10 09:00:00", **reg)
    d.hit("CMP-005", x, "transferred by the regulator 09-30; next working day 10-09; registered 10-10")
    d.near("CMP-011", x, "registered late, but a regulator complaint: that is CMP-005")
    x = cp("2025-09-30 16:30:00", registered_at="2025-10-09 20:00:00", **reg)
    d.near("CMP-005", x, "registered on the next working day (10-09) after National Day")
    d.near("CMP-012", x, "transferred by the regulator and recorded as major")
    x = cp("2025-05-14 10:00:00", registered_at=None, **reg)
    d.hit("CMP-005", x, "regulator complaint never registered")
    x = cp("2025-05-15 10:00:00", channel="visit", registered_at=None)
    d.near("CMP-005", x, "not registered, but not a regulator complaint")
    d.hit("CMP-011", x, "walk-in complaint never registered in the complaint system")
    if not small:
        x = cp("2025-02-07 10:00:00", registered_at="2025-02-10 09:00:00", **reg)
        d.hit("CMP-005", x, "12386 transfer on Fri 02-07; due by the make-up Saturday; registered Monday")
        x = cp("2025-02-07 11:00:00", registered_at="2025-02-08 10:00:00", **reg)
        d.near("CMP-005", x, "registered on the make-up Saturday 02-08")

    # ------------------------------------------------------------------ CMP-006 (violation reported)
    x = cp("2025-01-27 10:00:00", involves_violation=True, reported_to_compliance_at="2025-02-08 10:00:00")
    d.hit("CMP-006", x, "alleged violation of 01-27 reported on the 4th working day (make-up Sat 02-08)")
    x = cp("2025-01-27 10:30:00", involves_violation=True, reported_to_compliance_at="2025-02-07 17:00:00")
    d.near("CMP-006", x, "reported on the 3rd working day (02-07)")
    x = cp(
        "2025-07-09 10:00:00", involves_violation=True, reported_to_compliance_at=None, category="suitability"
    )
    d.hit("CMP-006", x, "alleged violation never reported to compliance")
    x = cp("2025-07-10 10:00:00", involves_violation=None, reported_to_compliance_at=None)
    d.near("CMP-006", x, "involves_violation empty = no violation alleged")

    # ------------------------------------------------------------------ CMP-007 (phone recording)
    x = cp("2025-04-22 10:00:00", channel="phone", recording_ref=None)
    d.hit("CMP-007", x, "phone complaint without a call recording reference")
    x = cp("2025-04-23 10:00:00", channel="visit", recording_ref=None)
    d.near("CMP-007", x, "no recording, but a walk-in complaint")
    if not small:
        x = cp("2025-08-26 15:00:00", channel="phone", recording_ref="")
        d.hit("CMP-007", x, "phone complaint with an empty recording reference")

    # --------------------------------------------------------------- CMP-008 / CMP-009 (callback, root cause)
    if d.plants_hits("CMP-008"):
        x = cp(
            "2025-02-07 09:30:00",
            responded_at="2025-02-07 14:00:00",
            resolved_at="2025-02-07 16:00:00",
            callback_at="2025-02-10 10:00:00",
        )
        d.hit("CMP-008", x, "resolved Fri 02-07; due by the make-up Saturday; called back Monday")
    x = cp(
        "2025-02-07 09:45:00",
        responded_at="2025-02-07 14:00:00",
        resolved_at="2025-02-07 16:30:00",
        callback_at="2025-02-08 11:00:00",
    )
    d.near("CMP-008", x, "called back on the make-up Saturday 02-08")
    if d.plants_hits("CMP-008"):
        x = cp("2025-06-20 10:00:00", callback_at=None)
        d.hit("CMP-008", x, "resolved, never called back")
    x = cp(
        "2025-12-29 10:00:00",
        responded_at="2025-12-29 15:00:00",
        resolved_at=None,
        callback_at=None,
        root_cause=None,
    )
    d.near("CMP-008", x, "answered but not resolved yet: no callback due")
    d.near("CMP-009", x, "not resolved yet: no root cause required")
    x = cp("2025-05-28 10:00:00", root_cause=None)
    d.hit("CMP-009", x, "resolved without a root cause")
    if not small:
        x = cp(
            "2025-12-22 10:00:00",
            responded_at="2025-12-22 15:00:00",
            resolved_at="2026-01-30 15:00:00",
            callback_at=None,
        )
        d.near("CMP-008", x, "resolved Fri 2026-01-30: callback due 02-02, after as_of")
        x = cp(
            "2025-12-30 10:00:00",
            responded_at="2025-12-30 15:00:00",
            resolved_at="2025-12-31 10:00:00",
            callback_at="2026-01-05 10:00:00",
        )
        d.hit("CMP-008", x, "resolved 12-31; due by the make-up Sunday 2026-01-04; called back 01-05")
        x = cp("2025-09-09 10:00:00", root_cause="")
        d.hit("CMP-009", x, "resolved with an empty root cause")

    # ------------------------------------------------------------------ CMP-010 (repeats)
    c = d.new_customer(tol=d.levels[-1], assessed="2024-06-03 10:00:00")
    d.new_complaint(c, "2025-04-01 10:00:00", category="fees")
    x = d.new_complaint(c, "2025-05-01 10:00:00", category="fees")
    d.hit("CMP-010", x, "same customer and category exactly 30x24h after the first")
    x = d.new_complaint(c, "2025-04-03 10:00:00", category="service_attitude")
    d.near("CMP-010", x, "same customer two days later, but a different category")
    c = d.new_customer(tol=d.levels[-1], assessed="2024-06-03 10:00:00")
    d.new_complaint(c, "2025-07-01 10:00:00", category="fees")
    x = d.new_complaint(c, "2025-07-31 11:00:00", category="fees")
    d.near("CMP-010", x, "same customer and category 30 days and 1 hour later")
    if not small:
        c = d.new_customer(tol=d.levels[-1], assessed="2024-06-03 10:00:00")
        d.new_complaint(c, "2025-06-10 10:00:00", category="system", channel="phone")
        x = d.new_complaint(c, "2025-06-12 15:00:00", category="system", channel="phone")
        d.hit("CMP-010", x, "second complaint about the system within 3 days")
        x = d.new_complaint(c, "2025-06-20 09:00:00", category="system", channel="online")
        d.hit("CMP-010", x, "third complaint about the system within 10 days")
        d.new_complaint(None, "2025-08-04 10:00:00", category="product", channel="phone")
        x = d.new_complaint(None, "2025-08-06 10:00:00", category="product", channel="phone")
        d.near("CMP-010", x, "two anonymous complaints (no customer_id): not the same customer")

    # untrusted free text: clean complaints whose description must be escaped by the report
    for i, text in enumerate(HOSTILE[: 3 if small else len(HOSTILE)]):
        cp(f"2025-0{i + 3}-1{i} 10:00:00", channel="online", description=text)

    # ------------------------------------------------------------------ CMP-011 (registration, all channels)
    x = cp("2025-01-26 15:00:00", registered_at=f"2025-01-27 {eod}")
    d.near("CMP-011", x, "received on the make-up Sunday 01-26, registered at the end of Mon 01-27")
    x = cp("2025-02-07 15:00:00", channel="phone", registered_at="2025-02-09 00:00:00")
    d.hit(
        "CMP-011", x, "received Fri 02-07; due by the end of the make-up Saturday 02-08; registered Sun 00:00"
    )
    due = _day_after("2025-04-30 16:00:00", 1)
    x = cp("2025-04-30 16:00:00", channel="online", registered_at=f"{_next_day(due)} 09:00:00")
    d.hit(
        "CMP-011",
        x,
        f"received 04-30 before the May Day holiday; due by the end of {due}; registered the day after",
    )
    if not small:
        x = cp("2025-02-07 16:00:00", registered_at=f"2025-02-08 {eod}")
        d.near("CMP-011", x, "received Fri 02-07, registered at the very end of the make-up Saturday 02-08")
        x = cp(
            "2024-12-31 11:00:00",
            registered_at=None,
            responded_at="2024-12-31 15:00:00",
            resolved_at="2024-12-31 16:00:00",
            callback_at="2024-12-31 17:00:00",
        )
        d.near("CMP-011", x, "never registered, but received 2024-12-31, before the period")

    # ---------------------------------------------------------------- CMP-012 (regulator transfers are major)
    if d.plants_hits("CMP-012"):
        x = cp("2025-08-19 10:00:00", channel="regulator")
        d.hit("CMP-012", x, "transferred by the regulator (12386) and recorded as a general complaint")
    x = cp("2025-08-20 10:00:00", channel="phone")
    d.near("CMP-012", x, "a general complaint by phone: not a regulator transfer")
    if not small:
        x = cp("2025-12-31 14:00:00", channel="regulator")
        d.hit("CMP-012", x, "regulator transfer of 2025-12-31 recorded as general")
        x = cp(
            "2024-12-30 10:00:00",
            channel="regulator",
            responded_at="2024-12-30 15:00:00",
            resolved_at="2024-12-30 16:00:00",
            callback_at="2024-12-30 17:00:00",
        )
        d.near("CMP-012", x, "recorded as general, but received 2024-12-30, before the period")
