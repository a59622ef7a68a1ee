"""Operations against the operator's roles and leave date on the operation's day (SOD-005/007, INFO-001).

The question those rules ask of every operation is "did the operator hold role R that day, and had they
left?". Up to 10^7 operations meet a few thousand role intervals, so staff become integer codes and each
operation meets only its own staff's intervals (searchsorted on the intervals sorted by staff): no string
join; and the operations are taken a chunk at a time, so the per-operation temporaries stay ~100 MB
whatever the size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arrowops import codes_in
from .base import RuleContext, evidence, fmt_day, fmt_ts

CHUNK = 1 << 21  # operations checked at a time


def role_intervals(ctx: RuleContext, clip: bool) -> pd.DataFrame:
    """Roles as [start, end] day intervals (open end = held until today); clipped to the period if asked."""
    r = ctx.tables["staff_roles"]
    iv = pd.DataFrame(
        {
            "staff_id": r["staff_id"],
            "role": r["role"],
            "start": r["start_date"],
            "end": r["end_date"].fillna(pd.Timestamp.max.normalize()),
            "_row": r["_row"],
        }
    )
    if clip:
        iv["start"] = iv["start"].clip(lower=ctx.period_start)
        iv["end"] = iv["end"].clip(upper=ctx.period_end)
    return iv[iv["start"] <= iv["end"]]


@dataclass
class Held:
    """The (operation, role interval) pairs of one chunk of operations where the operator held the role
    on the operation's day."""

    n: int  # operations in the chunk
    op: np.ndarray  # per pair: the operation (index into the chunk)
    interval: np.ndarray  # per pair: the interval (index into `intervals`)
    intervals: pd.DataFrame  # role_intervals() with one of the roles asked about

    def any_role(self, where: np.ndarray | None = None) -> np.ndarray:
        """Per operation: the operator held one of the roles that day (one of the pairs `where` is True)."""
        out = np.zeros(self.n, dtype=bool)
        out[self.op if where is None else self.op[where]] = True
        return out

    def role_codes(self, roles: pd.Index) -> np.ndarray:
        """Per pair: the role held, as its position in `roles`."""
        return roles.get_indexer(self.intervals["role"])[self.interval]

    def first_role(self) -> np.ndarray:
        """Per operation: the role held that day first by name (None where none)."""
        iv = self.intervals
        names = np.sort(pd.unique(iv["role"]).astype(object)) if len(iv) else np.array([], dtype=object)
        best = np.full(self.n, len(names), dtype=np.int64)
        np.minimum.at(best, self.op, self.role_codes(pd.Index(names)))
        return np.append(names, None)[best]


def held_that_day(ctx: RuleContext, pos: np.ndarray, roles) -> Held:
    """Where the operator of each operation (positions `pos` in the operations table) held one of `roles`
    on the operation's day."""
    ops = ctx.tables["operations"]
    iv = role_intervals(ctx, clip=False)
    iv = iv[iv["role"].isin(roles)].reset_index(drop=True)
    staff = pd.unique(iv["staff_id"].dropna())  # the few staff with one of the roles: codes 0..k-1, others -1
    op_idx, iv_idx = _same_staff(codes_in(ops["staff_id"].iloc[pos], staff), codes_in(iv["staff_id"], staff))
    day = op_days(ctx, pos)[op_idx]
    ok = (iv["start"].to_numpy(dtype="datetime64[ns]")[iv_idx] <= day) & (
        day <= iv["end"].to_numpy(dtype="datetime64[ns]")[iv_idx]
    )
    return Held(len(pos), op_idx[ok], iv_idx[ok], iv)


def _same_staff(op_staff: np.ndarray, iv_staff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def op_days(ctx: RuleContext, pos: np.ndarray) -> np.ndarray:
    """The day of each operation."""
    return ctx.tables["operations"]["ts"].iloc[pos].dt.normalize().to_numpy(dtype="datetime64[ns]")


class LeaveDates:
    """The operators' leave dates (from the staff table; an unknown operator has none)."""

    def __init__(self, ctx: RuleContext):
        staff = ctx.tables["staff"].drop_duplicates("staff_id")
        self.staff = pd.Index(staff["staff_id"])
        self.dates = np.append(staff["leave_date"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT"))

    def of(self, ctx: RuleContext, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(had left before the operation's day, the leave date) per operation; a leave date equal to the
        day is still in service."""
        where = codes_in(ctx.tables["operations"]["staff_id"].iloc[pos], self.staff)
        where[where < 0] = len(self.staff)
        leave = self.dates[where]
        return ~np.isnat(leave) & (op_days(ctx, pos) > leave), leave


def scan(pos: np.ndarray, check: Callable[[np.ndarray], tuple[np.ndarray, dict]]) -> tuple[np.ndarray, dict]:
    """`check(part)` over the operations `pos` a chunk at a time: it gives the mask of the part's hits and
    per-operation arrays to keep for them; returns the hit positions and those arrays, each in one piece.
    With no operation at all, `check` still sees one empty part, so the arrays have their types."""
    hits, kept = [], {}
    for i in range(0, max(len(pos), 1), CHUNK):
        part = pos[i : i + CHUNK]
        mask, values = check(part)
        hits.append(part[mask])
        for k, v in values.items():
            kept.setdefault(k, []).append(v[mask])
    return np.concatenate(hits), {k: np.concatenate(v) for k, v in kept.items()}


def op_rows(ctx: RuleContext, pos: np.ndarray) -> pd.DataFrame:
    """The operation columns a finding about an operation shows."""
    return ctx.tables["operations"].iloc[pos][["op_id", "ts", "staff_id", "action", "business_type", "_row"]]


def op_findings(hit: pd.DataFrame, **columns) -> pd.DataFrame:
    """One finding per operation of `hit` (op_rows): the operation, then the rule's own `columns`."""
    return pd.DataFrame(
        {
            "entity_id": hit["op_id"],
            "occurred_at": hit["ts"],
            "staff_id": hit["staff_id"],
            "op_id": hit["op_id"],
            "action": hit["action"],
            "business_type": hit["business_type"],
            "ts": fmt_ts(hit["ts"]),
            **columns,
            "evidence": evidence("operations", hit["_row"]),
        }
    )


def out_of_role(
    ctx: RuleContext, pos: np.ndarray, has_role: Callable[[np.ndarray], np.ndarray], no_role: dict[str, str]
) -> pd.DataFrame:
    """One finding per operation (positions `pos`) whose operator had left before its day, or held no role
    for it that day (`has_role` of a chunk of operations); what is wrong in words: the leave date, else
    `no_role` (per language)."""
    leaving = LeaveDates(ctx)

    def check(part: np.ndarray) -> tuple[np.ndarray, dict]:
        ok = has_role(part)
        left, leave = leaving.of(ctx, part)
        return left | ~ok, {"left": left, "leave": leave}

    hit_pos, kept = scan(pos, check)
    hit = op_rows(ctx, hit_pos)
    left, leave_s = kept["left"], fmt_day(pd.Series(kept["leave"], index=hit.index)).fillna("")
    return op_findings(
        hit,
        what_zh=pd.Series(no_role["zh"], index=hit.index).where(~left, "该员工已于 " + leave_s + " 离职"),
        what_en=pd.Series(no_role["en"], index=hit.index).where(~left, "the staff had left on " + leave_s),
    )
