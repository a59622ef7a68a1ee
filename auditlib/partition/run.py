"""Running the declared rules bucket by bucket, here or on a Dask cluster, and adding their outputs up.

The rules that share their tables' keys run together on one bucket (it is read once); each rule's outputs
over the buckets combine into the one `RuleOutput` the whole tables give: population, left-out rows and
notes summed, findings concatenated in bucket order (the engine then sorts them by entity as always).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd

from ..load.quality import ROW
from ..rules import REGISTRY
from ..rules.base import Rule, RuleContext, RuleOutput
from .store import TableStore, bucket_of


def _group_key(r: Rule, big: set[str]) -> tuple:
    """Rules reading the same big tables by the same keys share one read of each bucket."""
    return tuple(sorted((t, k) for t, k in r.partition.items() if t in big))


def run_bucket(
    codes: list[str],
    contexts: dict[str, RuleContext],
    i: int,
    n: int,
    stores: dict[str, TableStore],
    small: dict[str, pd.DataFrame],
) -> dict[str, RuleOutput | BaseException]:
    """Every rule of one group on bucket `i` (a Dask task, or a step of the local loop): the big tables the
    group reads cut to the bucket, each rule's co-partitioned small tables cut by the same hash, the rest whole."""
    read: dict[tuple[str, str], pd.DataFrame] = {}
    out: dict[str, RuleOutput | BaseException] = {}
    for code in codes:
        tables = dict(small)
        for table, key in REGISTRY[code].partition.items():
            if table not in stores and table not in small:
                continue
            if (table, key) not in read:
                if table in stores:
                    read[(table, key)] = stores[table].read(key, i)
                else:
                    df = small[table]
                    read[(table, key)] = df[bucket_of(df[key], n, df[ROW]) == i].reset_index(drop=True)
            tables[table] = read[(table, key)]
        ctx = dataclasses.replace(contexts[code], tables=tables, _cache={})
        try:
            out[code] = REGISTRY[code].func(ctx)
        except Exception as e:  # noqa: BLE001 - the rule's error, re-raised where the engine reports it
            out[code] = e
    return out


def combine(outputs: list[RuleOutput]) -> RuleOutput:
    """One rule's outputs over the buckets, as the whole tables give it."""
    frames = [o.findings for o in outputs if len(o.findings)]
    findings = pd.concat(frames, ignore_index=True) if frames else outputs[0].findings
    notes: dict[str, int] = {}
    for o in outputs:
        for k, v in o.notes.items():
            notes[k] = notes.get(k, 0) + v
    return RuleOutput(
        sum(int(o.population) for o in outputs),
        findings,
        left_out=sum(int(o.left_out) for o in outputs),
        notes=notes,
    )


def _asked(ctx: RuleContext) -> tuple:
    """What a rule's output depends on besides the tables: its parameters, period, as_of and calendars."""
    return (repr(ctx.params), ctx.period_start, ctx.period_end, ctx.as_of, repr(ctx.calendar_params))


class Partitions:
    """The declared rules of one audit, evaluated over the buckets of a `PartitionedBundle`.

    `prepare` runs every declared rule the engine will run (locally, or as one Dask task per group and
    bucket when `client` is given) and keeps only the combined outputs; `evaluate` hands one to the engine."""

    def __init__(self, bundle, client=None):
        self.bundle, self.client = bundle, client
        self._done: dict[str, RuleOutput | BaseException] = {}
        self._asked: dict[str, tuple] = {}  # what each output was computed for (`_asked`)

    def small_tables(self) -> dict[str, pd.DataFrame]:
        t = self.bundle.tables
        return {n: dict.__getitem__(t, n) for n in t if n not in self.bundle.stores}

    def prepare(self, rules: list[Rule], context: Callable[[str], RuleContext]) -> None:
        groups: dict[tuple, list[str]] = {}
        for r in rules:
            if r.partition:
                groups.setdefault(_group_key(r, set(self.bundle.stores)), []).append(r.code)
        if not groups:
            return
        contexts = {c: dataclasses.replace(context(c), tables={}) for codes in groups.values() for c in codes}
        self._asked.update({c: _asked(ctx) for c, ctx in contexts.items()})
        n, stores, small = self.bundle.n_buckets, self.bundle.stores, self.small_tables()
        results: dict[str, list] = {c: [None] * n for codes in groups.values() for c in codes}
        if self.client is None:
            for codes in groups.values():
                for i in range(n):
                    for code, o in run_bucket(codes, contexts, i, n, stores, small).items():
                        results[code][i] = o
        else:
            self._on_cluster(groups, contexts, n, stores, small, results)
        for code, outs in results.items():
            errors = [o for o in outs if isinstance(o, BaseException)]
            self._done[code] = errors[0] if errors else combine(outs)

    def _on_cluster(self, groups, contexts, n, stores, small, results) -> None:
        c = self.client
        small_f = c.scatter(small, broadcast=True)  # the broadcast tables, sent once to every worker
        stores_f, ctx_f = c.scatter(stores, broadcast=True), c.scatter(contexts, broadcast=True)
        futures = {}
        for codes in groups.values():
            for i in range(n):
                f = c.submit(run_bucket, codes, ctx_f, i, n, stores_f, small_f, pure=False)
                futures[f] = i
        for f, i in futures.items():  # the kernel receives rule outputs, never a bucket's rows
            for code, o in f.result().items():
                results[code][i] = o
            f.release()

    def evaluate(self, r: Rule, ctx: RuleContext) -> RuleOutput:
        # not prepared, or prepared for other parameters (the notebook's `rerun`): run it (again)
        if r.code not in self._done or self._asked.get(r.code) != _asked(ctx):
            self.prepare([r], lambda code: ctx)
        o = self._done[r.code]
        if isinstance(o, BaseException):
            raise o
        return o
