"""The example DAG (examples/airflow_dag.py) in a real Airflow: `make test-airflow` (its own virtual
environment with apache-airflow; not part of `make test`).

1. The DAG imports into a DagBag with no import errors, with its three tasks, and `audit_month` maps logical
   dates to the month before (in Beijing time).
2. `airflow dags test auditlib_monthly_batch 2026-12-05` on a throwaway AUDITLIB_HOME holding params for
   two months (`params/2026-11/`, `params/2026-12/`, one small institution each): every task succeeds and
   the batch audited November's institution, not December's.

    .venv-airflow/bin/python tests/airflow/check_dag.py --auditlib .venv/bin/auditlib
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "examples" / "airflow_dag.py"
DAG_ID = "auditlib_monthly_batch"
PARAMS = """institution_id: {iid}
institution_name: 示例基金销售有限公司
data_dir: ../../data/demo-b
period_start: 2025-01-01
period_end: 2025-12-31
as_of: 2026-01-31
rules: [SOD]
"""


def check(cond: bool, what: str) -> None:
    if not cond:
        sys.exit(f"test-airflow: FAIL: {what}")
    print(f"test-airflow: ok: {what}", flush=True)


def home(root: Path, auditlib: Path) -> Path:
    """An AUDITLIB_HOME like a checkout: .venv/bin/auditlib, data/, params/<month>/."""
    h = root / "home"
    (h / ".venv" / "bin").mkdir(parents=True)
    (h / ".venv" / "bin" / "auditlib").symlink_to(auditlib)
    subprocess.run(
        [auditlib, "demo", "--out", h / "data", "--only", "demo-b", "--transactions", "1500"], check=True
    )
    for month, iid in (("2026-11", "nov-inst"), ("2026-12", "dec-inst")):
        (h / "params" / month).mkdir(parents=True)
        (h / "params" / month / f"{iid}.yaml").write_text(PARAMS.format(iid=iid), encoding="utf-8")
    return h


def dagbag(dags: Path):
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=str(dags))
    check(not bag.import_errors, f"the DAG imports without errors {dict(bag.import_errors)}")
    dag = bag.dags.get(DAG_ID)  # as parsed (get_dag would look in the metadata database)
    check(dag is not None, f"{DAG_ID} is in the DagBag")
    check({t.task_id for t in dag.tasks} == {"check_params", "audit_batch", "verify_outputs"}, "three tasks")
    sys.path.insert(0, str(dags))
    from airflow_dag import audit_month

    utc = UTC
    cases = {
        datetime(2026, 12, 5, tzinfo=utc): "2026-11",
        datetime(2026, 1, 5, tzinfo=utc): "2025-12",
        datetime(2026, 3, 4, 18, 0, tzinfo=utc): "2026-02",  # 02:00 on 5 March in Beijing
        datetime(2026, 2, 28, 17, 0, tzinfo=utc): "2026-02",  # already 1 March in Beijing
    }
    got = {d: audit_month(d) for d in cases}
    check(got == cases, f"audit_month: the month before the logical date, in Beijing time {got}")


def dags_test(root: Path, env: dict) -> None:
    airflow = Path(sys.executable).parent / "airflow"
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    p = subprocess.run(
        [airflow, "dags", "test", DAG_ID, "2026-12-05"], env=env, capture_output=True, text=True
    )
    log = p.stdout + p.stderr
    (root / "dags_test.log").write_text(log, encoding="utf-8")
    check(
        p.returncode == 0, f"`airflow dags test {DAG_ID} 2026-12-05` succeeds (log: {root / 'dags_test.log'})"
    )
    check(log.count("new_state=success") == 3, "the three tasks succeeded")
    check(
        re.search(r"Marking run <DagRun auditlib_monthly_batch @ 2026-12-05.*> successful", log) is not None,
        "the run succeeded",
    )
    out = Path(env["AUDITLIB_HOME"]) / "outputs"
    rows = list(csv.DictReader((out / "batch_summary.csv").open(encoding="utf-8-sig")))
    check(
        [(r["institution_id"], r["status"]) for r in rows] == [("nov-inst", "ok")],
        f"November audited: {rows}",
    )
    check((out / "nov-inst" / "2025-12-31" / "manifest.json").is_file(), "November's output is complete")
    check(not (out / "dec-inst").exists(), "December's params were not audited")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--auditlib", type=Path, required=True, help="the auditlib command of the checkout")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="auditlib-airflow-"))
    try:
        dags = root / "dags"
        dags.mkdir()
        shutil.copy(DAG_FILE, dags / "airflow_dag.py")
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(root / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AUDITLIB_HOME": str(home(root, a.auditlib.resolve())),
        }
        os.environ.update(env)  # the DagBag below reads the same configuration
        dagbag(dags)
        dags_test(root, env)
        print("test-airflow: passed", flush=True)
    finally:
        if a.keep:
            print(f"test-airflow: kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
