"""INFO extras: changes to business data and their approval (IC 42), counted by business table.

Beside INFO-002's block: what was required (every change approved beforehand by someone else) and what was
found, per business table: the changes of the period and how many had no approver, were approved by the
person who made them, had no approval time or were approved only after the change (one change can fall in
more than one). Same computation as the rule, with its effective parameters (`change_checks`). Counts only:
no personal data (old and new values are never shown), no staff ids. A table, no chart: four numbers per
business table read better as a table.
"""

from __future__ import annotations

import pandas as pd

from ...i18n import t
from ...partition.aggregate import per_bucket
from ...rules.info import change_checks, table_names
from ..html import esc, table_html
from . import family_extra
from .suit import rule_context

CHECKS = ("no_approver", "self_approved", "no_time", "late")


def _joined(names: list[str], lang: str) -> str:
    words = table_names(pd.Series(names, dtype="string"), lang).tolist()
    return "、".join(words) if lang == "zh" else ", ".join(words)


def _changes_part(ctx) -> tuple[pd.DataFrame, int, int]:
    """(per business table: `changes` and each check's count; changes failing any check; changes in the
    period to any table) over `ctx`'s data changes (all, or one bucket)."""
    dc, checks = change_checks(ctx)
    frame = pd.DataFrame({"table": dc["table_name"].str.lower().to_numpy(), **checks})
    counts = frame.groupby("table", sort=True).agg(
        changes=("table", "size"), **{c: (c, "sum") for c in CHECKS}
    )
    bad = int(pd.DataFrame(checks).any(axis=1).sum()) if len(dc) else 0
    return counts.astype("int64"), bad, int(ctx.in_period(ctx.tables["data_changes"]["changed_at"]).sum())


def change_totals(result) -> tuple[pd.DataFrame, int, int]:
    """Per business table (as named in the data): `changes` and the count of each check; the changes failing
    any check; all changes in the period. Counted per bucket of changes (INFO-002's key) and summed."""
    got = per_bucket(result.bundle, rule_context(result, "INFO-002"), "INFO-002", _changes_part)
    counts = pd.concat([c for c, _, _ in got]).groupby(level=0, sort=True).sum().astype("int64")
    counts.index.name = "table"
    return counts, sum(b for _, b, _ in got), sum(p for _, _, p in got)


def change_counts(result) -> pd.DataFrame:
    """Per business table (as named in the data): `changes` and the count of each check."""
    return change_totals(result)[0]


@family_extra("INFO")
def info_extras(result, lang: str) -> str:
    """What INFO-002 required and found, by business table."""
    head = f"<h3>{esc(t('info.heading', lang))}</h3>"
    if not result.bundle.has("data_changes"):
        return head + f'<p class="muted">{esc(t("info.missing", lang))}</p>'
    ctx = rule_context(result, "INFO-002")
    tables = [str(t) for t in ctx.params["tables"]]
    parts = [head, f"<p>{esc(t('info.required', lang, tables=_joined(tables, lang)))}</p>"]
    counts, bad, in_period = change_totals(result)
    n = int(counts["changes"].sum())
    parts.append(
        f"<p>{esc(t('info.found', lang, n=f'{n:,}', ok=f'{n - bad:,}', bad=f'{bad:,}') if n else t('info.none', lang))}"
    )
    other = in_period - n
    parts.append((" " if lang == "en" else "") + esc(t("info.other", lang, n=f"{other:,}")) if other else "")
    parts.append("</p>")
    if n:
        shown = pd.DataFrame(
            {
                t("info.table", lang): table_names(pd.Series(counts.index, dtype="string"), lang).to_numpy(),
                t("info.changes", lang): counts["changes"].to_numpy(),
                **{t("info." + c, lang): counts[c].to_numpy() for c in CHECKS},
            }
        )
        numeric = [t("info.changes", lang), *(t("info." + c, lang) for c in CHECKS)]
        parts.append(table_html(shown, numeric=numeric))
        parts.append(f'<p class="muted">{esc(t("info.note", lang))}</p>')
    return "".join(parts)
