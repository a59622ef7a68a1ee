"""The institution's responses to findings: read back, checked row by row, and followed up the next period.

The institution fills the response columns of the working papers (owner, action, due date, response) and
returns the workbook, or sends a CSV `finding_id, owner, action, due_date, response`; params `responses` names
it. Every row that says something is either accepted or rejected with its reason, never dropped:

* the finding id must be one of this run's findings (and answered once: a second row for it is rejected);
* the action must not be empty; the due date must be there and be a date (an Excel date, or text such as
  2026-03-31, 2026/3/31, 2026年3月31日);
* a cell holding a formula is rejected (the value, not a calculation, is the answer).

A returned workbook may have been mangled: sheets added (ignored), cells merged (a row without its finding id
is rejected), columns renamed (a findings sheet missing a response column is an error that names the sheet
and the column). A file that is no workbook or CSV at all is an error that says so.

`responses.csv` (run contract) lists every row with `accepted` (true / false) and `reason`. The next period's
run (params `previous_dir`) reads the previous folder's `responses.csv`: a promised action whose due date is
before `as_of` while its finding is still present is **overdue**; a finding found two periods ago, no longer
found in the previous period and found again now is **resolved then recurring** (the period before the
previous one is found through the previous run's manifest, when its folder still exists).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import AuditError
from ..i18n import t
from ..mask import mask_columns
from ..params import resolve_relative
from .html import esc, table_html, wrap
from .tracking import read_previous_csv
from .workbook import RESPONSE_FIELDS, RESPONSE_PII, TEXT, response_labels

COLUMNS = ["finding_id", "owner", "action", "due_date", "response", "accepted", "reason"]
NEEDED = ("finding_id", *RESPONSE_FIELDS)
FILE = "responses.csv"
#: how far down a sheet its header row is looked for (the header block sits above it)
HEADER_SEARCH_ROWS = 40

REASONS = {
    "zh": {
        "no_id": "缺少发现编号",
        "unknown_id": "发现编号 {id} 不在本期发现中",
        "duplicate": "同一发现编号已在{first}回复，本行不予接受",
        "no_action": "整改措施为空",
        "no_due": "缺少计划完成日期",
        "bad_due": "计划完成日期无法识别：'{value}'",
        "formula": "{column}单元格为公式，请填写值",
    },
    "en": {
        "no_id": "finding id missing",
        "unknown_id": "finding id {id} is not a finding of this audit",
        "duplicate": "finding already answered at {first}; this row is not accepted",
        "no_action": "action is empty",
        "no_due": "due date missing",
        "bad_due": "due date not recognised: '{value}'",
        "formula": "{column} holds a formula; enter the value",
    },
}

SECTION = {
    "zh": {
        "title": "机构整改回复",
        "received": "收到机构回复 {rows} 行：接受 {accepted} 行，不予接受 {rejected} 行（原因见下表及 "
        "responses.csv）。本期 {findings} 项发现中，{answered} 项已有被接受的回复。",
        "accepted": "已接受的回复",
        "rejected": "不予接受的回复",
        "where": "位置",
        "followup": "上期承诺整改事项跟踪",
        "followup_intro": "上期（{previous}）机构就 {promised} 项发现承诺了整改措施：本期已不再发现 {kept} "
        "项，尚未到期 {pending} 项，已逾期仍存在 {overdue} 项。",
        "no_previous_responses": "上期（{previous}）未收到机构的整改回复，无承诺事项可跟踪。",
        "overdue": "逾期未完成的整改（计划完成日期早于检查基准日，发现仍存在）",
        "days_overdue": "逾期天数",
        "recurred": "曾经整改、本期再次出现的发现",
        "recurred_intro": "以下发现在 {before} 存在，上期（{previous}）已不再出现，本期再次出现。",
        "found_before": "此前发现于",
    },
    "en": {
        "title": "The institution's responses",
        "received": "{rows} response rows received: {accepted} accepted, {rejected} not accepted (reasons "
        "below and in responses.csv). {answered} of this audit's {findings} findings have an "
        "accepted response.",
        "accepted": "Accepted responses",
        "rejected": "Responses not accepted",
        "where": "Where",
        "followup": "Actions promised last period",
        "followup_intro": "Last period ({previous}) the institution promised actions on {promised} findings: "
        "{kept} no longer found, {pending} not yet due, {overdue} overdue and still found.",
        "no_previous_responses": "No responses were received last period ({previous}): no promised "
        "actions to follow.",
        "overdue": "Overdue actions (due before the as-of date, finding still present)",
        "days_overdue": "Days overdue",
        "recurred": "Findings resolved, then found again",
        "recurred_intro": "These findings were found in {before}, no longer found last period ({previous}), "
        "and are found again now.",
        "found_before": "Found before in",
    },
}


class ResponsesError(AuditError):
    """The responses file cannot be read as responses at all (rows that can be read are accepted or
    rejected)."""


# ---------------------------------------------------------------- reading


def read_rows(path: Path) -> pd.DataFrame:
    """The rows of a responses file that say something: `sheet` (None in a CSV) and `row` (the line in a CSV),
    the five fields as given (a due date may be a date), and `formula` (the fields holding one)."""
    if not path.is_file():
        raise ResponsesError(f"responses: file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _workbook_rows(path)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise ResponsesError(f"responses: {path.name}: expected the returned workbook (.xlsx) or a CSV file")
    return pd.DataFrame(rows, columns=["sheet", "row", *NEEDED, "formula"])


def _field(header) -> str | None:
    if header is None:
        return None
    return response_labels().get(re.sub(r"\s+", " ", str(header)).strip().casefold())


def _workbook_rows(path: Path) -> list[dict]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as e:
        raise ResponsesError(
            f"responses: {path.name} is not a readable Excel workbook ({type(e).__name__})"
        ) from None
    rows: list[dict] = []
    found = []
    try:
        for ws in wb.worksheets:
            header_at, fields = None, {}
            lines = ws.iter_rows()
            for n, line in enumerate(lines, start=1):
                if header_at is None:
                    cols = {i: _field(c.value) for i, c in enumerate(line)}
                    if "finding_id" in cols.values():
                        header_at = n
                        fields = {i: f for i, f in cols.items() if f}
                        present = set(fields.values())
                        if present.isdisjoint(RESPONSE_FIELDS):
                            break  # a sheet that lists findings without response columns (an audit sample)
                        missing = [f for f in NEEDED if f not in present]
                        if missing:
                            lang_heads = ", ".join(TEXT["zh"][f] + " / " + f for f in missing)
                            raise ResponsesError(
                                f"responses: {path.name}, sheet '{ws.title}': column missing or renamed: "
                                f"{lang_heads} (header row {n})"
                            )
                        found.append(ws.title)
                    elif n >= HEADER_SEARCH_ROWS:
                        break
                    continue
                row = _cells(line, fields)
                if any(_given(row[f]) for f in RESPONSE_FIELDS):
                    rows.append({"sheet": ws.title, "row": n, **row})
    finally:
        wb.close()
    if not found:
        raise ResponsesError(
            f"responses: {path.name}: no sheet with the columns {', '.join(TEXT['zh'][f] for f in NEEDED)} "
            f"({', '.join(NEEDED)}): not the returned working papers?"
        )
    return rows


def _cells(line, fields: dict[int, str]) -> dict:
    out = {f: None for f in NEEDED}
    formula = []
    for i, f in fields.items():
        if i >= len(line):
            continue
        c = line[i]
        v = getattr(c, "value", None)
        if getattr(c, "data_type", None) == "f":
            formula.append(f)
        out[f] = v
    out["formula"] = formula
    return out


def _csv_rows(path: Path) -> list[dict]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ResponsesError(f"responses: {path.name}: not UTF-8 or GB18030 text")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ResponsesError(f"responses: {path.name} is empty")
        fields = {i: f for i, f in ((i, _field(h)) for i, h in enumerate(header)) if f}
        missing = [f for f in NEEDED if f not in fields.values()]
        if missing:
            raise ResponsesError(f"responses: {path.name}: column missing: {', '.join(missing)} (line 1)")
        rows = []
        for line in reader:
            if not any(v.strip() for v in line):
                continue
            values = {f: (line[i] if i < len(line) else "") for i, f in fields.items()}
            rows.append({"sheet": None, "row": reader.line_num, **values, "formula": []})
    except csv.Error as e:
        raise ResponsesError(f"responses: {path.name}, line {reader.line_num}: {e}") from None
    return rows


def _given(v) -> bool:
    return _text(v) != ""


# ---------------------------------------------------------------- checking


_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?")


def parse_due(v) -> dt.date | None:
    """A due date as the institution may give it; None when it is no date."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if not isinstance(v, str):
        return None
    m = _DAY.fullmatch(v.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _text(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # a finding id of digits Excel turned into a number
    return str(v).strip()


def check(rows: pd.DataFrame, finding_ids, lang: str) -> pd.DataFrame:
    """Every row accepted or rejected with its reason: `COLUMNS` plus `where`."""
    known = set(finding_ids)
    why = REASONS[lang]
    heads = TEXT[lang]
    first_at: dict[str, str] = {}
    out = []
    for r in rows.itertuples(index=False):
        fid, action = _text(r.finding_id), _text(r.action)
        due = parse_due(r.due_date)
        reasons = [why["formula"].format(column=heads[f]) for f in r.formula]
        if not fid:
            reasons.append(why["no_id"])
        elif fid not in known:
            reasons.append(why["unknown_id"].format(id=fid))
        elif fid in first_at:
            reasons.append(why["duplicate"].format(first=first_at[fid]))
        if not action:
            reasons.append(why["no_action"])
        if not _given(r.due_date):
            reasons.append(why["no_due"])
        elif due is None:
            reasons.append(why["bad_due"].format(value=_text(r.due_date)[:40]))
        where = _where(r.sheet, r.row, lang)
        if not reasons:
            first_at[fid] = where
        out.append(
            {
                "finding_id": fid,
                "owner": _text(r.owner),
                "action": action,
                "due_date": due.isoformat() if due and not reasons else _shown(r.due_date),
                "response": _text(r.response),
                "accepted": not reasons,
                "reason": "; ".join(reasons) if lang == "en" else "；".join(reasons),
                "where": where,
            }
        )
    return pd.DataFrame(out, columns=[*COLUMNS, "where"]).astype({"accepted": bool})


def _where(sheet, row, lang: str) -> str:
    if sheet is None or sheet != sheet:
        return f"第 {row} 行" if lang == "zh" else f"line {row}"
    return f"工作表 {sheet} 第 {row} 行" if lang == "zh" else f"sheet {sheet}, row {row}"


def _shown(v) -> str:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()[:10]
    return _text(v)


def read_responses(path: Path, findings: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The checked responses: accepted + rejected = the rows of the file that say something."""
    return check(read_rows(path), findings["finding_id"], lang)


def masked(responses: pd.DataFrame) -> pd.DataFrame:
    """Owner names masked, long digit runs in the free text masked (the examiner's copy)."""
    return mask_columns(responses, *RESPONSE_PII)


def write_csv(responses: pd.DataFrame, out: Path, personal_data: bool = False) -> Path:
    """responses.csv (run contract): every row with accepted (true / false) and its reason."""
    df = (responses if personal_data else masked(responses))[COLUMNS].copy()
    df["accepted"] = df["accepted"].map({True: "true", False: "false"})
    path = out / FILE
    df.to_csv(path, encoding="utf-8-sig", index=False, lineterminator="\n")
    return path


# ---------------------------------------------------------------- the next period


@dataclass
class FollowUp:
    previous_label: str
    #: the previous period's accepted responses, with `state`: kept | pending | overdue (and days_overdue)
    promised: pd.DataFrame
    #: findings present now, absent in the previous period, present in the one before
    recurred: pd.DataFrame
    before_label: str = ""

    @property
    def overdue(self) -> pd.DataFrame:
        return self.promised[self.promised["state"] == "overdue"]


def follow_up(result, tracking) -> FollowUp | None:
    """What became of the previous period's promised actions; None without `previous_dir`."""
    if tracking is None:
        return None
    folder = Path(tracking.previous_dir)
    as_of = pd.Timestamp(result.params.as_of)
    now = result.findings.set_index("finding_id")
    promised = pd.DataFrame(columns=[*COLUMNS, "state", "days_overdue", "rule_code", "entity_id"])
    path = folder / FILE
    if path.is_file():
        prev = read_previous_csv(path, COLUMNS, ResponsesError)
        prev = prev[prev["accepted"].str.lower() == "true"].drop_duplicates("finding_id").copy()
        due = pd.to_datetime(prev["due_date"], errors="coerce", format="ISO8601")
        present = prev["finding_id"].isin(now.index)
        prev["state"] = "pending"
        prev.loc[~present, "state"] = "kept"
        prev.loc[present & (due < as_of), "state"] = "overdue"
        prev["days_overdue"] = (as_of - due).dt.days.where(prev["state"] == "overdue").astype("Int64")
        prev["rule_code"] = prev["finding_id"].map(now["rule_code"]).fillna("")
        prev["entity_id"] = prev["finding_id"].map(now["entity_id"]).fillna("")
        promised = prev.sort_values(["state", "rule_code", "entity_id"]).reset_index(drop=True)
    before, before_label = _findings_before(folder, result.params.institution_id)
    recurred = result.findings.iloc[0:0][["finding_id", "rule_code", "entity_id", "detail"]]
    if before is not None:
        new_now = set(tracking.state.index[tracking.state == "new"])  # not found in the previous period
        back = new_now & set(before)
        recurred = result.findings[result.findings["finding_id"].isin(back)][
            ["finding_id", "rule_code", "entity_id", "detail"]
        ].reset_index(drop=True)
    return FollowUp(tracking.previous_label, promised, recurred, before_label)


def _findings_before(folder: Path, institution_id: str) -> tuple[list[str] | None, str]:
    """The finding ids of the period before the previous one, through the previous run's manifest (its
    `previous_dir`, relative to its params file); (None, "") when that run had none or it is gone."""
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, ""
    params = m.get("params") or {}
    if not params.get("previous_dir"):
        return None, ""
    older = resolve_relative(params["previous_dir"], m.get("params_file"))
    try:
        prev = pd.read_csv(older / "findings.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
        om = json.loads((older / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeError):
        return None, ""
    op = om.get("params") or {}
    if op.get("institution_id") not in (None, institution_id) or "finding_id" not in prev:
        return None, ""
    label = f"{op['period_start']} — {op['period_end']}" if op.get("period_start") else older.name
    return prev["finding_id"].tolist(), label


# ---------------------------------------------------------------- the report


def responses_section(result, responses: pd.DataFrame | None, followup: FollowUp | None = None) -> str:
    """The report's responses section: each finding's response, the rows not accepted and why, and (next
    period) the overdue actions and the findings resolved then recurring. Empty when there is nothing to show.
    Personal data masked, every value escaped."""
    if responses is None and followup is None:
        return ""
    lang = result.params.language
    s, heads = SECTION[lang], TEXT[lang]
    f = result.findings.set_index("finding_id")
    parts = [f'<h2 id="responses">{esc(s["title"])}</h2>']
    if responses is not None:
        shown = masked(responses)
        ok, bad = shown[shown["accepted"]], shown[~shown["accepted"]]
        parts.append(
            "<p>"
            + esc(
                s["received"].format(
                    rows=len(shown),
                    accepted=len(ok),
                    rejected=len(bad),
                    findings=len(f),
                    answered=ok["finding_id"].nunique(),
                )
            )
            + "</p>"
        )
        if len(ok):
            tab = pd.DataFrame(
                {
                    heads["finding_id"]: ok["finding_id"],
                    t("rule", lang): ok["finding_id"].map(f["rule_code"]),
                    heads["entity_id"]: ok["finding_id"].map(f["entity_id"]),
                    heads["owner"]: ok["owner"],
                    heads["action"]: ok["action"],
                    heads["due_date"]: ok["due_date"],
                    heads["response"]: ok["response"],
                }
            )
            parts.append(f"<h3>{esc(s['accepted'])}</h3>" + table_html(tab, nowrap=(heads["due_date"],)))
        if len(bad):
            tab = pd.DataFrame(
                {
                    s["where"]: bad["where"],
                    heads["finding_id"]: bad["finding_id"],
                    heads["reason"]: bad["reason"],
                }
            )
            parts.append(f"<h3>{esc(s['rejected'])}</h3>" + table_html(tab))
    if followup is not None:
        parts.append(_followup_html(followup, lang))
    return wrap("".join(parts))


def _followup_html(fu: FollowUp, lang: str) -> str:
    s, heads = SECTION[lang], TEXT[lang]
    parts = [f"<h3>{esc(s['followup'])}</h3>"]
    p = fu.promised
    if not len(p):
        parts.append(f"<p>{esc(s['no_previous_responses'].format(previous=fu.previous_label))}</p>")
    else:
        counts = p["state"].value_counts()
        parts.append(
            "<p>"
            + esc(
                s["followup_intro"].format(
                    previous=fu.previous_label,
                    promised=len(p),
                    kept=int(counts.get("kept", 0)),
                    pending=int(counts.get("pending", 0)),
                    overdue=int(counts.get("overdue", 0)),
                )
            )
            + "</p>"
        )
        late = masked(fu.overdue)
        if len(late):
            tab = pd.DataFrame(
                {
                    heads["finding_id"]: late["finding_id"],
                    t("rule", lang): late["rule_code"],
                    heads["entity_id"]: late["entity_id"],
                    heads["owner"]: late["owner"],
                    heads["action"]: late["action"],
                    heads["due_date"]: late["due_date"],
                    s["days_overdue"]: late["days_overdue"].astype("string").fillna(""),
                }
            )
            parts.append(
                f"<p><b>{esc(s['overdue'])}</b></p>"
                + table_html(tab, numeric=(s["days_overdue"],), nowrap=(heads["due_date"],))
            )
    if len(fu.recurred):
        r = fu.recurred
        tab = pd.DataFrame(
            {
                heads["finding_id"]: r["finding_id"],
                t("rule", lang): r["rule_code"],
                heads["entity_id"]: r["entity_id"],
                heads["detail"]: r["detail"],
            }
        )
        parts.append(
            f"<p><b>{esc(s['recurred'])}</b></p>"
            f"<p>{esc(s['recurred_intro'].format(before=fu.before_label, previous=fu.previous_label))}</p>"
            + table_html(tab)
        )
    return "".join(parts)
