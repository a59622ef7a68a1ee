"""FEE extras: purchase fees against the contract's highest rate (IC 35).

Beside FEE-001's block: what was required, what was found (purchases checked, left out for a missing amount,
fee or rate, above the limit, and the fees charged beyond the contract rate), a chart of the fee charged as a
share of the contract's highest rate (a discount practice and any excess at a glance), and the products with
exceptions. Same computation as the rule, with its effective parameters (`fee_checks`). Product codes and
counts only: no customer, no staff.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ...i18n import t
from ...partition.aggregate import per_bucket
from ...rules.fee import above_limit, fee_checks, percent
from ..charts import figure_html, new_figure
from ..html import esc, table_html
from . import family_extra
from .suit import rule_context

RED, BLUE, GREY = "#c0392b", "#2f6f9f", "#9aa5b1"
TOP_PRODUCTS = 20
#: bands of the fee charged as a share of the contract's highest rate (upper edges, inclusive)
BANDS = (0.0, 0.5, 0.9)


def fee_bands(m: pd.DataFrame, rate: pd.Series, bad: np.ndarray) -> np.ndarray:
    """Transactions per band (i18n "fee.bands") of the fee as a share of the contract rate. "Above the limit" is
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
    ax.set_xticks(x, t("fee.bands", lang), fontsize=7.5)
    ax.set_ylabel(t("fee.count", lang), fontsize=8)
    ax.set_title(t("fee.title", lang), fontsize=9)
    ax.tick_params(axis="y", labelsize=7.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return figure_html(fig, t("fee.alt", lang))


@dataclasses.dataclass
class FeePart:
    """FEE-001's checks over some transactions (all, or one bucket of customers): counts that add up, and
    the exceptions' excess fees (as many rows as the rule's findings), summed exactly once combined."""

    checked: int
    left_out: int
    bands: np.ndarray
    products: pd.DataFrame  # per product: checked, exceptions
    over: pd.DataFrame  # per exception: product, excess


def _fee_part(ctx) -> FeePart:
    m, rate, bad, left_out = fee_checks(ctx)
    products = (
        pd.DataFrame({"product": m["product_code"].to_numpy(), "bad": bad})
        .groupby("product", sort=True)
        .agg(checked=("bad", "size"), exceptions=("bad", "sum"))
        .astype("int64")
    )
    excess = (m["fee"] - rate * m["amount"]).to_numpy(dtype="float64")[bad]
    over = pd.DataFrame({"product": m["product_code"].to_numpy()[bad], "excess": excess})
    return FeePart(len(m), left_out, fee_bands(m, rate, bad), products, over)


@family_extra("FEE")
def fee_extras(result, lang: str) -> str:
    """What FEE-001 required and found, the fees charged against the contract rate, the products over it."""
    head = f"<h3>{esc(t('fee.heading', lang))}</h3>"
    missing = [
        t("fee." + key, lang)
        for key, column in (("fee", "transactions.fee"), ("rate", "products.max_fee_rate"))
        if not result.bundle.has(column)
    ]
    if missing:
        return (
            head
            + f'<p class="muted">{esc(t("fee.missing", lang, what=t("fee.and", lang).join(missing)))}</p>'
        )
    ctx = rule_context(result, "FEE-001")
    tolerance = percent([ctx.params["fee_tolerance"]])[0]
    parts = [head, f"<p>{esc(t('fee.required', lang, tolerance=tolerance))}</p>"]
    got = per_bucket(result.bundle, ctx, "FEE-001", _fee_part)
    n, left_out = sum(g.checked for g in got), sum(g.left_out for g in got)
    extra = (" " if lang == "en" else "") + t("fee.left_out", lang, n=f"{left_out:,}") if left_out else ""
    if not n:
        return "".join(parts) + f"<p>{esc(t('fee.none', lang) + extra)}</p>"
    over = pd.concat([g.over for g in got], ignore_index=True)  # one row per exception: FEE-001's findings
    found = t("fee.found", lang, n=f"{n:,}", bad=f"{len(over):,}", excess=f"{math.fsum(over['excess']):,.2f}")
    parts.append(f"<p>{esc(found + extra)}</p>")
    parts.append(bands_chart(sum(g.bands for g in got), lang))
    if len(over):
        by = pd.concat([g.products for g in got]).groupby(level=0, sort=True).sum()
        excess = over.groupby("product", sort=True)["excess"].agg(math.fsum)  # exact: any order, any buckets
        by["excess"] = excess.reindex(by.index, fill_value=0.0)
        by = (
            by[by["exceptions"] > 0].sort_values(["excess", "exceptions"], ascending=False).head(TOP_PRODUCTS)
        )
        shown = pd.DataFrame(
            {
                t("fee.product", lang): by.index.to_numpy(),
                t("fee.checked", lang): by["checked"].to_numpy(),
                t("fee.exceptions", lang): by["exceptions"].to_numpy(),
                t("fee.excess", lang): [f"{v:,.2f}" for v in by["excess"]],
            }
        )
        parts.append(f"<p>{esc(t('fee.top', lang, n=TOP_PRODUCTS))}</p>")
        parts.append(
            table_html(
                shown, numeric=(t("fee.checked", lang), t("fee.exceptions", lang), t("fee.excess", lang))
            )
        )
    return "".join(parts)
