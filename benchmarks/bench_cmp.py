"""Benchmark the CMP family: 10^6 synthetic complaints received in 2025, every CMP rule through the engine.

Run on demand (not part of the test suite):

    /tmp/warmvenv/bin/python benchmarks/bench_cmp.py [--rows 1000000] [--seed 7]

The complaints are built directly as a typed frame (the loader's dtypes: `string` ids and
vocabularies, `datetime64[ns]` timestamps, nullable `boolean`, the `_row` column), bypassing CSV
parsing, so the numbers are the rules' own cost plus the engine's (sorting, detail rendering).
Prints seconds per rule, exceptions, and the total.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from auditlib.engine import run_rule
from auditlib.load import Bundle
from auditlib.params import parse_params
from auditlib.rules import REGISTRY

SECOND = np.timedelta64(1, "s")


def synthetic_complaints(n: int, seed: int = 7) -> pd.DataFrame:
    """n complaints received in 2025 (plus a few in late 2024), with realistic gaps and misses."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-12-01T00:00:00", "s")
    span = int((np.datetime64("2026-01-01T00:00:00", "s") - start) / SECOND)
    received = start + rng.integers(0, span, n) * SECOND

    def after(base, lo_h, hi_h, missing, late=0.05):
        """base + a delay of lo_h..hi_h hours; a `late` share waits up to 4x longer; `missing` share null."""
        hours = rng.uniform(lo_h, hi_h, len(base))
        slow = rng.random(len(base)) < late
        hours[slow] = rng.uniform(hi_h, 4 * hi_h, int(slow.sum()))
        t = pd.Series(base).to_numpy(dtype="datetime64[ns]") + (hours * 3.6e12).astype(np.int64).astype(
            "timedelta64[ns]"
        )
        return pd.Series(t).mask(rng.random(len(base)) < missing)

    severity = np.where(rng.random(n) < 0.12, "major", "general")
    channel = rng.choice(
        np.array(["phone", "letter", "visit", "online", "regulator"]), n, p=[0.45, 0.05, 0.15, 0.25, 0.10]
    )
    category = pd.Series(
        rng.choice(np.array(["service_attitude", "suitability", "product", "fees", "system", "other"]), n),
        dtype="string",
    ).mask(rng.random(n) < 0.05)
    customer = pd.Series(np.char.add("C", rng.integers(0, n // 4 + 1, n).astype(str)), dtype="string").mask(
        rng.random(n) < 0.08
    )
    responded = after(received, 2, 60, 0.03, late=0.08)
    resolved = after(responded, 0, 72, 0.10, late=0).where(responded.notna())
    callback = after(resolved, 0.5, 20, 0.03).where(resolved.notna())
    recording = pd.Series(np.char.add("REC", np.arange(n).astype(str)), dtype="string").mask(
        rng.random(n) < 0.02
    )
    root_cause = pd.Series(
        rng.choice(np.array(["staff", "system", "product", "process"]), n), dtype="string"
    ).mask(rng.random(n) < 0.03)
    violation = pd.Series(rng.random(n) < 0.03, dtype="boolean").mask(rng.random(n) < 0.3)
    return pd.DataFrame(
        {
            "_row": np.arange(2, n + 2, dtype=np.int64),
            "complaint_id": pd.Series(np.char.add("CMP", np.arange(n).astype(str)), dtype="string"),
            "customer_id": customer,
            "received_at": pd.Series(received.astype("datetime64[ns]")),
            "channel": pd.Series(channel, dtype="string"),
            "severity": pd.Series(severity, dtype="string"),
            "category": category,
            "description": pd.Series("客户反映赎回款到账延迟", index=range(n), dtype="string"),
            "registered_at": after(received, 0.1, 20, 0.01, late=0.02),
            "forwarded_at": after(received, 0.05, 0.45, 0.01),
            "interim_measure_at": after(received, 0.5, 6, 0.03),
            "responded_at": responded,
            "resolved_at": resolved,
            "callback_at": callback,
            "recording_ref": recording,
            "root_cause": root_cause,
            "involves_violation": violation,
            "reported_to_compliance_at": after(received, 1, 60, 0.03),
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    t0 = time.perf_counter()
    complaints = synthetic_complaints(args.rows, args.seed)
    build = time.perf_counter() - t0
    bundle = Bundle(Path("."), {"complaints": complaints}, pd.DataFrame(), {}, [])
    params = parse_params(
        {
            "institution_id": "bench",
            "institution_name": "bench",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
            "rules": ["CMP"],
        }
    )
    # warm the working-day calendar (built once per process, ~0.1 s) so rule times are the rules' own
    from auditlib.calendar import from_params

    from_params(params.calendar)
    # and pandas/pyarrow kernels: run the family once on a small slice (first calls pay one-off setup)
    small = Bundle(Path("."), {"complaints": complaints.head(1000)}, pd.DataFrame(), {}, [])
    for code in (c for c, r in REGISTRY.items() if r.family == "CMP"):
        run_rule(REGISTRY[code], params, small)

    print(
        f"{args.rows:,} complaints built in {build:.2f} s; {platform.python_implementation()} "
        f"{platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(f"{'rule':<9}{'population':>12}{'exceptions':>12}{'seconds':>10}")
    total = 0.0
    for code in (c for c, r in REGISTRY.items() if r.family == "CMP"):
        t = time.perf_counter()
        row, _ = run_rule(REGISTRY[code], params, bundle)
        dt = time.perf_counter() - t
        total += dt
        if row["error"]:
            raise SystemExit(f"{code}: {row['error']}")
        print(f"{code:<9}{row['population']:>12,}{row['exceptions']:>12,}{dt:>10.2f}")
    print(f"{'total':<33}{total:>10.2f}")


if __name__ == "__main__":
    main()
