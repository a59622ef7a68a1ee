"""INFO: information and data management (IC 30, 42): who reads customer data, who changes business data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrowops import codes_in
from .base import RuleContext, RuleOutput, evidence, fmt_day, fmt_ts, join_reasons, no_findings, rule
from .sod import _chunks, _days, _held, _rows

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


#: the business tables whose rows a data change must not alter without an independent prior approval (IC 42)
CHANGED_TABLES = ["transactions", "fund_transfers", "customers", "account_events"]


@rule(
    "INFO-002",
    family="INFO",
    severity="high",
    tables=("data_changes",),
    cites=("IC 42",),
    entity="change_id",
    params={"tables": CHANGED_TABLES},
    title={
        "zh": "业务数据修改未经独立的事先审批",
        "en": "Business data changed without prior independent approval",
    },
    requirement={
        "zh": "对以下业务数据表的修改须事先经修改人以外的人员审批（审批时间不晚于修改时间）：{tables}",
        "en": "Every change to these business tables must be approved beforehand (approved no later than "
        "the change) by someone other than the person making it: {tables}",
    },
    detail={
        "zh": "数据变更 {change_id}：员工 {changed_by} 于 {changed_at} 修改 {table_name} 记录 {record_id}"
        "{field}，{what}",
        "en": "Change {change_id}: staff {changed_by} changed {table_name} record {record_id}{field} at "
        "{changed_at}: {what}",
    },
)
def info_002(ctx: RuleContext) -> RuleOutput:
    """Transaction data may be modified only with authorization (IC 42: 严格控制对交易数据的修改). For every
    change with `changed_at` in the period to a row of one of the listed business tables: an exception when
    `approved_by` is null, or is the person who made the change, or `approved_at` is null or later than
    `changed_at`. An approval at the very instant of the change counts as prior. Table names are compared
    case-insensitively."""
    dc = ctx.tables["data_changes"]
    wanted = {str(t).strip().lower() for t in ctx.params["tables"]}
    scope = ctx.in_period(dc["changed_at"]) & dc["table_name"].str.lower().isin(wanted).fillna(False)
    dc = dc[scope.to_numpy(dtype=bool)]
    no_approver = dc["approved_by"].isna().to_numpy(dtype=bool)
    self_approved = (dc["approved_by"] == dc["changed_by"]).fillna(False).to_numpy(dtype=bool)
    no_time = dc["approved_at"].isna().to_numpy(dtype=bool)
    late = (dc["approved_at"] > dc["changed_at"]).fillna(False).to_numpy(dtype=bool)
    bad = no_approver | self_approved | no_time | late
    if not bad.any():
        return RuleOutput(len(dc), no_findings())
    h = dc[bad]
    approved_at = fmt_ts(h["approved_at"]).fillna("").to_numpy(dtype=object)
    approver = h["approved_by"].fillna("").to_numpy(dtype=object)
    masks = no_approver[bad], self_approved[bad], no_time[bad], late[bad]
    field = h["field"].fillna("")
    return RuleOutput(
        len(dc),
        pd.DataFrame(
            {
                "entity_id": h["change_id"],
                "occurred_at": h["changed_at"],
                "staff_id": h["changed_by"],
                "change_id": h["change_id"],
                "changed_by": h["changed_by"],
                "changed_at": fmt_ts(h["changed_at"]),
                "table_name": h["table_name"],
                "record_id": h["record_id"],
                "field_zh": ("的字段 " + field).where(field != "", ""),
                "field_en": (" (field " + field + ")").where(field != "", ""),
                "what_zh": join_reasons(
                    [
                        (masks[0], "无审批人"),
                        (masks[1], "审批人即修改人本人"),
                        (masks[2], "无审批时间"),
                        (masks[3], "审批（" + approver + "，" + approved_at + "）晚于修改"),
                    ],
                    "；",
                ),
                "what_en": join_reasons(
                    [
                        (masks[0], "no approver"),
                        (masks[1], "approved by the person who made it"),
                        (masks[2], "no approval time"),
                        (masks[3], "approved (by " + approver + " at " + approved_at + ") after the change"),
                    ],
                    "; ",
                ),
                "evidence": evidence("data_changes", h["_row"]),
            }
        ),
    )
