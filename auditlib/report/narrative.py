"""The examiner's sections around the rule results: conclusion, key findings, scope and limitations,
methodology, the sources legend and the sign-off block (outputs.md v2, "The report").

They are written from the results, the way an examiner writes them: counts, the high-severity matters by
name, what could not be tested and why, and the basis of the work (data supplied by the institution, not
reconciled to its source systems). Codes stay out of the sentences: tables are named in words with their
file name as code, rules by title with their code.
"""

from __future__ import annotations

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

#: high-severity findings listed one by one under Key findings; more are counted and left to the working papers
KEY_FINDINGS_ROWS = 100
SOURCES = ("IC", "SU", "CP")


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
                start=p.period_start,
                end=p.period_end,
                as_of=p.as_of,
                name=p.institution_name,
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
        "<p>"
        + esc(
            t(
                "scope_intro",
                lang,
                name=p.institution_name,
                start=p.period_start,
                end=p.period_end,
                as_of=p.as_of,
            )
        )
        + "</p>",
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


def _clause_source(clause_id: str) -> str:
    head = clause_id.split(" ")[0].split("-")[0]
    return head if head in SOURCES else ""


def _clause_text(entry, lang: str) -> str:
    """The clause's text from a catalogue entry (a mapping or an object): its Chinese text in zh, its English
    gloss in en (the Chinese text when no gloss)."""
    keys = ("text_zh", "text", "zh") if lang == "zh" else ("gloss_en", "gloss", "en", "text_zh", "text")
    for k in keys:
        v = entry.get(k) if isinstance(entry, Mapping) else getattr(entry, k, None)
        if v:
            return str(v)
    return ""


def sources_legend(result, catalogue: Mapping | None = None) -> str:
    """Each source's full title, then each cited clause with its text and the rules citing it.

    `catalogue` maps clause id -> entry (a mapping or object with `text_zh` / `gloss_en`, as the clause
    catalogue holds them); without it, or for an id it lacks, the clause is listed with its citing rules and a
    pointer to the source's text."""
    lang = result.params.language
    cited = cited_clauses(result)
    used = [s for s in SOURCES if any(_clause_source(c) == s for c in cited)]
    titles = pd.DataFrame(
        {t("source", lang): used, t("full_title", lang): [t(f"source_{s}", lang) for s in used]}
    )
    catalogue = catalogue or {}
    order = {s: i for i, s in enumerate(SOURCES)}
    ids = sorted(cited, key=lambda c: (order.get(_clause_source(c), 9), _clause_key(c)))
    clauses = pd.DataFrame(
        {
            t("clause", lang): [esc(c) for c in ids],
            t("clause_text", lang): [
                esc(_clause_text(catalogue[c], lang))
                if c in catalogue and _clause_text(catalogue[c], lang)
                else f'<span class="muted">{esc(t("clause_text_pending", lang))}</span>'
                for c in ids
            ],
            t("cited_by", lang): [
                " ".join(f'<a href="#{anchor("rule", r)}">{esc(r)}</a>' for r in cited[c]) for c in ids
            ],
        }
    )
    return f"<h3>{esc(t('sources_legend', lang))}</h3>{table_html(titles)}" + table_html(
        clauses, trusted=clauses.columns, nowrap=(t("clause", lang),)
    )


def _clause_key(clause_id: str) -> tuple:
    """`IC 8(5)` < `IC 21(1)` < `IC 45`: the numbers compared as numbers."""
    import re

    return tuple(int(n) for n in re.findall(r"\d+", clause_id))


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
