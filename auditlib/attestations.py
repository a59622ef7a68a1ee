"""The filled manual-procedure checklist (params `attestations`), read and validated row by row.

The examiner fills the checklist `auditlib checklist` wrote (xlsx), or writes a CSV with the same columns.
Each filled row is accepted or rejected with its reason (unknown clause id, bad result, bad or missing date,
no performer, no evidence for a conclusion, a second row for the same clause, merged cells), never dropped:
accepted + rejected = filled rows. A checklist line whose examiner's columns are all empty is a procedure
not performed, not an attestation: it is counted apart and its clause stays "manual: not performed".

What makes the whole file unusable (not a workbook or CSV, no sheet with the checklist's header, a header
without the clause or result column) is an AttestationsError naming the file, sheet and row, never a
traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .clauses import clauses
from .errors import AuditError

#: the checklist's columns: code name, then the headers a person sees in each language
COLUMNS: dict[str, dict[str, str]] = {
    "clause_id": {"zh": "条款编号", "en": "Clause"},
    "requirement": {"zh": "条款要求", "en": "Requirement (Chinese text)"},
    "procedure": {"zh": "检查程序", "en": "Procedure"},
    "result": {"zh": "检查结论", "en": "Result"},
    "evidence_ref": {"zh": "证据索引", "en": "Evidence reference"},
    "performed_by": {"zh": "执行人", "en": "Performed by"},
    "performed_on": {"zh": "执行日期", "en": "Performed on"},
    "note": {"zh": "备注", "en": "Note"},
}
REQUIRED = ("clause_id", "result", "performed_on")
FILLED = ("result", "evidence_ref", "performed_by", "performed_on", "note")  # what the examiner writes
RESULTS = ("pass", "fail", "na")
#: what the drop-down offers in each language, and what a person may type instead
RESULT_LABELS = {
    "zh": {"pass": "符合", "fail": "不符合", "na": "不适用"},
    "en": {"pass": "pass", "fail": "fail", "na": "n/a"},
}
_RESULT_WORDS = {
    **{v: k for lang in RESULT_LABELS.values() for k, v in lang.items()},
    "pass": "pass",
    "passed": "pass",
    "通过": "pass",
    "fail": "fail",
    "failed": "fail",
    "不通过": "fail",
    "na": "na",
    "n/a": "na",
    "n.a.": "na",
    "not applicable": "na",
}
OUTPUT_COLUMNS = [
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


class AttestationsError(AuditError):
    """The attestations file cannot be read as a checklist at all."""


@dataclass
class Attestations:
    """Every filled row with its verdict; `accepted()` the ones the coverage section uses."""

    file: str
    sheet: str
    rows: pd.DataFrame  # OUTPUT_COLUMNS, one per filled row, in file order
    unfilled: int  # checklist lines left empty (procedures not performed)

    def accepted(self) -> pd.DataFrame:
        return self.rows[self.rows["accepted"]]

    def by_clause(self) -> dict[str, dict]:
        """clause id -> its accepted attestation."""
        return {r["clause_id"]: r for r in self.accepted().to_dict("records")}

    @property
    def rejected(self) -> int:
        return int((~self.rows["accepted"]).sum())


def empty(file: str = "") -> Attestations:
    cols = [*OUTPUT_COLUMNS, "reason_zh"]
    return Attestations(
        file, "", pd.DataFrame({c: pd.Series(dtype=object) for c in cols}).astype({"accepted": bool}), 0
    )


def attestations_path(path: str, params_file: str | Path | None) -> Path:
    """Params `attestations` is relative to the params file, like data_dir; run by plain papermill the
    notebook does not know that file, so `params/` and the working directory are tried, as for data_dir."""
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    bases = [Path(params_file).resolve().parent] if params_file else [Path.cwd() / "params", Path.cwd()]
    return next((b / p for b in bases if (b / p).is_file()), bases[0] / p)


def _header_key(text: object) -> str | None:
    s = re.sub(r"\s+", " ", str(text or "")).strip().lower()
    for key, names in COLUMNS.items():
        if s in (key, names["zh"].lower(), names["en"].lower()) or s.startswith(f"{key} ("):
            return key
    return None


def _grid_xlsx(path: Path) -> tuple[str, list[list], int, dict[tuple[int, int], tuple[int, int]]]:
    """The checklist sheet's cell values, the index of its header row, and merged ranges (row, col) ->
    rows."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise AttestationsError(f"{path}: not a readable Excel workbook ({type(e).__name__}: {e})") from None
    tried = []
    for ws in wb.worksheets:
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        at = _find_header(grid)
        if at is None:
            tried.append(ws.title)
            continue
        merged = {}
        for rng in ws.merged_cells.ranges:
            if rng.max_row > rng.min_row:
                for r in range(rng.min_row, rng.max_row + 1):
                    for c in range(rng.min_col, rng.max_col + 1):
                        merged[(r - 1, c - 1)] = (rng.min_row, rng.max_row)
        return ws.title, grid, at, merged
    raise AttestationsError(
        f"{path}: no sheet has the checklist's header row (a row with the columns "
        f"{', '.join(COLUMNS[k]['zh'] + '/' + k for k in REQUIRED)}); sheets: {', '.join(tried) or 'none'}"
    )


def _grid_csv(path: Path) -> tuple[str, list[list], int, dict]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise AttestationsError(f"{path}: not UTF-8 or GB18030 text")
    try:
        grid = [list(r) for r in csv.reader(io.StringIO(text))]
    except csv.Error as e:
        raise AttestationsError(f"{path}: not valid CSV ({e})") from None
    at = _find_header(grid)
    if at is None:
        raise AttestationsError(
            f"{path}: no header row with the columns {', '.join(REQUIRED)} "
            f"(or {', '.join(COLUMNS[k]['zh'] for k in REQUIRED)})"
        )
    return "", grid, at, {}


def _find_header(grid: list[list]) -> int | None:
    """The first row (within the first 30) naming the clause id column; None when there is none."""
    for i, row in enumerate(grid[:30]):
        if "clause_id" in {_header_key(v) for v in row}:
            return i
    return None


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, dt.datetime) and v.time() == dt.time():
        return v.date().isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def parse_date(v: object) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = _text(v)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def read_attestations(
    path: str | Path, period_start: dt.date, run_date: dt.date | None = None
) -> Attestations:
    """Read and validate the filled checklist. `run_date` (today by default) bounds `performed_on`."""
    path = Path(path)
    run_date = run_date or dt.date.today()
    if not path.is_file():
        raise AttestationsError(f"{path}: attestations file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheet, grid, at, merged = _grid_xlsx(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        sheet, grid, at, merged = _grid_csv(path)
    else:
        raise AttestationsError(f"{path}: attestations must be an .xlsx workbook or a .csv file")
    where = f"{path}" + (f", sheet {sheet!r}" if sheet else "")
    cols: dict[str, int] = {}
    for j, v in enumerate(grid[at]):
        key = _header_key(v)
        if key and key not in cols:
            cols[key] = j
    missing = [k for k in REQUIRED if k not in cols]
    if missing:
        named = ", ".join(f"{COLUMNS[k]['zh']} / {COLUMNS[k]['en']} ({k})" for k in missing)
        raise AttestationsError(f"{where}, header row {at + 1}: no column {named}; was it renamed?")
    known = clauses()
    out, seen, unfilled = [], {}, 0
    for i in range(at + 1, len(grid)):
        row = grid[i]

        def cell(key: str, row=row):
            j = cols.get(key)
            return row[j] if j is not None and j < len(row) else None

        values = {k: _text(cell(k)) for k in ("clause_id", *FILLED)}
        if not any(values[k] for k in FILLED):
            if values["clause_id"] or any(_text(v) for v in row):
                unfilled += 1
            continue
        line = i + 1
        reason, reason_zh = _problem(values, cell("performed_on"), known, period_start, run_date, seen)
        span = next((merged[(i, j)] for j in cols.values() if (i, j) in merged), None)
        if span and not reason:
            reason = f"merged cells (rows {span[0]}–{span[1]}): unmerge them and fill each row"
            reason_zh = f"合并单元格（第 {span[0]}–{span[1]} 行）：请取消合并并逐行填写"
        result = _RESULT_WORDS.get(values["result"].lower(), values["result"])
        date = parse_date(cell("performed_on"))
        if not reason:
            seen[values["clause_id"]] = line
        out.append(
            {
                "clause_id": values["clause_id"],
                "result": result,
                "evidence_ref": values["evidence_ref"],
                "performed_by": values["performed_by"],
                "performed_on": date.isoformat() if date else values["performed_on"],
                "note": values["note"],
                "source_row": line,
                "accepted": not reason,
                "reason": reason,
                "reason_zh": reason_zh,
            }
        )
    rows = pd.DataFrame(out, columns=[*OUTPUT_COLUMNS, "reason_zh"])
    rows["accepted"] = rows["accepted"].astype(bool)
    return Attestations(str(path), sheet, rows, unfilled)


def _problem(values, raw_date, known, period_start, run_date, seen) -> tuple[str, str]:
    """Why a filled row cannot be accepted, in English and Chinese (('', '') when it can); the first
    problem."""
    cid = values["clause_id"]
    if not cid:
        return "no clause id", "未填条款编号"
    if cid not in known:
        return f"unknown clause id {cid!r}", f"条款编号“{cid}”不在条款目录中"
    result = _RESULT_WORDS.get(values["result"].lower())
    if not values["result"]:
        return "no result (pass, fail or na)", "未填检查结论（符合、不符合或不适用）"
    if result is None:
        r = values["result"]
        return f"result {r!r} is not pass, fail or na", f"检查结论“{r}”不是符合、不符合或不适用"
    if not values["performed_on"]:
        return "no date performed", "未填执行日期"
    date = parse_date(raw_date)
    if date is None:
        d = values["performed_on"]
        return (
            f"date performed {d!r} is not a date (YYYY-MM-DD)",
            f"执行日期“{d}”不是有效日期（应为年-月-日）",
        )
    if date < period_start:
        return (
            f"date performed {date} is before the audit period began ({period_start})",
            f"执行日期 {date} 早于检查期间起始日 {period_start}",
        )
    if date > run_date:
        return f"date performed {date} is in the future", f"执行日期 {date} 晚于今天"
    if not values["performed_by"]:
        return "no performer", "未填执行人"
    if result != "na" and not values["evidence_ref"]:
        return "no evidence reference for a pass or fail", "结论为符合或不符合，但未填证据索引"
    if cid in seen:
        return f"clause {cid} already attested in row {seen[cid]}", f"条款 {cid} 已在第 {seen[cid]} 行填写"
    return "", ""


def file_problem(path: str | Path, period_start: dt.date) -> str | None:
    """Why the attestations file cannot be used at all (None when it can): for the params checks made before
    a kernel starts, so that an unreadable checklist is a params error (exit 2), like a missing one."""
    try:
        read_attestations(path, period_start)
    except AttestationsError as e:
        return str(e)
    return None
