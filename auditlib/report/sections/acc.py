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

from ...i18n import t
from ...rules.acc import KIND_NAMES, KINDS
from ..charts import figure_html, new_figure
from ..html import esc, fmt_rate, not_tested_reason, table_html
from . import family_extra

RED = "#c0392b"
PROBLEMS = KINDS[1:]  # every kind but "valid", in the order the rule tests them


def _n(x) -> str:
    return f"{int(x):,}"


def _rate(bad: int, n: int) -> str:
    return fmt_rate(bad / n) if n else "—"


def _summary(result, code: str):
    s = result.summary[result.summary["rule_code"] == code]
    return s.iloc[0] if len(s) else None


def _frame(result, code: str) -> pd.DataFrame:
    return result.rule_frames.get(code, pd.DataFrame())


def _not_tested(result, row, what: str, lang: str) -> str | None:
    """A muted line when the rule did not run (disabled, data not provided, error), else None; the tables not
    provided are named in words, as in the rule's block."""
    if row is not None and row["tested"]:
        return None
    if row is None:
        reason = esc(t("disabled", lang))
    elif row["status"] == "error":
        reason = esc(t("rule_failed", lang))
    else:
        reason = not_tested_reason(result, row)
    line = esc(t("acc.not_tested", lang, what=t("acc." + what, lang), reason="\0")).replace("\0", reason)
    return f'<p class="muted">{line}</p>'


def id_kinds(result) -> pd.Series:
    """Customers with an invalid resident ID number per kind of problem (PROBLEMS order; ACC-002's
    findings)."""
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
    ax.set_xlabel(t("acc.customers", lang), fontsize=8)
    ax.set_title(t("acc.title", lang), fontsize=9)
    for yi, v in zip(y, counts.to_numpy(), strict=True):
        ax.text(v, yi, f" {int(v):,}", va="center", fontsize=7)
    ax.set_xlim(0, max(int(counts.max()) * 1.15, 1))
    return figure_html(fig, t("acc.alt", lang))


def ids_block(result, lang: str) -> str:
    row = _summary(result, "ACC-002")
    skipped = _not_tested(result, row, "what_ids", lang)
    if skipped:
        return skipped
    counts = id_kinds(result)
    bad = int(counts.sum())
    n = row["population"]
    out = f"<p>{esc(t('acc.ids', lang, n=_n(n), bad=_n(bad), rate=_rate(bad, n)))}"
    f = _frame(result, "ACC-002")
    fifteen = int(f["fifteen"].sum()) if "fifteen" in f else 0
    if fifteen:
        out += " " + esc(t("acc.fifteen", lang, n=_n(fifteen)))
    out += "</p>"
    if not bad:
        return out + f"<p>{esc(t('acc.none_bad', lang))}</p>"
    tab = pd.DataFrame(
        {
            t("acc.kind", lang): [KIND_NAMES[lang][k] for k in PROBLEMS],
            t("acc.customers", lang): [_n(v) for v in counts],
            t("acc.share", lang): [_rate(int(v), bad) for v in counts],
        }
    )
    return (
        out
        + _kinds_chart(counts, lang)
        + table_html(tab, numeric=[t("acc.customers", lang), t("acc.share", lang)])
    )


def shared_block(result, lang: str) -> str:
    row = _summary(result, "ACC-003")
    skipped = _not_tested(result, row, "what_shared", lang)
    if skipped:
        return skipped
    f = _frame(result, "ACC-003")
    numbers = f.groupby(["id_type", "id_number"]).ngroups if len(f) else 0
    return f"<p>{esc(t('acc.shared', lang, n=_n(len(f)), numbers=_n(numbers)))}</p>"


def trades_block(result, lang: str) -> str:
    row = _summary(result, "ACC-001")
    skipped = _not_tested(result, row, "what_trades", lang)
    if skipped:
        return skipped
    side = _frame(result, "ACC-001").get("side", pd.Series(dtype=object))
    before = int((side == "before_open").sum())
    text = t(
        "acc.trades",
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
        f"<h3>{esc(t('acc.heading', lang))}</h3>"
        f"<p>{esc(t('acc.required', lang))}</p>"
        + ids_block(result, lang)
        + shared_block(result, lang)
        + trades_block(result, lang)
    )
