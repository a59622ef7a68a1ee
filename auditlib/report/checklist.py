"""The manual-procedure checklist (`auditlib checklist`): one line per clause the data cannot settle alone.

Written for an examiner to fill and return as params `attestations`: the working-paper header block, the
clause's own text, the procedure (and for partly covered clauses what the data leaves out), a drop-down for the
result, a date-checked date column, wrapped text and an A4 landscape print set-up. Headers and values are in the
report language; `auditlib.attestations` reads back either language (and the contract's column names).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from ..attestations import COLUMNS, RESULT_LABELS
from ..clauses import Clause, checklist
from ..params import AuditParams

TEXT = {
    "zh": {
        "title": "人工检查程序底稿（条款覆盖）",
        "sheet": "人工检查程序",
        "institution": "被检查机构",
        "period": "检查期间",
        "as_of": "检查基准日",
        "prepared": "编制人 / 日期",
        "reviewed": "复核人 / 日期",
        "how": "填写说明：每行执行所列检查程序后，在“检查结论”栏选择符合、不符合或不适用，填写证据索引（底稿编号或文件名）、"
        "执行人和执行日期（年-月-日）。未填写的行视为未执行。填妥后在参数文件中以 attestations 指定本文件，重新运行检查。",
        "not_covered": "数据未覆盖：",
        "result_prompt": "请选择：符合、不符合、不适用",
        "date_prompt": "年-月-日，不早于检查期间起始日",
    },
    "en": {
        "title": "Manual-procedure checklist (clause coverage)",
        "sheet": "Manual procedures",
        "institution": "Institution",
        "period": "Audit period",
        "as_of": "As of",
        "prepared": "Prepared by / on",
        "reviewed": "Reviewed by / on",
        "how": "How to fill: after performing a line's procedure, choose pass, fail or n/a under Result and fill the "
        "evidence reference (working-paper number or file name), who performed it and when (YYYY-MM-DD). "
        "Lines left empty count as not performed. Name this file as attestations in the params file and run "
        "the audit again.",
        "not_covered": "Not covered by the data: ",
        "result_prompt": "Choose pass, fail or n/a",
        "date_prompt": "YYYY-MM-DD, not before the audit period starts",
    },
}
ORDER = list(COLUMNS)
WIDTHS = {
    "clause_id": 10,
    "requirement": 48,
    "procedure": 52,
    "result": 11,
    "evidence_ref": 16,
    "performed_by": 11,
    "performed_on": 12,
    "note": 24,
}
HEADER_ROW = 7  # zero-based: six lines of header block and a blank line above the table


def requirement(c: Clause, lang: str) -> str:
    return c.text_zh if lang == "zh" else f"{c.text_zh}\n({c.gloss_en})"


def procedure(c: Clause, lang: str) -> str:
    text = c.procedure[lang]
    if c.kind == "data" and c.not_covered:
        text = f"{TEXT[lang]['not_covered']}{c.not_covered[lang]}\n{text}"
    return text


def write_checklist(params: AuditParams, path: str | Path) -> Path:
    """Write the checklist for this institution and period; returns the path."""
    lang = params.language
    tx = TEXT[lang]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    wb.set_properties(
        {
            "title": f"{tx['title']} {params.institution_name} {params.period_end}",
            "created": dt.datetime.combine(params.as_of, dt.time()),
        }
    )
    bold = wb.add_format({"bold": True, "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format(
        {"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True, "valign": "top"}
    )
    wrap = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    cell = wb.add_format({"valign": "top", "border": 1})
    fill = wb.add_format({"valign": "top", "border": 1, "bg_color": "#FFF9E0", "text_wrap": True})
    date = wb.add_format({"valign": "top", "border": 1, "bg_color": "#FFF9E0", "num_format": "yyyy-mm-dd"})
    line = wb.add_format({"bottom": 1})
    note = wb.add_format({"text_wrap": True, "valign": "top", "italic": True})

    ws = wb.add_worksheet(tx["sheet"])
    last = len(ORDER) - 1
    ws.merge_range(0, 0, 0, last, tx["title"], title)
    ws.write(1, 0, tx["institution"], bold)
    ws.merge_range(
        1,
        1,
        1,
        3,
        f"{params.institution_name}（{params.institution_id}）"
        if lang == "zh"
        else f"{params.institution_name} ({params.institution_id})",
        None,
    )
    ws.write(2, 0, tx["period"], bold)
    ws.merge_range(2, 1, 2, 3, f"{params.period_start} – {params.period_end}", None)
    ws.write(2, 4, tx["as_of"], bold)
    ws.write(2, 5, str(params.as_of))
    ws.write(3, 0, tx["prepared"], bold)
    ws.merge_range(3, 1, 3, 3, "", line)
    ws.write(4, 0, tx["reviewed"], bold)
    ws.merge_range(4, 1, 4, 3, "", line)
    ws.merge_range(5, 0, 5, last, tx["how"], note)
    ws.set_row(5, 48)

    for j, key in enumerate(ORDER):
        ws.write(HEADER_ROW, j, COLUMNS[key][lang], head)
        ws.set_column(j, j, WIDTHS[key])
    rows = checklist()
    for i, c in enumerate(rows, start=HEADER_ROW + 1):
        ws.write(i, 0, c.id, cell)
        ws.write(i, 1, requirement(c, lang), wrap)
        ws.write(i, 2, procedure(c, lang), wrap)
        for key in ("result", "evidence_ref", "performed_by", "note"):
            ws.write_blank(i, ORDER.index(key), None, fill)
        ws.write_blank(i, ORDER.index("performed_on"), None, date)
    first, end = HEADER_ROW + 1, HEADER_ROW + len(rows)
    col = ORDER.index("result")
    ws.data_validation(
        first,
        col,
        end,
        col,
        {
            "validate": "list",
            "source": list(RESULT_LABELS[lang].values()),
            "input_message": tx["result_prompt"],
            "error_message": tx["result_prompt"],
        },
    )
    col = ORDER.index("performed_on")
    ws.data_validation(
        first,
        col,
        end,
        col,
        {
            "validate": "date",
            "criteria": ">=",
            "value": dt.datetime.combine(params.period_start, dt.time()),
            "input_message": tx["date_prompt"],
            "error_message": tx["date_prompt"],
        },
    )
    ws.freeze_panes(HEADER_ROW + 1, 1)
    ws.autofilter(HEADER_ROW, 0, end, last)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.repeat_rows(HEADER_ROW)
    ws.fit_to_pages(1, 0)
    name = params.institution_name.replace("&", "&&")  # & starts a header control code
    ws.set_header(f"&L{name}&R{params.period_start} – {params.period_end}")
    ws.set_footer("&C&P / &N")
    wb.close()
    return path
