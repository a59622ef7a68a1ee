"""Audit samples of a partitioned table, bucket by bucket, equal to the in-memory draw.

A sample is the `size` scope rows with the smallest splitmix64 keys of their row numbers (report/sample.py).
splitmix64 is a bijection, so distinct rows have distinct keys, and the smallest `size` of the whole scope
are the smallest `size` of the union of each bucket's smallest `size`: every bucket is read once for all
the rules sampling its table, keeping only those candidates and the count of rows in scope.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..load.quality import ROW


def sample_candidates(result, codes: list[str], size: int) -> dict[str, tuple[pd.DataFrame, int]]:
    """{code: (candidate rows in row order, rows in scope)} for the rules whose scope table is partitioned."""
    from ..report.sample import pick, scope_mask, scope_of, seed_of

    bundle, p = result.bundle, result.params
    by_table: dict[str, list[str]] = {}
    for code in codes:
        table = scope_of(code).table
        if table in bundle.stores:
            by_table.setdefault(table, []).append(code)
    out: dict[str, tuple[pd.DataFrame, int]] = {}
    for table, table_codes in by_table.items():
        store = bundle.stores[table]
        parts: dict[str, list[pd.DataFrame]] = {c: [] for c in table_codes}
        counts = dict.fromkeys(table_codes, 0)
        for i in range(store.n):
            df = store.read(store.keys[0], i)
            view = SimpleNamespace(params=p, bundle=SimpleNamespace(tables={table: df}))
            cache: dict = {}
            for code in table_codes:
                where = np.flatnonzero(scope_mask(view, code, cache))
                seed = seed_of(p.institution_id, code, p.period_start, p.period_end)
                counts[code] += len(where)
                parts[code].append(df.iloc[where[pick(df[ROW].to_numpy()[where], seed, size)]])
        for code in table_codes:
            frames = [f for f in parts[code] if len(f)]
            rows = pd.concat(frames, ignore_index=True) if frames else store.read(store.keys[0], 0).iloc[:0]
            out[code] = (rows.sort_values(ROW, kind="stable").reset_index(drop=True), counts[code])
    return out
