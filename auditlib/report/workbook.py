"""findings.xlsx: the working papers an auditor prints, files and sends to the institution for its responses.

Every sheet opens with the working-paper header block (institution, period, index number, prepared by / on,
reviewed by / on, a link back to the index); the first sheet is the index, with a link to every sheet. A
rule's sheet states what was required, the clauses it tests, population, exceptions, rate and a conclusion
line, with a drop-down for the reviewer's conclusion, then the findings: headers and values in the report
language (the finding id, rule codes and the institution's own column names stay as they are: tools and the
institution match them), rates as percentages, amounts as #,##0.00, dates and timestamps as Excel dates, long
text wrapped, the header row frozen and filtered, printed A4 landscape, fit to width, the header row repeated.

The findings sheets carry the response columns (owner, action, due date, response) for the institution: those
cells, the sign-off cells and the sample's re-performance columns are unlocked, the rest of every sheet is
protected against accidental edits (no password: protection is a guard, not a secret). `auditlib.report
.responses` reads the returned workbook back.

Written with xlsxwriter cell by cell (findings are few and samples bounded, so the cost does not grow with
the institution's data); no text ever becomes a formula or a link. Personal data is masked unless params say
`show_personal_data: true`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from ..clauses import clauses, sources
from ..engine import AuditResult
from ..i18n import TEXT as I18N
from ..i18n import VOCAB, t
from ..load import QUALITY_COLUMNS
from ..mask import mask_columns
from ..rules import REGISTRY
from .files import RECHECK, _unique, _width, dates_as_dates, rule_sheet, sample_index
from .html import fmt_rate, quality_frame, requirement
from .sample import Sample

#: the response columns of the findings sheets (run contract: `owner, action, due_date, response`)
RESPONSE_FIELDS = ("owner", "action", "due_date", "response")
#: the response columns holding personal data: names, then free text (masked unless show_personal_data)
RESPONSE_PII = (("owner",), ("action", "response"))
#: more rows than this on one sheet are cut, with a note pointing to the CSV that has them all: a sheet is
#: a working paper to print and answer, not the data (and xlsxwriter writes ~100,000 cells a second)
MAX_ROWS = 10_000
EXCEL_EPOCH = np.datetime64("1899-12-30")
#: whole numbers that are positions or keys, not quantities: no thousands separator
PLAIN_INTS = {"row", "sample_no"}

TEXT = {
    "zh": {
        "index": "索引",
        "index_title": "工作底稿索引",
        "institution": "被检查机构",
        "period": "期间",
        "index_no": "索引号",
        "prepared": "编制人/日期",
        "reviewed": "复核人/日期",
        "back": "← 返回索引",
        "sheet": "工作表",
        "content": "内容",
        "rows": "行数",
        "requirement": "检查要求",
        "clauses": "依据条款",
        "population": "测试总体",
        "exceptions": "例外数",
        "rate": "例外率",
        "conclusion": "结论",
        "review_conclusion": "复核结论",
        "review_choices": ("同意", "不同意", "需补充程序"),
        "recheck_choices": ("相符", "不相符", "不适用"),
        "concl_none": "测试总体 {pop} 项，未发现例外。",
        "concl_some": "测试总体 {pop} 项，发现例外 {exc} 项（例外率 {rate}），其中待整改 {open} 项、"
        "已批准例外 {mit} 项，明细见下表。",
        "finding_id": "发现编号",
        "rule_code": "规则编号",
        "title": "名称",
        "family": "类别",
        "severity": "严重程度",
        "status": "状态",
        "rule_status": "测试结果",
        "tested": "已测试",
        "not_tested_reason": "未测试原因",
        "open": "待整改",
        "mitigated": "已批准例外",
        "error": "运行错误",
        "tracking": "与上期比较",
        "entity_id": "对象",
        "occurred_at": "发生时间",
        "detail": "说明",
        "evidence": "证据（源数据行）",
        "mitigation": "例外批准",
        "owner": "责任人",
        "action": "整改措施",
        "due_date": "计划完成日期",
        "response": "机构回复",
        "accepted": "是否接受",
        "reason": "不接受原因",
        "source_table": "数据表",
        "scope": "抽样范围",
        "rows_in_scope": "范围内行数",
        "rule_population": "规则测试总体",
        "sample_size": "样本量",
        "seed": "随机种子",
        "where": "位置",
        "sample_no": "样本序号",
        "row": "源数据行",
        "table": "数据表",
        "column": "列",
        "quality_action": "处理",
        "quality_reason": "原因",
        "yes": "是",
        "no": "否",
        "new": "新发现",
        "recurring": "重复发现",
        "resolved": "已整改",
        "not_retested": "本期未复测",
        "responses_sheet": "机构回复校验",
        "cut": "仅列出前 {n} 行，全部见 {file}。",
        "due_hint": "请填写日期，如 2026-03-31",
        "due_error": "计划完成日期须为日期",
    },
    "en": {
        "index": "Index",
        "index_title": "Index of working papers",
        "institution": "Institution",
        "period": "Period",
        "index_no": "Index no.",
        "prepared": "Prepared by / on",
        "reviewed": "Reviewed by / on",
        "back": "← back to index",
        "sheet": "Sheet",
        "content": "Content",
        "rows": "Rows",
        "requirement": "Requirement",
        "clauses": "Clauses",
        "population": "Population",
        "exceptions": "Exceptions",
        "rate": "Rate",
        "conclusion": "Conclusion",
        "review_conclusion": "Review conclusion",
        "review_choices": ("agreed", "not agreed", "further work needed"),
        "recheck_choices": ("agrees", "exception", "n/a"),
        "concl_none": "Population {pop}; no exceptions.",
        "concl_some": "Population {pop}; {exc} exceptions (rate {rate}): {open} open, {mit} approved "
        "exceptions; listed below.",
        "finding_id": "Finding id",
        "rule_code": "Rule",
        "title": "Title",
        "family": "Family",
        "severity": "Severity",
        "status": "Status",
        "rule_status": "Result",
        "tested": "Tested",
        "not_tested_reason": "Why not tested",
        "open": "Open",
        "mitigated": "Approved exceptions",
        "error": "Error",
        "tracking": "Against previous period",
        "entity_id": "Entity",
        "occurred_at": "Occurred",
        "detail": "Detail",
        "evidence": "Evidence (source rows)",
        "mitigation": "Approved exception",
        "owner": "Owner",
        "action": "Action",
        "due_date": "Due date",
        "response": "Response",
        "accepted": "Accepted",
        "reason": "Why not accepted",
        "source_table": "Table",
        "scope": "Scope",
        "rows_in_scope": "Rows in scope",
        "rule_population": "Rule population",
        "sample_size": "Sample size",
        "seed": "Seed",
        "where": "Where",
        "sample_no": "Sample no.",
        "row": "Source row",
        "table": "Table",
        "column": "Column",
        "quality_action": "Handling",
        "quality_reason": "Reason",
        "yes": "yes",
        "no": "no",
        "new": "new",
        "recurring": "recurring",
        "resolved": "resolved",
        "not_retested": "not retested",
        "responses_sheet": "Responses checked",
        "cut": "First {n} rows only; all of them in {file}.",
        "due_hint": "Enter a date, e.g. 2026-03-31",
        "due_error": "The due date must be a date",
    },
}

#: columns whose text is long: wrapped, wider
WRAPPED = {
    "detail",
    "evidence",
    "mitigation",
    "action",
    "response",
    "reason",
    "scope",
    "title",
    "description",
}
WIDE = {
    "quality_reason": 60,
    "detail": 60,
    "action": 40,
    "response": 40,
    "scope": 50,
    "description": 50,
    "reason": 50,
}


def tx(key: str, lang: str):
    return TEXT[lang][key]


def response_labels() -> dict[str, str]:
    """Every header the reader accepts for a response column (either language, or the contract's name) ->
    the contract's name."""
    out = {}
    for field in ("finding_id", *RESPONSE_FIELDS):
        out[field] = field
        for lang in TEXT:
            out[TEXT[lang][field].casefold()] = field
    return out


@dataclass
class Meta:
    """The header block's values for this workbook."""

    institution: str
    period: str
    lang: str


class Formats:
    """xlsxwriter formats by kind, each locked (default) or unlocked."""

    KINDS = {
        "text": {},
        "wrap": {"text_wrap": True},
        "date": {"num_format": "yyyy-mm-dd"},
        "datetime": {"num_format": "yyyy-mm-dd hh:mm:ss"},
        "money": {"num_format": "#,##0.00"},
        "int": {"num_format": "#,##0"},
        "id": {"num_format": "0"},
        "rate": {"num_format": "0.00%"},
        "rate_small": {"num_format": "0.000%"},
        "head": {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"},
        "title": {"bold": True, "font_size": 14},
        "label": {"bold": True, "bg_color": "#F2F2F2", "border": 1, "valign": "top"},
        "value": {"border": 1, "text_wrap": True, "valign": "top"},
        "sign": {"border": 1, "bg_color": "#FFF9E5"},
        "link": {"font_color": "#1F4E79", "underline": 1},
        "note": {"italic": True, "font_color": "#595959"},
    }

    def __init__(self, book):
        self.book, self.cache = book, {}

    def __call__(self, kind: str, unlocked: bool = False, **extra):
        key = (kind, unlocked, tuple(sorted(extra.items())))
        if key not in self.cache:
            props = {"valign": "top", **self.KINDS[kind], **extra}
            if unlocked:
                props.update({"locked": False, "bg_color": props.get("bg_color", "#FFF9E5")})
            self.cache[key] = self.book.add_format(props)
        return self.cache[key]


@dataclass
class Column:
    key: str  # the frame's column
    head: str
    kind: str  # text wrap date datetime money int rate
    width: int
    values: list  # floats (NaN = blank) for numbers and dates, text otherwise
    unlocked: bool = False


def _text(s: pd.Series) -> list[str]:
    return [v if isinstance(v, str) else "" if _blank(v) else str(v) for v in s.tolist()]


def _blank(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _prepare(key: str, s: pd.Series, lang: str) -> tuple[str, list]:
    """The cell kind of a column and its values as cells take them: Excel serial days for dates, floats for
    numbers, text otherwise (booleans as yes / no in the report language)."""
    if pd.api.types.is_bool_dtype(s):
        return "text", ["" if pd.isna(v) else tx("yes" if v else "no", lang) for v in s]
    if pd.api.types.is_datetime64_any_dtype(s):
        a = s.to_numpy(dtype="datetime64[ns]")
        ok = a[~np.isnat(a)]
        kind = "date" if key == "due_date" or (ok.astype("datetime64[D]") == ok).all() else "datetime"
        return kind, ((a - EXCEL_EPOCH) / np.timedelta64(1, "D")).tolist()
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s):
        v = s.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        v[~np.isfinite(v)] = np.nan
        if pd.api.types.is_integer_dtype(s):
            return ("id" if key in PLAIN_INTS else "int"), v.tolist()
        return ("rate" if "rate" in key or "ratio" in key else "money"), v.tolist()
    return ("wrap" if key in WRAPPED else "text"), _text(s)


def _col_width(key: str, head: str, kind: str, values: list) -> int:
    if key in WIDE:
        return WIDE[key]
    if kind == "date":
        return max(12, _width(head) + 2)
    if kind == "datetime":
        return max(20, _width(head) + 2)
    if kind in ("money", "int", "id", "rate"):
        return max(12, _width(head) + 2)
    longest = max(_width(head), max(map(_width, values[:200]), default=0))
    return min(max(10, int(longest * 1.15) + 2), 50 if kind == "wrap" else 40)


def columns_of(df: pd.DataFrame, lang: str, unlocked: Iterable[str] = ()) -> list[Column]:
    unlocked = set(unlocked)
    out = []
    for i, key in enumerate(df.columns):
        head = TEXT[lang].get(key)
        head = head if isinstance(head, str) else str(key)
        kind, values = _prepare(key, df.iloc[:, i], lang)
        out.append(Column(key, head, kind, _col_width(key, head, kind, values), values, key in unlocked))
    return out


class Papers:
    """One workbook being written: sheets are added in order and the index is filled last."""

    def __init__(self, path: Path, meta: Meta, created: dt.datetime):
        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "in_memory": True,
                "nan_inf_to_errors": True,
            },
        )
        self.book.set_properties({"title": f"{meta.institution} {meta.period}", "created": created})
        self.f = Formats(self.book)
        self.meta = meta
        self.entries: list[tuple[str, str, str, int]] = []  # (index no, sheet, content, rows)
        self.index = self.book.add_worksheet(tx("index", meta.lang))

    # ------------------------------------------------------------ blocks

    def header_block(self, ws, title: str, index_no: str, span: int) -> int:
        """Title, institution / period / index number, prepared / reviewed (unlocked), back link. Returns the
        next free row."""
        lang, f = self.meta.lang, self.f
        ws.write_string(0, 0, title, f("title"))
        if ws is not self.index:
            ws.write_url(2, 4, f"internal:'{tx('index', lang)}'!A1", f("link"), tx("back", lang))
        cells = [
            (1, 0, "institution", self.meta.institution),
            (1, 2, "period", self.meta.period),
            (1, 4, "index_no", index_no),
        ]
        for row, col, key, value in cells:
            ws.write_string(row, col, tx(key, lang), f("label"))
            ws.write_string(row, col + 1, value, f("value"))
        for col, key in ((0, "prepared"), (2, "reviewed")):
            ws.write_string(2, col, tx(key, lang), f("label"))
            ws.write_blank(2, col + 1, None, f("sign", unlocked=True))
        return 4

    def labelled(self, ws, row: int, key: str, text: str, span: int) -> int:
        """A label and a long value merged over the sheet's width; the row made tall enough to show it."""
        f, lang = self.f, self.meta.lang
        last = max(span, 6) - 1
        ws.write_string(row, 0, tx(key, lang), f("label"))
        ws.merge_range(row, 1, row, last, text, f("value"))
        room = max(sum(self.widths.get(c, 10) for c in range(1, last + 1)), 30)
        lines = sum(max(1, math.ceil(_width(part) / room)) for part in text.split("\n"))
        if lines > 1:
            ws.set_row(row, 15 * lines + 3)
        return row + 1

    # ------------------------------------------------------------ sheets

    def sheet(
        self,
        name: str,
        index_no: str,
        content: str,
        df: pd.DataFrame,
        *,
        unlocked: Iterable[str] = (),
        before=None,
        choices: dict[str, tuple[str, ...]] | None = None,
        csv_name: str | None = None,
        total: int | None = None,
    ):
        """A sheet: header block, `before(ws, row) -> row` (a rule's requirement...), then the table."""
        lang, f = self.meta.lang, self.f
        ws = self.book.add_worksheet(name)
        total = len(df) if total is None else total
        cut = total > len(df) or total > MAX_ROWS
        if cut:
            df = df.head(MAX_ROWS)
        cols = columns_of(df, lang, unlocked)
        self.widths = {i: c.width for i, c in enumerate(cols)}
        span = len(cols)
        row = self.header_block(
            ws, content if content.startswith(name) else f"{name} {content}", index_no, span
        )
        if before is not None:
            row = before(ws, row, span)
        if cut:
            ws.write_string(row, 0, tx("cut", lang).format(n=f"{MAX_ROWS:,}", file=csv_name), f("note"))
            row += 1
        head_row = row
        for i, c in enumerate(cols):
            ws.write_string(head_row, i, c.head, f("head"))
            ws.set_column(i, i, c.width)
        first = head_row + 1
        for i, c in enumerate(cols):
            self._column(ws, first, i, c)
        n = len(df)
        ws.freeze_panes(first, 0)
        if cols:
            ws.autofilter(head_row, 0, head_row + max(n, 1), len(cols) - 1)
        for i, c in enumerate(cols):
            if choices and c.key in choices:
                ws.data_validation(
                    first, i, first + max(n, 1) - 1, i, {"validate": "list", "source": list(choices[c.key])}
                )
            if c.key == "due_date" and c.unlocked:
                ws.data_validation(
                    first,
                    i,
                    first + max(n, 1) - 1,
                    i,
                    {
                        "validate": "date",
                        "criteria": "between",
                        "minimum": dt.date(2000, 1, 1),
                        "maximum": dt.date(2099, 12, 31),
                        "input_message": tx("due_hint", lang),
                        "error_message": tx("due_error", lang),
                    },
                )
        self.print_setup(ws, head_row, len(cols), index_no)
        ws.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})
        self.entries.append((index_no, name, content, total))
        return ws

    def _column(self, ws, first: int, col: int, c: Column) -> None:
        f = self.f
        if c.kind in ("date", "datetime", "money", "int", "id", "rate"):
            fmt = f(c.kind, c.unlocked)
            small = f("rate_small", c.unlocked) if c.kind == "rate" else fmt
            for r, v in enumerate(c.values, start=first):
                if v != v:  # NaN, NaT
                    ws.write_blank(r, col, None, fmt)
                else:
                    ws.write_number(r, col, v, small if 0 < v < 0.001 else fmt)
            return
        fmt = f(c.kind, c.unlocked)
        for r, v in enumerate(c.values, start=first):
            if v:
                ws.write_string(r, col, v, fmt)
            elif c.unlocked:
                ws.write_blank(r, col, None, fmt)

    def print_setup(self, ws, head_row: int, ncols: int, index_no: str) -> None:
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(head_row)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        amp = self.meta.institution.replace("&", "&&")
        ws.set_footer(f"&L{amp}&C&P / &N&R{index_no.replace('&', '&&')}")

    def write_index(self) -> None:
        lang, f, ws = self.meta.lang, self.f, self.index
        row = self.header_block(ws, tx("index_title", lang), "A", 4)
        heads = (tx("index_no", lang), tx("sheet", lang), tx("content", lang), tx("rows", lang))
        for i, (h, w) in enumerate(zip(heads, (12, 22, 60, 10), strict=True)):
            ws.write_string(row, i, h, f("head"))
            ws.set_column(i, i, w)
        for r, (no, name, content, n) in enumerate(self.entries, start=row + 1):
            ws.write_string(r, 0, no)
            ws.write_url(r, 1, f"internal:'{name}'!A1", f("link"), name)
            ws.write_string(r, 2, content, f("wrap"))
            ws.write_number(r, 3, n, f("int"))
        ws.freeze_panes(row + 1, 0)
        ws.autofilter(row, 0, row + max(len(self.entries), 1), 3)
        self.print_setup(ws, row, 4, "A")
        ws.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})
        ws.activate()

    def close(self) -> None:
        self.write_index()
        self.book.close()


# ------------------------------------------------------------ the frames of each sheet


def _period(result: AuditResult) -> str:
    p = result.params
    return f"{p.period_start} — {p.period_end}"


def summary_table(result: AuditResult, tracking=None) -> pd.DataFrame:
    lang = result.params.language
    s = result.summary
    status_key = {
        "passed": "passed",
        "exceptions": "has_exceptions",
        "not_tested": "not_tested",
        "error": "error",
    }
    out = pd.DataFrame(
        {
            "rule_code": s["rule_code"],
            "title": s["title"],
            "family": s["family"].map(lambda fam: I18N[lang].get(f"family_{fam}", fam)),
            "severity": s["severity"].map(lambda v: _plain(v, lang)),
            "rule_status": s["status"].map(lambda v: t(status_key.get(v, "error"), lang)),
            "tested": s["tested"].astype(bool),
            "not_tested_reason": s["not_tested_reason"].astype("string").fillna(""),
            "population": s["population"].astype("Int64"),
            "exceptions": s["exceptions"].astype("Int64"),
            "rate": s["exception_rate"].astype("float64"),
            "open": s["open"].astype("Int64"),
            "mitigated": s["mitigated"].astype("Int64"),
        }
    )
    if tracking is not None:
        for key in ("new", "recurring", "resolved", "not_retested"):
            out[key] = pd.array([tracking.counts(c)[key] for c in s["rule_code"]], dtype="Int64")
    out["error"] = s["error"].astype("string").fillna("")
    return out


def _plain(value: str, lang: str) -> str:
    """A vocabulary value in words, without the code (severity, status: the sheet's own values)."""
    return VOCAB[lang].get(value, value) if lang == "zh" else value


def findings_table(
    result: AuditResult, code: str, personal_data: bool, responses: pd.DataFrame | None
) -> pd.DataFrame:
    """A rule's findings in the report language, the response columns (filled from accepted responses), then
    the values the rule used."""
    lang = result.params.language
    base = rule_sheet(result, code, personal_data, MAX_ROWS)
    fixed = [
        "finding_id",
        "status",
        "tracking",
        "entity_id",
        "occurred_at",
        "detail",
        "evidence",
        "mitigation",
    ]
    out = base[fixed].copy()
    out["status"] = out["status"].map(lambda v: _plain(v, lang))
    out["tracking"] = out["tracking"].map(lambda v: _plain(v, lang) if v else "")
    if not out["tracking"].astype(bool).any():
        out = out.drop(columns="tracking")
    if responses is not None and not personal_data:
        responses = mask_columns(responses, *RESPONSE_PII)
    given = _given(responses, out["finding_id"])
    for field in RESPONSE_FIELDS:
        out[field] = given[field].to_numpy() if field in given else ""
    if len(out):
        out["due_date"] = pd.to_datetime(out["due_date"].replace("", None), errors="coerce")
    else:
        out["due_date"] = pd.Series(dtype="datetime64[ns]")
    values = base.drop(columns=fixed)
    values.columns = _unique(list(values.columns), set(out.columns))
    return pd.concat([out, values], axis=1)


def _given(responses: pd.DataFrame | None, ids: pd.Series) -> pd.DataFrame:
    if responses is None or not len(responses) or not len(ids):
        return pd.DataFrame()
    ok = responses[responses["accepted"]].drop_duplicates("finding_id").set_index("finding_id")
    return ok.reindex(ids.astype(str)).fillna("").reset_index(drop=True)


def write_workbook(
    result: AuditResult,
    path: Path,
    personal_data: bool = False,
    tracking=None,
    samples: dict[str, Sample] | None = None,
    responses: pd.DataFrame | None = None,
) -> Path:
    """The working papers: index, summary, sample index, resolved findings, per tested rule its findings (with
    response columns) and its sample, the responses checked (when given), data quality."""
    p = result.params
    lang = p.language
    samples = samples or {}
    papers = Papers(
        Path(path), Meta(p.institution_name, _period(result), lang), dt.datetime.combine(p.as_of, dt.time())
    )
    papers.sheet(t("summary", lang)[:31], "B", t("rule_status", lang), summary_table(result, tracking))
    if samples:
        idx = sample_index(result, samples).drop(columns="sheet")
        papers.sheet(t("audit_sample", lang)[:31], "C", t("audit_sample", lang), idx)
    if tracking is not None:
        gone = pd.concat(
            [
                tracking.resolved.assign(tracking="resolved"),
                tracking.not_retested.assign(tracking="not_retested"),
            ],
            ignore_index=True,
        )
        keep = [
            c
            for c in ("finding_id", "rule_code", "entity_id", "tracking", "occurred_at", "detail")
            if c in gone
        ]
        gone = dates_as_dates(gone[keep], keep=("finding_id", "entity_id"))
        gone["tracking"] = gone["tracking"].map(lambda v: _plain(v, lang))
        papers.sheet(t("resolved_sheet", lang), "D", t("resolved_list", lang), gone)
    summary = result.summary.set_index("rule_code")
    counts = result.findings["rule_code"].value_counts()
    for code in result.summary.loc[result.summary["tested"].astype(bool), "rule_code"]:
        r = REGISTRY[code]
        row = summary.loc[code]
        papers.sheet(
            code,
            f"E-{code}",
            f"{code} {r.title[lang]}",
            findings_table(result, code, personal_data, responses),
            unlocked=RESPONSE_FIELDS,
            before=_rule_head(result, code, row, papers),
            csv_name="findings.csv",
            total=int(counts.get(code, 0)),
        )
        if code in samples:
            rows = dates_as_dates(samples[code].rows)
            for col in RECHECK[lang]:
                rows[col] = ""
            papers.sheet(
                f"{code} {'样本' if lang == 'zh' else 'sample'}",
                f"E-{code}-S",
                f"{code} {t('audit_sample', lang)}",
                rows,
                unlocked=RECHECK[lang],
                choices={RECHECK[lang][0]: tx("recheck_choices", lang)},
            )
    if responses is not None:
        papers.sheet(
            tx("responses_sheet", lang),
            "F",
            tx("responses_sheet", lang),
            _responses_table(responses, personal_data),
        )
    papers.sheet(
        t("data_quality", lang)[:31],
        "G",
        t("data_quality", lang),
        quality_table(result, personal_data),
        csv_name="data_quality.csv",
    )
    papers.close()
    return Path(path)


def quality_table(result: AuditResult, personal_data: bool) -> pd.DataFrame:
    lang = result.params.language
    q = quality_frame(result.bundle.quality.reindex(columns=QUALITY_COLUMNS), lang, personal_data)
    q = q.rename(columns={"reason": "quality_reason", "action": "quality_action"})
    q["quality_action"] = q["quality_action"].map(lambda a: t(f"quality_{a}", lang) if a else "")
    return q


def _responses_table(responses: pd.DataFrame, personal_data: bool) -> pd.DataFrame:
    out = responses.copy() if personal_data else mask_columns(responses, *RESPONSE_PII)
    out["due_date"] = out["due_date"].astype("string").fillna("")
    return out


def cited(code: str, lang: str) -> str:
    """The clauses a rule tests, one a line: id, where it sits and what it says (Chinese: the clause's own
    first sentence; English: the catalogue's gloss)."""
    catalogue = clauses()
    lines = []
    for cid in REGISTRY[code].cites:
        c = catalogue.get(cid)
        if c is None:
            lines.append(cid)
        elif lang == "zh":
            lines.append(f"{cid}（{sources()[c.source].short(lang)}{c.label}）：{c.summary(lang)}")
        else:
            lines.append(f"{cid}: {c.summary(lang)}")
    return "\n".join(lines)


def conclusion(row, lang: str) -> str:
    if not int(row["exceptions"]):
        return tx("concl_none", lang).format(pop=f"{int(row['population']):,}")
    return tx("concl_some", lang).format(
        pop=f"{int(row['population']):,}",
        exc=f"{int(row['exceptions']):,}",
        rate=fmt_rate(row["exception_rate"]),
        open=f"{int(row['open']):,}",
        mit=f"{int(row['mitigated']):,}",
    )


def _rule_head(result: AuditResult, code: str, row, papers: Papers):
    """The rule sheet's block under the header: requirement, clauses, the numbers, conclusion, review."""
    lang = result.params.language

    def before(ws, at: int, span: int) -> int:
        f = papers.f
        at = papers.labelled(ws, at, "requirement", requirement(code, result), span)
        at = papers.labelled(ws, at, "clauses", cited(code, lang), span)
        numbers = (
            ("population", row["population"], "int"),
            ("exceptions", row["exceptions"], "int"),
            ("rate", row["exception_rate"], "rate"),
        )
        for i, (key, value, kind) in enumerate(numbers):
            ws.write_string(at, 2 * i, tx(key, lang), f("label"))
            v = float(value) if value is not None and not pd.isna(value) else None
            if v is None:
                ws.write_blank(at, 2 * i + 1, None, f("value"))
            else:
                small = kind == "rate" and 0 < v < 0.001
                ws.write_number(at, 2 * i + 1, v, f("rate_small" if small else kind, border=1))
        at += 1
        at = papers.labelled(ws, at, "conclusion", conclusion(row, lang), span)
        ws.write_string(at, 0, tx("review_conclusion", lang), f("label"))
        ws.write_blank(at, 1, None, f("sign", unlocked=True))
        ws.data_validation(at, 1, at, 1, {"validate": "list", "source": list(tx("review_choices", lang))})
        return at + 2

    return before
