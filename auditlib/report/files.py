"""The machine-readable outputs and the working papers of one audit.

findings.csv, rule_summary.csv and data_quality.csv follow the run contract column for column;
CSVs are UTF-8 with BOM (Excel opens Chinese correctly) and `\\n` line ends, so the same
inputs give the same bytes. findings.xlsx is written with xlsxwriter: frozen header, filters,
sensible widths, dates as dates, and no text ever turned into a formula.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..engine import FINDINGS_COLUMNS, SUMMARY_COLUMNS, SUMMARY_EXTRA, AuditResult
from ..i18n import t
from ..load import QUALITY_COLUMNS

CSV = {"encoding": "utf-8-sig", "index": False, "lineterminator": "\n"}


def findings_frame(result: AuditResult) -> pd.DataFrame:
    f = result.findings[FINDINGS_COLUMNS].copy()
    f["occurred_at"] = f["occurred_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return f


def summary_frame(result: AuditResult) -> pd.DataFrame:
    s = result.summary[SUMMARY_COLUMNS + SUMMARY_EXTRA].copy()
    s["tested"] = s["tested"].map({True: "true", False: "false"})
    s["exception_rate"] = s["exception_rate"].map(lambda x: "" if pd.isna(x) else f"{x:.6f}")
    return s


def write_tables(result: AuditResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "findings.csv", out / "rule_summary.csv", out / "data_quality.csv"]
    findings_frame(result).to_csv(paths[0], **CSV)
    summary_frame(result).to_csv(paths[1], **CSV)
    result.bundle.quality[QUALITY_COLUMNS].to_csv(paths[2], **CSV)
    return paths


def _sheet(writer, name: str, df: pd.DataFrame, widths: dict[str, int] | None = None) -> None:
    df.to_excel(writer, sheet_name=name, index=False)
    ws = writer.sheets[name]
    ws.freeze_panes(1, 0)
    if len(df.columns):
        ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)
    for i, col in enumerate(df.columns):
        if widths and col in widths:
            width = widths[col]
        else:
            sample = df[col].head(200).astype("string").fillna("")
            longest = max([len(str(col))] + [len(v) for v in sample])
            width = min(max(10, int(longest * 1.3)), 60)
        ws.set_column(i, i, width)


def write_workbook(result: AuditResult, path: Path, personal_data: bool = False) -> Path:
    """Working papers: a summary sheet, one sheet per rule with its findings and evidence, data quality."""
    lang = result.params.language
    created = dt.datetime.combine(result.params.as_of, dt.time())
    with pd.ExcelWriter(path, engine="xlsxwriter", datetime_format="yyyy-mm-dd hh:mm:ss", date_format="yyyy-mm-dd",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as xw:
        xw.book.set_properties({"title": f"{result.params.institution_name} {result.params.period_end}",
                                "created": created})
        summary = result.summary[SUMMARY_COLUMNS + ["title", "severity", "status", "open", "mitigated", "error"]]
        _sheet(xw, t("summary", lang)[:31], summary, {"title": 40, "error": 50})
        detail = "detail_full" if personal_data else "detail"
        for code in result.summary.loc[result.summary["tested"], "rule_code"]:
            f = result.findings[result.findings["rule_code"] == code]
            sheet = pd.DataFrame({
                "finding_id": f["finding_id"], "status": f["status"], "entity_id": f["entity_id"],
                "occurred_at": f["occurred_at"], "detail": f[detail], "evidence": f["evidence"],
                "mitigation": f["mitigation"],
            })
            _sheet(xw, code, sheet, {"detail": 80, "evidence": 40, "occurred_at": 20})
        _sheet(xw, t("data_quality", lang)[:31], result.bundle.quality[QUALITY_COLUMNS], {"reason": 60})
    return path

