"""The SUIT and ABN report extras (suitability heat map, transfer timeliness, cut-off timing) in zh and en."""

import warnings

import numpy as np
import pandas as pd
import pytest

from auditlib.engine import run_audit
from auditlib.fixtures import case_bundle
from auditlib.params import parse_params
from auditlib.report.html import family_section
from auditlib.report.sections import load_all
from auditlib.report.sections.abn import abn_extras, cutoff_hours, transfer_months
from auditlib.report.sections.suit import suit_extras, suitability_cells
from auditlib.rules.suit import latest_at_or_before

TXN = {"business_code": "022", "status": "confirmed"}
PAYOUT = {"transfer_type": "redemption_payout", "customer_id": "C1", "amount": 100}

TABLES = {
    "customers": [
        {"customer_id": "C1", "name": "张三丰", "id_number": "110101199001011234", "open_date": "2020-01-01"},
        {"customer_id": "C2", "name": "李四光", "open_date": "2020-01-01"},
        {"customer_id": "C3", "name": "<b>王五</b>", "open_date": "2020-01-01"},
    ],
    "risk_assessments": [
        {"customer_id": "C1", "assessed_at": "2025-01-02 09:00:00", "risk_tolerance": "C2"},
        {"customer_id": "C2", "assessed_at": "2025-01-02 09:00:00", "risk_tolerance": "C5"},
    ],
    "products": [
        {"product_code": "P4", "name": "<script>x</script>", "risk_level": "R4", "rated_at": "2025-01-01"},
        {"product_code": "P1", "name": "货币", "risk_level": "R1", "rated_at": "2025-01-01"},
    ],
    "transactions": [
        # C1 (C2) buys R4: mismatch, one unconfirmed (SUIT-001), one confirmed
        {
            "txn_id": "T1",
            "customer_id": "C1",
            "product_code": "P4",
            **TXN,
            "applied_at": "2025-03-03 10:00:00",
            "trade_date": "2025-03-03",
        },
        {
            "txn_id": "T2",
            "customer_id": "C1",
            "product_code": "P4",
            **TXN,
            "applied_at": "2025-03-04 10:00:00",
            "trade_date": "2025-03-04",
            "risk_mismatch_confirmed": True,
        },
        # C2 (C5) buys R4 and R1: fine; one after the cut-off booked into the same day (ABN-007)
        {
            "txn_id": "T3",
            "customer_id": "C2",
            "product_code": "P4",
            **TXN,
            "applied_at": "2025-03-05 15:20:00",
            "trade_date": "2025-03-05",
        },
        {
            "txn_id": "T4",
            "customer_id": "C2",
            "product_code": "P1",
            **TXN,
            "applied_at": "2025-03-06 10:00:00",
            "trade_date": "2025-03-06",
        },
        # C3 has no assessment (SUIT-002); applied on a make-up Saturday, booked that day (ABN-007)
        {
            "txn_id": "T5",
            "customer_id": "C3",
            "product_code": "P1",
            **TXN,
            "applied_at": "2025-02-08 11:00:00",
            "trade_date": "2025-02-08",
        },
    ],
    "fund_transfers": [
        {
            "transfer_id": "F1",
            **PAYOUT,
            "business_date": "2025-01-06",
            "due_at": "2025-01-08 17:00:00",
            "executed_at": "2025-01-08 16:00:00",
            "to_account_holder": "张三丰",
        },
        {
            "transfer_id": "F2",
            **PAYOUT,
            "business_date": "2025-02-06",
            "due_at": "2025-02-08 17:00:00",
            "executed_at": "2025-02-10 09:00:00",
            "to_account_holder": "张三丰",
        },
        {
            "transfer_id": "F3",
            **PAYOUT,
            "business_date": "2025-03-06",
            "due_at": "2025-03-08 17:00:00",
            "to_account_holder": "赵六",
        },
    ],
}
PII = ("张三丰", "李四光", "110101199001011234", "赵六", "王五")


def audit(lang: str, absent=(), overrides=None, tables=None):
    params = parse_params(
        {
            "institution_id": "suit-abn-test",
            "institution_name": "测试基金销售有限公司",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "as_of": "2025-04-30",
            "language": lang,
            "rules": ["SUIT", "ABN"],
            "overrides": overrides or {},
        }
    )
    return run_audit(params, case_bundle(tables or TABLES, absent))


def render(extra, result, lang):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = extra(result, lang)
    glyphs = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not glyphs, glyphs
    return html


@pytest.mark.parametrize(
    ("lang", "headings"),
    [
        (
            "zh",
            [
                "产品风险等级与投资者风险承受能力",
                "不匹配组合明细",
                "申请前无任何风险测评 1 笔",
                "未签署风险不匹配确认 1 笔",
            ],
        ),
        (
            "en",
            [
                "Product risk against investor tolerance",
                "Mismatched combinations",
                "1 of them without a signed",
            ],
        ),
    ],
)
def test_suit_section(lang, headings):
    result = audit(lang)
    html = render(suit_extras, result, lang)
    for h in headings:
        assert h in html, h
    assert html.count("<img") == 1
    assert "R4 → C2" in html
    for pii in PII:
        assert pii not in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    ("lang", "headings"),
    [
        (
            "zh",
            [
                "资金划转时效",
                "交易申请时间与交易日认定",
                "迟延执行 1 笔",
                "已到期仍未执行 1 笔",
                "非交易日申请未记为下一交易日 1 笔",
            ],
        ),
        (
            "en",
            [
                "Fund transfer timeliness",
                "Application time and trade date",
                "1 late",
                "1 not executed and overdue",
                "1 on a non-trading day",
            ],
        ),
    ],
)
def test_abn_section(lang, headings):
    result = audit(lang)
    html = render(abn_extras, result, lang)
    for h in headings:
        assert h in html, h
    assert html.count("<img") == 2
    for pii in PII:
        assert pii not in html


def test_counts_agree_with_the_rules():
    result = audit("zh")
    f = result.findings
    cells = suitability_cells(result).set_index(["product", "investor"])
    assert cells.loc[(4, 2), "sales"] == 2 and cells.loc[(4, 2), "unconfirmed"] == 1
    assert bool(cells.loc[(4, 2), "mismatch"]) and not bool(cells.loc[(4, 5), "mismatch"])
    assert cells.loc[(1, -1), "sales"] == 1  # no assessment
    assert f.loc[f["rule_code"] == "SUIT-001", "entity_id"].tolist() == ["T1"]
    assert f.loc[f["rule_code"] == "SUIT-002", "entity_id"].tolist() == ["T5"]
    months = transfer_months(result)
    assert months.loc["2025-02", "late"] == 1 and months.loc["2025-03", "missing"] == 1
    assert int(months[["late", "missing"]].to_numpy().sum()) == (f["rule_code"] == "ABN-005").sum()
    hours = cutoff_hours(result)
    assert hours.loc[15, "after_cutoff"] == 1 and hours.loc[11, "non_trading"] == 1
    assert sorted(f.loc[f["rule_code"] == "ABN-007", "entity_id"]) == ["T3", "T5"]


def test_three_level_labels_follow_the_family_override():
    tables = dict(
        TABLES,
        risk_assessments=[
            {"customer_id": "C1", "assessed_at": "2025-01-02 09:00:00", "risk_tolerance": "稳健型"},
            {"customer_id": "C2", "assessed_at": "2025-01-02 09:00:00", "risk_tolerance": "积极型"},
        ],
        products=[
            {"product_code": "P4", "name": "股票", "risk_level": "高风险", "rated_at": "2025-01-01"},
            {"product_code": "P1", "name": "货币", "risk_level": "低风险", "rated_at": "2025-01-01"},
        ],
    )
    maps = {
        "SUIT": {
            "investor_label_map": {"保守型": "C1", "稳健型": "C3", "积极型": "C5"},
            "product_label_map": {"低风险": "R1", "中风险": "R3", "高风险": "R5"},
        }
    }
    result = audit("zh", overrides=maps, tables=tables)
    for code in ("SUIT-001", "SUIT-002", "SUIT-003", "SUIT-004"):
        assert result.params.rule_params(code)["investor_label_map"]["稳健型"] == "C3"
    cells = suitability_cells(result).set_index(["product", "investor"])
    assert cells.loc[(5, 3), "sales"] == 2 and bool(cells.loc[(5, 3), "mismatch"])
    html = render(suit_extras, result, "zh")
    assert "R5 → C3" in html and "无法识别 0 笔" in html
    # without the maps the same labels are not recognised
    plain = audit("zh", tables=tables)
    assert (suitability_cells(plain)["investor"] == 0).any()
    assert "无法识别 4 笔" in render(suit_extras, plain, "zh")


def test_missing_tables_and_registration():
    result = audit("en", absent=("fund_transfers",))
    html = render(abn_extras, result, "en")
    assert "No fund_transfers provided" in html and html.count("<img") == 1
    extras = load_all()
    assert suit_extras in extras["SUIT"] and abn_extras in extras["ABN"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = family_section(audit("zh"), "ABN", extras["ABN"])
    assert not [w for w in caught if "glyph" in str(w.message).lower()]
    assert "ABN-005" in page and "资金划转时效" in page


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_latest_at_or_before_agrees_with_merge_asof(seed):
    """The searchsorted lookup behind SUIT and ABN-002 gives merge_asof's answer, ties and all."""
    rng = np.random.default_rng(seed)
    n, m = 2000, 500
    left = pd.DataFrame(
        {
            "k1": pd.Series(rng.choice(list("abcdefg"), n), dtype="string"),
            "k2": pd.Series(rng.choice(["x", "y", None], n), dtype="string"),
            "t": pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 50, n), unit="min"),
        }
    )
    right = pd.DataFrame(
        {
            "k1": pd.Series(rng.choice(list("abcdeh"), m), dtype="string"),
            "k2": pd.Series(rng.choice(["x", "y", None], m), dtype="string"),
            "t": pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 50, m), unit="min"),
            "row": rng.permutation(m),
        }
    )
    got = latest_at_or_before(
        [left["k1"], left["k2"]], left["t"], [right["k1"], right["k2"]], right["t"], right["row"].to_numpy()
    )
    r = right.dropna().assign(pos=lambda d: d.index).sort_values(["t", "row"])
    want = pd.merge_asof(left.assign(i=range(n)).dropna().sort_values("t"), r, on="t", by=["k1", "k2"])
    expected = np.full(n, -1)
    expected[want["i"].to_numpy()] = want["pos"].fillna(-1).to_numpy()
    assert (got == expected).all()


def test_a_bad_matrix_is_the_rules_error_not_the_reports():
    result = audit("en", overrides={"SUIT-001": {"matrix": {"C9": ["R1"]}}})
    row = result.summary.set_index("rule_code").loc["SUIT-001"]
    assert row["status"] == "error" and "C9" in row["error"]
    html = render(suit_extras, result, "en")
    assert "C9" in html and "<img" not in html


def _rated(day: str) -> list[dict]:
    return [{**p, "rated_at": day} if p["product_code"] == "P4" else p for p in TABLES["products"]]


def test_suit_section_says_how_many_verdicts_rest_on_a_rating_dated_after_the_sale():
    # T1 (3 March, unsuitable) on a rating dated 4 March; T2 applied on 4 March itself is not later
    result = audit("zh", tables={**TABLES, "products": _rated("2025-03-04")})
    notes = result.summary.set_index("rule_code").loc["SUIT-001", "notes"]
    assert notes == {"later_rating": 1, "later_rating_exceptions": 1}
    html = render(suit_extras, result, "zh")
    assert "未提供产品风险评级历史" in html
    assert (
        "其中 1 笔已测评投资者的销售，所依据的产品评级日期晚于销售当日" in html
        and "1 笔被判定为不匹配" in html
    )
    en = render(suit_extras, audit("en", tables={**TABLES, "products": _rated("2025-03-04")}), "en")
    assert "For 1 sales to assessed investors that rating is dated after the day of the sale" in en
    assert "later_rating" not in en and "rated_at" not in en
    assert "均不晚于销售当日" in render(suit_extras, audit("zh"), "zh")


def test_suit_section_with_the_rating_history_judges_by_the_rating_in_force():
    history = [
        {"product_code": "P4", "risk_level": "R4", "rated_at": "2025-03-04"},
        {"product_code": "P1", "risk_level": "R1", "rated_at": "2025-01-01"},
    ]
    result = audit("en", tables={**TABLES, "product_ratings": history})
    f = result.findings
    assert f.loc[f["rule_code"] == "SUIT-006", "entity_id"].tolist() == ["T1"]
    assert "T1" not in f.loc[f["rule_code"] == "SUIT-001", "entity_id"].tolist()
    html = render(suit_extras, result, "en")
    assert "rating in force on the day of the sale" in html
    assert "On the day of 1 of the sales the product had no rating in force" in html
    # SUIT-006 not run: the section counts those sales itself, the same
    from auditlib.report.sections.suit import rating_sentence

    result.summary.loc[result.summary["rule_code"] == "SUIT-006", "tested"] = False
    assert "On the day of 1 of the sales the product had no rating in force" in rating_sentence(result, "en")
    all_sales = int(suitability_cells(audit("en"))["sales"].sum())
    assert int(suitability_cells(result)["sales"].sum()) == all_sales - 1  # T1 is not in the heat map


SWEEP = {
    "transfer_type": "branch_sweep",
    "due_at": "2025-03-03 17:00:00",
    "executed_at": "2025-03-03 16:00:00",
}
SWEEPS = TABLES["fund_transfers"] + [
    {
        "transfer_id": "S1",
        **SWEEP,
        "branch_id": "B1",
        "business_date": "2025-03-03",
        "amount": 100.5,
        "to_account": "0011002200330044",
    },
    {
        "transfer_id": "S2",
        **SWEEP,
        "branch_id": "B2",
        "business_date": "2025-03-03",
        "amount": 200,
        "to_account": " 0011002200330044 ",
    },
    {
        "transfer_id": "S3",
        **SWEEP,
        "branch_id": "B1",
        "business_date": "2025-03-03",
        "amount": 50,
        "to_account": "6222000000009999",
    },
    {"transfer_id": "S4", **SWEEP, "branch_id": "B1", "business_date": "2025-03-03", "amount": 7},
    # outside the period: not counted
    {
        "transfer_id": "S5",
        **SWEEP,
        "branch_id": "B1",
        "business_date": "2024-12-31",
        "amount": 9,
        "to_account": "6222000000009999",
    },
]
SPECIAL = {"ABN-009": {"sales_special_accounts": ["0011002200330044"]}}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "网点资金归集的收款账户",
                "网点资金归集划款 4 笔、金额 357.50：划入总部销售专用账户 2 笔（金额 300.50），"
                "划入其他账户 1 笔（金额 50.00），未记录收款账户 1 笔（金额 7.00）",
                "0011********0044",
                "6222********9999",
                "（未记录）",
            ],
        ),
        ("en", ["Where branch sweeps went", "4 branch sweeps", "2 into a head-office sales special account"]),
    ],
)
def test_sweep_destinations_agree_with_abn_009(lang, expected):
    result = audit(lang, overrides=SPECIAL, tables=dict(TABLES, fund_transfers=SWEEPS))
    html = render(abn_extras, result, lang)
    for text in expected:
        assert text in html, text
    for account in ("0011002200330044", "6222000000009999"):
        assert account not in html  # masked
    f = result.findings
    assert sorted(f.loc[f["rule_code"] == "ABN-009", "entity_id"]) == ["S3", "S4"]


def test_sweep_destinations_without_special_accounts_say_why_not_judged():
    result = audit("zh", tables=dict(TABLES, fund_transfers=SWEEPS))
    html = render(abn_extras, result, "zh")
    assert "未提供总部销售专用账户清单" in html and "未判断" in html and "划入其他账户" not in html
    s = result.summary.set_index("rule_code").loc["ABN-009"]
    assert s["status"] == "not_tested" and s["not_tested_reason"].startswith("未提供参数")
