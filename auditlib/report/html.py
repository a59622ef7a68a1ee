"""The examiner's report as HTML fragments, assembled by the notebook (docs/report.md).

Cover and contents (plain in-page anchors, no script), executive summary, one section per family,
data quality, appendix. Each rule renders two things, the Data Docs way: what was required (its
citation, parameters and requirement in words) and what was found (population, exceptions, rate,
tracking against the previous period, a sample). Every value that comes from the data goes through
`esc`; finding details arrive masked (rules declare their personal data), and the one place the
loader quotes raw cells, the data-quality reasons, is masked here (`quality_reason`). A rule's
error is shown as a sentence, never as the exception's text.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Iterable

import pandas as pd

from ..i18n import VOCAB, label, reason_text, split_reason, t
from ..mask import contract_pii_kind, mask_long_numbers, mask_value
from ..rules import REGISTRY
from ..rules.base import FAMILIES, SEVERITIES, _fmt_param

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
.al nav.toc{margin:1em 0;padding:.6em 1.2em;border:1px solid #c9d2dc;background:#fbfcfd}
.al nav.toc ol{margin:.2em 0;padding-left:1.6em}.al nav.toc li{margin:.1em 0}
.al nav.toc .codes{font-size:.85em}.al a{color:#24527a}.al a.top{font-size:.8em;font-weight:normal;margin-left:1em}
.al td.nw{white-space:nowrap}
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


def table_html(
    df: pd.DataFrame,
    headers: Iterable[str] | None = None,
    numeric: Iterable[str] = (),
    trusted: Iterable[str] = (),
    nowrap: Iterable[str] = (),
) -> str:
    """A plain HTML table with every cell escaped, except `trusted` columns of markup this module built."""
    numeric, trusted, nowrap = set(numeric), set(trusted), set(nowrap)
    heads = list(headers) if headers is not None else list(df.columns)
    out = ["<table><thead><tr>", *(f"<th>{esc(h)}</th>" for h in heads), "</tr></thead><tbody>"]
    for row in df.itertuples(index=False):
        out.append("<tr>")
        for col, v in zip(df.columns, row, strict=True):
            cell = v if col in trusted else esc(v)
            cls = " ".join(c for c, on in (("n", col in numeric), ("nw", col in nowrap)) if on)
            out.append(f'<td class="{cls}">{cell}</td>' if cls else f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def fmt_rate(x) -> str:
    """A rate as a percentage; below 0.1% with three decimals, so 3 in 82,021 does not read as 0.00%."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.3%}" if 0 < x < 0.001 else f"{x:.2%}"


def anchor(kind: str, key: str = "") -> str:
    """In-page anchor ids: `summary`, `family-SOD`, `rule-SOD-001`... (codes are [A-Z0-9-] only)."""
    return f"{kind}-{key}" if key else kind


def _top(lang: str) -> str:
    return f'<a class="top" href="#{anchor("contents")}">↑ {esc(t("back_to_contents", lang))}</a>'


def _h2(text: str, anchor_id: str, lang: str) -> str:
    return f'<h2 id="{esc(anchor_id)}">{esc(text)}{_top(lang)}</h2>'


def _n(x) -> str:
    return f"{int(x):,}"


def fmt_when(s: pd.Series) -> pd.Series:
    """Timestamps as text; a column of midnights (day-based findings) as dates."""
    if len(s) and (s.dropna() == s.dropna().dt.normalize()).all():
        return s.dt.strftime("%Y-%m-%d")
    return s.dt.strftime("%Y-%m-%d %H:%M:%S")


def localize_param(v, lang: str):
    """A parameter value with its vocabulary codes as labels: ``宣传推介(promotion)`` in zh."""
    if isinstance(v, str):
        return label(v, lang) if v in VOCAB["zh"] else v
    if isinstance(v, list | tuple):
        return [localize_param(x, lang) for x in v]
    if isinstance(v, dict):
        return {localize_param(k, lang): localize_param(x, lang) for k, x in v.items()}
    return v


def requirement(code: str, result) -> str:
    """The rule's requirement in words with this audit's parameters (vocabulary as labels in zh)."""
    lang = result.params.language
    params = result.params.rule_params(code)
    return REGISTRY[code].requirement_text(lang, {k: localize_param(v, lang) for k, v in params.items()})


def selected_families(result) -> list[str]:
    selected = set(result.params.selected())
    return list(dict.fromkeys(code.split("-")[0] for code in result.summary["rule_code"] if code in selected))


def status_html(row, lang: str) -> str:
    key = {"passed": "passed", "exceptions": "has_exceptions", "not_tested": "not_tested", "error": "error"}
    text = t(key[row["status"]], lang)
    if row["status"] == "not_tested":
        text += f": {row['not_tested_reason']}"
    if row["status"] == "error":  # the exception's text is for the auditor (working papers), not the examiner
        text += f": {t('rule_failed', lang)}"
    return f'<span class="st-{esc(row["status"])}">{esc(text)}</span>'


def toc(result, families: Iterable[str] | None = None) -> str:
    """Contents with in-page links (plain anchors: the report carries no script): the sections, and under each
    family its rules by code (the title shows on hover and in the rule-by-rule table)."""
    lang = result.params.language
    families = list(families) if families is not None else selected_families(result)
    selected = set(result.params.selected())
    items = [f'<li><a href="#{anchor("summary")}">{esc(t("summary", lang))}</a></li>']
    for fam in families:
        rules = " · ".join(
            f'<a href="#{anchor("rule", c)}" title="{esc(REGISTRY[c].title[lang])}">{esc(c)}</a>'
            for c in result.summary["rule_code"]
            if REGISTRY[c].family == fam and c in selected
        )
        items.append(
            f'<li><a href="#{anchor("family", fam)}">{esc(fam)} {esc(t(f"family_{fam}", lang))}</a>'
            f'<br><span class="codes">{rules}</span></li>'
        )
    items.append(f'<li><a href="#{anchor("data-quality")}">{esc(t("data_quality", lang))}</a></li>')
    items.append(f'<li><a href="#{anchor("appendix")}">{esc(t("appendix", lang))}</a></li>')
    return (
        f'<nav class="toc" id="{anchor("contents")}"><b>{esc(t("contents", lang))}</b>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def cover(result, run: dict, families: Iterable[str] | None = None) -> str:
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
    return style() + wrap(
        f'<div class="cover"><h1>{esc(t("report_title", lang))}</h1><table>{body}</table>'
        f'<p class="muted">{esc(t("masked_note", lang))}</p></div>' + toc(result, families)
    )


def tracking_block(result, tracking) -> str:
    lang = result.params.language
    c = tracking.counts()
    return (
        f"<h3>{esc(t('tracking', lang))}</h3>"
        f"<p>{esc(t('tracking_intro', lang, previous=tracking.previous_label))} "
        f"{esc(t('tracking_counts', lang, **{k: _n(v) for k, v in c.items()}))}</p>"
    )


def executive_summary(result, tracking=None) -> str:
    lang = result.params.language
    f = result.findings
    grid = pd.crosstab(f["family"], f["severity"]).reindex(
        index=list(FAMILIES), columns=list(SEVERITIES), fill_value=0
    )
    grid[t("total", lang)] = grid.sum(axis=1)
    grid = grid[grid[t("total", lang)] > 0] if len(f) else grid.iloc[0:0]
    fam = pd.DataFrame({t("family", lang): [t(f"family_{x}", lang) for x in grid.index]})
    for c in grid.columns:
        fam[label(c, lang) if c in SEVERITIES else c] = grid[c].to_numpy()
    s = result.summary
    selected = set(result.params.selected())
    rules = pd.DataFrame(
        {
            t("rule", lang): [
                f'<a href="#{anchor("rule", c)}">{esc(c)}</a>' if c in selected else esc(c)
                for c in s["rule_code"]
            ],
            t("title", lang): s["title"],
            t("severity", lang): s["severity"].map(lambda v: label(v, lang)),
            t("population", lang): s["population"].map(_n),
            t("exceptions", lang): s["exceptions"].map(_n),
            t("rate", lang): s["exception_rate"].map(fmt_rate),
            t("status", lang): [status_html(r, lang) for _, r in s.iterrows()],
        }
    )
    numeric = [t("population", lang), t("exceptions", lang), t("rate", lang)]
    if tracking is not None:
        for key in ("new", "recurring", "resolved"):
            rules[t(f"{key}_n", lang)] = [_n(tracking.counts(c)[key]) for c in s["rule_code"]]
            numeric.append(t(f"{key}_n", lang))
    rule_table = table_html(rules, numeric=numeric, trusted=(t("status", lang), t("rule", lang)))
    by_family = (
        table_html(fam, numeric=list(fam.columns[1:]))
        if len(fam)
        else f"<p>{esc(t('no_findings', lang))}</p>"
    )
    return wrap(
        _h2(t("summary", lang), anchor("summary"), lang)
        + f"<h3>{esc(t('by_family_severity', lang))}</h3>{by_family}"
        + (tracking_block(result, tracking) if tracking is not None else "")
        + f"<h3>{esc(t('rule_status', lang))}</h3>{rule_table}"
    )


def rule_block(result, code: str, sample: int = SAMPLE_ROWS, tracking=None) -> str:
    """One rule: what was required, what was found, and a sample of its findings."""
    lang = result.params.language
    r = REGISTRY[code]
    row = result.summary.set_index("rule_code").loc[code]
    found = (
        f"{t('population', lang)}: {_n(row['population'])}; {t('exceptions', lang)}: {_n(row['exceptions'])}; "
        f"{t('rate', lang)}: {fmt_rate(row['exception_rate'])}"
    )
    if tracking is not None and row["tested"]:
        c = tracking.counts(code)
        found += f"; {t('tracking_rule', lang, **{k: _n(v) for k, v in c.items()})}"
    head = (
        f'<h3 id="{anchor("rule", code)}">{esc(code)} {esc(r.title[lang])} <span class="sev-{esc(r.severity)}">'
        f"[{esc(label(r.severity, lang))}]</span></h3>"
    )
    parts = [
        f'<div class="rule">{head}',
        f'<div class="req"><b>{esc(t("required", lang))}</b>: {esc(requirement(code, result))}<br>'
        f'<span class="muted">{esc(t("citation", lang))}: {esc(r.citation)}</span></div>',
        f"<p><b>{esc(t('found', lang))}</b>: {status_html(row, lang)}"
        + (f" — {esc(found)}" if row["tested"] else "")
        + "</p>",
    ]
    f = result.findings[result.findings["rule_code"] == code]
    if len(f):
        shown = f.head(sample)
        tab = pd.DataFrame(
            {
                t("entity", lang): shown["entity_id"],
                t("occurred_at", lang): fmt_when(shown["occurred_at"]),
                t("status", lang): shown["status"].map(lambda v: label(v, lang)),
            }
        )
        if tracking is not None:
            tab[t("tracking_col", lang)] = shown["tracking"].map(lambda v: label(v, lang) if v else "")
        tab[t("detail", lang)] = shown["detail"]
        parts.append(
            f"<p>{esc(t('sample', lang))}</p>"
            f"{table_html(tab, nowrap=(t('entity', lang), t('occurred_at', lang), t('status', lang)))}"
        )
        if len(f) > sample:
            parts.append(f'<p class="muted">{esc(t("more_findings", lang, n=len(f) - sample))}</p>')
    if tracking is not None:
        gone = tracking.resolved[tracking.resolved["rule_code"] == code]
        if len(gone):
            shown = gone.head(sample)
            tab = pd.DataFrame(
                {
                    t("entity", lang): shown["entity_id"],
                    t("previous_detail", lang): shown.get("detail", pd.Series("", index=shown.index)),
                }
            )
            parts.append(f"<p>{esc(t('resolved_list', lang))}</p>{table_html(tab)}")
            if len(gone) > sample:
                parts.append(f'<p class="muted">{esc(t("more_findings", lang, n=len(gone) - sample))}</p>')
    parts.append("</div>")
    return "".join(parts)


def _extra(extra, result, lang: str) -> str:
    """A family's overview (information, not findings): its failure is a note in the report and a warning on
    the auditor's notebook, never a failed audit or a traceback in the examiner's HTML."""
    try:
        return extra(result, lang)
    except Exception as e:  # noqa: BLE001
        warnings.warn(
            f"report section {getattr(extra, '__name__', extra)} failed: {type(e).__name__}: {e}",
            stacklevel=2,
        )
        return f'<p class="muted">{esc(t("extra_failed", lang))}</p>'


def family_section(result, family: str, extras: Iterable = (), tracking=None) -> str:
    lang = result.params.language
    selected = set(result.params.selected())
    codes = [c for c, r in REGISTRY.items() if r.family == family and c in selected]
    body = [_h2(f"{family} {t(f'family_{family}', lang)}", anchor("family", family), lang)]
    body += [_extra(extra, result, lang) for extra in extras]
    body += [rule_block(result, c, tracking=tracking) for c in codes]
    return wrap("".join(body))


#: free-text columns: a complaint's description may hold anything, names and phone numbers included, so a
#: reason quoting it (e.g. "text starts with =") is shown without the quote in the examiner's copy
FREE_TEXT = {("complaints", "description"), ("complaints", "root_cause")}


def quality_reason(table: str, column: str, reason: str, lang: str, personal_data: bool = False) -> str:
    """A quarantine reason in the report language, with the cell text it quotes masked when the column is
    personal data (schema.PII_COLUMNS) and long digit runs masked everywhere (unless `personal_data`)."""
    head, value = split_reason(str(reason))
    text = reason_text(head, lang)
    if value is None:
        return text
    if (table, column) in FREE_TEXT and not personal_data:  # what the reason says is enough
        return text + ("" if lang == "zh" else " ") + t("free_text_withheld", lang)
    if not personal_data:
        kinds = [k for k in (contract_pii_kind(table, c) for c in str(column).split(",")) if k]
        value = mask_value(value, kinds[0]) if kinds else mask_long_numbers(value)
    return f"{text}: '{value}'" if lang == "en" else f"{text}：'{value}'"


def quality_frame(q: pd.DataFrame, lang: str, personal_data: bool = False) -> pd.DataFrame:
    """data_quality rows with their reasons localized and personal data masked (the loader quotes bad cells)."""
    q = q.copy()
    q["reason"] = [
        quality_reason(tb, c, r, lang, personal_data)
        for tb, c, r in zip(q["table"], q["column"], q["reason"], strict=True)
    ]
    return q


def data_quality_section(result, limit: int = 50) -> str:
    lang = result.params.language
    b = result.bundle
    files = pd.DataFrame(
        [
            {
                t("table", lang): i.table,
                t("file", lang): i.path.name,
                t("encoding", lang): i.encoding or "",
                t("rows_read", lang): _n(i.rows_read),
                t("rows_loaded", lang): _n(i.rows_loaded),
                t("rows_quarantined", lang): _n(i.rows_quarantined),
            }
            for i in b.files.values()
        ]
    )
    parts = [
        _h2(t("data_quality", lang), anchor("data-quality"), lang),
        table_html(
            files, numeric=(t("rows_read", lang), t("rows_loaded", lang), t("rows_quarantined", lang))
        ),
    ]
    if b.missing:
        parts.append(f"<p>{esc(t('not_provided', lang, tables=', '.join(b.missing)))}</p>")
    q = b.quality
    if len(q):
        shown = quality_frame(q.head(limit), lang)
        tab = pd.DataFrame(
            {
                t("table", lang): shown["table"],
                t("row", lang): shown["row"],
                t("column", lang): shown["column"],
                t("reason", lang): shown["reason"],
                t("status", lang): shown["action"].map(lambda a: t(f"quality_{a}", lang)),
            }
        )
        parts.append(f"<h3>{esc(t('quality_sample', lang, n=limit))}</h3>{table_html(tab)}")
    return wrap("".join(parts))


def params_text(result, code: str) -> str:
    return "; ".join(f"{k} = {_fmt_param(v)}" for k, v in result.params.rule_params(code).items())


def appendix(result, run: dict) -> str:
    lang = result.params.language
    p = result.params
    files = pd.DataFrame(
        [
            {t("file", lang): i.path.name, t("rows_read", lang): _n(i.rows_read), "SHA-256": i.sha256}
            for i in result.bundle.files.values()
        ]
    )
    versions = pd.DataFrame(
        {
            t("rule", lang): result.summary["rule_code"],
            t("rule_version", lang): result.summary["version"],
            t("parameters", lang): [params_text(result, c) for c in result.summary["rule_code"]],
        }
    )
    pkgs = pd.DataFrame(
        sorted(run.get("packages", {}).items()), columns=[t("package", lang), t("rule_version", lang)]
    )
    parts = [
        _h2(t("appendix", lang), anchor("appendix"), lang),
        f"<h3>{esc(t('input_files', lang))}</h3>{table_html(files, numeric=(t('rows_read', lang),))}",
        f"<h3>{esc(t('rule_versions', lang))}</h3>{table_html(versions)}",
    ]
    if p.mitigations:  # the approver is named in the working papers, not here
        mit = pd.DataFrame(
            {
                t("rule", lang): [m.rule for m in p.mitigations],
                t("target", lang): [m.staff_id or m.entity_id for m in p.mitigations],
                t("reason", lang): [m.reason for m in p.mitigations],
                t("valid_until", lang): [str(m.valid_until) for m in p.mitigations],
            }
        )
        parts.append(f"<h3>{esc(t('mitigations', lang))}</h3>{table_html(mit)}")
    parts.append(
        f"<h3>{esc(t('audit_sample', lang))}</h3><p>{esc(t('sample_note', lang, n=p.sample_size))}</p>"
    )
    parts.append(f"<h3>{esc(t('packages', lang))}</h3>{table_html(pkgs)}")
    return wrap("".join(parts))
