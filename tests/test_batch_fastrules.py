"""auditlib.fastrules (lean SOD-005/006/007 and RET-001/002 for big institutions) finds exactly what the
rules in auditlib/rules/ find: on the rules' fixture cases, on random bundles built to hit every SOD branch
(open and closed role intervals, leavers, unknown operators, self-review, checks outside the period, view
actions), and on a demo institution (which has planted RET disposals)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditlib import fastrules
from auditlib.engine import run_rule
from auditlib.fixtures import case_bundle, load_fixture, run_case
from auditlib.params import parse_params
from auditlib.rules import REGISTRY

CODES = ("SOD-005", "SOD-006", "SOD-007", "RET-001", "RET-002")
FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def both(run):
    """The result of `run()` with the package's rules, then with the lean ones."""
    fastrules.uninstall()
    plain = run()
    fastrules.install()
    try:
        fast = run()
    finally:
        fastrules.uninstall()
    return plain, fast


def assert_same(plain, fast):
    (row_a, frame_a), (row_b, frame_b) = plain, fast
    assert row_a == row_b or (row_a["status"] == row_b["status"] and
                              {k: v for k, v in row_a.items() if k != "exception_rate"} ==
                              {k: v for k, v in row_b.items() if k != "exception_rate"})
    if frame_a is None:
        assert frame_b is None
        return
    pd.testing.assert_frame_equal(frame_a, frame_b[frame_a.columns], check_dtype=False)


@pytest.mark.parametrize("code", CODES)
def test_fixture_cases(code):
    for case in load_fixture(FIXTURES / f"{code}.yaml")["cases"]:
        assert_same(*both(lambda case=case: run_case(code, case)))


def random_bundle(seed: int, n_ops: int = 3000):
    rng = np.random.default_rng(seed)
    roles = ["counter", "info_processing", "fund_processing", "complaint_handling", "it_dev", "it_ops", "promotion"]
    btypes = ["account_open", "account_close", "info_change", "bank_account_change", "subscription", "purchase",
              "redemption", "conversion", "fund_transfer", "complaint"]
    staff = [f"{i:03d}" for i in range(40)]
    day = pd.Timestamp("2024-12-01")
    staff_rows = [{"staff_id": s, "name": f"员工{s}",
                   "leave_date": (day + pd.Timedelta(days=int(rng.integers(0, 420)))).date() if rng.random() < .2
                   else None} for s in staff]
    role_rows = []
    for s in staff:
        for _ in range(int(rng.integers(0, 4))):
            start = day + pd.Timedelta(days=int(rng.integers(-300, 400)))
            end = start + pd.Timedelta(days=int(rng.integers(0, 200))) if rng.random() < .5 else None
            role_rows.append({"staff_id": s, "role": str(rng.choice(roles)), "start_date": start.date(),
                              "end_date": end.date() if end is not None else None})
    ops = []
    for i in range(n_ops):
        ts = day + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 420)))
        ops.append({"op_id": f"OP{i:06d}", "ts": ts.to_pydatetime(),
                    "staff_id": str(rng.choice(staff + ["999"])),  # 999: an operator not in staff
                    "action": str(rng.choice(["enter", "review", "approve", "view"], p=[.45, .3, .15, .1])),
                    "business_type": str(rng.choice(btypes)), "ref_id": f"R{int(rng.integers(0, n_ops // 3)):05d}"})
    return case_bundle({"staff": staff_rows, "staff_roles": role_rows, "operations": ops})


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_bundles(seed):
    bundle = random_bundle(seed)
    params = parse_params({"institution_id": "x", "institution_name": "x", "data_dir": ".",
                           "period_start": "2025-01-01", "period_end": "2025-12-31", "as_of": "2026-01-31"}, "test")
    for code in CODES[:3]:
        plain, fast = both(lambda code=code: run_rule(REGISTRY[code], params, bundle))
        assert plain[0]["status"] == "exceptions", (code, plain[0])
        assert_same(plain, fast)


def test_a_demo_institution(tmp_path):
    from auditlib import load
    from auditlib.demo import write_demo

    (folder,) = write_demo(tmp_path, names=["demo-b"])
    bundle = load.load_bundle(folder)
    params = parse_params({"institution_id": "demo-b", "institution_name": "x", "data_dir": str(folder),
                           "period_start": "2025-01-01", "period_end": "2025-12-31", "as_of": "2026-01-31"}, "test")
    for code in CODES:
        assert_same(*both(lambda code=code: run_rule(REGISTRY[code], params, bundle)))


def test_install_keeps_the_declaration():
    doc = REGISTRY["SOD-007"].doc
    fastrules.install()
    try:
        assert REGISTRY["SOD-007"].func is fastrules.sod_007 and REGISTRY["SOD-007"].doc == doc
        assert REGISTRY["SOD-007"].params == REGISTRY["SOD-007"].params
    finally:
        fastrules.uninstall()
    assert REGISTRY["SOD-007"].func is not fastrules.sod_007


def test_chunked_operations_same_result(monkeypatch):
    bundle = random_bundle(5, n_ops=800)
    params = parse_params({"institution_id": "x", "institution_name": "x", "data_dir": ".",
                           "period_start": "2025-01-01", "period_end": "2025-12-31", "as_of": "2026-01-31"}, "test")
    monkeypatch.setattr(fastrules, "CHUNK", 37)
    for code in ("SOD-005", "SOD-007"):
        assert_same(*both(lambda code=code: run_rule(REGISTRY[code], params, bundle)))
