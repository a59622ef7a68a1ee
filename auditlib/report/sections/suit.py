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
from ...rules.base import RuleContext
from ...rules.suit import LEVELS, has_history, matrix_table, purchase_ratings, with_assessment
from ..charts import figure_html, new_figure
from ..html import esc, table_html
from . import family_extra

RED = "#c0392b"
#: column / row keys beyond the five levels
UNKNOWN, NONE = 0, -1

TEXT = {
    "zh": {
        "heading": "产品风险等级与投资者风险承受能力（信息性统计）",
        "missing": "未提供{tables}，无法绘制适用性热力图。",
        "none": "检查期间内无已确认的认购、申购、定投交易。",
        "summary": "检查期间内已确认的认购、申购、定投共 {n} 笔：产品风险等级高于投资者风险承受能力（按可销售矩阵，红框）"
        "{mismatch} 笔，其中未签署风险不匹配确认 {unconfirmed} 笔；申请前无任何风险测评 {none} 笔；"
        "风险等级标签无法识别 {unknown} 笔。",
        "investor": "投资者风险承受能力（申请时最近一次测评）",
        "product": "产品风险等级",
        "no_assessment": "无测评",
        "unrecognised": "无法识别",
        "title": "已确认的认购/申购/定投笔数",
        "alt": "按产品风险等级与投资者风险承受能力统计的销售笔数热力图",
        "note": "格中数字为笔数；红框为可销售矩阵不允许的组合，其下“未确认”为其中未签署风险不匹配确认的笔数。",
        "unconfirmed_short": "未确认 {n}",
        "cell_table": "不匹配组合明细",
        "pair": "组合",
        "sales": "笔数",
        "unconfirmed": "未签署确认",
        "history": "已提供产品风险评级历史：每笔销售按销售当日有效的产品风险评级判断。{unrated}",
        "unrated": "其中 {n} 笔销售当日产品尚无有效评级，未计入上图，另作为例外报告。",
        "no_history": "未提供产品风险评级历史：每笔销售按产品当前的风险评级判断。",
        "later": "其中 {n} 笔已测评投资者的销售，所依据的产品评级日期晚于销售当日（销售时该评级尚不存在），"
        "这些销售中 {k} 笔被判定为不匹配的例外。",
        "later_none": "所依据的产品评级日期均不晚于销售当日。",
    },
    "en": {
        "heading": "Product risk against investor tolerance (information)",
        "missing": "No {tables} provided: no suitability heat map.",
        "none": "No confirmed subscription, purchase or regular investment in the period.",
        "summary": "{n} confirmed subscriptions, purchases and regular investments in the period: {mismatch} with the "
        "product's risk above the investor's tolerance under the matching matrix (red outline), "
        "{unconfirmed} of them without a signed mismatch confirmation; {none} with no risk assessment "
        "before the application; {unknown} with a risk label that is not recognised.",
        "investor": "Investor tolerance (latest assessment at the application)",
        "product": "Product risk",
        "no_assessment": "none",
        "unrecognised": "unrecognised",
        "title": "Confirmed purchase-type sales",
        "alt": "Heat map of sales by product risk and investor tolerance",
        "note": "Numbers are sales; red outlines mark combinations the matching matrix does not allow, with the "
        "number of those sales that had no signed mismatch confirmation.",
        "unconfirmed_short": "unconf. {n}",
        "cell_table": "Mismatched combinations",
        "pair": "Combination",
        "sales": "Sales",
        "unconfirmed": "No confirmation",
        "history": "The product rating history was provided: each sale is judged by the product's rating in "
        "force on the day of the sale.{unrated}",
        "unrated": " On the day of {n} of the sales the product had no rating in force; they are not in the chart "
        "and are reported as exceptions of their own.",
        "no_history": "No product rating history was provided: each sale is judged by the product's current "
        "rating.",
        "later": "For {n} sales to assessed investors that rating is dated after the day of the sale (it did not "
        "exist when the sale was made); {k} of these sales were found unsuitable.",
        "later_none": "No sale rests on a rating dated after the day of the sale.",
    },
}


def _tx(key: str, lang: str, **kw) -> str:
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


def rule_context(result, code: str) -> RuleContext:
    """The context the engine gives `code`: its declared tables, effective parameters, period and calendar."""
    return engine_rule_context(result.params, result.bundle, code)


def suitability_cells(result) -> pd.DataFrame:
    """Sales counted per (product level, investor level): `product`, `investor` (1-5, 0 = unrecognised
    label, -1 = no assessment), `sales`, `unconfirmed` (no signed mismatch confirmation), `allowed`."""
    ctx = rule_context(result, "SUIT-001")
    m = with_assessment(ctx)
    r = purchase_ratings(ctx, m)
    if has_history(ctx):  # a sale with no rating in force is shown apart (see `rating_sentence`)
        m, r = m[r["rated_at"].notna().to_numpy()], r[r["rated_at"].notna().to_numpy()]
    product = r["product_level"]
    investor = m["tolerance_level"].fillna(UNKNOWN).astype("int64").where(m["assessed_at"].notna(), NONE)
    cells = (
        pd.DataFrame(
            {
                "product": product.fillna(UNKNOWN).astype("int64").to_numpy(),
                "investor": investor.to_numpy(),
                "unconfirmed": ~m["risk_mismatch_confirmed"].fillna(False).to_numpy(dtype=bool),
            }
        )
        .groupby(["product", "investor"])
        .agg(sales=("unconfirmed", "size"), unconfirmed=("unconfirmed", "sum"))
    )
    cells = cells.reset_index()
    allowed = matrix_table(ctx.params["matrix"])
    known = (cells["product"] > 0) & (cells["investor"] > 0)
    cells["allowed"] = (
        known & allowed[cells["investor"].clip(lower=0).to_numpy(), cells["product"].clip(lower=0).to_numpy()]
    )
    cells["mismatch"] = known & ~cells["allowed"]
    return cells


def _axis(levels: list[int], prefix: str, label_map: dict, lang: str) -> list[str]:
    """Tick labels: `C3`, with the institution's own labels under it when it maps them (稳健型)."""
    names = {UNKNOWN: _tx("unrecognised", lang), NONE: _tx("no_assessment", lang)}
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
                text += "\n" + _tx("unconfirmed_short", lang, n=f"{unconf[r, c]:,}")
            ax.text(c, r, text, ha="center", va="center", fontsize=7.5, color="white" if dark else "#1d232b")
            if forbidden:
                ax.add_patch(
                    Rectangle((c - 0.46, r - 0.46), 0.92, 0.92, fill=False, edgecolor=RED, linewidth=1.8)
                )
    ax.set_xticks(range(len(cols)), _axis(cols, "C", params["investor_label_map"], lang), fontsize=8)
    ax.set_yticks(range(len(rows)), _axis(rows, "R", params["product_label_map"], lang), fontsize=8)
    ax.set_xlabel(_tx("investor", lang), fontsize=8)
    ax.set_ylabel(_tx("product", lang), fontsize=8)
    ax.set_title(_tx("title", lang), fontsize=9)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(length=0)
    return figure_html(fig, _tx("alt", lang))


def rating_sentence(result, lang: str) -> str:
    """Which product rating judged the sales; without the rating history, how many SUIT-001 verdicts rest on
    a rating dated after the sale (the rule's own count, from its summary)."""
    ctx = rule_context(result, "SUIT-001")
    if has_history(ctx):
        m = with_assessment(ctx)
        n = int(purchase_ratings(ctx, m)["rated_at"].isna().sum())
        return _tx("history", lang, unrated=_tx("unrated", lang, n=f"{n:,}") if n else "")
    row = (
        result.summary.set_index("rule_code").loc["SUIT-001"]
        if "SUIT-001" in set(result.summary["rule_code"])
        else None
    )
    notes = row["notes"] if row is not None and "notes" in row and isinstance(row["notes"], dict) else {}
    if "later_rating" not in notes:  # SUIT-001 not run (disabled, or its error): nothing to count
        return _tx("no_history", lang)
    n, k = notes["later_rating"], notes.get("later_rating_exceptions", 0)
    later = _tx("later", lang, n=f"{n:,}", k=f"{k:,}") if n else _tx("later_none", lang)
    return _tx("no_history", lang) + ("" if lang == "zh" else " ") + later


@family_extra("SUIT")
def suit_extras(result, lang: str) -> str:
    """The suitability heat map with its one-line summary and the mismatched combinations."""
    head = f"<h3>{esc(_tx('heading', lang))}</h3>"
    missing = [t for t in ("transactions", "risk_assessments", "products") if not result.bundle.has(t)]
    if missing:
        return head + f'<p class="muted">{esc(_tx("missing", lang, tables=", ".join(missing)))}</p>'
    try:
        cells = suitability_cells(result)
    except (
        ValueError
    ) as e:  # e.g. a bad matrix parameter: SUIT-001 reports it as its error; the report goes on
        return head + f'<p class="muted">{esc(e)}</p>'
    if cells.empty:
        return head + f"<p>{esc(_tx('none', lang))}</p>"
    mis = cells[cells["mismatch"]]
    # a purchase with no assessment is SUIT-002's, whatever its product's label
    unrecognised = (cells["investor"] != NONE) & (
        (cells["investor"] == UNKNOWN) | (cells["product"] == UNKNOWN)
    )
    summary = _tx(
        "summary",
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
        f'<p class="muted">{esc(_tx("note", lang))}</p>',
    ]
    if len(mis):
        mis = mis.sort_values(["product", "investor"], ascending=[False, True])
        tab = pd.DataFrame(
            {
                _tx("pair", lang): "R" + mis["product"].astype(str) + " → C" + mis["investor"].astype(str),
                _tx("sales", lang): mis["sales"].to_numpy(),
                _tx("unconfirmed", lang): mis["unconfirmed"].to_numpy(),
            }
        )
        parts.append(f"<p>{esc(_tx('cell_table', lang))}</p>")
        parts.append(table_html(tab, numeric=(_tx("sales", lang), _tx("unconfirmed", lang))))
    return "".join(parts)
