"""A reproducible audit sample per rule, for re-performing the check by hand.

Design (docs/report.md, "Audit sample"): rules are not rewritten to hand over their populations. Each rule's
**scope** is declared here, beside the rules, as a filter of one input table: the table, the period test on
its time column (`schema.Table.time_column`, or a role interval overlapping the period), and value filters
mirroring the rule's population (e.g. SUIT: confirmed purchase-type transactions). Rules not listed fall back
to their first table filtered to the period by its time column.

From the rows in scope, `sample_size` rows (params, default 25; all of them when fewer) are drawn with a
seed derived from the institution, the rule and the period:

    seed = int(sha256("<institution_id>|<rule_code>|<period_start>|<period_end>")[:16], 16)
    key(row) = splitmix64(seed XOR row)      # row = the spreadsheet row number in the institution's file
    sample = the rows with the smallest keys, listed by row number

So the same data and params always give the same sample (no random generator whose stream could change
between numpy versions), the sample of one rule does not move when another rule or the row order of
an unrelated table changes, and anyone can recompute it from the formula above.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..load import ROW
from ..mask import contract_pii_kind, mask_series
from ..rules import REGISTRY
from ..schema import PURCHASE_CODES, TABLES

OPS = ("enter", "review", "approve")


@dataclass(frozen=True)
class Param:
    """A filter value taken from the rule's effective parameters."""

    name: str


@dataclass(frozen=True)
class Scope:
    table: str
    #: "period": the table's time column in the period; "overlap": start_date..end_date overlaps the period;
    #: "until": the time column on or before period_end; None: no time test
    when: str | None = "period"
    #: column -> allowed values (or a Param)
    where: dict = field(default_factory=dict)
    #: columns that must be present (not null)
    present: tuple[str, ...] = ()
    column: str | None = None  # the time column, when not the table's own


PURCHASE = {"business_code": PURCHASE_CODES, "status": ("confirmed",)}
CMP = "complaints"
SCOPES: dict[str, Scope] = {
    **{c: Scope("staff_roles", "overlap") for c in ("SOD-001", "SOD-002", "SOD-003", "SOD-004")},
    "SOD-005": Scope("operations", where={"action": OPS}),
    "SOD-006": Scope("operations", where={"action": ("enter",), "business_type": Param("review_required")}),
    "SOD-007": Scope("operations", where={"action": OPS}),
    "SOD-008": Scope("staff", "until", column="leave_date"),
    "SOD-009": Scope("staff_roles", "overlap"),
    **{c: Scope("transactions", where=PURCHASE) for c in ("SUIT-001", "SUIT-002", "SUIT-003", "SUIT-004")},
    "ABN-001": Scope("account_events", where={"event_type": ("open", "close")}),
    "ABN-002": Scope("transactions", where={"business_code": ("024",), "status": ("confirmed",)}),
    "ABN-003": Scope("account_events", where={"event_type": ("bank_account_change",)}),
    "ABN-004": Scope("fund_transfers", where={"transfer_type": Param("transfer_types")}),
    "ABN-005": Scope("fund_transfers"),
    "ABN-006": Scope("transactions", where=PURCHASE, present=("branch_id",), column="trade_date"),
    "ABN-007": Scope("transactions"),
    "ABN-008": Scope("transactions", where={"status": ("failed", "rejected")}),
    "ABN-009": Scope("fund_transfers", where={"transfer_type": ("branch_sweep",)}),
    "RET-001": Scope("archive_records", None, {"record_type": ("customer_identity",)}),
    "RET-002": Scope("archive_records", None, {"record_type": ("transaction",)}),
    "RET-003": Scope("customers", "until", column="open_date"),
    "RET-004": Scope("backups"),
    "RET-005": Scope("backups", where={"status": ("success",)}),
    "RET-006": Scope("backups", where={"status": ("success",), "contains_investor_data": (True,)}),
    "RET-007": Scope(CMP),
    "CMP-001": Scope(CMP),
    "CMP-002": Scope(CMP, where={"severity": ("general",)}),
    "CMP-003": Scope(CMP, where={"severity": ("major",)}),
    "CMP-004": Scope(CMP, where={"severity": ("major",)}),
    "CMP-005": Scope(CMP, where={"channel": ("regulator",)}),
    "CMP-006": Scope(CMP, where={"involves_violation": (True,)}),
    "CMP-007": Scope(CMP, where={"channel": ("phone",)}),
    "CMP-008": Scope(CMP, present=("resolved_at",)),
    "CMP-009": Scope(CMP, present=("resolved_at",)),
    "CMP-010": Scope(CMP),
    "CMP-011": Scope(CMP, where={"channel": ("phone", "letter", "visit", "online")}),
    "CMP-012": Scope(CMP, where={"channel": ("regulator",)}),
    "STAFF-001": Scope("staff_roles", "overlap", {"role": Param("roles")}),
    "STAFF-002": Scope("staff_roles", "overlap", {"role": Param("roles")}),
    "REC-001": Scope("reconciliations"),
}

_M1, _M2, _GOLDEN = (
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
    np.uint64(0x9E3779B97F4A7C15),
)


def scope_of(code: str) -> Scope:
    if code in SCOPES:
        return SCOPES[code]
    table = REGISTRY[code].tables[0]
    return Scope(table, "period" if TABLES[table].time_column else None)


def seed_of(institution_id: str, code: str, period_start, period_end) -> int:
    text = f"{institution_id}|{code}|{period_start}|{period_end}"
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer (Steele, Lea, Flood 2014), vectorized on uint64 (wrapping arithmetic)."""
    z = x.astype(np.uint64) + _GOLDEN
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def pick(rows: np.ndarray, seed: int, size: int) -> np.ndarray:
    """Positions (into `rows`) of the `size` rows with the smallest keys, ordered by row number."""
    rows = np.asarray(rows, dtype=np.int64)
    if size <= 0 or len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(rows) <= size:
        return np.argsort(rows, kind="stable")
    keys = splitmix64(rows.astype(np.uint64) ^ np.uint64(seed))
    chosen = np.argpartition(keys, size - 1)[:size]
    return chosen[np.argsort(rows[chosen], kind="stable")]


def draw(rows: np.ndarray, seed: int, size: int) -> np.ndarray:
    """The `size` row numbers with the smallest keys, in row order."""
    rows = np.asarray(rows, dtype=np.int64)
    return rows[pick(rows, seed, size)]


def _values(v, params: dict) -> tuple:
    return tuple(params.get(v.name, ())) if isinstance(v, Param) else tuple(v)


def in_scope(result, code: str) -> pd.DataFrame:
    """The rows of the rule's scope table that fall in its scope (all columns, `_row` included)."""
    sc = scope_of(code)
    return result.bundle.tables[sc.table][scope_mask(result, code)]


def scope_mask(result, code: str, cache: dict | None = None) -> np.ndarray:
    """Which rows of the rule's scope table fall in its scope (a mask: no copy of a 10^7-row table).

    `cache`: a dict shared by the rules sampled together; rules with the same scope table, period test or
    filter (SUIT-001..004, SOD-005/007...) then compute each part once (10^7 transactions: 8 s -> ~2 s)."""
    sc, p = scope_of(code), result.params
    df = result.bundle.tables[sc.table]
    cache = {} if cache is None else cache

    def part(key, compute) -> np.ndarray:
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    keep = np.ones(len(df), dtype=bool)
    start, end = pd.Timestamp(p.period_start), pd.Timestamp(p.period_end) + pd.Timedelta(days=1)
    if sc.when == "overlap":
        keep &= part(
            (sc.table, "overlap"),
            lambda: (
                (df["start_date"] < end).to_numpy(dtype=bool)
                & (df["end_date"].isna() | (df["end_date"] >= start)).to_numpy(dtype=bool)
            ),
        )
    elif sc.when in ("period", "until"):
        name = sc.column or TABLES[sc.table].time_column

        def in_time() -> np.ndarray:
            col = df[name]
            hit = (col < end) if sc.when == "until" else ((col >= start) & (col < end))
            return hit.fillna(False).to_numpy(dtype=bool)

        keep &= part((sc.table, sc.when, name), in_time)
    params = p.rule_params(code)
    for column, allowed in sc.where.items():
        values = tuple(_values(allowed, params))
        keep &= part(
            (sc.table, "in", column, values),
            lambda column=column, values=values: (
                df[column].isin(list(values)).fillna(False).to_numpy(dtype=bool)
            ),
        )
    for column in sc.present:
        keep &= part(
            (sc.table, "present", column), lambda column=column: df[column].notna().to_numpy(dtype=bool)
        )
    return keep


def describe(code: str, params: dict) -> str:
    """The scope in words (codes and column names: it is read next to the institution's files)."""
    sc = scope_of(code)
    time = sc.column or TABLES[sc.table].time_column
    parts = {
        "period": f"{time} in the period",
        "until": f"{time} on or before period_end",
        "overlap": "start_date..end_date overlapping the period",
        None: "all rows",
    }[sc.when]
    conds = [parts] + [f"{c} in ({', '.join(map(str, _values(v, params)))})" for c, v in sc.where.items()]
    conds += [f"{c} present" for c in sc.present]
    return f"{sc.table}: " + "; ".join(conds)


@dataclass
class Sample:
    code: str
    table: str
    scope: str
    in_scope: int
    seed: int
    rows: pd.DataFrame  # sample_no, row, finding_id, then the table's contract columns


def rule_sample(
    result, code: str, size: int, personal_data: bool = False, cache: dict | None = None
) -> Sample:
    """The audit sample of one rule; personal data masked unless `personal_data`."""
    p = result.params
    sc = scope_of(code)
    df = result.bundle.tables[sc.table]
    where = np.flatnonzero(scope_mask(result, code, cache))
    seed = seed_of(p.institution_id, code, p.period_start, p.period_end)
    chosen = where[pick(df[ROW].to_numpy()[where], seed, size)]
    picked = df.iloc[chosen]
    rows = picked[ROW].to_numpy(dtype=np.int64)
    table = TABLES[sc.table]
    columns = [c.name for c in table.columns if c.name in picked.columns]
    out = pd.DataFrame({"sample_no": np.arange(1, len(rows) + 1), "row": rows})
    # a row that is itself the entity of a finding of this rule (e.g. CMP: the complaint) gets its finding_id
    key = table.primary_key[0] if len(table.primary_key) == 1 else None
    fid = [""] * len(rows)
    if key is not None and REGISTRY[code].entity == key:
        f = result.findings[result.findings["rule_code"] == code]
        ids = dict(zip(f["entity_id"], f["finding_id"], strict=True))
        fid = [ids.get(str(v), "") for v in picked[key]]
    out["finding_id"] = fid
    for c in columns:
        values = picked[c].reset_index(drop=True)
        kind = contract_pii_kind(sc.table, c)
        if kind and not personal_data:
            values = mask_series(values, kind)
        out[c] = values.to_numpy()
    return Sample(code, sc.table, describe(code, p.rule_params(code)), len(where), seed, out)


def samples(result, size: int, personal_data: bool = False) -> dict[str, Sample]:
    """The sample of every tested rule."""
    tested = result.summary.loc[result.summary["tested"].astype(bool), "rule_code"]
    cache: dict = {}
    return {code: rule_sample(result, code, size, personal_data, cache) for code in tested}
