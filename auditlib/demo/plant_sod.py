"""SOD plants: segregation of duties and authorization (SOD-001..009), and mitigations that end.

Every planted staff holding promotion/counter/sales is qualified and trained (STAFF-001/002 clean),
every planted item gets its review by a different staff unless the plant is about exactly that.
"""

from __future__ import annotations

from .base import SUITABILITY_COURSE as SC
from .base import Demo


def plant(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    mitigated = "mitigated" if d.p.institution_id == "demo-a" else "open"
    b1, b2 = d.branches[0], d.branches[1]
    bn1, bn2 = d.branch_name[b1], d.branch_name[b2]
    k1, k1b = d.counter_by_branch[0, 0], d.counter_by_branch[0, 1]  # bulk counter staff of the first branch
    k2 = d.counter_by_branch[1, 0]
    info = sorted(d.pool["info_processing"])
    fund = sorted(d.pool["fund_processing"])
    cmp_staff = sorted(d.pool["complaint_handling"])[0]
    low = d.product_of_risk(d.levels[0])

    # ------------------------------------------------------------------ SOD-001
    s = d.two_roles(("promotion", "2021-03-01", None), ("counter", "2025-03-01", None), department=bn2)
    d.mitigation_staff = s
    d.hit(
        "SOD-001",
        s,
        "promotion held since 2021 and counter added on 2025-03-01 (demo-a: approved exception "
        "in params, so mitigated)",
        status=mitigated,
    )
    s = d.two_roles(("info_processing", "2022-05-01", None), ("fund_processing", "2025-06-01", "2025-06-30"))
    d.expired_mitigation_staff = s
    d.hit(
        "SOD-001",
        s,
        "info_processing and fund_processing both held during June 2025 (covering a colleague; demo-a: "
        "the approved exception ended 2025-06-15, before the last common day: stays open)",
    )
    n1 = d.two_roles(
        ("promotion", "2020-01-01", "2025-03-31"), ("counter", "2025-04-01", None), department=bn2
    )
    d.near("SOD-001", n1, "promotion ended 2025-03-31, counter started 2025-04-01: no common day")
    if not small:
        s = d.two_roles(
            ("promotion", "2020-01-01", "2025-01-01"), ("counter", "2025-01-01", None), department=bn1
        )
        d.hit("SOD-001", s, "the only common day is 2025-01-01 = period_start (inside the period)")
        s = d.two_roles(
            ("info_processing", "2018-01-01", "2024-12-31"), ("fund_processing", "2024-06-01", None)
        )
        d.near("SOD-001", s, "info/fund processing overlapped only in 2024, before the period")
        s = d.new_staff("counter", "sales", department=bn1, hire="2019-09-01")
        d.near("SOD-001", s, "counter + sales is not a conflicting pair")

    # ------------------------------------------------------------------ SOD-002
    s = d.two_roles(
        ("audit", "2019-01-01", None), ("sales", "2025-09-01", "2025-10-31"), department="合规稽核部"
    )
    d.hit("SOD-002", s, "audit staff also held sales from 2025-09-01 to 2025-10-31")
    s = d.two_roles(
        ("audit", "2017-01-01", "2025-05-31"), ("promotion", "2025-06-01", None), department="合规稽核部"
    )
    d.near("SOD-002", s, "audit ended 2025-05-31, promotion started 2025-06-01: no common day")
    if not small:
        s = d.two_roles(
            ("risk_monitoring", "2025-12-31", None), ("counter", "2018-01-01", "2025-12-31"), department=bn1
        )
        d.hit(
            "SOD-002",
            s,
            "risk_monitoring from 2025-12-31 and counter until 2025-12-31: one common day = period_end",
        )
        s = d.new_staff("risk_monitoring", "complaint_handling", department="风险管理部", hire="2020-06-01")
        d.near(
            "SOD-002", s, "risk_monitoring + complaint_handling: complaint handling is not a business role"
        )
        s = d.two_roles(
            ("audit", "2026-01-05", None), ("counter", "2016-01-01", "2026-01-31"), department=bn2
        )
        d.near("SOD-002", s, "audit + counter overlap only from 2026-01-05, after the period")

    # ------------------------------------------------------------------ SOD-003
    s = d.two_roles(("it_head", "2016-01-01", None), ("infosec_head", "2025-07-01", "2025-08-15"))
    d.hit("SOD-003", s, "IT head acted as information-security head 2025-07-01..2025-08-15")
    if not small:
        s = d.two_roles(("it_head", "2015-01-01", "2025-02-28"), ("infosec_head", "2025-03-01", None))
        d.near("SOD-003", s, "it_head ended 2025-02-28, infosec_head from 2025-03-01")
        s = d.new_staff("infosec_head", "it_head", hire="2021-04-01")
        d.hit("SOD-003", s, "infosec_head and it_head both held all year")

    # ------------------------------------------------------------------ SOD-004 (+ SOD-005 actors)
    m = d.two_roles(("it_ops", "2021-01-01", None), ("counter", "2025-08-01", None), department=bn2)
    d.hit("SOD-004", m, "it_ops staff also given the counter role from 2025-08-01")
    q = d.two_roles(("it_ops", "2019-01-01", "2024-12-31"), ("counter", "2025-01-01", None), department=bn2)
    d.near("SOD-004", q, "it_ops ended 2024-12-31, counter from 2025-01-01")
    dev = d.two_roles(("it_dev", "2019-01-01", "2025-06-30"), ("info_processing", "2025-07-01", None))
    d.near("SOD-004", dev, "it_dev ended 2025-06-30, info_processing from 2025-07-01")
    if not small:
        s = d.new_staff("it_dev", "it_ops", hire="2020-01-01")
        d.hit("SOD-004", s, "it_dev and it_ops held together")
        s = d.two_roles(("it_dev", "2020-01-01", "2025-03-31"), ("info_processing", "2025-03-01", None))
        d.hit("SOD-004", s, "it_dev until 2025-03-31 overlaps info_processing from 2025-03-01 (March 2025)")
        s = d.new_staff("it_dev", "infosec_head", hire="2020-01-01")
        d.near("SOD-004", s, "it_dev + infosec_head: neither it_ops nor a business role")

    # ------------------------------------------------------------------ SOD-005
    u = d.new_customer(opened="2018-04-02 10:00:00", tol=5, assessed="2024-05-06 10:00:00")
    x = d.new_txn(u, low, "022", "2025-09-10 10:15:00", channel="counter", branch=b2, staff=m, amount=30000.0)
    d.own_ops.add(x)
    o = d.op("2025-09-10 10:15:00", m, "enter", "purchase", x)
    d.hit("SOD-005", o, "counter purchase entered by a staff who also holds it_ops")
    d.op("2025-09-10 10:40:00", k2, "review", "purchase", x)
    if not small:
        x = d.new_txn(
            u, low, "022", "2025-09-11 11:00:00", channel="counter", branch=b2, staff=k2, amount=12000.0
        )
        d.own_ops.add(x)
        d.op("2025-09-11 11:00:00", k2, "enter", "purchase", x)
        o = d.op("2025-09-11 11:20:00", m, "review", "purchase", x)
        d.hit("SOD-005", o, "review performed by a staff holding it_ops")
    x = d.new_txn(u, low, "022", "2025-01-02 10:00:00", channel="counter", branch=b2, staff=q, amount=8000.0)
    d.own_ops.add(x)
    o = d.op("2025-01-02 10:00:00", q, "enter", "purchase", x)
    d.near("SOD-005", o, "entered on 2025-01-02 by a staff whose it_ops role ended 2024-12-31")
    d.op("2025-01-02 10:30:00", k2, "review", "purchase", x)
    o = d.op("2025-06-30 10:00:00", dev, "enter", "other", "BATCH-0630-FIX")
    d.hit("SOD-005", o, "batch fix entered on 2025-06-30, the last day of the staff's it_dev role")
    d.hit("SOD-007", o, "on 2025-06-30 the staff held only it_dev: not authorized for `other`")
    o = d.op("2025-07-01 10:00:00", dev, "enter", "other", "BATCH-0701-FIX")
    d.near(
        "SOD-005", o, "2025-07-01: it_dev ended the day before, now info_processing (authorized for `other`)"
    )
    d.near("SOD-007", o, "info_processing is authorized for `other` from 2025-07-01")
    it_viewer = sorted(d.pool.get("it_dev", d.pool["it_ops"]))[0]
    o = d.op("2025-09-10 15:00:00", it_viewer, "view", "purchase", x)
    d.near("SOD-005", o, "IT staff only viewed (action `view` is not tested)")
    d.hit("INFO-001", o, "IT staff (no role with access to customer data) viewed a customer's purchase")

    # ------------------------------------------------------------------ SOD-006
    e = d.new_event(u, "bank_account_change", "2025-04-15 14:00:00", staff_id=k1)
    d.own_ops.add(e)
    d.op("2025-04-15 14:00:00", k1, "enter", "bank_account_change", e)
    d.hit("SOD-006", e, "bank-account change entered with no review at all")
    x = d.new_txn(u, low, "024", "2025-05-20 10:00:00", channel="counter", branch=b1, staff=k1, shares=5000.0)
    d.own_ops.add(x)
    d.op("2025-05-20 10:00:00", k1, "enter", "redemption", x)
    d.op("2025-05-20 10:05:00", k1, "review", "redemption", x)
    d.hit("SOD-006", x, "redemption reviewed only by its maker")
    f = d.new_transfer(
        "dividend", "2025-06-17", "2025-06-19 17:00:00", "2025-06-19 10:00:00", 812.35, customer_id=u
    )
    d.own_ops.add(f)
    d.op("2025-06-19 09:30:00", fund[0], "enter", "fund_transfer", f)
    d.op("2025-06-19 09:50:00", fund[0], "approve", "fund_transfer", f)
    d.hit("SOD-006", f, "dividend transfer entered and approved by the same staff")
    e = d.new_event(u, "info_change", "2025-03-12 10:00:00", staff_id=k1)
    d.own_ops.add(e)
    d.op("2025-03-12 10:00:00", k1, "enter", "info_change", e)
    d.op("2025-03-12 10:10:00", k1, "review", "info_change", e)
    d.op("2025-03-12 10:30:00", info[0], "approve", "info_change", e)
    d.near("SOD-006", e, "self-reviewed, but approved by a different staff")
    if not small:
        o = d.op("2025-03-12 11:00:00", cmp_staff, "review", "info_change", e)
        d.hit("SOD-007", o, "complaint-handling staff reviewed a customer info change (not authorized)")
        e = d.new_event(u, "info_change", "2025-12-31 16:30:00")
        d.own_ops.add(e)
        d.op("2025-12-31 16:40:00", info[0], "enter", "info_change", e)
        d.op("2026-01-04 09:30:00", info[1], "review", "info_change", e)
        d.near(
            "SOD-006",
            e,
            "entered 2025-12-31, reviewed by a different staff on 2026-01-04 (a make-up working "
            "Sunday, after the period: any time counts)",
        )
        e = d.new_event(u, "info_change", "2024-12-31 16:00:00")
        d.own_ops.add(e)
        d.op("2024-12-31 16:05:00", info[0], "enter", "info_change", e)
        d.near("SOD-006", e, "entered 2024-12-31 with no review: before the period")
    x = d.new_txn(u, low, "022", "2025-10-20 21:00:00", amount=5000.0)
    d.own_ops.add(x)
    d.op("2025-10-20 21:05:00", info[0], "enter", "purchase", x)
    d.near("SOD-006", x, "purchase entered with no review: purchases do not require one")

    # ------------------------------------------------------------------ SOD-007
    f = d.new_transfer(
        "dividend", "2025-09-16", "2025-09-18 17:00:00", "2025-09-18 10:00:00", 366.20, customer_id=u
    )
    o = d.op("2025-09-18 09:55:00", k1, "approve", "fund_transfer", f)
    d.hit("SOD-007", o, "counter staff approved a fund transfer (only fund_processing is authorized)")
    leaver = d.new_staff(
        "counter",
        department=bn1,
        hire="2018-03-01",
        leave="2025-06-30",
        training=[("2025-03-21", 8.0, SC), ("2025-05-16", 8.0)],
    )
    x = d.new_txn(
        u, low, "022", "2025-06-30 14:30:00", channel="counter", branch=b1, staff=leaver, amount=6000.0
    )
    d.own_ops.add(x)
    o = d.op("2025-06-30 14:30:00", leaver, "enter", "purchase", x)
    d.near("SOD-007", o, "operation on the staff's leave_date (2025-06-30) is still allowed")
    d.op("2025-06-30 14:50:00", k1b, "review", "purchase", x)
    x = d.new_txn(u, low, "022", "2025-07-02 10:00:00", channel="counter", branch=b1, staff=k1, amount=7000.0)
    d.counter_leaver = leaver
    o = d.op("2025-07-02 10:20:00", leaver, "review", "purchase", x)
    d.hit("SOD-007", o, "review by a staff who left on 2025-06-30 (counter role never ended in HR data)")
    if not small:
        x = d.new_txn(
            u, low, "020", "2025-03-31 16:00:00", channel="counter", branch=b2, staff=n1, amount=50000.0
        )
        d.own_ops.add(x)
        o = d.op("2025-03-31 16:00:00", n1, "enter", "subscription", x)
        d.hit(
            "SOD-007", o, "subscription entered 2025-03-31, the day before the staff's counter role started"
        )
        d.op("2025-03-31 16:20:00", k2, "review", "subscription", x)
        x = d.new_txn(
            u, low, "022", "2025-04-01 09:30:00", channel="counter", branch=b2, staff=n1, amount=20000.0
        )
        d.own_ops.add(x)
        o = d.op("2025-04-01 09:30:00", n1, "enter", "purchase", x)
        d.near("SOD-007", o, "purchase entered on the first day of the staff's counter role")
        d.op("2025-04-01 09:45:00", k2, "review", "purchase", x)

    # ------------------------------------------------------------------ SOD-008 (roles kept after leaving)
    d.hit("SOD-008", leaver, "left 2025-06-30; the counter role was never ended")
    d.near("SOD-008", d.leaver, "left 2025-05-31 and the sales role ended the same day")
    s = d.new_staff("info_processing", hire="2016-04-01", leave="2024-11-30")
    d.hit("SOD-008", s, "left 2024-11-30; info_processing still open in the period")
    s = d.new_staff("it_ops", hire="2019-01-01", leave="2025-03-14", role_end="2025-03-15")
    d.hit("SOD-008", s, "left 2025-03-14; it_ops ended one day later (2025-03-15)")
    s = d.new_staff("fund_processing", hire="2015-01-01", leave="2024-06-30", role_end="2024-12-31")
    d.near("SOD-008", s, "role kept after leaving 2024-06-30, but ended 2024-12-31, before the period")
    if not small:
        s = d.new_staff("info_processing", hire="2017-01-01", leave="2025-12-31")
        d.near("SOD-008", s, "left on period_end (2025-12-31): role kept only from 2026-01-01")
        s = d.new_staff("fund_processing", hire="2018-01-01", leave="2026-01-09")
        d.near("SOD-008", s, "leaves 2026-01-09, after period_end: not in scope")

    # ------------------------------------------------------------------ SOD-009 (complaints and sales)
    s = d.new_staff("complaint_handling", "counter", department=bn1, hire="2020-09-01")
    d.sod009_staff = s
    d.hit(
        "SOD-009",
        s,
        "branch staff takes complaints and works the counter all year (demo-a: approved exception valid "
        "until 2026-02-20, after the last common day: mitigated)",
        status=mitigated,
    )
    s = d.new_staff("complaint_handling", "info_processing", hire="2021-02-01")
    d.near("SOD-009", s, "complaint handling + info_processing: not a sales role")
    s = d.two_roles(("complaint_handling", "2019-05-01", "2025-04-30"), ("promotion", "2025-05-01", None))
    d.near("SOD-009", s, "complaint handling ended 2025-04-30, promotion from 2025-05-01: no common day")
    if not small:
        s = d.two_roles(
            ("complaint_handling", "2018-01-01", None), ("sales", "2025-12-31", None), department=bn2
        )
        d.hit("SOD-009", s, "sales added on 2025-12-31: one common day = period_end")
        s = d.two_roles(
            ("complaint_handling", "2018-01-01", None),
            ("sales", "2023-01-01", "2024-12-31"),
            department=bn2,
            training=[],
        )
        d.near("SOD-009", s, "complaint handling + sales only until 2024-12-31, before the period")
    # demo-a's params list a mitigation that matches no finding (the report lists it as unused)
    d.unused_mitigation_staff = n1
