"""RET extras: a backup calendar of the period and the records whose retention ends in the next 12 months.

Both are information for the examiner, not findings: the calendar shows at a glance which days had a
successful backup, only failed attempts, or nothing (RET-004's exceptions are the last two); the
retention table tells what the institution may dispose of next, with the same retention ends as
RET-001/002 (their effective parameters). No personal data is shown: record ids, types and dates only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from ...arrowops import isin_text
from ...i18n import t
from ...partition.aggregate import per_bucket
from ...rules.ret import BASIS, RETAINED_TYPES, record_retention
from ..charts import figure_html, new_figure
from ..html import esc, table_html
from . import family_extra
from .suit import rule_context

#: day states of the backup calendar, in colour order
STATES = ("success", "failed", "none", "not_due")
COLOURS = ("#3a8f4b", "#e8a33d", "#c0392b", "#d9dee4")
EXAMPLES = 10
RULE_OF = {"customer_identity": "RET-001", "transaction": "RET-002"}


def day_states(result) -> pd.DataFrame:
    """One row per calendar day of the period: `day` and `state` (one of STATES)."""
    p = result.params
    start, end, as_of = pd.Timestamp(p.period_start), pd.Timestamp(p.period_end), pd.Timestamp(p.as_of)
    days = pd.Series(pd.date_range(start, end, freq="D"))
    b = result.bundle.tables["backups"]
    bday = b["backup_date"].dt.normalize()
    ok = days.isin(bday[b["status"] == "success"])
    failed = days.isin(bday[b["status"] == "failed"])
    state = np.select(
        [ok.to_numpy(), failed.to_numpy(), (days > as_of).to_numpy()],
        ["success", "failed", "not_due"],
        "none",
    )
    return pd.DataFrame({"day": days, "state": state})


def backup_calendar(result, lang: str) -> str:
    head = f"<h3>{esc(t('ret.calendar', lang))}</h3>"
    if not result.bundle.has("backups"):
        return head + f'<p class="muted">{esc(t("ret.no_backups", lang))}</p>'
    d = day_states(result)
    counts = d["state"].value_counts()
    summary = t(
        "ret.days",
        lang,
        n=int((d["state"] != "not_due").sum()),
        **{s: int(counts.get(s, 0)) for s in ("success", "failed", "none")},
    )
    # months as rows, day of month as columns; days that do not exist stay empty
    month = d["day"].dt.to_period("M")
    months = pd.period_range(month.min(), month.max(), freq="M")
    grid = np.full((len(months), 31), np.nan)
    rows = (d["day"].dt.year * 12 + d["day"].dt.month - (months[0].year * 12 + months[0].month)).to_numpy()
    grid[rows, d["day"].dt.day.to_numpy() - 1] = pd.Categorical(d["state"], categories=STATES).codes
    fig, ax = new_figure(7.5, 1.1 + 0.26 * len(months))
    ax.imshow(
        np.ma.masked_invalid(grid),
        cmap=ListedColormap(COLOURS),
        vmin=-0.5,
        vmax=len(STATES) - 0.5,
        aspect="auto",
        interpolation="nearest",
    )
    ax.set_xticks(range(0, 31, 2), [str(i) for i in range(1, 32, 2)], fontsize=7)
    ax.set_yticks(
        range(len(months)),
        [f"{m.year}年{m.month}月" if lang == "zh" else m.strftime("%Y-%m") for m in months],
        fontsize=7,
    )
    ax.set_xticks(np.arange(-0.5, 31, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(months), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.set_xlabel(t("ret.day", lang), fontsize=8)
    ax.set_title(t("ret.chart_title", lang), fontsize=9)
    shown = [s for s in STATES if counts.get(s, 0)]
    ax.legend(
        handles=[Patch(color=COLOURS[STATES.index(s)], label=t("ret." + s, lang)) for s in shown],
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        fontsize=7,
        frameon=False,
    )
    return head + f"<p>{esc(summary)}</p>" + figure_html(fig, t("ret.alt", lang))


COLUMNS = ["record_id", "record_type", "retention_end"]


def _ends_part(ctx, record_type: str, until: pd.Timestamp, first: int | None):
    """In `ctx`'s tables (RET-001's or RET-002's: the archive records with their subjects), the held records
    of `record_type` whose retention ends in (as_of, until]: (count per end, the `first` of them by end and
    id: all of them when None)."""
    subject_table, key, basis_col = BASIS[record_type]
    tables, params, as_of = ctx.tables, ctx.params, ctx.as_of
    # The end is always 31 December: only the years of as_of and of as_of + 12 months can qualify, so
    # only subjects whose basis year gives one of those years, and the held records naming them, are
    # looked up (the whole inventory against every transaction cost 45 s and +4.2 GiB at 10^7). The
    # loader keeps one row per primary key, so a subject's basis does not depend on this filter.
    shift = int(params["years"]) - (1 if params["basis_year_counts"] else 0)
    subjects = tables[subject_table]
    basis_year = subjects[basis_col].dt.year
    near_subjects = subjects[
        basis_year.between(as_of.year - shift, until.year - shift).fillna(False).to_numpy(dtype=bool)
    ]
    ar = tables["archive_records"]
    held = (
        ((ar["record_type"] == record_type) & (ar["disposed_at"].isna() | (ar["disposed_at"] > as_of)))
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    ar = ar[held]
    ar = ar[isin_text(ar["subject_id"], near_subjects[key])]
    recs = record_retention({"archive_records": ar, subject_table: near_subjects}, record_type, params)
    near = recs[recs["end_year"].between(as_of.year, until.year).fillna(False).to_numpy(dtype=bool)]
    end = pd.to_datetime(pd.DataFrame({"year": near["end_year"].astype("int64"), "month": 12, "day": 31}))
    keep = ((end > as_of) & (end <= until)).to_numpy(dtype=bool)
    ends = pd.DataFrame(
        {
            "record_id": near["record_id"].to_numpy()[keep],
            "record_type": record_type,
            "retention_end": end.to_numpy()[keep],
        }
    )
    counts = ends.groupby("retention_end").size()
    ends = ends.sort_values(["retention_end", "record_id"], kind="stable")
    return counts, ends if first is None else ends.head(first)


def upcoming(result, first: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Records held at as_of whose retention end falls in (as_of, as_of + 12 months], with the same ends
    as RET-001/002 (their effective parameters), computed per bucket of subjects (their key) and combined.

    Returns (counts: `retention_end`, `record_type`, `count` by end then type; the records: `record_id`,
    `record_type`, `retention_end` as a date, sorted by end, type and id, the `first` of each type or all
    when None; the record types that could not be counted: their subject table is missing)."""
    as_of = pd.Timestamp(result.params.as_of)
    until = as_of + pd.DateOffset(months=12)
    counts, records, missing = [], [], []
    for record_type in RETAINED_TYPES:
        subject_table = BASIS[record_type][0]
        if not result.bundle.has(subject_table):
            missing.append(record_type)
            continue
        code = RULE_OF[record_type]
        got = per_bucket(
            result.bundle,
            rule_context(result, code),
            code,
            lambda ctx, rt=record_type: _ends_part(ctx, rt, until, first),
        )
        n = pd.concat([c for c, _ in got]).groupby(level=0).sum()
        counts.append(
            pd.DataFrame({"retention_end": n.index, "record_type": record_type, "count": n.to_numpy()})
        )
        ends = pd.concat([e for _, e in got], ignore_index=True)
        ends = ends.sort_values(["retention_end", "record_id"], kind="stable")
        records.append(ends if first is None else ends.head(first))
    counts_df = (
        pd.concat(counts, ignore_index=True)
        if counts
        else pd.DataFrame({"retention_end": pd.Series(dtype="datetime64[ns]"), "record_type": "", "count": 0})
    )
    records_df = pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=COLUMNS)
    counts_df = counts_df[counts_df["count"] > 0]
    counts_df = counts_df.sort_values(["retention_end", "record_type"], kind="stable").reset_index(drop=True)
    records_df = records_df.sort_values(COLUMNS[::-1], kind="stable").reset_index(drop=True)
    return counts_df.astype({"count": "int64"}), records_df, missing


def upcoming_ends(result) -> tuple[pd.DataFrame, list[str]]:
    """Every record held at as_of whose retention ends in the next 12 months (sorted by end, type and id),
    and the record types that could not be counted (the report shows only counts and a few of them)."""
    _, ends, missing = upcoming(result)
    return ends, missing


def retention_overview(result, lang: str) -> str:
    head = f"<h3>{esc(t('ret.upcoming', lang))}</h3>"
    if not result.bundle.has("archive_records"):
        return head + f'<p class="muted">{esc(t("ret.no_archive", lang))}</p>'
    as_of = pd.Timestamp(result.params.as_of)
    until = as_of + pd.DateOffset(months=12)
    note = t("ret.upcoming_note", lang, as_of=f"{as_of:%Y-%m-%d}", until=f"{until:%Y-%m-%d}")
    parts = [head, f'<p class="muted">{esc(note)}</p>']
    counts, first, missing = upcoming(result, EXAMPLES // len(RETAINED_TYPES) or 1)
    for record_type in missing:
        table = {"customer_identity": "customers", "transaction": "transactions"}[record_type]
        text = t("ret.not_provided", lang, table=table, kind=t("ret." + record_type, lang))
        parts.append(f'<p class="muted">{esc(text)}</p>')
    if counts.empty:
        return "".join(parts) + f"<p>{esc(t('ret.none_upcoming', lang))}</p>"
    counts = (
        counts.assign(
            type=counts["record_type"].map(lambda v: t("ret." + v, lang)),
            month=counts["retention_end"].dt.strftime("%Y-%m"),
        )
        .groupby(["type", "month"], sort=False)["count"]
        .sum()
        .reset_index(name="count")
    )
    parts.append(
        table_html(
            counts,
            headers=[t("ret.type", lang), t("ret.end_month", lang), t("ret.count", lang)],
            numeric=("count",),
        )
    )
    ex = first.head(EXAMPLES)
    examples = pd.DataFrame(
        {
            "record_id": ex["record_id"],
            "type": ex["record_type"].map(lambda v: t("ret." + v, lang)),
            "end": ex["retention_end"].dt.strftime("%Y-%m-%d"),
        }
    )
    parts.append(f"<p>{esc(t('ret.examples', lang, n=len(examples)))}</p>")
    parts.append(
        table_html(
            examples, headers=[t("ret.record_id", lang), t("ret.type", lang), t("ret.retention_end", lang)]
        )
    )
    return "".join(parts)


@family_extra("RET")
def ret_extras(result, lang: str) -> str:
    """The backup calendar and the upcoming retention ends, as one HTML fragment."""
    return backup_calendar(result, lang) + retention_overview(result, lang)
