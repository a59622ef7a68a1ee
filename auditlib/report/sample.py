"""A reproducible audit sample per rule, for re-performing the check by hand.

Design (docs/report.md, "Audit sample"): rules are not rewritten to hand over their populations. Each rule's
**scope** is declared with the rule (`@rule(sample=Scope(...))`, rules/base.py) as a filter of one input
table: the table, the period test on its time column (`schema.Table.time_column`, or a role interval
overlapping the period), and value filters mirroring the rule's population (e.g. SUIT: confirmed
purchase-type transactions). Rules that declare none fall back to their first table filtered to the period
by its time column.

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
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..load import ROW
from ..mask import contract_pii_kind, mask_series
from ..rules import REGISTRY
from ..rules.base import Param, Scope
from ..schema import TABLES

_M1, _M2, _GOLDEN = (
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
    np.uint64(0x9E3779B97F4A7C15),
)


def scope_of(code: str) -> Scope:
    """The rule's declared sample scope (`@rule(sample=...)`), else its first table in the period."""
    declared = REGISTRY[code].sample
    if declared is not None:
        return declared
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
    filter (SUIT-001..004, SOD-005/007...) then compute each part once (docs/performance.md)."""
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
    drawn = _partitioned_scope(result, code, size, cache)
    if drawn is not None:  # the candidates of every bucket (auditlib/partition/sample.py)
        df, in_scope_rows = drawn
        where = np.arange(len(df))
    else:
        df = result.bundle.tables[sc.table]
        where = np.flatnonzero(scope_mask(result, code, cache))
        in_scope_rows = len(where)
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
    return Sample(code, sc.table, describe(code, p.rule_params(code)), in_scope_rows, seed, out)


def _partitioned_scope(result, code: str, size: int, cache: dict | None):
    """(candidate rows, rows in scope) when the scope table is partitioned, else None; drawn once for every
    tested rule sampling a partitioned table (one pass over its buckets)."""
    stores = getattr(result.bundle, "stores", None)
    if not stores or scope_of(code).table not in stores:
        return None
    cache = {} if cache is None else cache
    drawn = cache.setdefault(("partitioned", size), {})
    if code not in drawn:
        tested = result.summary.loc[result.summary["tested"].astype(bool), "rule_code"].tolist()
        todo = [c for c in dict.fromkeys([*tested, code]) if c not in drawn]
        drawn.update(_bucket_candidates(result, todo, size))
    return drawn[code]


def _bucket_candidates(result, codes: list[str], size: int) -> dict[str, tuple[pd.DataFrame, int]]:
    """{code: (candidate rows in row order, rows in scope)} for the rules whose scope table is partitioned
    (auditlib/partition): splitmix64 is a bijection, so distinct rows have distinct keys, and the `size`
    smallest of the whole scope are the `size` smallest of the union of each bucket's `size` smallest. Each
    bucket is read once for all the rules sampling its table."""
    bundle, p = result.bundle, result.params
    by_table: dict[str, list[str]] = {}
    for code in codes:
        if scope_of(code).table in bundle.stores:
            by_table.setdefault(scope_of(code).table, []).append(code)
    out: dict[str, tuple[pd.DataFrame, int]] = {}
    for table, table_codes in by_table.items():
        store = bundle.stores[table]
        parts: dict[str, list[pd.DataFrame]] = {c: [] for c in table_codes}
        counts = dict.fromkeys(table_codes, 0)
        for i in range(store.n):
            df = store.read(store.keys[0], i)
            view = SimpleNamespace(params=p, bundle=SimpleNamespace(tables={table: df}))
            masks: dict = {}
            for code in table_codes:
                where = np.flatnonzero(scope_mask(view, code, masks))
                seed = seed_of(p.institution_id, code, p.period_start, p.period_end)
                counts[code] += len(where)
                parts[code].append(df.iloc[where[pick(df[ROW].to_numpy()[where], seed, size)]])
        for code in table_codes:
            frames = [f for f in parts[code] if len(f)]
            rows = pd.concat(frames, ignore_index=True) if frames else store.read(store.keys[0], 0).iloc[:0]
            out[code] = (rows.sort_values(ROW, kind="stable").reset_index(drop=True), counts[code])
    return out


def samples(result, size: int, personal_data: bool = False) -> dict[str, Sample]:
    """The sample of every tested rule."""
    tested = result.summary.loc[result.summary["tested"].astype(bool), "rule_code"]
    cache: dict = {}
    return {code: rule_sample(result, code, size, personal_data, cache) for code in tested}
