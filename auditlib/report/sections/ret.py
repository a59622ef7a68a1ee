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
from ...rules.ret import BASIS, RETAINED_TYPES, record_retention
from ..charts import figure_html, new_figure
from ..html import esc, table_html
from . import family_extra

#: day states of the backup calendar, in colour order
STATES = ("success", "failed", "none", "not_due")
COLOURS = ("#3a8f4b", "#e8a33d", "#c0392b", "#d9dee4")
EXAMPLES = 10
RULE_OF = {"customer_identity": "RET-001", "transaction": "RET-002"}

TEXT = {
    "zh": {
        "calendar": "备份日历",
        "upcoming": "未来 12 个月保存期届满的档案（信息性统计，非检查发现）",
        "success": "有成功备份",
        "failed": "仅有失败的备份",
        "none": "无备份",
        "not_due": "检查基准日之后",
        "no_backups": "未提供备份数据（backups），无法绘制备份日历。",
        "no_archive": "未提供档案清单（archive_records），无法统计保存期届满的档案。",
        "days": "期间内 {n} 个自然日：有成功备份 {success} 天，仅有失败的备份 {failed} 天，无备份 {none} 天。",
        "month": "月份",
        "day": "日",
        "chart_title": "每日备份状态（按 backup_date）",
        "alt": "检查期间每日备份状态日历",
        "upcoming_note": "在检查基准日 {as_of} 之后 12 个月内（至 {until}）保存期届满、且在检查基准日仍保存的档案。"
        "届满日当天仍须保存，自次日起方可销毁。存续客户的身份资料尚无届满日，不在统计之列；"
        "投诉与录音档案无保存期规则，亦不统计。",
        "none_upcoming": "未来 12 个月内没有保存期届满的档案。",
        "type": "档案类型",
        "end_month": "届满月份",
        "count": "档案数",
        "record_id": "档案编号",
        "retention_end": "保存期届满日",
        "examples": "示例（前 {n} 条）",
        "not_provided": "未提供{table}，未统计{kind}。",
        "customer_identity": "客户身份资料",
        "transaction": "交易记录",
    },
    "en": {
        "calendar": "Backup calendar",
        "upcoming": "Records reaching the end of their retention in the next 12 months (information, not findings)",
        "success": "successful backup",
        "failed": "failed attempts only",
        "none": "no backup",
        "not_due": "after as_of",
        "no_backups": "No backups table was provided: no backup calendar.",
        "no_archive": "No archive_records table was provided: no retention overview.",
        "days": "{n} calendar days in the period: {success} with a successful backup, {failed} with failed attempts "
        "only, {none} with no backup.",
        "month": "Month",
        "day": "Day",
        "chart_title": "Daily backup status (by backup_date)",
        "alt": "Calendar of daily backup status over the audit period",
        "upcoming_note": "Records still held on the as-of date ({as_of}) whose retention ends within the following 12 months "
        "(up to {until}). A record is kept through its retention end and may be disposed of from "
        "the next day. Identity records of active customers have no end yet and are not counted; "
        "complaint and call-recording records have no retention rule and are not counted either.",
        "none_upcoming": "No record reaches the end of its retention in the next 12 months.",
        "type": "Record type",
        "end_month": "Month of retention end",
        "count": "Records",
        "record_id": "Record",
        "retention_end": "Retention end",
        "examples": "Examples (first {n})",
        "not_provided": "No {table} table was provided: {kind} not counted.",
        "customer_identity": "customer identity",
        "transaction": "transaction",
    },
}


def _tx(key: str, lang: str, **kw) -> str:
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


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
    head = f"<h3>{esc(_tx('calendar', lang))}</h3>"
    if not result.bundle.has("backups"):
        return head + f'<p class="muted">{esc(_tx("no_backups", lang))}</p>'
    d = day_states(result)
    counts = d["state"].value_counts()
    summary = _tx(
        "days",
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
    ax.set_xlabel(_tx("day", lang), fontsize=8)
    ax.set_title(_tx("chart_title", lang), fontsize=9)
    shown = [s for s in STATES if counts.get(s, 0)]
    ax.legend(
        handles=[Patch(color=COLOURS[STATES.index(s)], label=_tx(s, lang)) for s in shown],
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        fontsize=7,
        frameon=False,
    )
    return head + f"<p>{esc(summary)}</p>" + figure_html(fig, _tx("alt", lang))


def upcoming_ends(result) -> tuple[pd.DataFrame, list[str]]:
    """Records held at as_of whose retention end falls in (as_of, as_of + 12 months].

    Returns the records (`record_id`, `record_type`, `retention_end` as a date) sorted by end and id,
    and the record types that could not be counted (their subject table is missing)."""
    tables, p = result.bundle.tables, result.params
    as_of = pd.Timestamp(p.as_of)
    until = as_of + pd.DateOffset(months=12)
    parts, missing = [], []
    for record_type in RETAINED_TYPES:
        subject_table, key, basis_col = BASIS[record_type]
        if not result.bundle.has(subject_table):
            missing.append(record_type)
            continue
        params = p.rule_params(RULE_OF[record_type])
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
        recs = record_retention(
            {**tables, "archive_records": ar, subject_table: near_subjects}, record_type, params
        )
        near = recs[recs["end_year"].between(as_of.year, until.year).fillna(False).to_numpy(dtype=bool)]
        end = pd.to_datetime(pd.DataFrame({"year": near["end_year"].astype("int64"), "month": 12, "day": 31}))
        keep = ((end > as_of) & (end <= until)).to_numpy(dtype=bool)
        parts.append(
            pd.DataFrame(
                {
                    "record_id": near["record_id"].to_numpy()[keep],
                    "record_type": record_type,
                    "retention_end": end.to_numpy()[keep],
                }
            )
        )
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["record_id", "record_type", "retention_end"])
    )
    return out.sort_values(["retention_end", "record_type", "record_id"], kind="stable").reset_index(
        drop=True
    ), missing


def retention_overview(result, lang: str) -> str:
    head = f"<h3>{esc(_tx('upcoming', lang))}</h3>"
    if not result.bundle.has("archive_records"):
        return head + f'<p class="muted">{esc(_tx("no_archive", lang))}</p>'
    as_of = pd.Timestamp(result.params.as_of)
    until = as_of + pd.DateOffset(months=12)
    note = _tx("upcoming_note", lang, as_of=f"{as_of:%Y-%m-%d}", until=f"{until:%Y-%m-%d}")
    parts = [head, f'<p class="muted">{esc(note)}</p>']
    ends, missing = upcoming_ends(result)
    for record_type in missing:
        table = {"customer_identity": "customers", "transaction": "transactions"}[record_type]
        text = _tx("not_provided", lang, table=table, kind=_tx(record_type, lang))
        parts.append(f'<p class="muted">{esc(text)}</p>')
    if ends.empty:
        return "".join(parts) + f"<p>{esc(_tx('none_upcoming', lang))}</p>"
    type_label = ends["record_type"].map(lambda v: _tx(v, lang))
    counts = (
        ends.assign(type=type_label, month=ends["retention_end"].dt.strftime("%Y-%m"))
        .groupby(["type", "month"], sort=False)
        .size()
        .reset_index(name="count")
    )
    parts.append(
        table_html(
            counts,
            headers=[_tx("type", lang), _tx("end_month", lang), _tx("count", lang)],
            numeric=("count",),
        )
    )
    ex = ends.groupby("record_type", sort=False).head(EXAMPLES // len(RETAINED_TYPES) or 1).head(EXAMPLES)
    examples = pd.DataFrame(
        {
            "record_id": ex["record_id"],
            "type": type_label.loc[ex.index],
            "end": ex["retention_end"].dt.strftime("%Y-%m-%d"),
        }
    )
    parts.append(f"<p>{esc(_tx('examples', lang, n=len(examples)))}</p>")
    parts.append(
        table_html(examples, headers=[_tx("record_id", lang), _tx("type", lang), _tx("retention_end", lang)])
    )
    return "".join(parts)


@family_extra("RET")
def ret_extras(result, lang: str) -> str:
    """The backup calendar and the upcoming retention ends, as one HTML fragment."""
    return backup_calendar(result, lang) + retention_overview(result, lang)
