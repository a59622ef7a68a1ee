"""The examiner's sections around the rule results: conclusion, key findings, scope and limitations,
methodology, the sources legend and the sign-off block (outputs.md v2, "The report").

They are written from the results, the way an examiner writes them: counts, the high-severity matters by
name, what could not be tested and why, and the basis of the work (data supplied by the institution, not
reconciled to its source systems). Codes stay out of the sentences: tables are named in words with their
file name as code, rules by title with their code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from ..i18n import t
from ..rules import REGISTRY
from .html import (
    SEPARATORS,
    _h2,
    _n,
    anchor,
    esc,
    findings_table,
    missing_tables,
    prose,
    rule_status_table,
    severity_grid,
    table_html,
    table_list,
    tracking_block,
    wrap,
)

#: high-severity findings listed one by one under Key findings;
#: more are counted and left to the working papers
KEY_FINDINGS_ROWS = 100


def _selected(result) -> list[str]:
    selected = set(result.params.selected())
    return [c for c in result.summary["rule_code"] if c in selected]


def not_provided(result) -> tuple[list[str], list[str]]:
    """(tables not provided that a selected rule needs, the rules that were not tested for that reason)."""
    tables, rules = [], []
    for c in _selected(result):
        missing = missing_tables(result, c)
        if missing:
            rules.append(c)
            tables += [tb for tb in missing if tb not in tables]
    return tables, rules


def _codes(codes: list[str], lang: str) -> str:
    return SEPARATORS[lang][0].join(codes)


def _engagement(p) -> dict:
    """The fields that name the engagement in the report's sentences (institution, period, as_of)."""
    return {"name": p.institution_name, "start": p.period_start, "end": p.period_end, "as_of": p.as_of}


def conclusion(result, tracking=None) -> str:
    """A short overall statement generated from the results, then the counts by family and severity."""
    p, lang = result.params, result.params.language
    s, f = result.summary, result.findings
    selected = _selected(result)
    sel = s[s["rule_code"].isin(selected)]
    sev = {k: int((f["severity"] == k).sum()) for k in ("high", "medium", "low")}
    paras = [
        esc(
            t(
                "concl_scope",
                lang,
                **_engagement(p),
                selected=len(selected),
                tested=int(sel["tested"].sum()),
            )
        )
    ]
    with_exc = int((sel["status"] == "exceptions").sum())
    if len(f):
        mitigated = int((f["status"] == "mitigated").sum())
        paras.append(
            esc(
                t(
                    "concl_found",
                    lang,
                    with_exc=with_exc,
                    n=_n(len(f)),
                    mitigated=_n(mitigated),
                    open=_n(len(f) - mitigated),
                    **{k: _n(v) for k, v in sev.items()},
                )
            )
        )
    else:
        paras.append(esc(t("concl_clean", lang)))
    high = f[f["severity"] == "high"]
    if len(high):
        counts = high.groupby("rule_code", sort=False).size()
        items = "".join(
            f'<li><a href="#{anchor("rule", c)}">'
            f"{esc(t('rule_count', lang, title=REGISTRY[c].title[lang], code=c, n=_n(n)))}</a></li>"
            for c, n in counts.items()
        )
        paras.append(f"<p>{esc(t('concl_high', lang, n=_n(len(high))))}</p><ul>{items}</ul>")
    elif len(f):
        paras.append(esc(t("concl_no_high", lang)))
    tables, untested = not_provided(result)
    if untested:
        text = esc(t("concl_missing", lang, tables="\0", k=len(untested), codes=_codes(untested, lang)))
        paras.append(text.replace("\0", table_list(tables, lang)))
    errors = sel.loc[sel["status"] == "error", "rule_code"].tolist()
    if errors:
        paras.append(esc(t("concl_errors", lang, k=len(errors), codes=_codes(errors, lang))))
    quarantined = sum(i.rows_quarantined for i in result.bundle.files.values())
    if quarantined:
        paras.append(esc(t("concl_quality", lang, n=_n(quarantined))))
    paras.append(esc(t("concl_basis", lang)))
    return wrap(
        _h2(t("conclusion", lang), anchor("conclusion"), lang)
        + '<div class="conclusion">'
        + "".join(x if x.startswith("<") else f"<p>{x}</p>" for x in paras)  # escaped text never starts so
        + "</div>"
        + f"<h3>{esc(t('by_family_severity', lang))}</h3>{severity_grid(result)}"
        + (tracking_block(result, tracking) if tracking is not None else "")
    )


def key_findings(result, tracking=None, limit: int = KEY_FINDINGS_ROWS) -> str:
    """High-severity findings one by one (finding id, rule, entity, detail, evidence), then the medium and
    low ones by rule, then every rule's result."""
    lang = result.params.language
    f = result.findings
    high = f[f["severity"] == "high"]
    parts = [
        _h2(t("key_findings", lang), anchor("key-findings"), lang),
        f"<h3>{esc(t('high_findings', lang))}</h3>",
    ]
    if len(high):
        parts.append(findings_table(result, high.head(limit), tracking, with_rule=True))
        if len(high) > limit:
            parts.append(f'<p class="muted">{prose(t("high_more", lang, n=_n(len(high) - limit)))}</p>')
    else:
        parts.append(f"<p>{esc(t('no_high', lang))}</p>")
    rest = f[f["severity"] != "high"]
    if len(rest):
        order = {"medium": 0, "low": 1}
        counts = (
            rest.groupby(["rule_code", "severity"], sort=False)
            .size()
            .reset_index(name="n")
            .sort_values(["severity", "rule_code"], key=lambda c: c.map(order) if c.name == "severity" else c)
        )
        tab = pd.DataFrame(
            {
                t("rule", lang): [
                    f'<a href="#{anchor("rule", c)}">{esc(c)}</a>' for c in counts["rule_code"]
                ],
                t("title", lang): [esc(REGISTRY[c].title[lang]) for c in counts["rule_code"]],
                t("severity", lang): [esc(t_sev(v, lang)) for v in counts["severity"]],
                t("exceptions", lang): counts["n"].map(_n).tolist(),
            }
        )
        parts.append(
            f"<h3>{esc(t('other_findings', lang))}</h3>"
            + table_html(tab, trusted=tab.columns, numeric=(t("exceptions", lang),))
        )
    parts.append(f"<h3>{esc(t('rule_status', lang))}</h3>{rule_status_table(result, tracking)}")
    return wrap("".join(parts))


def t_sev(v: str, lang: str) -> str:
    from ..i18n import label

    return label(v, lang)


def scope(result) -> str:
    """What was examined (institution, period, as_of, the data supplied), what was not tested and why, and the
    limitations of the work."""
    p, lang = result.params, result.params.language
    b = result.bundle
    parts = [
        _h2(t("scope", lang), anchor("scope"), lang),
        "<p>" + esc(t("scope_intro", lang, **_engagement(p))) + "</p>",
        f"<h3>{esc(t('scope_data', lang))}</h3>",
    ]
    files = pd.DataFrame(
        {
            t("table", lang): [table_list([i.table], lang) for i in b.files.values()],
            t("rows_loaded", lang): [_n(i.rows_loaded) for i in b.files.values()],
        }
    )
    parts.append(table_html(files, trusted=(t("table", lang),), numeric=(t("rows_loaded", lang),)))
    tables, untested = not_provided(result)
    s = result.summary.set_index("rule_code")
    other = [c for c in _selected(result) if not s.loc[c, "tested"] and c not in untested]
    if untested or other:
        from .html import status_html

        rows = [dict(s.loc[c], rule_code=c) for c in untested + other]
        tab = pd.DataFrame(
            {
                t("rule", lang): [
                    f'<a href="#{anchor("rule", r["rule_code"])}">{esc(r["rule_code"])}</a>' for r in rows
                ],
                t("title", lang): [esc(REGISTRY[r["rule_code"]].title[lang]) for r in rows],
                t("reason", lang): [status_html(r, lang, result) for r in rows],
            }
        )
        parts.append(f"<h3>{esc(t('scope_not_tested', lang))}</h3>{table_html(tab, trusted=tab.columns)}")
    limits = [esc(t("limit_source", lang))]
    if tables:
        limits.append(esc(t("limit_missing", lang, tables="\0")).replace("\0", table_list(tables, lang)))
    else:
        limits.append(esc(t("limit_none_missing", lang)))
    quarantined = sum(i.rows_quarantined for i in b.files.values())
    if quarantined:
        limits.append(esc(t("limit_quality", lang, n=_n(quarantined))))
    limits.append(esc(t("limit_manual", lang)))
    parts.append(
        f"<h3>{esc(t('scope_limits', lang))}</h3><ol>" + "".join(f"<li>{x}</li>" for x in limits) + "</ol>"
    )
    return wrap("".join(parts))


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def _engine_text(engine: dict, lang: str) -> str:
    """How the data was processed: in memory, or partition by partition (docs/partitioned.md)."""
    if engine.get("engine") != "partitioned":
        return t("method_engine_memory", lang)
    where = t("method_engine_cluster", lang) if engine.get("scheduler") else ""
    return t("method_engine_partitioned", lang, n=engine.get("buckets", 1), where=where)


def methodology(result, run: dict) -> str:
    """How the work was done: full-population tests, severities, the calendars and their sources, the sample
    (method and seed), masking, and the run the report rests on."""
    p, lang = result.params, result.params.language
    cal = p.calendar
    extra = ""
    if cal.extra_holidays or cal.extra_workdays or cal.holiday_file:
        extra = t("method_calendar_extra", lang, h=len(cal.extra_holidays), w=len(cal.extra_workdays))
    lunch = (
        t("method_lunch", lang, start=cal.lunch_break[0], end=cal.lunch_break[1]) if cal.lunch_break else ""
    )
    items = [
        t("method_population", lang),
        t("method_severity", lang),
        t(
            "method_calendar",
            lang,
            cc=_version("chinese-calendar"),
            xc=_version("exchange-calendars"),
            extra=extra,
            start=cal.work_start,
            end=cal.work_end,
            lunch=lunch,
        ),
        t("method_sample", lang, n=p.sample_size),
        t("method_masking", lang),
        _engine_text(run.get("engine") or {}, lang),
        t(
            "method_tools",
            lang,
            version=run.get("version", ""),
            run_id=run.get("run_id", ""),
            fingerprint=run.get("fingerprint", ""),
        ),
    ]
    return wrap(
        _h2(t("methodology", lang), anchor("methodology"), lang)
        + "<ol>"
        + "".join(f"<li>{prose(x)}</li>" for x in items)
        + "</ol>"
    )


def cited_clauses(result) -> dict[str, list[str]]:
    """Clause id -> the selected rules citing it, in catalogue order."""
    out: dict[str, list[str]] = {}
    for c in _selected(result):
        for clause in REGISTRY[c].cites:
            out.setdefault(clause, []).append(c)
    return out


def _source_of(clause_id: str) -> str:
    return re.split(r"[ -]", clause_id, maxsplit=1)[0]


def sources_legend(result, catalogue: Mapping | None = None, sources: Mapping | None = None) -> str:
    """Each cited source's full title, then each cited clause with its text (the regulation's Chinese in zh,
    the English gloss in en) and the rules citing it. `catalogue` and `sources` default to the package's
    clause catalogue (auditlib/clauses)."""
    from .. import clauses as cat

    lang = result.params.language
    catalogue = cat.clauses() if catalogue is None else catalogue
    sources = cat.sources() if sources is None else sources
    cited = cited_clauses(result)
    order = {cid: i for i, cid in enumerate(catalogue)}
    ids = sorted(cited, key=lambda c: (order.get(c, len(order)), c))
    used = list(dict.fromkeys(_source_of(c) for c in ids))
    titles = pd.DataFrame(
        {
            t("source", lang): [esc(s) for s in used],
            t("full_title", lang): [esc(_full_title(sources[s], lang)) if s in sources else "" for s in used],
        }
    )
    texts = []
    for c in ids:
        entry = catalogue.get(c)
        text = (entry.text_zh if lang == "zh" else entry.gloss_en) if entry is not None else ""
        texts.append(esc(text).replace("\n", "<br>"))
    clauses = pd.DataFrame(
        {
            t("clause", lang): [esc(c) for c in ids],
            t("clause_text", lang): texts,
            t("cited_by", lang): [
                " ".join(f'<a href="#{anchor("rule", r)}">{esc(r)}</a>' for r in cited[c]) for c in ids
            ],
        }
    )
    return (
        f"<h3>{esc(t('sources_legend', lang))}</h3>{table_html(titles, trusted=titles.columns)}"
        + table_html(clauses, trusted=clauses.columns, nowrap=(t("clause", lang),), cls="texts")
    )


def _full_title(source, lang: str) -> str:
    title = source.title(lang)
    title = f"《{title}》" if lang == "zh" and not title.startswith("《") and source.code != "CP" else title
    note = source.note_zh if lang == "zh" else source.note_en
    return f"{title}（{note}）" if note and lang == "zh" else (f"{title} ({note})" if note else title)


def sign_off(result) -> str:
    """The examiners named in params, each with empty signature and date lines to sign by hand."""
    lang = result.params.language
    examiners = result.params.examiners
    parts = [_h2(t("sign_off", lang), anchor("sign-off"), lang), f"<p>{esc(t('sign_intro', lang))}</p>"]
    rows = [(e.name, e.role) for e in examiners] or [("", "")]
    head = "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("examiner", "role", "signature", "date"))
    body = "".join(f"<tr><td>{esc(n)}</td><td>{esc(r)}</td><td></td><td></td></tr>" for n, r in rows)
    parts.append(f'<table class="signoff"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
    if not examiners:
        parts.append(f'<p class="muted">{esc(t("no_examiners", lang))}</p>')
    return wrap(f'<div class="signoff">{"".join(parts)}</div>')
