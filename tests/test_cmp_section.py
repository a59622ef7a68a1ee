"""The complaint section of the report: headings, charts, escaping, fonts, and the numbers it shows."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from auditlib.engine import run_audit
from auditlib.fixtures import case_bundle
from auditlib.params import parse_params
from auditlib.report.sections import load_all
from auditlib.report.sections.cmp import chart_text, complaint_overview, working_days_taken

SCRIPT = "<script>alert(1)</script>"


def _c(cid, received, severity="general", channel="phone", **kw):
    return {"complaint_id": cid, "received_at": received, "severity": severity, "channel": channel, **kw}


COMPLAINTS = [
    # answered on the deadline (3 working days: Sun 28 Sep is a make-up day) and late after National Day
    _c(
        "C1",
        "2025-09-25 10:00:00",
        customer_id="001",
        category="fees",
        responded_at="2025-09-29 16:00:00",
        resolved_at="2025-09-30 10:00:00",
        description=SCRIPT,
        recording_ref="R1",
    ),
    _c(
        "C2",
        "2025-09-26 10:00:00",
        customer_id="001",
        category="fees",
        responded_at="2025-10-09 10:00:00",
        description='"><img src=x onerror=alert(2)>',
    ),
    # major, answered in 2 working days; open at as_of
    _c(
        "C3",
        "2025-03-03 09:30:00",
        "major",
        "visit",
        customer_id="002",
        category="suitability",
        responded_at="2025-03-05 10:00:00",
    ),
    # a category no vocabulary knows, with markup, a dollar sign and a character no font has
    _c(
        "C4",
        "2025-11-20 10:00:00",
        "general",
        "online",
        category="<b>费用$x$</b>\U0001f4a5",
        description="ok",
    ),
    _c(
        "C5",
        "2025-12-30 10:00:00",
        "general",
        "regulator",
        customer_id="003",
        category="system",
        resolved_at="2026-01-20 10:00:00",
    ),
    # outside the period: not counted
    _c("C6", "2024-12-30 10:00:00", customer_id="001", category="fees"),
]


@pytest.fixture(scope="module")
def result():
    params = parse_params(
        {
            "institution_id": "t",
            "institution_name": "t",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-10",
            "rules": ["CMP"],
        }
    )
    return run_audit(params, case_bundle({"complaints": COMPLAINTS}))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_section_renders_escaped_with_charts_and_no_missing_glyphs(result, lang):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = complaint_overview(result, lang)
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing from" in str(w.message)]
    assert not glyphs, glyphs
    heads = {
        "zh": ["投诉处理概况", "投诉量", "按渠道", "按类别", "答复时效", "未办结投诉的账龄", "重复投诉"],
        "en": [
            "Complaint handling overview",
            "Volumes",
            "By channel",
            "By category",
            "Response times",
            "open at the as-of date",
            "Repeat complaints",
        ],
    }[lang]
    for h in heads:
        assert h in out, h
    assert out.count("<img") == 4
    assert SCRIPT not in out and "<script" not in out and "<img src=x" not in out
    assert "alert(1)" not in out  # descriptions are never shown at all, not even escaped
    assert "<b>" not in out and "&lt;b&gt;" in out  # a category from the data is escaped
    # the period's 5 complaints, not the one received before it
    assert ("共受理投诉 5 件" if lang == "zh" else "5 complaints were received") in out


def test_registered_as_the_cmp_extra():
    assert complaint_overview in load_all()["CMP"]


def test_numbers_in_the_tables(result):
    out = complaint_overview(result, "en")
    # general: C1 on time (3 working days), C2 late, C4 and C5 unanswered; major: C3 on time
    row = re.search(r"<tr><td>General</td>(.*?)</tr>", out).group(1)
    assert re.findall(r"<td class=\"n\">(\d*)</td>", row)[:5] == ["4", "2", "1", "1", "2"]
    # open at 2026-01-10: C2 (106 days), C3 (313), C4 (51), C5 (11) -> one in 11-30, one 31-90, two >90
    aging = out[out.index("Complaints open at the as-of date") :]
    assert "4 complaints open." in aging
    assert re.search(
        r"<td>11–30 days</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">1</td>", aging
    )
    assert re.search(
        r"<td>&gt;90 days</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">2</td>", aging
    )
    # CMP-010: C2 repeats C1 within 30 days (C6 is 269 days before C1)
    assert "CMP-010 found 1 repeat complaints" in out


def test_working_days_taken_matches_the_deadline_rule():
    from auditlib.calendar import WorkCalendar

    cal = WorkCalendar()
    start = pd.Series(
        pd.to_datetime(
            [
                "2025-09-25 10:00",
                "2025-09-25 10:00",
                "2025-06-03 10:00",
                "2025-06-03 10:00",
                "2025-06-03 10:00",
                "2025-09-30 10:00",
            ]
        )
    )
    end = pd.Series(
        pd.to_datetime(
            [
                "2025-09-29 23:59",
                "2025-09-30 00:00",
                "2025-06-06 12:00",
                "2025-06-07 12:00",
                "2025-06-03 18:00",
                "2025-10-09 09:00",
            ]
        )
    )
    # Thu 25 Sep -> Fri 26, Sun 28 (make-up), Mon 29 = 3; Tue 30 = 4; a Saturday reply counts as Monday's
    assert working_days_taken(cal, start, end).tolist() == [3, 4, 3, 4, 0, 1]


def test_chart_text_is_drawable_and_literal():
    assert chart_text("a$b$") == r"a\$b\$"
    assert chart_text("费用\U0001f4a5") == "费用?"
    assert chart_text("x" * 40).endswith("…") and len(chart_text("x" * 40)) == 18


def test_without_complaints_in_the_period():
    params = parse_params(
        {
            "institution_id": "t",
            "institution_name": "t",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "as_of": "2025-04-30",
            "rules": ["CMP"],
            "language": "en",
        }
    )
    res = run_audit(params, case_bundle({"complaints": COMPLAINTS[-1:]}))
    assert "No complaint was received in the audit period." in complaint_overview(res, "en")
