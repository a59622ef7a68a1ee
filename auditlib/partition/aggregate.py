"""Report aggregates bucket by bucket: one body, run on the whole tables in memory or once per bucket.

A family section of the report (SUIT heat map, RET retention ends, ABN timeliness, FEE bands, INFO counts)
computes its numbers with the helpers of the rule it stands beside. `per_bucket` runs the section's body on
that rule's context: in memory once, on the whole tables; partitioned once per bucket, the tables cut by the
keys the rule declares (`@rule(partition=...)`), exactly as `run.run_bucket` cuts them for the rule, so a
relation the rule relies on stays inside a bucket. The body returns something small (counts per cell, the
first rows of an order); the section combines the list with one final step (sums, min/max, concatenation
then the same sort), which in memory is the same step over a list of one. No big table is ever read whole.

`rows_of` and `first_row` give the auditor's notebook a few rows of a big table (a finding's evidence, the
guide's example value) the same way: read bucket by bucket, filtered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..load.quality import ROW
from ..rules import REGISTRY
from ..rules.base import RuleContext
from .run import bucket_table
from .store import TableStore, bucket_of

T = TypeVar("T")


def per_bucket(bundle, ctx: RuleContext, code: str, body: Callable[[RuleContext], T]) -> list[T]:
    """[body(ctx)] for a bundle in memory; for a partitioned one, body on each bucket of the tables of `ctx`
    (the context the engine gives rule `code`), cut by the keys `code` declares, in bucket order."""
    stores = getattr(bundle, "stores", None) or {}
    names = list(ctx.tables)  # the names only: a partitioned bundle's view reads nothing here
    big = [n for n in names if n in stores]
    if not big:
        return [body(ctx)]
    keys = REGISTRY[code].partition or {}
    undeclared = [n for n in big if n not in keys]
    if undeclared:  # it would have to read them whole: a programming error, not the data's
        raise ValueError(f"{code} declares no partition key for {', '.join(undeclared)}")
    small = {n: ctx.tables[n] for n in names if n not in stores}
    n_buckets = bundle.n_buckets
    # a small table co-partitioned with the big ones (customers by customer_id): its rows' buckets once
    rows_bucket = {n: bucket_of(df[keys[n]], n_buckets, df[ROW]) for n, df in small.items() if n in keys}
    out = []
    for i in range(n_buckets):
        tables = dict(small)  # broadcast: products, calendars' tables, ...
        for name in [n for n in names if n in keys]:
            tables[name] = bucket_table(name, keys[name], i, n_buckets, stores, small, rows_bucket.get(name))
        out.append(body(dataclasses.replace(ctx, tables=tables, _cache={})))
    return out


def rows_of(store: TableStore, rows) -> pd.DataFrame:
    """The kept rows numbered `rows` (`_row`) of a big table, in file order: each bucket read filtered on
    `_row` (the auditor's evidence of one finding), never the table whole."""
    wanted = pa.array(sorted({int(r) for r in rows}), pa.int64())
    parts = [
        pq.read_table(p, filters=pc.field(ROW).isin(wanted)).to_pandas() for p in store.files(store.keys[0])
    ]
    parts = [p for p in parts if len(p)]
    df = pd.concat(parts, ignore_index=True).sort_values(ROW, kind="stable") if parts else store.empty()
    return store._finish(df)


def first_row(store: TableStore) -> pd.DataFrame:
    """The first kept row of a big table in file order: a bucket holds its rows in file order, so it is the
    first of the buckets' first kept rows (a batch of each read, not the table)."""
    firsts = []
    for p in store.files(store.keys[0]):
        for batch in pq.ParquetFile(p).iter_batches(batch_size=1024):
            df = store._finish(batch.to_pandas())
            if len(df):
                firsts.append(df.head(1))
                break
    if not firsts:
        return store._finish(store.empty())
    return pd.concat(firsts, ignore_index=True).sort_values(ROW, kind="stable").head(1).reset_index(drop=True)
