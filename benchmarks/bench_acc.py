"""Benchmark the ACC family: the resident ID check over 10^7 synthetic customers, every ACC rule through the
engine.

Run on demand (not part of the test suite):

    python benchmarks/bench_acc.py [--customers 10000000] [--transactions 10000000] [--seed 7]

The customers (and, for ACC-001, the transactions) are built directly as typed frames with the loader's
dtypes (Arrow-backed `string`, `datetime64[ns]`, the `_row` column), bypassing CSV parsing: the numbers are
the rules' own cost plus the engine's. ID numbers are valid 18-character numbers (one in five with a
lower-case `x` where the check character is X) with a few defects planted: wrong check characters, 15-digit
numbers, impossible dates, births after opening, missing numbers, and numbers shared by customers of
different names. Prints seconds and the process's peak RSS above the data (sampled every 10 ms) per step,
and, for scale, the per-row Python reading of rules.md over 10^5 numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.compute as pc

from auditlib.engine import run_rule
from auditlib.load import Bundle
from auditlib.params import parse_params
from auditlib.rules import REGISTRY
from auditlib.rules.acc import CHECK_CHARS, KINDS, WEIGHTS, id_problems

MIB = 1024**2


def _text(prefix: str, numbers: np.ndarray) -> pd.Series:
    """`prefix` + number as Arrow text, built by Arrow (no Python string per row)."""
    digits = pc.cast(pa.array(numbers), pa.large_string())
    return pd.Series(
        pd.arrays.ArrowExtensionArray(
            pc.binary_join_element_wise(
                pa.scalar(prefix, pa.large_string()), digits, pa.scalar("", pa.large_string())
            )
        )
    ).astype("string")


def _from_matrix(m: np.ndarray) -> pa.Array:
    """An (n, 18) uint8 matrix as an Arrow large_string array sharing its bytes."""
    n, width = m.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(m))]
    )


def synthetic_customers(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    opened = np.datetime64("2012-01-01") + rng.integers(0, 14 * 365, n).astype("timedelta64[D]")
    born = np.datetime64("1940-01-01") + rng.integers(0, 65 * 365, n).astype("timedelta64[D]")
    born = np.minimum(born, opened - np.timedelta64(18 * 365, "D"))
    ymd = np.char.replace(np.datetime_as_string(born, unit="D").astype("S10"), b"-", b"")
    m = np.empty((n, 18), dtype=np.uint8)
    # region codes 110000-659999: with ~2*10^13 possible numbers, chance collisions are a handful at 10^7
    region = rng.integers(110000, 660000, n)
    for i in range(6):
        m[:, 5 - i] = 48 + (region // 10**i) % 10
    m[:, 6:14] = ymd.view(np.uint8).reshape(n, 8)
    m[:, 14:17] = rng.integers(48, 58, (n, 3), dtype=np.uint8)
    m[:, 17] = CHECK_CHARS[((m[:, :17] - 48) * WEIGHTS).sum(axis=1, dtype=np.int32) % 11]
    lower = (m[:, 17] == ord("X")) & (rng.random(n) < 0.2)
    m[lower, 17] = ord("x")
    defect = rng.random(n)
    wrong_check = defect < 0.004
    m[wrong_check, 17] = np.where(m[wrong_check, 17] == ord("0"), ord("1"), ord("0"))
    bad_date = (defect >= 0.004) & (defect < 0.005)
    m[bad_date, 10:12] = np.frombuffer(b"13", dtype=np.uint8)
    ids = pd.Series(pd.arrays.ArrowExtensionArray(_from_matrix(m))).astype("string")
    fifteen = (defect >= 0.005) & (defect < 0.007)
    ids[fifteen] = ids[fifteen].str.slice(0, 6) + ids[fifteen].str.slice(8, 17)
    ids[(defect >= 0.007) & (defect < 0.008)] = pd.NA
    after_open = (defect >= 0.008) & (defect < 0.0085)
    opened[after_open] = born[after_open] - np.timedelta64(1, "D")
    names = _text("客户", rng.integers(0, n, n))
    shared = np.flatnonzero((defect >= 0.0085) & (defect < 0.009))
    ids.iloc[shared] = ids.iloc[(shared + 1) % n].to_numpy()  # the next customer's number, another name
    closed = pd.Series(opened + rng.integers(30, 5000, n).astype("timedelta64[D]")).where(rng.random(n) < 0.1)
    return pd.DataFrame(
        {
            "_row": np.arange(2, n + 2, dtype=np.int64),
            "customer_id": _text("C", np.arange(n)),
            "name": names,
            "id_type": pd.Series(np.where(rng.random(n) < 0.97, "ID_CARD", None), dtype="string"),
            "id_number": ids,
            "phone": pd.Series(pd.NA, index=range(n), dtype="string"),
            "investor_type": pd.Series(
                np.where(rng.random(n) < 0.99, "individual", "institution"), dtype="string"
            ),
            "open_date": pd.Series(opened.astype("datetime64[ns]")),
            "close_date": closed.astype("datetime64[ns]"),
        }
    )


def synthetic_transactions(n: int, customers: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    who = rng.integers(0, len(customers), n)
    start = np.datetime64("2025-01-01T00:00:00", "s")
    applied = (start + rng.integers(0, 365 * 86_400, n).astype("timedelta64[s]")).astype("datetime64[ns]")
    # all but 0.1 % inside the customer's relationship (moved to its opening or closing day, time kept)
    opened = customers["open_date"].to_numpy()[who]
    closed = customers["close_date"].fillna(pd.Timestamp("2262-01-01")).to_numpy()[who]
    day = applied.astype("datetime64[D]").astype("datetime64[ns]")
    inside = np.clip(day, opened, closed) + (applied - day)
    applied = np.where(rng.random(n) < 0.001, applied, inside)
    return pd.DataFrame(
        {
            "_row": np.arange(2, n + 2, dtype=np.int64),
            "txn_id": _text("T", np.arange(n)),
            "customer_id": customers["customer_id"].iloc[who].reset_index(drop=True),
            "product_code": pd.Series("000001", index=range(n), dtype="string"),
            "business_code": pd.Series(rng.choice(np.array(["022", "024"]), n), dtype="string"),
            "applied_at": pd.Series(applied),
            "trade_date": pd.Series(applied).dt.normalize(),
            "status": pd.Series(np.where(rng.random(n) < 0.97, "confirmed", "failed"), dtype="string"),
        }
    )


class Peak:
    """Over a block: the process's RSS high-water mark (sampled every 10 ms) above its RSS at the start, and
    its CPU seconds (user + system: on a shared machine wall time stretches with contention, CPU time not)."""

    def __enter__(self):
        self.proc, self.stop = psutil.Process(), threading.Event()
        self.base = self.peak = self.proc.memory_info().rss
        self.cpu0 = sum(self.proc.cpu_times()[:2])
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self.stop.wait(0.01):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.cpu = sum(self.proc.cpu_times()[:2]) - self.cpu0

    @property
    def above(self) -> int:
        return self.peak - self.base


def python_reading(s: str | None, opened: dt.date) -> str:
    """rules.md's reading one row at a time (what the vectorized check replaces), for the time per row."""
    s = (s or "").strip().upper()
    if not s:
        return "missing"
    if len(s) != 18:
        return "wrong_length"
    if not s[:17].isascii() or not s[:17].isdigit():
        return "non_digit"
    try:
        birth = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return "bad_date"
    if birth > opened:
        return "after_open"
    total = sum(int(c) * int(w) for c, w in zip(s[:17], WEIGHTS, strict=True))
    return "valid" if s[17] == "10X98765432"[total % 11] else "bad_check"


def _line(what: str, population: int, exceptions: int, sec: float, peak) -> str:
    """One row of the results table (the header's columns and widths)."""
    return (
        f"{what:<26}{population:>12,}{exceptions:>12,}{sec:>10.2f}{peak.cpu:>8.2f}{peak.above / MIB:>11,.0f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=10_000_000)
    ap.add_argument("--transactions", type=int, default=0, help="also ACC-001 over this many transactions")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    t0 = time.perf_counter()
    customers = synthetic_customers(args.customers, args.seed)
    tables = {"customers": customers}
    if args.transactions:
        tables["transactions"] = synthetic_transactions(args.transactions, customers, args.seed)
    build = time.perf_counter() - t0
    bundle = Bundle(Path("."), tables, pd.DataFrame(), {}, [])
    params = parse_params(
        {
            "institution_id": "bench",
            "institution_name": "bench",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
            "rules": ["ACC"],
        }
    )
    small = Bundle(Path("."), {k: v.head(1000) for k, v in tables.items()}, pd.DataFrame(), {}, [])
    codes = [c for c, r in REGISTRY.items() if r.family == "ACC" and all(t in tables for t in r.tables)]
    for code in codes:  # first calls pay one-off kernel setup
        run_rule(REGISTRY[code], params, small)
    print(
        f"{args.customers:,} customers, {args.transactions:,} transactions built in {build:.1f} s; "
        f"{platform.python_implementation()} {platform.python_version()}, pandas {pd.__version__}, numpy "
        f"{np.__version__}, pyarrow {pa.__version__}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"RSS {psutil.Process().memory_info().rss / MIB:,.0f} MiB with the data"
    )
    print(f"{'step':<26}{'population':>12}{'exceptions':>12}{'seconds':>10}{'CPU s':>8}{'peak +MiB':>11}")

    with Peak() as peak:
        t = time.perf_counter()
        kinds, _, _ = id_problems(customers["id_number"], customers["open_date"])
        sec = time.perf_counter() - t
    bad = int((kinds != 0).sum())
    print(_line("ID check (all rows)", len(kinds), bad, sec, peak))
    counts = np.bincount(kinds, minlength=len(KINDS))
    print("   by kind: " + ", ".join(f"{k} {int(c):,}" for k, c in zip(KINDS, counts, strict=True)))

    for code in codes:
        with Peak() as peak:
            t = time.perf_counter()
            row, _ = run_rule(REGISTRY[code], params, bundle)
            sec = time.perf_counter() - t
        if row["error"]:
            raise SystemExit(f"{code}: {row['error']}")
        print(_line(code, row["population"], row["exceptions"], sec, peak))

    sample = min(100_000, len(customers))
    numbers = customers["id_number"].head(sample).tolist()
    opened = customers["open_date"].head(sample).dt.date.tolist()
    t = time.perf_counter()
    slow = [python_reading(None if pd.isna(s) else s, o) for s, o in zip(numbers, opened, strict=True)]
    sec = time.perf_counter() - t
    assert slow == [KINDS[k] for k in kinds[:sample]], (
        "the per-row reading disagrees with the vectorized check"
    )
    print(
        f"per-row Python reading: {sample:,} rows in {sec:.2f} s (same verdicts), "
        f"so ~{sec / sample * len(customers):.0f} s for all {len(customers):,}"
    )


if __name__ == "__main__":
    main()
