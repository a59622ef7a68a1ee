"""INFO extras: changes to business data and their approval (IC 42), counted by business table.

Beside INFO-002's block: what was required (every change approved beforehand by someone else) and what was
found, per business table: the changes of the period and how many had no approver, were approved by the
person who made them, had no approval time or were approved only after the change (one change can fall in
more than one). Same computation as the rule, with its effective parameters (`change_checks`). Counts only:
no personal data (old and new values are never shown), no staff ids. A table, no chart: four numbers per
business table read better as a table.
"""

from __future__ import annotations

import pandas as pd

from ...rules.info import change_checks, table_names
from ..html import esc, table_html
from . import family_extra
from .suit import rule_context

TEXT = {
    "zh": {
        "heading": "业务数据修改的审批（信息性统计）",
        "missing": "未提供业务数据修改记录，无法检查业务数据修改是否经过审批。",
        "required": "要求：对{tables}数据的修改，须事先经修改人以外的人员审批（审批时间不晚于修改时间）。",
        "found": "检查期间内对上述数据的修改共 {n} 条，其中 {ok} 条事先经他人审批，{bad} 条未经独立的事先审批。",
        "none": "检查期间内无对上述数据的修改记录。",
        "other": "另有 {n} 条修改涉及其他数据表，不在检查范围内。",
        "table": "业务数据",
        "changes": "修改条数",
        "no_approver": "无审批人",
        "self_approved": "修改人本人审批",
        "no_time": "无审批时间",
        "late": "审批晚于修改",
        "note": "一条修改可同时属于多种情形。",
    },
    "en": {
        "heading": "Approval of changes to business data (information)",
        "missing": "No record of changes to business data was provided: whether such changes were approved "
        "could not be checked.",
        "required": "Required: every change to {tables} data is approved beforehand (no later than the change) "
        "by someone other than the person making it.",
        "found": "{n} changes to these data in the period: {ok} approved beforehand by someone else, {bad} "
        "without independent prior approval.",
        "none": "No change to these data in the period.",
        "other": "{n} further changes concern other tables and are outside this check.",
        "table": "Business data",
        "changes": "Changes",
        "no_approver": "No approver",
        "self_approved": "Approved by its maker",
        "no_time": "No approval time",
        "late": "Approved after the change",
        "note": "One change can fall under more than one heading.",
    },
}
CHECKS = ("no_approver", "self_approved", "no_time", "late")


def _tx(key: str, lang: str, **kw) -> str:
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


def _joined(names: list[str], lang: str) -> str:
    words = table_names(pd.Series(names, dtype="string"), lang).tolist()
    return "、".join(words) if lang == "zh" else ", ".join(words)


def change_counts(result) -> pd.DataFrame:
    """Per business table (as named in the data): `changes` and the count of each check."""
    dc, checks = change_checks(rule_context(result, "INFO-002"))
    frame = pd.DataFrame({"table": dc["table_name"].str.lower().to_numpy(), **checks})
    return frame.groupby("table", sort=True).agg(changes=("table", "size"), **{c: (c, "sum") for c in CHECKS})


@family_extra("INFO")
def info_extras(result, lang: str) -> str:
    """What INFO-002 required and found, by business table."""
    head = f"<h3>{esc(_tx('heading', lang))}</h3>"
    if not result.bundle.has("data_changes"):
        return head + f'<p class="muted">{esc(_tx("missing", lang))}</p>'
    ctx = rule_context(result, "INFO-002")
    tables = [str(t) for t in ctx.params["tables"]]
    parts = [head, f"<p>{esc(_tx('required', lang, tables=_joined(tables, lang)))}</p>"]
    counts = change_counts(result)
    n = int(counts["changes"].sum())
    _, checks = change_checks(ctx)
    bad = int(pd.DataFrame(checks).any(axis=1).sum()) if n else 0
    parts.append(
        f"<p>{esc(_tx('found', lang, n=f'{n:,}', ok=f'{n - bad:,}', bad=f'{bad:,}') if n else _tx('none', lang))}"
    )
    in_period = ctx.in_period(ctx.tables["data_changes"]["changed_at"])
    other = int(in_period.sum()) - n
    parts.append((" " if lang == "en" else "") + esc(_tx("other", lang, n=f"{other:,}")) if other else "")
    parts.append("</p>")
    if n:
        shown = pd.DataFrame(
            {
                _tx("table", lang): table_names(pd.Series(counts.index, dtype="string"), lang).to_numpy(),
                _tx("changes", lang): counts["changes"].to_numpy(),
                **{_tx(c, lang): counts[c].to_numpy() for c in CHECKS},
            }
        )
        numeric = [_tx("changes", lang), *(_tx(c, lang) for c in CHECKS)]
        parts.append(table_html(shown, numeric=numeric))
        parts.append(f'<p class="muted">{esc(_tx("note", lang))}</p>')
    return "".join(parts)
