"""The report's mitigations section: approved exceptions that ended, are about to end, or were never used.

An approved exception (params `mitigations`) turns matching findings `mitigated` only while it is valid
(rules.md v2, "Mitigations end"). The examiner needs to see the ones that stopped covering during the
period (the conflict may have gone on), the ones that end within 30 days after the as-of day (renewal or
remediation due), and the ones that matched no finding (approved for nothing: stale, or aimed at the wrong
person or rule). Every value from the params is escaped; the approver is named in the working papers, not here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..rules import REGISTRY
from .html import _h2, esc, style, table_html, wrap

SOON_DAYS = 30

TEXT = {
    "zh": {
        "title": "已批准例外的有效期与使用情况",
        "none": "本次检查未列出已批准的例外。",
        "intro": "本次检查共列出已批准的例外 {n} 项，覆盖发现 {covered} 条。已批准的例外仅在有效期内覆盖发现："
        "岗位冲突与离职后保留岗位等持续性发现，须在其期间内最后一日仍有效方视为已批准例外；"
        "因有效期届满而未被覆盖、仍列为待整改的发现 {lapsed} 条。",
        "expired": "检查期间内到期的例外（{n} 项）",
        "soon": "检查基准日后 {days} 日内（至 {until}）到期的例外（{n} 项）",
        "unused": "未匹配任何发现的例外（{n} 项）",
        "empty": "无。",
        "rule": "规则",
        "target": "对象",
        "reason": "批准理由",
        "valid_until": "有效期至",
        "matched": "匹配发现",
        "covered": "覆盖发现",
        "lapsed": "到期后未覆盖",
        "staff": "员工 {id}",
        "entity": "{id}",
    },
    "en": {
        "title": "Approved exceptions: validity and use",
        "none": "No approved exceptions were listed for this audit.",
        "intro": "{n} approved exception(s) were listed for this audit, covering {covered} finding(s). An "
        "approved exception covers findings only while it is valid: a lasting finding (a conflict of roles, "
        "a role kept after leaving) is covered only if the exception is still valid on its last day in the "
        "period. {lapsed} finding(s) stay open because the exception had ended.",
        "expired": "Exceptions that ended inside the audit period ({n})",
        "soon": "Exceptions ending within {days} days after the as-of day, by {until} ({n})",
        "unused": "Exceptions that matched no finding ({n})",
        "empty": "None.",
        "rule": "Rule",
        "target": "Target",
        "reason": "Reason",
        "valid_until": "Valid until",
        "matched": "Findings matched",
        "covered": "Findings covered",
        "lapsed": "Not covered after it ended",
        "staff": "staff {id}",
        "entity": "{id}",
    },
}


def _tx(key: str, lang: str, **kw) -> str:
    return TEXT[lang][key].format(**kw)


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
        return f"<p>{esc(_tx('empty', lang))}</p>"
    tab = pd.DataFrame(
        {
            _tx("rule", lang): [_rule_text(c, lang) for c in rows["rule"]],
            _tx("target", lang): [
                _tx("staff", lang, id=s) if s else _tx("entity", lang, id=e)
                for s, e in zip(rows["staff_id"], rows["entity_id"], strict=True)
            ],
            _tx("reason", lang): rows["reason"],
            _tx("valid_until", lang): [d.isoformat() for d in rows["valid_until"]],
            _tx("matched", lang): rows["matched"].map(lambda n: f"{n:,}"),
            _tx("covered", lang): rows["covered"].map(lambda n: f"{n:,}"),
            _tx("lapsed", lang): rows["lapsed"].map(lambda n: f"{n:,}"),
        }
    )
    return table_html(
        tab,
        numeric=(_tx("matched", lang), _tx("covered", lang), _tx("lapsed", lang)),
        nowrap=(_tx("valid_until", lang),),
    )


def mitigations_section(result) -> str:
    """The mitigations section of the examiner's report (HTML, every params value escaped)."""
    lang = result.params.language
    head = _h2(_tx("title", lang), "mitigations", lang)
    m = mitigation_table(result)
    if m.empty:
        return style() + wrap(head + f"<p>{esc(_tx('none', lang))}</p>")
    f = result.findings
    lapsed = int(result.mitigation_use.attrs.get("lapsed_findings", 0))
    until = (result.params.as_of + dt.timedelta(days=SOON_DAYS)).isoformat()
    expired, soon, unused = m[m["expired_in_period"]], m[m["ending_soon"]], m[m["unused"]]
    parts = [
        head,
        f"<p>{esc(_tx('intro', lang, n=len(m), covered=int((f['status'] == 'mitigated').sum()), lapsed=lapsed))}</p>",
        f"<h3>{esc(_tx('expired', lang, n=len(expired)))}</h3>{_listing(expired, lang)}",
        f"<h3>{esc(_tx('soon', lang, days=SOON_DAYS, until=until, n=len(soon)))}</h3>{_listing(soon, lang)}",
        f"<h3>{esc(_tx('unused', lang, n=len(unused)))}</h3>{_listing(unused, lang)}",
    ]
    return style() + wrap("".join(parts))
