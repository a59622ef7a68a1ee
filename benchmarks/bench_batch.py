"""A batch of 20 small institutions with 1 and 2 workers (`auditlib batch --workers N`).

The 20 institutions are the small demo institution (demo-b's data, generated into data/ if missing) under
20 ids; each has its own output folder, like 20 small fund sales companies.

    python benchmarks/bench_batch.py [--institutions 20] [--workers 1 2] [--scheduler] [--json results.json]

`--scheduler` also runs the batch on a local Dask cluster (2 single-thread worker processes on loopback).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import AUDITLIB, PARAMS, ROOT, gib, machine, run_measured  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--institutions", type=int, default=20)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--scheduler", action="store_true", help="also on a local Dask cluster of 2 workers")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    data = ROOT / "data" / "demo-b"
    if not data.is_dir():
        from auditlib.demo import write_demo

        write_demo(ROOT / "data", names=["demo-b"])
    tmp = Path(tempfile.mkdtemp(prefix="auditlib-bench-batch-"))
    rows = []
    try:
        pdir = tmp / "params"
        pdir.mkdir()
        for i in range(1, a.institutions + 1):
            (pdir / f"small-{i:02d}.yaml").write_text(
                PARAMS.format(institution_id=f"small-{i:02d}", name=f"小型基金销售机构{i:02d}", data=data),
                encoding="utf-8",
            )
        runs = [(f"{w} worker{'s' if w > 1 else ''}", ["--workers", str(w)]) for w in a.workers]
        cluster = None
        if a.scheduler:
            from distributed import LocalCluster

            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            )
            runs.append(("dask, 2 workers", ["--scheduler", cluster.scheduler_address]))
        for label, extra in runs:
            out = tmp / f"out-{len(rows)}"
            m = run_measured([AUDITLIB, "batch", pdir, "--out", out, *extra])
            ok = sum(
                1
                for line in (out / "batch_summary.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
                if ",ok," in line
            )
            rows.append(
                {"run": label, **m.row(), "ok": ok, "per_institution": round(m.seconds / a.institutions, 2)}
            )
            print(
                f"{label:16} wall {m.seconds:7.1f}s  cpu {m.cpu_seconds:7.1f}s  peak {gib(m.peak_rss)} GiB  "
                f"ok {ok}/{a.institutions}  load {m.load_before:.1f}",
                flush=True,
            )
        if cluster is not None:
            cluster.close()
        if len(rows) >= 2:
            print(f"2 workers / 1 worker = {rows[1]['seconds'] / rows[0]['seconds']:.2f}x the time")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        old = json.loads(a.json.read_text()) if a.json.exists() else []
        a.json.write_text(
            json.dumps(old + [{"bench": "batch", "machine": machine(), "results": rows}], indent=1)
        )


if __name__ == "__main__":
    main()
