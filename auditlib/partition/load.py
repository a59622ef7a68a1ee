"""Loading a bundle for the partitioned audit: the big tables streamed into buckets, the others as usual.

Every row is loaded or quarantined exactly as `auditlib.load.load_bundle` does it, because each batch goes
through the loader's own steps (`type_table`, `table_warnings`, the reference check); only what crosses
batches is done afterwards on the written files by DuckDB: repeated primary keys (the first row in file
order kept) and references from one big table to another. The quality rows are then those of the in-memory
loader, in its order (tests/test_partitioned.py).
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from ..arrowops import give_back_memory, isin_text
from ..load import Bundle, DataContractError, FileInfo, load_bundle, sha256_file, table_warnings, type_table
from ..load.bundle import _header_problems, _read_problem
from ..load.quality import ROW, no_quality, quality_rows
from ..load.reading import (
    TEXT,
    _check_last_record,
    _csv_header,
    _drop_empty,
    arrow_csv_options,
    detect_encoding,
    read_raw,
)
from ..schema import TABLES
from .store import BucketWriter, TableStore, scatter_whole
from .threads import duckdb_threads, task_slots, use_threads

#: tables that grow with the institution's business; every other table is read whole
BIG_TABLES = ("operations", "transactions", "fund_transfers", "archive_records", "data_changes")
BATCH_BYTES = 1 << 26  # CSV bytes per batch typed at once (~6 * 10^5 transactions)
READ_AHEAD = 3  # batches the CSV reader may read beyond the one being typed (`_HashingFile`)


STRICT_ENV = "AUDITLIB_PARTITION_STRICT"  # set (tests): a big table read whole raises WholeTableRead


class WholeTableRead(BaseException):
    """A big table was about to be read whole during a partitioned audit with $AUDITLIB_PARTITION_STRICT set.
    A BaseException on purpose: the handlers that turn a rule's crash into its status or a failing report
    section into a note catch `Exception`, and this must stop the run, not become a quiet note."""


class LazyTables(dict):
    """The bundle's tables: small ones held, big ones read whole from their buckets only when asked for
    (a rule or report section that is not partitioned). Every such read is logged in `whole_reads`; with
    $AUDITLIB_PARTITION_STRICT set it raises `WholeTableRead` instead (tests: nothing of a partitioned run
    may hold a big table whole)."""

    def __init__(
        self,
        small: dict[str, pd.DataFrame],
        stores: dict[str, TableStore],
        order: list[str],
        whole_reads: list[str] | None = None,
    ):
        super().__init__({n: small.get(n) for n in order})
        self.stores = stores
        self.whole_reads = [] if whole_reads is None else whole_reads

    def __getitem__(self, name):
        value = super().__getitem__(name)
        if value is None:
            self.whole_reads.append(name)
            if os.environ.get(STRICT_ENV, "").strip():
                raise WholeTableRead(f"{name} read whole during a partitioned audit")
            value = self.stores[name].read_whole()
            super().__setitem__(name, value)
        return value

    def __iter__(self):  # not dict's own: `{**tables}` and `dict(tables)` then go through __getitem__
        return iter(list(super().keys()))

    def get(self, name, default=None):
        return self[name] if name in self else default

    def values(self):
        return [self[n] for n in self]

    def items(self):
        return [(n, self[n]) for n in self]

    def view(self, names) -> LazyTables:
        """The tables `names` that the bundle has, still lazy (a rule's context: a big table is read only if
        the rule reads it whole, and then only into this view), sharing the log of whole reads."""
        v = LazyTables({}, self.stores, [], self.whole_reads)
        for n in names:
            if n in self:
                dict.__setitem__(v, n, dict.__getitem__(self, n))
        return v


@dataclasses.dataclass
class PartitionedBundle(Bundle):
    """A `Bundle` whose big tables live in buckets (`stores`); `partitions` runs the declared rules."""

    stores: dict[str, TableStore] = dataclasses.field(default_factory=dict)
    n_buckets: int = 1
    partitions: object = None  # auditlib.partition.run.Partitions, set by the caller
    #: seconds each step of the load took (benchmarks/bench_partitioned.py reports them; not in the manifest)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    def has(self, table: str) -> bool:
        name, _, column = table.partition(".")
        if name in self.stores:
            return not column or column in self.stores[name].columns
        return super().has(table)


def load_partitioned(
    data_dir: str | Path,
    folder: Path,
    keys: dict[str, list[str]],
    n: int,
    encoding: str | None = None,
    as_of: dt.date | str | None = None,
    client=None,
    threads: int | None = None,
) -> PartitionedBundle:
    """Load the bundle with the big tables written into `folder` as `n` buckets per key in `keys`
    ({table: [key columns]}); a big table no declared rule partitions is written by its first column.
    With a Dask `client`, each big table is read and written by a task on the cluster (the largest first,
    `LargestFirst`) with `threads` library threads (`threads.task_threads`), and `folder` must be where the
    workers write too."""
    data_dir = Path(data_dir)
    as_of = pd.Timestamp(as_of) if as_of is not None else None
    from ..load.reading import find_table_files

    files, _ = find_table_files(data_dir) if data_dir.is_dir() else ({}, [])
    big = [t for t in BIG_TABLES if t in files]
    t0 = time.monotonic()
    small_bundle = load_bundle(data_dir, encoding=encoding, only=set(files) - set(big), as_of=as_of)
    small = small_bundle.tables
    timings = {"small tables": time.monotonic() - t0}
    stores, infos, issues = {}, dict(small_bundle.files), [small_bundle.quality]
    problems = []
    jobs = {
        name: (name, files[name], folder, keys.get(name) or [TABLES[name].columns[0].name], n) for name in big
    }
    if client is not None:
        largest = sorted(big, key=lambda t: -files[t].stat().st_size * len(jobs[t][3]))
        small_f = scatter_whole(client, _referenced(small, big))
        tasks = {t: (*jobs[t], encoding, as_of, small_f) for t in big}
        done = dict(LargestFirst(client, _load_big_task, tasks, largest, threads=threads))
    for name in big:
        loaded = _load_big_task(*jobs[name], encoding, as_of, small) if client is None else done[name]
        if isinstance(loaded, list):  # the table's contract problems
            problems.extend(loaded)
            continue
        store, info, table_issues = loaded
        stores[name], infos[name] = store, info
        timings.update({f"{name} {step}": s for step, s in store.timings.items()})
        issues.extend(table_issues)
    if problems:
        raise DataContractError(problems)
    t0 = time.monotonic()
    issues.extend(_big_references(stores))
    timings["references"] = time.monotonic() - t0
    issues = [i for i in issues if len(i)]
    quality = pd.concat(issues, ignore_index=True) if issues else no_quality()
    quality = quality.astype({"row": "int64"}).sort_values(["table", "row", "column"], kind="stable")
    order = [name for name in files if name in small or name in stores]
    return PartitionedBundle(
        data_dir,
        LazyTables(small, stores, order),
        quality.reset_index(drop=True),
        {name: infos[name] for name in order},
        small_bundle.missing,
        stores=stores,
        n_buckets=n,
        timings={k: round(v, 1) for k, v in timings.items()},
    )


class LargestFirst:
    """Tasks on a Dask cluster, the largest first and never more given out than the cluster has task slots, so
    that a worker that finishes takes the largest task left: tasks submitted at once are placed on workers as
    they are submitted, and one worker could idle while another still has a big table queued. Iterating
    gives (name, result) as the tasks finish."""

    def __init__(self, client, func, jobs: dict[str, tuple], order: list[str], **kwargs):
        self.client, self.func, self.jobs, self.kwargs = client, func, jobs, kwargs
        self.left, self.names = list(order), {}
        self.slots = task_slots(client)

    def _submit(self):
        name = self.left.pop(0)
        f = self.client.submit(self.func, *self.jobs[name], **self.kwargs, pure=False)
        self.names[f.key] = name
        return f

    def __iter__(self):
        from distributed import as_completed

        first = [self._submit() for _ in range(min(self.slots, len(self.left)))]
        running = as_completed(first, loop=self.client.loop)  # the client is not the default one
        for f in running:
            if self.left:
                running.add(self._submit())
            result = f.result()
            f.release()
            yield self.names[f.key], result


def _load_big_task(*args, threads: int | None = None) -> tuple[TableStore, FileInfo, list] | list:
    """`_load_big`, its contract problems returned (as `Problem`s: an exception would lose them on its way
    back from a Dask worker); on a worker, the libraries' threads limited first (`threads.use_threads`)."""
    use_threads(threads)
    try:
        return _load_big(*args)
    except DataContractError as e:
        return e.records


def _load_big(
    name: str,
    path: Path,
    folder: Path,
    keys: list[str],
    n: int,
    encoding: str | None,
    as_of: pd.Timestamp | None,
    small: dict[str, pd.DataFrame],
) -> tuple[TableStore, FileInfo, list[pd.DataFrame]]:
    t0 = time.monotonic()
    writer = BucketWriter(folder, name, keys, n)
    digest = None
    try:
        try:
            issues, n_read, n_kept, enc, digest = _stream(name, path, encoding, writer, as_of, small)
        except _NotUtf8:  # UTF-8 was assumed and a cell is not: streamed again in the detected encoding
            writer.discard()
            writer = BucketWriter(folder, name, keys, n)
            issues, n_read, n_kept, enc, digest = _stream(name, path, encoding, writer, as_of, small, False)
    except _NotStreamable:
        writer.discard()
        writer = BucketWriter(folder, name, keys, n)
        issues, n_read, n_kept, enc = _write_whole(name, path, encoding, writer, as_of, small)
    finally:
        writer.close()
    columns = (
        list(writer.schema.names) if writer.schema is not None else [c.name for c in TABLES[name].columns]
    )
    store = TableStore(folder, name, keys, n, columns, writer.schema, n_kept)
    t1 = time.monotonic()
    if not writer.keys_increasing:
        issues.extend(_duplicate_keys(store))
    store.timings = {"written": t1 - t0, "repeated keys": time.monotonic() - t1}
    if len(store.excluded):  # a repeated key is quarantined: its warnings are not reported (as in memory)
        issues = [
            i[~((i["action"] == "kept") & np.isin(i["row"].to_numpy(), store.excluded))] for i in issues
        ]
    store.rows = n_kept - len(store.excluded)
    fmt = path.suffix.lstrip(".").lower()
    digest = digest or sha256_file(path)
    info = FileInfo(name, path, fmt, enc, digest, n_read, store.rows, n_read - store.rows)
    give_back_memory()
    return store, info, issues


def _stream(name, path, encoding, writer, as_of, small, assume_utf8=True):
    """The file streamed into `writer` in one read: (issues, rows read, rows kept, encoding, its SHA-256)."""
    hashed = _HashingFile(path, READ_AHEAD * BATCH_BYTES)
    try:
        batches, enc = _batches(name, path, encoding, hashed, assume_utf8)
        issues, n_read, n_kept = _write_batches(name, batches, writer, as_of, small)
        return issues, n_read, n_kept, enc, hashed.hexdigest()
    finally:
        hashed.close()


class _NotStreamable(Exception):
    """The streaming reader refused the file (ragged records, ...): it is read whole by the loader."""


class _NotUtf8(Exception):
    """A file assumed to be UTF-8 (no encoding given) has a cell that is not: its encoding is detected."""


class _HashingFile(io.RawIOBase):
    """The file as the CSV reader reads it, hashed on the way: the manifest's SHA-256 without a second read
    (at 5 x 10^7 transactions the extract is larger than the page cache, and every read comes from disk).

    It also keeps the reader at most `ahead` bytes ahead of the batches handed over (`handed`). pyarrow's
    streaming reader reads ahead in the background as fast as the disk gives: up to 40 blocks, 2.5 GiB of
    a big file held while the batches before them were typed and written (measured: the load's memory grew
    with the file, 2.1 GiB at 10^7 transactions, 3.5 GiB at 5 x 10^7). While the consumer waits for a
    batch (`awaited`) the reader gets one block more per `WAIT_GRACE` seconds of waiting, so it can never
    wait forever on a consumer that waits on it; once `release`d (a reader abandoned mid-file shuts down)
    it is not held back at all."""

    WAIT_GRACE = 0.5

    def __init__(self, path: Path, ahead: int):
        super().__init__()
        self._f = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        self._h = hashlib.sha256()
        self._ahead, self._read, self._handed = ahead, 0, 0
        self._waiting_since: float | None = None
        self._released = False
        self._cv = threading.Condition()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        with self._cv:
            while not self._may_read():
                self._cv.wait(0.1)
        n = self._f.readinto(b)
        if n:
            self._h.update(memoryview(b)[:n])  # hashlib lets go of the GIL for large blocks
            with self._cv:
                self._read += n
        return n

    def _may_read(self) -> bool:
        if self._released or self._read - self._handed < self._ahead:
            return True
        since, now = self._waiting_since, time.monotonic()
        if since is None or now - since <= self.WAIT_GRACE:
            return False
        self._waiting_since = now  # one block more for every grace period the consumer waits
        return True

    @contextlib.contextmanager
    def awaited(self):
        """The consumer waits for the reader's next batch."""
        with self._cv:
            self._waiting_since = time.monotonic()
        try:
            yield
        finally:
            with self._cv:
                self._waiting_since = None

    def handed(self, nbytes: int) -> None:
        """A batch of about `nbytes` of the file was handed over: the reader may read that much further."""
        with self._cv:
            self._handed += nbytes
            self._cv.notify_all()

    def release(self) -> None:
        with self._cv:
            self._released = True
            self._cv.notify_all()

    def hexdigest(self) -> str:
        """The whole file's hash (whatever the reader left unread is read here)."""
        for block in iter(lambda: self._f.read(1 << 22), b""):
            self._h.update(block)
        return self._h.hexdigest()

    def close(self) -> None:
        self.release()
        self._f.close()
        super().close()


def _assumed_encoding(path: Path, encoding: str | None, assume_utf8: bool) -> tuple[str, bool]:
    """(encoding, assumed): the given one, else UTF-8 assumed (with or without BOM) and checked by pyarrow
    cell by cell as it parses, as the in-memory loader does (`reading._read_utf8_quick`): a file whose every
    cell is valid UTF-8 is one `detect_encoding` would call UTF-8, without its pass over the whole file.
    With `assume_utf8` off (the assumption failed) the encoding is detected."""
    if encoding:
        return encoding, False
    if not assume_utf8:
        return detect_encoding(path), False
    with open(path, "rb") as f:
        head = f.read(3)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return detect_encoding(path), False  # raises its message about UTF-16
    return ("utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"), True


def _batches(name: str, path: Path, encoding: str | None, source: _HashingFile, assume_utf8: bool = True):
    """(iterator of raw cell frames indexed by data-row number, encoding) for a CSV pyarrow can stream, read
    from `source` (over `path`); with no `encoding`, see `_assumed_encoding`."""
    if path.suffix.lower() != ".csv" or path.stat().st_size == 0:
        raise _NotStreamable
    try:
        enc, assumed = _assumed_encoding(path, encoding, assume_utf8)
        try:
            header = _csv_header(path, enc)
        except UnicodeError:
            if not assumed:
                raise
            raise _NotUtf8 from None
    except (UnicodeError, ValueError, OSError) as e:
        raise DataContractError([_read_problem(path, name, e)]) from None
    raw_header = pd.DataFrame(columns=header)
    problems = _header_problems(path, name, raw_header)
    if not [h for h in header if h.strip().lstrip("\ufeff").strip()]:
        raise _NotStreamable
    if problems:
        raise DataContractError(problems)
    names = [f"c{i}" for i in range(len(header))]
    try:
        with source.awaited():  # pyarrow reads the first block as it opens
            reader = pa_csv.open_csv(source, **arrow_csv_options(names, enc, BATCH_BYTES))
    except (pa.ArrowException, ValueError, LookupError, UnicodeError) as e:
        raise (_NotUtf8 if assumed and _utf8_error(e) else _NotStreamable) from None

    def frames():
        start = 0
        batch = None
        try:
            while True:
                with source.awaited():
                    try:
                        nxt = reader.read_next_batch()
                    except StopIteration:
                        break
                source.handed(BATCH_BYTES)  # a batch is a block of the file, cut at its last record's end
                if batch is not None:
                    yield batch
                df = nxt.to_pandas(types_mapper={pa.string(): TEXT}.get)
                df.columns = list(raw_header.columns)
                df.index = pd.RangeIndex(start, start + len(df))
                start += len(df)
                batch = df
        except (pa.ArrowException, ValueError, UnicodeError) as e:
            raise (_NotUtf8 if assumed and _utf8_error(e) else _NotStreamable) from None
        finally:
            source.release()  # before the reader is let go: it may have to read on as it shuts down
        if batch is not None:
            try:
                _check_last_record(path, batch)
            except ValueError as e:
                raise DataContractError([_read_problem(path, name, e)]) from None
            yield batch

    return frames(), enc


def _utf8_error(e: BaseException) -> bool:
    return "utf8" in str(e).lower().replace("-", "")


def _write_batches(name, batches, writer, as_of, small) -> tuple[list[pd.DataFrame], int, int]:
    """Type each batch, record its issues, write its rows; (issues, rows read, rows kept)."""
    table = TABLES[name]
    unkeyed = dataclasses.replace(table, primary_key=())  # repeated keys cross batches: found afterwards
    issues: list[pd.DataFrame] = []
    n_read = n_kept = 0
    order = _KeyOrder(table.primary_key)
    for raw in batches:
        raw = _drop_empty(raw)
        n_read += len(raw)
        typed, batch_issues = type_table(unkeyed, raw)
        issues.extend(batch_issues)
        issues.extend(table_warnings(table, typed, as_of))
        issues.extend(_small_references(name, typed, small))
        n_kept += len(typed)
        order.see(typed)
        writer.write(typed)
    writer.keys_increasing = order.increasing
    return issues, n_read, n_kept


class _KeyOrder:
    """Whether a one-column key is strictly increasing over all batches (extracts usually are ordered by
    their key): then no key repeats and the search for repeated keys is skipped, as the loader skips it."""

    def __init__(self, key: tuple[str, ...]):
        self.key = key[0] if len(key) == 1 else None
        self.increasing = self.key is not None
        self.last = None

    def see(self, typed: pd.DataFrame) -> None:
        if not self.increasing or not len(typed):
            return
        from ..load.typed import _strictly_increasing

        keyed = typed[[self.key]]
        first, last = keyed.iloc[0, 0], keyed.iloc[-1, 0]
        ok = len(keyed) < 2 or _strictly_increasing(keyed)
        ok = ok and not pd.isna(first) and (self.last is None or self.last < first)
        self.increasing, self.last = bool(ok), last


def _write_whole(name, path, encoding, writer, as_of, small):
    """The loader's own reading of a file the streaming reader refuses (then not bounded in memory)."""
    try:
        raw, malformed, enc = read_raw(path, encoding)
    except (MemoryError, RecursionError):
        raise
    except Exception as e:  # noqa: BLE001 - as the loader: an unreadable file is a problem of the bundle
        raise DataContractError([_read_problem(path, name, e)]) from None
    problems = _header_problems(path, name, raw)
    if problems:
        raise DataContractError(problems)
    n_read = len(raw) + len(malformed)
    issues, _, n_kept = _write_batches(name, [raw], writer, as_of, small)
    for row, reason in malformed:
        issues.append(quality_rows(name, np.array([row]), "", "malformed record: " + reason, "quarantined"))
    return issues, n_read, n_kept, enc


def _referenced(small: dict[str, pd.DataFrame], big: list[str]) -> dict[str, pd.DataFrame]:
    """The columns of the small tables that the big tables refer to: all that `_small_references` reads, and
    all that the big tables' tasks on a cluster are sent (customers' ids, not their names and phones)."""
    cols: dict[str, list[str]] = {}
    for name in big:
        for col in TABLES[name].columns:
            ref_table, _, ref_col = (col.references or "").partition(".")
            if ref_table in small and ref_col not in cols.setdefault(ref_table, []):
                cols[ref_table].append(ref_col)
    return {t: small[t][c] for t, c in cols.items()}


def _small_references(name: str, typed: pd.DataFrame, small: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """References from a big table to a small one, batch by batch (as `load.checks.orphans`)."""
    out = []
    for col in TABLES[name].columns:
        if not col.references or col.name not in typed:
            continue
        ref_table, ref_col = col.references.split(".")
        if ref_table not in small:
            continue
        vals = typed[col.name]
        orphan = vals.notna().to_numpy(dtype=bool) & ~isin_text(vals, small[ref_table][ref_col])
        if orphan.any():
            rows = typed[ROW].to_numpy()[orphan]
            out.append(quality_rows(name, rows, col.name, f"refers to no row of {ref_table}", "kept"))
    return out


DUCKDB_MEMORY = "1GB"  # DuckDB spills to disk beyond this: the partitioned audit's memory stays bounded
#: at most this many rows' primary keys are checked for repeats in one DuckDB aggregate
DUPLICATE_SLICE_ROWS = 5_000_000


def _duckdb(spill: Path | None = None):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    threads = duckdb_threads()
    if threads:
        con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    if spill is not None:
        con.execute(f"SET temp_directory = '{_quote(spill)}'")
    return con


def _quote(path: Path | str) -> str:
    return str(path).replace("'", "''")


def _parquet_sql(files: list[Path]) -> str:
    return "read_parquet([" + ", ".join(f"'{_quote(f)}'" for f in files) + "])"


def _files_sql(store: TableStore) -> str:
    return _parquet_sql(store.files(store.keys[0]))


def _key_slices(con, store: TableStore, key: str) -> list[list[Path]]:
    """The table's files in groups such that all rows of one `key` value are in one group, each group read
    once. Buckets written by `key` are such groups already; otherwise the key and row columns are copied once
    into hash slices of at most `DUPLICATE_SLICE_ROWS` rows (one read of the table, whatever its size)."""
    if key in store.keys:
        return [[f] for f in store.files(key)]
    slices = max(1, -(-store.rows // DUPLICATE_SLICE_ROWS))
    if slices == 1:
        return [store.files(store.keys[0])]
    out = store.folder / ".keys" / store.table
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f'COPY (SELECT "{key}", "{ROW}", hash("{key}") % {slices} AS s FROM {_files_sql(store)}) '
        f"TO '{_quote(out)}' (FORMAT parquet, PARTITION_BY (s), COMPRESSION zstd)"
    )
    return [sorted(d.glob("*.parquet")) for d in sorted(out.glob("s=*"))]


def _duplicate_keys(store: TableStore) -> list[pd.DataFrame]:
    """Rows repeating the primary key of an earlier kept row: quarantined, as `load.typed` does. Each group
    of files holding all rows of its keys is searched by one hash aggregate that stays within DuckDB's memory
    (one aggregate over 1.3 x 10^8 keys ran out of it, spilling or not)."""
    [key] = TABLES[store.table].primary_key  # every big table's key is one column
    if not store.files(store.keys[0]):
        return []
    con = _duckdb(store.folder / ".duckdb")
    try:
        found = [
            con.execute(
                f'WITH a AS (SELECT "{key}" AS k, "{ROW}" AS r FROM {_parquet_sql(files)}), '
                "d AS (SELECT k, min(r) AS f FROM a GROUP BY k HAVING count(*) > 1) "
                "SELECT a.r AS r, d.f AS f FROM a JOIN d ON a.k = d.k WHERE a.r <> d.f"
            ).fetchnumpy()
            for files in _key_slices(con, store, key)
            if files
        ]
    finally:
        con.close()
        shutil.rmtree(store.folder / ".keys" / store.table, ignore_errors=True)
    r, f = _int64s(x["r"] for x in found), _int64s(x["f"] for x in found)
    if not len(r):
        return []
    order = np.argsort(r, kind="stable")
    rows, firsts = r[order], f[order]
    store.excluded = rows
    df = quality_rows(store.table, rows, key, "", "quarantined")
    df["reason"] = [f"duplicate primary key (first at row {int(x)})" for x in firsts]
    return [df]


def _big_references(stores: dict[str, TableStore]) -> list[pd.DataFrame]:
    """References between two big tables (fund_transfers.txn_id -> transactions), by DuckDB anti-joins:
    bucket by bucket when both tables are written by the referring and referred columns (the same hash puts a
    value in the same bucket of both), else over the whole tables."""
    out = []
    for name, store in stores.items():
        for col in TABLES[name].columns:
            if not col.references or col.name not in store.columns:
                continue
            ref_table, ref_col = col.references.split(".")
            if ref_table not in stores or not store.files(store.keys[0]):
                continue
            rows = _orphans(store, col.name, stores[ref_table], ref_col)
            if len(rows):
                out.append(quality_rows(name, rows, col.name, f"refers to no row of {ref_table}", "kept"))
    return out


def _orphans(store: TableStore, col: str, ref: TableStore, ref_col: str) -> np.ndarray:
    """Rows of `store` (not excluded) whose `col` is not null and is in no kept row's `ref_col` of `ref`."""
    if col in store.keys and ref_col in ref.keys and store.n == ref.n:
        pairs = [([store.path(col, i)], [ref.path(ref_col, i)]) for i in range(store.n)]
    else:
        pairs = [(store.files(store.keys[0]), ref.files(ref.keys[0]))]
    con = _duckdb(store.folder / ".duckdb")
    found = []
    try:
        con.register("ex_a", pa.table({"r": pa.array(store.excluded, pa.int64())}))
        con.register("ex_b", pa.table({"r": pa.array(ref.excluded, pa.int64())}))
        for files, ref_files in pairs:
            files = [f for f in files if f.exists()]
            ref_files = [f for f in ref_files if f.exists()]
            if not files:
                continue
            refs = (
                f'SELECT "{ref_col}" AS v FROM {_parquet_sql(ref_files)} '
                f'WHERE "{ROW}" NOT IN (SELECT r FROM ex_b)'
                if ref_files
                else "SELECT NULL::VARCHAR AS v WHERE false"
            )
            found.append(
                con.execute(
                    f'SELECT "{ROW}" AS r FROM {_parquet_sql(files)} a WHERE a."{col}" IS NOT NULL '
                    f'AND a."{ROW}" NOT IN (SELECT r FROM ex_a) '
                    f'AND a."{col}" NOT IN (SELECT v FROM ({refs}) WHERE v IS NOT NULL)'
                ).fetchnumpy()["r"]
            )
    finally:
        con.close()
    return np.sort(_int64s(found), kind="stable")


def _int64s(parts) -> np.ndarray:
    """The row numbers DuckDB returned in several queries, as one int64 array."""
    return np.concatenate([np.asarray(x, dtype=np.int64) for x in parts] or [np.array([], np.int64)])
