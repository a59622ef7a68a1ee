"""The big-institution prototypes give the same results as the package: auditlib.fastread.load_bundle (Parquet
cache, one raw table at a time) against auditlib.load.load_bundle, and auditlib.perf's pyarrow `isin`
against pandas' own."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest
from helpers import SOD_DATA, bundle_dir

from auditlib import fastread, perf
from auditlib import load as L


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
    cold = fastread.load_bundle(demo_b, as_of="2026-01-31", cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == len(reference.files)
    warm = fastread.load_bundle(demo_b, as_of="2026-01-31", cache_dir=cache)
    same(reference, cold)
    same(reference, warm)
    # as_of-dependent warnings are computed per run, not cached
    same(L.load_bundle(demo_b, as_of="2025-03-01"), fastread.load_bundle(demo_b, as_of="2025-03-01", cache_dir=cache))


BAD = {
    **SOD_DATA,
    "customers": "customer_id,name,open_date\n0001,李四,2020-01-01\n0002,王五,2020-13-01\n0001,重复,2020-01-01\n"
                 "0003,赵六,2020-01-01,extra\n",
    "transactions": "txn_id,customer_id,product_code,business_code,applied_at,trade_date,status\n"
                    "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed\n"
                    "T2,0009,000001,022,not a time,2025-01-02,confirmed\n"
                    "T3,0001,000001,022,2025-01-02 10:00+08:00,2025-01-02,weird\n",
}


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_quarantine_and_warnings_identical(tmp_path, encoding):
    data = bundle_dir(tmp_path / "data", BAD, encoding=encoding)
    reference = L.load_bundle(data, as_of="2026-01-31")
    assert len(reference.quality) > 3
    for _ in range(2):  # cold, then warm
        same(reference, fastread.load_bundle(data, as_of="2026-01-31"))
    assert (data / fastread.CACHE_DIRNAME).is_dir(), "default place: in the data folder"


def test_contract_errors_identical(tmp_path):
    data = bundle_dir(tmp_path / "data", {"staff": "staff_id\n001\n", "complaints": "a;b;c\n1;2;3\n"},
                      drop=("customers",))
    with pytest.raises(L.DataContractError) as ref:
        L.load_bundle(data)
    with pytest.raises(L.DataContractError) as fast:
        fastread.load_bundle(data)
    assert fast.value.problems == ref.value.problems
    assert not list(data.glob(f"{fastread.CACHE_DIRNAME}/*")), "nothing typed, nothing cached"


def test_a_changed_file_is_read_again_and_its_old_entry_removed(tmp_path):
    data = bundle_dir(tmp_path / "data", SOD_DATA)
    fastread.load_bundle(data)
    before = {p.name for p in (data / fastread.CACHE_DIRNAME).glob("staff-*.json")}
    (data / "staff.csv").write_text("staff_id,name,leave_date\n001,张三,\n004,新人,\n", encoding="utf-8")
    b = fastread.load_bundle(data)
    assert b.tables["staff"]["staff_id"].tolist() == ["001", "004"]
    same(L.load_bundle(data), b)
    after = {p.name for p in (data / fastread.CACHE_DIRNAME).glob("staff-*.json")}
    assert len(after) == 1 and after != before


def test_a_damaged_cache_entry_is_ignored(tmp_path):
    data = bundle_dir(tmp_path / "data", SOD_DATA)
    fastread.load_bundle(data)
    for p in (data / fastread.CACHE_DIRNAME).glob("*.typed.parquet"):
        p.write_bytes(b"PAR1 not really")
    same(L.load_bundle(data), fastread.load_bundle(data))


def test_no_cache_when_switched_off_or_the_data_folder_is_read_only(tmp_path, monkeypatch):
    data = bundle_dir(tmp_path / "data", SOD_DATA)
    monkeypatch.setenv(fastread.SWITCH_ENV, "off")
    same(L.load_bundle(data), fastread.load_bundle(data))
    assert not (data / fastread.CACHE_DIRNAME).exists()
    monkeypatch.delenv(fastread.SWITCH_ENV)
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    data.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        same(L.load_bundle(data), fastread.load_bundle(data))
        assert not (data / fastread.CACHE_DIRNAME).exists()
    finally:
        data.chmod(stat.S_IRWXU)


def test_cache_dir_from_the_environment(tmp_path, monkeypatch):
    data = bundle_dir(tmp_path / "data", SOD_DATA)
    monkeypatch.setenv(fastread.CACHE_ENV, str(tmp_path / "shared-cache"))
    fastread.load_bundle(data)
    assert list((tmp_path / "shared-cache").glob("staff-*.json"))
    assert not (data / fastread.CACHE_DIRNAME).exists()


# ---------------------------------------------------------------- perf: isin

def _strings(rng, n, with_missing=True):
    values = pd.Series(np.char.add("K", rng.integers(0, n, n).astype(str)), dtype="str")
    if with_missing:
        values[rng.random(n) < 0.1] = None
    return values


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]"])
def test_fast_isin_equals_pandas(dtype):
    rng = np.random.default_rng(3)
    values = _strings(rng, 2000).astype(dtype)
    refs = _strings(rng, 500)
    cases = [refs, refs.astype(dtype), set(refs.dropna()), list(refs), refs.to_numpy(), pd.Index(refs.dropna()),
             [], [None], ["K1", np.nan], [1, 2, "K3"], [1.5], {"K7": 1}, refs.astype(object), ("K1", "K2")]
    expected = [values.isin(c).to_numpy() for c in cases]
    assert perf.install()
    try:
        for c, e in zip(cases, expected, strict=True):
            np.testing.assert_array_equal(values.isin(c).to_numpy(), e, err_msg=repr(c)[:80])
    finally:
        perf.uninstall()


def test_findings_identical_with_the_hooks(demo_b):
    from auditlib.engine import run_audit
    from auditlib.params import load_params

    params_file = demo_b.parent / "demo-b.yaml"
    params_file.write_text(f"institution_id: demo-b\ninstitution_name: B\ndata_dir: {demo_b}\n"
                           "period_start: 2025-01-01\nperiod_end: 2025-12-31\nas_of: 2026-01-31\n", encoding="utf-8")
    params = load_params(params_file)
    plain = run_audit(params, L.load_bundle(demo_b))
    perf.install()
    try:
        hooked = run_audit(params, fastread.load_bundle(demo_b, cache_dir=None))
    finally:
        perf.uninstall()
    pd.testing.assert_frame_equal(plain.findings, hooked.findings)
    pd.testing.assert_frame_equal(plain.summary, hooked.summary)
