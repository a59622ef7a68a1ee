"""RET plants: record retention (archive) and backups (RET-001..007).

Retention end = 31 Dec of (basis year + 15): a customer closed in 2009 may be disposed of from 2025-01-01,
a transaction traded in 2010 from 2026-01-01. Very old rows carry explicit trade dates (the working-day
calendar is only needed for the audit period).
"""

from __future__ import annotations

import numpy as np

from .base import Demo


def plant(d: Demo) -> None:
    plant_complaint_archive(d)
    small = d.p.institution_id == "demo-b"
    hi = d.levels[-1]
    pa = d.product_of_risk(d.levels[0])

    def record(rtype, subject, archived, disposed=None, location="总部档案室"):
        rid = d.next_id("record", "AR", 9000000001, 10)
        d.no_archive.add(subject)
        d.add(
            "archive_records",
            record_id=rid,
            record_type=rtype,
            subject_id=subject,
            archived_at=np.datetime64(archived, "s"),
            disposed_at=np.datetime64(disposed, "s") if disposed else None,
            location=location,
        )
        return rid

    def cust(**kw):
        return d.new_customer(tol=hi, assessed=kw.pop("assessed", "2024-06-03 10:00:00"), **kw)

    # ------------------------------------------------------------------ RET-001
    c = cust()
    r = record("customer_identity", c, "2019-05-21", "2025-06-30")
    d.hit("RET-001", r, "identity file of an active customer destroyed on 2025-06-30")
    c = cust(opened="2014-02-10 10:00:00", closed="2020-05-12 15:00:00", assessed="2014-02-10 10:30:00")
    r = record("customer_identity", c, "2014-02-11", "2025-09-01")
    d.hit("RET-001", r, "customer closed 2020: identity kept until 2035-12-31, destroyed 2025-09-01")
    c = cust(opened="2006-04-03 10:00:00", closed="2009-03-10 11:00:00", assessed="2006-04-03 10:30:00")
    r = record("customer_identity", c, "2006-04-04", "2025-01-02")
    d.near("RET-001", r, "customer closed 2009: retention ended 2024-12-31, destroyed 2025-01-02")
    if not small:
        c = cust(opened="2008-09-01 10:00:00", closed="2011-06-30 15:00:00", assessed="2008-09-01 10:30:00")
        r = record("customer_identity", c, "2008-09-02", "2025-12-15")
        d.hit("RET-001", r, "customer closed 2011: retention ends 2026-12-31, destroyed 2025-12-15")
        c = cust()
        r = record("customer_identity", c, "2019-05-21", "2026-03-01")
        d.near("RET-001", r, "disposal of an active customer's file scheduled for 2026-03-01, after as_of")

    # ------------------------------------------------------------------ RET-002
    c = cust()
    x = d.new_txn(c, pa, "022", "2025-03-25 10:00:00", amount=12000.0)
    r = record("transaction", x, "2025-03-28", "2025-11-30")
    d.hit("RET-002", r, "a 2025 transaction record destroyed in 2025-11")
    c = cust(opened="2008-03-03 10:00:00", assessed="2008-03-03 10:30:00")
    x = d.new_txn(c, pa, "022", "2010-06-18 10:00:00", trade_date="2010-06-18", amount=5000.0)
    d.own_ops.add(x)
    r = record("transaction", x, "2010-06-25", "2026-01-05")
    d.near("RET-002", r, "traded 2010: kept until 2025-12-31, destroyed 2026-01-05")
    x = d.new_txn(c, pa, "022", "2011-03-15 10:00:00", trade_date="2011-03-15", amount=5000.0)
    d.own_ops.add(x)
    r = record("transaction", x, "2011-03-22", "2026-01-05")
    d.hit("RET-002", r, "traded 2011: must be kept until 2026-12-31, destroyed 2026-01-05")
    if not small:
        c = cust()
        x = d.new_txn(c, pa, "022", "2025-04-02 10:00:00", amount=9000.0)
        r = record("transaction", x, "2025-04-08", "2026-02-15")
        d.near("RET-002", r, "disposal scheduled for 2026-02-15, after as_of")

    # ------------------------------------------------------------------ RET-003
    c = cust(opened="2025-04-10 10:00:00", assessed="2025-04-10 10:20:00")
    d.no_archive.add(c)
    d.hit("RET-003", c, "customer opened 2025-04-10 with no identity record in the archive")
    c = cust()
    x = d.new_txn(c, pa, "022", "2025-06-05 10:00:00", amount=7000.0)
    d.no_archive.add(x)
    d.hit("RET-003", x, "confirmed transaction of 2025-06-05 never archived")
    c = d.new_customer(opened="2026-01-15 10:00:00", tol=None)
    d.no_archive.add(c)
    d.near("RET-003", c, "customer opened 2026-01-15, after the period: no record expected yet")
    x = d.new_txn(cust(), pa, "022", "2025-06-06 10:00:00", status="failed", amount=7000.0)
    d.near("RET-003", x, "failed transaction: no transaction record required")
    if not small:
        c = cust(opened="2016-08-08 10:00:00")
        d.no_archive.add(c)
        d.hit("RET-003", c, "long-standing customer (2016) whose identity file is missing")
        c = cust()
        x = d.new_txn(c, pa, "022", "2025-12-31 15:30:00", amount=4000.0)
        d.no_archive.add(x)
        d.near("RET-003", x, "applied 2025-12-31 15:30, T = 2026-01-05: archiving due only 2026-02-04")
        x = d.new_txn(c, pa, "022", "2024-12-20 10:00:00", amount=4000.0, trade_date="2024-12-20")
        d.no_archive.add(x)
        d.near("RET-003", x, "unarchived, but applied 2024-12-20, before the period")

    if not d.has("backups"):
        return

    # ------------------------------------------------------------------ RET-004..006
    def backup(
        day,
        status="success",
        offsite=True,
        immutable=True,
        retain=None,
        investor=True,
        site=None,
        completed=None,
    ):
        bid = d.next_id("backup", "BK", 90000001, 8)
        d.add(
            "backups",
            backup_id=bid,
            backup_date=np.datetime64(day, "s"),
            completed_at=np.datetime64(completed or f"{np.datetime64(day) + 1} 02:30:00", "s"),
            status=status,
            site=site or ("异地灾备中心（贵安）" if offsite else "本地机房"),
            offsite=offsite,
            immutable=immutable,
            retain_until=np.datetime64(retain or f"{int(day[:4]) + 16}-12-31", "s"),
            contains_investor_data=investor,
        )
        return bid

    d.no_backup.add("2025-03-15")
    d.hit("RET-004", "2025-03-15", "no backup at all on Saturday 2025-03-15")
    d.no_backup.add("2025-07-04")
    b = backup("2025-07-04", status="failed", offsite=False)
    d.hit("RET-004", "2025-07-04", "the only backup of the day failed")
    d.near("RET-005", b, "not offsite, but a failed backup")
    d.no_backup.add("2025-05-20")
    backup("2025-05-20", status="failed")
    backup("2025-05-20", completed="2025-05-21 06:10:00")
    d.near("RET-004", "2025-05-20", "first backup failed, the retry succeeded")
    b = backup("2025-04-20", offsite=False)
    d.hit("RET-005", b, "an extra success backup kept in the production machine room")
    b = backup("2025-08-09", investor=True, immutable=False)
    d.hit("RET-006", b, "investor-data backup on a rewritable medium")
    b = backup("2025-09-12", retain="2040-09-11")
    d.hit("RET-006", b, "retained until 2040-09-11: one day short of backup_date + 15 years")
    b = backup("2025-09-13", retain="2040-09-13")
    d.near("RET-006", b, "retained until exactly backup_date + 15 years")
    b = backup("2025-09-14", investor=False, immutable=False, retain="2026-09-14")
    d.near("RET-006", b, "short retention on a rewritable medium, but no investor data")
    if not small:
        d.no_backup.add("2025-10-06")
        backup("2025-10-06", status="failed")
        backup("2025-10-06", status="failed", completed="2025-10-07 07:00:00")
        d.hit("RET-004", "2025-10-06", "two failed attempts on 2025-10-06, no success")
        b = backup("2025-11-02", offsite=None, site="备份服务器")
        d.hit("RET-005", b, "offsite not recorded (null is not true)")
        b = backup("2026-01-05", offsite=False)
        d.near("RET-005", b, "not offsite, but dated 2026-01-05 (after the period)")
        b = backup("2025-12-06", immutable=None)
        d.hit("RET-006", b, "immutable not recorded for an investor-data backup")


def plant_complaint_archive(d: Demo) -> None:
    """RET-007: complaint files and call recordings in the archive (grace: the institution's parameter;
    demo-c allows 60 days, so a complaint of 2025-12-02 is due exactly on as_of there)."""
    small = d.p.institution_id == "demo-b"
    grace = d.p.param("RET-007", "archive_grace_days")

    def cp(received, **kw):
        c = d.new_customer(tol=d.levels[-1], assessed="2024-06-03 10:00:00")
        return d.new_complaint(c, received, **kw)

    x = cp("2025-06-10 10:00:00")
    d.no_archive.add(x)
    d.hit("RET-007", x, "complaint of 2025-06-10 never archived")
    x = cp("2025-07-15 10:00:00", channel="phone")
    d.no_recording.add(x)
    d.hit("RET-007", x, "phone complaint archived, but its call recording is not")
    x = cp("2025-07-16 10:00:00", channel="phone", recording_ref=None)
    d.no_recording.add(x)
    d.hit("CMP-007", x, "phone complaint without a call recording reference")
    d.near("RET-007", x, "no recording archived, but no recording_ref either (that is CMP-007)")
    x = cp("2025-03-04 10:00:00")
    rid = d.next_id("record", "AR", 9000000001, 10)
    d.no_archive.add(x)
    d.add(
        "archive_records",
        record_id=rid,
        record_type="complaint",
        subject_id=x,
        archived_at=np.datetime64("2025-03-10", "s"),
        disposed_at=np.datetime64("2025-11-20", "s"),
        location="总部档案室",
    )
    d.near("RET-007", x, "its complaint file was archived and later disposed of (any archive row counts)")
    x = cp("2025-12-01 10:00:00")
    d.no_archive.add(x)
    d.hit("RET-007", x, f"complaint of 2025-12-01 not archived; the {grace}-day grace ended before as_of")
    x = cp("2025-12-02 10:00:00")
    d.no_archive.add(x)
    if grace == 60:
        d.near("RET-007", x, "not archived, but the 60-day grace ends exactly on as_of (2026-01-31)")
    else:
        d.hit("RET-007", x, f"complaint of 2025-12-02 not archived; the {grace}-day grace ended 2026-01-01")
    if not small:
        x = cp(
            "2024-12-31 10:00:00",
            responded_at="2024-12-31 15:00:00",
            resolved_at="2024-12-31 16:00:00",
            callback_at="2024-12-31 17:30:00",
        )
        d.no_archive.add(x)
        d.near("RET-007", x, "not archived, but received 2024-12-31, before the period")
