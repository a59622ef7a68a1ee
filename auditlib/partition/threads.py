"""How many threads the libraries may use inside one task on a Dask cluster, and the worker's malloc.

pyarrow (CSV parsing, Parquet reading) and DuckDB each start a thread per core of the machine. A worker
process running one task per thread beside other workers on the same host then puts several pools on the same
cores: on a LocalCluster of 2 single-threaded workers on 2 cores, each big table's task ran ~1.6 x slower
beside another (docs/performance.md). Each task is given the host's cores divided by the task slots on that
host, so that the tasks, not the libraries, share out the cores. The same first call sets glibc's malloc
back to a plain process's (`arrowops.usual_malloc`).
"""

from __future__ import annotations

import os
from collections import defaultdict

import pyarrow as pa

from ..arrowops import usual_malloc

_duckdb_threads: int | None = None


def task_slots(client) -> int:
    """How many tasks the cluster runs at once: its workers' threads."""
    workers = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


def task_threads(client) -> int:
    """The cores of a worker's host over the task slots (worker threads) on that host: the fewest of all."""
    workers = client.scheduler_info().get("workers", {})
    if not workers:
        return 1
    cpus = client.run(os.cpu_count)
    slots: dict[str, int] = defaultdict(int)
    for w in workers.values():
        slots[w.get("host", "")] += int(w.get("nthreads", 1))
    return min(
        max(1, (cpus.get(addr) or 1) // max(1, slots[w.get("host", "")])) for addr, w in workers.items()
    )


def use_threads(n: int | None) -> None:
    """Called first by a task on a worker (`n` set): pyarrow's and DuckDB's pools sized `n` in this process,
    and glibc's malloc set back to a plain process's (`arrowops.usual_malloc`: Dask's workers have it
    return every freed block over 128 KiB to the system)."""
    global _duckdb_threads
    if n:
        pa.set_cpu_count(n)
        _duckdb_threads = n
        usual_malloc()


def duckdb_threads() -> int | None:
    return _duckdb_threads
