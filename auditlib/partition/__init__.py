"""The partitioned audit: big tables as Parquet buckets by the keys the rules declare, rules run bucket by
bucket (here or on a Dask cluster) and combined to exactly the in-memory result (docs/partitioned.md).

`open_bundle` is the one entry: it chooses the engine (memory | partitioned | auto) and loads the bundle
for it; `plan` says which rules run partitioned and which need their tables whole.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import weakref
from pathlib import Path

from ..load import Bundle, load_bundle
from ..load.reading import find_table_files
from ..rules import REGISTRY
from .load import BIG_TABLES, PartitionedBundle, load_partitioned
from .run import Partitions
from .threads import task_slots, task_threads

ENGINE_ENV = "AUDITLIB_ENGINE"  # memory | partitioned | auto: set by `auditlib run/batch --engine`
SCHEDULER_ENV = (
    "AUDITLIB_PARTITION_SCHEDULER"  # a Dask scheduler's address: set by `auditlib run --scheduler`
)
ROWS_ENV = "AUDITLIB_PARTITION_ROWS"  # rows of the big tables from which `auto` partitions
BUCKETS_ENV = "AUDITLIB_PARTITIONS"  # a fixed number of buckets (tests: small ones)
BUCKET_ROWS_ENV = "AUDITLIB_PARTITION_BUCKET_ROWS"  # rows a bucket holds: the memory bound's size
#: rows of all big tables (estimated from their size) from which `auto` partitions: ~2 x 10^7 transactions
#: with their operations, archive records and transfers, below the ~3 x 10^7 the in-memory audit fits on
#: 24 GiB
AUTO_ROWS = 75_000_000
BYTES_PER_ROW = 110  # a transactions CSV row, to estimate rows from file sizes before reading
BUCKET_ROWS = 1_500_000

__all__ = ["BIG_TABLES", "PartitionedBundle", "Partitions", "choose_engine", "open_bundle", "plan"]


def _big_files(data_dir: Path) -> dict[str, Path]:
    files, _ = find_table_files(data_dir) if data_dir.is_dir() else ({}, [])
    return {n: p for n, p in files.items() if n in BIG_TABLES}


def estimated_rows(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in _big_files(data_dir).values()) // BYTES_PER_ROW


def choose_engine(engine: str, data_dir: Path) -> str:
    """`memory` or `partitioned`: the given engine, overridden by $AUDITLIB_ENGINE; `auto` by size."""
    engine = os.environ.get(ENGINE_ENV, "").strip() or engine or "auto"
    if engine != "auto":
        return engine
    limit = int(os.environ.get(ROWS_ENV, "") or AUTO_ROWS)
    return "partitioned" if estimated_rows(data_dir) > limit else "memory"


def plan(codes: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """({big table: keys it is written by}, rules reading a big table that are not partitionable)."""
    keys: dict[str, list[str]] = {}
    whole = []
    for code in codes:
        r = REGISTRY[code]
        for table, key in (r.partition or {}).items():
            if table in BIG_TABLES and key not in keys.setdefault(table, []):
                keys[table].append(key)
        if not r.partition and any(t in BIG_TABLES for t in r.tables):
            whole.append(code)
    return keys, whole


def n_buckets(data_dir: Path) -> int:
    fixed = os.environ.get(BUCKETS_ENV, "").strip()
    if fixed:
        return max(1, int(fixed))
    biggest = max((p.stat().st_size for p in _big_files(data_dir).values()), default=0)
    rows = int(os.environ.get(BUCKET_ROWS_ENV, "") or BUCKET_ROWS)
    return max(1, math.ceil(biggest / BYTES_PER_ROW / rows))


def whole_rounds(n: int, client) -> int:
    """`n` buckets rounded up to a multiple of the cluster's task slots, so that in the last round of bucket
    tasks no worker idles (11 buckets on 2 slots: 6 rounds, one of them half idle; 12: 6 full rounds of
    smaller buckets). A number fixed by $AUDITLIB_PARTITIONS is kept."""
    if os.environ.get(BUCKETS_ENV, "").strip():
        return n
    slots = task_slots(client)
    return -(-n // slots) * slots if slots > 1 else n


def open_bundle(
    params, data_dir: str | Path, cache_dir: str | Path | None = None, scheduler: str | None = None
) -> Bundle:
    """The bundle for `params`' audit, in memory or partitioned (its `engine_info` says which and why)."""
    data_dir = Path(data_dir)
    engine = choose_engine(getattr(params, "engine", "auto"), data_dir)
    if engine == "memory":
        bundle = load_bundle(data_dir, encoding=params.encoding, as_of=params.as_of)
        bundle.engine_info = {"engine": "memory"}
        return bundle
    from ..tablecache import default_dir

    keep = Path(cache_dir) if cache_dir else default_dir()
    if keep is not None:
        folder = keep / "partitions" / f"{params.institution_id}-{os.getpid()}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="auditlib-partitions-"))
    keys, whole = plan(params.selected())
    n = n_buckets(data_dir)
    scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or scheduler
    client, threads = None, None
    try:
        if scheduler:  # the partitions written and the rules run on the cluster's workers
            from distributed import Client

            client = Client(scheduler, set_as_default=False)
            n, threads = whole_rounds(n, client), task_threads(client)  # asked of the workers once
        bundle = load_partitioned(
            data_dir, folder, keys, n, params.encoding, params.as_of, client=client, threads=threads
        )
    except BaseException:
        if client is not None:
            client.close()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    if keep is None:  # the partitions hold personal data: gone with the bundle (or the process)
        weakref.finalize(bundle, shutil.rmtree, str(folder), True)
    if client is not None:
        weakref.finalize(bundle, client.close)
    bundle.partitions = Partitions(bundle, client, threads)
    bundle.engine_info = {
        "engine": "partitioned",
        "buckets": n,
        "scheduler": scheduler or "",
        "partition_bytes": sum(p.stat().st_size for p in folder.rglob("*.parquet")),
        "whole_table_rules": whole,
    }
    return bundle
