"""The machine-readable outputs and the working papers of one audit.

findings.csv, rule_summary.csv and data_quality.csv follow the run contract column for column;
CSVs are UTF-8 with BOM (Excel opens Chinese correctly) and `\\n` line ends, so the same
inputs give the same bytes. Personal data a quarantine reason quotes is masked in data_quality.csv.

The frames the working papers show (a rule's findings with the values it used, the sample index) are built
here; findings.xlsx itself is written by `workbook.py`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..attestations import OUTPUT_COLUMNS as ATTESTATION_COLUMNS
from ..attestations import Attestations
from ..attestations import empty as empty_attestations
from ..engine import FINDINGS_COLUMNS, SUMMARY_COLUMNS, SUMMARY_EXTRA, AuditResult
from ..load import QUALITY_COLUMNS
from .evidence import values_frame
from .html import quality_frame
from .sample import Sample

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
    quality_frame(result.bundle.quality[QUALITY_COLUMNS], "en").to_csv(paths[2], **CSV)
    return paths


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?")
_MONEY = re.compile(r"-?\d{1,3}(,\d{3})*\.\d{2}")


def dates_as_dates(df: pd.DataFrame, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Text columns holding only dates / timestamps (rules format them for their sentences) become datetimes,
    and only amounts written like 21,034.50 become numbers, so Excel sorts, filters and sums them; `keep`
    columns stay text. Ids never match (0009000024 has no decimal point, B01:2025-03-04 is no date)."""
    df = df.copy()
    for c in df.columns:
        if c in keep or not (pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object):
            continue
        if _ruled_out(df[c]):
            continue
        v = df[c].dropna()
        v = v[v.astype(str) != ""]
        if not len(v) or not v.map(lambda x: isinstance(x, str)).all():
            continue
        if v.map(lambda x: bool(_DATE.fullmatch(x))).all():
            df[c] = pd.to_datetime(df[c].replace("", None), format="ISO8601")
        elif v.map(lambda x: bool(_MONEY.fullmatch(x))).all():
            df[c] = pd.to_numeric(df[c].replace("", None).str.replace(",", "", regex=False)).astype("float64")
    return df


def _ruled_out(s: pd.Series) -> bool:
    """True when the column's first non-empty value is text matching neither pattern: neither conversion can
    then apply (both need every value to match), so the per-value checks are skipped. Only a shortcut: any
    other first value (a number, an NA kind not recognised here) leaves the decision to the full checks."""
    for x in s:
        if x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and x != x):
            continue
        if not isinstance(x, str):
            return False
        if x == "":
            continue
        return not (_DATE.fullmatch(x) or _MONEY.fullmatch(x))
    return False


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ch > "\u2e80")


def _unique(names: list[str], taken: set[str]) -> list[str]:
    out = []
    for n in names:
        m = n
        while m in taken:
            m += "_value"
        taken.add(m)
        out.append(m)
    return out


def rule_sheet(
    result: AuditResult, code: str, personal_data: bool = False, limit: int | None = None
) -> pd.DataFrame:
    """One rule's findings (the first `limit`) with tracking and evidence, then the values the rule used
    (masked unless `personal_data`)."""
    f = result.findings[result.findings["rule_code"] == code]
    if limit is not None:
        f = f.head(limit)
    detail = "detail_full" if personal_data else "detail"
    sheet = pd.DataFrame(
        {
            "finding_id": f["finding_id"].to_numpy(),
            "status": f["status"].to_numpy(),
            "tracking": (f["tracking"] if "tracking" in f else pd.Series("", index=f.index)).to_numpy(),
            "entity_id": f["entity_id"].to_numpy(),
            "occurred_at": f["occurred_at"].to_numpy(),
            "detail": f[detail].to_numpy(),
            "evidence": f["evidence"].to_numpy(),
            "mitigation": f["mitigation"].to_numpy(),
        }
    )
    values = values_frame(result, code, personal_data)
    if len(values.columns) and len(sheet):
        if limit is not None and len(values) > len(sheet):
            values = values[values.index.isin(sheet["entity_id"].astype(str))]
        values = dates_as_dates(values)
        aligned = values.reindex(sheet["entity_id"].astype("string")).reset_index(drop=True)
        aligned.columns = _unique(list(aligned.columns), set(sheet.columns))
        sheet = pd.concat([sheet, aligned], axis=1)
    return sheet


def sample_index(result: AuditResult, samples: dict[str, Sample]) -> pd.DataFrame:
    s = result.summary.set_index("rule_code")
    return pd.DataFrame(
        [
            {
                "rule_code": code,
                "title": s.loc[code, "title"],
                "source_table": smp.table,
                "scope": smp.scope,
                "rows_in_scope": smp.in_scope,
                "rule_population": int(s.loc[code, "population"]),
                "sample_size": len(smp.rows),
                "seed": str(smp.seed),
                "sheet": _sample_sheet(code, result.params.language),
            }
            for code, smp in samples.items()
        ],
        columns=[
            "rule_code",
            "title",
            "source_table",
            "scope",
            "rows_in_scope",
            "rule_population",
            "sample_size",
            "seed",
            "sheet",
        ],
    )


def _sample_sheet(code: str, lang: str) -> str:
    return f"{code} {'样本' if lang == 'zh' else 'sample'}"


RECHECK = {"zh": ("复核结论", "复核人", "备注"), "en": ("re-performed result", "by", "notes")}


def write_coverage_files(result: AuditResult, attestations: Attestations | None, out: Path) -> list[Path]:
    """coverage.csv (every clause with its status) and attestations.csv (every filled checklist line with
    accepted/reason; only the header when no attestations were given), so that both are always in the
    manifest."""
    from .coverage import CSV_COLUMNS, coverage_frame

    paths = [out / "coverage.csv", out / "attestations.csv"]
    coverage_frame(result, attestations)[CSV_COLUMNS].to_csv(paths[0], **CSV)
    rows = (attestations or empty_attestations()).rows[ATTESTATION_COLUMNS].copy()
    rows["accepted"] = rows["accepted"].map({True: "true", False: "false"})
    rows.to_csv(paths[1], **CSV)
    return paths
