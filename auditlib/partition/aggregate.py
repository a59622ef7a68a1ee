"""Report aggregates bucket by bucket: one body, run on the whole tables in memory or once per bucket.

A family section of the report (SUIT heat map, RET retention ends, ABN timeliness, FEE bands, INFO counts)
computes its numbers with the helpers of the rule it stands beside. `per_bucket` runs the section's body on that
rule's context: in memory once, on the whole tables; partitioned once per bucket, the tables cut by the keys
the rule declares (`@rule(partition=...)`), exactly as `run.run_bucket` cuts them for the rule, so a
relation the rule relies on stays inside a bucket. The body returns something small (counts per cell, the
first rows of an order); the section combines the list with one final step (sums, min/max, concatenation
then the same sort), which in memory is the same step over a list of one. No big table is ever read whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

from ..load.quality import ROW
from ..rules import REGISTRY
from ..rules.base import RuleContext
from .store import bucket_of

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
    out = []
    for i in range(n_buckets):
        tables = {}
        for name in names:
            if name in stores:
                tables[name] = stores[name].read(keys[name], i)
            elif name in keys:  # a small table co-partitioned with the big ones (customers by customer_id)
                df = small[name]
                tables[name] = df[bucket_of(df[keys[name]], n_buckets, df[ROW]) == i].reset_index(drop=True)
            else:  # broadcast: products, calendars' tables, ...
                tables[name] = small[name]
        out.append(body(dataclasses.replace(ctx, tables=tables, _cache={})))
    return out
