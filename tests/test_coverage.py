"""The manual-procedure checklist round trip, the validation of filled checklists (bad rows rejected with
their reason, mangled workbooks a clear error), and clause coverage counted against hand-computed numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from helpers import bundle_dir, write_params

from auditlib.attestations import AttestationsError, read_attestations
from auditlib.clauses import checklist, clauses
from auditlib.cli import main
from auditlib.engine import run_audit
from auditlib.i18n import t
from auditlib.load import load_bundle
from auditlib.params import load_params, parse_params
from auditlib.report.checklist import HEADER_ROW, write_checklist
from auditlib.report.coverage import CSV_COLUMNS, coverage_frame, coverage_section, totals
from auditlib.report.files import write_coverage_files

START = dt.date(2025, 1, 1)
TODAY = dt.date(2026, 2, 1)
ROOT = Path(__file__).resolve().parent.parent


def params(**extra):
    base = {
        "institution_id": "test-inst",
        "institution_name": "测试基金销售有限公司 & 子公司",
        "data_dir": ".",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "as_of": "2026-01-31",
    }
    return parse_params({**base, **extra})


def header(ws) -> list[str]:
    return [c.value for c in ws[HEADER_ROW + 1]]


def fill(ws, clause_id: str, *values) -> int:
    """Write result, evidence, performer, date, note into the checklist line of a clause; returns its row."""
    row = next(r for r in range(HEADER_ROW + 2, ws.max_row + 1) if ws.cell(r, 1).value == clause_id)
    for j, v in enumerate(values, start=4):
        ws.cell(row, j).value = v
    return row


# ------------------------------------------------------------------------------------------------ checklist


def test_checklist_workbook_as_excel_reads_it(tmp_path):
    path = write_checklist(params(), tmp_path / "cl.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["人工检查程序"]
    ws = wb.active
    assert ws["A1"].value == "人工检查程序底稿（条款覆盖）"
    assert ws["B2"].value == "测试基金销售有限公司 & 子公司（test-inst）"
    assert ws["B3"].value == "2025-01-01 – 2025-12-31" and ws["F3"].value == "2026-01-31"
    assert ws["A4"].value == "编制人 / 日期" and ws["A5"].value == "复核人 / 日期"
    assert header(ws) == [
        "条款编号",
        "条款要求",
        "检查程序",
        "检查结论",
        "证据索引",
        "执行人",
        "执行日期",
        "备注",
    ]
    ids = [ws.cell(r, 1).value for r in range(HEADER_ROW + 2, ws.max_row + 1)]
    assert ids == [c.id for c in checklist()] and len(ids) == 92
    first = HEADER_ROW + 2
    assert ws.cell(first, 2).value == clauses()["IC 5"].text_zh and ws.cell(first, 2).alignment.wrap_text
    partial = fill(ws, "IC 8(4)")  # a partly covered clause says what the data leaves out
    assert ws.cell(partial, 3).value.startswith("数据未覆盖：除离职以外的授权评价")
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and lists[0].formula1 == '"符合,不符合,不适用"'
    assert str(lists[0].sqref) == f"D{first}:D{ws.max_row}"
    assert any(dv.type == "date" for dv in ws.data_validations.dataValidation)
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == f"${HEADER_ROW + 1}:${HEADER_ROW + 1}"
    assert (
        ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    )  # width 1 is the default
    assert ws.freeze_panes == f"B{first}"


def test_checklist_round_trip_both_languages(tmp_path):
    for lang, words in (("zh", ("符合", "不符合", "不适用")), ("en", ("pass", "fail", "n/a"))):
        path = write_checklist(params(language=lang), tmp_path / f"{lang}.xlsx")
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        if lang == "en":
            assert header(ws)[0] == "Clause" and "(" in ws.cell(HEADER_ROW + 2, 2).value
        fill(ws, "IC 5", words[0], "WP-1", "张三", dt.datetime(2026, 1, 12))
        fill(ws, "IC 8(1)", words[1], "WP-2", "李四", "2026-01-13", "two sub-delegations unsigned")
        fill(ws, "SU 10", words[2], None, "张三", "2026/01/14")
        wb.save(path)
        att = read_attestations(path, START, TODAY)
        assert att.rows[["clause_id", "result", "performed_on", "accepted"]].values.tolist() == [
            ["IC 5", "pass", "2026-01-12", True],
            ["IC 8(1)", "fail", "2026-01-13", True],
            ["SU 10", "na", "2026-01-14", True],
        ]
        assert att.unfilled == 92 - 3 and att.rejected == 0


def test_checklist_command(tmp_path):
    p = write_params(tmp_path / "p.yaml", str(tmp_path), attestations="not-yet-filled.xlsx")
    out = tmp_path / "out" / "checklist.xlsx"
    assert main(["checklist", str(p), "--out", str(out)]) == 0
    assert openpyxl.load_workbook(out).active["A1"].value.startswith("人工检查程序底稿")
    out.write_bytes(b"filled by the examiner")
    assert main(["checklist", str(p), "--out", str(out)]) == 2  # never overwrites a filled checklist
    assert out.read_bytes() == b"filled by the examiner"
    assert main(["checklist", str(p), "--out", str(out), "--force"]) == 0


# ------------------------------------------------------------------------------------------------ bad rows

BAD = """clause_id,result,evidence_ref,performed_by,performed_on,note
IC 5,pass,WP-1,张三,2026-01-12,fine
IC 99,pass,WP-2,张三,2026-01-12,
IC 6,maybe,WP-3,张三,2026-01-12,
IC 7,,WP-4,张三,2026-01-12,
IC 8,pass,WP-5,张三,2026-02-30,
IC 8(1),pass,WP-6,张三,,
IC 8(2),pass,WP-7,张三,2024-12-31,
IC 9(1),pass,WP-8,张三,2026-03-01,
IC 9(2),pass,WP-9,,2026-01-12,
IC 9(3),fail,,张三,2026-01-12,
IC 9(4),na,,张三,2026-01-12,no evidence needed for n/a
IC 5,fail,WP-10,李四,2026-01-13,second row for IC 5
,pass,WP-11,张三,2026-01-12,
IC 9(5),,,,,
IC 10(3),通过,WP-12,张三,2026年1月15日,
"""


def test_every_bad_row_is_rejected_with_its_reason_and_none_is_dropped(tmp_path):
    path = tmp_path / "att.csv"
    path.write_text(BAD, encoding="utf-8")
    att = read_attestations(path, START, TODAY)
    reasons = dict(zip(att.rows["source_row"], att.rows["reason"], strict=True))
    assert reasons == {
        2: "",
        3: "unknown clause id 'IC 99'",
        4: "result 'maybe' is not pass, fail or na",
        5: "no result (pass, fail or na)",
        6: "date performed '2026-02-30' is not a date (YYYY-MM-DD)",
        7: "no date performed",
        8: "date performed 2024-12-31 is before the audit period began (2025-01-01)",
        9: "date performed 2026-03-01 is in the future",
        10: "no performer",
        11: "no evidence reference for a pass or fail",
        12: "",
        13: "clause IC 5 already attested in row 2",
        14: "no clause id",
        16: "",
    }
    filled = len(BAD.strip().splitlines()) - 2  # header, and IC 9(5) left empty
    assert len(att.accepted()) + att.rejected == len(att.rows) == filled
    assert att.unfilled == 1
    assert att.by_clause()["IC 10(3)"]["performed_on"] == "2026-01-15"
    assert all(att.rows.loc[~att.rows["accepted"], "reason_zh"] != "")
    out = write_coverage_files(fake_result(), att, tmp_path)[1]
    back = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(back.columns) == [
        "clause_id",
        "result",
        "evidence_ref",
        "performed_by",
        "performed_on",
        "note",
        "source_row",
        "accepted",
        "reason",
    ]
    assert back["accepted"].value_counts().to_dict() == {"false": 11, "true": 3}


def _workbook(tmp_path, name="x.xlsx") -> tuple[Path, openpyxl.Workbook]:
    path = write_checklist(params(), tmp_path / name)
    return path, openpyxl.load_workbook(path)


def test_extra_sheets_and_a_moved_table_are_found(tmp_path):
    path, wb = _workbook(tmp_path)
    wb.create_sheet("说明", 0)["A1"] = "封面"
    ws = wb["人工检查程序"]
    ws.insert_rows(1, 3)
    fill(ws, "IC 5", "符合", "WP-1", "张三", "2026-01-12")
    wb.create_sheet("备用")
    wb.save(path)
    att = read_attestations(path, START, TODAY)
    assert att.sheet == "人工检查程序" and att.rows["accepted"].tolist() == [True]


def test_merged_cells_across_rows_reject_those_rows(tmp_path):
    path, wb = _workbook(tmp_path)
    ws = wb.active
    row = fill(ws, "IC 5", "符合", "WP-1", "张三", "2026-01-12")
    fill(ws, "IC 6", "符合", "WP-1", "张三", "2026-01-12")
    ws.merge_cells(start_row=row, start_column=5, end_row=row + 1, end_column=5)  # one evidence for two rows
    wb.save(path)
    att = read_attestations(path, START, TODAY)
    assert att.rows["reason"].tolist() == [
        f"merged cells (rows {row}–{row + 1}): unmerge them and fill each row",
        "no evidence reference for a pass or fail",
    ]


def test_a_renamed_column_names_file_sheet_and_header_row(tmp_path):
    path, wb = _workbook(tmp_path)
    wb.active.cell(HEADER_ROW + 1, 4).value = "结论（检查人填写）"
    wb.save(path)
    with pytest.raises(AttestationsError) as e:
        read_attestations(path, START, TODAY)
    msg = str(e.value)
    assert str(path) in msg and "人工检查程序" in msg and f"header row {HEADER_ROW + 1}" in msg
    assert "检查结论 / Result (result)" in msg


@pytest.mark.parametrize(
    "content, suffix, expect",
    [
        (b"PK\x03\x04 not really a zip", ".xlsx", "not a readable Excel workbook"),
        (b"%PDF-1.4", ".pdf", "must be an .xlsx workbook or a .csv file"),
        (
            "说明,没有表头\n1,2\n".encode(),
            ".csv",
            "no header row with the columns clause_id, result, performed_on",
        ),
        (b"\xff\xfe\x00\xd8 bad", ".csv", "not UTF-8 or GB18030 text"),
    ],
)
def test_unreadable_files_are_a_clear_error(tmp_path, content, suffix, expect):
    path = tmp_path / f"att{suffix}"
    path.write_bytes(content)
    with pytest.raises(AttestationsError, match=expect):
        read_attestations(path, START, TODAY)


def test_a_workbook_without_the_checklist_names_its_sheets(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "发现汇总"
    wb.active.append(["finding_id", "owner"])
    wb.save(path)
    with pytest.raises(AttestationsError, match="no sheet has the checklist's header row.*sheets: 发现汇总"):
        read_attestations(path, START, TODAY)


def test_gbk_csv_with_chinese_headers(tmp_path):
    path = tmp_path / "att.csv"
    path.write_bytes(
        "条款编号,检查结论,证据索引,执行人,执行日期\nSU 14,符合,WP-9,王五,2026-01-20\n".encode("gbk")
    )
    att = read_attestations(path, START, TODAY)
    assert att.rows[["clause_id", "result", "accepted"]].values.tolist() == [["SU 14", "pass", True]]


# ------------------------------------------------------------------------------------------------ coverage

RULES = sorted({r for c in clauses().values() for r in c.rules})


def fake_result(untested: dict[str, str] | None = None, exceptions: dict[str, int] | None = None, lang="zh"):
    """A result with a summary row for every rule the catalogue lists (whether or not it is registered)."""
    untested, exceptions = untested or {}, exceptions or {}
    s = pd.DataFrame(
        {
            "rule_code": RULES,
            "tested": [r not in untested for r in RULES],
            "status": [
                ("error" if untested[r] == "rule error" else "not_tested")
                if r in untested
                else ("exceptions" if exceptions.get(r) else "passed")
                for r in RULES
            ],
            "not_tested_reason": [untested.get(r, "") for r in RULES],
            "exceptions": [exceptions.get(r, 0) for r in RULES],
            "open": [exceptions.get(r, 0) for r in RULES],
            "mitigated": 0,
        }
    )
    return SimpleNamespace(summary=s, params=params(language=lang))


def _att(tmp_path, rows: str):
    path = tmp_path / "a.csv"
    path.write_text("clause_id,result,evidence_ref,performed_by,performed_on\n" + rows, encoding="utf-8")
    return read_attestations(path, START, TODAY)


def test_everything_tested_and_clean_without_attestations():
    f = coverage_frame(fake_result(), None)
    assert f["status"].value_counts().to_dict() == {
        "manual: not performed": 68,  # 63 manual clauses and 5 data clauses no rule tests yet
        "tested: no exception": 34,  # fully covered
        "partly tested": 24,  # partly covered, remainder not attested
    }
    assert totals(f) == {"clauses": 126, "tested": 58, "concluded": 34}


def test_coverage_counts_against_hand_computed_numbers(tmp_path):
    # complaints not provided: every CMP rule and RET-007 untested; SUIT-001 found 3 exceptions
    untested = {r: "未提供数据：complaints" for r in RULES if r.startswith("CMP-") or r == "RET-007"}
    att = _att(
        tmp_path,
        "IC 5,pass,WP-1,张三,2026-01-12\n"  # manual -> manual: pass
        "IC 8(1),fail,WP-2,张三,2026-01-12\n"  # manual -> manual: fail
        "SU 10,na,,张三,2026-01-12\n"  # manual -> manual: na
        "IC 29(3),pass,WP-3,张三,2026-01-12\n"  # partial, all its rules untested -> manual: pass
        "IC 37,fail,WP-4,张三,2026-01-12\n"  # partial, REC-001 clean, remainder failed -> manual: fail
        "CP-7,pass,WP-5,张三,2026-01-12\n"  # data clause with no rule -> manual: pass
        "SU 31,pass,WP-6,张三,2026-01-12\n",  # partial, SUIT-001 has exceptions -> tested: exceptions
    )
    f = coverage_frame(fake_result(untested, {"SUIT-001": 3}), att).set_index("clause_id")
    counts = f["status"].value_counts().to_dict()
    assert counts == {
        "manual: not performed": 64,
        "tested: no exception": 19,
        "partly tested": 17,
        "not tested: data not provided": 16,
        "tested: exceptions": 4,
        "manual: pass": 3,
        "manual: fail": 2,
        "manual: na": 1,
    }
    assert totals(f.reset_index()) == {"clauses": 126, "tested": 41, "concluded": 29}
    assert f.at["IC 32", "status"] == "partly tested"  # RET-001..003 tested, RET-007 not
    assert f.at["IC 24(2)", "status"] == "tested: exceptions" and f.at["IC 24(2)", "exceptions"] == 3
    assert f.at["SU 30", "status"] == "partly tested"
    assert f.at["CP-5", "status"] == "not tested: data not provided"
    assert f.at["IC 29(3)", "status"] == "manual: pass" and f.at["IC 29(3)", "evidence_ref"] == "WP-3"


def test_a_rule_excluded_or_failing_is_not_run_never_passed():
    r = fake_result({"ABN-007": "rule error", "ABN-008": t("disabled", "zh")})
    f = coverage_frame(r, None).set_index("clause_id")
    assert f.at["IC 21(2)", "status"] == "not tested: rule not run"
    assert f.at["IC 21(6)", "status"] == "not tested: rule not run"
    r = fake_result({"ABN-008": "未提供数据：transactions"})
    assert (
        coverage_frame(r, None).set_index("clause_id").at["IC 21(6)", "status"]
        == "not tested: data not provided"
    )


def test_coverage_csv_has_every_clause_and_attestations_csv_its_header_without_attestations(tmp_path):
    cov, att = write_coverage_files(fake_result(), None, tmp_path)
    out = pd.read_csv(cov, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(out.columns) == CSV_COLUMNS and list(out["clause_id"]) == list(clauses())
    assert out.set_index("clause_id").at["IC 8(5)", "status"] == "tested: no exception"
    assert att.read_text(encoding="utf-8-sig") == (
        "clause_id,result,evidence_ref,performed_by,performed_on,note,source_row,accepted,reason\n"
    )


def test_demo_a_attestations_file(tmp_path):
    p = load_params(ROOT / "params" / "demo-a.yaml", checks=False)
    att = read_attestations(ROOT / "params" / p.attestations, p.period_start, TODAY)
    assert (len(att.accepted()), att.rejected, att.unfilled) == (22, 5, 1)
    assert set(att.accepted()["result"]) == {"pass", "fail", "na"}


def test_missing_table_turns_its_clauses_into_not_tested_in_a_real_run(tmp_path):
    bundle_dir(tmp_path / "data")
    result = run_audit(params(data_dir=str(tmp_path / "data")), load_bundle(tmp_path / "data"))
    f = coverage_frame(result, None).set_index("clause_id")
    # no fund_transfers: ABN-005 untested; no backups: RET-004..006 untested
    assert f.at["IC 23(3)", "status"] == "not tested: data not provided"
    assert f.at["IC 43", "status"] == "not tested: data not provided"
    html = coverage_section(result, None)
    assert "未检查：未提供数据" in html and "passed" not in html


def test_formulas_and_a_merged_header_are_no_traceback(tmp_path):
    path, wb = _workbook(tmp_path)
    ws = wb.active
    row = fill(ws, "IC 5", "符合", "WP-1", "张三", "2026-01-12")
    ws.cell(row, 7).value = "=TODAY()"  # never calculated: no cached value, so no date
    wb.save(path)
    att = read_attestations(path, START, TODAY)
    assert att.rows["reason"].tolist() == ["no date performed"]
    ws.merge_cells(
        start_row=HEADER_ROW + 1, start_column=3, end_row=HEADER_ROW + 1, end_column=4
    )  # 程序+结论
    wb.save(path)
    with pytest.raises(AttestationsError, match="no column 检查结论 / Result"):
        read_attestations(path, START, TODAY)


def test_file_problem_for_the_params_checks(tmp_path):
    from auditlib.attestations import file_problem

    good = tmp_path / "a.csv"
    good.write_text("clause_id,result,performed_on\nIC 5,maybe,2026-01-12\n", encoding="utf-8")
    assert file_problem(good, START) is None  # a bad row is a rejection, not a bad file
    bad = tmp_path / "b.xlsx"
    bad.write_bytes(b"not a workbook")
    assert "not a readable Excel workbook" in file_problem(bad, START)


def test_a_new_checklist_carries_over_the_filled_lines_the_params_name(tmp_path):
    filled = tmp_path / "filled.csv"
    filled.write_text(
        "clause_id,result,evidence_ref,performed_by,performed_on,note\n"
        "IC 5,pass,WP-1,张三,2026-01-12,ok\nIC 6,maybe,WP-2,张三,2026-01-12,\n",
        encoding="utf-8",
    )
    p = write_params(tmp_path / "p.yaml", str(tmp_path), attestations="filled.csv")
    out = tmp_path / "new.xlsx"
    assert main(["checklist", str(p), "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out).active
    ic5, ic6 = fill(ws, "IC 5"), fill(ws, "IC 6")
    assert [ws.cell(ic5, j).value for j in (4, 5, 6, 8)] == ["符合", "WP-1", "张三", "ok"]
    assert ws.cell(ic5, 7).value == dt.datetime(2026, 1, 12)
    assert ws.cell(ic6, 8).value == "上次被拒绝：检查结论“maybe”不是符合、不符合或不适用"
    att = read_attestations(out, START, TODAY)  # read back: the same verdicts
    assert att.rows[["clause_id", "accepted"]].values.tolist() == [["IC 5", True], ["IC 6", False]]
