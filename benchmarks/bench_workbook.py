"""Benchmark writing the working papers (findings.xlsx) after an audit: the largest demo institution and a
synthetic institution of N transactions (targets: demo < 3 s, 10^7 transactions < 60 s).

Run on demand (not part of the test suite):

    python benchmarks/bench_workbook.py [--demo DATA_DIR] [--rows 1000000 10000000] [--json FILE]

The audit itself (load + rules) is not timed here; measured are the two steps `Audit.write_outputs` adds on
top of it for the workbook: drawing the audit samples (they scan each rule's scope in the full tables) and
writing the workbook (a sheet per tested rule and per sample, findings with their evidence values). The
demo data is generated into a temporary folder unless `--demo` names one (the folder holding demo-c/). The
scaled institution is demo-a generated with N transactions (`write_demo(transactions=N)`, as bench_e2e.py:
the tables grow, the planted findings stay few), audited with params/demo-a.yaml.
Wall and CPU seconds are printed (CPU shows the cost on a shared machine) and appended to `--json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import AUDITLIB, ROOT  # noqa: E402


def timed(step):
    t, c = time.perf_counter(), time.process_time()
    out = step()
    return out, time.perf_counter() - t, time.process_time() - c


def write(result, folder: Path, size: int) -> dict:
    from auditlib.report.sample import samples
    from auditlib.report.workbook import write_workbook

    drawn, s_wall, s_cpu = timed(lambda: samples(result, size))
    path, w_wall, w_cpu = timed(lambda: write_workbook(result, folder / "findings.xlsx", samples=drawn))
    return {
        "findings": int(len(result.findings)),
        "sheets": 1 + 1 + 1 + 2 * int(result.summary["tested"].sum()) + 1,
        "samples_s": round(s_wall, 2),
        "samples_cpu_s": round(s_cpu, 2),
        "workbook_s": round(w_wall, 2),
        "workbook_cpu_s": round(w_cpu, 2),
        "total_s": round(s_wall + w_wall, 2),
        "bytes": path.stat().st_size,
    }


def audited(name: str, data: Path):
    """The audit of a generated demo institution with its own params file (overrides, mitigations)."""
    from auditlib.engine import run_audit
    from auditlib.load import load_bundle
    from auditlib.params import parse_params, read_params_file

    raw = read_params_file(ROOT / "params" / f"{name}.yaml")
    params = parse_params({**raw, "data_dir": str(data / name)})
    (result, wall, _) = timed(lambda: run_audit(params, load_bundle(data / name, as_of=params.as_of)))
    return result, params, wall


def demo(data: Path | None, tmp: Path) -> dict:
    if data is None:
        data = tmp / "data"
        subprocess.run([AUDITLIB, "demo", "--out", str(data)], check=True, capture_output=True)
    result, params, _ = audited("demo-c", data)
    return {"case": "demo-c", **write(result, tmp, params.sample_size)}


def scaled(n: int, tmp: Path, keep: Path | None) -> dict:
    """demo-a generated with n transactions (its planted findings stay few; the tables grow)."""
    from auditlib.demo import write_demo

    data = keep or tmp / f"n{n}"
    if not (data / "demo-a").is_dir():
        write_demo(data, names=["demo-a"], transactions=n)
    result, params, wall = audited("demo-a", data)
    return {
        "case": f"demo-a, {n:,} transactions",
        "audit_s": round(wall, 1),
        **write(result, tmp, params.sample_size),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path, help="folder holding the generated demo-c/ (default: generate)")
    ap.add_argument("--rows", type=int, nargs="*", default=[1_000_000])
    ap.add_argument("--keep", type=Path, help="generate the scaled data here (and reuse it next time)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows.append(demo(a.demo, tmp))
        print(rows[-1], flush=True)
        for n in a.rows:
            rows.append(scaled(n, tmp, a.keep / f"n{n}" if a.keep else None))
            print(rows[-1], flush=True)
    if a.json:
        done = json.loads(a.json.read_text(encoding="utf-8")) if a.json.is_file() else []
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        done.append({"bench": "workbook", "at": stamp, "python": platform.python_version(), "results": rows})
        a.json.write_text(json.dumps(done, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
