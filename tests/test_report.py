"""The examiner's report fragments and the working papers, in process (no notebook): contents and anchors,
both languages, escaping and masking wherever data reaches HTML, findings tracking, the audit sample, the
evidence values and the xlsx as Excel reads it."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import SOD_DATA, bundle_dir, write_params, xlsx_table

from auditlib.engine import run_audit
from auditlib.load import load_bundle
from auditlib.params import load_params
from auditlib.report import html, narrative
from auditlib.report.coverage import coverage_section
from auditlib.report.evidence import evidence_html, values_frame
from auditlib.report.files import write_tables
from auditlib.report.mitigations import mitigations_section
from auditlib.report.sample import draw, rule_sample, samples, seed_of, splitmix64
from auditlib.report.sections import load_all
from auditlib.report.tracking import TrackingError, track_result
from auditlib.report.workbook import TEXT, write_workbook
from auditlib.rules import REGISTRY

PAYLOAD = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://example.invalid/x","点击查看详情")'
CUSTOMER = ("李四", "110105195408085825", "18658978618")
HOLDER = "王小明"
DATA = {
    **SOD_DATA,
    "customers": "customer_id,name,id_number,phone,open_date\n"
    f"0001,{CUSTOMER[0]},{CUSTOMER[1]},{CUSTOMER[2]},2020-01-01\n",
    "fund_transfers": "transfer_id,transfer_type,customer_id,business_date,due_at,executed_at,to_account,"
    "to_account_holder,amount\n"
    f"F1,refund,0001,2025-03-03,2025-03-04 17:00,2025-03-04 10:00,6222020011112222333,{HOLDER},100\n",
    "complaints": "complaint_id,customer_id,received_at,channel,severity,category,description,forwarded_at\n"
    f'C1,0001,2025-05-12 10:00,online,general,"{PAYLOAD}","{PAYLOAD}",2025-05-12 10:05\n'
    f'C2,0001,2025-05-13 10:00,online,general,other,"{FORMULA.replace(chr(34), chr(34) * 2)}",\n',
}
ALL_PII = (*CUSTOMER, HOLDER, "6222020011112222333", "张三", "王五")


def audit(tmp_path: Path, data: dict | None = None, **extra):
    bundle_dir(tmp_path / "data", data or DATA)
    params = load_params(write_params(tmp_path / "params" / "inst.yaml", "../data", **extra))
    result = run_audit(params, load_bundle(tmp_path / "data"))
    return result, tmp_path / "params" / "inst.yaml"


def report(result, tracking=None) -> str:
    """Every examiner fragment, in notebook order (outputs.md v2, "The report")."""
    extras = load_all()
    fams = html.selected_families(result)
    run = {"run_id": "r1", "packages": {"x": "1"}}
    parts = [
        html.cover(result, run),
        narrative.conclusion(result, tracking),
        narrative.key_findings(result, tracking),
        narrative.scope(result),
        narrative.methodology(result, run),
    ]
    parts += [html.family_section(result, f, extras.get(f, ()), tracking) for f in fams]
    parts += [
        html.data_quality_section(result),
        coverage_section(result, None),
        mitigations_section(result),
        html.appendix(result, run, narrative.sources_legend(result)),
        narrative.sign_off(result),
    ]
    return "".join(parts)


def visible_text(fragment: str) -> str:
    text = re.sub(r"<style.*?</style>|<img[^>]*>", "", fragment, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", text))


@pytest.fixture(scope="module")
def zh(tmp_path_factory):
    return audit(tmp_path_factory.mktemp("zh"))[0]


@pytest.fixture(scope="module")
def en(tmp_path_factory):
    return audit(tmp_path_factory.mktemp("en"), language="en")[0]


@pytest.fixture(scope="module")
def pages(zh, en):
    """The whole examiner report of each language (rendering the charts takes a second)."""
    return {"zh": report(zh), "en": report(en)}


def test_contents_links_every_section_and_rule_and_every_link_has_its_anchor(pages):
    page = pages["zh"]
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    hrefs = set(re.findall(r'href="#([^"]+)"', page))
    assert {
        "contents",
        "conclusion",
        "key-findings",
        "scope",
        "methodology",
        "family-SOD",
        "rule-SOD-001",
        "rule-CMP-010",
        "data-quality",
        "appendix",
        "sign-off",
    } <= ids
    assert hrefs <= ids, hrefs - ids
    assert {f"rule-{c}" for c in REGISTRY} <= hrefs
    assert "clause-IC-8-5" in hrefs  # citations link to the clause's row and text in the coverage section
    assert "<script" not in page and "javascript:" not in page


def test_nothing_from_the_data_is_markup_and_no_personal_data_reaches_the_html(pages):
    for page in pages.values():
        assert PAYLOAD not in page and "<script" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the complaint category, escaped
        for value in ALL_PII:
            assert value not in page, value
    assert "王**" in pages["zh"]  # ABN-004's holder, masked as the rule declares


def test_english_report_has_no_chinese_but_the_data_and_chinese_report_no_english_labels(pages):
    data_values = {"测试基金销售有限公司"}  # the institution's name
    # keywords looked for in the data's Chinese course titles (STAFF-003) are shown as they are matched
    data_values |= set(REGISTRY["STAFF-003"].params["suitability_course_keywords"])
    # the clauses' own text is the regulation's Chinese, shown as it is in both reports
    text = visible_text(re.sub(r'<div class="txt">.*?</div>', "", pages["en"], flags=re.S))
    for value in data_values:
        text = text.replace(value, "")
    assert not re.findall(r"[\u4e00-\u9fff]+", text.replace("王**", "").replace("李*", ""))
    zh_text = visible_text(pages["zh"])
    for label in (
        "Executive summary",
        "Population",
        "What was found",
        "Data quality",
        "Appendix",
        "Encoding",
        "Package",
        "version",
        "Status",
    ):
        assert not re.search(rf"\b{label}\b", zh_text), label
    # vocabulary in requirement texts in the report language only, lists joined the Chinese way
    assert "宣传推介与柜面操作；后台信息处理与后台资金处理" in zh_text and "(promotion)" not in zh_text
    assert (
        "A major complaint must be answered within 2 working days of receipt (by 23:59:59 of working day 2 "
        "after the day of receipt)" in visible_text(pages["en"])
    )


def test_a_rules_error_shows_a_plain_sentence_not_the_exception(zh, monkeypatch):
    row = zh.summary.index[zh.summary["rule_code"] == "SOD-003"][0]
    summary = zh.summary.copy()
    summary.loc[row, ["status", "tested", "error"]] = ["error", False, "KeyError: 'x' (at sod_003:42)"]
    monkeypatch.setattr(zh, "summary", summary)
    page = report(zh)
    assert "KeyError" not in page and "sod_003:42" not in page
    assert "该规则运行出错" in page


def test_a_failing_overview_is_a_note_not_a_failed_audit(zh):
    def broken(result, lang):
        raise ZeroDivisionError("boom")

    with pytest.warns(UserWarning, match="boom"):
        page = html.family_section(zh, "SOD", [broken])
    assert "本类别的概况统计未能生成" in page and "boom" not in page and 'id="rule-SOD-001"' in page


def test_quarantine_reasons_are_translated_and_quoted_personal_data_masked(zh, en, monkeypatch):
    quality = pd.DataFrame(
        {
            "table": ["customers", "transactions", "customers"],
            "row": [5, 9, 7],
            "column": ["id_number", "amount", "customer_id"],
            "reason": [
                f"not a date YYYY-MM-DD: '{CUSTOMER[1]}'",
                f"not a number: 'tel {CUSTOMER[2]}'",
                "duplicate primary key (first at row 3)",
            ],
            "action": ["quarantined"] * 3,
        }
    )
    for result in (zh, en):
        monkeypatch.setattr(result.bundle, "quality", quality)
        page = html.data_quality_section(result)
        assert CUSTOMER[1] not in page and CUSTOMER[2] not in page
        assert "110105********5825" in page and "1865***8618" in page
    assert "主键重复（首次出现于第 3 行）" in html.data_quality_section(zh)
    assert "duplicate primary key (first at row 3)" in html.data_quality_section(en)
    # a complaint's free text is not quoted in the examiner's copy (it may hold anything)
    formula = "text starts with = + - or @ (a spreadsheet may run it as a formula): '=HYPERLINK(\"x\")'"
    assert (
        html.quality_reason("complaints", "description", formula, "zh")
        == "文本以 =、+、-、@ 开头（电子表格可能将其作为公式执行）（自由文本，内容从略）"
    )
    assert html.quality_reason(
        "customers", "id_number", f"not a date YYYY-MM-DD: '{CUSTOMER[1]}'", "en", personal_data=True
    ).endswith(f"'{CUSTOMER[1]}'")


def test_evidence_values_masked_unless_show_personal_data(zh):
    masked = values_frame(zh, "ABN-004")
    assert masked.loc["F1", "holder"] == "王**" and masked.loc["F1", "customer_name"] == "李*"
    full = values_frame(zh, "ABN-004", personal_data=True)
    assert full.loc["F1", "holder"] == HOLDER
    assert "what" in masked.columns and "what_zh" not in masked.columns
    page = evidence_html(zh)
    assert "fund_transfers row 2" in page and "holder = 王**" in page and HOLDER not in page
    assert "staff_roles row" in page


def test_sample_is_seeded_reproducible_and_independent_of_row_order():
    rows = pd.Series(range(2, 5002)).to_numpy()
    seed = seed_of("demo-a", "CMP-001", "2025-01-01", "2025-12-31")
    a = draw(rows, seed, 25)
    assert len(a) == 25 and list(a) == sorted(a)
    assert list(draw(rows[::-1].copy(), seed, 25)) == list(a)
    assert list(draw(rows, seed_of("demo-a", "CMP-002", "2025-01-01", "2025-12-31"), 25)) != list(a)
    assert list(draw(rows[:10], seed, 25)) == list(rows[:10])
    # the documented formula, by hand: sha256 seed, splitmix64 key of (seed XOR row), smallest keys
    import hashlib

    assert seed == int(hashlib.sha256(b"demo-a|CMP-001|2025-01-01|2025-12-31").hexdigest()[:16], 16)
    keys = splitmix64(rows.astype("uint64") ^ pd.Series([seed], dtype="uint64").to_numpy()[0])
    assert sorted(rows[keys.argsort()[:25]]) == list(a)


def test_rule_sample_in_scope_masked_and_marked(tmp_path):
    result, _ = audit(tmp_path, sample_size=1)
    s = rule_sample(result, "CMP-001", 25)
    assert s.scope == "complaints: received_at in the period" and s.in_scope == 2
    assert s.rows["complaint_id"].tolist() == ["C1", "C2"] and s.rows["row"].tolist() == [2, 3]
    assert s.rows.loc[s.rows["complaint_id"] == "C2", "finding_id"].item() != ""  # never forwarded: CMP-001
    ret = rule_sample(result, "RET-003", 25)
    assert ret.rows["name"].tolist() == ["李*"] and ret.rows["id_number"].tolist() == ["110105********5825"]
    assert rule_sample(result, "RET-003", 25, personal_data=True).rows["phone"].tolist() == [CUSTOMER[2]]
    again, once_more = samples(result, 1), samples(result, 1)
    assert again.keys() == once_more.keys()
    for code in again:
        pd.testing.assert_frame_equal(again[code].rows, once_more[code].rows)
    assert len(again["CMP-001"].rows) == 1


def test_tracking_new_recurring_resolved_and_not_retested(tmp_path):
    # previous period: SOD-001 for staff 001 and a SOD-003 finding that is gone now; a CMP finding whose rule
    # will not be tested now (complaints not selected)
    prev_dir = tmp_path / "out" / "test-inst" / "2024-12-31"
    first, _ = audit(tmp_path / "a")
    write_tables(first, prev_dir)
    prev = pd.read_csv(prev_dir / "findings.csv", dtype=str, encoding="utf-8-sig")
    extra = prev.iloc[[0]].assign(finding_id="feedfacefeedface", rule_code="SOD-003", entity_id="009")
    pd.concat([prev, extra]).to_csv(prev_dir / "findings.csv", index=False, encoding="utf-8-sig")
    result, params_file = audit(tmp_path / "b", rules="[SOD]", previous_dir="../../out/test-inst/2024-12-31")
    tr = track_result(result, result.params.previous_dir, params_file)
    assert tr.state.to_dict() == {result.findings.loc[0, "finding_id"]: "recurring"}
    assert result.findings["tracking"].tolist() == ["recurring"]
    assert tr.resolved["entity_id"].tolist() == ["009"]
    assert set(tr.not_retested["rule_code"]) == set(prev["rule_code"]) - {"SOD-001"}
    assert tr.counts("SOD-003") == {"new": 0, "recurring": 0, "resolved": 1, "not_retested": 0}
    page = report(result, tr)
    assert "与上期比较" in page and "已整改 1" in page
    # working papers: a tracking column and the resolved sheet
    write_workbook(result, tmp_path / "w.xlsx", tracking=tr)
    wb = openpyxl.load_workbook(tmp_path / "w.xlsx")
    ws = wb["SOD-001"]
    head, first = xlsx_table(ws)
    zh = TEXT["zh"]
    assert ws.cell(first, head.index(zh["tracking"]) + 1).value == "重复发现"
    resolved = wb["已整改与未复测"]
    head, first = xlsx_table(resolved)
    assert [c.value for c in resolved[first]][head.index(zh["entity_id"])] == "009"


def test_previous_dir_errors_name_the_problem(tmp_path):
    result, params_file = audit(tmp_path, rules="[SOD]")
    with pytest.raises(TrackingError, match="no findings.csv"):
        track_result(result, "../data", params_file)
    other = tmp_path / "other"
    other.mkdir()
    (other / "findings.csv").write_text("finding_id,rule_code,entity_id\n", encoding="utf-8")
    (other / "manifest.json").write_text('{"params": {"institution_id": "someone-else"}}', encoding="utf-8")
    with pytest.raises(TrackingError, match="someone-else"):
        track_result(result, str(other), params_file)


def test_workbook_formula_text_stays_text_dates_are_dates_chinese_intact(tmp_path):
    result, _ = audit(tmp_path)
    path = write_workbook(result, tmp_path / "findings.xlsx", samples=samples(result, 25))
    wb = openpyxl.load_workbook(path)
    ws = wb["CMP-001 样本"]
    head, first = xlsx_table(ws)
    assert ws.auto_filter.ref.startswith(f"A{first - 1}:")
    desc = ws.cell(first + 1, head.index("description") + 1)
    assert desc.value == FORMULA and desc.data_type == "s"  # a string cell, not a formula
    received = ws.cell(first, head.index("received_at") + 1)
    assert received.is_date and received.value == pd.Timestamp("2025-05-12 10:00").to_pydatetime()
    assert ws.cell(first, head.index("description") + 1).value == PAYLOAD
    f = wb["SOD-001"]
    fh, first = xlsx_table(f)
    zh = TEXT["zh"]
    assert f.cell(first, fh.index(zh["occurred_at"]) + 1).is_date
    assert f.cell(first, fh.index("first_day") + 1).is_date
    assert "宣传推介" in f.cell(first, fh.index(zh["detail"]) + 1).value
    assert not any(c.data_type == "f" for sheet in wb for row in sheet.iter_rows() for c in row)
    # personal data only with show_personal_data
    abn = wb["ABN-004"]
    values = [c.value for row in abn.iter_rows() for c in row]
    assert HOLDER not in values and "王**" in values
    ah, first = xlsx_table(abn)
    amount = abn.cell(first, ah.index("amount") + 1)
    assert (
        amount.value == 100.0 and amount.number_format == "#,##0.00"
    )  # 100.00 in the sentence, a number here
    write_workbook(result, tmp_path / "full.xlsx", personal_data=True)
    full = [
        c.value for row in openpyxl.load_workbook(tmp_path / "full.xlsx")["ABN-004"].iter_rows() for c in row
    ]
    assert HOLDER in full


def test_data_quality_csv_masks_quoted_personal_data(zh, tmp_path, monkeypatch):
    quality = pd.DataFrame(
        {
            "table": ["customers"],
            "row": [5],
            "column": ["phone"],
            "reason": [f"not a number: '{CUSTOMER[2]}'"],
            "action": ["quarantined"],
        }
    )
    monkeypatch.setattr(zh.bundle, "quality", quality)
    write_tables(zh, tmp_path)
    text = (tmp_path / "data_quality.csv").read_text(encoding="utf-8-sig")
    assert CUSTOMER[2] not in text and "not a number: '186****8618'" in text


#: rules whose population is rows of one table: their declared sample scope must be exactly that population
ROW_RULES = (
    "SOD-005",
    "SOD-006",
    "SOD-007",
    "SOD-008",
    "SUIT-001",
    "SUIT-002",
    "SUIT-003",
    "ABN-002",
    "ABN-003",
    "ABN-004",
    "ABN-005",
    "ABN-007",
    "ABN-008",
    "RET-001",
    "RET-002",
    "CMP-001",
    "CMP-002",
    "CMP-003",
    "CMP-004",
    "CMP-005",
    "CMP-006",
    "CMP-007",
    "CMP-008",
    "CMP-009",
    "CMP-010",
    "CMP-011",
    "CMP-012",
)


def test_sample_scopes_are_the_rules_populations_on_the_demo(tmp_path):
    from auditlib.demo import write_demo
    from auditlib.report.sample import in_scope

    write_demo(tmp_path, names=["demo-b"], transactions=1500)
    params = load_params(Path(__file__).resolve().parents[1] / "params" / "demo-b.yaml", checks=False)
    result = run_audit(params, load_bundle(tmp_path / "demo-b"))
    population = result.summary.set_index("rule_code")["population"]
    got = {code: len(in_scope(result, code)) for code in ROW_RULES}
    assert got == {code: int(population[code]) for code in ROW_RULES}
    assert all(n > 0 for n in got.values())
    # the samples drawn together (scope parts computed once, shared) are the samples drawn one by one
    together = samples(result, 5)
    assert len(together) == len(result.summary[result.summary["tested"].astype(bool)])
    for code, s in together.items():
        alone = rule_sample(result, code, 5)
        assert (s.in_scope, s.table, s.scope) == (alone.in_scope, alone.table, alone.scope), code
        pd.testing.assert_frame_equal(s.rows, alone.rows, obj=code)


def _dates_as_dates_reference(df: pd.DataFrame) -> pd.DataFrame:
    """dates_as_dates without its first-value shortcut: every column through the full checks."""
    from auditlib.report import files

    saved = files._ruled_out
    files._ruled_out = lambda s: False
    try:
        return files.dates_as_dates(df)
    finally:
        files._ruled_out = saved


def test_dates_as_dates_shortcut_decides_like_the_full_checks():
    from auditlib.report.files import dates_as_dates

    cols = {
        "day": ["", None, "2025-03-04", "2025-03-05 10:00"],  # empty first values are skipped, then all dates
        "late_bad": ["2025-03-04", "2025-03-05", "2025-03-06", "soon"],  # only the last value rules it out
        "first_bad": ["x", "2025-03-05", "2025-03-06", "2025-03-07"],  # the first value rules it out
        "money": [pd.NA, "1,234.50", "-3.00", ""],
        "money_then_text": ["1.00", "2.00", "3.00", "n/a"],
        "id": ["0009000024", "B01:2025-03-04", "1", "2"],
        "mixed": [float("nan"), 3, "2025-03-04", "2025-03-05"],  # a number: never converted
        "empty": ["", None, "", pd.NA],
    }
    for dtype in (object, "string"):
        df = pd.DataFrame({k: pd.Series(v, dtype=object if k == "mixed" else dtype) for k, v in cols.items()})
        got, want = dates_as_dates(df), _dates_as_dates_reference(df)
        pd.testing.assert_frame_equal(got, want)
        assert pd.api.types.is_datetime64_any_dtype(got["day"]) and got["money"].dtype == "float64"
        for c in ("late_bad", "first_bad", "money_then_text", "id", "mixed", "empty"):
            assert got[c].dtype == df[c].dtype, c


def test_column_width_counts_cjk_double():
    from auditlib.report.files import _width

    for text in ("", "abc", "中文ab", "\u2e80\u2e81x", "é", "（全角）"):
        assert _width(text) == sum(2 if ord(ch) > 0x2E80 else 1 for ch in text), text
    assert _width("中文ab") == 6 and _width("\u2e80") == 1 and _width("\u2e81") == 2


def test_coverage_section_escapes_attestations_speaks_no_code_words_and_links_rules(zh, en, tmp_path):
    from auditlib.attestations import read_attestations

    path = tmp_path / "att.csv"
    path.write_text(
        "clause_id,result,evidence_ref,performed_by,performed_on,note\n"
        f'IC 5,pass,"{PAYLOAD}",张三,2025-06-01,x\nIC 6,maybe,WP-1,"{PAYLOAD}",2025-06-01,\n',
        encoding="utf-8",
    )
    att = read_attestations(path, zh.params.period_start)
    for result, words in (
        (zh, ("人工检查：符合", "人工检查：未执行", "条款原文")),
        (en, ("Manual procedure: pass",)),
    ):
        page = coverage_section(result, att)
        assert PAYLOAD not in page and "&lt;script&gt;" in page
        text = visible_text(page)
        for w in words:
            assert w in text
        for code_word in (
            "tested: no exception",
            "manual: not performed",
            "partly tested",
            "not_tested",
            "None",
        ):
            assert code_word not in text, code_word
        assert (
            '<details class="cl">' in page and "（五）销售业务前台的宣传推介和柜面操作岗位应相互分离" in page
        )
        assert 'href="#rule-SOD-001"' in page and 'id="coverage"' in page and 'id="clause-IC-8-5"' in page
        assert "126" in text
