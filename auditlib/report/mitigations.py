"""The report's mitigations section: approved exceptions that ended, are about to end, or were never used.

An approved exception (params `mitigations`) turns matching findings `mitigated` only while it is valid
(rules.md v2, "Mitigations end"). The examiner needs to see the ones that stopped covering during the
period (the conflict may have gone on), the ones that end within 30 days after the as-of day (renewal or
remediation due), and the ones that matched no finding (approved for nothing: stale, or aimed at the wrong
person or rule). Every value from the params is escaped; the approver is named in the working papers, not
here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..i18n import t
from ..rules import REGISTRY
from .html import _h2, esc, style, table_html, wrap

SOON_DAYS = 30


def mitigation_table(result) -> pd.DataFrame:
    """One row per params mitigation with its use in this audit: `rule, staff_id, entity_id, reason,
    valid_until (date), matched, covered, lapsed, expired_in_period, ending_soon, unused`."""
    p = result.params
    use = result.mitigation_use
    rows = []
    for i, m in enumerate(p.mitigations):
        matched = int(use["matched"].iloc[i]) if i < len(use) else 0
        covered = int(use["covered"].iloc[i]) if i < len(use) else 0
        lapsed = int(use["lapsed"].iloc[i]) if i < len(use) else 0
        rows.append(
            {
                "rule": m.rule,
                "staff_id": m.staff_id,
                "entity_id": m.entity_id,
                "reason": m.reason,
                "valid_until": m.valid_until,
                "matched": matched,
                "covered": covered,
                "lapsed": lapsed,
                "expired_in_period": p.period_start <= m.valid_until <= p.period_end,
                "ending_soon": p.as_of < m.valid_until <= p.as_of + dt.timedelta(days=SOON_DAYS),
                "unused": matched == 0,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "rule",
            "staff_id",
            "entity_id",
            "reason",
            "valid_until",
            "matched",
            "covered",
            "lapsed",
            "expired_in_period",
            "ending_soon",
            "unused",
        ],
    )


def _rule_text(code: str, lang: str) -> str:
    r = REGISTRY.get(code)
    return f"{code} {r.title[lang]}" if r else code  # a family (SOD) is shown as given


def _listing(rows: pd.DataFrame, lang: str) -> str:
    if rows.empty:
        return f"<p>{esc(t('mit.empty', lang))}</p>"
    tab = pd.DataFrame(
        {
            t("mit.rule", lang): [_rule_text(c, lang) for c in rows["rule"]],
            t("mit.target", lang): [
                t("mit.staff", lang, id=s) if s else t("mit.entity", lang, id=e)
                for s, e in zip(rows["staff_id"], rows["entity_id"], strict=True)
            ],
            t("mit.reason", lang): rows["reason"],
            t("mit.valid_until", lang): [d.isoformat() for d in rows["valid_until"]],
            t("mit.matched", lang): rows["matched"].map(lambda n: f"{n:,}"),
            t("mit.covered", lang): rows["covered"].map(lambda n: f"{n:,}"),
            t("mit.lapsed", lang): rows["lapsed"].map(lambda n: f"{n:,}"),
        }
    )
    return table_html(
        tab,
        numeric=(t("mit.matched", lang), t("mit.covered", lang), t("mit.lapsed", lang)),
        nowrap=(t("mit.valid_until", lang),),
    )


def mitigations_section(result) -> str:
    """The mitigations section of the examiner's report (HTML, every params value escaped)."""
    lang = result.params.language
    head = _h2(t("mit.title", lang), "mitigations", lang)
    m = mitigation_table(result)
    if m.empty:
        return style() + wrap(head + f"<p>{esc(t('mit.none', lang))}</p>")
    f = result.findings
    lapsed = int(result.mitigation_use.attrs.get("lapsed_findings", 0))
    until = (result.params.as_of + dt.timedelta(days=SOON_DAYS)).isoformat()
    expired, soon, unused = m[m["expired_in_period"]], m[m["ending_soon"]], m[m["unused"]]
    covered = int((f["status"] == "mitigated").sum())
    parts = [
        head,
        f"<p>{esc(t('mit.intro', lang, n=len(m), covered=covered, lapsed=lapsed))}</p>",
        f"<h3>{esc(t('mit.expired', lang, n=len(expired)))}</h3>{_listing(expired, lang)}",
        f"<h3>{esc(t('mit.soon', lang, days=SOON_DAYS, until=until, n=len(soon)))}</h3>"
        f"{_listing(soon, lang)}",
        f"<h3>{esc(t('mit.unused', lang, n=len(unused)))}</h3>{_listing(unused, lang)}",
    ]
    return style() + wrap("".join(parts))
