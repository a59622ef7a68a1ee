"""ABN extras: fund transfers on time or late by month, and trade dates around the cut-off.

Information for the examiner beside the ABN rule blocks, computed exactly as ABN-005 and ABN-007 do
(same helpers, their effective parameters):

* transfers by month of business date: executed on time, executed late, not executed and overdue
  at as_of, not yet due; the late share per month as a line;
* applications by hour of the day: all applications, and those whose trade date breaks the cut-off rule,
  split by why (booked into today at or after the cut-off, pushed to a later day before it, on a
  non-trading day). A cluster just after the cut-off is the "late trading" pattern IC 21(2) targets.

* branch sweeps by receiving account (masked): into a head-office sales special account or not (ABN-009).

Counts only: no ids, no names; receiving accounts masked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ...calendar import CalendarRangeError
from ...i18n import t
from ...mask import mask_account
from ...partition.aggregate import per_bucket
from ...rules.abn import (
    cents,
    cutoff_check,
    parse_cutoff,
    special_accounts,
    sweeps_in_period,
    transfer_timeliness,
)
from ..charts import figure_html, new_figure
from ..html import esc, table_html
from . import family_extra
from .suit import rule_context

GREEN, ORANGE, RED, GREY, BLUE = "#3a8f4b", "#e8a33d", "#c0392b", "#c9d2dc", "#24527a"
TRANSFER_STATES = ("on_time", "late", "missing", "not_due")
STATE_COLOURS = (GREEN, ORANGE, RED, GREY)
CUTOFF_KINDS = ("after_cutoff", "before_cutoff", "non_trading")
CUTOFF_COLOURS = (RED, ORANGE, BLUE)


def _months_part(ctx) -> pd.DataFrame:
    """Transfers per (month of business date, state) in `ctx`'s tables: `month`, `state`, `n`."""
    ft, _, late, missing = transfer_timeliness(ctx)
    executed = ft["executed_at"].notna().to_numpy()
    state = np.select([late, missing, executed], ["late", "missing", "on_time"], "not_due")
    month = ft["business_date"].dt.strftime("%Y-%m").to_numpy()
    return (
        pd.DataFrame({"month": month, "state": state})
        .groupby(["month", "state"])
        .size()
        .reset_index(name="n")
    )


def transfer_months(result) -> pd.DataFrame:
    """Transfers per month of business date (index `YYYY-MM`) and state (columns TRANSFER_STATES), counted per
    bucket (ABN-005's key) and summed; in memory, over one."""
    ctx = rule_context(result, "ABN-005")
    counted = pd.concat(per_bucket(result.bundle, ctx, "ABN-005", _months_part), ignore_index=True)
    counts = counted.groupby(["month", "state"])["n"].sum().unstack("state", fill_value=0)
    counts = counts.reindex(columns=list(TRANSFER_STATES), fill_value=0).astype("int64")
    counts.columns.name = "state"
    return counts


def _hours_part(ctx) -> np.ndarray:
    """Applications per hour (row 0) and wrong trade dates per hour by kind (rows 1.., CUTOFF_KINDS)."""
    tx, expected, trading, before = cutoff_check(ctx)
    wrong = tx["trade_date"].to_numpy() != expected
    kind = np.select([~trading, before], ["non_trading", "before_cutoff"], "after_cutoff")
    hour = tx["applied_at"].dt.hour.to_numpy()
    rows = [np.bincount(hour, minlength=24)]
    rows += [np.bincount(hour[wrong & (kind == k)], minlength=24) for k in CUTOFF_KINDS]
    return np.array(rows, dtype=np.int64)


def cutoff_hours(result) -> pd.DataFrame:
    """Applications per hour of the day (0-23): `all` and the wrong trade dates by kind (CUTOFF_KINDS),
    counted per bucket (ABN-007's key) and summed."""
    ctx = rule_context(result, "ABN-007")
    counts = sum(per_bucket(result.bundle, ctx, "ABN-007", _hours_part))
    out = pd.DataFrame(index=pd.RangeIndex(24, name="hour"))
    for name, row in zip(("all", *CUTOFF_KINDS), counts, strict=True):
        out[name] = row
    return out


def _finish(ax, ax2, ncol: int) -> None:
    """Whole-number count axes, small ticks, one legend for both axes under the chart."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for a in (ax, ax2):
        a.tick_params(labelsize=7)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(
        handles=handles, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol
    )


def transfers_chart(result, lang: str) -> str:
    head = f"<h3>{esc(t('abn.transfers', lang))}</h3>"
    if not result.bundle.has("fund_transfers"):
        return head + f'<p class="muted">{esc(t("abn.no_transfers", lang))}</p>'
    months = transfer_months(result)
    if months.empty:
        return head + f"<p>{esc(t('abn.none_transfers', lang))}</p>"
    totals = months.sum()
    grace = result.params.rule_params("ABN-005")["grace_minutes"]
    summary = t(
        "abn.transfers_summary",
        lang,
        n=f"{int(totals.sum()):,}",
        grace=grace,
        **{s: f"{int(totals[s]):,}" for s in TRANSFER_STATES},
    )
    fig, ax = new_figure(7.5, 3.2)
    x = np.arange(len(months))
    bottom = np.zeros(len(months))
    for state, colour in zip(TRANSFER_STATES, STATE_COLOURS, strict=True):
        ax.bar(x, months[state], bottom=bottom, color=colour, label=t("abn." + state, lang), width=0.75)
        bottom += months[state].to_numpy()
    ax.set_xticks(x, [str(m) for m in months.index], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel(t("abn.count", lang), fontsize=8)
    ax.set_title(t("abn.transfers_title", lang), fontsize=9)
    share = (months["late"] + months["missing"]) / months.sum(axis=1).replace(0, np.nan)
    ax2 = ax.twinx()
    ax2.plot(
        x,
        share.to_numpy() * 100,
        color=RED,
        marker="o",
        markersize=3,
        linewidth=1.2,
        label=t("abn.late_share", lang),
    )
    ax2.set_ylabel(t("abn.late_share", lang) + " (%)", fontsize=8)
    ax2.set_ylim(0, max(float(np.nanmax(share.to_numpy() * 100)) * 1.3, 1.0))
    ax2.spines[["top"]].set_visible(False)
    _finish(ax, ax2, ncol=5)
    tab = months.reset_index()
    tab.columns = [t("abn.month", lang)] + [t("abn." + s, lang) for s in TRANSFER_STATES]
    return (
        head
        + f"<p>{esc(summary)}</p>"
        + figure_html(fig, t("abn.transfers_alt", lang))
        + table_html(tab, numeric=[t("abn." + s, lang) for s in TRANSFER_STATES])
    )


def cutoff_chart(result, lang: str) -> str:
    head = f"<h3>{esc(t('abn.cutoff', lang))}</h3>"
    try:
        hours = cutoff_hours(result)
    except CalendarRangeError as e:  # ABN-007 reports the same error as its own; the report goes on
        return head + f'<p class="muted">{esc(t("abn.no_calendar", lang, year=e.year or "?"))}</p>'
    cutoff = result.params.rule_params("ABN-007")["cutoff"]
    summary = t(
        "abn.cutoff_summary",
        lang,
        n=f"{int(hours['all'].sum()):,}",
        cutoff=cutoff,
        bad=f"{int(hours[list(CUTOFF_KINDS)].to_numpy().sum()):,}",
        **{k: f"{int(hours[k].sum()):,}" for k in CUTOFF_KINDS},
    )
    fig, ax = new_figure(7.5, 3.0)
    x = hours.index.to_numpy()
    bottom = np.zeros(24)
    for kind, colour in zip(CUTOFF_KINDS, CUTOFF_COLOURS, strict=True):
        ax.bar(x, hours[kind], bottom=bottom, color=colour, label=t("abn." + kind, lang), width=0.8)
        bottom += hours[kind].to_numpy()
    ax.set_ylim(0, max(bottom.max() * 1.15, 1))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=7)
    ax.set_xlabel(t("abn.hour", lang), fontsize=8)
    ax.set_ylabel(t("abn.wrong", lang), fontsize=8)
    ax.set_title(t("abn.cutoff_title", lang), fontsize=9)
    # bar h covers [h:00, h+1:00): the cut-off instant sits half a bar left of its hour's centre
    ax.axvline(
        parse_cutoff(cutoff) / pd.Timedelta(hours=1) - 0.5, color="#1d232b", linestyle="--", linewidth=1
    )
    ax2 = ax.twinx()
    ax2.plot(x, hours["all"].to_numpy(), color=GREY, linewidth=1.2, label=t("abn.all", lang))
    ax2.set_ylabel(t("abn.applications", lang), fontsize=8)
    ax2.set_ylim(0, max(int(hours["all"].max()) * 1.15, 1))
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.spines[["top"]].set_visible(False)
    _finish(ax, ax2, ncol=4)
    return head + f"<p>{esc(summary)}</p>" + figure_html(fig, t("abn.cutoff_alt", lang))


SWEEP_ROWS = 15


def _sweeps_part(ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Branch sweeps in `ctx`'s tables per receiving account (`special`, `count`, `cents`) and the distinct
    (account, branch) pairs: a branch counts once per account whichever buckets its sweeps fall in."""
    sw = sweeps_in_period(ctx)
    d = pd.DataFrame(
        {
            "account": sw["account"].fillna("").astype(str).to_numpy(),
            "special": sw["special"].to_numpy(),
            "c": cents(sw["amount"]),
            "branch": sw["branch_id"].astype("string").to_numpy(),
        }
    )
    g = d.groupby("account", sort=True).agg(
        special=("special", "any"), count=("c", "size"), cents=("c", "sum")
    )
    pairs = d.loc[d["branch"].notna().to_numpy(dtype=bool), ["account", "branch"]].drop_duplicates()
    return g.reset_index(), pairs


def sweep_destinations(result) -> pd.DataFrame:
    """Branch sweeps in the period by receiving account (trimmed; "" when none): `account`, `special` (True,
    False, or None when no special account is configured), `count`, `cents`, `branches`; the special
    accounts first, then by amount. Summed over the buckets (ABN-009's key), branches counted over the union
    of each bucket's (account, branch) pairs."""
    ctx = rule_context(result, "ABN-009")
    configured = bool(special_accounts(ctx))
    got = per_bucket(result.bundle, ctx, "ABN-009", _sweeps_part)
    per = pd.concat([g for g, _ in got], ignore_index=True)
    pairs = pd.concat([p for _, p in got], ignore_index=True).drop_duplicates()
    g = per.groupby("account", sort=True).agg(
        special=("special", "any"), count=("count", "sum"), cents=("cents", "sum")
    )
    g["count"] = g["count"].astype("int64")
    g["branches"] = pairs.groupby("account")["branch"].size().reindex(g.index, fill_value=0).astype("int64")
    g = g.reset_index()
    g = g.sort_values(["special", "cents", "account"], ascending=[False, False, True], kind="stable")
    if not configured:
        g["special"] = None
    return g.reset_index(drop=True)


def _money(c) -> str:
    return f"{int(c) / 100:,.2f}"


def sweeps_table(result, lang: str) -> str:
    """ABN-009's context: where the swept money went, special accounts or not (accounts masked)."""
    head = f"<h3>{esc(t('abn.sweeps', lang))}</h3>"
    if not result.bundle.has("fund_transfers"):
        return head + f'<p class="muted">{esc(t("abn.no_transfers", lang))}</p>'
    d = sweep_destinations(result)
    if d.empty:
        return head + f"<p>{esc(t('abn.none_sweeps', lang))}</p>"
    n, total = f"{int(d['count'].sum()):,}", _money(d["cents"].sum())
    if d["special"].isna().all():
        summary = t("abn.sweeps_unconfigured", lang, n=n, amount=total)
    else:
        none = d["account"] == ""
        special = d["special"].astype(bool) & ~none
        other = ~special & ~none
        summary = t(
            "abn.sweeps_summary",
            lang,
            n=n,
            amount=total,
            **{
                k: f"{int(d.loc[m, 'count'].sum()):,}"
                for k, m in (("special", special), ("other", other), ("none", none))
            },
            **{
                f"{k}_amount": _money(d.loc[m, "cents"].sum())
                for k, m in (("special", special), ("other", other), ("none", none))
            },
        )
    shown, rest = d.head(SWEEP_ROWS), d.iloc[SWEEP_ROWS:]
    kind = shown["special"].map(
        lambda v: t("abn.unknown", lang) if v is None else t("abn.special" if v else "abn.other", lang)
    )
    tab = pd.DataFrame(
        {
            t("abn.account", lang): [
                mask_account(a) if a else t("abn.no_account", lang) for a in shown["account"]
            ],
            t("abn.kind", lang): kind,
            t("abn.sweep_count", lang): shown["count"].map(lambda v: f"{int(v):,}"),
            t("abn.sweep_amount", lang): shown["cents"].map(_money),
            t("abn.branches", lang): shown["branches"].map(lambda v: f"{int(v):,}"),
        }
    )
    numeric = [t("abn." + k, lang) for k in ("sweep_count", "sweep_amount", "branches")]
    more = ""
    if len(rest):
        text = t(
            "abn.more_accounts",
            lang,
            n=len(rest),
            count=f"{int(rest['count'].sum()):,}",
            amount=_money(rest["cents"].sum()),
        )
        more = f'<p class="muted">{esc(text)}</p>'
    return head + f"<p>{esc(summary)}</p>" + table_html(tab, numeric=numeric) + more


@family_extra("ABN")
def abn_extras(result, lang: str) -> str:
    """Transfer timeliness by month, trade-date errors by hour of application, where branch sweeps went."""
    return transfers_chart(result, lang) + cutoff_chart(result, lang) + sweeps_table(result, lang)
