"""STAFF and REC plants: qualification, training hours, suitability training, branch reconciliations."""

from __future__ import annotations

from .base import SUITABILITY_COURSE as SC
from .base import Demo


def plant(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    b1, b2 = d.branches[0], d.branches[1]
    bn1 = d.branch_name[b1]
    ok_training = [("2025-03-21", 6.0, SC), ("2025-06-20", 6.0), ("2025-10-24", 4.0)]

    # ------------------------------------------------------------------ STAFF-001
    s = d.new_staff("sales", department=bn1, hire="2024-03-01", qualified=False, training=ok_training)
    d.hit("STAFF-001", s, "sales staff without the fund practitioner qualification")
    s = d.new_staff("promotion", hire="2023-09-01", qualified=None, training=ok_training)
    d.hit("STAFF-001", s, "promotion staff whose qualification is not recorded (null is not true)")
    s = d.new_staff("complaint_handling", hire="2022-01-01", qualified=False)
    d.near("STAFF-001", s, "unqualified, but complaint handling is not a sales role")
    s = d.new_staff(
        "sales", department=bn1, hire="2020-01-01", qualified=False, role_end="2024-12-31", training=[]
    )
    d.near("STAFF-001", s, "unqualified sales staff whose role ended 2024-12-31 (not held in the period)")
    if d.has("training"):
        d.near("STAFF-002", s, "no training, but the sales role ended before the period")
        d.near("STAFF-003", s, "no suitability course, but the sales role ended before the period")
    if not small:
        s = d.new_staff(
            "counter",
            department=bn1,
            hire="2019-01-01",
            qualified=False,
            role_end="2025-02-28",
            training=[("2025-01-17", 8.0, SC), ("2025-02-21", 8.0)],
        )
        d.hit("STAFF-001", s, "unqualified counter staff, role held until 2025-02-28")
        s = d.new_staff(
            "sales",
            department=bn1,
            hire="2026-01-05",
            qualified=False,
            training=[],
            role_dates=[("2026-01-05", None)],
        )
        d.near("STAFF-001", s, "sales role starting 2026-01-05, after the period")

    # ------------------------------------------------------------------ STAFF-002
    if d.has("training"):
        s = d.new_staff(
            "sales",
            department=bn1,
            hire="2021-01-01",
            training=[("2025-04-11", 6.0, SC), ("2025-09-12", 6.0), ("2025-11-14", 2.5)],
        )
        d.hit("STAFF-002", s, "14.5 training hours in the period")
        s = d.new_staff(
            "counter",
            department=bn1,
            hire="2021-01-01",
            training=[("2024-12-20", 8.0), ("2025-05-09", 6.0, SC), ("2025-08-08", 4.0)],
        )
        d.hit("STAFF-002", s, "10 hours in the period; the 8 hours of 2024-12-20 do not count")
        s = d.new_staff(
            "sales",
            department=bn1,
            hire="2021-01-01",
            training=[("2025-03-14", 5.0, SC), ("2025-07-11", 5.0), ("2025-10-17", 5.0)],
        )
        d.near("STAFF-002", s, "exactly 15.0 hours")
        s = d.new_staff(
            "promotion",
            hire="2021-01-01",
            training=[("2025-06-13", 6.0, SC), ("2025-11-21", 6.0), ("2025-12-31", 3.0)],
        )
        d.near("STAFF-002", s, "12 hours + 3 hours on 2025-12-31 (period end) = 15")
        if not small:
            s = d.new_staff("promotion", hire="2021-01-01", training=[])
            d.hit("STAFF-002", s, "no training at all")
            d.hit("STAFF-003", s, "no training at all, so no suitability course")
            s = d.new_staff("it_ops", hire="2021-01-01", training=[("2025-05-09", 2.0)], qualified=False)
            d.near("STAFF-002", s, "2 hours, but IT operations is not a sales role")
            d.near("STAFF-003", s, "no suitability course, but IT operations is not a sales role")

    # ------------------------------------------------------------------ STAFF-003 (suitability training)
    if d.has("training"):
        s = d.new_staff(
            "sales",
            department=bn1,
            hire="2022-01-01",
            training=[
                ("2025-03-07", 6.0, "反洗钱与客户身份识别"),
                ("2025-06-06", 6.0, "产品知识培训"),
                ("2025-09-05", 4.0, "信息安全意识"),
            ],
        )
        d.hit("STAFF-003", s, "16 hours of training in the period, none of it on suitability")
        s = d.new_staff(
            "counter",
            department=bn1,
            hire="2022-01-01",
            training=[
                ("2024-12-13", 4.0, SC),
                ("2025-04-18", 8.0, "投资者权益保护"),
                ("2025-10-17", 8.0, "合规风险案例分析"),
            ],
        )
        d.hit("STAFF-003", s, "its suitability course was on 2024-12-13, before the period")
        s = d.new_staff(
            "sales",
            department=bn1,
            hire="2022-01-01",
            training=[("2025-05-23", 8.0, "投资者适当性管理办法解读"), ("2025-11-07", 8.0, "产品知识培训")],
        )
        d.near("STAFF-003", s, "course on 适当性 (investor suitability): a keyword")
        s = d.new_staff(
            "promotion",
            hire="2022-01-01",
            training=[
                ("2025-04-25", 8.0, "Suitability Rules Refresher"),
                ("2025-08-29", 8.0, "产品知识培训"),
            ],
        )
        d.near("STAFF-003", s, "course 'Suitability Rules Refresher': keywords match whatever the case")

    # ------------------------------------------------------------------ REC-001
    if d.has("reconciliations"):

        def recon(branch, day, performed, differences=0):
            d.no_recon.add((branch, day))
            d.add(
                "reconciliations",
                recon_date=day,
                branch_id=branch,
                performed_at=performed,
                differences=differences,
            )

        d.no_recon.add((b1, "2025-04-08"))
        d.hit("REC-001", f"{b1}:2025-04-08", "no reconciliation row for the trading day")
        recon(b2, "2025-05-13", None)
        d.hit("REC-001", f"{b2}:2025-05-13", "reconciliation row present but never performed")
        recon(b1, "2025-06-10", "2025-06-10 18:20:00", differences=2)
        d.hit("REC-001", f"{b1}:2025-06-10", "performed on time with 2 unresolved differences")
        recon(b2, "2025-02-07", "2025-02-10 09:00:00")
        d.hit("REC-001", f"{b2}:2025-02-07", "Friday 02-07: due by the make-up Saturday 02-08, done Monday")
        recon(b1, "2025-02-07", "2025-02-08 16:00:00")
        d.near("REC-001", f"{b1}:2025-02-07", "Friday 02-07 reconciled on the make-up working Saturday")
        recon(b2, "2025-01-27", "2025-02-05 20:00:00")
        d.near(
            "REC-001",
            f"{b2}:2025-01-27",
            "last trading day before Spring Festival, done on the next working day",
        )
        if not small:
            recon(b1, "2025-09-30", "2025-10-09 23:59:59")
            d.near("REC-001", f"{b1}:2025-09-30", "done at 23:59:59 of the next working day (10-09)")
            recon(b2, "2025-02-08", "2025-02-08 18:00:00", differences=3)
            d.near("REC-001", f"{b2}:2025-02-08", "differences on a make-up Saturday: not a trading day")
            recon(b1, "2025-12-31", "2026-01-05 10:00:00")
            d.hit("REC-001", f"{b1}:2025-12-31", "due by the make-up Sunday 2026-01-04, done 2026-01-05")
