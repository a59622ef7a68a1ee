"""CMP extras: an overview of the complaints received in the period, beside the CMP rule blocks.

Information for the examiner, not findings: volumes by month, channel and category; how many working
days the replies took against the general and major deadlines (CMP-002/004's effective parameters
and the audit's own working-day calendar); the complaints still open at as_of by age; and the repeat
complaints CMP-010 found. Shown are counts, vocabulary labels and categories only: never a
description (free text, untrusted) and no personal data (complaints hold none but customer_id, and
that is not shown either). Every value from the data goes through `esc`, and every text drawn in a
chart is first reduced to characters the report's fonts have (no "missing glyph" boxes).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from ...calendar import CalendarRangeError, from_params
from ...i18n import t
from ...rules.cmp import CATEGORY_LABELS, CHANNEL_LABELS
from ..charts import FONT_FILE, figure_html, new_figure, setup_fonts
from ..html import esc, table_html
from . import family_extra

#: open complaints' age in calendar days at as_of: (label key, lowest age, highest age)
AGE_BUCKETS = (
    ("age_0_3", 0, 3),
    ("age_4_10", 4, 10),
    ("age_11_30", 11, 30),
    ("age_31_90", 31, 90),
    ("age_over_90", 91, None),
)
#: categories shown one by one; the rest are summed as "other categories"
TOP_CATEGORIES = 10
#: histogram of working days to reply: days beyond this are one bar "MAX+"
MAX_DAYS_BAR = 15
LABEL_CHARS = 18
BLUE, ORANGE, GREY, RED = "#24527a", "#d9822b", "#9aa5b1", "#a40000"


def _h(level: int, key: str, lang: str) -> str:
    return f"<h{level}>{esc(t('cmp.' + key, lang))}</h{level}>"


def _p(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


# --------------------------------------------------------------------------------------------
# chart text: only characters the report's fonts can draw, no mathtext


@lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    """Code points the CJK font or DejaVu Sans (matplotlib's fallback) have glyphs for."""
    import mplfonts

    setup_fonts()
    paths = [
        Path(mplfonts.__file__).parent / "fonts" / FONT_FILE,
        font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"), fallback_to_default=True),
    ]
    points: set[int] = set()
    for p in paths:
        points.update(FT2Font(str(p)).get_charmap())
    return frozenset(points)


def chart_text(value, limit: int = LABEL_CHARS) -> str:
    """A data value as safe chart text: whitespace flattened, undrawable characters as '?', '$' literal
    (not mathtext), cut to `limit` characters."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    ok = _drawable()
    text = "".join(ch if ord(ch) in ok else "?" for ch in text)
    return text.replace("$", r"\$")


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)


# --------------------------------------------------------------------------------------------
# data


def received(result) -> pd.DataFrame:
    """Complaints received in the audit period (as the CMP rules test them)."""
    c = result.bundle.tables["complaints"]
    p = result.params
    start = pd.Timestamp(p.period_start)
    end = pd.Timestamp(p.period_end) + pd.Timedelta(days=1)
    return c[((c["received_at"] >= start) & (c["received_at"] < end)).to_numpy(dtype=bool)]


def _labels(values: pd.Series, vocab: dict[str, dict[str, str]], lang: str, missing: str) -> pd.Series:
    mapping = {k: v[lang] for k, v in vocab.items()}
    return values.map(mapping).fillna(values).fillna(missing).astype(object)


def working_days_taken(cal, start: pd.Series, end: pd.Series) -> np.ndarray:
    """Smallest N with `workday_deadline(start, N) >= end` (0 when end is on start's day or earlier).

    = working days strictly after start's date and strictly before end's date, plus one when end's
    date is later than start's date. Vectorized: one is_workday call over the days spanned, a cumsum.
    """
    s_day = start.dt.normalize().to_numpy()
    e_day = end.dt.normalize().to_numpy()
    if len(s_day) == 0:
        return np.zeros(0, dtype=np.int64)
    d0 = s_day.min()
    days = pd.date_range(d0, max(e_day.max(), s_day.max()), freq="D")
    cum = np.concatenate([[0], np.cumsum(cal.is_workday(days.to_numpy()).astype(np.int64))])
    # cum[i + 1] = working days among days[0..i]
    si = ((s_day - d0) // np.timedelta64(1, "D")).astype(np.int64)
    ei = ((e_day - d0) // np.timedelta64(1, "D")).astype(np.int64)
    between = cum[np.maximum(ei, si)] - cum[si + 1]  # working days in (start day, end day)
    return np.where(ei > si, np.maximum(between, 0) + 1, 0)


# --------------------------------------------------------------------------------------------
# parts


def volumes(c: pd.DataFrame, result, lang: str) -> str:
    p = result.params
    parts = [_h(4, "volume", lang)]
    # by month: every month of the period, zero months included
    months = pd.period_range(pd.Timestamp(p.period_start), pd.Timestamp(p.period_end), freq="M")
    month = c["received_at"].dt.to_period("M")
    by = pd.crosstab(month, c["severity"].astype(object)).reindex(index=months, fill_value=0)
    general = by["general"] if "general" in by else pd.Series(0, index=months)
    major = by["major"] if "major" in by else pd.Series(0, index=months)
    labels = [f"{m.year}年{m.month}月" if lang == "zh" else m.strftime("%Y-%m") for m in months]
    fig, ax = new_figure(7.5, 3.0)
    x = np.arange(len(months))
    ax.bar(x, general.to_numpy(), color=BLUE, label=t("cmp.general", lang))
    ax.bar(x, major.to_numpy(), bottom=general.to_numpy(), color=ORANGE, label=t("cmp.major", lang))
    ax.set_xticks(
        x, labels, rotation=45 if len(months) > 6 else 0, ha="right" if len(months) > 6 else "center"
    )
    ax.set_ylabel(t("cmp.count", lang), fontsize=8)
    ax.set_title(t("cmp.month_chart", lang), fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    parts.append(figure_html(fig, t("cmp.month_alt", lang)))
    month_table = pd.DataFrame(
        {
            "month": [m.strftime("%Y-%m") for m in months],
            "general": general.to_numpy(),
            "major": major.to_numpy(),
            "total": (general + major).to_numpy(),
        }
    )
    parts.append(_h(5, "by_month", lang))
    parts.append(
        table_html(
            month_table,
            headers=[t("cmp." + k, lang) for k in ("month", "general", "major", "total")],
            numeric=("general", "major", "total"),
        )
    )

    # by channel and by category, side by side
    n = len(c)
    channel = _labels(c["channel"], CHANNEL_LABELS, lang, "").value_counts()
    category = _labels(c["category"], CATEGORY_LABELS, lang, t("cmp.uncategorised", lang)).value_counts()
    if len(category) > TOP_CATEGORIES:
        rest = category.iloc[TOP_CATEGORIES - 1 :].sum()
        category = pd.concat(
            [category.iloc[: TOP_CATEGORIES - 1], pd.Series({t("cmp.other_categories", lang): rest})]
        )
    fig, ax = new_figure(7.5, 3.0)
    ax.remove()
    ax1, ax2 = fig.subplots(1, 2)
    for axis, counts, colour, key in (
        (ax1, channel, BLUE, "by_channel"),
        (ax2, category, ORANGE, "by_category"),
    ):
        y = np.arange(len(counts))[::-1]
        axis.barh(y, counts.to_numpy(), color=colour)
        axis.set_yticks(y, [chart_text(v) for v in counts.index])
        axis.set_title(t("cmp." + key, lang), fontsize=9)
        _style(axis)
    parts.append(figure_html(fig, t("cmp.mix_alt", lang)))
    for counts, key, head in ((channel, "by_channel", "channel"), (category, "by_category", "category")):
        df = pd.DataFrame(
            {
                "label": counts.index.astype(str),
                "count": counts.to_numpy(),
                "share": [f"{v / n:.1%}" for v in counts.to_numpy()],
            }
        )
        parts.append(_h(5, key, lang))
        parts.append(
            table_html(
                df,
                headers=[t("cmp." + head, lang), t("cmp.count", lang), t("cmp.share", lang)],
                numeric=("count", "share"),
            )
        )
    return "".join(parts)


def response_times(c: pd.DataFrame, result, lang: str) -> str:
    p = result.params
    limits = {
        "general": int(p.rule_params("CMP-002")["general_reply_working_days"]),
        "major": int(p.rule_params("CMP-004")["major_reply_working_days"]),
    }
    parts = [
        _h(4, "response", lang),
        _p(t("cmp.response_note", lang, general_days=limits["general"], major_days=limits["major"]), "muted"),
    ]
    answered = c[c["responded_at"].notna().to_numpy(dtype=bool)]
    if answered.empty:
        return "".join(parts) + _p(t("cmp.no_responses", lang))
    try:
        taken = working_days_taken(from_params(p.calendar), answered["received_at"], answered["responded_at"])
    except CalendarRangeError as e:
        return "".join(parts) + _p(t("cmp.no_calendar", lang, year=e.year), "muted")
    sev = answered["severity"].to_numpy()
    fig, ax = new_figure(7.5, 3.0)
    ax.remove()
    axes = fig.subplots(1, 2, sharey=True)
    rows = []
    for axis, kind, colour in zip(axes, ("general", "major"), (BLUE, ORANGE), strict=True):
        k = taken[sev == kind]
        limit = limits[kind]
        bins = np.arange(MAX_DAYS_BAR + 2)
        counts = np.bincount(np.minimum(k, MAX_DAYS_BAR + 1), minlength=MAX_DAYS_BAR + 2)[: MAX_DAYS_BAR + 2]
        axis.bar(bins, counts, color=np.where(bins <= limit, colour, RED), width=0.85)
        axis.axvline(limit + 0.5, color="#333333", linestyle="--", linewidth=1)
        ticks = [*range(0, MAX_DAYS_BAR, 3), MAX_DAYS_BAR + 1]
        axis.set_xticks(ticks, [f"{d}+" if d > MAX_DAYS_BAR else str(d) for d in ticks])
        axis.set_title(
            f"{t('cmp.' + kind, lang)}（{t('cmp.deadline', lang, n=limit)}）"
            if lang == "zh"
            else f"{t('cmp.' + kind, lang)} ({t('cmp.deadline', lang, n=limit)})",
            fontsize=9,
        )
        axis.set_xlabel(t("cmp.working_days", lang), fontsize=8)
        _style(axis)
        total = int((c["severity"] == kind).sum())
        rows.append(
            {
                "severity": t("cmp." + kind, lang),
                "received": total,
                "answered": len(k),
                "on_time": int((k <= limit).sum()),
                "late": int((k > limit).sum()),
                "unanswered": total - len(k),
                "median": f"{np.median(k):g}" if len(k) else "",
                "p90": f"{np.percentile(k, 90):g}" if len(k) else "",
            }
        )
    axes[0].set_ylabel(t("cmp.count", lang), fontsize=8)
    parts.append(figure_html(fig, t("cmp.response_alt", lang)))
    cols = ["severity", "received", "answered", "on_time", "late", "unanswered", "median", "p90"]
    parts.append(
        table_html(
            pd.DataFrame(rows, columns=cols), headers=[t("cmp." + k, lang) for k in cols], numeric=cols[1:]
        )
    )
    return "".join(parts)


def open_aging(c: pd.DataFrame, result, lang: str) -> str:
    as_of = pd.Timestamp(result.params.as_of)
    parts = [_h(4, "aging", lang), _p(t("cmp.aging_note", lang, as_of=f"{as_of:%Y-%m-%d}"), "muted")]
    end_of_day = as_of + pd.Timedelta(days=1)
    still_open = (c["received_at"] < end_of_day) & (
        c["resolved_at"].isna() | (c["resolved_at"] >= end_of_day)
    )
    o = c[still_open.to_numpy(dtype=bool)]
    if o.empty:
        return "".join(parts) + _p(t("cmp.no_open", lang))
    age = ((as_of - o["received_at"].dt.normalize()) // pd.Timedelta(days=1)).to_numpy()
    sev = o["severity"].to_numpy()
    rows = []
    for key, lo, hi in AGE_BUCKETS:
        inside = (age >= lo) & ((age <= hi) if hi is not None else True)
        rows.append(
            {
                "age": t("cmp." + key, lang),
                "general": int((inside & (sev == "general")).sum()),
                "major": int((inside & (sev == "major")).sum()),
                "total": int(inside.sum()),
            }
        )
    df = pd.DataFrame(rows)
    fig, ax = new_figure(7.5, 3.0)
    x = np.arange(len(df))
    ax.bar(x, df["general"], color=BLUE, label=t("cmp.general", lang))
    ax.bar(x, df["major"], bottom=df["general"], color=ORANGE, label=t("cmp.major", lang))
    ax.set_xticks(x, df["age"].tolist())
    ax.set_xlabel(t("cmp.age", lang), fontsize=8)
    ax.set_ylabel(t("cmp.count", lang), fontsize=8)
    ax.set_title(t("cmp.aging", lang), fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    parts.append(_p(t("cmp.open_total", lang, n=len(o))))
    parts.append(figure_html(fig, t("cmp.aging_alt", lang)))
    parts.append(
        table_html(
            df,
            headers=[t("cmp." + k, lang) for k in ("age", "general", "major", "total")],
            numeric=("general", "major", "total"),
        )
    )
    return "".join(parts)


def repeats(result, lang: str) -> str:
    parts = [_h(4, "repeat", lang)]
    frame = result.rule_frames.get("CMP-010")
    if frame is None:
        return "".join(parts) + _p(t("cmp.repeat_not_run", lang), "muted")
    if frame.empty:
        return "".join(parts) + _p(t("cmp.repeat_none", lang))
    days = result.params.rule_params("CMP-010")["repeat_days"]
    parts.append(
        _p(t("cmp.repeat_text", lang, n=len(frame), days=days, customers=frame["customer_id"].nunique()))
    )
    cat = _labels(frame["category"], CATEGORY_LABELS, lang, t("cmp.uncategorised", lang)).value_counts()
    df = pd.DataFrame({"category": cat.index.astype(str), "count": cat.to_numpy()})
    parts.append(table_html(df, headers=[t("cmp.category", lang), t("cmp.count", lang)], numeric=("count",)))
    return "".join(parts)


@family_extra("CMP")
def complaint_overview(result, lang: str) -> str:
    """Volumes, response times against the deadlines, open complaints by age, repeat complaints."""
    head = _h(3, "overview", lang)
    if not result.bundle.has("complaints"):
        return head + _p(t("cmp.no_table", lang), "muted")
    c = received(result)
    if c.empty:
        return head + _p(t("cmp.none_received", lang))
    p = result.params
    as_of_end = pd.Timestamp(p.as_of) + pd.Timedelta(days=1)
    summary = t(
        "cmp.summary",
        lang,
        start=f"{p.period_start:%Y-%m-%d}",
        end=f"{p.period_end:%Y-%m-%d}",
        n=len(c),
        general=int((c["severity"] == "general").sum()),
        major=int((c["severity"] == "major").sum()),
        resolved=int((c["resolved_at"] < as_of_end).sum()),
        as_of=f"{p.as_of:%Y-%m-%d}",
    )
    return "".join(
        [
            head,
            _p(summary),
            volumes(c, result, lang),
            response_times(c, result, lang),
            open_aging(c, result, lang),
            repeats(result, lang),
        ]
    )
