"""The INFO and FEE report extras (data-change approval, fees against the contract rate) and their working
papers."""

import warnings

import openpyxl

from auditlib.engine import run_audit
from auditlib.fixtures import case_bundle
from auditlib.params import parse_params
from auditlib.report.html import family_section
from auditlib.report.sections import load_all
from auditlib.report.sections.fee import fee_extras
from auditlib.report.sections.info import change_counts, info_extras
from auditlib.report.workbook import write_workbook

TXN = {"customer_id": "C1", "business_code": "022", "status": "confirmed", "trade_date": "2025-03-03"}
TABLES = {
    "staff": [{"staff_id": "S1", "name": "赵一鸣"}, {"staff_id": "S2", "name": "钱二宝"}],
    "customers": [{"customer_id": "C1", "name": "张三丰", "phone": "13800000000", "open_date": "2020-01-01"}],
    "products": [
        {
            "product_code": "P1",
            "name": "债券",
            "risk_level": "R2",
            "rated_at": "2025-01-01",
            "max_fee_rate": "0.015",
        },
        {
            "product_code": "P2",
            "name": "<b>权益</b>",
            "risk_level": "R4",
            "rated_at": "2025-01-01",
            "max_fee_rate": "0",
        },
    ],
    "transactions": [
        # free; a discount; exactly at the rate; within the tolerance; above it (two products); no fee
        {
            "txn_id": "T1",
            "product_code": "P1",
            "applied_at": "2025-03-03 10:00:00",
            "amount": "1000",
            "fee": "0",
            **TXN,
        },
        {
            "txn_id": "T2",
            "product_code": "P1",
            "applied_at": "2025-03-03 10:00:00",
            "amount": "1000",
            "fee": "6",
            **TXN,
        },
        {
            "txn_id": "T3",
            "product_code": "P1",
            "applied_at": "2025-03-03 10:00:00",
            "amount": "5849700",
            "fee": "87745.5",
            **TXN,
        },
        {
            "txn_id": "T4",
            "product_code": "P1",
            "applied_at": "2025-03-03 10:00:00",
            "amount": "1000",
            "fee": "15.1",
            **TXN,
        },
        {
            "txn_id": "T5",
            "product_code": "P1",
            "applied_at": "2025-03-03 10:00:00",
            "amount": "1000",
            "fee": "20",
            **TXN,
        },
        {
            "txn_id": "T6",
            "product_code": "P2",
            "applied_at": "2025-03-03 10:00:00",
            "amount": "1000",
            "fee": "1",
            **TXN,
        },
        {"txn_id": "T7", "product_code": "P1", "applied_at": "2025-03-03 10:00:00", "amount": "1000", **TXN},
    ],
    "data_changes": [
        {
            "change_id": "D1",
            "changed_at": "2025-03-01 10:00:00",
            "changed_by": "S1",
            "table_name": "transactions",
            "record_id": "T1",
            "field": "amount",
            "approved_by": "S2",
            "approved_at": "2025-03-01 10:00:00",
        },
        {
            "change_id": "D2",
            "changed_at": "2025-03-01 10:00:00",
            "changed_by": "S1",
            "table_name": "customers",
            "record_id": "C1",
            "field": "phone",
            "old_value": "13800000000",
            "new_value": "13900000000",
            "approved_by": "S1",
        },
        {
            "change_id": "D3",
            "changed_at": "2025-03-01 10:00:00",
            "changed_by": "S1",
            "table_name": "customers",
            "record_id": "C1",
            "approved_by": "S2",
            "approved_at": "2025-03-02 10:00:00",
        },
        {
            "change_id": "D4",
            "changed_at": "2025-03-01 10:00:00",
            "changed_by": "S1",
            "table_name": "staff",
            "record_id": "S1",
        },
    ],
}
CODE_WORDS = (
    "max_fee_rate",
    "fee_tolerance",
    "data_changes",
    "approved_by",
    "changed_at",
    "table_name",
    "_row",
)
PII = ("13800000000", "13900000000", "张三丰", "赵一鸣", "钱二宝")


def audit(lang: str, tables=None, absent=()):
    params = parse_params(
        {
            "institution_id": "info-fee-test",
            "institution_name": "测试基金销售有限公司",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "as_of": "2025-04-30",
            "language": lang,
            "rules": ["INFO-002", "FEE"],
        }
    )
    return run_audit(params, case_bundle(tables or TABLES, absent))


def render(extra, result, lang):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = extra(result, lang)
    assert not [w for w in caught if "glyph" in str(w.message).lower()]
    for word in CODE_WORDS + PII:
        assert word not in html, word
    assert "<b>" not in html
    return html


def test_rules_find_what_the_sections_count():
    f = audit("en").findings
    assert sorted(f.loc[f["rule_code"] == "FEE-001", "entity_id"]) == ["T5", "T6"]
    assert sorted(f.loc[f["rule_code"] == "INFO-002", "entity_id"]) == ["D2", "D3"]


def test_info_section_says_what_was_required_and_found_by_table():
    result = audit("zh")
    counts = change_counts(result)
    assert counts.loc["customers", "changes"] == 2 and counts.loc["customers", "self_approved"] == 1
    assert counts.loc["customers", "no_time"] == 1 and counts.loc["customers", "late"] == 1
    assert counts.loc["transactions"].tolist() == [1, 0, 0, 0, 0]
    html = render(info_extras, result, "zh")
    assert "要求：对交易、资金划转、客户、账户事件数据的修改，须事先经修改人以外的人员审批" in html
    assert "检查期间内对上述数据的修改共 3 条，其中 1 条事先经他人审批，2 条未经独立的事先审批。" in html
    assert "另有 1 条修改涉及其他数据表" in html and "<img" not in html
    en = render(info_extras, audit("en"), "en")
    assert "3 changes to these data in the period: 1 approved beforehand by someone else, 2 without" in en
    assert "<td>customer</td>" in en


def test_fee_section_with_chart_and_products_over_the_limit():
    html = render(fee_extras, audit("zh"), "zh")
    assert "允许误差 0.01%" in html
    assert "已检查 6 笔" in html and "其中 2 笔超过合同最高费率" in html
    assert "合计 6.00 元" in html  # 20 - 15 on T5, 1 - 0 on T6
    assert "另有 1 笔缺少金额、费用或合同费率" in html
    assert html.count("<img") == 1
    en = render(fee_extras, audit("en"), "en")
    assert "6 confirmed subscriptions, purchases and regular investments of the period were checked" in en
    assert "<td>P1</td>" in en and "<td>P2</td>" in en


def test_fee_bands_count_exactly_at_the_limit_as_at_the_limit():
    from auditlib.report.sections.fee import fee_bands
    from auditlib.report.sections.suit import rule_context
    from auditlib.rules.fee import fee_checks

    m, rate, bad, _ = fee_checks(rule_context(audit("en"), "FEE-001"))
    # free T1; T2 at 40%; T3 exactly at the rate (float arithmetic says above);
    # T4 within tolerance; T5, T6 over
    assert fee_bands(m, rate, bad).tolist() == [1, 1, 0, 1, 1, 2]


def test_sections_without_the_data_say_so_in_words():
    result = audit("en", absent=("data_changes", "transactions.fee"))
    assert "No record of changes to business data was provided" in render(info_extras, result, "en")
    html = render(fee_extras, result, "en")
    assert "No fee charged on each transaction was provided" in html and "<img" not in html
    zh = render(fee_extras, audit("zh", absent=("products.max_fee_rate",)), "zh")
    assert "未提供产品合同约定的最高费率" in zh


def test_registration_family_sections_and_working_papers(tmp_path):
    extras = load_all()
    assert info_extras in extras["INFO"] and fee_extras in extras["FEE"]
    result = audit("zh")
    for family in ("INFO", "FEE"):
        page = family_section(result, family, extras[family])
        assert f"{family}-00" in page
    assert "信息与数据管理" in family_section(result, "INFO", extras["INFO"])
    assert "因缺少所需数据未纳入检查：1" in family_section(result, "FEE", extras["FEE"])  # T7: no fee
    path = write_workbook(result, tmp_path / "findings.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    assert "INFO-002" in wb.sheetnames and "FEE-001" in wb.sheetnames
    cells = {
        code: {str(c) for row in wb[code].iter_rows(values_only=True) for c in row if c is not None}
        for code in ("INFO-002", "FEE-001")
    }
    assert {"T5", "T6"} <= cells["FEE-001"] and {"D2", "D3"} <= cells["INFO-002"]
    assert not any("13900000000" in c or "13800000000" in c for c in cells["INFO-002"])


def test_audit_samples_of_the_new_rules_are_drawn_from_their_populations_and_masked():
    from auditlib.report.sample import samples

    got = samples(audit("zh"), 10)
    assert got["FEE-001"].in_scope == 6 and got["FEE-001"].table == "transactions"
    info = got["INFO-002"]
    assert info.table == "data_changes" and info.in_scope == 3
    assert sorted(info.rows["change_id"]) == ["D1", "D2", "D3"]
    assert not info.rows.astype(str).apply(lambda c: c.str.contains("13900000000")).any().any()
    assert set(info.rows.loc[info.rows["finding_id"] != "", "change_id"]) == {"D2", "D3"}
