"""The Parquet cache of typed tables (auditlib/tablecache.py) changes how a bundle is read, never what: the
same tables, quarantine, warnings and file infos cold and warm, on the demo data and on bad input; a changed
or damaged file is read again; nothing is written unless a cache folder is given."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import SOD_DATA, bundle_dir

from auditlib import load as L
from auditlib import tablecache


def same(a: L.Bundle, b: L.Bundle) -> None:
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)
    pd.testing.assert_frame_equal(a.quality, b.quality, obj="quality")
    assert a.files == b.files and a.missing == b.missing


@pytest.fixture(scope="module")
def demo_b(tmp_path_factory):
    from auditlib.demo import write_demo

    (folder,) = write_demo(tmp_path_factory.mktemp("demo"), names=["demo-b"])
    return folder


def test_demo_institution_same_bundle_cold_and_warm(demo_b, tmp_path):
    reference = L.load_bundle(demo_b, as_of="2026-01-31")
    cache = tmp_path / "cache"
    cold = L.load_bundle(demo_b, as_of="2026-01-31", cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == len(reference.files)
    warm = L.load_bundle(demo_b, as_of="2026-01-31", cache_dir=cache)
    same(reference, cold)
    same(reference, warm)
    # as_of-dependent warnings are computed per run, not cached
    same(
        L.load_bundle(demo_b, as_of="2025-03-01"), L.load_bundle(demo_b, as_of="2025-03-01", cache_dir=cache)
    )


BAD = {
    **SOD_DATA,
    "customers": "customer_id,name,open_date\n0001,李四,2020-01-01\n0002,王五,2020-13-01\n"
    "0001,重复,2020-01-01\n0003,赵六,2020-01-01,extra\n",
    "transactions": "txn_id,customer_id,product_code,business_code,applied_at,trade_date,status\n"
    "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed\n"
    "T2,0009,000001,022,not a time,2025-01-02,confirmed\n"
    "T3,0001,000001,022,2025-01-02 10:00+08:00,2025-01-02,weird\n",
}


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_quarantine_and_warnings_identical(tmp_path, encoding, monkeypatch):
    data = bundle_dir(tmp_path / "data", BAD, encoding=encoding)
    reference = L.load_bundle(data, as_of="2026-01-31")
    assert len(reference.quality) > 3
    monkeypatch.setenv(tablecache.CACHE_ENV, str(tmp_path / "cache"))
    for _ in range(2):  # cold, then warm
        same(reference, L.load_bundle(data, as_of="2026-01-31"))
    assert list((tmp_path / "cache").glob("customers-*.issues.parquet"))


def test_a_warm_load_reads_no_csv(tmp_path, monkeypatch):
    data = bundle_dir(tmp_path / "data", BAD)
    cold = L.load_bundle(data, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(L, "read_raw", lambda *a, **k: pytest.fail("a cached file was parsed again"))
    same(cold, L.load_bundle(data, cache_dir=tmp_path / "cache"))


def test_contract_errors_identical(tmp_path):
    data = bundle_dir(
        tmp_path / "data", {"staff": "staff_id\n001\n", "complaints": "a;b;c\n1;2;3\n"}, drop=("customers",)
    )
    with pytest.raises(L.DataContractError) as ref:
        L.load_bundle(data)
    with pytest.raises(L.DataContractError) as fast:
        L.load_bundle(data, cache_dir=tmp_path / "cache")
    assert fast.value.problems == ref.value.problems
    assert not list((tmp_path / "cache").glob("*")), "nothing typed, nothing cached"


def test_a_changed_file_is_read_again(tmp_path):
    data, cache = bundle_dir(tmp_path / "data", SOD_DATA), tmp_path / "cache"
    L.load_bundle(data, cache_dir=cache)
    before = {p.name for p in cache.glob("staff-*.json")}
    (data / "staff.csv").write_text("staff_id,name,leave_date\n001,张三,\n004,新人,\n", encoding="utf-8")
    b = L.load_bundle(data, cache_dir=cache)
    assert b.tables["staff"]["staff_id"].tolist() == ["001", "004"]
    same(L.load_bundle(data), b)
    after = {p.name for p in cache.glob("staff-*.json")}
    assert len(after - before) == 1


def test_a_damaged_cache_entry_is_ignored(tmp_path):
    data, cache = bundle_dir(tmp_path / "data", SOD_DATA), tmp_path / "cache"
    L.load_bundle(data, cache_dir=cache)
    for p in cache.glob("*.typed.parquet"):
        p.write_bytes(b"PAR1 not really")
    same(L.load_bundle(data), L.load_bundle(data, cache_dir=cache))
    same(L.load_bundle(data), L.load_bundle(data, cache_dir=cache))  # rewritten, then read


def test_no_cache_unless_asked_for(tmp_path, monkeypatch):
    """The typed tables hold personal data: no copy next to the data or anywhere else by default."""
    monkeypatch.delenv(tablecache.CACHE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    data = bundle_dir(tmp_path / "data", SOD_DATA)
    before = sorted(p for p in tmp_path.rglob("*"))
    L.load_bundle(data)
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_an_unwritable_cache_is_no_cache(tmp_path):
    data = bundle_dir(tmp_path / "data", SOD_DATA)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    same(L.load_bundle(data), L.load_bundle(data, cache_dir=blocker / "cache"))


def test_run_with_a_cache_folder(tmp_path, monkeypatch, demo_b):
    """`auditlib run --cache-dir`: the kernel writes the cache there; the second run reads it and reports the
    same findings."""
    from auditlib import cli

    monkeypatch.delenv(tablecache.CACHE_ENV, raising=False)
    params = tmp_path / "demo-b.yaml"
    params.write_text(
        f"institution_id: demo-b\ninstitution_name: B\ndata_dir: {demo_b}\n"
        "period_start: 2025-01-01\nperiod_end: 2025-12-31\nas_of: 2026-01-31\nlanguage: en\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    assert cli.main(["run", str(params), "--out", str(tmp_path / "cold"), "--cache-dir", str(cache)]) == 0
    monkeypatch.delenv(tablecache.CACHE_ENV, raising=False)
    entries = sorted(p.name for p in cache.glob("*.json"))
    assert len(entries) == len(L.load_bundle(demo_b).files)
    assert cli.main(["run", str(params), "--out", str(tmp_path / "warm"), "--cache-dir", str(cache)]) == 0
    monkeypatch.delenv(tablecache.CACHE_ENV, raising=False)
    assert sorted(p.name for p in cache.glob("*.json")) == entries
    cold = pd.read_csv(tmp_path / "cold" / "demo-b" / "2025-12-31" / "findings.csv", dtype=str)
    warm = pd.read_csv(tmp_path / "warm" / "demo-b" / "2025-12-31" / "findings.csv", dtype=str)
    pd.testing.assert_frame_equal(cold, warm)
