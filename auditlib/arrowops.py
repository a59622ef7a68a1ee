"""Column operations done by Arrow where pandas 3 is slow on Arrow-backed text (shared by loader and rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def isin_text(values: pd.Series, refs: pd.Series) -> np.ndarray:
    """`values.isin(refs)` for text columns, by Arrow in one call (nulls are never members).

    pandas 3 builds one Python scalar per reference value in `isin` on Arrow strings (~4 s per 10^6
    references): the reference checks over 10^7 transactions would take minutes."""
    value_set = pa.array(refs.dropna().astype("string").unique(), type=pa.string())
    member = pc.is_in(pa.array(values.astype("string"), type=pa.string(), from_pandas=True), value_set=value_set)
    return member.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def codes_in(values: pd.Series, vocabulary) -> np.ndarray:
    """Position of each value in `vocabulary` (distinct, no missing values), -1 where absent or missing:
    `pd.Index(vocabulary).get_indexer(values)` for text, by Arrow's hash lookup. pandas turns Arrow text
    into Python objects first (SOD-007 at 10^7 operations: 3 of its 12 s)."""
    vocab = pa.array(pd.Series(vocabulary, dtype="string"), type=pa.string())
    found = pc.index_in(pa.array(values.astype("string"), type=pa.string(), from_pandas=True), value_set=vocab)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
