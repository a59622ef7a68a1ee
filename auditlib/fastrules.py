"""Lean SOD-005, SOD-006, SOD-007 and RET-001/002 for big institutions (prototype; the rules' owners decide).

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

RET-001/002 (`early_disposals`): the retention end is computed for the disposed records only (below).

Hook: `auditlib.fastrules.install()` replaces the three SOD functions in the registry (the declarations,
documentation and parameters stay) and `auditlib.rules.ret.early_disposals`; or move the functions into
auditlib/rules/sod.py and ret.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .rules.base import REGISTRY, RuleContext, RuleOutput, evidence, fmt_day, fmt_ts
from .rules.sod import CHECKED_ACTIONS, role_intervals

_INSTALLED: dict = {}
CHUNK = 1 << 21  # operations checked at a time by SOD-005/007


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


def _chunks(pos: np.ndarray):
    """Operations a chunk at a time: the per-operation temporaries stay ~100 MB whatever the size."""
    for i in range(0, len(pos), CHUNK):
        yield pos[i:i + CHUNK]


def sod_005(ctx: RuleContext) -> RuleOutput:
    pos = _checked(ctx)
    hits, hit_roles = [], []
    role_dtype = None
    for part in _chunks(pos):
        op_idx, iv_idx, iv = _held(ctx, part, ctx.params["it_roles"])
        role_dtype = iv["role"].dtype
        roles = np.sort(pd.unique(iv["role"]).astype(object)) if len(iv) else np.array([], dtype=object)
        rank = pd.Index(roles).get_indexer(iv["role"])[iv_idx]
        best = np.full(len(part), len(roles), dtype=np.int64)
        np.minimum.at(best, op_idx, rank)  # the first role by name, like sort_values(["op_id", "role"])
        has = best < len(roles)
        hits.append(part[has])
        hit_roles.append(roles[best[has]])
    hit = _rows(ctx, np.concatenate(hits) if hits else pos[:0])
    role = pd.Series(np.concatenate(hit_roles) if hit_roles else [], index=hit.index, dtype=role_dtype or "string")
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
    roles = pd.Index(list(authorized))
    staff_table = ctx.tables["staff"].drop_duplicates("staff_id")
    staff = pd.Index(staff_table["staff_id"])
    leave_of = np.append(staff_table["leave_date"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))
    hits, lefts, leaves = [], [], []
    for part in _chunks(pos):
        op_idx, iv_idx, iv = _held(ctx, part, list(authorized))
        btype = ops["business_type"].iloc[part]
        types = pd.Index(pd.unique(pd.concat([btype.astype(object),
                                              pd.Series([b for v in authorized.values() for b in v], dtype=object)],
                                             ignore_index=True).dropna()))
        allowed = np.zeros((len(roles), len(types) + 1), dtype=bool)  # the last column: a missing type
        for r, bts in authorized.items():
            allowed[roles.get_loc(r), types.get_indexer(list(bts))] = True
        op_type = _codes(btype, types)
        op_type[op_type < 0] = len(types)
        ok = allowed[_codes(iv["role"], roles)[iv_idx], op_type[op_idx]]
        has_role = np.zeros(len(part), dtype=bool)
        has_role[op_idx[ok]] = True
        where = _codes(ops["staff_id"].iloc[part], staff)
        where[where < 0] = len(staff)
        leave = leave_of[where]
        left = (_days(ops["ts"].iloc[part]) > leave) & ~np.isnat(leave)
        hit_mask = left | ~has_role
        hits.append(part[hit_mask])
        lefts.append(left[hit_mask])
        leaves.append(leave[hit_mask])
    hit = _rows(ctx, np.concatenate(hits) if hits else pos[:0])
    hit_left = np.concatenate(lefts) if lefts else np.zeros(0, dtype=bool)
    leave = pd.Series(np.concatenate(leaves) if leaves else np.zeros(0, dtype="datetime64[ns]"), index=hit.index)
    leave_s = fmt_day(leave).fillna("")
    what_zh = pd.Series("当日未担任获授权办理该业务的岗位", index=hit.index).where(~hit_left, "该员工已于 " + leave_s + " 离职")
    what_en = pd.Series("held no role authorized for this business that day", index=hit.index).where(
        ~hit_left, "the staff had left on " + leave_s)
    return RuleOutput(len(pos), pd.DataFrame({
        "entity_id": hit["op_id"], "occurred_at": hit["ts"], "staff_id": hit["staff_id"], "op_id": hit["op_id"],
        "action": hit["action"], "business_type": hit["business_type"], "ts": fmt_ts(hit["ts"]),
        "what_zh": what_zh, "what_en": what_en, "evidence": evidence("operations", hit["_row"]),
    }))


def early_disposals(ctx: RuleContext, record_type: str) -> tuple[int, pd.DataFrame]:
    """`ret.early_disposals` (RET-001, RET-002): the retention end computed for the *disposed* records only.

    The package computes it for every record of the type (a join of 10^7 transaction records to 10^7
    transactions on the string key: 33 s and +3.7 GiB at 10^7) and then keeps the few disposed ones; every
    value is per row (the first subject row with the record's key), so filtering the records and the
    subjects first gives the same rows, and the population is the count of the type."""
    from .rules import ret

    ar = ctx.tables["archive_records"]
    of_type = (ar["record_type"] == record_type).fillna(False).to_numpy(dtype=bool)
    d = ar["disposed_at"]
    disposed = of_type & (d.notna() & (d <= ctx.as_of)).fillna(False).to_numpy(dtype=bool)
    records = ar[disposed]
    # and only the subjects those records name (the lookups index the whole subject table otherwise)
    table, key, _ = ret.BASIS[record_type]
    subjects = ctx.tables[table]
    subjects = subjects[subjects[key].isin(records["subject_id"]).to_numpy(dtype=bool)]
    subset = dataclasses.replace(ctx, tables={**ctx.tables, "archive_records": records, table: subjects}, _cache={})
    _, hit = ret._auditlib_early_disposals(subset, record_type)
    return int(of_type.sum()), hit


FAST = {"SOD-005": sod_005, "SOD-006": sod_006, "SOD-007": sod_007}


def install() -> None:
    """Use the lean functions (idempotent): SOD-005/006/007 in the registry (their declarations and docs are
    kept), and RET-001/002's shared `early_disposals`."""
    from .rules import ret

    for code, func in FAST.items():
        r = REGISTRY[code]
        if r.func is func:
            continue
        _INSTALLED.setdefault(code, r.func)
        func.__doc__ = r.func.__doc__
        REGISTRY[code] = dataclasses.replace(r, func=func)
    if ret.early_disposals is not early_disposals:
        ret._auditlib_early_disposals = ret.early_disposals
        ret.early_disposals = early_disposals


def uninstall() -> None:
    from .rules import ret

    for code, func in _INSTALLED.items():
        REGISTRY[code] = dataclasses.replace(REGISTRY[code], func=func)
    _INSTALLED.clear()
    if ret.early_disposals is early_disposals:
        ret.early_disposals = ret._auditlib_early_disposals
