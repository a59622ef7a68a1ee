"""Benchmark the transaction-heavy families (SUIT, ABN, STAFF, REC) at 10^6 and 10^7 transactions.

Run on demand (not part of the test suite):

    /tmp/warmvenv/bin/python benchmarks/bench_abn.py [--rows 1000000 10000000] [--seed 11] [--families SUIT
ABN]

Every table is built directly as a typed frame (the loader's dtypes: `string` ids and vocabularies,
`datetime64[ns]` timestamps, nullable `boolean`, the `_row` column), bypassing CSV parsing, so the
numbers are the rules' own cost plus the engine's (sorting, detail rendering of the findings).
Sizes scale with the transactions: customers n/10, assessments 1.2 per customer, account events n/5,
fund transfers (one payout per redemption, one sweep per branch and trade date), 50 branches.
A small share of every kind of exception is planted so that detail rendering is part of the cost.
Prints wall-clock and CPU seconds per rule (CPU time shows the rule's own cost on a shared machine),
population and exceptions.
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
from auditlib.rules.abn import by_day
from auditlib.rules.base import RuleContext

SECOND = np.timedelta64(1, "s")
BRANCHES = 50


def ids(prefix: str, n: int) -> pd.Series:
    return pd.Series(np.char.add(prefix, np.arange(n).astype(str)), dtype="string")


def pick(rng, values, n, p=None) -> pd.Series:
    return pd.Series(rng.choice(np.array(values), n, p=p), dtype="string")


def ts(values) -> pd.Series:
    return pd.Series(np.asarray(values).astype("datetime64[ns]"))


def rows(n: int) -> np.ndarray:
    return np.arange(2, n + 2, dtype=np.int64)


def synthetic_bundle(n: int, seed: int = 11) -> Bundle:
    rng = np.random.default_rng(seed)
    n_cust = max(n // 10, 10)
    cust = ids("C", n_cust)
    names = pd.Series(np.char.add("客户", np.arange(n_cust).astype(str)), dtype="string")
    customers = pd.DataFrame(
        {
            "_row": rows(n_cust),
            "customer_id": cust,
            "name": names,
            "open_date": ts(np.full(n_cust, np.datetime64("2020-01-01"))),
        }
    )

    n_prod = 200
    products = pd.DataFrame(
        {
            "_row": rows(n_prod),
            "product_code": pd.Series([f"{i:06d}" for i in range(n_prod)], dtype="string"),
            "name": ids("基金", n_prod),
            "risk_level": pick(rng, ["R1", "R2", "R3", "R4", "R5"], n_prod),
            "rated_at": ts(np.datetime64("2024-06-01") + rng.integers(0, 540, n_prod)),
        }
    )

    n_ra = int(n_cust * 1.2)
    ra_cust = np.concatenate([np.arange(n_cust), rng.integers(0, n_cust, n_ra - n_cust)])
    risk_assessments = pd.DataFrame(
        {
            "_row": rows(n_ra),
            "customer_id": pd.Series(cust.to_numpy()[ra_cust], dtype="string"),
            # mostly within the last two years; 3% long stale
            "assessed_at": ts(
                np.where(
                    rng.random(n_ra) < 0.03,
                    np.datetime64("2021-06-01T00:00:00", "s"),
                    np.datetime64("2023-09-01T00:00:00", "s"),
                )
                + rng.integers(0, 450 * 86400, n_ra) * SECOND
            ),
            "risk_tolerance": pick(rng, ["C1", "C2", "C3", "C4", "C5"], n_ra),
        }
    )

    # transactions applied from Dec 2024 to the end of 2025, trade dates by the cut-off (0.3% wrong)
    start = np.datetime64("2024-12-01T00:00:00", "s")
    span = int((np.datetime64("2026-01-01T00:00:00", "s") - start) / SECOND)
    applied = ts(start + rng.integers(0, span, n) * SECOND)
    from auditlib.calendar import TradingCalendar

    cal = TradingCalendar()
    trading = by_day(applied, cal.is_trading_day).astype(bool)
    nxt = by_day(applied, cal.next_trading_day).astype("datetime64[ns]")
    today = applied.dt.normalize().to_numpy()
    before = ((applied - applied.dt.normalize()) < pd.Timedelta(hours=15)).to_numpy()
    trade = np.where(trading & before, today, nxt)
    wrong = rng.random(n) < 0.003
    trade[wrong] = today[wrong]
    code = rng.choice(np.array(["022", "020", "039", "024", "036"]), n, p=[0.5, 0.05, 0.15, 0.25, 0.05])
    status = rng.choice(np.array(["confirmed", "failed", "rejected"]), n, p=[0.95, 0.03, 0.02])
    counter = rng.random(n) < 0.3
    branch = pd.Series(np.char.add("B", rng.integers(0, BRANCHES, n).astype(str)), dtype="string").where(
        counter
    )
    failed = status != "confirmed"
    # told within the day mostly, 2% a few days later, 3% never
    delay_h = np.where(rng.random(n) < 0.02, rng.uniform(30, 96, n), rng.uniform(0, 8, n))
    notified = (applied + pd.to_timedelta(delay_h, unit="h")).where(failed & (rng.random(n) > 0.03))
    transactions = pd.DataFrame(
        {
            "_row": rows(n),
            "txn_id": ids("T", n),
            "customer_id": pd.Series(cust.to_numpy()[rng.integers(0, n_cust, n)], dtype="string"),
            "product_code": pd.Series(
                products["product_code"].to_numpy()[rng.integers(0, n_prod, n)], dtype="string"
            ),
            "business_code": pd.Series(code, dtype="string"),
            "applied_at": applied,
            "trade_date": ts(trade),
            "amount": np.round(rng.uniform(100, 100_000, n), 2),
            "shares": np.nan,
            "status": pd.Series(status, dtype="string"),
            "channel": pd.Series(np.where(counter, "counter", "online"), dtype="string"),
            "branch_id": branch,
            "staff_id": pd.Series(pd.NA, index=range(n), dtype="string"),
            "risk_mismatch_confirmed": pd.Series(rng.random(n) < 0.98, dtype="boolean"),
            "notified_at": notified,
        }
    )

    n_ev = n // 5
    ev_at = ts(np.datetime64("2025-01-01T00:00:00", "s") + rng.integers(0, 365 * 86400, n_ev) * SECOND)
    account_events = pd.DataFrame(
        {
            "_row": rows(n_ev),
            "event_id": ids("E", n_ev),
            "customer_id": pd.Series(cust.to_numpy()[rng.integers(0, n_cust, n_ev)], dtype="string"),
            "event_type": pick(
                rng, ["open", "close", "info_change", "bank_account_change"], n_ev, [0.3, 0.2, 0.3, 0.2]
            ),
            "event_at": ev_at,
            "new_bank_account": pd.Series(pd.NA, index=range(n_ev), dtype="string"),
            "new_account_holder": pd.Series(pd.NA, index=range(n_ev), dtype="string"),
            "identity_verified": pd.Series(rng.random(n_ev) > 0.01, dtype="boolean"),
            "flagged_abnormal": pd.Series(rng.random(n_ev) > 0.01, dtype="boolean"),
            "staff_id": pd.Series(pd.NA, index=range(n_ev), dtype="string"),
        }
    )

    # payouts: one per confirmed redemption; sweeps: one per branch and trade date (2% short)
    red = transactions[(code == "024") & (status == "confirmed")]
    n_pay = len(red)
    holder = red["customer_id"].map(customers.set_index("customer_id")["name"]).to_numpy()
    holder = np.where(rng.random(n_pay) < 0.002, "他人", holder)
    due = red["trade_date"] + pd.Timedelta(days=2, hours=17)
    pay_exec = (due + pd.to_timedelta(rng.uniform(-600, 30, n_pay), unit="min")).where(
        rng.random(n_pay) > 0.001
    )
    buys = transactions[np.isin(code, ["020", "022", "039"]) & (status == "confirmed") & counter]
    coll = buys.groupby(["branch_id", "trade_date"])["amount"].sum().reset_index()
    n_sw = len(coll)
    sw_amount = np.where(rng.random(n_sw) < 0.02, coll["amount"] - 1, coll["amount"])
    sw_due = coll["trade_date"] + pd.Timedelta(hours=17)
    fund_transfers = pd.DataFrame(
        {
            "transfer_id": ids("F", n_pay + n_sw),
            "transfer_type": pd.Series(
                ["redemption_payout"] * n_pay + ["branch_sweep"] * n_sw, dtype="string"
            ),
            "txn_id": pd.concat(
                [red["txn_id"], pd.Series(pd.NA, index=range(n_sw), dtype="string")], ignore_index=True
            ),
            "customer_id": pd.concat(
                [red["customer_id"], pd.Series(pd.NA, index=range(n_sw), dtype="string")], ignore_index=True
            ),
            "branch_id": pd.concat(
                [pd.Series(pd.NA, index=range(n_pay), dtype="string"), coll["branch_id"]], ignore_index=True
            ),
            "business_date": pd.concat([red["trade_date"], coll["trade_date"]], ignore_index=True),
            "due_at": pd.concat([due, sw_due], ignore_index=True),
            "executed_at": pd.concat([pay_exec, sw_due - pd.Timedelta(minutes=30)], ignore_index=True),
            "to_account": pd.Series(pd.NA, index=range(n_pay + n_sw), dtype="string"),
            "to_account_holder": pd.Series(
                np.concatenate([holder, np.full(n_sw, "机构归集户")]), dtype="string"
            ),
            "amount": np.concatenate([red["amount"].to_numpy(), sw_amount]),
        }
    )
    fund_transfers.insert(0, "_row", rows(len(fund_transfers)))

    days = cal.trading_days("2025-01-01", "2025-12-31").astype("datetime64[ns]")
    b = np.repeat(np.char.add("B", np.arange(BRANCHES).astype(str)), len(days))
    d = np.tile(days, BRANCHES)
    m = len(b)
    reconciliations = pd.DataFrame(
        {
            "_row": rows(m),
            "recon_date": ts(d),
            "branch_id": pd.Series(b, dtype="string"),
            "performed_at": (ts(d) + pd.to_timedelta(rng.uniform(17, 40, m), unit="h")).where(
                rng.random(m) > 0.002
            ),
            "differences": pd.Series(np.where(rng.random(m) < 0.01, 1, 0), dtype="Int64"),
        }
    )

    n_staff = 500
    staff = pd.DataFrame(
        {
            "_row": rows(n_staff),
            "staff_id": ids("S", n_staff),
            "name": ids("员工", n_staff),
            "qualified": pd.Series(rng.random(n_staff) > 0.03, dtype="boolean"),
            "leave_date": ts(np.full(n_staff, np.datetime64("NaT"))),
        }
    )
    staff_roles = pd.DataFrame(
        {
            "_row": rows(n_staff),
            "staff_id": staff["staff_id"],
            "role": pick(rng, ["counter", "sales", "promotion", "info_processing", "it_ops"], n_staff),
            "start_date": ts(np.full(n_staff, np.datetime64("2023-01-01"))),
            "end_date": ts(np.full(n_staff, np.datetime64("NaT"))),
        }
    )
    n_tr = n_staff * 6
    training = pd.DataFrame(
        {
            "_row": rows(n_tr),
            "staff_id": pd.Series(
                staff["staff_id"].to_numpy()[rng.integers(0, n_staff, n_tr)], dtype="string"
            ),
            "date": ts(np.datetime64("2025-01-01") + rng.integers(0, 365, n_tr)),
            "hours": rng.choice([2.0, 3.0, 4.0], n_tr),
        }
    )
    tables = {
        "customers": customers,
        "products": products,
        "risk_assessments": risk_assessments,
        "transactions": transactions,
        "account_events": account_events,
        "fund_transfers": fund_transfers,
        "reconciliations": reconciliations,
        "staff": staff,
        "staff_roles": staff_roles,
        "training": training,
    }
    return Bundle(Path("."), tables, pd.DataFrame(), {}, [])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--families", nargs="+", default=["SUIT", "ABN", "STAFF", "REC"])
    args = ap.parse_args()
    params = parse_params(
        {
            "institution_id": "bench",
            "institution_name": "bench",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
            "rules": args.families,
        }
    )
    # warm both calendars (built once per process) so rule times are the rules' own
    ctx = RuleContext(
        {}, {}, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"), pd.Timestamp("2026-01-31")
    )
    ctx.workdays.is_workday("2025-01-02")
    ctx.trading.is_trading_day("2025-01-02")
    print(
        f"{platform.python_implementation()} {platform.python_version()}, pandas {pd.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    for n in args.rows:
        t0 = time.perf_counter()
        bundle = synthetic_bundle(n, args.seed)
        print(
            f"\n{n:,} transactions ({len(bundle.tables['fund_transfers']):,} transfers, "
            f"{len(bundle.tables['account_events']):,} account events) built in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        print(f"{'rule':<10}{'population':>12}{'exceptions':>12}{'seconds':>10}{'cpu s':>8}")
        total = cpu_total = 0.0
        for code in params.selected():
            t, c = time.perf_counter(), time.process_time()
            row, _ = run_rule(REGISTRY[code], params, bundle)
            dt, dc = time.perf_counter() - t, time.process_time() - c
            total += dt
            cpu_total += dc
            if row["error"]:
                raise SystemExit(f"{code}: {row['error']}")
            print(
                f"{code:<10}{row['population']:>12,}{row['exceptions']:>12,}{dt:>10.2f}{dc:>8.2f}", flush=True
            )
        print(f"{'total':<34}{total:>10.2f}{cpu_total:>8.2f}")
        del bundle


if __name__ == "__main__":
    main()
