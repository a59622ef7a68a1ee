"""Lean SOD-005, SOD-006 and SOD-007 for big institutions (prototype; the rules' owners decide).

At 10^6 transactions (2.6 x 10^6 operations) these three rules took 12 of the rules' 20 CPU seconds and the
largest memory of any rule: SOD-007 added 1.3 GiB on top of the loaded tables, SOD-005 0.7, SOD-006 0.5
(benchmarks/bench_rules.py), i.e. ~13 GiB at 10^7. They join operations to role intervals and to
themselves on string keys (`op_id`, `ref_id`, `staff_id`), which copies every key string into each
intermediate frame and hashes it again at every merge.

The same rules here work on integer positions: staff, roles, business types and reference ids become
small integer codes once; each operation is checked against the role intervals of its staff by
`searchsorted` on the interval table sorted by staff (a staff holds a handful of roles, so the pairs are
~1.3 per operation), and only the rows that are findings are turned back into frames. Same population,
same findings, same columns (tests/test_batch_fastrules.py runs the rules' fixture cases, the three demo
institutions and random bundles through both).

Hook: `auditlib.fastrules.install()` replaces the three functions in the registry (the declarations,
documentation and parameters stay); or move the functions into auditlib/rules/sod.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .rules.base import REGISTRY, RuleContext, RuleOutput, evidence, fmt_day, fmt_ts
from .rules.sod import CHECKED_ACTIONS, role_intervals

_INSTALLED: dict = {}


def _codes(values: pd.Series, index: pd.Index) -> np.ndarray:
    return index.get_indexer(values)


def _pairs_by_staff(op_staff: np.ndarray, iv_staff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (operation position, interval position) with the same staff code, without a string join."""
    order = np.argsort(iv_staff, kind="stable")
    sorted_staff = iv_staff[order]
    lo = np.searchsorted(sorted_staff, op_staff, "left")
    hi = np.searchsorted(sorted_staff, op_staff, "right")
    count = hi - lo
    total = int(count.sum())
    op_idx = np.repeat(np.arange(len(op_staff)), count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    iv_idx = order[np.repeat(lo, count) + offset]
    return op_idx, iv_idx


def _checked(ctx: RuleContext) -> np.ndarray:
    """Positions of `sod.checked_operations` in the operations table (no copy of its columns)."""
    ops = ctx.tables["operations"]
    return np.flatnonzero((ops["action"].isin(CHECKED_ACTIONS) & ctx.in_period(ops["ts"])).to_numpy(dtype=bool))


def _days(ts: pd.Series) -> np.ndarray:
    return ts.dt.normalize().to_numpy(dtype="datetime64[ns]")


def _held(ctx: RuleContext, pos: np.ndarray, roles) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """(indexes into `pos`, interval positions, intervals) where the operator held one of `roles` on the
    operation's day (sod.held_on_day)."""
    ops = ctx.tables["operations"]
    iv = role_intervals(ctx, clip=False)
    iv = iv[iv["role"].isin(roles)].reset_index(drop=True)
    codes, staff = pd.factorize(ops["staff_id"].iloc[pos])
    op_idx, iv_idx = _pairs_by_staff(codes, _codes(iv["staff_id"], pd.Index(staff)))
    day = _days(ops["ts"].iloc[pos])[op_idx]
    ok = (iv["start"].to_numpy(dtype="datetime64[ns]")[iv_idx] <= day) & \
         (day <= iv["end"].to_numpy(dtype="datetime64[ns]")[iv_idx])
    return op_idx[ok], iv_idx[ok], iv


def _rows(ctx: RuleContext, pos: np.ndarray) -> pd.DataFrame:
    return ctx.tables["operations"].iloc[pos][["op_id", "ts", "staff_id", "action", "business_type", "_row"]]


def sod_005(ctx: RuleContext) -> RuleOutput:
    pos = _checked(ctx)
    op_idx, iv_idx, iv = _held(ctx, pos, ctx.params["it_roles"])
    roles = np.sort(pd.unique(iv["role"]).astype(object)) if len(iv) else np.array([], dtype=object)
    rank = pd.Index(roles).get_indexer(iv["role"])[iv_idx]
    best = np.full(len(pos), len(roles), dtype=np.int64)
    np.minimum.at(best, op_idx, rank)  # the first role by name, like sort_values(["op_id", "role"])
    has = best < len(roles)
    hit = _rows(ctx, pos[has])
    role = pd.Series(roles[best[has]], index=hit.index, dtype=iv["role"].dtype)
    return RuleOutput(len(pos), pd.DataFrame({
        "entity_id": hit["op_id"], "occurred_at": hit["ts"], "staff_id": hit["staff_id"], "op_id": hit["op_id"],
        "action": hit["action"], "business_type": hit["business_type"], "ts": fmt_ts(hit["ts"]),
        "role": role, "evidence": evidence("operations", hit["_row"]),
    }))


def sod_006(ctx: RuleContext) -> RuleOutput:
    ops = ctx.tables["operations"]
    action = ops["action"]
    enter = np.flatnonzero(((action == "enter") & ops["business_type"].isin(ctx.params["review_required"])
                            & ctx.in_period(ops["ts"])).to_numpy(dtype=bool))
    check = np.flatnonzero(action.isin(["review", "approve"]).to_numpy(dtype=bool))
    ref_codes, refs = pd.factorize(ops["ref_id"])  # codes for the whole column: no string copies
    staff_codes, staff = pd.factorize(ops["staff_id"])
    e_ref, c_ref = ref_codes[enter], ref_codes[check]
    e_key = e_ref.astype(np.int64) * (len(staff) + 1) + staff_codes[enter]
    c_key = c_ref.astype(np.int64) * (len(staff) + 1) + staff_codes[check]
    del staff_codes
    # a check by someone who is not one of the item's makers (the makers: its enters in the period)
    by_other = ~np.isin(c_key, np.unique(e_key))
    checked_by_other = np.zeros(len(refs), dtype=bool)
    checked_by_other[c_ref[by_other]] = True
    checked_at_all = np.zeros(len(refs), dtype=bool)
    checked_at_all[c_ref] = True
    # the first enter of each item (by time, then row), like sort_values(["ref_id", "ts", "_row"])
    order = np.lexsort((ops["_row"].to_numpy()[enter], ops["ts"].to_numpy(dtype="datetime64[ns]")[enter], e_ref))
    first_pos = order[np.r_[True, e_ref[order][1:] != e_ref[order][:-1]]] if len(order) else order
    hit_pos = np.sort(first_pos[~checked_by_other[e_ref[first_pos]]])
    hit = ops.iloc[enter[hit_pos]][["ref_id", "staff_id", "ts", "_row", "business_type"]]
    self_checked = pd.Series(checked_at_all[e_ref[hit_pos]], index=hit.index)
    what = {True: {"zh": "仅由录入人本人复核", "en": "reviewed only by its maker"},
            False: {"zh": "无任何复核或审批记录", "en": "no review or approval at all"}}
    return RuleOutput(len(first_pos), pd.DataFrame({
        "entity_id": hit["ref_id"], "occurred_at": hit["ts"], "staff_id": hit["staff_id"], "ref_id": hit["ref_id"],
        "business_type": hit["business_type"], "ts": fmt_ts(hit["ts"]),
        "what_zh": self_checked.map(lambda s: what[s]["zh"]),
        "what_en": self_checked.map(lambda s: what[s]["en"]),
        "evidence": evidence("operations", hit["_row"]),
    }))


def sod_007(ctx: RuleContext) -> RuleOutput:
    pos = _checked(ctx)
    ops = ctx.tables["operations"]
    authorized = ctx.params["authorized"]
    op_idx, iv_idx, iv = _held(ctx, pos, list(authorized))
    btype = ops["business_type"].iloc[pos]
    roles = pd.Index(list(authorized))
    types = pd.Index(pd.unique(pd.concat([btype.astype(object),
                                          pd.Series([b for v in authorized.values() for b in v], dtype=object)],
                                         ignore_index=True).dropna()))
    allowed = np.zeros((len(roles), len(types) + 1), dtype=bool)  # the last column: a missing type
    for r, bts in authorized.items():
        allowed[roles.get_loc(r), types.get_indexer(list(bts))] = True
    op_type = _codes(btype, types)
    op_type[op_type < 0] = len(types)
    ok = allowed[_codes(iv["role"], roles)[iv_idx], op_type[op_idx]]
    has_role = np.zeros(len(pos), dtype=bool)
    has_role[op_idx[ok]] = True
    staff_table = ctx.tables["staff"].drop_duplicates("staff_id")
    staff = pd.Index(staff_table["staff_id"])
    leave_of = np.append(staff_table["leave_date"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    where = _codes(ops["staff_id"].iloc[pos], staff)
    where[where < 0] = len(staff)
    leave = leave_of[where]
    day = _days(ops["ts"].iloc[pos])
    left = (day > leave) & ~np.isnat(leave)
    hit_mask = left | ~has_role
    hit = _rows(ctx, pos[hit_mask])
    leave = pd.Series(leave[hit_mask], index=hit.index)
    hit_left = left[hit_mask]
    leave_s = fmt_day(leave).fillna("")
    what_zh = pd.Series("当日未担任获授权办理该业务的岗位", index=hit.index).where(~hit_left, "该员工已于 " + leave_s + " 离职")
    what_en = pd.Series("held no role authorized for this business that day", index=hit.index).where(
        ~hit_left, "the staff had left on " + leave_s)
    return RuleOutput(len(pos), pd.DataFrame({
        "entity_id": hit["op_id"], "occurred_at": hit["ts"], "staff_id": hit["staff_id"], "op_id": hit["op_id"],
        "action": hit["action"], "business_type": hit["business_type"], "ts": fmt_ts(hit["ts"]),
        "what_zh": what_zh, "what_en": what_en, "evidence": evidence("operations", hit["_row"]),
    }))


FAST = {"SOD-005": sod_005, "SOD-006": sod_006, "SOD-007": sod_007}


def install() -> None:
    """Use the lean functions for the three rules (idempotent); their declarations and docs are kept."""
    for code, func in FAST.items():
        r = REGISTRY[code]
        if r.func is func:
            continue
        _INSTALLED.setdefault(code, r.func)
        func.__doc__ = r.func.__doc__
        REGISTRY[code] = dataclasses.replace(r, func=func)


def uninstall() -> None:
    for code, func in _INSTALLED.items():
        REGISTRY[code] = dataclasses.replace(REGISTRY[code], func=func)
    _INSTALLED.clear()
