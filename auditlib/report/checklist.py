"""The manual-procedure checklist (`auditlib checklist`): one line per clause the data cannot settle alone.

Written for an examiner to fill and return as params `attestations`: the working-paper header block, the
clause's own text, the procedure (and for partly covered clauses what the data leaves out), a drop-down for
the result, a date-checked date column, wrapped text and an A4 landscape print set-up. Headers and values are
in the report language; `auditlib.attestations` reads back either language (and the contract's column names).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from ..attestations import COLUMNS, RESULT_LABELS, Attestations, parse_date
from ..clauses import Clause, checklist
from ..i18n import t
from ..params import AuditParams

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
        text = f"{t('cl_not_covered', lang)}{c.not_covered[lang]}\n{text}"
    return text


def _previous(att: Attestations | None) -> dict[str, dict]:
    """clause id -> its line in an earlier filled checklist: the accepted one, else the last rejected one."""
    if att is None:
        return {}
    out: dict[str, dict] = {}
    for r in att.rows.to_dict("records"):
        if r["accepted"] or not out.get(r["clause_id"], {}).get("accepted"):
            out[r["clause_id"]] = r
    return out


def write_checklist(params: AuditParams, path: str | Path, previous: Attestations | None = None) -> Path:
    """Write the checklist for this institution and period; returns the path. With `previous` (the filled
    checklist the params name), its lines are carried over, a rejected one with its reason in the note."""
    lang = params.language
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    wb.set_properties(
        {
            "title": f"{t('cl_title', lang)} {params.institution_name} {params.period_end}",
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

    ws = wb.add_worksheet(t("cl_sheet", lang))
    last = len(ORDER) - 1
    ws.merge_range(0, 0, 0, last, t("cl_title", lang), title)
    ws.write(1, 0, t("cl_institution", lang), bold)
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
    ws.write(2, 0, t("cl_period", lang), bold)
    ws.merge_range(2, 1, 2, 3, f"{params.period_start} – {params.period_end}", None)
    ws.write(2, 4, t("cl_as_of", lang), bold)
    ws.write(2, 5, str(params.as_of))
    ws.write(3, 0, t("cl_prepared", lang), bold)
    ws.merge_range(3, 1, 3, 3, "", line)
    ws.write(4, 0, t("cl_reviewed", lang), bold)
    ws.merge_range(4, 1, 4, 3, "", line)
    ws.merge_range(5, 0, 5, last, t("cl_how", lang), note)
    ws.set_row(5, 48)

    for j, key in enumerate(ORDER):
        ws.write(HEADER_ROW, j, COLUMNS[key][lang], head)
        ws.set_column(j, j, WIDTHS[key])
    rows = checklist()
    carried = _previous(previous)
    for i, c in enumerate(rows, start=HEADER_ROW + 1):
        ws.write(i, 0, c.id, cell)
        ws.write(i, 1, requirement(c, lang), wrap)
        ws.write(i, 2, procedure(c, lang), wrap)
        was = carried.get(c.id)
        if was is None:
            for key in ("result", "evidence_ref", "performed_by", "note"):
                ws.write_blank(i, ORDER.index(key), None, fill)
            ws.write_blank(i, ORDER.index("performed_on"), None, date)
            continue
        result = RESULT_LABELS[lang].get(was["result"], was["result"])
        note = was["note"]
        if not was["accepted"]:
            reason = was["reason_zh"] if lang == "zh" else was["reason"]
            note = f"{t('cl_rejected', lang)}{reason}" + (f"\n{note}" if note else "")
        for key, value in (
            ("result", result),
            ("evidence_ref", was["evidence_ref"]),
            ("performed_by", was["performed_by"]),
            ("note", note),
        ):
            ws.write_string(i, ORDER.index(key), str(value or ""), fill)
        day = parse_date(was["performed_on"])
        if day:
            ws.write_datetime(i, ORDER.index("performed_on"), dt.datetime.combine(day, dt.time()), date)
        else:
            ws.write_string(i, ORDER.index("performed_on"), str(was["performed_on"] or ""), date)
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
            "input_message": t("cl_result_prompt", lang),
            "error_message": t("cl_result_prompt", lang),
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
            "input_message": t("cl_date_prompt", lang),
            "error_message": t("cl_date_prompt", lang),
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
