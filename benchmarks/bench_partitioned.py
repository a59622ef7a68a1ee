"""The partitioned audit at scale (issue 18): peak memory of the whole process tree, time, the speed-up on a
LocalCluster of 2 workers, and the disk the partitions take. On demand, not in CI:

    python benchmarks/bench_partitioned.py [--sizes 10000000 50000000]
        [--engines memory partitioned cluster] [--data-root /tmp/auditlib-bench] [--cache-dir DIR]
        [--json out.json]

Each measurement is one child process (measured with its whole tree, workers included) that loads the
bundle, runs every rule and writes findings.csv and rule_summary.csv: the audit's core, whose memory the
engine decides (the report's sections aggregate per bucket with the rules' keys: docs/partitioned.md).
10^7 comes from the demo generator (demo-a); a larger size repeats its big tables (transactions, operations,
the transactions' archive records, fund transfers) with the ids of every further copy prefixed (`R1-...`:
`COPY_AWK`), so that the copies are new business of the same customers; the customers, products and other
tables stay those of 10^7.
Partitions are written in a temporary folder and removed, unless --cache-dir keeps them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _measure import GIB, PARAMS, PY, gib, machine, run_measured  # noqa: E402

BASE = 10_000_000  # generated; larger sizes repeat its transactions (--base to change)


def base_dataset(root: Path, n: int) -> Path:
    from auditlib.demo import write_demo

    data = root / f"n{n}" / "demo-a"
    if not (data / "transactions.csv").exists():
        print(f"generating demo-a with {n:,} transactions ...", flush=True)
        write_demo(root / f"n{n}", names=["demo-a"], transactions=n)
    return data


#: how a further copy k of each big table is written (awk over the base's CSV, "Rk-" before the ids that make
#: it a new business event): the copies are new transactions with their own operations, transfers and archive
#: records, by the same customers; small tables stay those of the base (no field of these tables is quoted)
COPY_AWK = {
    "transactions": "NR>1{$1=p $1; print}",  # txn_id
    "operations": 'NR>1{$1=p $1; if ($NF!="") $NF=p $NF; print}',  # op_id, ref_id (the business item)
    "archive_records": 'NR>1 && $2=="transaction"{$1=p $1; $3=p $3; print}',  # record_id, subject_id
    "fund_transfers": 'NR>1{$1=p $1; if ($3!="") $3=p $3; print}',  # transfer_id, txn_id
}


def scaled_dataset(root: Path, n: int, generated: int = BASE) -> Path:
    """demo-a at `n` transactions: generated up to `generated`, else its big tables repeated (`COPY_AWK`)."""
    import subprocess

    if n <= generated:
        return base_dataset(root, n)
    base = base_dataset(root, generated)
    data = root / f"n{n}" / "demo-a"
    if all((data / f"{t}.csv").exists() for t in COPY_AWK):
        return data
    data.mkdir(parents=True, exist_ok=True)
    for f in base.iterdir():
        if f.name.removesuffix(".csv") not in COPY_AWK and not (data / f.name).exists():
            (data / f.name).symlink_to(f)
    copies = -(-n // generated)
    for table, program in COPY_AWK.items():
        print(f"writing {copies} copies of {base / table}.csv ...", flush=True)
        tmp = data / f"{table}.csv.part"
        with open(tmp, "wb") as out:
            subprocess.run(["cat", base / f"{table}.csv"], stdout=out, check=True)
            for k in range(1, copies):
                awk = ["awk", "-F,", "-v", "OFS=,", "-v", f"p=R{k}-", program, base / f"{table}.csv"]
                subprocess.run([str(a) for a in awk], stdout=out, check=True)
        tmp.replace(data / f"{table}.csv")
    return data


def core(params_path: str, engine: str, workers: int) -> None:
    """The measured child: load, run every rule, write the two CSV files; prints one JSON line."""
    import os

    from auditlib import partition
    from auditlib.engine import run_audit
    from auditlib.params import parse_params, read_params_file
    from auditlib.report.files import write_tables

    os.environ[partition.ENGINE_ENV] = "memory" if engine == "memory" else "partitioned"
    scheduler, cluster = None, None
    if engine == "cluster":
        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        )
        scheduler = cluster.scheduler_address
    rule_seconds = _time_rules() if engine != "cluster" else {}
    t0 = time.monotonic()
    params = parse_params(read_params_file(params_path))
    bundle = partition.open_bundle(params, params.data_dir, scheduler=scheduler)
    t1 = time.monotonic()
    result = run_audit(params, bundle)
    t2 = time.monotonic()
    out = Path(tempfile.mkdtemp(prefix="auditlib-bench-part-"))
    write_tables(result, out)
    info = dict(getattr(bundle, "engine_info", {}))
    info.update(load_s=round(t1 - t0, 1), rules_s=round(t2 - t1, 1), findings=len(result.findings))
    info["load_steps"] = getattr(bundle, "timings", {})
    if rule_seconds:  # the slowest rules, their seconds summed over the buckets
        top = sorted(rule_seconds.items(), key=lambda kv: -kv[1])[:15]
        info["rule_seconds"] = {k: round(v, 1) for k, v in top}
    info["findings_sha"] = __import__("hashlib").sha256((out / "findings.csv").read_bytes()).hexdigest()[:16]
    shutil.rmtree(out)
    print(json.dumps(info, default=str), flush=True)
    if cluster is not None:
        cluster.close()


def _time_rules() -> dict[str, float]:
    """Each rule's body and aggregates timed wherever they run in this process (seconds, summed)."""
    import dataclasses
    import functools

    from auditlib.rules import REGISTRY

    seconds: dict[str, float] = {}

    def timed(code, func):
        @functools.wraps(func)  # an aggregate is known by its function's name
        def run(ctx):
            t = time.monotonic()
            try:
                return func(ctx)
            finally:
                seconds[code] = seconds.get(code, 0.0) + time.monotonic() - t

        return run

    for code, r in list(REGISTRY.items()):
        aggregates = tuple(dataclasses.replace(a, func=timed(code, a.func)) for a in r.aggregates)
        REGISTRY[code] = dataclasses.replace(r, func=timed(code, r.func), aggregates=aggregates)
    return seconds


def measure(params: Path, engine: str, workers: int, cache_dir: str | None, timeout: float, cap: int) -> dict:
    env = {"AUDITLIB_CACHE_DIR": cache_dir} if cache_dir else {"AUDITLIB_CACHE_DIR": ""}
    cmd = [PY, __file__, "--core", params, "--engine", engine, "--workers", workers]
    m = run_measured(cmd, env=env, timeout=timeout, mem_cap=cap)
    row = {"engine": engine, **m.row(), "peak_gib": gib(m.peak_rss)}
    lines = [ln for ln in m.stdout.splitlines() if ln.startswith("{")]
    if lines:
        row.update(json.loads(lines[-1]))
    if m.returncode:
        row["stderr"] = m.stderr[-2000:]
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--core", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="partitioned")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[BASE, 5 * BASE])
    ap.add_argument("--engines", nargs="+", default=["memory", "partitioned", "cluster"])
    ap.add_argument("--data-root", default="/tmp/auditlib-bench")
    ap.add_argument("--cache-dir", default=None, help="keep the partitions here (default: removed)")
    ap.add_argument("--timeout", type=float, default=7200)
    ap.add_argument("--mem-cap-gib", type=float, default=14)
    ap.add_argument("--json", default=None)
    ap.add_argument("--base", type=int, default=BASE, help="the generated size larger ones repeat")
    ap.add_argument("--bucket-rows", type=int, default=None, help="rows per bucket (default: the kit's)")
    a = ap.parse_args()
    if a.core:
        core(a.core, a.engine, a.workers)
        return
    if a.bucket_rows:
        import os

        os.environ["AUDITLIB_PARTITION_BUCKET_ROWS"] = str(a.bucket_rows)
    root = Path(a.data_root)
    rows = []
    for n in a.sizes:
        data = scaled_dataset(root, n, a.base)
        params = root / f"n{n}" / "params.yaml"
        params.write_text(
            PARAMS.format(institution_id="demo-a", name="示例基金销售有限公司", data=data), encoding="utf-8"
        )
        for engine in a.engines:
            if engine == "memory" and n > 30_000_000:
                continue  # beyond the in-memory ceiling of this machine (issue 18)
            row = {
                "transactions": n,
                **measure(params, engine, a.workers, a.cache_dir, a.timeout, int(a.mem_cap_gib * GIB)),
            }
            rows.append(row)
            print(json.dumps(row, default=str), flush=True)
            if a.json:
                Path(a.json).write_text(
                    json.dumps({"machine": machine(), "runs": rows}, indent=1, default=str), encoding="utf-8"
                )


if __name__ == "__main__":
    main()
