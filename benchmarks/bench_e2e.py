"""End to end at scale: generate demo-a with N transactions, run `auditlib run`, measure wall time, CPU time
and the peak memory of the whole process tree (CLI + kernel), and where the time went (papermill's cell
durations; the rest is kernel start, nbconvert and the manifest).

Run on demand (not in CI; 10^7 needs ~5 GB of disk for the CSV and minutes per run):

    python benchmarks/bench_e2e.py [--sizes 100000 1000000 10000000] [--modes plain cached]
                                   [--data-root /tmp/auditlib-bench] [--json results.json]

Modes:
- `plain`: `auditlib run` as an examiner runs it the first time: every CSV parsed, no cache.
- `cached`: `auditlib run --cache-dir` twice: `cold` (cache emptied: the CSV is parsed and the typed tables
  written as Parquet) and `warm` (the next audit of the same extract reads them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _measure import AUDITLIB, GIB, PARAMS, cell_durations, gib, machine, run_measured  # noqa: E402


def dataset(root: Path, n: int) -> Path:
    """`<root>/n<N>/demo-a` (generated once) and its params file."""
    from auditlib.demo import write_demo

    base = root / f"n{n}"
    data = base / "demo-a"
    if not (data / "transactions.csv").exists() and not (data / "transactions.parquet").exists():
        print(f"generating demo-a with {n:,} transactions in {base} ...", flush=True)
        write_demo(base, names=["demo-a"], transactions=n)
    params = base / "params.yaml"
    params.write_text(
        PARAMS.format(institution_id="demo-a", name="示例基金销售有限公司", data=data), encoding="utf-8"
    )
    return params


def input_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in data.iterdir() if p.is_file() and not p.name.startswith("_"))


def run_once(params: Path, mode: str, cache: Path | None, timeout: float | None, mem_cap: int | None) -> dict:
    out = Path(tempfile.mkdtemp(prefix="auditlib-bench-"))
    try:
        extra = ["--cache-dir", cache] if cache else []
        m = run_measured([AUDITLIB, "run", params, "--out", out, *extra], timeout=timeout, mem_cap=mem_cap)
        cells = []
        for nb_path in out.glob("*/*/report*.ipynb"):
            cells = cell_durations(nb_path, m)
        row = {
            "mode": mode,
            **m.row(),
            "cells": cells,
            "error": ""
            if m.returncode == 0
            else f"stopped by the benchmark above {gib(mem_cap)} GiB or {timeout:g} s"
            if m.returncode == -9
            else (m.stderr.strip().splitlines() or ["?"])[-1][:300],
        }
        return row
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    ap.add_argument(
        "--modes",
        nargs="+",
        default=["plain", "cached"],
        choices=["plain", "cached", "warm"],
        help="warm: cached with the cache as it is (a previous cached run wrote it)",
    )
    ap.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "auditlib-bench")
    ap.add_argument("--timeout", type=float, default=3600, help="kill a run after this many seconds")
    ap.add_argument(
        "--mem-cap-gib",
        type=float,
        default=16,
        help="stop a run holding more than this (the machine is shared; default 16)",
    )
    ap.add_argument("--json", type=Path, default=None, help="append the results to this JSON file")
    a = ap.parse_args()
    a.data_root.mkdir(parents=True, exist_ok=True)
    results = []
    for n in a.sizes:
        params = dataset(a.data_root, n)
        data = params.parent / "demo-a"
        size = input_bytes(data)
        for mode in a.modes:
            cache = params.parent / "cache"
            runs = {
                "plain": [("plain", None)],
                "cached": [("cached cold", cache), ("cached warm", cache)],
                "warm": [("cached warm", cache)],
            }[mode]
            for label, cache_dir in runs:
                if label == "cached cold":
                    shutil.rmtree(cache, ignore_errors=True)
                r = {
                    "transactions": n,
                    "input_bytes": size,
                    **run_once(params, label, cache_dir, a.timeout, int(a.mem_cap_gib * GIB)),
                }
                results.append(r)
                print(
                    f"{n:>11,} {label:12} rc={r['returncode']} wall {r['seconds']:7.1f}s cpu "
                    f"{r['cpu_seconds']:7.1f}s peak {gib(r['peak_rss'])} GiB load {r['load_before']:.1f} "
                    f"{r['error']}",
                    flush=True,
                )
                for src, d, peak in r["cells"]:
                    if d >= 1:
                        print(f"{'':14}{d:7.1f}s  peak {peak:5.2f} GiB  {src}", flush=True)
    if a.json:
        old = json.loads(a.json.read_text()) if a.json.exists() else []
        a.json.write_text(
            json.dumps(old + [{"bench": "e2e", "machine": machine(), "results": results}], indent=1)
        )


if __name__ == "__main__":
    main()
