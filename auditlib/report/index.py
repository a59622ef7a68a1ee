"""The batch's own outputs: `batch_summary.csv` (one row per institution) and a self-contained `index.html`
(links to every report, exception rates rule by rule side by side, as a table and a chart)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from .html import CSS, esc, fmt_rate, table_html

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


def rates_chart(rates: pd.DataFrame) -> str:
    """A heat map of exception rates, rules across, institutions down (only rules with a rate somewhere)."""
    import numpy as np
    from matplotlib.colors import PowerNorm

    from .charts import figure_html, new_figure

    shown = rates.dropna(how="all")
    shown = shown[(shown.fillna(0) > 0).any(axis=1)]
    if shown.empty:
        return ""
    data = shown.T.astype(float)  # institutions x rules
    n_inst, n_rules = data.shape
    fig, ax = new_figure(max(6.0, 0.32 * n_rules + 2.5), max(2.2, 0.32 * n_inst + 1.6))
    values = np.ma.masked_invalid(data.to_numpy())
    top = max(float(np.nanmax(data.to_numpy())), 1e-6)
    im = ax.imshow(values, aspect="auto", cmap="OrRd", norm=PowerNorm(0.5, vmin=0, vmax=top))
    ax.set_xticks(range(n_rules), data.columns, rotation=90, fontsize=7)
    ax.set_yticks(range(n_inst), data.index, fontsize=7)
    if n_inst * n_rules <= 400:
        for i in range(n_inst):
            for j in range(n_rules):
                v = data.iat[i, j]
                if pd.notna(v) and v > 0:
                    ax.text(
                        j,
                        i,
                        f"{v:.0%}" if v >= 0.01 else "<1%",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if v > top * 0.5 else "black",
                    )
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.set_title("例外率（规则 × 机构）/ Exception rate by rule and institution", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, format=lambda v, _: f"{v:.0%}")
    return figure_html(fig, alt="Exception rate by rule and institution")


def index_html(rows: pd.DataFrame, out: Path) -> str:
    links = []
    for r in rows.itertuples():
        link = f'<a href="{esc(r.report)}">{esc(r.report)}</a>' if r.report else ""
        links.append(link)
    table = rows.drop(columns=["report"]).assign(report=links)
    rates = _rates(rows, out)
    comparison = ""
    if not rates.empty:
        shown = rates.map(fmt_rate).reset_index().rename(columns={"index": "rule_code"})
        comparison = (
            "<h2>Exception rate by rule / 各机构例外率对比</h2>"
            + rates_chart(rates)
            + table_html(shown, numeric=shown.columns[1:])
        )
    ok = int((rows["status"] == "ok").sum())
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\"><title>auditlib batch</title>"
        f'<style>{CSS}</style></head><body><div class="al"><h1>Batch summary / 批量检查汇总</h1>'
        f'<p class="muted">{esc(dt.datetime.now().isoformat(timespec="seconds"))} · '
        f"{ok} ok / 完成, {len(rows) - ok} failed / 失败</p>"
        + table_html(table, numeric=("findings", "high", "medium", "low", "seconds"), trusted=("report",))
        + comparison
        + "</div></body></html>"
    )
