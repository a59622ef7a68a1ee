"""ACC extras: what the account and identity checks required, what they found, and ID-number problems by kind.

An overview for the examiner above the ACC rule blocks, read from the rules' own results (their summaries and
finding frames, so the numbers are the rules' and the effective parameters are the audit's): how many
customers' resident ID numbers were checked and how many are invalid, by what is wrong (a bar chart and a
table, the 15-digit pre-1999 numbers counted apart), how many customers share a number with a customer of
another name, and how many trades fell before opening or after closing. Counts only: no names, no numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ...rules.acc import KIND_NAMES, KINDS
from ..charts import figure_html, new_figure
from ..html import esc, fmt_rate, table_html
from . import family_extra

RED = "#c0392b"
PROBLEMS = KINDS[1:]  # every kind but "valid", in the order the rule tests them

TEXT = {
    "zh": {
        "heading": "账户与客户身份：检查要求与检查结果",
        "required": "检查要求：个人客户须以有效身份证件开立账户，居民身份证号码须为 18 位、出生日期真实且不晚于开户日、"
        "校验码正确（GB 11643-1999）；同一证件号码不得登记于姓名不同的多名客户；交易须发生在客户业务关系存续期内"
        "（开户日至销户日）。",
        "ids": "检查期间内存续、以居民身份证登记（或未登记证件类型）的个人客户 {n} 名，身份证号码无效 {bad} 名"
        "（占 {rate}）。",
        "fifteen": "其中 15 位旧号码 {n} 名，需换领或补登 18 位号码。",
        "shared": "与姓名不同的其他客户登记同一证件号码的客户 {n} 名，涉及号码 {numbers} 个。",
        "trades": "检查期间内已确认的交易 {n} 笔，发生在业务关系存续期之外 {bad} 笔：早于开户日 {before} 笔，"
        "晚于销户日 {after} 笔。",
        "not_tested": "{what}未检查：{reason}",
        "what_ids": "身份证号码",
        "what_shared": "共用证件号码",
        "what_trades": "交易与业务关系存续期",
        "kind": "问题类型",
        "customers": "客户数",
        "share": "占无效号码比例",
        "title": "身份证号码问题（按类型）",
        "alt": "按问题类型统计的无效身份证号码客户数",
        "none_bad": "未发现无效的身份证号码。",
    },
    "en": {
        "heading": "Accounts and customer identity: what was required and what was found",
        "required": "Required: individual customers open accounts with a valid identity document; a resident identity "
        "number has 18 characters, a real birth date not after the account was opened and the right "
        "check character (GB 11643-1999); one ID number is not recorded for customers of different "
        "names; trades happen within the customer's relationship (from the opening to the closing date).",
        "ids": "{n} individual customers with a relationship in the period and a resident identity card (or no ID "
        "type recorded): {bad} with an invalid ID number ({rate}).",
        "fifteen": "{n} of them have a 15-digit pre-1999 number that must be replaced by the 18-character one.",
        "shared": "{n} customers share an ID number with a customer of another name ({numbers} number(s)).",
        "trades": "{n} confirmed transactions in the period, {bad} outside the customer's relationship: {before} "
        "before the opening date, {after} after the closing date.",
        "not_tested": "{what} not checked: {reason}",
        "what_ids": "Resident ID numbers",
        "what_shared": "Shared ID numbers",
        "what_trades": "Trades within the relationship",
        "kind": "Problem",
        "customers": "Customers",
        "share": "Share of invalid numbers",
        "title": "Resident ID number problems by kind",
        "alt": "Customers with an invalid resident ID number, by kind of problem",
        "none_bad": "No invalid resident ID number was found.",
    },
}


def _tx(key: str, lang: str, **kw) -> str:
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


def _n(x) -> str:
    return f"{int(x):,}"


def _rate(bad: int, n: int) -> str:
    return fmt_rate(bad / n) if n else "—"


def _summary(result, code: str):
    s = result.summary.set_index("rule_code")
    return s.loc[code] if code in s.index else None


def _frame(result, code: str) -> pd.DataFrame:
    return result.rule_frames.get(code, pd.DataFrame())


def _not_tested(row, what: str, lang: str) -> str | None:
    """A muted line when the rule did not run (disabled, data not provided, error), else None."""
    if row is not None and row["tested"]:
        return None
    reason = "" if row is None else (row["not_tested_reason"] or row["error"] or "")
    return f'<p class="muted">{esc(_tx("not_tested", lang, what=_tx(what, lang), reason=reason))}</p>'


def id_kinds(result) -> pd.Series:
    """Customers with an invalid resident ID number per kind of problem (PROBLEMS order; ACC-002's findings)."""
    f = _frame(result, "ACC-002")
    kinds = f["kind"] if "kind" in f else pd.Series(dtype=object)
    return kinds.value_counts().reindex(list(PROBLEMS), fill_value=0)


def _kinds_chart(counts: pd.Series, lang: str) -> str:
    names = [KIND_NAMES[lang][k] for k in PROBLEMS]
    fig, ax = new_figure(6.5, 2.6)
    y = np.arange(len(PROBLEMS))[::-1]
    ax.barh(y, counts.to_numpy(), color=RED, height=0.6)
    ax.set_yticks(y, names, fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel(_tx("customers", lang), fontsize=8)
    ax.set_title(_tx("title", lang), fontsize=9)
    for yi, v in zip(y, counts.to_numpy(), strict=True):
        ax.text(v, yi, f" {int(v):,}", va="center", fontsize=7)
    ax.set_xlim(0, max(int(counts.max()) * 1.15, 1))
    return figure_html(fig, _tx("alt", lang))


def ids_block(result, lang: str) -> str:
    row = _summary(result, "ACC-002")
    skipped = _not_tested(row, "what_ids", lang)
    if skipped:
        return skipped
    counts = id_kinds(result)
    bad = int(counts.sum())
    out = f"<p>{esc(_tx('ids', lang, n=_n(row['population']), bad=_n(bad), rate=_rate(bad, row['population'])))}"
    f = _frame(result, "ACC-002")
    fifteen = int(f["fifteen"].sum()) if "fifteen" in f else 0
    if fifteen:
        out += " " + esc(_tx("fifteen", lang, n=_n(fifteen)))
    out += "</p>"
    if not bad:
        return out + f"<p>{esc(_tx('none_bad', lang))}</p>"
    tab = pd.DataFrame(
        {
            _tx("kind", lang): [KIND_NAMES[lang][k] for k in PROBLEMS],
            _tx("customers", lang): [_n(v) for v in counts],
            _tx("share", lang): [_rate(int(v), bad) for v in counts],
        }
    )
    return (
        out
        + _kinds_chart(counts, lang)
        + table_html(tab, numeric=[_tx("customers", lang), _tx("share", lang)])
    )


def shared_block(result, lang: str) -> str:
    row = _summary(result, "ACC-003")
    skipped = _not_tested(row, "what_shared", lang)
    if skipped:
        return skipped
    f = _frame(result, "ACC-003")
    numbers = f.groupby(["id_type", "id_number"]).ngroups if len(f) else 0
    return f"<p>{esc(_tx('shared', lang, n=_n(len(f)), numbers=_n(numbers)))}</p>"


def trades_block(result, lang: str) -> str:
    row = _summary(result, "ACC-001")
    skipped = _not_tested(row, "what_trades", lang)
    if skipped:
        return skipped
    side = _frame(result, "ACC-001").get("side", pd.Series(dtype=object))
    before = int((side == "before_open").sum())
    text = _tx(
        "trades",
        lang,
        n=_n(row["population"]),
        bad=_n(len(side)),
        before=_n(before),
        after=_n(len(side) - before),
    )
    return f"<p>{esc(text)}</p>"


@family_extra("ACC")
def acc_extras(result, lang: str) -> str:
    """What the ACC rules required, then what they found: ID numbers (with problems by kind), shared numbers,
    trades outside the relationship."""
    return (
        f"<h3>{esc(_tx('heading', lang))}</h3>"
        f"<p>{esc(_tx('required', lang))}</p>"
        + ids_block(result, lang)
        + shared_block(result, lang)
        + trades_block(result, lang)
    )
