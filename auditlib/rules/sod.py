"""SOD: segregation of duties and authorization (IC 8, 21, 29(1), 39, 40, 41, 45)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..arrowops import codes_in
from ..i18n import label
from ..schema import BUSINESS_ROLES, BUSINESS_TYPES
from .base import Param, RuleContext, RuleOutput, Scope, evidence, fmt_day, fmt_ts, lookup, no_findings, rule
from .intervals import held_that_day, op_findings, op_rows, out_of_role, role_intervals, scan

CHECKED_ACTIONS = ("enter", "review", "approve")
IT_ROLES = ["it_dev", "it_ops"]


def _pairs(a: list[str], b: list[str]) -> list[list[str]]:
    return [[x, y] for x in a for y in b]


def conflicting_roles(ctx: RuleContext, pairs: list[list[str]]) -> RuleOutput:
    """One finding per staff who held both roles of any pair on a common day inside the period."""
    iv = role_intervals(ctx, clip=True)
    hits = []
    for order, (a, b) in enumerate(pairs):
        m = iv[iv["role"] == a].merge(iv[iv["role"] == b], on="staff_id", suffixes=("_a", "_b"))
        m = m.assign(first_day=m[["start_a", "start_b"]].max(axis=1), order=order)
        hits.append(m[m["first_day"] <= m[["end_a", "end_b"]].min(axis=1)])
    population = iv["staff_id"].nunique()
    found = pd.concat(hits, ignore_index=True) if hits else pd.DataFrame()
    if found.empty:
        return RuleOutput(population, no_findings())
    found = found.sort_values(["staff_id", "first_day", "order"], kind="stable")
    n_pairs = found.groupby("staff_id")["order"].nunique()
    # the last common day of any pair: a mitigation must still be valid then (rules.md v2)
    last_day = found[["end_a", "end_b"]].min(axis=1).groupby(found["staff_id"]).max()
    first = found.drop_duplicates("staff_id").reset_index(drop=True)
    return RuleOutput(
        population,
        pd.DataFrame(
            {
                "entity_id": first["staff_id"],
                "occurred_at": first["first_day"],
                "staff_id": first["staff_id"],
                "role_a": first["role_a"],
                "role_b": first["role_b"],
                "first_day": fmt_day(first["first_day"]),
                "pairs": first["staff_id"].map(n_pairs).to_numpy(),
                "exposed_until": first["staff_id"].map(last_day).to_numpy(),
                "evidence": evidence("staff_roles", first["_row_a"])
                + "; "
                + evidence("staff_roles", first["_row_b"]),
            }
        ),
    )


_ROLES_TEXT = {
    "zh": "同一员工不得在检查期间内的同一天同时担任下列不相容岗位：{conflict_pairs}",
    "en": "No staff may hold both roles of any of these incompatible pairs on a common day in the period: "
    "{conflict_pairs}",
}
_ROLES_DETAIL = {
    "zh": "员工 {staff_id} 自 {first_day} 起同时担任{role_a}与{role_b}（冲突岗位组合 {pairs} 组）",
    "en": "Staff {staff_id} held {role_a} and {role_b} together from {first_day} ({pairs} conflicting "
    "pair(s))",
}
_ROLE_COMMON = dict(
    family="SOD",
    severity="high",
    tables=("staff_roles",),
    sample=Scope("staff_roles", "overlap"),
    entity="staff_id",
    requirement=_ROLES_TEXT,
    detail=_ROLES_DETAIL,
    localize=("role_a", "role_b"),
)


@rule(
    "SOD-001",
    cites=("IC 8(5)",),
    **_ROLE_COMMON,
    title={
        "zh": "宣传推介与柜面操作、后台信息处理与资金处理岗位未分离",
        "en": "Promotion/counter or information/fund processing held by one person",
    },
    params={"conflict_pairs": [["promotion", "counter"], ["info_processing", "fund_processing"]]},
)
def sod_001(ctx: RuleContext) -> RuleOutput:
    """Promotion and counter work, and back-office information and fund processing, must be done by
    different people (IC 8(5)): one person holding both can sell and book, or record and pay, unchecked."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


@rule(
    "SOD-002",
    cites=("IC 8(5)", "IC 45"),
    **_ROLE_COMMON,
    title={
        "zh": "风险监控、监察稽核人员兼任业务岗位",
        "en": "Risk monitoring or audit staff in a business role",
    },
    params={"conflict_pairs": _pairs(["risk_monitoring", "audit"], list(BUSINESS_ROLES))},
)
def sod_002(ctx: RuleContext) -> RuleOutput:
    """Risk monitoring and audit (监察稽核) must be independent of the business they monitor (IC 8(5), 45):
    nobody checks their own sales or processing."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


@rule(
    "SOD-003",
    cites=("IC 39",),
    **_ROLE_COMMON,
    title={
        "zh": "信息技术负责人与信息安全负责人由同一人兼任",
        "en": "IT head and information-security head are one person",
    },
    params={"conflict_pairs": [["it_head", "infosec_head"]]},
)
def sod_003(ctx: RuleContext) -> RuleOutput:
    """The head of IT and the head of information security may not be the same person (IC 39)."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


@rule(
    "SOD-004",
    cites=("IC 41",),
    **_ROLE_COMMON,
    title={
        "zh": "信息技术开发、运营维护与业务操作人员未相互分离",
        "en": "IT development, operations and business roles not separated",
    },
    params={"conflict_pairs": [["it_dev", "it_ops"]] + _pairs(IT_ROLES, list(BUSINESS_ROLES))},
)
def sod_004(ctx: RuleContext) -> RuleOutput:
    """Developers, operators and business staff must be separate people (IC 41): whoever writes or runs
    the system must not also use it to do business."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


@rule(
    "SOD-008",
    family="SOD",
    severity="high",
    tables=("staff", "staff_roles"),
    sample=Scope("staff", "until", column="leave_date"),
    cites=("IC 8(4)", "IC 40"),
    entity="staff_id",
    title={"zh": "离职人员岗位权限未及时撤销", "en": "Roles kept after the staff member left"},
    requirement={
        "zh": "员工离职后其全部岗位须于离职当日终止：离职日之后仍在任的岗位不得延续至检查期间",
        "en": "A staff member's roles must end by the day they leave: no role may be kept on any day of "
        "the period after the leave date",
    },
    detail={
        "zh": "员工 {staff_id} 已于 {leave_date} 离职，检查期间内自 {kept_from} 至 {kept_to} "
        "仍保留{roles}岗位",
        "en": "Staff {staff_id} left on {leave_date} but still held {roles} from {kept_from} to {kept_to} "
        "in the period",
    },
)
def sod_008(ctx: RuleContext) -> RuleOutput:
    """Authorizations no longer appropriate must be revoked (IC 8(4), 40), first of all a leaver's. For each
    staff with a leave_date on or before period_end, every staff_roles row is cut to the days after leaving
    (from the later of leave_date + 1 and start_date, to end_date, or open-ended when end_date is null); a
    row whose remaining days overlap the period is an exception. A role ending on the leave date itself is
    in order. Population: the staff who had left by period_end. The finding runs from the first to the
    last day a role was kept in the period (a mitigation must be valid on that last day)."""
    staff = ctx.tables["staff"].drop_duplicates("staff_id")
    left = staff[(staff["leave_date"] <= ctx.period_end).fillna(False).to_numpy(dtype=bool)]
    iv = role_intervals(ctx, clip=False)
    leave = lookup(iv["staff_id"], left, "staff_id", "leave_date")
    kept = iv.assign(
        leave=leave,
        first=np.maximum(iv["start"], leave + pd.Timedelta(days=1)).clip(lower=ctx.period_start),
        last=iv["end"].clip(upper=ctx.period_end),
    )
    kept = kept[(kept["leave"].notna() & (kept["first"] <= kept["last"])).to_numpy(dtype=bool)]
    if kept.empty:
        return RuleOutput(len(left), no_findings())
    kept = kept.sort_values(["staff_id", "first", "role", "_row"], kind="stable")
    g = kept.groupby("staff_id", sort=True)
    roles = g["role"].agg(lambda r: sorted(set(r.astype(str))))
    hit = g.agg(leave=("leave", "first"), first=("first", "min"), last=("last", "max"), row=("_row", "first"))
    staff_row = lookup(pd.Series(hit.index, index=hit.index), left, "staff_id", "_row")
    return RuleOutput(
        len(left),
        pd.DataFrame(
            {
                "entity_id": hit.index,
                "occurred_at": hit["first"],
                "staff_id": hit.index,
                "leave_date": fmt_day(hit["leave"]),
                "kept_from": fmt_day(hit["first"]),
                "kept_to": fmt_day(hit["last"]),
                "roles_zh": roles.map(lambda r: "、".join(label(x, "zh") for x in r)),
                "roles_en": roles.map(", ".join),
                "exposed_until": hit["last"],
                "evidence": evidence("staff", staff_row) + "; " + evidence("staff_roles", hit["row"]),
            }
        ).reset_index(drop=True),
    )


@rule(
    "SOD-009",
    cites=("IC 29(1)",),
    **{**_ROLE_COMMON, "severity": "medium"},
    title={
        "zh": "投诉受理人员兼任销售、宣传推介或柜面岗位",
        "en": "Complaint handling combined with sales, promotion or counter work",
    },
    params={"conflict_pairs": _pairs(["complaint_handling"], ["promotion", "sales", "counter"])},
)
def sod_009(ctx: RuleContext) -> RuleOutput:
    """Complaints must be handled by a post independent of the sales it is about (IC 29(1)): one staff
    holding `complaint_handling` together with `promotion`, `sales` or `counter` on a common day of the
    period would judge complaints against their own selling."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


def checked_positions(ctx: RuleContext) -> np.ndarray:
    """Positions of the maker/checker/approver operations in the period (view and other actions are not
    tested); positions, not a copy: the operations table is the largest there is."""
    ops = ctx.tables["operations"]
    return np.flatnonzero(
        (ops["action"].isin(CHECKED_ACTIONS) & ctx.in_period(ops["ts"])).to_numpy(dtype=bool)
    )


@rule(
    "SOD-005",
    partition={"operations": "ref_id"},
    family="SOD",
    severity="high",
    tables=("operations", "staff_roles"),
    sample=Scope("operations", where={"action": CHECKED_ACTIONS}),
    cites=("IC 41",),
    entity="op_id",
    params={"it_roles": IT_ROLES},
    title={"zh": "技术人员介入实际业务操作", "en": "IT staff performing business operations"},
    requirement={
        "zh": "担任以下技术岗位的人员在任职当日不得录入、复核或审批业务：{it_roles}",
        "en": "Staff holding these IT roles must not enter, review or approve business on a day "
        "they hold them: {it_roles}",
    },
    detail={
        "zh": "操作 {op_id}（{action}，{business_type}）于 {ts} 由当日担任{role}的员工 {staff_id} 执行",
        "en": "Operation {op_id} ({action}, {business_type}) at {ts} by staff {staff_id}, "
        "who held {role} that day",
    },
    localize=("action", "business_type", "role"),
)
def sod_005(ctx: RuleContext) -> RuleOutput:
    """Technical staff must not take part in actual business operations (IC 41): an operation entered,
    reviewed or approved by someone holding an IT development or operations role that day."""
    pos = checked_positions(ctx)

    def check(part: np.ndarray) -> tuple[np.ndarray, dict]:
        role = held_that_day(ctx, part, ctx.params["it_roles"]).first_role()  # the first by name
        return pd.notna(role), {"role": role}

    hit_pos, kept = scan(pos, check)
    hit = op_rows(ctx, hit_pos)
    role = pd.Series(kept["role"], index=hit.index, dtype=ctx.tables["staff_roles"]["role"].dtype)
    return RuleOutput(len(pos), op_findings(hit, role=role))


REVIEW_REQUIRED = [
    "account_open",
    "account_close",
    "info_change",
    "bank_account_change",
    "redemption",
    "fund_transfer",
]


@rule(
    "SOD-006",
    partition={"operations": "ref_id"},
    family="SOD",
    severity="high",
    tables=("operations",),
    sample=Scope("operations", where={"action": ("enter",), "business_type": Param("review_required")}),
    cites=("IC 21(1)", "IC 39"),
    entity="ref_id",
    params={"review_required": REVIEW_REQUIRED},
    title={"zh": "业务缺少他人复核（双人双岗）", "en": "Business item without review by a second person"},
    requirement={
        "zh": "以下业务类型的每笔业务在录入后须由录入人以外的员工复核或审批：{review_required}",
        "en": "Every item of these business types must be reviewed or approved by someone other than "
        "its maker: {review_required}",
    },
    detail={
        "zh": "业务 {ref_id}（{business_type}）由 {staff_id} 于 {ts} 录入，{what}",
        "en": "Item {ref_id} ({business_type}) entered by {staff_id} at {ts}: {what}",
    },
    localize=("business_type",),
)
def sod_006(ctx: RuleContext) -> RuleOutput:
    """Maker-checker (双人双岗, IC 21(1), 39): an item entered in the period with no review or approval by
    a different staff, at any time. A review only by the maker is no review."""
    ops = ctx.tables["operations"]
    action = ops["action"]
    enter = np.flatnonzero(
        (
            (action == "enter")
            & ops["business_type"].isin(ctx.params["review_required"])
            & ctx.in_period(ops["ts"])
        ).to_numpy(dtype=bool)
    )
    check = np.flatnonzero(action.isin(["review", "approve"]).to_numpy(dtype=bool))
    ref_codes, refs = pd.factorize(ops["ref_id"])  # codes for the whole column: no string copies
    staff_codes, staff = pd.factorize(ops["staff_id"])
    e_ref, c_ref = ref_codes[enter], ref_codes[check]
    e_key = e_ref.astype(np.int64) * (len(staff) + 1) + staff_codes[enter]
    c_key = c_ref.astype(np.int64) * (len(staff) + 1) + staff_codes[check]
    del staff_codes
    # a check by someone who is not one of the item's makers (the makers: its enters in the period)
    by_other = ~pd.Series(c_key).isin(e_key).to_numpy()  # a hash table: np.isin sorts twice
    checked_by_other = np.zeros(len(refs), dtype=bool)
    checked_by_other[c_ref[by_other]] = True
    checked_at_all = np.zeros(len(refs), dtype=bool)
    checked_at_all[c_ref] = True
    # the first enter of each item (by time, then row), like sort_values(["ref_id", "ts", "_row"])
    order = np.lexsort(
        (ops["_row"].to_numpy()[enter], ops["ts"].to_numpy(dtype="datetime64[ns]")[enter], e_ref)
    )
    first_pos = order[np.r_[True, e_ref[order][1:] != e_ref[order][:-1]]] if len(order) else order
    hit_pos = np.sort(first_pos[~checked_by_other[e_ref[first_pos]]])
    hit = ops.iloc[enter[hit_pos]][["ref_id", "staff_id", "ts", "_row", "business_type"]]
    self_checked = pd.Series(checked_at_all[e_ref[hit_pos]], index=hit.index)
    what = {
        True: {"zh": "仅由录入人本人复核", "en": "reviewed only by its maker"},
        False: {"zh": "无任何复核或审批记录", "en": "no review or approval at all"},
    }
    return RuleOutput(
        len(first_pos),
        pd.DataFrame(
            {
                "entity_id": hit["ref_id"],
                "occurred_at": hit["ts"],
                "staff_id": hit["staff_id"],
                "ref_id": hit["ref_id"],
                "business_type": hit["business_type"],
                "ts": fmt_ts(hit["ts"]),
                "what_zh": self_checked.map(lambda s: what[s]["zh"]),
                "what_en": self_checked.map(lambda s: what[s]["en"]),
                "evidence": evidence("operations", hit["_row"]),
            }
        ),
    )


AUTHORIZED = {
    "counter": [
        "account_open",
        "account_close",
        "info_change",
        "bank_account_change",
        "subscription",
        "purchase",
        "redemption",
        "conversion",
    ],
    "info_processing": [b for b in BUSINESS_TYPES if b != "fund_transfer"],
    "fund_processing": ["fund_transfer"],
    "complaint_handling": ["complaint"],
}


def authorized_for(authorized: dict[str, list[str]], btype: pd.Series) -> np.ndarray:
    """[role, operation]: the role (position in `authorized`) may do the operation's business type."""
    types = pd.Index(
        pd.unique(
            pd.concat(
                [btype.astype(object), pd.Series([b for v in authorized.values() for b in v], dtype=object)],
                ignore_index=True,
            ).dropna()
        )
    )
    allowed = np.zeros((len(authorized), len(types) + 1), dtype=bool)  # the last column: a missing type
    for r, bts in enumerate(authorized.values()):
        allowed[r, types.get_indexer(list(bts))] = True
    op_type = codes_in(btype, types)
    op_type[op_type < 0] = len(types)
    return allowed[:, op_type]


@rule(
    "SOD-007",
    partition={"operations": "ref_id"},
    family="SOD",
    severity="medium",
    tables=("operations", "staff_roles", "staff"),
    sample=Scope("operations", where={"action": CHECKED_ACTIONS}),
    cites=("IC 8(3)",),
    entity="op_id",
    params={"authorized": AUTHORIZED},
    title={"zh": "越权操作或离职人员操作", "en": "Operation without an authorized role, or after leaving"},
    requirement={
        "zh": "录入、复核、审批业务的员工当日须担任获授权办理该业务类型的岗位且未离职。授权表：{authorized}",
        "en": "Whoever enters, reviews or approves must, that day, hold a role authorized for the "
        "business type and not have left. Authorization map: {authorized}",
    },
    detail={
        "zh": "操作 {op_id}（{action}，{business_type}）于 {ts} 由员工 {staff_id} 执行：{what}",
        "en": "Operation {op_id} ({action}, {business_type}) at {ts} by staff {staff_id}: {what}",
    },
    localize=("action", "business_type"),
)
def sod_007(ctx: RuleContext) -> RuleOutput:
    """Authorization control (IC 8(3)): each operation must be within the operator's authority that day:
    a role authorized for its business type, held on that day, by someone who has not left."""
    pos = checked_positions(ctx)
    authorized = ctx.params["authorized"]
    roles = pd.Index(list(authorized))

    def has_role(part: np.ndarray) -> np.ndarray:  # a role that may do the operation's business type
        held = held_that_day(ctx, part, list(authorized))
        may = authorized_for(authorized, ctx.tables["operations"]["business_type"].iloc[part])
        return held.any_role(where=may[held.role_codes(roles), held.op])

    no_role = {
        "zh": "当日未担任获授权办理该业务的岗位",
        "en": "held no role authorized for this business that day",
    }
    return RuleOutput(len(pos), out_of_role(ctx, pos, has_role, no_role))
