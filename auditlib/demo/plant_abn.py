"""ABN plants: abnormal transactions and fund settlement (ABN-001..008).

Customers here are fully assessed (highest tolerance) and buy the lowest-risk products, so SUIT stays
clean; every transaction keeps a correct trade date unless ABN-007 is the point.
"""

from __future__ import annotations

from .base import Demo


def _sweep(amount: float, due_at: str, executed_at: str, **extra) -> dict:
    """One planned branch-sweep transfer; a day's plan is a list of these (or none: no sweep)."""
    return {"amount": amount, "due_at": due_at, "executed_at": executed_at, **extra}


def plant(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    hi = d.levels[-1]
    pa, pb = d.product_of_risk(d.levels[0], 0), d.product_of_risk(d.levels[0], 1)
    b1, b2 = d.branches[0], d.branches[1]
    b3 = d.branches[2 % len(d.branches)]

    def cust(**kw) -> str:
        return d.new_customer(tol=hi, assessed="2024-06-03 10:00:00", **kw)

    def counter_day(c, branch, day, amount, plan):
        """A counter purchase at `branch` on `day` and how that day's collections are swept (ABN-006/009)."""
        d.new_txn(c, pa, "022", f"{day} 10:00:00", channel="counter", branch=branch, amount=amount)
        d.sweep_plan[(branch, day)] = plan

    # ------------------------------------------------------------------ ABN-001
    c = cust(closed="2025-04-02 10:00:00")
    d.new_event(c, "close", "2025-03-03 10:00:00")
    d.new_event(c, "open", "2025-03-18 10:00:00")
    d.hit("ABN-001", c, "close 03-03 10:00, open 03-18, close 04-02 10:00: three events exactly 30x24h apart")
    c = cust(opened="2025-06-02 09:30:00")
    d.new_event(c, "close", "2025-06-05 16:00:00")
    d.new_event(c, "open", "2025-06-20 10:00:00")
    d.new_event(c, "close", "2025-06-25 11:00:00")
    d.new_event(c, "open", "2025-06-27 14:00:00")
    d.hit("ABN-001", c, "opened 06-02, then close/open/close/open within 25 days")
    c = cust(closed="2025-08-31 11:00:00")
    d.new_event(c, "close", "2025-08-01 10:00:00")
    d.new_event(c, "open", "2025-08-15 10:00:00")
    d.near("ABN-001", c, "three open/close events spanning 30 days and 1 hour")
    if not small:
        c = cust(opened="2025-10-13 10:00:00")
        d.new_event(c, "info_change", "2025-10-14 10:00:00")
        d.new_event(c, "bank_account_change", "2025-10-15 10:00:00", verified=True)
        d.new_event(c, "close", "2025-10-20 15:00:00")
        d.near("ABN-001", c, "open, info change, bank change, close: only two open/close events")

    # ------------------------------------------------------------------ ABN-002
    c = cust()
    d.new_txn(c, pa, "022", "2025-04-07 10:00:00", amount=50000.0)
    x = d.new_txn(c, pa, "024", "2025-04-14 10:00:00", shares=48000.0)
    d.hit("ABN-002", x, "redeemed 7 calendar days after the purchase (trade dates 04-07 -> 04-14, inclusive)")
    x = d.new_txn(c, pb, "024", "2025-04-09 10:00:00", shares=1000.0)
    d.near("ABN-002", x, "redemption 2 days after a purchase of a different product")
    c = cust()
    d.new_txn(c, pa, "039", "2025-05-12 09:40:00", amount=3000.0)
    x = d.new_txn(c, pa, "024", "2025-05-12 14:00:00", shares=2900.0)
    d.hit("ABN-002", x, "regular-plan purchase and redemption on the same trade date (0 days)")
    c = cust()
    d.new_txn(c, pa, "022", "2025-04-07 10:30:00", amount=20000.0)
    x = d.new_txn(c, pa, "024", "2025-04-15 10:30:00", shares=19000.0)
    d.near("ABN-002", x, "redeemed 8 days after the purchase")
    if not small:
        c = cust()
        d.new_txn(c, pa, "022", "2025-09-30 10:00:00", amount=20000.0)
        x = d.new_txn(c, pa, "024", "2025-10-09 10:00:00", shares=19500.0)
        d.near("ABN-002", x, "only one trading day later, but 9 calendar days (National Day holiday)")
        c = cust()
        d.new_txn(c, pa, "022", "2025-11-03 10:00:00", status="failed", amount=20000.0)
        x = d.new_txn(c, pa, "024", "2025-11-04 10:00:00", shares=5000.0)
        d.near("ABN-002", x, "the purchase the day before failed: not confirmed")
        c = cust()
        x = d.new_txn(c, pa, "024", "2025-11-10 10:00:00", shares=5000.0)
        d.new_txn(c, pa, "022", "2025-11-11 10:00:00", amount=6000.0)
        d.near("ABN-002", x, "purchase one day after the redemption (negative gap)")
        c = cust()
        d.new_txn(c, pb, "022", "2025-06-03 10:00:00", amount=8000.0)
        x = d.new_txn(c, pb, "024", "2025-06-06 14:00:00", shares=7000.0)
        d.hit("ABN-002", x, "redeemed 3 days after the purchase")

    # ------------------------------------------------------------------ ABN-003
    c = cust()
    e = d.new_event(c, "bank_account_change", "2025-02-18 10:00:00", verified=False)
    d.hit("ABN-003", e, "bank account changed without identity verification")
    e = d.new_event(c, "bank_account_change", "2025-07-22 15:00:00", verified=True, flagged=None)
    d.hit("ABN-003", e, "bank account change not flagged as abnormal (flagged_abnormal empty)")
    e = d.new_event(c, "info_change", "2025-03-10 10:00:00", verified=False, flagged=False)
    d.near("ABN-003", e, "an info change (not a bank-account change) without verification")
    if not small:
        e = d.new_event(c, "bank_account_change", "2025-11-05 11:00:00", verified=True, flagged=False)
        d.hit("ABN-003", e, "verified, but not handled as an abnormal transaction")
        e = d.new_event(c, "bank_account_change", "2024-12-31 23:59:59", verified=False, flagged=False)
        d.near("ABN-003", e, "unverified change at 2024-12-31 23:59:59: before the period")

    # ------------------------------------------------------------------ ABN-004
    c = cust()
    x = d.new_txn(c, pa, "024", "2025-03-11 10:00:00", shares=20000.0)
    d.no_transfer_for.add(x)
    f = d.new_transfer(
        "redemption_payout",
        "2025-03-11",
        "2025-03-14 17:00:00",
        "2025-03-13 11:00:00",
        21034.50,
        txn_id=x,
        customer_id=c,
        holder="刘建国",
    )
    d.hit("ABN-004", f, "redemption paid to an account held by someone else (刘建国)")
    x = d.new_txn(c, pa, "022", "2025-05-19 10:00:00", status="rejected", amount=15000.0)
    d.no_transfer_for.add(x)
    f = d.new_transfer(
        "refund",
        "2025-05-19",
        "2025-05-20 17:00:00",
        "2025-05-20 10:00:00",
        15000.0,
        txn_id=x,
        customer_id=None,
        holder="上海恒信投资管理有限公司",
    )
    d.hit("ABN-004", f, "refund with no customer_id: the transaction's customer is not the account holder")
    x = d.new_txn(c, pa, "022", "2025-05-21 10:00:00", status="failed", amount=8000.0)
    d.no_transfer_for.add(x)
    f = d.new_transfer(
        "refund",
        "2025-05-21",
        "2025-05-22 17:00:00",
        "2025-05-22 10:00:00",
        8000.0,
        txn_id=x,
        customer_id=None,
        holder=d.customer_name(c),
    )
    d.near("ABN-004", f, "refund with no customer_id whose holder is the transaction's customer")
    if not small:
        f = d.new_transfer(
            "dividend",
            "2025-09-16",
            "2025-09-18 17:00:00",
            "2025-09-18 10:30:00",
            523.18,
            customer_id=c,
            holder="王小明",
        )
        d.hit("ABN-004", f, "dividend paid to a third party")

    # ------------------------------------------------------------------ ABN-005
    c = cust()
    x = d.new_txn(c, pa, "024", "2025-03-17 10:00:00", shares=9000.0)
    d.no_transfer_for.add(x)
    f = d.new_transfer(
        "redemption_payout",
        "2025-03-17",
        "2025-03-20 17:00:00",
        "2025-03-20 17:01:00",
        9200.0,
        txn_id=x,
        customer_id=c,
    )
    d.hit("ABN-005", f, "payout executed one minute after due_at")
    x = d.new_txn(c, pa, "024", "2025-05-19 10:30:00", shares=4000.0)
    d.no_transfer_for.add(x)
    f = d.new_transfer(
        "redemption_payout",
        "2025-05-19",
        "2025-05-22 17:00:00",
        "2025-05-22 17:00:00",
        4100.0,
        txn_id=x,
        customer_id=c,
    )
    d.near("ABN-005", f, "payout executed exactly at due_at")
    f = d.new_transfer("dividend", "2025-12-16", "2025-12-18 17:00:00", None, 310.00, customer_id=c)
    d.hit("ABN-005", f, "dividend never executed, due 2025-12-18 (before as_of)")
    f = d.new_transfer("dividend", "2025-12-31", "2026-02-06 17:00:00", None, 128.40, customer_id=c)
    d.near("ABN-005", f, "not executed yet, but due only on 2026-02-06 (after as_of)")
    if not small:
        x = d.new_txn(c, pa, "022", "2025-08-19 10:00:00", status="failed", amount=30000.0)
        d.no_transfer_for.add(x)
        f = d.new_transfer(
            "refund",
            "2025-08-19",
            "2025-08-20 17:00:00",
            "2025-08-21 09:30:00",
            30000.0,
            txn_id=x,
            customer_id=c,
        )
        d.hit("ABN-005", f, "refund executed the morning after its due time")
        f = d.new_transfer(
            "dividend", "2024-12-30", "2025-01-03 17:00:00", "2025-01-06 10:00:00", 88.00, customer_id=c
        )
        d.near("ABN-005", f, "late, but business_date 2024-12-30 is before the period")

    # ------------------------------------------------------------------ ABN-006
    c = cust()

    def short(collected):
        return [_sweep(round(collected - 100.0, 2), "2025-03-04 18:00:00", "2025-03-04 17:30:00")]

    counter_day(c, b1, "2025-03-04", 50000.0, short)
    d.hit("ABN-006", f"{b1}:2025-03-04", "branch sweep 100.00 short of the day's collections")

    def next_day(collected):
        return [_sweep(round(collected, 2), "2025-06-17 12:00:00", "2025-06-17 09:10:00")]

    counter_day(c, b2, "2025-06-16", 36000.0, next_day)
    d.hit(
        "ABN-006", f"{b2}:2025-06-16", "full sweep, but executed the next morning (not the same calendar day)"
    )

    def split(collected):
        a = round(collected * 0.6, 2)
        return [
            _sweep(a, "2025-07-08 18:00:00", "2025-07-08 17:20:00"),
            _sweep(round(collected - a, 2), "2025-07-08 18:00:00", "2025-07-08 17:40:00"),
        ]

    counter_day(c, b1, "2025-07-08", 41000.0, split)
    d.near("ABN-006", f"{b1}:2025-07-08", "collections swept in two transfers that add up exactly")

    def late_evening(collected):
        return [_sweep(round(collected, 2), "2025-08-12 23:59:59", "2025-08-12 23:59:59")]

    counter_day(c, b2, "2025-08-12", 27500.0, late_evening)
    d.near("ABN-006", f"{b2}:2025-08-12", "swept at 23:59:59 the same calendar day")
    if not small:
        counter_day(c, b3, "2025-11-20", 18800.0, lambda collected: [])
        d.hit("ABN-006", f"{b3}:2025-11-20", "no branch sweep at all for the day's collections")

    # ------------------------------------------------------------------ ABN-007
    c = cust()
    x = d.new_txn(c, pa, "022", "2025-03-12 15:00:00", trade_date="2025-03-12")
    d.hit("ABN-007", x, "applied at 15:00:00 (the cut-off) but given the same day as trade date")
    x = d.new_txn(c, pa, "022", "2025-03-12 14:59:59", trade_date="2025-03-12")
    d.near("ABN-007", x, "applied 14:59:59, trade date the same day")
    x = d.new_txn(c, pa, "022", "2025-03-12 15:00:00", trade_date="2025-03-13")
    d.near("ABN-007", x, "applied at 15:00:00, trade date the next trading day")
    x = d.new_txn(c, pa, "022", "2025-02-08 10:00:00", channel="counter", branch=b1, trade_date="2025-02-08")
    d.hit(
        "ABN-007", x, "applied on the make-up working Saturday 2025-02-08 (exchange closed) with T = that day"
    )
    x = d.new_txn(c, pa, "022", "2025-02-08 10:30:00", channel="counter", branch=b1, trade_date="2025-02-10")
    d.near("ABN-007", x, "applied on the make-up Saturday, T = Monday 2025-02-10")
    x = d.new_txn(c, pa, "022", "2025-09-30 15:30:00", trade_date="2025-10-08")
    d.hit("ABN-007", x, "applied 2025-09-30 after cut-off; T set to 10-08 (holiday) instead of 10-09")
    x = d.new_txn(c, pa, "022", "2025-09-30 15:30:00", trade_date="2025-10-09")
    d.near(
        "ABN-007",
        x,
        "applied 2025-09-30 after cut-off, T = 2025-10-09 (first trading day after National Day)",
    )
    if not small:
        x = d.new_txn(c, pa, "022", "2025-06-11 10:00:00", trade_date="2025-06-12")
        d.hit("ABN-007", x, "applied before the cut-off of a trading day but given the next day")
        x = d.new_txn(c, pa, "022", "2025-04-22 16:10:00", status="failed", trade_date="2025-04-22")
        d.hit("ABN-007", x, "a failed application after cut-off with T = same day (every status is tested)")
        x = d.new_txn(c, pa, "022", "2025-01-26 11:00:00", trade_date="2025-01-27")
        d.near("ABN-007", x, "applied on the make-up Sunday 2025-01-26 (exchange closed), T = Monday 01-27")
        x = d.new_txn(c, pa, "022", "2025-01-27 15:30:00", trade_date="2025-02-05")
        d.near(
            "ABN-007",
            x,
            "applied 01-27 after cut-off, T = 02-05, the first trading day after Spring Festival",
        )

    # ------------------------------------------------------------------ ABN-008
    c = cust()
    x = d.new_txn(c, pa, "022", "2025-01-27 10:00:00", status="failed", notified="2025-02-06 00:00:00")
    d.hit("ABN-008", x, "failed 01-27; next working day is 02-05 (Spring Festival): told 02-06 00:00:00")
    x = d.new_txn(c, pa, "022", "2025-01-27 10:05:00", status="failed", notified="2025-02-05 23:59:59")
    d.near("ABN-008", x, "failed 01-27, told 02-05 23:59:59 = end of the next working day")
    x = d.new_txn(c, pa, "024", "2025-02-07 11:00:00", status="rejected", notified="2025-02-09 10:00:00")
    d.hit("ABN-008", x, "rejected Fri 02-07; the next working day is Sat 02-08 (make-up), told Sun 02-09")
    x = d.new_txn(c, pa, "024", "2025-02-07 11:05:00", status="rejected", notified="2025-02-08 15:00:00")
    d.near("ABN-008", x, "rejected Fri 02-07, told on the make-up working Saturday 02-08")
    x = d.new_txn(c, pa, "022", "2025-10-21 13:00:00", status="failed", notified=None)
    d.hit("ABN-008", x, "failed and never notified")
    if not small:
        x = d.new_txn(c, pa, "022", "2025-12-31 10:00:00", status="rejected", notified="2026-01-05 09:00:00")
        d.hit(
            "ABN-008", x, "rejected 2025-12-31; the next working day is Sun 2026-01-04 (make-up): told 01-05"
        )
        x = d.new_txn(c, pa, "022", "2025-12-31 10:05:00", status="rejected", notified="2026-01-04 18:00:00")
        d.near("ABN-008", x, "rejected 2025-12-31, told on the make-up working Sunday 2026-01-04")

    # ------------------------------------------------------------- ABN-009 (sweeps to the special account)
    # demo-b names no special account: the rule is not tested there (parameter not provided)
    own = f"3100{d.p.seed % 10**6:06d}7712"  # a branch's ordinary (basic) account, not a special one

    def to(account, day):
        def plan(collected):
            return [_sweep(round(collected, 2), f"{day} 18:00:00", f"{day} 17:35:00", account=account)]

        return plan

    c = cust()
    counter_day(c, b1, "2025-04-15", 26000.0, to(own, "2025-04-15"))
    d.hit(
        "ABN-009",
        f"@sweep:{b1}:2025-04-15",
        "collections swept in full, but to the branch's ordinary account",
    )
    counter_day(c, b2, "2025-05-14", 14500.0, to(None, "2025-05-14"))
    d.hit("ABN-009", f"@sweep:{b2}:2025-05-14", "sweep with no receiving account recorded (null counts)")
    counter_day(c, b1, "2025-09-09", 9800.0, to(f" {d.special_accounts[0]}  ", "2025-09-09"))
    d.near(
        "ABN-009",
        f"@sweep:{b1}:2025-09-09",
        "the special account with spaces around it (trimmed, it matches)",
    )
    f = d.new_transfer(
        "branch_sweep",
        "2024-12-31",
        "2024-12-31 18:00:00",
        "2024-12-31 17:40:00",
        5200.0,
        branch_id=b2,
        account=own,
    )
    d.near("ABN-009", f, "to the ordinary account, but business date 2024-12-31, before the period")
    if len(d.special_accounts) > 1:
        counter_day(c, b1, "2025-10-21", 7300.0, to(d.special_accounts[1], "2025-10-21"))
        d.near(
            "ABN-009",
            f"@sweep:{b1}:2025-10-21",
            f"swept to the second special account {d.special_accounts[1]} (leading zero kept as text)",
        )
