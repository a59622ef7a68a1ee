"""The examiner's report as HTML fragments, assembled by the notebook.

Each rule renders two things, the Data Docs way: what was required (its citation, parameters
and requirement in words) and what was found (population, exceptions, rate, a sample). Every
value that comes from the data goes through `esc`; personal data is masked before it gets here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

import pandas as pd

from ..i18n import label, t
from ..rules import REGISTRY
from ..rules.base import FAMILIES, SEVERITIES

SAMPLE_ROWS = 10

CSS = """
.al{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",system-ui,sans-serif;color:#1d232b;
 line-height:1.5;max-width:1100px}
.al h1{font-size:1.7em;margin:.2em 0}.al h2{border-bottom:2px solid #24527a;padding-bottom:.2em;margin-top:1.6em}
.al h3{margin:1.2em 0 .3em}.al table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}
.al th,.al td{border:1px solid #c9d2dc;padding:3px 8px;text-align:left;vertical-align:top}
.al th{background:#eef2f6}.al td.n{text-align:right;font-variant-numeric:tabular-nums}
.al .cover{border:1px solid #24527a;padding:1em 1.4em;background:#f7f9fb}
.al .sev-high{color:#a40000;font-weight:bold}.al .sev-medium{color:#a85b00}.al .sev-low{color:#4d5b69}
.al .st-passed{color:#1b6e2e}.al .st-exceptions{color:#a40000}.al .st-not_tested{color:#6b7785}
.al .st-error{color:#fff;background:#a40000;padding:0 4px}
.al .rule{border-left:4px solid #c9d2dc;padding:.1em 1em;margin:1em 0}
.al .req{background:#f3f6f9;padding:.4em .8em}.al .muted{color:#6b7785;font-size:.9em}
.al img.chart{max-width:100%;display:block;margin:.5em 0}
.al .failed{border:3px solid #a40000;padding:1em;background:#fff1f1}
"""


def esc(v) -> str:
    """Escape any value for HTML text or attribute context; None/NaN/NA render empty."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return ""
    return html.escape(str(v), quote=True)


def style() -> str:
    return f"<style>{CSS}</style>"


def wrap(body: str) -> str:
    return f'<div class="al">{body}</div>'


def table_html(df: pd.DataFrame, headers: Iterable[str] | None = None, numeric: Iterable[str] = (),
               trusted: Iterable[str] = ()) -> str:
    """A plain HTML table with every cell escaped, except `trusted` columns of markup this module built."""
    numeric, trusted = set(numeric), set(trusted)
    heads = list(headers) if headers is not None else list(df.columns)
    out = ["<table><thead><tr>", *(f"<th>{esc(h)}</th>" for h in heads), "</tr></thead><tbody>"]
    for row in df.itertuples(index=False):
        out.append("<tr>")
        for col, v in zip(df.columns, row, strict=True):
            cell = v if col in trusted else esc(v)
            out.append(f'<td class="n">{cell}</td>' if col in numeric else f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def fmt_rate(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2%}"


def status_html(row, lang: str) -> str:
    key = {"passed": "passed", "exceptions": "has_exceptions", "not_tested": "not_tested", "error": "error"}
    text = t(key[row["status"]], lang)
    if row["status"] == "not_tested":
        text += f": {row['not_tested_reason']}"
    if row["status"] == "error":
        text += f": {row['error']}"
    return f'<span class="st-{esc(row["status"])}">{esc(text)}</span>'


def cover(result, run: dict) -> str:
    p, lang = result.params, result.params.language
    rows = [
        (t("institution", lang), f"{p.institution_name} ({p.institution_id})"),
        (t("period", lang), f"{p.period_start} — {p.period_end}"),
        (t("as_of", lang), str(p.as_of)),
        (t("run_id", lang), run.get("run_id", "")),
        (t("fingerprint", lang), run.get("fingerprint", "")),
        (t("version", lang), run.get("version", "")),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return style() + wrap(f'<div class="cover"><h1>{esc(t("report_title", lang))}</h1><table>{body}</table>'
                f'<p class="muted">{esc(t("masked_note", lang))}</p></div>')


def executive_summary(result) -> str:
    lang = result.params.language
    f = result.findings
    grid = pd.crosstab(f["family"], f["severity"]).reindex(index=list(FAMILIES), columns=list(SEVERITIES),
                                                           fill_value=0)
    grid[t("total", lang)] = grid.sum(axis=1)
    grid = grid[grid[t("total", lang)] > 0] if len(f) else grid.iloc[0:0]
    fam = pd.DataFrame({t("family", lang): [t(f"family_{x}", lang) for x in grid.index]})
    for c in grid.columns:
        fam[label(c, lang) if c in SEVERITIES else c] = grid[c].to_numpy()
    s = result.summary
    rules = pd.DataFrame({
        t("rule", lang): s["rule_code"], t("title", lang): s["title"],
        t("severity", lang): s["severity"].map(lambda v: label(v, lang)),
        t("population", lang): s["population"], t("exceptions", lang): s["exceptions"],
        t("rate", lang): s["exception_rate"].map(fmt_rate),
        t("status", lang): [status_html(r, lang) for _, r in s.iterrows()],
    })
    rule_table = table_html(rules, numeric=(t("population", lang), t("exceptions", lang), t("rate", lang)),
                            trusted=(t("status", lang),))
    by_family = table_html(fam, numeric=list(fam.columns[1:])) if len(fam) else f"<p>{esc(t('no_findings', lang))}</p>"
    return wrap(f"<h2>{esc(t('summary', lang))}</h2><h3>{esc(t('by_family_severity', lang))}</h3>{by_family}"
                f"<h3>{esc(t('rule_status', lang))}</h3>{rule_table}")


def rule_block(result, code: str, sample: int = SAMPLE_ROWS) -> str:
    """One rule: what was required, what was found, and a sample of its findings."""
    lang = result.params.language
    r = REGISTRY[code]
    row = result.summary.set_index("rule_code").loc[code]
    params = result.params.rule_params(code)
    req = r.requirement_text(lang, params)
    found = (f"{t('population', lang)}: {row['population']}; {t('exceptions', lang)}: {row['exceptions']}; "
             f"{t('rate', lang)}: {fmt_rate(row['exception_rate'])}")
    head = (f'<h3>{esc(code)} {esc(r.title[lang])} <span class="sev-{esc(r.severity)}">'
            f"[{esc(label(r.severity, lang))}]</span></h3>")
    parts = [f'<div class="rule">{head}',
             f'<div class="req"><b>{esc(t("required", lang))}</b>: {esc(req)}<br>'
             f'<span class="muted">{esc(t("citation", lang))}: {esc(r.citation)}</span></div>',
             f"<p><b>{esc(t('found', lang))}</b>: {status_html(row, lang)}"
             + (f" — {esc(found)}" if row["tested"] else "") + "</p>"]
    f = result.findings[result.findings["rule_code"] == code]
    if len(f):
        shown = f.head(sample)
        tab = pd.DataFrame({
            t("entity", lang): shown["entity_id"], t("occurred_at", lang): shown["occurred_at"].dt.strftime(
                "%Y-%m-%d %H:%M:%S"),
            t("status", lang): shown["status"].map(lambda v: label(v, lang)), t("detail", lang): shown["detail"],
        })
        parts.append(f"<p>{esc(t('sample', lang))}</p>{table_html(tab)}")
        if len(f) > sample:
            parts.append(f'<p class="muted">{esc(t("more_findings", lang, n=len(f) - sample))}</p>')
    parts.append("</div>")
    return "".join(parts)


def family_section(result, family: str, extras: Iterable = ()) -> str:
    lang = result.params.language
    codes = [c for c, r in REGISTRY.items() if r.family == family]
    body = [f"<h2>{esc(family)} {esc(t(f'family_{family}', lang))}</h2>"]
    body += [extra(result, lang) for extra in extras]
    body += [rule_block(result, c) for c in codes]
    return wrap("".join(body))


def data_quality_section(result, limit: int = 50) -> str:
    lang = result.params.language
    b = result.bundle
    files = pd.DataFrame([{
        t("table", lang): i.table, t("file", lang): i.path.name, "encoding": i.encoding or "",
        t("rows_read", lang): i.rows_read, t("rows_loaded", lang): i.rows_loaded,
        t("rows_quarantined", lang): i.rows_quarantined,
    } for i in b.files.values()])
    parts = [f"<h2>{esc(t('data_quality', lang))}</h2>",
             table_html(files, numeric=(t("rows_read", lang), t("rows_loaded", lang), t("rows_quarantined", lang)))]
    if b.missing:
        parts.append(f"<p>{esc(t('not_provided', lang, tables=', '.join(b.missing)))}</p>")
    q = b.quality
    if len(q):
        shown = q.head(limit)
        tab = pd.DataFrame({
            t("table", lang): shown["table"], t("row", lang): shown["row"], t("column", lang): shown["column"],
            t("reason", lang): shown["reason"],
            t("status", lang): shown["action"].map(lambda a: t(f"quality_{a}", lang)),
        })
        parts.append(f"<h3>{esc(t('quality_sample', lang, n=limit))}</h3>{table_html(tab)}")
    return wrap("".join(parts))


def appendix(result, run: dict) -> str:
    lang = result.params.language
    files = pd.DataFrame([{t("file", lang): i.path.name, t("rows_read", lang): i.rows_read, "SHA-256": i.sha256}
                          for i in result.bundle.files.values()])
    versions = pd.DataFrame({t("rule", lang): result.summary["rule_code"], "version": result.summary["version"],
                             t("parameters", lang): [_params_text(result, c) for c in result.summary["rule_code"]]})
    pkgs = pd.DataFrame(sorted(run.get("packages", {}).items()), columns=["package", "version"])
    return wrap(f"<h2>{esc(t('appendix', lang))}</h2><h3>{esc(t('input_files', lang))}</h3>{table_html(files)}"
                f"<h3>{esc(t('rule_versions', lang))}</h3>{table_html(versions)}"
                f"<h3>{esc(t('packages', lang))}</h3>{table_html(pkgs)}")


def _params_text(result, code: str) -> str:
    return "; ".join(f"{k}={v}" for k, v in result.params.rule_params(code).items())
