"""findings.xlsx as an auditor opens, prints and files it (read back with openpyxl): sheet names, the header
block of every sheet, the index and its links, a rule sheet's requirement, clauses, numbers and conclusion,
number and date formats, drop-downs, print set-up, and protection with the response columns left open."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from helpers import SOD_DATA, bundle_dir, write_params, xlsx_table

from auditlib.engine import run_audit
from auditlib.load import load_bundle
from auditlib.params import load_params
from auditlib.report.sample import samples
from auditlib.report.workbook import RESPONSE_FIELDS, TEXT, write_workbook
from auditlib.rules import REGISTRY

HOLDER = "王小明"
DATA = {
    **SOD_DATA,
    "customers": "customer_id,name,id_number,phone,open_date\n"
    "0001,李四,110105195408085825,18658978618,2020-01-01\n",
    "fund_transfers": "transfer_id,transfer_type,customer_id,business_date,due_at,executed_at,to_account,"
    "to_account_holder,amount\n"
    f"F1,refund,0001,2025-03-03,2025-03-04 17:00,2025-03-04 10:00,6222020011112222333,{HOLDER},21034.5\n",
    "complaints": "complaint_id,customer_id,received_at,channel,severity,category,description,forwarded_at\n"
    "C1,0001,2025-05-12 10:00,online,general,other,slow reply,2025-05-12 10:05\n",
}


def audit(tmp_path: Path, **extra):
    bundle_dir(tmp_path / "data", DATA)
    params = load_params(write_params(tmp_path / "params" / "inst.yaml", "../data", **extra))
    return run_audit(params, load_bundle(tmp_path / "data"))


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    out = {}
    for lang in ("zh", "en"):
        tmp = tmp_path_factory.mktemp(lang)
        result = audit(tmp, language=lang)
        path = write_workbook(result, tmp / "findings.xlsx", samples=samples(result, 25))
        out[lang] = (result, openpyxl.load_workbook(path))
    return out


def codes_tested(result) -> list[str]:
    return result.summary.loc[result.summary["tested"].astype(bool), "rule_code"].tolist()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sheet_names_in_order_index_first(books, lang):
    result, wb = books[lang]
    codes = codes_tested(result)
    sample = "样本" if lang == "zh" else "sample"
    expected = [TEXT[lang]["index"], "检查摘要" if lang == "zh" else "Executive summary"]
    expected += ["审计抽样" if lang == "zh" else "Audit sample"]
    for c in codes:
        expected += [c, f"{c} {sample}"]
    expected += ["数据质量" if lang == "zh" else "Data quality"]
    assert wb.sheetnames == expected
    assert wb.active.title == TEXT[lang]["index"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sheet_has_the_header_block_and_a_unique_index_number(books, lang):
    result, wb = books[lang]
    x = TEXT[lang]
    numbers = []
    for ws in wb:
        assert ws["A2"].value == x["institution"] and ws["B2"].value == result.params.institution_name
        assert ws["C2"].value == x["period"] and ws["D2"].value == "2025-01-01 — 2025-12-31"
        assert ws["E2"].value == x["index_no"] and ws["F2"].value
        assert ws["A3"].value == x["prepared"] and ws["C3"].value == x["reviewed"]
        assert not ws["B3"].protection.locked and not ws["D3"].protection.locked  # the signatures
        numbers.append(ws["F2"].value)
    assert len(set(numbers)) == len(numbers)


def test_index_links_every_sheet_and_every_sheet_links_back(books):
    _, wb = books["zh"]
    index = wb["索引"]
    head, first = xlsx_table(index)
    assert [h for h in head if h] == ["索引号", "工作表", "内容", "行数"]
    linked = {}
    for row in index.iter_rows(min_row=first):
        link = row[1].hyperlink
        assert link is not None and row[1].value
        linked[row[1].value] = link.location
        assert row[0].value == wb[row[1].value]["F2"].value  # the index number is the sheet's own
    assert set(linked) == set(wb.sheetnames) - {"索引"}
    for name, location in linked.items():
        sheet, cell = re.fullmatch(r"'(.+)'!(\w+)", location).groups()
        assert sheet == name and cell == "A1"
    for ws in wb.worksheets[1:]:
        back = ws["E3"].hyperlink
        assert back is not None and back.location == "'索引'!A1", ws.title


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rule_sheet_states_requirement_clauses_numbers_and_conclusion(books, lang):
    result, wb = books[lang]
    x = TEXT[lang]
    row = result.summary.set_index("rule_code").loc["SOD-001"]
    ws = wb["SOD-001"]
    labels = {ws.cell(r, 1).value: r for r in range(4, 12)}
    req = labels[x["requirement"]]
    assert ("宣传推介" if lang == "zh" else "promotion") in ws.cell(req, 2).value
    assert ws.cell(req, 2).alignment.wrap_text
    clauses = ws.cell(labels[x["clauses"]], 2).value.split("\n")
    assert [c.split("（" if lang == "zh" else ":")[0] for c in clauses] == list(REGISTRY["SOD-001"].cites)
    assert all(len(c) > 20 for c in clauses)  # with what the clause says
    numbers = labels[x["population"]]
    assert ws.cell(numbers, 2).value == row["population"] and ws.cell(numbers, 2).number_format == "#,##0"
    assert ws.cell(numbers, 3).value == x["exceptions"] and ws.cell(numbers, 4).value == row["exceptions"]
    assert ws.cell(numbers, 5).value == x["rate"]
    assert ws.cell(numbers, 6).value == pytest.approx(row["exception_rate"])
    assert ws.cell(numbers, 6).number_format == "0.00%"
    conclusion = ws.cell(labels[x["conclusion"]], 2).value
    assert f"{int(row['population']):,}" in conclusion and str(int(row["exceptions"])) in conclusion
    review = labels[x["review_conclusion"]]
    assert not ws.cell(review, 2).protection.locked
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(f"B{review}" in str(dv.sqref) and x["review_choices"][0] in dv.formula1 for dv in lists)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headers_and_values_in_the_report_language(books, lang):
    result, wb = books[lang]
    x = TEXT[lang]
    head, first = xlsx_table(wb["SOD-001"])
    assert head[:3] == [x["finding_id"], x["status"], x["entity_id"]]
    assert [x[f] for f in RESPONSE_FIELDS] == head[7:11]
    status = wb["SOD-001"].cell(first, 2).value
    assert status == ("待整改" if lang == "zh" else "open")
    sh, sfirst = xlsx_table(wb[wb.sheetnames[1]])
    assert x["rule_code"] in sh and "rule_code" not in sh and "exception_rate" not in sh
    values = {c.value for row in wb[wb.sheetnames[1]].iter_rows(min_row=sfirst) for c in row}
    if lang == "zh":
        assert {"高", "是"} <= values and not {"high", "True", "true", "exceptions"} & values
    else:
        assert not any(isinstance(v, str) and re.search(r"[\u4e00-\u9fff]", v) for v in head + sh)


def test_number_and_date_formats(books):
    result, wb = books["zh"]
    x = TEXT["zh"]
    summary = wb["检查摘要"]
    sh, first = xlsx_table(summary)
    rates = [summary.cell(r, sh.index(x["rate"]) + 1) for r in range(first, summary.max_row + 1)]
    assert all(c.number_format in ("0.00%", "0.000%") for c in rates if c.value is not None)
    assert any(c.value for c in rates)
    pop = summary.cell(first, sh.index(x["population"]) + 1)
    assert isinstance(pop.value, int) and pop.number_format == "#,##0"
    abn = wb["ABN-004"]
    ah, first = xlsx_table(abn)
    amount = abn.cell(first, ah.index("amount") + 1)
    assert amount.value == pytest.approx(21034.5) and amount.number_format == "#,##0.00"
    when = abn.cell(first, ah.index(x["occurred_at"]) + 1)
    assert when.is_date and when.number_format in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss")
    sample = wb["CMP-001 样本"]
    smh, sfirst = xlsx_table(sample)
    received = sample.cell(sfirst, smh.index("received_at") + 1)
    assert received.is_date and received.number_format == "yyyy-mm-dd hh:mm:ss"
    assert sample.cell(sfirst, smh.index(x["row"]) + 1).number_format == "0"  # a row number, no separator
    detail = abn.cell(first, ah.index(x["detail"]) + 1)
    assert detail.alignment.wrap_text and abn.column_dimensions[detail.column_letter].width >= 40
    due = abn.cell(first, ah.index(x["due_date"]) + 1)
    assert due.number_format == "yyyy-mm-dd"


def test_frozen_header_filters_and_print_setup_on_every_sheet(books):
    _, wb = books["zh"]
    for ws in wb:
        head, first = xlsx_table(ws)
        assert ws.freeze_panes == f"A{first}"
        assert ws.auto_filter.ref.startswith(f"A{first - 1}:"), ws.title
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # None: default 1
        assert ws.print_title_rows == f"${first - 1}:${first - 1}"


def test_protected_without_password_response_columns_and_recheck_open(books):
    result, wb = books["zh"]
    x = TEXT["zh"]
    for ws in wb:
        assert ws.protection.sheet and not ws.protection.password, ws.title
        assert ws.protection.autoFilter is False  # False = filtering allowed on the protected sheet
    ws = wb["SOD-001"]
    head, first = xlsx_table(ws)
    for r in range(first, ws.max_row + 1):
        for f in RESPONSE_FIELDS:
            assert not ws.cell(r, head.index(x[f]) + 1).protection.locked
        for locked in ("finding_id", "detail", "entity_id"):
            assert ws.cell(r, head.index(x[locked]) + 1).protection.locked
    due = [dv for dv in ws.data_validations.dataValidation if dv.type == "date"]
    col = openpyxl.utils.get_column_letter(head.index(x["due_date"]) + 1)
    rng = f"{col}{first}" if first == ws.max_row else f"{col}{first}:{col}{ws.max_row}"
    assert due and str(due[0].sqref) == rng
    sample = wb["SOD-001 样本"]
    sh, sfirst = xlsx_table(sample)
    review = sh.index("复核结论") + 1
    assert not sample.cell(sfirst, review).protection.locked
    assert sample.cell(sfirst, sh.index("staff_id") + 1).protection.locked
    lists = [dv for dv in sample.data_validations.dataValidation if dv.type == "list"]
    assert lists and "相符" in lists[0].formula1


def test_personal_data_masked_unless_params_say_so(tmp_path):
    result = audit(tmp_path / "a")
    texts = _all_text(write_workbook(result, tmp_path / "masked.xlsx"))
    assert HOLDER not in texts and "王**" in texts and "6222020011112222333" not in texts
    result = audit(tmp_path / "b", show_personal_data="true")
    assert HOLDER in _all_text(write_workbook(result, tmp_path / "full.xlsx", personal_data=True))


def _all_text(path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


def test_tracking_and_long_sheets_are_cut_with_a_note(tmp_path, monkeypatch):
    from auditlib.report import workbook

    result = audit(tmp_path)
    monkeypatch.setattr(workbook, "MAX_ROWS", 1)
    q = result.bundle.quality
    if len(q) < 2:
        import pandas as pd

        row = {
            "table": "staff",
            "row": 9,
            "column": "name",
            "reason": "required value missing",
            "action": "kept",
        }
        result.bundle.quality = pd.concat([q, pd.DataFrame([row, row])], ignore_index=True)
    wb = openpyxl.load_workbook(write_workbook(result, tmp_path / "cut.xlsx"))
    ws = wb["数据质量"]
    head, first = xlsx_table(ws)
    assert ws.max_row == first  # one row
    assert "data_quality.csv" in ws.cell(first - 2, 1).value
