"""SUIT extras: who was sold what, a heat map of product risk against investor tolerance.

Information for the examiner beside the SUIT rule blocks: the confirmed purchase-type sales of the period
(the SUIT population) counted by the product's risk level and the investor's latest tolerance at the
application, with the cells the matching matrix forbids outlined in red and, in them, how many sales had
no signed mismatch confirmation (SUIT-001's exceptions). Same computation as the rules, with their
effective parameters (matrix, three-level label maps). Counts only: no personal data, no ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from ...engine import rule_context as engine_rule_context
from ...i18n import t
from ...partition.aggregate import per_bucket
from ...rules.base import RuleContext
from ...rules.suit import (
    LEVELS,
    has_history,
    matrix_table,
    purchase_ratings,
    purchases_in_period,
    rating_in_force,
    with_assessment,
)
from ..charts import figure_html, new_figure
from ..html import esc, table_html
from . import family_extra

RED = "#c0392b"
#: column / row keys beyond the five levels
UNKNOWN, NONE = 0, -1


def rule_context(result, code: str) -> RuleContext:
    """The context the engine gives `code`: its declared tables, effective parameters, period and calendar."""
    return engine_rule_context(result.params, result.bundle, code)


def _cells_part(ctx: RuleContext) -> pd.DataFrame:
    """Sales and unconfirmed ones per (product level, investor level) of the purchases in `ctx`'s tables."""
    m = with_assessment(ctx)
    r = purchase_ratings(ctx, m)
    if has_history(ctx):  # a sale with no rating in force is shown apart (see `rating_sentence`)
        m, r = m[r["rated_at"].notna().to_numpy()], r[r["rated_at"].notna().to_numpy()]
    product = r["product_level"]
    investor = m["tolerance_level"].fillna(UNKNOWN).astype("int64").where(m["assessed_at"].notna(), NONE)
    return (
        pd.DataFrame(
            {
                "product": product.fillna(UNKNOWN).astype("int64").to_numpy(),
                "investor": investor.to_numpy(),
                "unconfirmed": ~m["risk_mismatch_confirmed"].fillna(False).to_numpy(dtype=bool),
            }
        )
        .groupby(["product", "investor"])
        .agg(sales=("unconfirmed", "size"), unconfirmed=("unconfirmed", "sum"))
        .reset_index()
    )


def suitability_cells(result) -> pd.DataFrame:
    """Sales counted per (product level, investor level): `product`, `investor` (1-5, 0 = unrecognised
    label, -1 = no assessment), `sales`, `unconfirmed` (no signed mismatch confirmation), `allowed`.
    Counted per bucket of customers (SUIT-001's key) and summed; in memory, over one."""
    ctx = rule_context(result, "SUIT-001")
    counted = pd.concat(per_bucket(result.bundle, ctx, "SUIT-001", _cells_part), ignore_index=True)
    cells = (
        counted.groupby(["product", "investor"])
        .agg(sales=("sales", "sum"), unconfirmed=("unconfirmed", "sum"))
        .astype("int64")
        .reset_index()
    )
    allowed = matrix_table(ctx.params["matrix"])
    known = (cells["product"] > 0) & (cells["investor"] > 0)
    cells["allowed"] = (
        known & allowed[cells["investor"].clip(lower=0).to_numpy(), cells["product"].clip(lower=0).to_numpy()]
    )
    cells["mismatch"] = known & ~cells["allowed"]
    return cells


def _unrated(ctx: RuleContext) -> int:
    m = purchases_in_period(ctx, ["product_code", "applied_at"])
    return int(rating_in_force(ctx, m["product_code"], m["applied_at"])["rated_at"].isna().sum())


def _axis(levels: list[int], prefix: str, label_map: dict, lang: str) -> list[str]:
    """Tick labels: `C3`, with the institution's own labels under it when it maps them (稳健型)."""
    names = {UNKNOWN: t("suit.unrecognised", lang), NONE: t("suit.no_assessment", lang)}
    own: dict[str, list[str]] = {}
    for label, std in label_map.items():
        own.setdefault(str(std).strip().upper(), []).append(str(label))
    return [
        names.get(v, f"{prefix}{v}" + ("\n" + "/".join(own[f"{prefix}{v}"]) if f"{prefix}{v}" in own else ""))
        for v in levels
    ]


def heat_map(cells: pd.DataFrame, params: dict, lang: str) -> str:
    allowed = matrix_table(params["matrix"])
    rows = list(range(1, LEVELS + 1)) + ([UNKNOWN] if (cells["product"] == UNKNOWN).any() else [])
    cols = list(range(1, LEVELS + 1)) + [v for v in (UNKNOWN, NONE) if (cells["investor"] == v).any()]
    grid = np.zeros((len(rows), len(cols)), dtype=np.int64)
    unconf = np.zeros_like(grid)
    ri = {v: i for i, v in enumerate(rows)}
    ci = {v: i for i, v in enumerate(cols)}
    for p, i, s, u in cells[["product", "investor", "sales", "unconfirmed"]].itertuples(index=False):
        grid[ri[p], ci[i]] = s  # at most 7 x 7 cells
        unconf[ri[p], ci[i]] = u
    fig, ax = new_figure(6.8, 0.9 + 0.55 * len(rows))
    ax.imshow(np.log1p(grid), cmap="Blues", aspect="auto", vmin=0, vmax=max(np.log1p(grid.max()), 1) * 1.15)
    top = grid.max() or 1
    for r, p in enumerate(rows):
        for c, i in enumerate(cols):
            forbidden = p > 0 and i > 0 and not allowed[i, p]
            dark = grid[r, c] > top**0.75 and grid[r, c] > 0
            text = f"{grid[r, c]:,}"
            if forbidden and grid[r, c]:
                text += "\n" + t("suit.unconfirmed_short", lang, n=f"{unconf[r, c]:,}")
            ax.text(c, r, text, ha="center", va="center", fontsize=7.5, color="white" if dark else "#1d232b")
            if forbidden:
                ax.add_patch(
                    Rectangle((c - 0.46, r - 0.46), 0.92, 0.92, fill=False, edgecolor=RED, linewidth=1.8)
                )
    ax.set_xticks(range(len(cols)), _axis(cols, "C", params["investor_label_map"], lang), fontsize=8)
    ax.set_yticks(range(len(rows)), _axis(rows, "R", params["product_label_map"], lang), fontsize=8)
    ax.set_xlabel(t("suit.investor", lang), fontsize=8)
    ax.set_ylabel(t("suit.product", lang), fontsize=8)
    ax.set_title(t("suit.title", lang), fontsize=9)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(length=0)
    return figure_html(fig, t("suit.alt", lang))


def rating_sentence(result, lang: str) -> str:
    """Which product rating judged the sales; without the rating history, how many SUIT-001 verdicts rest on
    a rating dated after the sale (the rule's own count, from its summary)."""
    ctx = rule_context(result, "SUIT-001")
    summary = result.summary.set_index("rule_code")
    if has_history(ctx):  # those sales are SUIT-006's exceptions when it ran (no second pass at 10^7)
        if "SUIT-006" in summary.index and summary.loc["SUIT-006", "tested"]:
            n = int(summary.loc["SUIT-006", "exceptions"])
        else:
            n = sum(per_bucket(result.bundle, ctx, "SUIT-001", _unrated))
        return t("suit.history", lang, unrated=t("suit.unrated", lang, n=f"{n:,}") if n else "")
    row = summary.loc["SUIT-001"] if "SUIT-001" in summary.index else None
    notes = row["notes"] if row is not None and "notes" in row and isinstance(row["notes"], dict) else {}
    if "later_rating" not in notes:  # SUIT-001 not run (disabled, or its error): nothing to count
        return t("suit.no_history", lang)
    n, k = notes["later_rating"], notes.get("later_rating_exceptions", 0)
    later = t("suit.later", lang, n=f"{n:,}", k=f"{k:,}") if n else t("suit.later_none", lang)
    return t("suit.no_history", lang) + ("" if lang == "zh" else " ") + later


@family_extra("SUIT")
def suit_extras(result, lang: str) -> str:
    """The suitability heat map with its one-line summary and the mismatched combinations."""
    head = f"<h3>{esc(t('suit.heading', lang))}</h3>"
    missing = [t for t in ("transactions", "risk_assessments", "products") if not result.bundle.has(t)]
    if missing:
        return head + f'<p class="muted">{esc(t("suit.missing", lang, tables=", ".join(missing)))}</p>'
    try:
        cells = suitability_cells(result)
    except (
        ValueError
    ) as e:  # e.g. a bad matrix parameter: SUIT-001 reports it as its error; the report goes on
        return head + f'<p class="muted">{esc(e)}</p>'
    if cells.empty:
        return head + f"<p>{esc(t('suit.none', lang))}</p>"
    mis = cells[cells["mismatch"]]
    # a purchase with no assessment is SUIT-002's, whatever its product's label
    unrecognised = (cells["investor"] != NONE) & (
        (cells["investor"] == UNKNOWN) | (cells["product"] == UNKNOWN)
    )
    summary = t(
        "suit.summary",
        lang,
        n=f"{int(cells['sales'].sum()):,}",
        mismatch=f"{int(mis['sales'].sum()):,}",
        unconfirmed=f"{int(mis['unconfirmed'].sum()):,}",
        none=f"{int(cells.loc[cells['investor'] == NONE, 'sales'].sum()):,}",
        unknown=f"{int(cells.loc[unrecognised, 'sales'].sum()):,}",
    )
    parts = [
        head,
        f"<p>{esc(summary)}</p>",
        f"<p>{esc(rating_sentence(result, lang))}</p>",
        heat_map(cells, result.params.rule_params("SUIT-001"), lang),
        f'<p class="muted">{esc(t("suit.note", lang))}</p>',
    ]
    if len(mis):
        mis = mis.sort_values(["product", "investor"], ascending=[False, True])
        tab = pd.DataFrame(
            {
                t("suit.pair", lang): "R" + mis["product"].astype(str) + " → C" + mis["investor"].astype(str),
                t("suit.sales", lang): mis["sales"].to_numpy(),
                t("suit.unconfirmed", lang): mis["unconfirmed"].to_numpy(),
            }
        )
        parts.append(f"<p>{esc(t('suit.cell_table', lang))}</p>")
        parts.append(table_html(tab, numeric=(t("suit.sales", lang), t("suit.unconfirmed", lang))))
    return "".join(parts)
