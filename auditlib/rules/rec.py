"""REC: daily reconciliation of each branch (IC 37)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import RuleContext, RuleOutput, Scope, evidence, fmt_day, fmt_ts, join_reasons, rule


@rule(
    "REC-001",
    family="REC",
    severity="medium",
    tables=("reconciliations",),
    sample=Scope("reconciliations"),
    cites=("IC 9(6)", "IC 21(4)", "IC 37"),
    entity="branch_id:date",
    params={"reconcile_working_days": 1},
    title={
        "zh": "网点未按日及时对账或对账差异未解决",
        "en": "Branch reconciliation late, missing or with differences",
    },
    requirement={
        "zh": "每个网点须对每个交易日进行对账，最迟于其后第 {reconcile_working_days} 个工作日结束前完成，"
        "且无未解决差异",
        "en": "Each branch must reconcile every trading day by the end of the "
        "working day {reconcile_working_days} after it, with no unresolved differences",
    },
    detail={
        "zh": "网点 {branch_id} 交易日 {recon_date} 的对账（应于 {deadline} 前完成）：{what}",
        "en": "Branch {branch_id}, trading day {recon_date} (to be reconciled by {deadline}): {what}",
    },
)
def rec_001(ctx: RuleContext) -> RuleOutput:
    """Accounts must be reconciled daily and differences resolved (IC 37). For every trading day of the
    period and every branch present in the reconciliations table: a reconciliation performed by the end
    (23:59:59) of the next working day after recon_date, with differences = 0. A missing row, or a row not
    performed, is a finding once that deadline is before as_of (not yet due is not)."""
    rec = ctx.tables["reconciliations"]
    branches = np.array(sorted(rec["branch_id"].dropna().unique()), dtype=object)
    days = ctx.trading.trading_days(ctx.period_start, ctx.period_end).astype("datetime64[ns]")
    grid = pd.DataFrame(
        {
            "branch_id": pd.array(np.repeat(branches, len(days)), dtype="string"),
            "recon_date": np.tile(days, len(branches)),
        }
    )
    g = grid.merge(
        rec[["branch_id", "recon_date", "performed_at", "differences", "_row"]],
        on=["branch_id", "recon_date"],
        how="left",
    )
    deadline = pd.Series(
        ctx.workdays.workday_deadline(g["recon_date"].to_numpy(), int(ctx.params["reconcile_working_days"])),
        index=g.index,
        dtype="datetime64[ns]",
    )
    overdue = (deadline < ctx.as_of).to_numpy()
    no_row = g["_row"].isna().to_numpy()
    not_done = g["performed_at"].isna().to_numpy() & ~no_row
    late = (g["performed_at"] > deadline).fillna(False).to_numpy(dtype=bool)
    diffs = g["differences"].fillna(0).to_numpy(dtype="int64")
    has_diff = diffs > 0
    bad = (no_row & overdue) | (not_done & overdue) | late | has_diff
    h = g[bad]
    performed = fmt_ts(h["performed_at"]).fillna("").to_numpy(dtype=object)
    d = diffs[bad].astype(str)
    as_of = ctx.as_of.strftime("%Y-%m-%d")
    masks = no_row[bad], not_done[bad], late[bad], has_diff[bad]
    what_zh = join_reasons(
        [
            (masks[0], f"截至检查基准日 {as_of} 无对账记录"),
            (masks[1], f"截至检查基准日 {as_of} 未执行对账"),
            (masks[2], "实际于 " + performed + " 完成，已逾期"),
            (masks[3], "存在 " + d + " 项未解决差异"),
        ],
        "；",
    )
    what_en = join_reasons(
        [
            (masks[0], f"no reconciliation record as of {as_of}"),
            (masks[1], f"not performed as of {as_of}"),
            (masks[2], "performed late, at " + performed),
            (masks[3], d + " unresolved difference(s)"),
        ],
        "; ",
    )
    day = fmt_day(h["recon_date"])
    ev = pd.Series("reconciliations: no row", index=h.index, dtype="string")
    ev = ev.where(h["_row"].isna(), evidence("reconciliations", h["_row"].fillna(0)))
    return RuleOutput(
        len(g),
        pd.DataFrame(
            {
                "entity_id": h["branch_id"] + ":" + day,
                "occurred_at": h["recon_date"],
                "branch_id": h["branch_id"],
                "recon_date": day,
                "deadline": fmt_ts(deadline[bad]),
                "what_zh": what_zh,
                "what_en": what_en,
                "evidence": ev,
            }
        ),
    )
