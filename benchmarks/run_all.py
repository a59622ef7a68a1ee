"""Run the end-to-end benchmarks (`make bench`): the empty-notebook overhead and the demo audits, a batch of
20 small institutions with 1 and 2 workers, the audit at 10^5 and 10^6 transactions (add --big for
10^7: ~5 GB of CSV, minutes per run), and the same audit at the largest size with and without the 15 rules
of catalogue v2. Results are appended to benchmarks/results.json; docs/performance.md
has the tables and what they mean.

    python benchmarks/run_all.py [--big] [--json benchmarks/results.json]

The rule-family benchmarks (bench_calendar.py, bench_cmp.py, bench_abn.py) and bench_rules.py run on
their own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="include 10^7 transactions")
    ap.add_argument("--json", type=Path, default=HERE / "results.json")
    a = ap.parse_args()
    sizes = ["100000", "1000000"] + (["10000000"] if a.big else [])
    steps = [
        [HERE / "bench_empty.py"],
        [HERE / "bench_batch.py"],
        [HERE / "bench_e2e.py", "--sizes", *sizes],
        # what the 15 rules of catalogue v2 add (issue 13): at the largest size
        [HERE / "bench_v2.py", "--transactions", sizes[-1]],
    ]
    for step in steps:
        print(f"== {step[0].name}", flush=True)
        subprocess.run([sys.executable, *map(str, step), "--json", str(a.json)], check=True)


if __name__ == "__main__":
    main()
