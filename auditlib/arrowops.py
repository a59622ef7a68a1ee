"""Column operations done by Arrow where pandas 3 is slow on Arrow-backed text (shared by loader and
rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _text(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column as Arrow text: its own buffers when it already is Arrow text (no copy), else converted."""
    own = getattr(s.array, "_pa_array", None)
    if own is not None and (pa.types.is_string(own.type) or pa.types.is_large_string(own.type)):
        return own
    return pa.array(s.astype("string").array, type=pa.large_string(), from_pandas=True)


def isin_text(values: pd.Series, refs: pd.Series) -> np.ndarray:
    """`values.isin(refs)` for text columns, by Arrow in one call (nulls are never members).

    pandas 3 builds one Python scalar per reference value in `isin` on Arrow strings (~4 s per 10^6
    references): the reference checks over 10^7 transactions would take minutes. Arrow's own buffers are
    used as they are: no copy, and no pandas `unique` first."""
    v, r = _text(values), pc.drop_null(_text(refs))
    r = r.combine_chunks() if isinstance(r, pa.ChunkedArray) else r
    if r.type != v.type:
        r = r.cast(v.type)
    member = pc.is_in(v, value_set=r)
    return member.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def codes_in(values: pd.Series, vocabulary) -> np.ndarray:
    """Position of each value in `vocabulary` (distinct, no missing values), -1 where absent or missing:
    `pd.Index(vocabulary).get_indexer(values)` for text, by Arrow's hash lookup. pandas turns Arrow text
    into Python objects first, a quarter of SOD-007's time at 10^7 operations."""
    v = _text(values)
    vocab = pa.array(pd.Series(vocabulary, dtype="string"), type=v.type)
    return pc.index_in(v, value_set=vocab).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def give_back_memory() -> None:
    """Return freed memory to the system after a big phase (loading, the rules, a report section).

    Arrow's pool (mimalloc) and glibc's malloc keep what was freed for reuse, so the process holds its
    high-water mark for good: at 10^7 transactions RET-003 alone left 1.4 GiB held after it returned, which
    the report sections after the rules never needed. Costs milliseconds, but memory given back must be
    faulted in again when next used: call it between phases, not in loops."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


#: glibc's `mallopt` parameters, and the values a long-running process's malloc reaches by itself: its mmap
#: threshold rises with the largest block freed, up to 32 MiB on 64-bit, and the trim threshold to twice that
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
USUAL_MMAP_THRESHOLD, USUAL_TRIM_THRESHOLD = 32 << 20, 64 << 20


def usual_malloc() -> None:
    """glibc's malloc as in a plain process, set by a task on a Dask worker (`partition.threads.use_threads`).

    A Dask nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536 (`distributed.nanny.pre-spawn-environ`),
    and a threshold set at all freezes glibc's mmap threshold at 128 KiB: every array over 128 KiB is mapped
    and unmapped again and its pages faulted in anew on every use. A big table's load task ran 15-25 % slower
    on a worker than in a process, with three times the page faults (docs/performance.md); with these values
    it ran as fast. Memory is still given back between phases (`give_back_memory`)."""
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(M_MMAP_THRESHOLD, USUAL_MMAP_THRESHOLD)
        _LIBC.mallopt(M_TRIM_THRESHOLD, USUAL_TRIM_THRESHOLD)


def _libc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # glibc only (not musl, not macOS)
    except OSError:
        return None


_LIBC = _libc()
