"""The RET report extras (backup calendar, upcoming retention ends) rendered in zh and en."""

import re
import warnings

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auditlib.engine import run_audit
from auditlib.fixtures import case_bundle
from auditlib.params import parse_params
from auditlib.report.html import family_section
from auditlib.report.sections import load_all
from auditlib.report.sections.ret import day_states, ret_extras, upcoming_ends

TXN = {"customer_id": "C1", "product_code": "000001", "business_code": "022", "status": "confirmed"}
BACKUP = {"offsite": True, "immutable": True, "retain_until": "2045-01-01", "contains_investor_data": True}

TABLES = {
    "customers": [
        {
            "customer_id": "C1",
            "name": "张三丰",
            "id_number": "110101199001011234",
            "open_date": "2001-05-08",
            "close_date": "2010-06-30",
        },
        {"customer_id": "C2", "name": "李四光", "open_date": "2015-01-05"},
    ],
    "transactions": [
        {"txn_id": "T1", **TXN, "applied_at": "2010-03-01 10:00:00", "trade_date": "2010-03-01"},
        {"txn_id": "T2", **TXN, "applied_at": "2011-03-01 10:00:00", "trade_date": "2011-03-01"},
        {"txn_id": "T3", **TXN, "applied_at": "2010-04-01 10:00:00", "trade_date": "2010-04-01"},
    ],
    "archive_records": [
        {"record_id": "AR-C1", "record_type": "customer_identity", "subject_id": "C1"},
        {"record_id": "AR-C2", "record_type": "customer_identity", "subject_id": "C2"},
        {"record_id": "AR-T1", "record_type": "transaction", "subject_id": "T1"},
        {"record_id": "AR-T2", "record_type": "transaction", "subject_id": "T2"},
        {"record_id": "AR-T3", "record_type": "transaction", "subject_id": "T3", "disposed_at": "2025-02-01"},
    ],
    "backups": [
        {"backup_id": "B1", "backup_date": "2025-01-01", "status": "success", **BACKUP},
        {"backup_id": "B2", "backup_date": "2025-01-02", "status": "failed", **BACKUP},
        {"backup_id": "B3", "backup_date": "2025-01-03", "status": "failed", **BACKUP},
        {"backup_id": "B4", "backup_date": "2025-01-03", "status": "success", **BACKUP},
    ],
}


def audit(lang: str, absent=(), overrides=None):
    params = parse_params(
        {
            "institution_id": "ret-test",
            "institution_name": "测试基金销售有限公司",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "as_of": "2025-04-30",
            "language": lang,
            "rules": ["RET"],
            "overrides": overrides or {},
        }
    )
    return run_audit(params, case_bundle(TABLES, absent))


def render(result, lang):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = ret_extras(result, lang)
    glyphs = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not glyphs, glyphs
    return html


@pytest.mark.parametrize(
    ("lang", "headings"),
    [
        ("zh", ["备份日历", "未来 12 个月保存期届满的档案", "档案类型", "保存期届满日"]),
        (
            "en",
            [
                "Backup calendar",
                "Records reaching the end of their retention",
                "Record type",
                "Retention end",
            ],
        ),
    ],
)
def test_section_renders(lang, headings):
    result = audit(lang)
    html = render(result, lang)
    for h in headings:
        assert h in html
    assert html.count("<img") == 1
    # retention ends 2025-12-31 are in (as_of, as_of + 12 months]; 2026-12-31 and disposed records are not
    for rid in ("AR-C1", "AR-T1"):
        assert rid in html
    for rid in ("AR-C2", "AR-T2", "AR-T3"):
        assert rid not in html
    assert "2025-12-31" in html and "2025-12" in html
    # no personal data
    for pii in ("张三丰", "李四光", "110101199001011234"):
        assert pii not in html


def test_registered_and_in_the_family_section():
    extras = load_all()["RET"]
    assert ret_extras in extras
    result = audit("zh")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = family_section(result, "RET", extras)
    assert not [w for w in caught if "glyph" in str(w.message).lower()]
    assert "备份日历" in html and "RET-004" in html


def test_day_states():
    states = day_states(audit("zh")).set_index("day")["state"]
    assert states["2025-01-01"] == "success"
    assert states["2025-01-02"] == "failed"
    assert states["2025-01-03"] == "success"  # failed then succeeded the same day
    assert states["2025-01-04"] == "none"
    assert len(states) == 90


def test_upcoming_follows_rule_parameters():
    ends, missing = upcoming_ends(audit("en", overrides={"RET": {"basis_year_counts": True}}))
    # basis year counts: C1 (closed 2010) and T1 (2010) ended 2024-12-31, T2 (2011) ends 2025-12-31
    assert ends["record_id"].tolist() == ["AR-T2"] and not missing


def test_family_override_reaches_both_retention_rules():
    result = audit("zh", overrides={"RET": {"years": 20}})
    assert result.params.rule_params("RET-001")["years"] == 20
    assert result.params.rule_params("RET-002")["years"] == 20
    ends, _ = upcoming_ends(result)
    assert ends.empty  # everything now ends in 2030 or later
    # AR-T3 (traded 2010-04-01, disposed 2025-02-01) is early under both 15 and 20 years
    f = result.findings
    assert f.loc[f["rule_code"] == "RET-002", "entity_id"].tolist() == ["AR-T3"]
    assert "2030-12-31" in f.loc[f["rule_code"] == "RET-002", "detail"].iloc[0]


def test_without_backups_or_archive():
    result = audit("en", absent=("backups", "archive_records"))
    html = render(result, "en")
    assert "<img" not in html
    assert "No backups table was provided" in html and "No archive_records table was provided" in html


def test_values_are_escaped():
    tables = {
        **TABLES,
        "archive_records": [
            {"record_id": "<b>x</b>", "record_type": "customer_identity", "subject_id": "C1"}
        ],
    }
    params = audit("en").params
    result = run_audit(params, case_bundle(tables))
    html = render(result, "en")
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert re.search(r"<img[^>]+alt=\"[^\"<>]+\"", html)


def _upcoming_by_definition(result):
    """The retention end of every record in the inventory, then the window: the plain way."""
    from auditlib.rules.ret import record_retention

    as_of = pd.Timestamp(result.params.as_of)
    until = as_of + pd.DateOffset(months=12)
    rows = []
    for record_type, code in (("customer_identity", "RET-001"), ("transaction", "RET-002")):
        recs = record_retention(result.bundle.tables, record_type, result.params.rule_params(code))
        for r in recs.itertuples():
            if not pd.isna(r.disposed_at) and r.disposed_at <= as_of or pd.isna(r.end_year):
                continue
            end = pd.Timestamp(int(r.end_year), 12, 31)
            if as_of < end <= until:
                rows.append((end, record_type, r.record_id))
    return sorted(rows)


@settings(max_examples=40, deadline=None)
@given(
    txn_years=st.lists(st.integers(2005, 2014), min_size=1, max_size=8),
    close_years=st.lists(st.one_of(st.none(), st.integers(2005, 2014)), min_size=1, max_size=5),
    records=st.lists(
        st.tuples(st.booleans(), st.integers(0, 9), st.sampled_from([None, "2020-01-01", "2026-01-01"])),
        max_size=15,
    ),
    counts=st.booleans(),
)
@example(
    txn_years=[2010, 2011, 2012],
    close_years=[2010, None, 2011],
    records=[
        (True, 0, None),
        (True, 1, None),
        (True, 2, "2026-01-01"),
        (True, 1, "2020-01-01"),
        (False, 0, None),
        (False, 1, None),
        (False, 2, None),
        (True, 5, None),
    ],
    counts=True,
)
@example(
    txn_years=[2010, 2011, 2012],
    close_years=[2010, None, 2011],
    records=[
        (True, 0, None),
        (True, 1, None),
        (True, 2, "2026-01-01"),
        (False, 0, "2026-01-01"),
        (False, 2, None),
        (False, 7, None),
    ],
    counts=False,
)
def test_upcoming_ends_match_the_definition(txn_years, close_years, records, counts):
    """Only the subjects whose basis year can end in the window are looked up: the same records as computing
    every record's end, whatever the inventory (unknown subjects, disposed before or after as_of)."""
    tables = {
        "customers": [
            {
                "customer_id": f"C{i}",
                "name": "x",
                "open_date": "2001-01-01",
                **({"close_date": f"{y}-06-30"} if y else {}),
            }
            for i, y in enumerate(close_years)
        ],
        "transactions": [
            {"txn_id": f"T{i}", **TXN, "applied_at": f"{y}-03-01 10:00:00", "trade_date": f"{y}-03-01"}
            for i, y in enumerate(txn_years)
        ],
        "archive_records": [
            {
                "record_id": f"AR{k}",
                "record_type": "transaction" if is_txn else "customer_identity",
                "subject_id": f"{'T' if is_txn else 'C'}{i}",
                **({"disposed_at": d} if d else {}),
            }
            for k, (is_txn, i, d) in enumerate(records)
        ],
        "backups": TABLES["backups"],
    }
    params = parse_params(
        {
            "institution_id": "ret-prop",
            "institution_name": "x",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "as_of": "2025-04-30",
            "rules": ["RET"],
            "overrides": {"RET": {"basis_year_counts": counts}},
        }
    )
    result = run_audit(params, case_bundle(tables))
    ends, _ = upcoming_ends(result)
    got = sorted(zip(ends["retention_end"], ends["record_type"], ends["record_id"], strict=True))
    assert got == _upcoming_by_definition(result)
