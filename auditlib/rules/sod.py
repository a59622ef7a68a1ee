"""SOD: segregation of duties and authorization (IC 8, 21, 39, 41, 45)."""

from __future__ import annotations

import pandas as pd

from ..schema import BUSINESS_ROLES, BUSINESS_TYPES
from .base import RuleContext, RuleOutput, evidence, fmt_day, fmt_ts, lookup, no_findings, rule

CHECKED_ACTIONS = ("enter", "review", "approve")
IT_ROLES = ["it_dev", "it_ops"]


def _pairs(a: list[str], b: list[str]) -> list[list[str]]:
    return [[x, y] for x in a for y in b]


def role_intervals(ctx: RuleContext, clip: bool) -> pd.DataFrame:
    """Roles as [start, end] day intervals (open end = held until today); clipped to the period if asked."""
    r = ctx.tables["staff_roles"]
    iv = pd.DataFrame({
        "staff_id": r["staff_id"], "role": r["role"], "start": r["start_date"],
        "end": r["end_date"].fillna(pd.Timestamp.max.normalize()), "_row": r["_row"],
    })
    if clip:
        iv["start"] = iv["start"].clip(lower=ctx.period_start)
        iv["end"] = iv["end"].clip(upper=ctx.period_end)
    return iv[iv["start"] <= iv["end"]]


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
    first = found.drop_duplicates("staff_id").reset_index(drop=True)
    return RuleOutput(population, pd.DataFrame({
        "entity_id": first["staff_id"], "occurred_at": first["first_day"], "staff_id": first["staff_id"],
        "role_a": first["role_a"], "role_b": first["role_b"], "first_day": fmt_day(first["first_day"]),
        "pairs": first["staff_id"].map(n_pairs).to_numpy(),
        "evidence": evidence("staff_roles", first["_row_a"]) + "; " + evidence("staff_roles", first["_row_b"]),
    }))


_ROLES_TEXT = {
    "zh": "同一员工不得在检查期间内的同一天同时担任下列不相容岗位：{conflict_pairs}",
    "en": "No staff may hold both roles of any of these incompatible pairs on a common day in the period: "
          "{conflict_pairs}",
}
_ROLES_DETAIL = {
    "zh": "员工 {staff_id} 自 {first_day} 起同时担任{role_a}与{role_b}（冲突岗位组合 {pairs} 组）",
    "en": "Staff {staff_id} held {role_a} and {role_b} together from {first_day} ({pairs} conflicting pair(s))",
}
_ROLE_COMMON = dict(family="SOD", severity="high", tables=("staff_roles",), entity="staff_id",
                    requirement=_ROLES_TEXT, detail=_ROLES_DETAIL, localize=("role_a", "role_b"))


@rule("SOD-001", citation="IC 8(5)", **_ROLE_COMMON,
      title={"zh": "宣传推介与柜面操作、后台信息处理与资金处理岗位未分离",
             "en": "Promotion/counter or information/fund processing held by one person"},
      params={"conflict_pairs": [["promotion", "counter"], ["info_processing", "fund_processing"]]})
def sod_001(ctx: RuleContext) -> RuleOutput:
    """Promotion and counter work, and back-office information and fund processing, must be done by
    different people (IC 8(5)): one person holding both can sell and book, or record and pay, unchecked."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


@rule("SOD-002", citation="IC 8(5), 45", **_ROLE_COMMON,
      title={"zh": "风险监控、监察稽核人员兼任业务岗位", "en": "Risk monitoring or audit staff in a business role"},
      params={"conflict_pairs": _pairs(["risk_monitoring", "audit"], list(BUSINESS_ROLES))})
def sod_002(ctx: RuleContext) -> RuleOutput:
    """Risk monitoring and audit (监察稽核) must be independent of the business they monitor (IC 8(5), 45):
    nobody checks their own sales or processing."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


@rule("SOD-003", citation="IC 39", **_ROLE_COMMON,
      title={"zh": "信息技术负责人与信息安全负责人由同一人兼任", "en": "IT head and information-security head are one person"},
      params={"conflict_pairs": [["it_head", "infosec_head"]]})
def sod_003(ctx: RuleContext) -> RuleOutput:
    """The head of IT and the head of information security may not be the same person (IC 39)."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


@rule("SOD-004", citation="IC 41", **_ROLE_COMMON,
      title={"zh": "信息技术开发、运营维护与业务操作人员未相互分离",
             "en": "IT development, operations and business roles not separated"},
      params={"conflict_pairs": [["it_dev", "it_ops"]] + _pairs(IT_ROLES, list(BUSINESS_ROLES))})
def sod_004(ctx: RuleContext) -> RuleOutput:
    """Developers, operators and business staff must be separate people (IC 41): whoever writes or runs
    the system must not also use it to do business."""
    return conflicting_roles(ctx, ctx.params["conflict_pairs"])


def checked_operations(ctx: RuleContext) -> pd.DataFrame:
    """Maker/checker/approver operations in the period (view and other actions are not tested)."""
    ops = ctx.tables["operations"]
    ops = ops[ops["action"].isin(CHECKED_ACTIONS) & ctx.in_period(ops["ts"])]
    return ops.assign(day=ops["ts"].dt.normalize())


def held_on_day(ops: pd.DataFrame, iv: pd.DataFrame) -> pd.DataFrame:
    """Operation x role pairs where the operator held the role on the operation's day."""
    m = ops[["op_id", "staff_id", "day"]].merge(iv[["staff_id", "role", "start", "end"]], on="staff_id")
    return m[(m["start"] <= m["day"]) & (m["day"] <= m["end"])]


@rule("SOD-005", family="SOD", severity="high", tables=("operations", "staff_roles"), citation="IC 41",
      entity="op_id", params={"it_roles": IT_ROLES},
      title={"zh": "技术人员介入实际业务操作", "en": "IT staff performing business operations"},
      requirement={"zh": "担任以下技术岗位的人员在任职当日不得录入、复核或审批业务：{it_roles}",
                   "en": "Staff holding these IT roles must not enter, review or approve business on a day "
                         "they hold them: {it_roles}"},
      detail={"zh": "操作 {op_id}（{action}，{business_type}）于 {ts} 由当日担任{role}的员工 {staff_id} 执行",
              "en": "Operation {op_id} ({action}, {business_type}) at {ts} by staff {staff_id}, "
                    "who held {role} that day"},
      localize=("action", "business_type", "role"))
def sod_005(ctx: RuleContext) -> RuleOutput:
    """Technical staff must not take part in actual business operations (IC 41): an operation entered,
    reviewed or approved by someone holding an IT development or operations role that day."""
    ops = checked_operations(ctx)
    iv = role_intervals(ctx, clip=False)
    held = held_on_day(ops, iv[iv["role"].isin(ctx.params["it_roles"])])
    held = held.sort_values(["op_id", "role"]).drop_duplicates("op_id")
    hit = ops.merge(held[["op_id", "role"]], on="op_id")
    return RuleOutput(len(ops), pd.DataFrame({
        "entity_id": hit["op_id"], "occurred_at": hit["ts"], "staff_id": hit["staff_id"], "op_id": hit["op_id"],
        "action": hit["action"], "business_type": hit["business_type"], "ts": fmt_ts(hit["ts"]),
        "role": hit["role"], "evidence": evidence("operations", hit["_row"]),
    }))


REVIEW_REQUIRED = ["account_open", "account_close", "info_change", "bank_account_change", "redemption",
                   "fund_transfer"]


@rule("SOD-006", family="SOD", severity="high", tables=("operations",), citation="IC 21(1), 39",
      entity="ref_id", params={"review_required": REVIEW_REQUIRED},
      title={"zh": "业务缺少他人复核（双人双岗）", "en": "Business item without review by a second person"},
      requirement={"zh": "以下业务类型的每笔业务在录入后须由录入人以外的员工复核或审批：{review_required}",
                   "en": "Every item of these business types must be reviewed or approved by someone other than "
                         "its maker: {review_required}"},
      detail={"zh": "业务 {ref_id}（{business_type}）由 {staff_id} 于 {ts} 录入，{what}",
              "en": "Item {ref_id} ({business_type}) entered by {staff_id} at {ts}: {what}"},
      localize=("business_type",))
def sod_006(ctx: RuleContext) -> RuleOutput:
    """Maker-checker (双人双岗, IC 21(1), 39): an item entered in the period with no review or approval by
    a different staff, at any time. A review only by the maker is no review."""
    ops = ctx.tables["operations"]
    enters = ops[(ops["action"] == "enter") & ops["business_type"].isin(ctx.params["review_required"])
                 & ctx.in_period(ops["ts"])].sort_values(["ref_id", "ts", "_row"])
    checks = ops[ops["action"].isin(["review", "approve"])][["ref_id", "staff_id"]].drop_duplicates()
    makers = enters[["ref_id", "staff_id"]].drop_duplicates()
    by_maker = checks.merge(makers, on=["ref_id", "staff_id"], how="left", indicator=True)
    checked_by_other = set(by_maker.loc[by_maker["_merge"] == "left_only", "ref_id"])
    checked_at_all = set(checks["ref_id"])
    first = enters.drop_duplicates("ref_id")
    hit = first[~first["ref_id"].isin(checked_by_other)]
    lang_what = {
        True: {"zh": "仅由录入人本人复核", "en": "reviewed only by its maker"},
        False: {"zh": "无任何复核或审批记录", "en": "no review or approval at all"},
    }
    self_checked = hit["ref_id"].isin(checked_at_all)
    return RuleOutput(len(first), pd.DataFrame({
        "entity_id": hit["ref_id"], "occurred_at": hit["ts"], "staff_id": hit["staff_id"], "ref_id": hit["ref_id"],
        "business_type": hit["business_type"], "ts": fmt_ts(hit["ts"]),
        "what_zh": self_checked.map(lambda s: lang_what[s]["zh"]),
        "what_en": self_checked.map(lambda s: lang_what[s]["en"]),
        "evidence": evidence("operations", hit["_row"]),
    }))


AUTHORIZED = {
    "counter": ["account_open", "account_close", "info_change", "bank_account_change", "subscription", "purchase",
                "redemption", "conversion"],
    "info_processing": [b for b in BUSINESS_TYPES if b != "fund_transfer"],
    "fund_processing": ["fund_transfer"],
    "complaint_handling": ["complaint"],
}


@rule("SOD-007", family="SOD", severity="medium", tables=("operations", "staff_roles", "staff"),
      citation="IC 8(3)", entity="op_id", params={"authorized": AUTHORIZED},
      title={"zh": "越权操作或离职人员操作", "en": "Operation without an authorized role, or after leaving"},
      requirement={"zh": "录入、复核、审批业务的员工当日须担任获授权办理该业务类型的岗位且未离职。授权表：{authorized}",
                   "en": "Whoever enters, reviews or approves must, that day, hold a role authorized for the "
                         "business type and not have left. Authorization map: {authorized}"},
      detail={"zh": "操作 {op_id}（{action}，{business_type}）于 {ts} 由员工 {staff_id} 执行：{what}",
              "en": "Operation {op_id} ({action}, {business_type}) at {ts} by staff {staff_id}: {what}"},
      localize=("action", "business_type"))
def sod_007(ctx: RuleContext) -> RuleOutput:
    """Authorization control (IC 8(3)): each operation must be within the operator's authority that day:
    a role authorized for its business type, held on that day, by someone who has not left."""
    ops = checked_operations(ctx)
    auth = pd.DataFrame([(r, b) for r, types in ctx.params["authorized"].items() for b in types],
                        columns=["role", "business_type"])
    iv = role_intervals(ctx, clip=False)
    held = held_on_day(ops, iv[iv["role"].isin(auth["role"])])
    held = held.merge(ops[["op_id", "business_type"]], on="op_id").merge(auth, on=["role", "business_type"])
    leave = lookup(ops["staff_id"], ctx.tables["staff"], "staff_id", "leave_date")
    left = (ops["day"] > leave).fillna(False).to_numpy(dtype=bool)
    unauthorized = ~ops["op_id"].isin(held["op_id"]).to_numpy()
    hit_mask = left | unauthorized
    hit = ops[hit_mask]
    hit_left = left[hit_mask]
    leave_s = fmt_day(leave[hit_mask]).fillna("")
    what_zh = pd.Series("当日未担任获授权办理该业务的岗位", index=hit.index).where(~hit_left, "该员工已于 " + leave_s + " 离职")
    what_en = pd.Series("held no role authorized for this business that day", index=hit.index).where(
        ~hit_left, "the staff had left on " + leave_s)
    return RuleOutput(len(ops), pd.DataFrame({
        "entity_id": hit["op_id"], "occurred_at": hit["ts"], "staff_id": hit["staff_id"], "op_id": hit["op_id"],
        "action": hit["action"], "business_type": hit["business_type"], "ts": fmt_ts(hit["ts"]),
        "what_zh": what_zh, "what_en": what_en, "evidence": evidence("operations", hit["_row"]),
    }))
