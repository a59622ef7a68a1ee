"""The examiner's report as HTML fragments, assembled by the notebook (docs/report.md).

The order is the run contract's (outputs.md v2): cover and contents (plain in-page anchors, no script),
conclusion, key findings, scope and limitations, methodology (report/narrative.py), one section per family,
data quality, [clause coverage, mitigations, responses], appendix, sign-off. `report_sections` is that order,
and the contents list and the PDF's bookmarks follow it. Each rule renders two things, the Data Docs way: what
was required (its citation and requirement in words, with this audit's parameters) and what was found
(population, exceptions, rate, tracking against the previous period, the first exceptions with their finding
ids and evidence). Every value that comes from the data goes through `esc`; finding details arrive masked
(rules declare their personal data), and the one place the loader quotes raw cells, the data-quality reasons,
is masked here (`quality_reason`). A rule's error is shown as a sentence, never as the exception's text.
Codes (table, column and file names, evidence references) appear only inside <code>; the prose has none.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import warnings
from collections.abc import Iterable

import pandas as pd

from ..clauses import slug
from ..i18n import VOCAB, english_plurals, label, reason_text, split_reason, t
from ..mask import contract_pii_kind, mask_long_numbers, mask_value
from ..rules import REGISTRY
from ..rules.base import FAMILIES, SEVERITIES
from ..schema import TABLES

SAMPLE_ROWS = 10

CSS = """
.al{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",system-ui,sans-serif;color:#1d232b;
 line-height:1.5;max-width:1100px}
.al h1{font-size:1.7em;margin:.2em 0}\
.al h2{border-bottom:2px solid #24527a;padding-bottom:.2em;margin-top:1.6em}
.al h3{margin:1.2em 0 .3em}.al table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}
.al th,.al td{border:1px solid #c9d2dc;padding:3px 8px;text-align:left;vertical-align:top}
.al th{background:#eef2f6}.al table.findings{width:100%}.al .ev{display:block;margin-top:.2em;color:#4d5b69}\
.al td.n{text-align:right;font-variant-numeric:tabular-nums}
.al .cover{border:1px solid #24527a;padding:1em 1.4em;background:#f7f9fb}
.al .sev-high{color:#a40000;font-weight:bold}.al .sev-medium{color:#a85b00}.al .sev-low{color:#4d5b69}
.al .st-passed{color:#1b6e2e}.al .st-exceptions{color:#a40000}.al .st-not_tested{color:#6b7785}
.al .st-error{color:#fff;background:#a40000;padding:0 4px}
.al .rule{border-left:4px solid #c9d2dc;padding:.1em 1em;margin:1em 0}
.al .req{background:#f3f6f9;padding:.4em .8em}.al .muted{color:#6b7785;font-size:.9em}
.al img.chart{max-width:100%;height:auto;display:block;margin:.5em 0}
.al .failed{border:3px solid #a40000;padding:1em;background:#fff1f1}
.al nav.toc{margin:1em 0;padding:.6em 1.2em;border:1px solid #c9d2dc;background:#fbfcfd}
.al nav.toc ol{margin:.2em 0;padding-left:1.6em}.al nav.toc li{margin:.1em 0}
.al nav.toc .codes{font-size:.85em}.al a{color:#24527a}
.al a.top{font-size:.8em;font-weight:normal;white-space:nowrap}
.al .h2row{display:flex;align-items:baseline;justify-content:space-between;gap:1em;
 border-bottom:2px solid #24527a;margin-top:1.6em}.al .h2row h2{border:0;margin:0;padding-bottom:.2em}
.al td.nw{white-space:nowrap}.al code{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:.88em;
 color:#333;background:#f3f4f6;padding:0 2px;overflow-wrap:anywhere}
.al .conclusion p{margin:.5em 0}.al .signoff td{height:2.6em;min-width:9em}
.al .covermeta{font-size:.9em}
@media print{
 .al{max-width:none;font-size:10pt}.al nav.toc a.top,.al a.top{display:none}.al table{width:100%}
 .al h1,.al h2,.al h3,.al .h2row{break-after:avoid;page-break-after:avoid}.al .h2row{display:block}
 .al tr,.al img,.al .req{break-inside:avoid;page-break-inside:avoid}
 .al thead{display:table-header-group}.al a{color:inherit;text-decoration:none}
 .al .cover,.al .signoff{break-inside:avoid}
}
"""

#: the print layout for WeasyPrint (report/pdf.py): A4, page numbers and the running header (from the cover's
#: hidden `runhead` line), one bookmark per section (h2) and per rule (h3 of a rule), navigation not printed;
#: on paper no cell refuses to wrap (a wide table would run off the page) and a clause's text in the coverage
#: table gets a readable column. The findings tables and the coverage tables (the ones after a chapter's h4)
#: are laid out with fixed column widths (the description takes the rest): WeasyPrint's automatic table
#: layout measures every cell's min-content width by breaking its text at every opportunity, which for
#: Chinese is every character, and that was a quarter of the PDF's CPU (docs/performance.md); the widths
#: (content; each cell adds 12pt of padding) are what the automatic layout chose, and long identifiers may
#: break rather than run over
PRINT_CSS = """
@page{size:A4;margin:20mm 16mm 18mm 16mm;
 @top-center{content:string(runhead);font-size:8pt;color:#6b7785}
 @bottom-center{content:counter(page) " / " counter(pages);font-size:8pt;color:#6b7785}}
@page :first{@top-center{content:none}}
body{margin:0;max-width:none;padding:0}
.al table.covermeta{width:auto}
.al h1{bookmark-level:none}.al h2{bookmark-level:1}.al h3{bookmark-level:none}.al .rule h3{bookmark-level:2}
.al h2{break-before:auto}.al nav.toc{break-after:page}
.al .runhead{display:block!important;visibility:hidden;height:0;margin:0;string-set:runhead content()}
.al img.chart{max-width:100%}
.al td.nw{white-space:normal!important}.al td.nw code{overflow-wrap:normal;white-space:nowrap}
.al table.findings td.nw{white-space:nowrap!important}
.al nav.toc ol{columns:2;column-gap:2em}.al nav.toc li{break-inside:avoid}
.al details.cl{display:block;width:20em}
.al table.findings,.al table.coverage,.al table.texts,.al table.params{table-layout:fixed}
.al table.findings td{overflow-wrap:anywhere}
.al table.findings td.nw{white-space:normal!important}.al table.findings td.nw code{white-space:nowrap}
.al table.findings th:nth-child(1){width:82pt}.al table.findings th:nth-child(2):nth-last-child(5){width:50pt}
.al table.findings th:nth-child(3):nth-last-child(4){width:58pt}
.al table.findings th:nth-child(4):nth-last-child(3){width:50pt}
.al table.findings th:nth-child(5):nth-last-child(2){width:30pt}
.al table.findings th:nth-child(2):nth-last-child(4){width:58pt}
.al table.findings th:nth-child(3):nth-last-child(3){width:50pt}
.al table.findings th:nth-child(4):nth-last-child(2){width:30pt}
.al table.coverage th:nth-child(1){width:28pt}.al table.coverage th:nth-child(2){width:185pt}
.al table.coverage th:nth-child(3){width:54pt}.al table.coverage th:nth-child(4){width:50pt}
.al table.texts th:nth-child(1){width:64pt}.al table.texts th:nth-child(3){width:72pt}
.al table.params th:nth-child(1){width:50pt}.al table.params th:nth-child(3){width:36pt}
.al table.params th:nth-child(4){width:52pt}
"""


def esc(v) -> str:
    """Escape any value for HTML text or attribute context; None/NaN/NA render empty."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return ""
    return html.escape(str(v), quote=True)


def style() -> str:
    return f"<style>{CSS}</style>"


def wrap(body: str) -> str:
    return f'<div class="al">{english_plurals(body)}</div>'


def table_html(
    df: pd.DataFrame,
    headers: Iterable[str] | None = None,
    numeric: Iterable[str] = (),
    trusted: Iterable[str] = (),
    nowrap: Iterable[str] = (),
    cls: str = "",
) -> str:
    """A plain HTML table with every cell escaped, except `trusted` columns of markup this module built."""
    numeric, trusted, nowrap = set(numeric), set(trusted), set(nowrap)
    heads = list(headers) if headers is not None else list(df.columns)
    out = [
        f'<table class="{esc(cls)}"><thead><tr>' if cls else "<table><thead><tr>",
        *(f"<th>{esc(h)}</th>" for h in heads),
        "</tr></thead><tbody>",
    ]
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
    # the link sits beside the heading, not in it: the heading's text is the PDF bookmark
    return f'<div class="h2row"><h2 id="{esc(anchor_id)}">{esc(text)}</h2>{_top(lang)}</div>'


def _n(x) -> str:
    return f"{int(x):,}"


def fmt_when(s: pd.Series) -> pd.Series:
    """Timestamps as text; a column of midnights (day-based findings) as dates."""
    if len(s) and (s.dropna() == s.dropna().dt.normalize()).all():
        return s.dt.strftime("%Y-%m-%d")
    return s.dt.strftime("%Y-%m-%d %H:%M:%S")


#: how a parameter value's parts are joined, per language: items, groups (pairs), key and its values
SEPARATORS = {"zh": ("、", "；", "与", "："), "en": (", ", "; ", " and ", ": ")}


def localize_param(v, lang: str) -> str:
    """A parameter value as words in the report language: vocabulary codes as labels, lists joined the way the
    language writes them (``宣传推介与柜面操作；后台信息处理与后台资金处理``), booleans as yes/no; never a
    Python literal."""
    item, group, pair, key = SEPARATORS[lang]
    if isinstance(v, bool):
        return t("yes" if v else "no", lang)
    if isinstance(v, str):
        if v in TABLES:
            return table_name_words(v, lang)
        return label(v, lang) if v in VOCAB["zh"] else v
    if isinstance(v, dict):
        return group.join(f"{localize_param(k, lang)}{key}{localize_param(x, lang)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        if v and all(isinstance(x, list | tuple) for x in v):
            return group.join(pair.join(localize_param(y, lang) for y in x) for x in v)
        return item.join(localize_param(x, lang) for x in v)
    return str(v)


def requirement(code: str, result) -> str:
    """The rule's requirement in words with this audit's parameters, every value in the report language."""
    lang = result.params.language
    params = result.params.rule_params(code)
    return REGISTRY[code].requirement_text(lang, {k: localize_param(v, lang) for k, v in params.items()})


def cited(cites, lang: str = "en") -> str:
    """A rule's cited clause ids, each linking to the clause's row and text in the coverage section."""
    return SEPARATORS[lang][1].join(f'<a href="#{anchor("clause", slug(c))}">{esc(c)}</a>' for c in cites)


#: file names (findings.xlsx, data_quality.csv ...) in a sentence are shown as code
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]+\.(?:csv|xlsx|pdf|html|json|ipynb)\b")


def prose(text: str) -> str:
    """A sentence of the report, escaped, with the file names it mentions set as code."""
    return _FILE_NAME.sub(lambda m: f"<code>{m.group(0)}</code>", esc(text))


#: identifiers in a sentence that comes from elsewhere (a rule's not-tested reason): `data_changes`,
#: `transactions.fee`
_IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:[._][a-z0-9]+)+\b")


def code_words(text: str) -> str:
    """A sentence, escaped, with the table, column and file names in it set as code."""
    return _IDENTIFIER.sub(lambda m: f"<code>{m.group(0)}</code>", esc(text))


def code(v) -> str:
    return f"<code>{esc(v)}</code>" if esc(v) else ""


def table_name(name: str, lang: str) -> str:
    """A data table in words with its file's name as code: ``备份（<code>backups</code>）``."""
    meaning = TABLES[name].meaning if name in TABLES else ""
    zh, _, en = meaning.partition(" ")
    words = zh if lang == "zh" else en
    if not words:
        return code(name)
    return f"{esc(words)}（{code(name)}）" if lang == "zh" else f"{esc(words)} ({code(name)})"


def column_name(name: str, lang: str) -> str:
    """An optional column (`transactions.fee`) in words with its name as code:
    ``交易费用（<code>...</code>）``."""
    words = label(name, lang)
    if words == name:
        return code(name)
    return f"{esc(words)}（{code(name)}）" if lang == "zh" else f"{esc(words)} ({code(name)})"


def table_list(names: Iterable[str], lang: str) -> str:
    return SEPARATORS[lang][0].join(table_name(n, lang) for n in names)


def evidence_ref(ev, lang: str) -> str:
    """Where a finding rests in the institution's files (`operations row 12`), as code; rows in zh as
    第 N 行."""
    text = "" if ev is None or ev is pd.NA or (isinstance(ev, float) and math.isnan(ev)) else str(ev)
    if lang == "zh":
        text = re.sub(r"\b([a-z_]+) row (\d+)", r"\1 第\2行", text)
    return code(text)


def missing_tables(result, code_: str) -> list[str]:
    return [tb for tb in REGISTRY[code_].tables if not result.bundle.has(tb)]


def selected_families(result) -> list[str]:
    selected = set(result.params.selected())
    return list(dict.fromkeys(code.split("-")[0] for code in result.summary["rule_code"] if code in selected))


def not_tested_reason(result, row) -> str:
    """Why a rule was not tested, as markup: the tables not provided named in words, else the engine's
    reason."""
    lang = result.params.language
    missing = missing_tables(result, row["rule_code"]) if row["rule_code"] in REGISTRY else []
    if missing and row["rule_code"] in set(result.params.selected()):
        words = SEPARATORS[lang][0].join(esc(table_name_words(tb, lang)) for tb in missing)
        return esc(t("reason_missing", lang, tables="\0")).replace("\0", words)
    return code_words(row["not_tested_reason"])


def table_name_words(name: str, lang: str) -> str:
    meaning = TABLES[name].meaning if name in TABLES else ""
    zh, _, en = meaning.partition(" ")
    return (zh if lang == "zh" else en) or name


def status_html(row, lang: str, result=None) -> str:
    key = {"passed": "passed", "exceptions": "has_exceptions", "not_tested": "not_tested", "error": "error"}
    text = esc(t(key[row["status"]], lang))
    colon = "：" if lang == "zh" else ": "
    if row["status"] == "not_tested":
        text += colon + (
            not_tested_reason(result, row) if result is not None else code_words(row["not_tested_reason"])
        )
    if row["status"] == "error":  # the exception's text is for the auditor (working papers), not the examiner
        text += colon + prose(t("rule_failed", lang))
    return f'<span class="st-{esc(row["status"])}">{text}</span>'


#: sections other modules add (clause coverage, mitigations, responses), in the contract's order, by anchor
OPTIONAL_SECTIONS = ("coverage", "mitigations", "responses")


def optional_title(key: str, lang: str) -> str:
    """The heading of an optional section, as its own module writes it (from the one catalogue)."""
    return t({"coverage": "cov_title", "mitigations": "mit.title"}.get(key, f"section_{key}"), lang)


def report_sections(result, optional: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(anchor, title) of every section of the report in the contract's order; `optional` names the sections
    of OPTIONAL_SECTIONS this report has. The contents list and the PDF's bookmarks follow this order."""
    lang = result.params.language
    out = [
        (anchor(k), t(k.replace("-", "_"), lang))
        for k in ("conclusion", "key-findings", "scope", "methodology")
    ]
    out += [(anchor("family", f), f"{f} {t(f'family_{f}', lang)}") for f in selected_families(result)]
    out.append((anchor("data-quality"), t("data_quality", lang)))
    out += [(anchor(k), optional_title(k, lang)) for k in OPTIONAL_SECTIONS if k in set(optional)]
    out += [(anchor("appendix"), t("appendix", lang)), (anchor("sign-off"), t("sign_off", lang))]
    return out


def toc(result, sections: Iterable[tuple[str, str]] | None = None) -> str:
    """Contents with in-page links (plain anchors: the report carries no script): the sections, and under each
    family its rules by code (the title shows on hover and in the rule-by-rule table)."""
    lang = result.params.language
    sections = list(sections) if sections is not None else report_sections(result)
    selected = set(result.params.selected())
    items = []
    for key, title in sections:
        rules = ""
        if key.startswith("family-"):
            fam = key.removeprefix("family-")
            rules = (
                '<br><span class="codes">'
                + " · ".join(
                    f'<a href="#{anchor("rule", c)}" title="{esc(REGISTRY[c].title[lang])}">{esc(c)}</a>'
                    for c in result.summary["rule_code"]
                    if REGISTRY[c].family == fam and c in selected
                )
                + "</span>"
            )
        items.append(f'<li><a href="#{esc(key)}">{esc(title)}</a>{rules}</li>')
    return (
        f'<nav class="toc" id="{anchor("contents")}"><b>{esc(t("contents", lang))}</b>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def running_header(result, run: dict) -> str:
    p = result.params
    return (
        f"{p.institution_name} · {p.period_start} — {p.period_end} · "
        f"{t('run_id', p.language)} {run.get('run_id', '')}"
    )


def cover(result, run: dict, sections: Iterable[tuple[str, str]] | None = None) -> str:
    """The cover: what was examined, when, and which run and data the report rests on; then the contents."""
    p, lang = result.params, result.params.language
    rows = [
        (t("institution", lang), f"{p.institution_name} ({p.institution_id})"),
        (t("period", lang), f"{p.period_start} — {p.period_end}"),
        (t("as_of", lang), str(p.as_of)),
        (t("report_date", lang), str(run.get("report_date") or dt.date.today())),
        (t("run_id", lang), run.get("run_id", "")),
        (t("fingerprint", lang), run.get("fingerprint", "")),
        (t("version", lang), run.get("version", "")),
    ]
    if run.get("key_fingerprint"):  # the key that seals manifest.json (manifest.sig), for `verify --pubkey`
        rows.append((t("key_fingerprint", lang), run["key_fingerprint"]))
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return style() + wrap(
        f'<div class="cover"><h1>{esc(t("report_title", lang))}</h1>'
        f'<p class="runhead" hidden>{esc(running_header(result, run))}</p>'
        f'<table class="covermeta">{body}</table>'
        f'<p class="muted">{esc(t("masked_note", lang))}</p></div>' + toc(result, sections)
    )


def tracking_block(result, tracking) -> str:
    lang = result.params.language
    c = tracking.counts()
    return (
        f"<h3>{esc(t('tracking', lang))}</h3>"
        f"<p>{esc(t('tracking_intro', lang, previous=tracking.previous_label))} "
        f"{esc(t('tracking_counts', lang, **{k: _n(v) for k, v in c.items()}))}</p>"
    )


def severity_grid(result) -> str:
    """Findings by family and severity (families with findings only)."""
    lang = result.params.language
    f = result.findings
    grid = pd.crosstab(f["family"], f["severity"]).reindex(
        index=list(FAMILIES), columns=list(SEVERITIES), fill_value=0
    )
    grid[t("total", lang)] = grid.sum(axis=1)
    grid = grid[grid[t("total", lang)] > 0] if len(f) else grid.iloc[0:0]
    if not len(grid):
        return f"<p>{esc(t('no_findings', lang))}</p>"
    fam = pd.DataFrame({t("family", lang): [t(f"family_{x}", lang) for x in grid.index]})
    for c in grid.columns:
        fam[label(c, lang) if c in SEVERITIES else c] = grid[c].to_numpy()
    return table_html(fam, numeric=list(fam.columns[1:]))


def rule_status_table(result, tracking=None) -> str:
    """Every rule of the catalogue: severity, population, exceptions, rate, status (why not tested, in
    words)."""
    lang = result.params.language
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
            t("status", lang): [status_html(r, lang, result) for _, r in s.iterrows()],
        }
    )
    numeric = [t("population", lang), t("exceptions", lang), t("rate", lang)]
    if tracking is not None:
        for key in ("new", "recurring", "resolved"):
            rules[t(f"{key}_n", lang)] = [_n(tracking.counts(c)[key]) for c in s["rule_code"]]
            numeric.append(t(f"{key}_n", lang))
    return table_html(rules, numeric=numeric, trusted=(t("status", lang), t("rule", lang)))


def findings_table(result, f: pd.DataFrame, tracking=None, with_rule: bool = False) -> str:
    """Findings as the report shows them: finding id, (rule,) entity, time, status, detail, evidence."""
    lang = result.params.language
    tab = pd.DataFrame({t("finding_id", lang): [code(x) for x in f["finding_id"]]}, index=f.index)
    if with_rule:
        tab[t("rule_title", lang)] = [
            f'<a href="#{anchor("rule", c)}">{esc(c)}</a> {esc(REGISTRY[c].title[lang])}'
            for c in f["rule_code"]
        ]
    tab[t("entity", lang)] = f["entity_id"].map(esc)
    tab[t("occurred_at", lang)] = fmt_when(f["occurred_at"]).map(esc)
    tab[t("status", lang)] = f["status"].map(lambda v: esc(label(v, lang)))
    if tracking is not None:
        tab[t("tracking_col", lang)] = f["tracking"].map(lambda v: esc(label(v, lang)) if v else "")
    colon = "：" if lang == "zh" else ": "
    tab[t("detail", lang)] = [
        # a detail may name a table or column of the institution's data (INFO-002's changed field): as code
        f'{code_words(d)}<span class="ev">{esc(t("evidence_ref", lang))}{colon}{evidence_ref(e, lang)}</span>'
        for d, e in zip(f["detail"], f["evidence"], strict=True)
    ]
    nowrap = (t("status", lang), t("finding_id", lang))
    return table_html(tab, trusted=tab.columns, nowrap=nowrap, cls="findings")


def rule_block(result, code_: str, sample: int = SAMPLE_ROWS, tracking=None) -> str:
    """One rule: what was required, what was found, and its first exceptions with their finding ids."""
    lang = result.params.language
    r = REGISTRY[code_]
    row = result.summary.set_index("rule_code").loc[code_]
    row["rule_code"] = code_
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    found = sep.join(
        f"{t(k, lang)}{colon}{v}"
        for k, v in (
            ("population", _n(row["population"])),
            ("exceptions", _n(row["exceptions"])),
            ("rate", fmt_rate(row["exception_rate"])),
        )
    )
    if row.get("left_out", 0):  # rows a value the rule needs is missing from: neither tested nor exceptions
        found += f"; {t('left_out', lang, n=_n(row['left_out']))}"
    if tracking is not None and row["tested"]:
        c = tracking.counts(code_)
        found += sep + t("tracking_rule", lang, **{k: _n(v) for k, v in c.items()})
    head = (
        f'<h3 id="{anchor("rule", code_)}">{esc(code_)} {esc(r.title[lang])} '
        f'<span class="sev-{esc(r.severity)}">[{esc(label(r.severity, lang))}]</span></h3>'
    )
    parts = [
        f'<div class="rule">{head}',
        f'<div class="req"><b>{esc(t("required", lang))}</b>{colon}{esc(requirement(code_, result))}<br>'
        f'<span class="muted">{esc(t("citation", lang))}{colon}{cited(r.cites, lang)}</span></div>',
        f"<p><b>{esc(t('found', lang))}</b>{colon}{status_html(row, lang, result)}"
        + (f" — {esc(found)}" if row["tested"] else "")
        + "</p>",
    ]
    f = result.findings[result.findings["rule_code"] == code_]
    if len(f):
        caption = (
            t("sample", lang, shown=sample, total=_n(len(f)))
            if len(f) > sample
            else t("sample_all", lang, total=_n(len(f)))
        )
        parts.append(f"<p>{prose(caption)}</p>{findings_table(result, f.head(sample), tracking)}")
    if tracking is not None:
        gone = tracking.resolved[tracking.resolved["rule_code"] == code_]
        if len(gone):
            shown = gone.head(sample)
            tab = pd.DataFrame(
                {
                    t("finding_id", lang): [code(x) for x in shown["finding_id"]],
                    t("entity", lang): shown["entity_id"].map(esc),
                    t("previous_detail", lang): shown.get("detail", pd.Series("", index=shown.index)).map(
                        code_words
                    ),
                }
            )
            parts.append(f"<p>{esc(t('resolved_list', lang))}</p>{table_html(tab, trusted=tab.columns)}")
            if len(gone) > sample:
                parts.append(f'<p class="muted">{prose(t("more_findings", lang, n=len(gone) - sample))}</p>')
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
    """data_quality rows with their reasons localized and personal data masked (the loader quotes bad
    cells)."""
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
                t("table", lang): table_name(i.table, lang),
                t("file", lang): code(i.path.name),
                t("encoding", lang): code(i.encoding or ""),
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
            files,
            numeric=(t("rows_read", lang), t("rows_loaded", lang), t("rows_quarantined", lang)),
            trusted=(t("table", lang), t("file", lang), t("encoding", lang)),
        ),
    ]
    if b.missing or b.missing_columns:  # optional tables, and optional columns of contract v2
        names = [table_list(b.missing, lang)] if b.missing else []
        names += [column_name(m, lang) for m in b.missing_columns]
        text = esc(t("not_provided", lang, tables=chr(0))).replace(chr(0), SEPARATORS[lang][0].join(names))
        parts.append(f"<p>{text}</p>")
    q = b.quality
    if len(q):
        shown = quality_frame(q.head(limit), lang)
        tab = pd.DataFrame(
            {
                t("table", lang): shown["table"].map(code),
                t("row", lang): shown["row"].map(esc),
                t("column", lang): [", ".join(code(c) for c in str(x).split(",")) for x in shown["column"]],
                t("reason", lang): shown["reason"].map(esc),
                t("status", lang): shown["action"].map(lambda a: esc(t(f"quality_{a}", lang))),
            }
        )
        parts.append(
            f"<h3>{prose(t('quality_sample', lang, n=limit))}</h3>{table_html(tab, trusted=tab.columns)}"
        )
    return wrap("".join(parts))


def parameter_sentences(result) -> str:
    """Each rule's requirement with this audit's parameter values, in words (no parameter names), its version,
    and whether the params file changed a default."""
    lang = result.params.language
    p = result.params
    codes = [c for c in result.summary["rule_code"] if c in set(p.selected())]
    adjusted = {c for c in codes if p.rule_params(c) != REGISTRY[c].params}
    tab = pd.DataFrame(
        {
            t("rule", lang): [f'<a href="#{anchor("rule", c)}">{esc(c)}</a>' for c in codes],
            t("required", lang): [esc(requirement(c, result)) for c in codes],
            t("rule_version", lang): [esc(REGISTRY[c].version) for c in codes],
            t("parameters", lang): [esc(t("adjusted" if c in adjusted else "default", lang)) for c in codes],
        }
    )
    nowrap = (t("rule", lang), t("rule_version", lang), t("parameters", lang))
    params = table_html(tab, trusted=tab.columns, nowrap=nowrap, cls="params")
    return f"<p>{esc(t('params_intro', lang))}</p>{params}"


def appendix(result, run: dict, legend: str = "", with_mitigations: bool = True) -> str:
    """Parameters as sentences, the sources legend (built by report/narrative.py), input files, the sample,
    the package versions. `with_mitigations` lists the params' approved exceptions here while the report has
    no section of its own for them."""
    lang = result.params.language
    p = result.params
    files = pd.DataFrame(
        [
            {
                t("file", lang): code(i.path.name),
                t("rows_read", lang): _n(i.rows_read),
                "SHA-256": code(i.sha256),
            }
            for i in result.bundle.files.values()
        ]
    )
    pkgs = pd.DataFrame(
        sorted(run.get("packages", {}).items()), columns=[t("package", lang), t("rule_version", lang)]
    )
    parts = [
        _h2(t("appendix", lang), anchor("appendix"), lang),
        f"<h3>{esc(t('parameters', lang))}</h3>{parameter_sentences(result)}",
        legend,
        f"<h3>{esc(t('input_files', lang))}</h3>"
        f"{table_html(files, numeric=(t('rows_read', lang),), trusted=(t('file', lang), 'SHA-256'))}",
    ]
    if with_mitigations and p.mitigations:  # the approver is named in the working papers, not here
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
        f"<h3>{esc(t('audit_sample', lang))}</h3><p>{prose(t('sample_note', lang, n=p.sample_size))}</p>"
    )
    parts.append(f"<h3>{esc(t('packages', lang))}</h3>{table_html(pkgs)}")
    return wrap("".join(parts))
