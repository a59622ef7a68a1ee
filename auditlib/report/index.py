"""The batch's own outputs: `batch_summary.csv` (one row per institution) and a self-contained `index.html`:
every institution by name with its period, report language, status and counts, links to its report (HTML and
PDF) and working papers, then the exception rates rule by rule side by side as a table coloured by rate
(readable at any size and in print, unlike a heat map image of 50 rules).

A batch may mix Chinese and English audits, so the index's own words are in both languages."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd

from ..rules import REGISTRY
from .html import CSS, code, esc, fmt_rate, table_html

SUMMARY_COLUMNS = [
    "institution_id",
    "status",
    "error",
    "findings",
    "high",
    "medium",
    "low",
    "seconds",
    "report",
    "note",
    "error_kind",  # a failed audit's kind of failure (outcome.KINDS), for tools
]


def write_summary(outcomes, out: Path) -> None:
    """`outcomes`: the batch's `outcome.Outcome`s, in the order of the summary."""
    rows = pd.DataFrame([o.row() for o in outcomes], columns=SUMMARY_COLUMNS)
    rows["report"] = [os.path.relpath(r, out) if r else "" for r in rows["report"]]
    rows.to_csv(out / "batch_summary.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    (out / "index.html").write_text(index_html(rows, out), encoding="utf-8")


def _rates(rows: pd.DataFrame, out: Path) -> pd.DataFrame:
    """Exception rates per rule (rows) and institution (columns), from each completed audit."""
    cols = {}
    for r in rows[rows["status"] == "ok"].itertuples():
        summary = out / Path(r.report).parent / "rule_summary.csv"
        if summary.is_file():
            s = pd.read_csv(summary, dtype={"rule_code": str}, encoding="utf-8-sig")
            cols[r.institution_id] = s.set_index("rule_code")["exception_rate"]
    return pd.DataFrame(cols)


#: the index's headers, in both languages
HEAD = {
    "institution": "机构 / Institution",
    "period": "检查期间 / Period",
    "language": "报告语言 / Language",
    "status": "状态 / Status",
    "findings": "发现 / Findings",
    "high": "高 / High",
    "medium": "中 / Medium",
    "low": "低 / Low",
    "seconds": "用时（秒）/ Seconds",
    "documents": "文件 / Documents",
    "error": "错误 / Error",
    "rule": "规则 / Rule",
}
STATUS = {"ok": "完成 / complete", "failed": "失败 / failed"}
LANGUAGE = {"zh": "中文", "en": "English"}
DOCUMENTS = (
    ("report.html", "报告 / report"),
    ("report.pdf", "PDF"),
    ("findings.xlsx", "工作底稿 / working papers"),
    ("error.txt", "错误 / error"),
)


def _manifest(out: Path, report: str) -> dict:
    try:
        return json.loads((out / Path(report).parent / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _documents(report: str, out: Path) -> str:
    """Links to the audit's report, its PDF and working papers (those written), or its error."""
    if not report:
        return ""
    folder = Path(report).parent
    links = [
        f'<a href="{esc((folder / name).as_posix())}">{esc(text)}</a>'
        for name, text in DOCUMENTS
        if (folder / name).as_posix() == Path(report).as_posix() or (out / folder / name).is_file()
    ]
    return " · ".join(links)


def institutions_table(rows: pd.DataFrame, out: Path) -> tuple[str, dict[str, str]]:
    """The institutions' table, and their names by id (for the comparison's headers)."""
    body, names = [], {}
    for r in rows.itertuples():
        p = _manifest(out, r.report).get("params", {}) if r.status == "ok" and r.report else {}
        name = p.get("institution_name", "")
        names[r.institution_id] = name
        ok = r.status == "ok"
        body.append(
            {
                HEAD["institution"]: f"{esc(name)}<br>{code(r.institution_id)}"
                if name
                else code(r.institution_id),
                HEAD["period"]: esc(f"{p['period_start']} — {p['period_end']}")
                if "period_start" in p
                else "",
                HEAD["language"]: esc(LANGUAGE.get(p.get("language", ""), "")),
                HEAD["status"]: esc(STATUS.get(r.status, r.status)),
                HEAD["findings"]: f"{int(r.findings):,}" if ok else "",
                HEAD["high"]: f"{int(r.high):,}" if ok else "",
                HEAD["medium"]: f"{int(r.medium):,}" if ok else "",
                HEAD["low"]: f"{int(r.low):,}" if ok else "",
                HEAD["seconds"]: f"{float(r.seconds):,.1f}",
                HEAD["documents"]: _documents(r.report, out),
                HEAD["error"]: esc(r.error),
            }
        )
    frame = pd.DataFrame(body, columns=list(HEAD.values())[:-1])
    numeric = [HEAD[k] for k in ("findings", "high", "medium", "low", "seconds")]
    return table_html(frame, trusted=frame.columns, numeric=numeric), names


def _shade(rate: float, top: float) -> str:
    """A cell's colour: white at 0 to dark red at the batch's highest rate, on a square-root scale so that
    small rates still show; ink white on the dark half."""
    if not rate or rate != rate or top <= 0:
        return ""
    x = min(1.0, (rate / top) ** 0.5)
    bg = f"rgb(255,{round(240 - 190 * x)},{round(230 - 200 * x)})"
    return f' style="background:{bg};color:{"#fff" if x > 0.65 else "#1d232b"}"'


def rates_table(rates: pd.DataFrame, names: dict[str, str]) -> str:
    """Exception rates: one row per rule with an exception somewhere (code and title in both languages),
    one column per institution, each cell coloured by its rate."""
    shown = rates[(rates.fillna(0) > 0).any(axis=1)]
    if shown.empty:
        return "<p>无例外 / No exceptions.</p>"
    top = float(shown.max().max())
    heads = "".join(f"<th>{esc(names.get(c) or '')}<br>{code(c)}</th>" for c in shown.columns)
    body = []
    for rule, values in shown.iterrows():
        title = REGISTRY[rule].title if rule in REGISTRY else {}
        cells = "".join(
            f'<td class="n"{_shade(v, top)}>{esc(fmt_rate(v)) if v == v else "—"}</td>' for v in values
        )
        body.append(
            f'<tr><td class="nw">{code(rule)}</td><td>{esc(title.get("zh", ""))}<br>'
            f'<span class="muted">{esc(title.get("en", ""))}</span></td>{cells}</tr>'
        )
    return (
        f'<table class="heat"><thead><tr><th colspan="2">{esc(HEAD["rule"])}</th>{heads}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def index_html(rows: pd.DataFrame, out: Path) -> str:
    table, names = institutions_table(rows, out)
    rates = _rates(rows, out)
    comparison = ""
    if not rates.empty:
        comparison = (
            "<h2>各机构例外率对比（按规则）/ Exception rates by rule and institution</h2>"
            '<p class="muted">颜色越深例外率越高；“—”为该机构未测试此规则。 / The darker, the '
            "higher the rate; "
            "— : rule not tested for that institution.</p>" + rates_table(rates, names)
        )
    ok = int((rows["status"] == "ok").sum())
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\"><title>批量检查汇总 / Batch summary</title>"
        f'<style>{CSS}</style></head><body><div class="al"><h1>批量检查汇总 / Batch summary</h1>'
        f'<p class="muted">{esc(dt.datetime.now().isoformat(timespec="seconds"))} · '
        f"完成 {ok} 家，失败 {len(rows) - ok} 家 / {ok} complete, {len(rows) - ok} failed</p>"
        + table
        + comparison
        + "</div></body></html>"
    )
