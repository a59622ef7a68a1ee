"""Process-wide performance fixes for the big institutions (docs/performance.md), installed explicitly.

`install()` replaces `ArrowStringArray.isin` (the `str` / `string[pyarrow]` columns every loaded table
has) with an equivalent that hands the reference values to pyarrow in one call. pandas 3.x builds one
`pa.scalar` per reference value in Python first (`string_arrow.py`, `isin`): ~4 s per 10^6 references,
which made the loader's reference checks and SOD-006/007 (`op_id.isin(...)` over every operation)
dominate a 10^6-transaction audit. Same results: the same value set (strings and missing values; other
types ignored), the same `pc.is_in`, the same missing-value handling; anything unusual falls back to
pandas' own method. tests/test_batch_fastread.py compares both on random data.

Hook: `auditlib.perf.install()` once per process before the rules run, e.g. at the top of
`auditlib/notebook.py` (the kernel) and of `auditlib/engine.py` (library use); it is idempotent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_ORIGINAL = None


def _value_set(values, pa_type) -> pa.Array | None:
    """The reference values as one Arrow string array of `pa_type`, or None to let pandas decide."""
    if isinstance(values, pd.Series | pd.Index):
        values = values.array
    if hasattr(values, "_pa_array"):  # Arrow-backed pandas array: no conversion at all
        arr = values._pa_array
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    else:
        if isinstance(values, set | frozenset | dict):
            values = list(values)
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            return None
    if pa.types.is_null(arr.type):
        return arr.cast(pa_type)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None  # numbers, mixed objects...: pandas filters them value by value
    return arr.cast(pa_type) if arr.type != pa_type else arr


def _fast_isin(self, values) -> np.ndarray:
    value_set = _value_set(values, self._pa_array.type)
    if value_set is None:
        return _ORIGINAL(self, values)
    if len(value_set) == 0:
        return np.zeros(len(self), dtype=bool)
    result = pc.is_in(self._pa_array, value_set=value_set)
    return np.array(result, dtype=np.bool_)


def install() -> bool:
    """Install the fixes (idempotent). Returns False when this pandas has no such method to replace."""
    global _ORIGINAL
    try:
        from pandas.core.arrays.string_arrow import ArrowStringArray
    except ImportError:
        return False
    if _ORIGINAL is None:
        _ORIGINAL = ArrowStringArray.isin
        ArrowStringArray.isin = _fast_isin
    return True


def uninstall() -> None:
    global _ORIGINAL
    if _ORIGINAL is not None:
        from pandas.core.arrays.string_arrow import ArrowStringArray

        ArrowStringArray.isin = _ORIGINAL
        _ORIGINAL = None
