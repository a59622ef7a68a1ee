"""Running the declared rules bucket by bucket, here or on a Dask cluster, and adding their outputs up.

Every declared rule runs on one bucket in one task, each (table, key) read at most once and let go after the
last rule that needs it; each rule's outputs over the buckets combine into the one `RuleOutput` the whole
tables give: population, left-out rows and notes summed, findings concatenated in bucket order (the engine
then sorts them by entity as always). A rule that reads big tables through aggregates (`Rule.aggregates`)
has only those computed per bucket; they are combined and its body runs once, here, on the combined frames.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..load.quality import ROW
from ..rules import REGISTRY
from ..rules.base import Rule, RuleContext, RuleOutput
from .store import TableStore, bucket_of, scatter_whole
from .threads import use_threads

#: what one rule gives for one bucket: its output, its aggregates' parts (name -> frame), or its error
BucketResult = RuleOutput | dict[str, pd.DataFrame] | BaseException


def _reads(code: str, stores: dict[str, TableStore], small: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    return [(t, k) for t, k in REGISTRY[code].partition.items() if t in stores or t in small]


def bucket_table(
    table: str,
    key: str,
    i: int,
    n: int,
    stores: dict[str, TableStore],
    small: dict[str, pd.DataFrame],
    rows_bucket: np.ndarray | None = None,
) -> pd.DataFrame:
    """Bucket `i` of `table` cut by `key`: a big table's bucket file read, a small co-partitioned table's rows
    of that bucket (`rows_bucket`: each row's bucket, when it was worked out once for all buckets)."""
    if table in stores:
        return stores[table].read(key, i)
    df = small[table]
    b = bucket_of(df[key], n, df[ROW]) if rows_bucket is None else rows_bucket
    return df[b == i].reset_index(drop=True)


def run_bucket(
    codes: list[str],
    contexts: dict[str, RuleContext],
    i: int,
    n: int,
    stores: dict[str, TableStore],
    small: dict[str, pd.DataFrame],
    small_buckets: dict[tuple[str, str], np.ndarray] | None = None,
) -> dict[str, BucketResult]:
    """Every rule of `codes` on bucket `i` (a Dask task, or a step of the local loop): the big tables each
    reads cut to the bucket, its co-partitioned small tables cut by the same hash (`small_buckets`: each
    row's bucket, worked out once for all buckets), the rest whole. A bucket read is shared by the rules that
    need it and dropped after the last of them (`codes` is ordered so)."""
    small_buckets = small_buckets or {}
    last = {tk: j for j, code in enumerate(codes) for tk in _reads(code, stores, small)}
    read: dict[tuple[str, str], pd.DataFrame] = {}
    out: dict[str, BucketResult] = {}
    for j, code in enumerate(codes):
        r = REGISTRY[code]
        tables = dict(small)
        for table, key in _reads(code, stores, small):
            if (table, key) not in read:
                b = small_buckets.get((table, key))
                read[(table, key)] = bucket_table(table, key, i, n, stores, small, b)
            tables[table] = read[(table, key)]
        ctx = dataclasses.replace(contexts[code], tables=tables, _cache={})
        try:
            if r.aggregates:
                out[code] = {a.name: a.func(ctx) for a in r.aggregates}
            else:
                out[code] = r.func(ctx)
        except Exception as e:  # noqa: BLE001 - the rule's error, re-raised where the engine reports it
            out[code] = e
        del tables, ctx
        for tk in [tk for tk, at in last.items() if at == j]:
            read.pop(tk, None)
    return out


def _bucket_task(threads: int, *args) -> dict[str, BucketResult]:
    """`run_bucket` as a Dask task: the libraries' threads limited first (`threads.use_threads`)."""
    use_threads(threads)
    return run_bucket(*args)


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


class _Gathered:
    """One rule's results as the buckets come in: outputs kept for `combine`, aggregate parts folded at once
    (the kernel holds one combined frame per aggregate, not one per bucket)."""

    def __init__(self, r: Rule, n: int):
        self.rule = r
        self.outputs: list[RuleOutput | None] = [None] * n
        self.aggregates: dict[str, pd.DataFrame] = {}
        self.error: BaseException | None = None

    def add(self, i: int, o: BucketResult) -> None:
        if isinstance(o, BaseException):
            self.error = self.error or o
        elif isinstance(o, dict):
            for a in self.rule.aggregates:
                have = self.aggregates.get(a.name)
                self.aggregates[a.name] = o[a.name] if have is None else a.combine([have, o[a.name]])
        else:
            self.outputs[i] = o

    def result(self, ctx: RuleContext) -> RuleOutput | BaseException:
        if self.error is not None:
            return self.error
        if not self.rule.aggregates:
            return combine(self.outputs)
        try:  # the body once, on the combined aggregates and the small tables (a big one is not there)
            return self.rule.func(dataclasses.replace(ctx, _cache={}, _aggregates=self.aggregates))
        except Exception as e:  # noqa: BLE001 - as in run_bucket
            return e


def _asked(ctx: RuleContext) -> tuple:
    """What a rule's output depends on besides the tables: its parameters, period, as_of and calendars."""
    return (repr(ctx.params), ctx.period_start, ctx.period_end, ctx.as_of, repr(ctx.calendar_params))


class Partitions:
    """The declared rules of one audit, evaluated over the buckets of a `PartitionedBundle`.

    `prepare` runs every declared rule the engine will run (locally, or as one Dask task per bucket when
    `client` is given) and keeps only the combined outputs; `evaluate` hands one to the engine."""

    def __init__(self, bundle, client=None, threads: int | None = None):
        self.bundle, self.client = bundle, client
        self.threads = threads  # each bucket task's library threads on the cluster (`threads.task_threads`)
        self._done: dict[str, RuleOutput | BaseException] = {}
        self._asked: dict[str, tuple] = {}  # what each output was computed for (`_asked`)

    def small_tables(self) -> dict[str, pd.DataFrame]:
        t = self.bundle.tables
        return {n: dict.__getitem__(t, n) for n in t if n not in self.bundle.stores}

    def prepare(self, rules: list[Rule], context: Callable[[str], RuleContext]) -> None:
        big = set(self.bundle.stores)
        # rules reading the same buckets run one after the other, so that each read is let go early
        codes = [r.code for r in sorted((r for r in rules if r.partition), key=lambda r: _group_key(r, big))]
        if not codes:
            return
        n, stores, small = self.bundle.n_buckets, self.bundle.stores, self.small_tables()
        contexts = {c: dataclasses.replace(context(c), tables={}) for c in codes}  # tables: per bucket
        self._asked.update({c: _asked(ctx) for c, ctx in contexts.items()})
        gathered = {c: _Gathered(REGISTRY[c], n) for c in codes}
        split = {tk for c in codes for tk in _reads(c, stores, small) if tk[0] not in stores}
        buckets = {(t, k): bucket_of(small[t][k], n, small[t][ROW]) for t, k in split}
        if self.client is None:
            for i in range(n):
                for code, o in run_bucket(codes, contexts, i, n, stores, small, buckets).items():
                    gathered[code].add(i, o)
        else:
            self._on_cluster(codes, contexts, n, stores, small, buckets, gathered)
        for code, g in gathered.items():
            self._done[code] = g.result(dataclasses.replace(contexts[code], tables=dict(small)))

    def _on_cluster(self, codes, contexts, n, stores, small, buckets, gathered) -> None:
        c = self.client
        small_f = scatter_whole(c, small)  # the broadcast tables, sent once to every worker
        stores_f, ctx_f = scatter_whole(c, stores), scatter_whole(c, contexts)
        buckets_f = scatter_whole(c, buckets)
        threads = self.threads
        futures = {
            c.submit(_bucket_task, threads, codes, ctx_f, i, n, stores_f, small_f, buckets_f, pure=False): i
            for i in range(n)
        }
        for f, i in futures.items():  # the kernel receives rule outputs and aggregates, never a bucket's rows
            for code, o in f.result().items():
                gathered[code].add(i, o)
            f.release()

    def evaluate(self, r: Rule, ctx: RuleContext) -> RuleOutput:
        # not prepared, or prepared for other parameters (the notebook's `rerun`): run it (again)
        if r.code not in self._done or self._asked.get(r.code) != _asked(ctx):
            self.prepare([r], lambda code: ctx)
        o = self._done[r.code]
        if isinstance(o, BaseException):
            raise o
        return o


def _group_key(r: Rule, big: set[str]) -> tuple:
    return tuple(sorted((t, k) for t, k in r.partition.items() if t in big))
