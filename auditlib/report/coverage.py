"""Clause coverage: for every clause of the catalogue, whether this examination tested it by data, concluded
on it by hand, or neither, and why; with the totals an examiner signs off on (clauses, % tested by data,
% concluded).

A clause's status comes from its rules' results in this run and the examiner's accepted attestation:

- no rule (manual clauses, and data clauses no rule tests yet): `manual: pass|fail|na` from the attestation,
  else `manual: not performed`;
- every rule tested, and the clause fully covered by them or its remainder attested: `tested: exceptions` when
  any of its rules found exceptions, else `manual: fail` when the remainder was attested as failed, else
  `tested: no exception`;
- some rules tested, or all of them but the remainder not attested: `partly tested`;
- no rule tested: the attestation's result when there is one (done by hand instead), else
  `not tested: data not provided` (a table, column or parameter missing) or `not tested: rule not run`
  (excluded by the params, or the rule failed). Never "passed".

"Tested by data" counts the clauses with at least one rule tested; "concluded" the clauses whose status is a
conclusion (the two `tested:` and three `manual:` results).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..attestations import RESULT_LABELS, Attestations
from ..clauses import chapter_title, clauses, slug, sources
from ..i18n import t
from ..rules import REGISTRY
from .html import _h2, anchor, code_words, esc, table_html, wrap

STATUSES = (
    "tested: no exception",
    "tested: exceptions",
    "partly tested",
    "not tested: data not provided",
    "not tested: rule not run",
    "manual: pass",
    "manual: fail",
    "manual: na",
    "manual: not performed",
)
CONCLUDED = {"tested: no exception", "tested: exceptions", "manual: pass", "manual: fail", "manual: na"}
CSV_COLUMNS = [
    "clause_id",
    "source",
    "kind",
    "coverage",
    "rules",
    "status",
    "rules_tested",
    "rules_not_tested",
    "exceptions",
    "attested_result",
    "evidence_ref",
    "performed_by",
    "performed_on",
]
CSS = """
.al .cov-tot td:first-child{font-weight:bold}.al details.cl summary{cursor:pointer}
.al details.cl .txt{white-space:pre-wrap;background:#f3f6f9;padding:.3em .6em;margin:.3em 0}
.al .cs-ok{color:#1b6e2e}.al .cs-exc,.al .cs-fail{color:#a40000;font-weight:bold}.al .cs-part{color:#a85b00}
.al .cs-not{color:#6b7785}.al .cs-pend{color:#6b7785;font-style:italic}
"""
CLASS = {
    "tested: no exception": "cs-ok",
    "tested: exceptions": "cs-exc",
    "partly tested": "cs-part",
    "not tested: data not provided": "cs-not",
    "not tested: rule not run": "cs-not",
    "manual: pass": "cs-ok",
    "manual: fail": "cs-fail",
    "manual: na": "cs-ok",
    "manual: not performed": "cs-pend",
}


def coverage_frame(result, attestations: Attestations | None) -> pd.DataFrame:
    """One row per clause of the catalogue with its status (CSV_COLUMNS, plus `open`, `mitigated` and
    the rules not tested with their reasons for the report)."""
    s = result.summary.set_index("rule_code")
    disabled = t("disabled", result.params.language)
    attested = attestations.by_clause() if attestations is not None else {}
    rows = []
    for cid, c in clauses().items():
        tested = [r for r in c.rules if r in s.index and bool(s.at[r, "tested"])]
        untested = {
            r: (s.at[r, "not_tested_reason"] if r in s.index else "") for r in c.rules if r not in tested
        }
        data_missing = all(
            r in s.index and s.at[r, "status"] == "not_tested" and s.at[r, "not_tested_reason"] != disabled
            for r in untested
        )
        exceptions = int(sum(s.at[r, "exceptions"] for r in tested))
        att = attested.get(cid)
        result_ = att["result"] if att else None
        if not c.rules:
            status = f"manual: {result_}" if att else "manual: not performed"
        elif tested and len(tested) == len(c.rules) and (c.coverage == "full" or att):
            if exceptions:
                status = "tested: exceptions"
            elif result_ == "fail":
                status = "manual: fail"
            else:
                status = "tested: no exception"
        elif tested:
            status = "partly tested"
        elif att:
            status = f"manual: {result_}"
        else:
            status = "not tested: data not provided" if data_missing else "not tested: rule not run"
        rows.append(
            {
                "clause_id": cid,
                "source": c.source,
                "kind": c.kind,
                "coverage": c.coverage,
                "rules": " ".join(c.rules),
                "status": status,
                "rules_tested": " ".join(tested),
                "rules_not_tested": " ".join(untested),
                "exceptions": exceptions,
                "attested_result": result_ or "",
                "evidence_ref": att["evidence_ref"] if att else "",
                "performed_by": att["performed_by"] if att else "",
                "performed_on": att["performed_on"] if att else "",
                "open": int(sum(s.at[r, "open"] for r in tested)),
                "mitigated": int(sum(s.at[r, "mitigated"] for r in tested)),
                "reasons": untested,
            }
        )
    return pd.DataFrame(rows)


def clause_anchor(cid: str) -> str:
    """The in-page anchor of a clause's row in the coverage section: `clause-IC-8-5`, `clause-CP-1`."""
    return anchor("clause", slug(cid))


def totals(frame: pd.DataFrame) -> dict[str, int]:
    """clauses, tested by data (at least one rule tested), concluded."""
    return {
        "clauses": len(frame),
        "tested": int((frame["rules_tested"] != "").sum()),
        "concluded": int(frame["status"].isin(CONCLUDED).sum()),
    }


# ----------------------------------------------------------------------------------------- the report section


def _pct(n: int, d: int) -> str:
    return f"{n:,}（{n / d:.0%}）" if d else "0"


def _pct_en(n: int, d: int) -> str:
    return f"{n:,} ({n / d:.0%})" if d else "0"


def _totals_html(frame: pd.DataFrame, lang: str) -> str:
    pct = _pct if lang == "zh" else _pct_en
    rows = []
    for code, src in sources().items():
        tot = totals(frame[frame["source"] == code])
        rows.append(
            {
                t("cov_source", lang): f"{src.short(lang)}（{code}）"
                if lang == "zh"
                else f"{src.short(lang)} ({code})",
                t("cov_clauses", lang): f"{tot['clauses']:,}",
                t("cov_tested", lang): pct(tot["tested"], tot["clauses"]),
                t("cov_concluded", lang): pct(tot["concluded"], tot["clauses"]),
            }
        )
    tot = totals(frame)
    rows.append(
        {
            t("cov_source", lang): t("cov_total", lang),
            t("cov_clauses", lang): f"{tot['clauses']:,}",
            t("cov_tested", lang): pct(tot["tested"], tot["clauses"]),
            t("cov_concluded", lang): pct(tot["concluded"], tot["clauses"]),
        }
    )
    by_source = table_html(
        pd.DataFrame(rows), numeric=(t("cov_clauses", lang), t("cov_tested", lang), t("cov_concluded", lang))
    )
    counts = frame["status"].value_counts()
    st = pd.DataFrame(
        {
            t("cov_status", lang): [_status_html(k, lang) for k in STATUSES if counts.get(k, 0)],
            t("cov_count", lang): [f"{counts[k]:,}" for k in STATUSES if counts.get(k, 0)],
        }
    )
    by_status = table_html(st, numeric=(t("cov_count", lang),), trusted=(t("cov_status", lang),))
    return f'<div class="cov-tot">{by_source}</div><h3>{esc(t("cov_by_status", lang))}</h3>{by_status}'


def status_text(status: str, lang: str) -> str:
    """A status in words for the examiner (`partly tested` -> 部分检查（其余须人工检查）)."""
    return t("covst_" + status.replace(": ", "_").replace(" ", "_"), lang)


def _status_html(status: str, lang: str) -> str:
    return f'<span class="{CLASS[status]}">{esc(status_text(status, lang))}</span>'


def _detail(row, c, lang: str) -> str:
    parts = []
    if row["rules_tested"]:
        n = len(row["rules_tested"].split())
        text = t("cov_rules_run", lang).format(n=n, exc=f"{row['exceptions']:,}")
        if row["exceptions"]:
            text += t("cov_open_mit", lang).format(open=f"{row['open']:,}", mit=f"{row['mitigated']:,}")
        parts.append(text)
    for code, reason in row["reasons"].items():
        parts.append(t("cov_not_run", lang).format(rule=code, reason=reason or "-"))
    if c.not_covered and c.kind == "data":
        parts.append(t("cov_left_out", lang).format(what=c.not_covered[lang]))
    if row["attested_result"]:
        # when the status is the attestation's result, the line need not repeat it
        key = "cov_evidence" if row["status"].startswith("manual:") else "cov_attested"
        parts.append(
            t(key, lang).format(
                result=RESULT_LABELS[lang][row["attested_result"]],
                ref=row["evidence_ref"] or "-",
                by=row["performed_by"],
                on=row["performed_on"],
            )
        )
    return "<br>".join(code_words(p) for p in parts)  # a reason may name a table or column: as code


def _how(c, result, lang: str) -> str:
    if not c.rules:
        return esc(t("cov_manual_only", lang))
    selected = set(result.params.selected())
    links = [
        f'<a href="#{anchor("rule", r)}">{esc(r)}</a>' if r in selected and r in REGISTRY else esc(r)
        for r in c.rules
    ]
    return " ".join(links)


def _requirement(c, lang: str) -> str:
    """A short line (the English gloss, or the text's opening in Chinese) opening onto the clause's own
    text."""
    summary = c.summary(lang)
    if lang == "zh" and len(summary) > 40:
        summary = summary[:38] + "……"
    head = (
        f"{t('cov_full_text', lang)}（{c.label}）："
        if lang == "zh"
        else f"{t('cov_full_text', lang)} ({c.label}):"
    )
    return (
        f'<details class="cl"><summary>{esc(summary)}</summary>'
        f'<div class="txt">{esc(head)}\n{esc(c.text_zh)}</div></details>'
    )


def _attestation_block(att: Attestations | None, lang: str) -> str:
    if att is None:
        return f'<p class="muted">{esc(t("cov_att_none", lang))}</p>'
    rows = att.rows
    head = t("cov_att_file", lang).format(
        file=Path(att.file).name,
        rows=f"{len(rows):,}",
        ok=f"{int(rows['accepted'].sum()):,}",
        bad=f"{att.rejected:,}",
        blank=f"{att.unfilled:,}",
    )
    out = f"<p>{esc(head)}</p>"
    bad = rows[~rows["accepted"]]
    if len(bad):
        tab = pd.DataFrame(
            {
                t("cov_row", lang): bad["source_row"].map(lambda r: f"{int(r):,}"),
                t("cov_clause", lang): bad["clause_id"],
                t("cov_reason", lang): bad["reason_zh" if lang == "zh" else "reason"],
            }
        )
        out += f"<h3>{esc(t('cov_rejected', lang))}</h3>{table_html(tab, numeric=(t('cov_row', lang),))}"
    return out


def coverage_section(result, attestations: Attestations | None) -> str:
    """The report's clause-coverage section (HTML fragment)."""
    lang = result.params.language
    frame = coverage_frame(result, attestations)
    known = clauses()
    parts = [
        f"<style>{CSS}</style>",
        _h2(t("cov_title", lang), anchor("coverage"), lang),
        f"<p>{esc(t('cov_intro', lang))}</p>",
        _totals_html(frame, lang),
        _attestation_block(attestations, lang),
    ]
    by_id = frame.set_index("clause_id")
    for code, src in sources().items():
        parts.append(f"<h3>{esc(src.title(lang))}</h3>")
        ids = [cid for cid, c in known.items() if c.source == code]
        # the guidances by chapter; the complaint procedures (several documents per clause) as one table
        groups = (
            [
                (ch, [cid for cid in ids if known[cid].chapter == ch])
                for ch in dict.fromkeys(known[i].chapter for i in ids)
            ]
            if code != "CP"
            else [("", ids)]
        )
        for chapter, in_chapter in groups:
            tab = pd.DataFrame(
                {
                    t("cov_clause", lang): [
                        f'<span id="{clause_anchor(cid)}">{esc(cid)}</span>' for cid in in_chapter
                    ],
                    t("cov_requirement", lang): [_requirement(known[cid], lang) for cid in in_chapter],
                    t("cov_how", lang): [_how(known[cid], result, lang) for cid in in_chapter],
                    t("cov_status", lang): [
                        _status_html(by_id.at[cid, "status"], lang) for cid in in_chapter
                    ],
                    t("cov_detail", lang): [_detail(by_id.loc[cid], known[cid], lang) for cid in in_chapter],
                }
            )
            if chapter:
                parts.append(f"<h4>{esc(chapter_title(chapter, lang))}</h4>")
            parts.append(
                table_html(
                    tab,
                    trusted=tuple(tab.columns),
                    nowrap=(t("cov_clause", lang), t("cov_status", lang)),
                    cls="coverage",
                )
            )
    return wrap("".join(parts))
