"""The institution's responses round trip: the working papers written, the response columns filled as the
institution would (openpyxl), read back and checked row by row; every way a row or a file can be wrong; the
responses.csv of the contract; the report section; and the next period's overdue actions."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import SOD_DATA, bundle_dir, write_params, xlsx_table

from auditlib.engine import run_audit
from auditlib.load import load_bundle
from auditlib.params import load_params
from auditlib.report.files import write_tables
from auditlib.report.responses import (
    COLUMNS,
    ResponsesError,
    follow_up,
    read_responses,
    responses_section,
    write_csv,
)
from auditlib.report.tracking import track_result
from auditlib.report.workbook import TEXT, write_workbook

PAYLOAD = "<script>alert(1)</script>"
DATA = {
    **SOD_DATA,
    # a second SOD-001 finding (staff 004) and a CMP one, so there is more than one finding to answer
    "staff": SOD_DATA["staff"] + "004,赵六,\n",
    "staff_roles": SOD_DATA["staff_roles"] + "004,promotion,2024-01-01,\n004,counter,2024-01-01,\n",
}


def audit(tmp_path: Path, data: dict | None = None, **extra):
    bundle_dir(tmp_path / "data", data or DATA)
    params_file = write_params(tmp_path / "params" / "inst.yaml", "../data", rules="[SOD]", **extra)
    result = run_audit(load_params(params_file), load_bundle(tmp_path / "data"))
    return result, params_file


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resp")
    result, _ = audit(tmp)
    path = write_workbook(result, tmp / "findings.xlsx")
    return result, path, tmp


def fill(path: Path, out: Path, answers: dict[str, dict], lang: str = "zh", edit=None) -> Path:
    """Fill the response columns of the findings sheets as the institution would; `edit(wb)` mangles it."""
    wb = openpyxl.load_workbook(path)
    x = TEXT[lang]
    for ws in wb:
        head, first = xlsx_table(ws)
        if x["action"] not in head:
            continue
        for r in range(first, ws.max_row + 1):
            fid = ws.cell(r, head.index(x["finding_id"]) + 1).value
            for field, value in answers.get(fid, {}).items():
                ws.cell(r, head.index(x[field]) + 1).value = value
    if edit:
        edit(wb)
    wb.save(out)
    return out


def ids_of(result, code="SOD-001") -> list[str]:
    return result.findings.loc[result.findings["rule_code"] == code, "finding_id"].tolist()


def test_round_trip_accepted_answers_come_back_as_given(done, tmp_path):
    result, path, _ = done
    a, b = ids_of(result)[:2]
    answers = {
        a: {
            "owner": "合规部 张三",
            "action": "调整岗位设置",
            "due_date": dt.datetime(2026, 3, 31),
            "response": "已知悉",
        },
        b: {"owner": "运营部", "action": "补充复核", "due_date": "2026/4/30"},
    }
    got = read_responses(fill(path, tmp_path / "back.xlsx", answers), result.findings, "zh")
    assert got["accepted"].all() and len(got) == 2
    row = got.set_index("finding_id").loc[a]
    assert (row["owner"], row["action"], row["due_date"], row["response"]) == (
        "合规部 张三",
        "调整岗位设置",
        "2026-03-31",
        "已知悉",
    )
    assert got.set_index("finding_id").loc[b, "due_date"] == "2026-04-30"
    assert got.loc[0, "where"].startswith("工作表 SOD-001 第 ")
    # written into the next workbook: the accepted answers prefilled in the response columns
    again = openpyxl.load_workbook(write_workbook(result, tmp_path / "again.xlsx", responses=got))
    ws = again["SOD-001"]
    head, first = xlsx_table(ws)
    x = TEXT["zh"]
    rows = {ws.cell(r, 1).value: r for r in range(first, ws.max_row + 1)}
    assert ws.cell(rows[a], head.index(x["action"]) + 1).value == "调整岗位设置"
    due = ws.cell(rows[a], head.index(x["due_date"]) + 1)
    assert due.is_date and due.value == dt.datetime(2026, 3, 31)
    assert (
        ws.cell(rows[a], head.index(x["owner"]) + 1).value == "合规部 张*"
    )  # the person masked by default, the department kept
    checked = again[x["responses_sheet"]]
    values = [c.value for row in checked.iter_rows() for c in row]
    assert "合规部 张*" in values and "合规部 张三" not in values and "是" in values


def test_every_bad_row_is_rejected_with_its_reason(done, tmp_path):
    result, path, _ = done
    a, b = ids_of(result)[:2]
    c = ids_of(result, "SOD-003")[0] if ids_of(result, "SOD-003") else None
    answers = {
        a: {"action": "调整岗位", "due_date": "明年"},  # bad due date
        b: {"action": "", "due_date": "2026-03-31", "owner": "某人"},  # empty action
    }
    if c:
        answers[c] = {"action": "整改", "response": "无日期"}  # missing due date

    def mangle(wb):
        ws = wb["SOD-001"]
        head, first = xlsx_table(ws)
        x = TEXT["zh"]
        extra = ws.max_row + 1
        ws.cell(extra, head.index(x["finding_id"]) + 1).value = "ffffffffffffffff"  # unknown id
        ws.cell(extra, head.index(x["action"]) + 1).value = "整改"
        ws.cell(extra, head.index(x["due_date"]) + 1).value = dt.datetime(2026, 5, 1)
        ws.cell(extra + 1, head.index(x["action"]) + 1).value = "没有编号的行"  # no id
        ws.cell(extra + 1, head.index(x["due_date"]) + 1).value = "2026-05-01"
        ws.cell(extra + 2, head.index(x["finding_id"]) + 1).value = a  # a formula
        ws.cell(extra + 2, head.index(x["action"]) + 1).value = '=CONCAT("a","b")'
        ws.cell(extra + 2, head.index(x["due_date"]) + 1).value = "2026-31-02"  # no such day

    got = read_responses(fill(path, tmp_path / "bad.xlsx", answers, edit=mangle), result.findings, "zh")
    reasons = dict(zip(got["where"], got["reason"], strict=True))
    assert not got["accepted"].any()
    assert len(got) == len(answers) + 3  # accepted + rejected = the rows that say something
    text = "\n".join(reasons.values())
    for expected in (
        "计划完成日期无法识别：'明年'",
        "整改措施为空",
        "不在本期发现中",
        "缺少发现编号",
        "为公式",
    ):
        assert expected in text, expected
    if c:
        assert "缺少计划完成日期" in text
    assert "计划完成日期无法识别：'2026-31-02'" in text


def test_a_second_answer_to_the_same_finding_is_rejected(done, tmp_path):
    result, _, _ = done
    a = ids_of(result)[0]
    csv = tmp_path / "r.csv"
    csv.write_text(
        "finding_id,owner,action,due_date,response\n"
        f"{a},张三,调整,2026-03-31,\n{a},李四,再调整,2026-04-30,\n\n",
        encoding="utf-8",
    )
    got = read_responses(csv, result.findings, "en")
    assert got["accepted"].tolist() == [True, False]
    assert "already answered at line 2" in got.loc[1, "reason"] and got.loc[1, "where"] == "line 3"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda wb: wb["SOD-001"].cell(*_cell(wb, "action")).__setattr__("value", "措施"),
            "整改措施 / action",
        ),
        (lambda wb: [wb.remove(ws) for ws in list(wb) if "整改措施" in str(xlsx_table(ws)[0])], "no sheet"),
    ],
    ids=["renamed column", "findings sheets deleted"],
)
def test_a_mangled_workbook_is_a_clear_error(done, tmp_path, edit, message):
    result, path, _ = done
    with pytest.raises(ResponsesError, match=re.escape(message)):
        read_responses(fill(path, tmp_path / "m.xlsx", {}, edit=edit), result.findings, "zh")


def _cell(wb, field):
    head, first = xlsx_table(wb["SOD-001"])
    return first - 1, head.index(TEXT["zh"][field]) + 1


def test_merged_cells_and_extra_sheets_are_read_or_rejected_never_a_crash(done, tmp_path):
    result, path, _ = done
    a, b = ids_of(result)[:2]

    def mangle(wb):
        extra = wb.create_sheet("我的备注")
        extra["A1"], extra["B1"] = "发现编号", "随便写写"
        extra["A2"] = a
        ws = wb["SOD-001"]
        head, first = xlsx_table(ws)
        col = head.index(TEXT["zh"]["finding_id"]) + 1
        ws.merge_cells(start_row=first, start_column=col, end_row=first + 1, end_column=col)  # b's id lost

    answers = {
        a: {"action": "调整", "due_date": "2026-03-31"},
        b: {"action": "复核", "due_date": "2026-03-31"},
    }
    got = read_responses(fill(path, tmp_path / "merged.xlsx", answers, edit=mangle), result.findings, "zh")
    assert len(got) == 2 and got["accepted"].sum() == 1
    assert got.loc[~got["accepted"], "reason"].item() == "缺少发现编号"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip", "not a readable Excel workbook"),
        (b"", "not a readable Excel workbook"),
    ],
)
def test_a_file_that_is_no_workbook_is_a_clear_error(done, tmp_path, content, message):
    result, _, _ = done
    bad = tmp_path / "r.xlsx"
    bad.write_bytes(content)
    with pytest.raises(ResponsesError, match=message):
        read_responses(bad, result.findings, "zh")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.csv", "finding_id,owner,action\nx,y,z\n", "column missing: due_date, response"),
        ("r.csv", "", "is empty"),
        ("r.pdf", "x", "expected the returned workbook"),
        ("missing.csv", None, "file not found"),
    ],
)
def test_bad_csv_files_are_clear_errors(done, tmp_path, name, content, message):
    result, _, _ = done
    f = tmp_path / name
    if content is not None:
        f.write_text(content, encoding="utf-8")
    with pytest.raises(ResponsesError, match=message):
        read_responses(f, result.findings, "zh")


def test_csv_in_gb18030_with_chinese_headers_and_dates_in_words(done, tmp_path):
    result, _, _ = done
    a = ids_of(result)[0]
    f = tmp_path / "r.csv"
    f.write_bytes(
        f"发现编号,责任人,整改措施,计划完成日期,机构回复\n{a},张三,调整岗位,2026年3月31日,好\n".encode(
            "gb18030"
        )
    )
    got = read_responses(f, result.findings, "zh")
    assert got["accepted"].all() and got.loc[0, "due_date"] == "2026-03-31"


def test_responses_csv_follows_the_contract_and_masks(done, tmp_path):
    result, path, _ = done
    a, b = ids_of(result)[:2]
    answers = {
        a: {"owner": "张三", "action": "调整 13812345678", "due_date": "2026-03-31"},
        b: {"action": "", "due_date": "x"},
    }
    got = read_responses(fill(path, tmp_path / "b.xlsx", answers), result.findings, "zh")
    out = pd.read_csv(write_csv(got, tmp_path), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(out.columns) == COLUMNS
    assert out["accepted"].tolist() == ["true", "false"]
    assert out.loc[0, "owner"] == "张*" and "13812345678" not in out.loc[0, "action"]
    assert out.loc[0, "reason"] == "" and out.loc[1, "reason"]
    full = pd.read_csv(write_csv(got, tmp_path, personal_data=True), dtype=str, encoding="utf-8-sig")
    assert full.loc[0, "owner"] == "张三"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_section_escaped_masked_and_without_code_words(tmp_path, lang):
    result, _ = audit(tmp_path, language=lang)
    path = write_workbook(result, tmp_path / "f.xlsx")
    a, b = ids_of(result)[:2]
    answers = {
        a: {"owner": "张三", "action": PAYLOAD, "due_date": "2026-03-31", "response": PAYLOAD},
        b: {"action": "", "due_date": "2026-03-31"},
    }
    got = read_responses(fill(path, tmp_path / "b.xlsx", answers, lang=lang), result.findings, lang)
    page = responses_section(result, got)
    assert PAYLOAD not in page and "&lt;script&gt;" in page
    assert "张三" not in page and "张*" in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\b(finding_id|due_date|owner|True|False|None|nan)\b", text)
    assert a in page and b in page  # every finding shown with its id
    assert ("机构整改回复" if lang == "zh" else "The institution&#x27;s responses") in page
    assert responses_section(result, None, None) == ""


def _period(tmp: Path, data: dict, period_end: str, as_of: str, previous: Path | None = None, **extra):
    """One audited period written out the way the runner does: findings.csv and a manifest naming its
    params."""
    params = {"period_start": f"{period_end[:4]}-01-01", "period_end": period_end, "as_of": as_of, **extra}
    if previous is not None:
        params["previous_dir"] = str(previous)
    result, params_file = audit(tmp, data, **params)
    tracking = track_result(result, result.params.previous_dir, params_file)
    out = tmp / "out"
    write_tables(result, out)
    manifest = {"params": result.params.model_dump(mode="json"), "params_file": str(params_file)}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return result, tracking, out


def test_next_period_lists_overdue_actions_and_findings_resolved_then_recurring(tmp_path):
    # SOD-001: 004 holds promotion + counter throughout; 001 only on 2025-03-01, and again on 2027-03-01
    p1, _, out1 = _period(tmp_path / "p1", DATA, "2025-12-31", "2026-01-31")
    assert len(ids_of(p1)) == 2
    p2, _, out2 = _period(tmp_path / "p2", DATA, "2026-12-31", "2027-01-31", previous=out1)
    (still,) = ids_of(p2)
    (kept,) = set(ids_of(p1)) - {still}
    answers = pd.DataFrame(
        [
            {
                "finding_id": still,
                "owner": "张三",
                "action": "撤销兼岗",
                "due_date": "2027-03-31",
                "response": "",
            },
            {"finding_id": still, "owner": "", "action": "x", "due_date": "bad", "response": ""},
        ]
    ).assign(accepted=[True, False], reason=["", "bad"])
    write_csv(answers, out2)
    again = {**DATA, "staff_roles": DATA["staff_roles"] + "001,counter,2027-03-01,2027-03-01\n"}
    p3, t3, _ = _period(tmp_path / "p3", again, "2027-12-31", "2028-01-31", previous=out2)
    fu = follow_up(p3, t3)
    assert fu.overdue["finding_id"].tolist() == [still]
    assert fu.overdue["days_overdue"].tolist() == [(dt.date(2028, 1, 31) - dt.date(2027, 3, 31)).days]
    recurred = fu.recurred[fu.recurred["rule_code"] == "SOD-001"]
    assert recurred["finding_id"].tolist() == [kept]  # found in p1, not in p2, found again in p3
    assert fu.before_label == "2025-01-01 — 2025-12-31"
    page = responses_section(p3, None, fu)
    assert "逾期" in page and still in page and "撤销兼岗" in page and "张*" in page and kept in page
    # before the due date the promise is pending; without last period's responses.csv nothing is promised
    early = follow_up(_with_as_of(p3, dt.date(2027, 3, 1)), t3)
    assert early.promised["state"].tolist() == ["pending"] and not len(early.overdue)
    (out2 / "responses.csv").unlink()
    assert not len(follow_up(p3, t3).promised)
    assert "未收到机构的整改回复" in responses_section(p3, None, follow_up(p3, t3))


def _with_as_of(result, as_of: dt.date):
    from dataclasses import replace

    return replace(result, params=result.params.model_copy(update={"as_of": as_of}))


def test_audit_reads_params_responses_writes_responses_csv_and_the_section(done, tmp_path):
    from auditlib.manifest import write_manifest
    from auditlib.notebook import Audit

    result, path, _ = done
    a = ids_of(result)[0]
    bundle_dir(tmp_path / "data", DATA)
    (tmp_path / "params").mkdir()
    fill(path, tmp_path / "params" / "returned.xlsx", {a: {"action": "调整", "due_date": "2026-03-31"}})
    params_file = write_params(
        tmp_path / "params" / "inst.yaml", "../data", rules="[SOD]", responses="returned.xlsx"
    )
    audit_ = Audit.start(params_file=str(params_file), output_dir=str(tmp_path / "out"))
    assert audit_.response_rows()["accepted"].tolist() == [True]
    assert "机构整改回复" in audit_.responses().data
    names = {p.name for p in audit_.write_outputs()}
    assert {"responses.csv", "findings.xlsx"} <= names
    for name in ("report.html", "report.ipynb"):
        (tmp_path / "out" / name).write_text("x", encoding="utf-8")
    manifest = json.loads(write_manifest(tmp_path / "out", {}).read_text(encoding="utf-8"))
    assert "responses.csv" in manifest["outputs"]
    # without responses in params: no file, no section
    plain = Audit.start(params_file=str(write_params(tmp_path / "p2" / "i.yaml", str(tmp_path / "data"))))
    assert plain.response_rows() is None and plain.responses().data == ""


def test_follow_up_period_keeps_weekdays_drops_what_is_after_as_of_and_keeps_bad_cells(tmp_path):
    import csv

    from auditlib.demo.followup import AS_OF, later, shift_table

    assert later("2025-03-04") == "2026-03-03" and later("2025-03-04 10:15") == "2026-03-03 10:15"
    assert dt.date.fromisoformat(later("2025-03-04")).weekday() == dt.date(2025, 3, 4).weekday()
    assert later("2025-02-30 10:15:00") == "2025-02-30 10:15:00" and later("无") == "无"
    src = tmp_path / "staff.csv"
    src.write_text(
        "staff_id,name,hire_date,leave_date\n"
        "001,张三,2020-01-01,2025-12-01\n"  # a leave date after as_of is planned: kept
        "002,李四,2025-10-01,\n"  # hired 2026-09-30: after as_of, not in the extract
        '003,"王,五",not a date,\n'
        "004,赵六\n",  # a malformed record stays malformed
        encoding="gbk",
    )
    assert shift_table(src, tmp_path / "out.csv") == 3
    rows = list(csv.reader((tmp_path / "out.csv").read_text(encoding="gbk").splitlines()))
    assert rows[1] == ["001", "张三", "2020-12-30", "2026-11-30"] and AS_OF < dt.date(2026, 11, 30)
    assert rows[2] == ["003", "王,五", "not a date", ""] and rows[3] == ["004", "赵六"]


def test_the_demo_responses_file_has_good_and_rejected_rows_for_demo_a(tmp_path):
    from auditlib.demo import write_demo
    from auditlib.engine import finding_id

    root = Path(__file__).resolve().parents[1]
    write_demo(tmp_path, names=["demo-a"])
    key = pd.read_csv(tmp_path / "demo-a" / "_expected_findings.csv", dtype=str)
    findings = pd.DataFrame(
        {
            "finding_id": [
                finding_id("demo-a", r, e) for r, e in zip(key["rule_code"], key["entity_id"], strict=True)
            ]
        }
    )
    got = read_responses(root / "params" / "demo-a-responses.csv", findings, "zh")
    assert got["accepted"].sum() == 5 and (~got["accepted"]).sum() == 5
    from auditlib.params import read_params_file

    annual = read_params_file(root / "params" / "demo-a.yaml")
    assert annual["responses"] == "demo-a-responses.csv"
    nxt = read_params_file(root / "params" / "next" / "demo-a.yaml")
    assert nxt["institution_id"] == "demo-a" and nxt["previous_dir"].endswith("outputs/demo-a/2025-12-31")
    assert nxt["period_start"] > annual["period_end"]  # ISO dates compare as text
