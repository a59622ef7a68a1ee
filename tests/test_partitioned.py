"""The partitioned audit (auditlib/partition, docs/partitioned.md) gives the in-memory audit's outputs byte
for byte: findings.csv, rule_summary.csv, data_quality.csv and the working papers, on every demo institution,
on bad input, and on randomized bundles cut into small batches and few buckets, so that every customer,
branch, item and subject crosses batch and bucket boundaries; the same on a Dask LocalCluster of 2 workers."""

from __future__ import annotations

import gc
import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from helpers import SOD_DATA, bundle_dir
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from auditlib import partition
from auditlib.engine import run_audit
from auditlib.params import parse_params, read_params_file
from auditlib.partition import load as pload
from auditlib.report.files import write_tables
from auditlib.report.sample import samples
from auditlib.report.workbook import write_workbook
from auditlib.rules import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
FILES = ("findings.csv", "rule_summary.csv", "data_quality.csv", "papers.xlsx")


def outputs(data: dict, engine: str, out: Path, monkeypatch, n: int = 3, scheduler=None) -> dict[str, bytes]:
    monkeypatch.setenv(partition.ENGINE_ENV, engine)
    monkeypatch.setenv(partition.BUCKETS_ENV, str(n))
    monkeypatch.setenv(pload.STRICT_ENV, "1")  # a big table read whole stops the partitioned run
    params = parse_params(data)
    bundle = partition.open_bundle(params, data["data_dir"], scheduler=scheduler)
    assert bundle.engine_info["engine"] == engine
    result = run_audit(params, bundle)
    write_tables(result, out)
    write_workbook(result, out / "papers.xlsx", samples=samples(result, params.sample_size))
    return {f: (out / f).read_bytes() for f in FILES}


def assert_same(data: dict, tmp: Path, monkeypatch, n: int, scheduler=None) -> None:
    memory = outputs(data, "memory", tmp / "memory", monkeypatch)
    parted = outputs(data, "partitioned", tmp / "partitioned", monkeypatch, n, scheduler)
    for f in FILES:
        assert parted[f] == memory[f], f
    assert memory["findings.csv"].count(b"\n") > 1 or "test-inst" in data["institution_id"]


def demo_params(name: str, data_dir: Path) -> dict:
    data = read_params_file(ROOT / "params" / f"{name}.yaml")
    return {**data, "data_dir": str(data_dir)}


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    from auditlib.demo import write_demo

    return {p.name: p for p in write_demo(tmp_path_factory.mktemp("demo"))}


@pytest.mark.parametrize(("name", "n"), [("demo-a", 3), ("demo-b", 5), ("demo-c", 2)])
def test_demo_institutions_identical(demos, name, n, tmp_path, monkeypatch):
    assert_same(demo_params(name, demos[name]), tmp_path, monkeypatch, n)


def test_every_rule_on_a_big_table_is_partitioned():
    keys, whole = partition.plan(list(REGISTRY))
    assert whole == []
    assert set(keys) == set(partition.BIG_TABLES)
    for r in REGISTRY.values():  # a declared key is a column of the table it partitions
        from auditlib.schema import TABLES

        for table, key in (r.partition or {}).items():
            assert key in [c.name for c in TABLES[table].columns], (r.code, table, key)


BAD = {
    **SOD_DATA,
    "customers": "customer_id,name,open_date\n0001,李四,2020-01-01\n0002,王五,2020-13-01\n"
    "0001,重复,2020-01-01\n0003,赵六,2020-01-01\n",
    "transactions": "txn_id,customer_id,product_code,business_code,applied_at,trade_date,status,amount\n"
    "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed,=1+1\n"
    "T2,0009,000001,022,not a time,2025-01-02,confirmed,5\n"
    ",,,,,,,\n"
    "T3,0001,000001,022,2025-01-02 10:00+08:00,2025-01-02,weird,5\n"
    "T4,0003,000001,024,2025-01-05 10:00,2025-01-05,confirmed,5\n"
    "T1,0001,000001,024,2025-01-06 10:00,2025-01-06,confirmed,5\n"
    "T5,0002,000001,024,2025-01-06 10:00,2025-01-06,confirmed,5\n",
    "fund_transfers": "transfer_id,transfer_type,txn_id,customer_id,amount,business_date,due_at\n"
    "F1,redemption_payout,T4,0003,5,2025-01-06,2025-01-07 10:00\n"
    "F2,redemption_payout,T9,0003,5,2025-01-06,2025-01-07 10:00\n"
    "F3,redemption_payout,T2,0003,5,2025-01-06,2025-01-07 10:00\n",
}


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_bad_input_quarantined_identically(tmp_path, monkeypatch, encoding):
    """Bad cells, a blank record, a repeated key in a later batch, references to no row (to a small table
    and from one big table to another): the same quality rows, in the same order."""
    monkeypatch.setattr(pload, "BATCH_BYTES", 64)  # a batch of a line or two: the repeated T1 is batches away
    monkeypatch.setattr(pload, "DUPLICATE_SLICE_ROWS", 2)  # repeated keys looked for in several hash slices
    data_dir = bundle_dir(tmp_path / "data", BAD, encoding=encoding)
    params = {
        "institution_id": "test-inst",
        "institution_name": "测试基金销售有限公司",
        "data_dir": str(data_dir),
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "as_of": "2026-01-31",
    }
    assert_same(params, tmp_path, monkeypatch, n=3)
    quality = (tmp_path / "partitioned" / "data_quality.csv").read_text(encoding="utf-8-sig")
    assert (
        "duplicate primary key (first at row 2)" in quality and "refers to no row of transactions" in quality
    )


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # an audit per example: no slow shrinking
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 7),
    transactions=st.integers(200, 1500),
    batch=st.sampled_from([1 << 12, 1 << 14, 1 << 16]),
    repeats=st.integers(0, 3),
)
def test_random_bundles_identical(tmp_path_factory, seed, n, transactions, batch, repeats):
    """Randomized demo bundles (generator seed and size), rows repeated at random places later in the file,
    tiny batches and 2..7 buckets."""
    from auditlib.demo import write_demo

    tmp = tmp_path_factory.mktemp("prop")
    (folder,) = write_demo(tmp / "data", names=["demo-b"], transactions=transactions, seed=seed)
    rng = random.Random(seed)
    for table in ("transactions", "operations", "fund_transfers"):
        path = folder / f"{table}.csv"
        lines = path.read_bytes().splitlines(keepends=True)  # demo-b is GBK: bytes, split at newlines
        for _ in range(repeats):  # an earlier row's key again, later: quarantined as a repeated key
            lines.insert(rng.randrange(2, len(lines) + 1), lines[rng.randrange(1, len(lines))])
        path.write_bytes(b"".join(lines))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pload, "BATCH_BYTES", batch)
        mp.setattr(pload, "DUPLICATE_SLICE_ROWS", 97)  # several hash slices of keys
        assert_same(demo_params("demo-b", folder), tmp, mp, n)


def test_engine_chosen_by_size(tmp_path, monkeypatch):
    data_dir = bundle_dir(tmp_path / "data")
    monkeypatch.delenv(partition.ENGINE_ENV, raising=False)
    assert partition.choose_engine("auto", data_dir) == "memory"
    monkeypatch.setenv(partition.ROWS_ENV, "0")
    assert partition.choose_engine("auto", data_dir) == "partitioned"
    assert partition.choose_engine("memory", data_dir) == "memory"
    monkeypatch.setenv(partition.ENGINE_ENV, "partitioned")
    assert partition.choose_engine("memory", data_dir) == "partitioned"


def test_partitions_removed_unless_kept(tmp_path, monkeypatch):
    data_dir = bundle_dir(tmp_path / "data", SOD_DATA)
    monkeypatch.setenv(partition.ENGINE_ENV, "partitioned")
    monkeypatch.delenv("AUDITLIB_CACHE_DIR", raising=False)
    params = parse_params(
        {
            "institution_id": "test-inst",
            "institution_name": "x",
            "data_dir": str(data_dir),
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
        }
    )
    bundle = partition.open_bundle(params, data_dir)
    folder = next(iter(bundle.stores.values())).folder
    assert folder.is_dir() and bundle.engine_info["partition_bytes"] > 0
    del bundle
    gc.collect()
    assert not folder.exists()
    kept = partition.open_bundle(params, data_dir, cache_dir=tmp_path / "cache")
    assert next(iter(kept.stores.values())).folder.is_relative_to(tmp_path / "cache")
    del kept
    gc.collect()
    assert list((tmp_path / "cache" / "partitions").rglob("*.parquet"))


def test_partitions_on_a_dask_cluster_identical(demos, cluster, tmp_path, monkeypatch):
    assert_same(
        demo_params("demo-b", demos["demo-b"]), tmp_path, monkeypatch, 4, scheduler=cluster.scheduler_address
    )


def test_methodology_states_the_engine():
    from auditlib.report.narrative import _engine_text

    assert "4 个分区" in _engine_text({"engine": "partitioned", "buckets": 4}, "zh")
    assert "computing cluster" in _engine_text(
        {"engine": "partitioned", "buckets": 4, "scheduler": "tcp://10.0.0.5:8786"}, "en"
    )
    assert "tcp" not in _engine_text({"engine": "partitioned", "buckets": 4, "scheduler": "tcp://x"}, "en")
    assert "at once" in _engine_text({"engine": "memory"}, "en")


@pytest.mark.parametrize("code", ["SUIT-004", "ABN-006"])
def test_aggregates_combine_across_buckets(demos, code):
    """A rule's aggregates computed per bucket of its declared keys and combined equal the whole tables'
    frame, on demo-b cut into 4 buckets where every group (product; branch and day) with several rows is in
    several buckets."""
    from auditlib.engine import rule_context
    from auditlib.load import load_bundle
    from auditlib.partition.store import bucket_of

    data = demo_params("demo-b", demos["demo-b"])
    params = parse_params(data)
    bundle = load_bundle(Path(data["data_dir"]), encoding=params.encoding, as_of=params.as_of)
    r = REGISTRY[code]
    whole = rule_context(params, bundle, code)
    n, crossing = 4, 0
    for agg in r.aggregates:
        expected = agg.func(whole)
        parts = []
        for i in range(n):
            tables = dict(whole.tables)
            for table, key in r.partition.items():
                df = tables[table]
                tables[table] = df[bucket_of(df[key], n, df["_row"]) == i].reset_index(drop=True)
            parts.append(agg.func(replace(whole, tables=tables, _cache={})))
        groups = pd.concat([p.index.to_frame(index=False).assign(bucket=i) for i, p in enumerate(parts)])
        crossing += int((groups.groupby(list(expected.index.names))["bucket"].nunique() > 1).sum())
        pd.testing.assert_frame_equal(agg.combine(parts), expected)
        folded = parts[0]
        for p in parts[1:]:  # as the engine folds them, bucket by bucket
            folded = agg.combine([folded, p])
        pd.testing.assert_frame_equal(folded, expected)
        assert len(expected) > 1
    assert crossing > 0  # groups do cross buckets: the combination is exercised


def notebook_outputs(params_file: Path, data_dir: Path, out: Path, monkeypatch) -> tuple[list[str], dict]:
    """The audit notebook's cells run in this process, as `auditlib run` runs them (no kernel): the text of
    every output the cells show, in order, and the files `write_outputs` wrote."""
    import ast
    import json

    import IPython.display

    nb = json.loads((ROOT / "notebooks" / "institution_audit.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **_: shown.extend(objs))
    ns: dict = {}
    exec(cells[0], ns)  # the parameters cell: every name None
    ns.update(params_file=str(params_file), output_dir=str(out), run_id="r1", data_dir=str(data_dir))
    for src in cells[1:]:
        tree = ast.parse(src)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
            if value is not None:
                shown.append(value)
    texts = []
    for o in shown:
        if isinstance(o, pd.DataFrame):
            texts.append(o.to_csv())
        else:
            texts.append(o.data if hasattr(o, "data") else repr(o))
    return texts, ns["audit"]


def test_report_path_bounded_and_identical(demos, tmp_path, monkeypatch):
    """The whole `auditlib run` notebook path (every report section, the auditor's part, the working papers)
    on a demo institution cut into small buckets: no big table is read whole (strict mode raises, and the
    bundle's log of whole reads stays empty), and every output equals the in-memory run's, but the sentence
    that names the engine."""
    from auditlib.report.narrative import _engine_text

    params_file = ROOT / "params" / "demo-a.yaml"
    monkeypatch.delenv(partition.BUCKETS_ENV, raising=False)
    monkeypatch.setenv(partition.ENGINE_ENV, "memory")
    memory, m_audit = notebook_outputs(params_file, demos["demo-a"], tmp_path / "memory", monkeypatch)
    monkeypatch.setenv(partition.ENGINE_ENV, "partitioned")
    monkeypatch.setenv(partition.BUCKET_ROWS_ENV, "4000")  # demo-a: ~30 000 transactions, 8 buckets
    monkeypatch.setenv(pload.STRICT_ENV, "1")
    parted, p_audit = notebook_outputs(params_file, demos["demo-a"], tmp_path / "partitioned", monkeypatch)
    bundle = p_audit.result.bundle
    assert bundle.engine_info["engine"] == "partitioned" and bundle.n_buckets >= 6
    assert bundle.tables.whole_reads == []
    assert not any(dict.__getitem__(bundle.tables, n) is not None for n in bundle.stores)  # none held whole
    lang = p_audit.params.language
    engine = (_engine_text(bundle.engine_info, lang), _engine_text({"engine": "memory"}, lang))
    assert any(engine[0] in p for p in parted)
    parted = [p.replace(engine[0], engine[1]) if isinstance(p, str) else p for p in parted]
    assert len(parted) == len(memory) > 30
    for i, (p, m) in enumerate(zip(parted, memory, strict=True)):
        assert p == m, i
    for name in ("findings.csv", "rule_summary.csv", "data_quality.csv", "papers.xlsx", "evidence.csv"):
        if (tmp_path / "memory" / name).exists():
            assert (tmp_path / "partitioned" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes()


def test_strict_mode_stops_a_whole_read(demos, monkeypatch):
    """A big table read whole in a partitioned run is logged, and under strict mode it stops the run with a
    BaseException no rule or section handler turns into a note."""
    monkeypatch.setenv(partition.ENGINE_ENV, "partitioned")
    monkeypatch.setenv(partition.BUCKETS_ENV, "2")
    params = parse_params(demo_params("demo-b", demos["demo-b"]))
    bundle = partition.open_bundle(params, demos["demo-b"])
    monkeypatch.setenv(pload.STRICT_ENV, "1")
    with pytest.raises(pload.WholeTableRead):
        _ = {**bundle.tables}  # dict's own copy would give the unread tables as None, silently
    assert len(bundle.tables.whole_reads) == 1 and bundle.tables.whole_reads[0] in bundle.stores
    assert not issubclass(pload.WholeTableRead, Exception)
    monkeypatch.delenv(pload.STRICT_ENV)
    assert len(bundle.tables.view(["transactions"])["transactions"]) == bundle.stores["transactions"].rows
    assert bundle.tables.whole_reads[1:] == ["transactions"]


def test_a_gbk_file_ascii_for_batches_is_streamed_again_in_its_encoding(tmp_path, monkeypatch):
    """UTF-8 is assumed and checked cell by cell while a big table streams (no separate pass over the file
    to detect it); a GBK file whose first Chinese cell comes batches later is streamed again as GB18030,
    still in batches, and its SHA-256 is the file's (hashed as it is read)."""
    from auditlib.load import load_bundle, sha256_file

    rows = "".join(f"AR{i:04d},transaction,T{i},2025-01-02,,room-{i}\n" for i in range(40))
    archive = "record_id,record_type,subject_id,archived_at,disposed_at,location\n" + rows
    archive += "AR9999,transaction,T1,2025-01-02,,总部档案室\n"
    data_dir = bundle_dir(tmp_path / "data", {"archive_records": archive}, encoding="gb18030")
    monkeypatch.setattr(pload, "BATCH_BYTES", 256)

    def not_whole(*a, **k):
        raise AssertionError("read whole")

    monkeypatch.setattr(pload, "_write_whole", not_whole)
    bundle = pload.load_partitioned(data_dir, tmp_path / "parts", {}, 3)
    info = bundle.files["archive_records"]
    assert (info.encoding, info.rows_loaded) == ("gb18030", 41)
    assert info.sha256 == sha256_file(data_dir / "archive_records.csv")
    locations = pd.concat([bundle.stores["archive_records"].read("record_id", i) for i in range(3)])
    assert "总部档案室" in set(locations["location"])
    memory = load_bundle(data_dir)
    assert memory.files["archive_records"].encoding == "gb18030"
    assert bundle.quality.equals(memory.quality)


def test_a_big_file_in_no_known_encoding_is_a_contract_problem(tmp_path):
    """Neither UTF-8 nor GB18030 (UTF-8 assumed, then detection fails): the bundle's problem naming the file
    and table, as the in-memory loader reports it, not a traceback."""
    from auditlib.load import DataContractError, load_bundle

    data_dir = bundle_dir(tmp_path / "data")
    path = data_dir / "transactions.csv"
    path.write_bytes(path.read_bytes() + b"T9,0001,000001,022,2025-01-02 10:00,2025-01-02,\xff\xff\n")
    with pytest.raises(DataContractError) as memory:
        load_bundle(data_dir)
    with pytest.raises(DataContractError) as parted:
        pload.load_partitioned(data_dir, tmp_path / "parts", {}, 2)
    assert str(parted.value) == str(memory.value)
    assert "transactions" in str(parted.value) and "neither UTF-8 nor GBK" in str(parted.value)


def _archive_csv(path: Path, rows: int) -> Path:
    lines = "".join(f"AR{i:06d},transaction,T{i},2025-01-02,,room-{i}\n" for i in range(rows))
    path.write_text("record_id,record_type,subject_id,archived_at,disposed_at,location\n" + lines)
    return path


def test_the_csv_reader_reads_a_bounded_way_ahead(tmp_path, monkeypatch):
    """pyarrow's streaming reader would read a big file far ahead of the batch being typed (2.5 GiB of it
    at 5 x 10^7 transactions); it reads at most READ_AHEAD batches ahead, and still reads the whole file
    when the consumer is slower than the disk."""
    import time

    monkeypatch.setattr(pload, "BATCH_BYTES", 1024)
    path = _archive_csv(tmp_path / "archive_records.csv", 4000)  # ~190 batches
    source = pload._HashingFile(path, pload.READ_AHEAD * 1024)
    batches, _ = pload._batches("archive_records", path, None, source)
    furthest, rows = 0, 0
    for i, batch in enumerate(batches):
        rows += len(batch)
        if i < 20:
            time.sleep(0.01)  # the disk is faster than the typing: the reader would run ahead
        furthest = max(furthest, source._read - source._handed)
    source.close()
    assert rows == 4000
    assert 0 < furthest <= (pload.READ_AHEAD + 1) * 1024  # a block more while the consumer waits


def test_an_abandoned_or_starved_csv_reader_does_not_hang(tmp_path, monkeypatch):
    """A reader allowed nothing ahead still makes progress (one block per grace period the consumer waits:
    it cannot wait forever on a consumer waiting on it), and a reader abandoned mid-file shuts down."""
    import threading

    monkeypatch.setattr(pload, "BATCH_BYTES", 1024)
    monkeypatch.setattr(pload._HashingFile, "WAIT_GRACE", 0.01)
    path = _archive_csv(tmp_path / "archive_records.csv", 400)
    done = {}

    def starved():
        source = pload._HashingFile(path, 0)
        batches, _ = pload._batches("archive_records", path, None, source)
        done["rows"] = sum(len(b) for b in batches)
        source.close()

    def abandoned():
        source = pload._HashingFile(path, 1024)
        batches, _ = pload._batches("archive_records", path, None, source)
        next(batches)
        batches.close()
        del batches
        source.close()
        done["abandoned"] = True

    for work in (starved, abandoned):
        t = threading.Thread(target=work, daemon=True)
        t.start()
        t.join(30)
        assert not t.is_alive(), f"{work.__name__} reader hangs"
    assert done == {"rows": 400, "abandoned": True}


def test_each_task_gets_its_share_of_the_cores():
    """Two single-threaded workers on one 2-core host: one library thread per task; on 8 cores, 4; a worker
    alone on another host does not get more than the fewest."""
    from auditlib.partition.threads import task_threads

    class Client:
        def __init__(self, workers, cpus):
            self.workers, self.cpus = workers, cpus

        def scheduler_info(self):
            return {"workers": self.workers}

        def run(self, func):
            return self.cpus

    two = {"a": {"host": "h", "nthreads": 1}, "b": {"host": "h", "nthreads": 1}}
    assert task_threads(Client(two, {"a": 2, "b": 2})) == 1
    assert task_threads(Client(two, {"a": 8, "b": 8})) == 4
    three = {**two, "c": {"host": "g", "nthreads": 2}}
    assert task_threads(Client(three, {"a": 8, "b": 8, "c": 16})) == 4
    assert task_threads(Client({}, {})) == 1


def test_buckets_fill_whole_rounds_of_the_cluster(monkeypatch):
    """On a cluster the buckets are a multiple of its task slots (no worker idles in the last round), unless
    their number is fixed."""

    class Client:
        def scheduler_info(self):
            return {"workers": {"a": {"nthreads": 1}, "b": {"nthreads": 1}}}

    monkeypatch.delenv(partition.BUCKETS_ENV, raising=False)
    assert [partition.whole_rounds(n, Client()) for n in (1, 11, 12)] == [2, 12, 12]
    monkeypatch.setenv(partition.BUCKETS_ENV, "3")
    assert partition.whole_rounds(3, Client()) == 3


_FAULTS = """
import resource, sys
import numpy as np
from auditlib.partition.threads import use_threads

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(300):
        a = np.ones(1 << 17)  # 1 MiB: over the 128 KiB mmap threshold a trim threshold freezes
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults()
first = faults()
use_threads(1)  # what a task on a worker calls first
faults()
print(first, faults())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_task_on_a_dask_worker_gets_a_plain_process_malloc():
    """A Dask nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536: every array over 128 KiB is then
    mapped and its pages faulted in again on each use. The task's first call sets the usual thresholds."""
    from auditlib.arrowops import _LIBC

    if _LIBC is None or not hasattr(_LIBC, "mallopt"):
        pytest.skip("not glibc")
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    out = subprocess.run(
        [sys.executable, "-c", _FAULTS], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert before > 300 * 200, before  # each 1 MiB array faulted in anew (256 pages)
    assert after < before / 10, (before, after)


def _nap(seconds: float) -> tuple[float, float]:
    import time

    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def test_big_tables_go_to_the_worker_that_is_free(cluster):
    """The largest first, and a worker that finishes takes the largest task left: on two workers, `c` starts
    when `b` ends, not after `a` on whichever worker it was placed when submitted."""
    from distributed import Client

    from auditlib.partition.load import LargestFirst

    jobs = {"a": (1.5,), "b": (0.5,), "c": (0.4,), "d": (0.2,)}
    with Client(cluster.scheduler_address, set_as_default=False) as c:
        ran = dict(LargestFirst(c, _nap, jobs, ["a", "b", "c", "d"]))
    assert ran["c"][0] >= ran["b"][1] - 0.05  # never more tasks out than the two slots
    assert ran["c"][0] < ran["a"][1]  # the free worker took it
    assert ran["d"][0] >= min(ran["a"][1], ran["c"][1]) - 0.05


def test_the_big_tables_tasks_get_only_the_keys_they_refer_to(demos):
    """On a cluster the big tables' tasks are sent the small tables' referred columns, not the customers'
    names and phones; the reference check reads no other column."""
    from auditlib.load import load_bundle
    from auditlib.partition.load import _referenced, _small_references

    bundle = load_bundle(demos["demo-a"])
    small = {n: t for n, t in bundle.tables.items() if n not in pload.BIG_TABLES}
    txns = bundle.tables["transactions"]
    gone = small["customers"]["customer_id"].isin(txns["customer_id"].iloc[:3])
    small["customers"] = small["customers"][~gone]  # their transactions now refer to no customer
    sent = _referenced(small, list(pload.BIG_TABLES))
    assert {n: list(t.columns) for n, t in sent.items()} == {
        "staff": ["staff_id"],
        "customers": ["customer_id"],
        "products": ["product_code"],
    }
    flagged = pd.concat(_small_references("transactions", txns, sent))
    assert flagged.equals(pd.concat(_small_references("transactions", txns, small)))
    assert len(flagged) >= 3
