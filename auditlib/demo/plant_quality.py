"""Deliberately bad rows: the loader must quarantine them (table, row, column) and load everything else.

Each bad row is harmless for the findings whether it is quarantined or not: bad transactions are clean
online purchases of an ordinary customer with an archive record, the bad complaint has no receipt time
(so it is outside the period anyway), the duplicate customer repeats the first occurrence, and the bad
assessment is older than every other assessment of its customer. Parquet tables get no bad rows.
Rows are numbered as a spreadsheet shows them: header = row 1, first data row = row 2.
"""

from __future__ import annotations

import numpy as np

from .base import Demo


def plant(d: Demo) -> None:
    pid = d.p.institution_id
    pa = d.product_of_risk(d.levels[0])
    c = d.new_customer(tol=d.levels[-1], assessed="2024-06-03 10:00:00")

    def bad_txn(n, after, column, **bad):
        tid = f"T95000000{n:02d}"
        row = {
            "txn_id": tid,
            "customer_id": c,
            "product_code": pa,
            "business_code": "022",
            "applied_at": "2025-02-18 10:15:00",
            "trade_date": "2025-02-18",
            "amount": "5000.00",
            "status": "confirmed",
            "channel": "online",
        } | bad
        d.bad_rows.append({"table": "transactions", "row": row, "column": column, "after": lambda df: after})
        # an archive record, so the row is clean even if a loader kept it
        d.add(
            "archive_records",
            record_id=d.next_id("record", "AR", 9000000001, 10),
            record_type="transaction",
            subject_id=tid,
            archived_at=np.datetime64("2025-02-25", "s"),
            disposed_at=None,
            location="电子档案系统",
        )

    def dup_customer(after):
        def pos(df):
            return min(after, len(df) - 1)

        d.bad_rows.append(
            {
                "table": "customers",
                "row": lambda df: df.iloc[pos(df)].to_dict(),
                "column": "customer_id",
                "after": pos,
            }
        )

    def bad_complaint(after, column, value):
        row = {
            "complaint_id": "TS95000001",
            "customer_id": c,
            "received_at": "2025-05-06 10:00:00",
            "channel": "visit",
            "severity": "general",
            "category": "other",
            "description": "客户来访咨询，记录不完整。",
            "registered_at": "2025-05-06 10:05:00",
            "forwarded_at": "2025-05-06 10:10:00",
            "responded_at": "2025-05-06 15:00:00",
            "resolved_at": "2025-05-06 16:00:00",
            "callback_at": "2025-05-07 10:00:00",
            "root_cause": "客户误解业务规则",
        } | {column: value}
        d.bad_rows.append({"table": "complaints", "row": row, "column": column, "after": lambda df: after})

    if pid == "demo-a":
        bad_txn(1, 40, "applied_at", applied_at="2025-02-30 10:15:00")
        bad_txn(2, 95, "amount", amount="12O00.00")
        bad_txn(3, 160, "customer_id", customer_id=None)
        dup_customer(57)
        bad_complaint(12, "received_at", None)
    elif pid == "demo-b":
        bad_txn(1, 33, "applied_at", applied_at="2025-04-31 09:00:00")
        bad_txn(2, 71, "status", status=None)
        dup_customer(21)
        bad_complaint(5, "severity", None)
    else:  # demo-c: transactions and operations are Parquet (typed): bad rows go into CSV tables
        dup_customer(101)
        dup_customer(2002)
        bad_complaint(30, "received_at", "无")
        d.bad_rows.append(
            {
                "table": "risk_assessments",
                "column": "risk_tolerance",
                "after": lambda df: 250,
                "row": {"customer_id": c, "assessed_at": "2015-01-05 10:00:00", "risk_tolerance": None},
            }
        )
