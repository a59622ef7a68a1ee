"""Big tables on disk as Parquet, one file per hash bucket of a key: written batch by batch, read bucket by
bucket.

`<folder>/<table>/<key>/part-<i>.parquet` holds the table's rows whose `key` hashes to bucket `i`, in file
order. The hash is DuckDB's `hash` of the key's text (no seed: the same bucket in every process and on every
machine of a cluster running the same DuckDB), so a small table split in memory (`bucket_of`) lands in the
same buckets as a big one written here.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..load.quality import ROW
from ..load.typed import vocabulary_dtype
from ..schema import TABLES


def bucket_of(values: pd.Series, n: int, rows: pd.Series) -> np.ndarray:
    """The bucket (0..n-1) of each key value. A row with no key relates to no other row through it (every
    declared rule leaves such rows alone or judges them one by one), so it is placed by its row number: the
    online transactions, which have no branch, are spread over the buckets instead of filling one.

    DuckDB hashes a batch of 6 x 10^5 ids in 13 ms, pandas' `hash_pandas_object` in 170 ms (once per key
    and batch of every big table, and for every co-partitioned small table)."""
    if n == 1:
        return np.zeros(len(values), dtype=np.int64)
    keyed = pa.table(
        {"k": pa.array(values.astype("string"), pa.string()), "r": pa.array(rows.to_numpy(np.int64))}
    )
    con = _hashing_connection()
    con.register("keyed", keyed)
    try:
        b = con.execute(
            f"SELECT (CASE WHEN k IS NULL THEN hash(r) ELSE hash(k) END) % {int(n)} AS b FROM keyed"
        ).fetchnumpy()["b"]
    finally:
        con.unregister("keyed")
    return np.asarray(b).astype(np.int64)


_local = threading.local()


def _hashing_connection():
    """One DuckDB connection per thread (a Dask worker may run tasks in several threads)."""
    con = getattr(_local, "con", None)
    if con is None:
        import duckdb

        con = _local.con = duckdb.connect()
        con.execute("SET threads = 1")  # a batch hashes in milliseconds: no pool of its own needed
    return con


#: how buckets are written (docs/performance.md, "partitioned engine": measured at 10^6): zstd at its fastest
#: level, and no dictionary encoding, which on columns of ids (most of them) costs time and grows the files
PARQUET = {"compression": "zstd", "compression_level": 1, "use_dictionary": False}


class BucketWriter:
    """Appends rows of one table to its `n` bucket files per key, keeping file order within a bucket.

    Each batch is written as it comes, a row group per bucket. Holding batches until each bucket got 65 536
    rows was tried (at 33 buckets a batch gives a bucket ~2 x 10^4 rows): no faster to write or to read
    back, 0.5 GiB more memory (docs/performance.md)."""

    def __init__(self, folder: Path, table: str, keys: list[str], n: int):
        self.folder, self.table, self.keys, self.n = folder, table, keys, n
        self.schema: pa.Schema | None = None
        self.keys_increasing = False  # set by the loader: no repeated primary key is possible
        self._writers: dict[tuple[str, int], pq.ParquetWriter] = {}

    def path(self, key: str, i: int) -> Path:
        return self.folder / self.table / key / f"part-{i:05d}.parquet"

    def write(self, typed: pd.DataFrame) -> None:
        """One typed batch: converted to Arrow once, then per key sorted by bucket (stable: file order within
        a bucket) and each bucket's slice appended to its file."""
        if not len(typed):
            return
        table = pa.Table.from_pandas(typed, schema=self.schema, preserve_index=False)
        if self.schema is None:
            self.schema = table.schema
        for key in self.keys:
            buckets = bucket_of(typed[key], self.n, typed[ROW])
            order = np.argsort(buckets, kind="stable")
            bounds = np.searchsorted(buckets[order], np.arange(self.n + 1))
            by_bucket = table.take(order) if self.n > 1 else table
            for i in range(self.n):
                if bounds[i] < bounds[i + 1]:
                    self._writer(key, i).write_table(by_bucket.slice(bounds[i], bounds[i + 1] - bounds[i]))

    def _writer(self, key: str, i: int) -> pq.ParquetWriter:
        w = self._writers.get((key, i))
        if w is None:
            p = self.path(key, i)
            p.parent.mkdir(parents=True, exist_ok=True)
            w = self._writers[(key, i)] = pq.ParquetWriter(p, self.schema, **PARQUET)
        return w

    def close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers.clear()

    def discard(self) -> None:
        self.close()
        shutil.rmtree(self.folder / self.table, ignore_errors=True)


@dataclass
class TableStore:
    """One big table as written: where its buckets are, its columns, and rows excluded after writing
    (repeated primary keys, found only once every batch was typed)."""

    folder: Path
    table: str
    keys: list[str]
    n: int
    columns: list[str]
    schema: pa.Schema | None
    rows: int = 0
    excluded: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    timings: dict[str, float] = field(default_factory=dict)  # seconds of the load's steps

    def files(self, key: str) -> list[Path]:
        return sorted((self.folder / self.table / key).glob("part-*.parquet"))

    def path(self, key: str, i: int) -> Path:
        return self.folder / self.table / key / f"part-{i:05d}.parquet"

    def read(self, key: str, i: int) -> pd.DataFrame:
        """Bucket `i` by `key`, typed as the in-memory loader types it."""
        p = self.path(key, i)
        df = pq.read_table(p).to_pandas() if p.exists() else self.empty()
        return self._finish(df)

    def read_whole(self) -> pd.DataFrame:
        """Every row in file order (for a rule or report section that is not partitioned)."""
        parts = [pq.read_table(p).to_pandas() for p in self.files(self.keys[0])]
        parts = [p for p in parts if len(p)]
        df = pd.concat(parts, ignore_index=True) if parts else self.empty()
        df = df.sort_values(ROW, kind="stable") if len(parts) > 1 else df
        return self._finish(df)

    def empty(self) -> pd.DataFrame:
        if self.schema is None:
            return pd.DataFrame({c: pd.Series(dtype="str") for c in self.columns})
        return self.schema.empty_table().to_pandas()

    def _finish(self, df: pd.DataFrame) -> pd.DataFrame:
        if len(self.excluded):
            df = df[~np.isin(df[ROW].to_numpy(), self.excluded)]
        for col in TABLES[self.table].columns:  # Parquet keeps only the categories a column holds
            if col.choices is not None and col.name in df:
                df[col.name] = df[col.name].astype(vocabulary_dtype(col))
        return df.reset_index(drop=True)


def scatter_whole(client, obj):
    """Send `obj` to every worker of a Dask cluster once, as one future under a key of its own.

    A dict given to `Client.scatter` is scattered item by item under its own keys ('customers', 'SOD-005',
    ...), so two scatters of dicts with the same keys (the loader's small tables, then the rules') share
    keys, and releasing the first can lose the second's data on a worker ("failed to acquire keys")."""
    [future] = client.scatter([obj], broadcast=True, hash=False)
    return future
