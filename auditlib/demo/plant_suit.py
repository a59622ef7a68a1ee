"""SUIT plants: suitability (SUIT-001..006), and SUIT-001 by the rating in force (v2).

With `product_ratings` handed over (demo-a, demo-c) a sale is judged by the rating in force on its day;
without it (demo-b) by the current rating: the same planted sale can be a hit in one and a near-miss in
the other, and the answer key says which.

Levels are the institution's scale (demo-c: C1/C3/C5 and R1/R3/R5 only, written as 保守型.../低风险...):
`lo`, `mid`, `hi` are its lowest, middle and highest level. Each case has its own customer.
"""

from __future__ import annotations

from .base import Demo


def plant(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    lv = list(d.levels)
    lo, mid, hi = lv[0], lv[len(lv) // 2], lv[-1]
    p_lo, p_mid, p_hi = d.product_of_risk(lo), d.product_of_risk(mid), d.product_of_risk(hi)

    # ------------------------------------------------------------------ SUIT-001
    c = d.new_customer(tol=mid, assessed="2024-09-02 10:00:00")
    x = d.new_txn(c, p_hi, "022", "2025-03-05 10:20:00", amount=100000.0)
    d.hit("SUIT-001", x, f"R{hi} product bought by a C{mid} investor without the mismatch confirmation")
    x = d.new_txn(c, p_hi, "022", "2025-03-06 10:20:00", amount=30000.0, mismatch=True)
    d.near("SUIT-001", x, "the same mismatch, but the investor signed the risk-mismatch confirmation")
    c = d.new_customer(tol=lo, assessed="2024-11-20 14:00:00")
    x = d.new_txn(
        c,
        p_mid,
        "022",
        "2025-04-16 11:00:00",
        channel="counter",
        branch=d.branches[0],
        mismatch=None,
        amount=50000.0,
    )
    d.hit("SUIT-001", x, "counter sale above tolerance; risk_mismatch_confirmed empty (null is not true)")
    c = d.new_customer(
        tol=hi, assessed="2024-02-10 10:00:00", extra_assessments=[("2025-03-01 10:00:00", lo)]
    )
    x = d.new_txn(c, p_hi, "039", "2025-04-10 09:30:00", amount=2000.0)
    d.hit("SUIT-001", x, "latest assessment (2025-03-01) downgraded the investor; the older one allowed it")
    x = d.new_txn(c, p_hi, "039", "2025-02-20 09:30:00", amount=2000.0)
    d.near("SUIT-001", x, "bought before the downgrade, when the latest assessment allowed the product")
    if not small:
        c = d.new_customer(tol=mid, assessed="2024-07-08 10:00:00")
        x = d.new_txn(c, p_mid, "039", "2025-05-06 09:00:00", amount=1000.0)
        d.near("SUIT-001", x, "product risk equal to the tolerance (k <= j)")
        x = d.new_txn(c, p_hi, "024", "2025-05-07 10:00:00", shares=8000.0)
        d.near("SUIT-001", x, "a redemption of a product above tolerance: not a purchase")
        x = d.new_txn(c, p_hi, "022", "2025-05-08 10:00:00", status="rejected", amount=60000.0)
        d.near("SUIT-001", x, "purchase above tolerance rejected by the system: not confirmed")

    # ------------------------------------------------------------------ SUIT-002
    c = d.new_customer(tol=None)
    x = d.new_txn(c, p_hi, "022", "2025-06-18 10:00:00", amount=80000.0)
    d.hit("SUIT-002", x, "customer never assessed (SUIT-002 only, not SUIT-001)")
    d.hit("SUIT-005", c, "never assessed, bought in the period (SUIT-002 for the purchase as well)")
    c = d.new_customer(tol=mid, assessed="2025-05-08 10:00:01")
    x = d.new_txn(c, p_lo, "022", "2025-05-08 10:00:00", amount=10000.0)
    d.hit("SUIT-002", x, "the only assessment is one second after the application")
    c = d.new_customer(tol=mid, assessed="2025-07-15 14:00:00", opened="2025-07-15 13:30:00")
    x = d.new_txn(c, p_lo, "022", "2025-07-15 14:00:00", amount=10000.0)
    d.near("SUIT-002", x, "assessed exactly at applied_at (at or before counts)")

    # ------------------------------------------------------------------ SUIT-003
    c = d.new_customer(tol=mid, assessed="2023-03-14 10:00:00")
    x = d.new_txn(c, p_lo, "022", "2025-03-17 10:00:00", amount=15000.0)
    d.hit("SUIT-003", x, "assessed 2023-03-14: more than 24 months before the purchase")
    x = d.new_txn(c, p_lo, "022", "2025-03-14 10:00:00", amount=15000.0)
    d.near("SUIT-003", x, "applied exactly 24 calendar months after the assessment")
    if not small:
        c = d.new_customer(tol=hi, assessed="2023-06-30 15:00:00")
        x = d.new_txn(c, p_mid, "020", "2025-07-01 09:30:00", amount=40000.0)
        d.hit("SUIT-003", x, "assessment 2023-06-30 stale on 2025-07-01")

    # ------------------------------------------------------------------ SUIT-004
    c = d.new_customer(tol=hi, assessed="2024-08-01 10:00:00")
    pr = d.new_product(mid, "2024-12-30", "云帆稳健增利混合A")
    d.new_txn(c, pr, "022", "2025-02-11 10:00:00", amount=25000.0)
    d.hit("SUIT-004", pr, "rated 2024-12-30: one day before period_end - 12 months, and sold in the period")
    pr = d.new_product(hi, "2024-12-31", "星河科技创新混合C")
    d.new_txn(c, pr, "022", "2025-02-12 10:00:00", amount=25000.0)
    d.near("SUIT-004", pr, "rated exactly 2024-12-31 = period_end - 12 months")
    pr = d.new_product(lo, "2022-05-01", "明川现金增利B")
    d.new_txn(c, pr, "024", "2025-08-05 10:00:00", shares=12000.0)
    d.new_txn(c, pr, "022", "2025-08-06 10:00:00", status="rejected", amount=5000.0)
    d.near("SUIT-004", pr, "stale rating, but only redeemed / a rejected purchase in the period: not sold")
    if not small:
        pr = d.new_product(mid, "2023-06-30", "远山平衡配置混合A")
        for day in ("2025-03-03", "2025-06-09", "2025-09-15"):
            d.new_txn(c, pr, "039", f"{day} 09:00:00", amount=1000.0)
        d.hit("SUIT-004", pr, "rated 2023-06-30, still sold by regular plan in 2025")
        pr = d.new_product(lo, "2023-01-01", "金穗短债债券C")
        d.new_txn(c, pr, "022", "2024-12-31 16:00:00", amount=9000.0)
        d.near(
            "SUIT-004",
            pr,
            "its only purchase was applied 2024-12-31 16:00 (trade date 2025-01-02): not applied "
            "in the period",
        )

    # ------------------------------------------------------------------ SUIT-005 (customer never assessed)
    c = d.new_customer(tol=None, opened="2021-04-06 10:00:00")
    d.new_txn(c, p_lo, "022", "2023-05-10 10:00:00", trade_date="2023-05-10", amount=6000.0)
    d.hit(
        "SUIT-005",
        c,
        "bought in 2023, still a customer in 2025, never assessed (no SUIT-002: not in the period)",
    )
    c = d.new_customer(
        tol=None, opened="2025-02-03 10:00:00", extra_assessments=[("2026-01-08 10:00:00", mid)]
    )
    x = d.new_txn(c, p_lo, "022", "2025-02-04 10:00:00", amount=3000.0)
    d.hit("SUIT-002", x, "no assessment before the purchase (the only one is of 2026-01-08)")
    d.hit("SUIT-005", c, "first assessed 2026-01-08, after period_end: too late")
    c = d.new_customer(
        tol=None, opened="2025-03-03 10:00:00", extra_assessments=[("2025-12-31 23:59:59", mid)]
    )
    x = d.new_txn(c, p_lo, "022", "2025-03-04 10:00:00", amount=3000.0)
    d.hit("SUIT-002", x, "no assessment before the purchase (assessed only on 2025-12-31)")
    d.near("SUIT-005", c, "assessed retroactively at 2025-12-31 23:59:59, the very end of period_end")
    c = d.new_customer(tol=None, opened="2025-04-01 10:00:00")
    d.new_txn(c, p_lo, "022", "2025-04-02 10:00:00", status="rejected", amount=3000.0)
    d.near("SUIT-005", c, "never assessed, but its only purchase was rejected")
    if not small:
        c = d.new_customer(tol=None, opened="2018-04-02 10:00:00", closed="2024-12-31 15:00:00")
        d.new_txn(c, p_lo, "022", "2022-06-06 10:00:00", trade_date="2022-06-06", amount=2000.0)
        d.near(
            "SUIT-005",
            c,
            "never assessed, bought in 2022, but closed 2024-12-31: no relationship in the period",
        )

    # ---------------------------------------------------------- SUIT-006 and SUIT-001 by the rating in force
    # a new product first rated on 2025-05-12 (launched with its rating a day late)
    pr = d.new_product(mid, "2025-05-12", "青松创新成长混合A", history=[(mid, "2025-05-12")])
    c = d.new_customer(tol=hi, assessed="2024-10-09 10:00:00")
    x = d.new_txn(c, pr, "020", "2025-05-09 10:00:00", amount=20000.0)
    d.hit("SUIT-006", x, "subscribed 2025-05-09, the product's first rating is of 2025-05-12")
    x = d.new_txn(c, pr, "022", "2025-05-12 09:30:00", amount=20000.0)
    d.near("SUIT-006", x, "bought on the day of the first rating (in force from that day)")
    x = d.new_txn(c, pr, "020", "2025-05-10 10:00:00", status="failed", amount=20000.0)
    d.near("SUIT-006", x, "before the first rating, but the subscription failed")
    # a product re-rated upwards on 2025-06-02 (R-mid before, R-hi now): sales before judged by R-mid
    up = d.new_product(
        hi, "2025-06-02", "远山主题精选股票A", history=[(mid, "2024-06-03"), (hi, "2025-06-02")]
    )
    c = d.new_customer(tol=mid, assessed="2024-08-19 10:00:00")
    x = d.new_txn(c, up, "022", "2025-05-30 10:00:00", amount=15000.0)
    if d.has("product_ratings"):
        d.near("SUIT-001", x, f"bought 05-30 when the rating in force was R{mid} (re-rated R{hi} on 06-02)")
    else:
        d.hit("SUIT-001", x, f"no rating history: judged by today's R{hi} (rated 06-02, after the sale)")
    x = d.new_txn(c, up, "022", "2025-06-02 10:00:00", amount=15000.0)
    d.hit("SUIT-001", x, f"bought on the re-rating day: R{hi} in force, above C{mid}")
    # a product re-rated downwards on 2025-07-01 (R-hi before, R-mid now): sales before judged by R-hi
    down = d.new_product(
        mid, "2025-07-01", "明川灵活配置混合C", history=[(hi, "2024-07-01"), (mid, "2025-07-01")]
    )
    x = d.new_txn(c, down, "039", "2025-03-03 09:30:00", amount=1000.0)
    if d.has("product_ratings"):
        d.hit("SUIT-001", x, f"regular plan on 03-03: R{hi} in force then (today's R{mid} dates from 07-01)")
    else:
        d.near("SUIT-001", x, f"no rating history: judged by today's R{mid}, within C{mid}")
    x = d.new_txn(c, down, "039", "2025-07-01 09:30:00", amount=1000.0)
    d.near("SUIT-001", x, f"regular plan on 07-01, the day R{mid} took effect")
