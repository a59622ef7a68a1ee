"""What the 15 rules of catalogue v2 add to an audit: the same `auditlib run` of one extract with all 53 rules
and with the 38 of v1, alternated in one benchmark run (issue 13: at 10^7 transactions at most +15 % wall
time and +0.5 GiB peak memory of the process tree).

Run on demand (not in CI; 10^7 needs ~5 GB of disk and minutes per run):

    python benchmarks/bench_v2.py [--transactions 1000000] [--profile demo-a] [--repeat 2]
                                  [--data-root /tmp/auditlib-bench] [--json benchmarks/results.json]

The extract is a demo institution generated at N transactions (`write_demo`; demo-a hands over every v2
table and column, so every v2 rule runs); the params are the demo's own (overrides such as ABN-009's special
accounts, mitigations), with `rules:` the 53 codes or the 38 of v1. The runs alternate (v1, v2, v1, v2, ...)
so that a change in the machine's load falls on both; each row gives the load average at its start. The
comparison uses the median of each side; CPU seconds (user + system of the tree) are given beside wall
time because on a shared machine wall time stretches with other jobs and CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _measure import AUDITLIB, GIB, ROOT, cell_durations, gib, machine, run_measured  # noqa: E402

#: the rules added by catalogue v2 (rules.md "v2 rules")
V2_RULES = (
    "SOD-008",
    "SOD-009",
    "SUIT-005",
    "SUIT-006",
    "ABN-009",
    "RET-007",
    "CMP-011",
    "CMP-012",
    "STAFF-003",
    "ACC-001",
    "ACC-002",
    "ACC-003",
    "INFO-001",
    "INFO-002",
    "FEE-001",
)


def dataset(root: Path, profile: str, n: int) -> tuple[Path, Path]:
    """`<root>/<profile>-n<N>/<profile>` (generated once) and the params of the two runs."""
    from auditlib.rules import REGISTRY

    base = root / f"{profile}-n{n}"
    data = base / profile
    if not (data / "_expected_findings.csv").exists():
        print(f"generating {profile} with {n:,} transactions in {base} ...", flush=True)
        # in a child process: at 10^7 the generator holds ~4 GB this driver must not keep during the runs
        cmd = [AUDITLIB, "demo", "--out", base, "--only", profile, "--transactions", n]
        subprocess.run([str(c) for c in cmd], check=True)
    demo = yaml.safe_load((ROOT / "params" / f"{profile}.yaml").read_text(encoding="utf-8"))
    demo["data_dir"] = str(data)
    # the checklist and the institution's answers belong to the demo's own size (paths beside its params, finding
    # ids of its findings): not a cost of the rules
    demo.pop("attestations", None)
    demo.pop("responses", None)
    v1 = [c for c in REGISTRY if c not in V2_RULES]
    out = []
    for name, rules in (("v1", v1), ("v2", "all")):
        p = base / f"params-{name}.yaml"
        p.write_text(yaml.safe_dump({**demo, "rules": rules}, allow_unicode=True), encoding="utf-8")
        out.append(p)
    return out[0], out[1]


def run_once(params: Path, timeout: float, mem_cap: int) -> dict:
    out = Path(tempfile.mkdtemp(prefix="auditlib-bench-v2-"))
    try:
        m = run_measured([AUDITLIB, "run", params, "--out", out], timeout=timeout, mem_cap=mem_cap)
        cells = []
        for nb_path in out.glob("*/*/report*.ipynb"):
            cells = cell_durations(nb_path, m)
        error = ""
        if m.returncode == -9:
            error = f"stopped by the benchmark above {gib(mem_cap)} GiB or {timeout:g} s"
        elif m.returncode:
            error = (m.stderr.strip().splitlines() or ["?"])[-1][:300]
        return {**m.row(), "cells": cells, "error": error}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def compare(rows: list[dict]) -> dict:
    """Median of each side and what v2 adds (wall and CPU in %, peak in GiB)."""
    ok = [r for r in rows if r["returncode"] == 0]
    side = {
        k: {
            key: statistics.median(r[key] for r in ok if r["rules"] == k)
            for key in ("seconds", "cpu_seconds", "peak_rss")
        }
        for k in ("v1", "v2")
        if any(r["rules"] == k for r in ok)
    }
    if len(side) < 2:
        return {}
    v1, v2 = side["v1"], side["v2"]
    return {
        "v1": v1,
        "v2": v2,
        "wall_added_pct": round(100 * (v2["seconds"] / v1["seconds"] - 1), 1),
        "cpu_added_pct": round(100 * (v2["cpu_seconds"] / v1["cpu_seconds"] - 1), 1),
        "peak_added_gib": round((v2["peak_rss"] - v1["peak_rss"]) / GIB, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transactions", type=int, default=1_000_000)
    ap.add_argument("--profile", default="demo-a", choices=["demo-a", "demo-b", "demo-c"])
    ap.add_argument("--repeat", type=int, default=2, help="pairs of runs (v1 then v2), alternated")
    ap.add_argument("--data-root", type=Path, default=Path(tempfile.gettempdir()) / "auditlib-bench")
    ap.add_argument("--timeout", type=float, default=3600, help="kill a run after this many seconds")
    ap.add_argument("--mem-cap-gib", type=float, default=16, help="stop a run holding more than this")
    ap.add_argument("--json", type=Path, default=None, help="append the results to this JSON file")
    a = ap.parse_args()
    a.data_root.mkdir(parents=True, exist_ok=True)
    p_v1, p_v2 = dataset(a.data_root, a.profile, a.transactions)
    rows = []
    for i in range(a.repeat):
        for label, params in (("v1", p_v1), ("v2", p_v2)):
            r = {"rules": label, "round": i + 1, **run_once(params, a.timeout, int(a.mem_cap_gib * GIB))}
            rows.append(r)
            print(
                f"{a.transactions:>11,} {label} #{i + 1} rc={r['returncode']} wall {r['seconds']:7.1f}s "
                f"cpu {r['cpu_seconds']:7.1f}s peak {gib(r['peak_rss'])} GiB load {r['load_before']:.1f} "
                f"{r['error']}",
                flush=True,
            )
            for src, d, peak in r["cells"]:
                if d >= 1:
                    print(f"{'':16}{d:7.1f}s  peak {peak:5.2f} GiB  {src}", flush=True)
    c = compare(rows)
    if c:
        print(
            f"v2 adds: wall {c['wall_added_pct']:+.1f} %, CPU {c['cpu_added_pct']:+.1f} %, "
            f"peak {c['peak_added_gib']:+.2f} GiB (medians of {a.repeat} runs each)",
            flush=True,
        )
    if a.json:
        old = json.loads(a.json.read_text()) if a.json.exists() else []
        entry = {
            "bench": "v2",
            "machine": machine(),
            "profile": a.profile,
            "transactions": a.transactions,
            "results": rows,
            "comparison": c,
        }
        a.json.write_text(json.dumps(old + [entry], indent=1))


if __name__ == "__main__":
    main()
