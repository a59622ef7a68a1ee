"""FEE extras: purchase fees against the contract's highest rate (IC 35).

Beside FEE-001's block: what was required, what was found (purchases checked, left out for a missing amount,
fee or rate, above the limit, and the fees charged beyond the contract rate), a chart of the fee charged as a
share of the contract's highest rate (a discount practice and any excess at a glance), and the products with
exceptions. Same computation as the rule, with its effective parameters (`fee_checks`). Product codes and
counts only: no customer, no staff.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ...rules.fee import above_limit, fee_checks, percent
from ..charts import figure_html, new_figure
from ..html import esc, table_html
from . import family_extra
from .suit import rule_context

RED, BLUE, GREY = "#c0392b", "#2f6f9f", "#9aa5b1"
TOP_PRODUCTS = 20
#: bands of the fee charged as a share of the contract's highest rate (upper edges, inclusive)
BANDS = (0.0, 0.5, 0.9)

TEXT = {
    "zh": {
        "heading": "申购费用与合同最高费率（信息性统计）",
        "missing": "未提供{what}，无法检查收取的申购费用是否超过合同约定的最高费率。",
        "fee": "交易收取的费用",
        "rate": "产品合同约定的最高费率",
        "and": "和",
        "required": "要求：认购、申购、定投收取的费用占申请金额的比例，不得超过产品合同约定的最高费率"
        "（允许误差 {tolerance}）。",
        "found": "检查期间内已确认的认购、申购、定投中，已检查 {n} 笔（金额大于零且费用和费率齐全），其中 {bad} 笔"
        "超过合同最高费率，超出合同费率部分的费用合计 {excess} 元。",
        "left_out": "另有 {n} 笔缺少金额、费用或合同费率，未能检查。",
        "none": "检查期间内没有可检查的认购、申购、定投。",
        "title": "收取费率占合同最高费率的比例",
        "alt": "按收取费率占合同最高费率比例统计的交易笔数",
        "bands": (
            "免费",
            "不超过一半",
            "一半至九成",
            "九成至上限",
            "超过上限但在允许误差内",
            "超过上限及允许误差",
        ),
        "count": "笔数",
        "product": "产品",
        "checked": "已检查笔数",
        "exceptions": "超限笔数",
        "excess": "超出合同费率部分（元）",
        "top": "超限交易所涉产品（按超出金额排序，前 {n} 个）",
    },
    "en": {
        "heading": "Purchase fees against the contract's highest rate (information)",
        "missing": "No {what} was provided: whether purchase fees exceed the contract's highest rate could not "
        "be checked.",
        "fee": "fee charged on each transaction",
        "rate": "highest fee rate of each product's contract",
        "and": " and ",
        "required": "Required: the fee on a subscription, purchase or regular investment, as a share of the "
        "amount, does not exceed the highest rate of the product's contract (tolerance {tolerance}).",
        "found": "{n} confirmed subscriptions, purchases and regular investments of the period were checked "
        "(amount above zero, fee and rate given): {bad} above the contract's highest rate, with {excess} "
        "charged beyond the contract rate in all.",
        "left_out": "{n} more lacked the amount, the fee or the contract rate and could not be checked.",
        "none": "No subscription, purchase or regular investment of the period could be checked.",
        "title": "Fee charged as a share of the contract's highest rate",
        "alt": "Transactions by fee charged as a share of the contract's highest rate",
        "bands": (
            "free",
            "up to half",
            "half to 90%",
            "90% to the limit",
            "above the limit, within tolerance",
            "above the limit and tolerance",
        ),
        "count": "Transactions",
        "product": "Product",
        "checked": "Checked",
        "exceptions": "Above the limit",
        "excess": "Beyond the contract rate",
        "top": "Products of the transactions above the limit (by amount beyond the rate, first {n})",
    },
}


def _tx(key: str, lang: str, **kw):
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


def fee_bands(m: pd.DataFrame, rate: pd.Series, bad: np.ndarray) -> np.ndarray:
    """Transactions per band (TEXT "bands") of the fee as a share of the contract rate. "Above the limit" is
    decided exactly, as the rule does (a fee exactly at the rate is at the limit), and the last band is the
    rule's own verdict, so the chart's red bar is exactly FEE-001's exceptions."""
    fee, amount, r = (x.to_numpy(dtype="float64") for x in (m["fee"], m["amount"], rate))
    over_rate = above_limit(fee, amount, r, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(r > 0, fee / amount / r, np.inf)
    band = np.select([bad, over_rate, fee <= 0, share <= BANDS[1], share <= BANDS[2]], [5, 4, 0, 1, 2], 3)
    return np.bincount(band, minlength=6)


def bands_chart(counts: np.ndarray, lang: str) -> str:
    fig, ax = new_figure(7.5, 2.9)
    x = np.arange(len(counts))
    colours = [BLUE, BLUE, BLUE, BLUE, GREY, RED]
    ax.bar(x, counts, color=colours, width=0.75)
    for i, c in enumerate(counts):
        ax.text(i, c, f"{c:,}", ha="center", va="bottom", fontsize=7.5)
    ax.set_xticks(x, _tx("bands", lang), fontsize=7.5)
    ax.set_ylabel(_tx("count", lang), fontsize=8)
    ax.set_title(_tx("title", lang), fontsize=9)
    ax.tick_params(axis="y", labelsize=7.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return figure_html(fig, _tx("alt", lang))


@family_extra("FEE")
def fee_extras(result, lang: str) -> str:
    """What FEE-001 required and found, the fees charged against the contract rate, the products over it."""
    head = f"<h3>{esc(_tx('heading', lang))}</h3>"
    missing = [
        _tx(key, lang)
        for key, column in (("fee", "transactions.fee"), ("rate", "products.max_fee_rate"))
        if not result.bundle.has(column)
    ]
    if missing:
        return head + f'<p class="muted">{esc(_tx("missing", lang, what=_tx("and", lang).join(missing)))}</p>'
    ctx = rule_context(result, "FEE-001")
    tolerance = percent([ctx.params["fee_tolerance"]])[0]
    parts = [head, f"<p>{esc(_tx('required', lang, tolerance=tolerance))}</p>"]
    m, rate, bad, left_out = fee_checks(ctx)
    extra = (" " if lang == "en" else "") + _tx("left_out", lang, n=f"{left_out:,}") if left_out else ""
    if not len(m):
        return "".join(parts) + f"<p>{esc(_tx('none', lang) + extra)}</p>"
    excess = (m["fee"] - rate * m["amount"]).where(bad, 0.0)
    found = _tx("found", lang, n=f"{len(m):,}", bad=f"{int(bad.sum()):,}", excess=f"{excess.sum():,.2f}")
    parts.append(f"<p>{esc(found + extra)}</p>")
    parts.append(bands_chart(fee_bands(m, rate, bad), lang))
    if bad.any():
        by = (
            pd.DataFrame({"product": m["product_code"].to_numpy(), "bad": bad, "excess": excess.to_numpy()})
            .groupby("product", sort=True)
            .agg(checked=("bad", "size"), exceptions=("bad", "sum"), excess=("excess", "sum"))
        )
        by = (
            by[by["exceptions"] > 0].sort_values(["excess", "exceptions"], ascending=False).head(TOP_PRODUCTS)
        )
        shown = pd.DataFrame(
            {
                _tx("product", lang): by.index.to_numpy(),
                _tx("checked", lang): by["checked"].to_numpy(),
                _tx("exceptions", lang): by["exceptions"].to_numpy(),
                _tx("excess", lang): [f"{v:,.2f}" for v in by["excess"]],
            }
        )
        parts.append(f"<p>{esc(_tx('top', lang, n=TOP_PRODUCTS))}</p>")
        parts.append(
            table_html(shown, numeric=(_tx("checked", lang), _tx("exceptions", lang), _tx("excess", lang)))
        )
    return "".join(parts)
