"""INFO: information and data management (IC 30, 42)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrowops import codes_in
from .base import RuleContext, RuleOutput, evidence, fmt_day, fmt_ts, rule
from .sod import _chunks, _days, _held, _rows

# ------------------------------------------------------------------------------------------ INFO-001
# (helper acc; INFO-002 by helper rules1 goes in its own block)

VIEW_ACTIONS = ("view", "other")
DATA_ACCESS_ROLES = [
    "counter",
    "sales",
    "info_processing",
    "fund_processing",
    "complaint_handling",
    "risk_monitoring",
    "audit",
]


@rule(
    "INFO-001",
    family="INFO",
    severity="medium",
    tables=("operations", "staff_roles", "staff"),
    cites=("IC 30",),
    entity="op_id",
    version="2",
    params={"data_access_roles": DATA_ACCESS_ROLES},
    localize=("action", "business_type"),
    title={
        "zh": "无相应岗位或已离职人员查阅客户资料",
        "en": "Customer data viewed by staff without a role for it, or after leaving",
    },
    requirement={
        "zh": "查阅或以其他方式接触业务资料的员工，当日须担任以下岗位之一且未离职：{data_access_roles}",
        "en": "Whoever views or otherwise accesses business records must, that day, hold one of these roles "
        "and not have left: {data_access_roles}",
    },
    detail={
        "zh": "操作 {op_id}（{action}，{business_type}）于 {ts} 由员工 {staff_id} 执行：{what}",
        "en": "Operation {op_id} ({action}, {business_type}) at {ts} by staff {staff_id}: {what}",
    },
)
def info_001(ctx: RuleContext) -> RuleOutput:
    """Holder data is confidential and access to it is defined by role (IC 30): an operation in the period
    with action `view` or `other` by a staff who that day held none of `data_access_roles`, or whose
    leave_date is before that day (a view on the leave date itself is still in service). Operations are
    checked a chunk at a time against role intervals by staff code, as SOD-007 does (no string join)."""
    ops = ctx.tables["operations"]
    pos = np.flatnonzero((ops["action"].isin(VIEW_ACTIONS) & ctx.in_period(ops["ts"])).to_numpy(dtype=bool))
    roles = list(ctx.params["data_access_roles"])
    staff_table = ctx.tables["staff"].drop_duplicates("staff_id")
    staff = pd.Index(staff_table["staff_id"])
    leave_of = np.append(staff_table["leave_date"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    hits, lefts, leaves = [], [], []
    for part in _chunks(pos):
        op_idx, _, _ = _held(ctx, part, roles)
        has_role = np.zeros(len(part), dtype=bool)
        has_role[op_idx] = True
        where = codes_in(ops["staff_id"].iloc[part], staff)
        where[where < 0] = len(staff)
        leave = leave_of[where]
        left = ~np.isnat(leave) & (_days(ops["ts"].iloc[part]) > leave)
        hit_mask = left | ~has_role
        hits.append(part[hit_mask])
        lefts.append(left[hit_mask])
        leaves.append(leave[hit_mask])
    hit = _rows(ctx, np.concatenate(hits) if hits else pos[:0])
    hit_left = np.concatenate(lefts) if lefts else np.zeros(0, dtype=bool)
    leave_s = fmt_day(
        pd.Series(np.concatenate(leaves) if leaves else np.zeros(0, "datetime64[ns]"), index=hit.index)
    ).fillna("")
    return RuleOutput(
        len(pos),
        pd.DataFrame(
            {
                "entity_id": hit["op_id"],
                "occurred_at": hit["ts"],
                "staff_id": hit["staff_id"],
                "op_id": hit["op_id"],
                "action": hit["action"],
                "business_type": hit["business_type"],
                "ts": fmt_ts(hit["ts"]),
                "what_zh": pd.Series("当日未担任可接触客户资料的岗位", index=hit.index).where(
                    ~hit_left, "该员工已于 " + leave_s + " 离职"
                ),
                "what_en": pd.Series(
                    "held no role with access to customer data that day", index=hit.index
                ).where(~hit_left, "the staff had left on " + leave_s),
                "evidence": evidence("operations", hit["_row"]),
            }
        ),
    )


# ------------------------------------------------------------------------------------------ end of INFO-001
