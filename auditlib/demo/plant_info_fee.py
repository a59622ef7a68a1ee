"""INFO plants: who looks at customer data (INFO-001) and data changed outside the business flow
(INFO-002); FEE plants: purchase fees above the contract (FEE-001).

INFO-002 and FEE-001 need the v2 table and columns: the plants are in every institution's data, but only
those that hand them over (demo-a, demo-c) test them. Runs after the SOD plants (it reuses their staff).
"""

from __future__ import annotations

import numpy as np

from .base import Demo


def plant(d: Demo) -> None:
    info_access(d)
    data_changes(d)
    fees(d)


def info_access(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    it = sorted(d.pool["it_ops"])[0]
    info = sorted(d.pool["info_processing"])[0]
    cust = d.t["customers"]["customer_id"].iloc[:4].tolist()
    left = d.counter_leaver  # counter staff who left 2025-06-30, the role never ended (SOD plants)

    o = d.op("2025-07-03 10:00:00", left, "view", "account_open", cust[0])
    d.hit("INFO-001", o, "viewed customer data on 2025-07-03, after leaving on 2025-06-30")
    o = d.op("2025-06-30 16:00:00", left, "view", "account_open", cust[0])
    d.near("INFO-001", o, "viewed on the leave date itself, still holding the counter role")
    o = d.op("2025-08-12 11:00:00", it, "other", "other", cust[1])
    d.hit("INFO-001", o, "IT operations staff exported a customer list (action `other`)")
    o = d.op("2025-08-12 11:30:00", info, "other", "other", cust[1])
    d.near("INFO-001", o, "the same export by an info_processing staff (a data access role)")
    o = d.op("2024-12-31 15:00:00", it, "view", "info_change", cust[2])
    d.near("INFO-001", o, "IT staff viewed customer data on 2024-12-31, before the period")
    if not small:
        o = d.op("2025-05-08 14:00:00", sorted(d.pool["promotion"])[0], "view", "purchase", cust[3])
        d.hit("INFO-001", o, "promotion staff looked up a customer's purchases (no data access role)")
        o = d.op("2025-05-08 14:30:00", sorted(d.pool["audit"])[0], "view", "purchase", cust[3])
        d.near("INFO-001", o, "the same look-up by an audit staff")


def data_changes(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    info = sorted(d.pool["info_processing"])
    a, b = info[0], info[1]
    t = d.t

    def change(at, table, record, field, old, new, by=a, approver=b, approved="auto"):
        cid = d.next_id("change", "DC", 90000001, 8)
        ts = np.datetime64(at, "s")
        d.add(
            "data_changes",
            change_id=cid,
            changed_at=ts,
            changed_by=by,
            table_name=table,
            record_id=record,
            field=field,
            old_value=old,
            new_value=new,
            approved_by=approver,
            approved_at=ts - np.timedelta64(30, "m")
            if approved == "auto"
            else (np.datetime64(approved, "s") if approved else None),
        )
        return cid

    txn = t["transactions"]["txn_id"].iloc[10]
    cust = t["customers"]["customer_id"].iloc[5]
    x = change(
        "2025-04-03 10:00:00",
        "transactions",
        txn,
        "amount",
        "50000.00",
        "5000.00",
        approver=None,
        approved=None,
    )
    d.hit("INFO-002", x, "a transaction's amount changed with no approval")
    x = change("2025-05-21 15:00:00", "customers", cust, "phone", "13800001111", "13900002222", approver=a)
    d.hit("INFO-002", x, "a customer's phone changed and approved by the same staff")
    x = change(
        "2025-06-11 11:00:00",
        "fund_transfers",
        "F0000000010",
        "to_account",
        "6222020000000001",
        "6222020000000002",
        approved=None,
    )
    d.hit("INFO-002", x, "a transfer's receiving account changed; approver named, approval time missing")
    x = change(
        "2025-07-08 09:30:00", "customers", cust, "name", "张三", "张山", approved="2025-07-08 09:30:01"
    )
    d.hit("INFO-002", x, "approved one second after the change (not prior)")
    x = change(
        "2025-07-09 09:30:00", "customers", cust, "name", "张山", "张三", approved="2025-07-09 09:30:00"
    )
    d.near("INFO-002", x, "approved at the very instant of the change")
    x = change(
        "2025-08-14 16:00:00", "products", "000001", "name", "旧名称", "新名称", approver=None, approved=None
    )
    d.near("INFO-002", x, "a product name changed with no approval: products is not a table under this rule")
    x = change(
        "2024-12-31 23:59:59",
        "transactions",
        txn,
        "status",
        "failed",
        "confirmed",
        approver=None,
        approved=None,
    )
    d.near("INFO-002", x, "unapproved change at 2024-12-31 23:59:59, before the period")
    if not small:
        x = change(
            "2025-10-15 10:00:00",
            "account_events",
            "E0000000003",
            "identity_verified",
            "false",
            "true",
            approved="2025-10-17 09:00:00",
        )
        d.hit("INFO-002", x, "an account event's verification flag set, approved two days afterwards")


def fees(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    hi, lo = d.levels[-1], d.levels[0]
    pr = d.new_product(d.levels[len(d.levels) // 2], "2025-02-10", "睿泽稳健回报混合A", max_fee_rate=0.015)
    c = d.new_customer(tol=hi, assessed="2024-06-03 10:00:00")
    x = d.new_txn(c, pr, "022", "2025-04-08 10:00:00", amount=10000.0, fee=151.0)
    d.near("FEE-001", x, "fee 151.00 on 10,000.00 = 1.51% = the 1.5% limit + 0.01% tolerance exactly")
    x = d.new_txn(c, pr, "022", "2025-04-09 10:00:00", amount=10000.0, fee=151.01)
    d.hit("FEE-001", x, "fee 151.01 on 10,000.00: one cent above the limit with its tolerance")
    money = d.product_of_risk(lo)  # no purchase fee allowed (max_fee_rate 0)
    x = d.new_txn(c, money, "022", "2025-05-13 10:00:00", amount=20000.0, fee=5.0)
    d.hit("FEE-001", x, "5.00 charged on a product whose contract allows no purchase fee")
    x = d.new_txn(c, money, "022", "2025-05-14 10:00:00", amount=20000.0, fee=2.0)
    d.near("FEE-001", x, "2.00 on 20,000.00 = 0.01%: within the tolerance of a zero-fee contract")
    x = d.new_txn(c, pr, "024", "2025-06-17 10:00:00", shares=5000.0, fee=400.0)
    d.near("FEE-001", x, "a high fee on a redemption: only purchases are tested")
    x = d.new_txn(c, pr, "022", "2025-06-18 10:00:00", status="rejected", amount=10000.0, fee=500.0)
    d.near("FEE-001", x, "a high fee on a rejected purchase")
    x = d.new_txn(c, pr, "022", "2025-06-19 10:00:00", amount=10000.0, fee=np.nan)
    d.near("FEE-001", x, "fee not recorded: left out of the population")
    if not small:
        no_cap = d.new_product(
            d.levels[len(d.levels) // 2], "2025-02-10", "弘毅量化对冲混合A", max_fee_rate=np.nan
        )
        x = d.new_txn(c, no_cap, "022", "2025-07-01 10:00:00", amount=10000.0, fee=300.0)
        d.near("FEE-001", x, "the contract's limit not recorded for the product: left out")
        x = d.new_txn(c, pr, "022", "2025-07-02 10:00:00", channel="counter", amount=3333.33, fee=50.34)
        d.hit("FEE-001", x, "50.34 on 3,333.33 = 1.51020...%: above 1.51%")
        x = d.new_txn(c, pr, "022", "2025-07-03 10:00:00", channel="counter", amount=3333.33, fee=50.33)
        d.near("FEE-001", x, "50.33 on 3,333.33 = 1.50990...%: within 1.51%")
