"""Dependent tables, built from the final primary tables so that every item gets its controls.

Each table is clean by construction; the plants' directives (`own_ops`, `no_archive`, `sweep_plan`,
`no_transfer_for`, `no_recon`, `no_backup`, `training_hours`) carve out the items whose rows are planted
explicitly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import BUSINESS_TYPES
from . import cal, pii
from .base import (
    AS_OF_S,
    BUSINESS_TYPE,
    DAY,
    HOUR,
    MIN,
    P_END_DAY,
    P_START,
    PURCHASE_CODES,
    SALES_ROLES,
    SUITABILITY_COURSE,
    Demo,
)

ARCHIVE_SITES = np.array(["总部档案室", "电子档案系统", "异地档案库"], dtype=object)


def _ts(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[s]") + np.asarray(
        seconds, dtype="int64"
    ) * np.timedelta64(1, "s")


def _other(rng, pool: np.ndarray, maker: np.ndarray) -> np.ndarray:
    """A staff from pool different from maker (pool has at least two members)."""
    pool = np.sort(pool)
    k = len(pool)
    i = rng.integers(0, k, len(maker))
    pick = pool[i]
    return np.where(pick == maker, pool[(i + 1) % k], pick)


# ---------------------------------------------------------------------- fund transfers
def transfers(d: Demo) -> None:
    rng, t, c = d.rng, d.t["transactions"], d.t["customers"]
    name = pd.Series(c["name"].to_numpy(), index=c["customer_id"].to_numpy())
    bank = pd.Series(c["_bank"].to_numpy(), index=c["customer_id"].to_numpy())
    name = name[~name.index.duplicated()]
    bank = bank[~bank.index.duplicated()]
    conf = (t["status"] == "confirmed").to_numpy()
    own = t["txn_id"].isin(d.no_transfer_for).to_numpy()
    code = t["business_code"].to_numpy()
    td = t["trade_date"].to_numpy().astype("datetime64[D]")
    parts = []

    def to_customers(kind, m, named_share, due_after, paid_after, amount):
        """Transfers of `kind` to the customers' bank accounts, due at 17:00 `due_after` trading days after T
        and paid in office hours `paid_after` days after T; `named_share` of them carry the customer_id.
        `amount(m, n)` is called last, so the seeded draws keep their order."""
        n = int(m.sum())
        cid = t["customer_id"].to_numpy()[m]
        return pd.DataFrame(
            {
                "transfer_type": kind,
                "txn_id": t["txn_id"].to_numpy()[m],
                "customer_id": np.where(rng.random(n) < named_share, cid, None),
                "branch_id": None,
                "business_date": td[m],
                "due_at": _ts(cal.next_trading_after(td[m], due_after), np.full(n, 17 * 3600)),
                "executed_at": _ts(
                    cal.next_trading_after(td[m], paid_after), rng.integers(9 * 3600, 16 * 3600, n)
                ),
                "to_account": bank.reindex(cid).to_numpy(),
                "to_account_holder": name.reindex(cid).to_numpy(),
                "amount": amount(m, n),
            }
        )

    # redemption payouts: due at 17:00 on T+3 trading days, executed on T+2 (ABN-005 clean)
    m = conf & (code == "024") & ~own

    def payout(m, n):
        return np.round(t["shares"].to_numpy()[m] * rng.uniform(0.9, 1.6, n), 2)

    parts.append(to_customers("redemption_payout", m, 0.95, 3, 2, payout))

    # refunds of failed/rejected purchases: T+1 trading day;
    # 20% carry only the txn_id (ABN-004 falls back to it)
    m = (~conf) & np.isin(code, PURCHASE_CODES) & (t["amount"].to_numpy() > 0) & ~own
    parts.append(to_customers("refund", m, 0.8, 1, 1, lambda m, n: t["amount"].to_numpy()[m]))

    # quarterly dividends to a sample of bulk customers
    bulk = c[(c["customer_id"] < "0009000001").to_numpy() & ~c["_closed"].to_numpy().astype(bool)]
    ex = np.array(["2025-03-18", "2025-06-17", "2025-09-16", "2025-12-16"], dtype="datetime64[D]")
    k = max(len(bulk) // 20, 1)
    who = rng.choice(len(bulk), (len(ex), k))
    days = np.repeat(ex, k)
    cid = bulk["customer_id"].to_numpy()[who.ravel()]
    ok = bulk["_open_ts"].to_numpy()[who.ravel()].astype("datetime64[D]") < days
    cid, days = cid[ok], days[ok]
    n = len(cid)
    parts.append(
        pd.DataFrame(
            {
                "transfer_type": "dividend",
                "txn_id": None,
                "customer_id": cid,
                "branch_id": None,
                "business_date": days,
                "due_at": _ts(cal.next_trading_after(days, 2), np.full(n, 17 * 3600)),
                "executed_at": _ts(cal.next_trading_after(days, 2), rng.integers(9 * 3600, 15 * 3600, n)),
                "to_account": bank.reindex(cid).to_numpy(),
                "to_account_holder": name.reindex(cid).to_numpy(),
                "amount": np.round(rng.uniform(5, 3000, n), 2),
            }
        )
    )

    # branch sweeps: each branch's confirmed purchase-type collections of a trade date, swept that evening
    m = conf & np.isin(code, PURCHASE_CODES) & t["branch_id"].notna().to_numpy()
    g = (
        pd.DataFrame(
            {
                "branch_id": t["branch_id"].to_numpy()[m],
                "business_date": td[m],
                "amount": t["amount"].to_numpy()[m],
            }
        )
        .groupby(["branch_id", "business_date"], as_index=False, sort=True)["amount"]
        .sum()
    )
    key = (
        g["branch_id"] + ":" + pd.Series(g["business_date"].to_numpy().astype("datetime64[D]").astype(str))
    ).to_numpy()
    planned = np.isin(key, [f"{b}:{x}" for b, x in d.sweep_plan])
    sweep_ids = {}
    for k, collected in zip(key[planned], g["amount"].to_numpy()[planned], strict=True):
        b, day = k.split(":")
        for row in d.sweep_plan[(b, day)](float(collected)):
            sweep_ids[f"@sweep:{k}"] = d.new_transfer(
                "branch_sweep",
                day,
                row["due_at"],
                row["executed_at"],
                row["amount"],
                branch_id=b,
                account=row.get("account", sweep_account(d, b)),
            )
    for p in d.plants:  # a plant about a planned sweep names it before it exists: now it has an id
        p.entity = sweep_ids.get(p.entity, p.entity)
    g = g[~planned]
    n = len(g)
    bd = g["business_date"].to_numpy().astype("datetime64[D]")
    parts.append(
        pd.DataFrame(
            {
                "transfer_type": "branch_sweep",
                "txn_id": None,
                "customer_id": None,
                "branch_id": g["branch_id"].to_numpy(),
                "business_date": bd,
                "due_at": _ts(bd, np.full(n, 18 * 3600)),
                "executed_at": _ts(bd, rng.integers(17 * 3600 + 300, 17 * 3600 + 3300, n)),
                "to_account": [sweep_account(d, b) for b in g["branch_id"]],
                "to_account_holder": d.settlement_holder,
                "amount": np.round(g["amount"].to_numpy(), 2),
            }
        )
    )

    f = pd.concat(parts, ignore_index=True)
    for col in ("business_date", "due_at", "executed_at"):
        f[col] = f[col].astype("datetime64[s]")
    f = f.iloc[stable_order(f["business_date"], f["due_at"])].reset_index(drop=True)
    f.insert(0, "transfer_id", pii.id_series("F", np.arange(1, len(f) + 1), 10))
    d.t["fund_transfers"] = f


def sweep_account(d: Demo, branch: str) -> str:
    """The sales special account a branch sweeps to (with two, the branches alternate: ABN-009 clean)."""
    return d.special_accounts[d.branches.index(branch) % len(d.special_accounts)]


# ---------------------------------------------------------------------- operations
ACTIONS = ["enter", "review", "approve", "view", "other"]
EVENT_TYPE = {
    "open": "account_open",
    "close": "account_close",
    "info_change": "info_change",
    "bank_account_change": "bank_account_change",
}


def stable_order(*keys) -> np.ndarray:
    """Row order by the keys (first = primary), stable: numpy lexsort on int64 views of datetime/ints."""
    cols = [np.asarray(k).astype("int64") for k in keys]
    return np.lexsort(cols[::-1])


def operations(d: Demo) -> None:
    """Built on integer codes (staff, action, business type) so that 2-3 x 10^7 rows stay small."""
    rng = d.rng
    staff_cats = np.sort(d.t["staff"]["staff_id"].drop_duplicates().to_numpy(dtype=object)).astype(str)

    def code(values) -> np.ndarray:
        return pd.Categorical(values, categories=staff_cats).codes.astype(np.int32)

    info, fund, cmp = (code(d.pool[r]) for r in ("info_processing", "fund_processing", "complaint_handling"))
    cbb = code(d.counter_by_branch.ravel()).reshape(d.counter_by_branch.shape)
    bt = {b: i for i, b in enumerate(BUSINESS_TYPES)}
    ts, st, act, typ, ref = [], [], [], [], []

    def part(t_, s_, a_, b_, r_):
        n_ = len(t_)
        ts.append(np.asarray(t_, dtype="datetime64[s]"))
        st.append(np.broadcast_to(np.asarray(s_, dtype=np.int32), (n_,)))
        act.append(np.full(n_, ACTIONS.index(a_), dtype=np.int8))
        typ.append(np.broadcast_to(np.asarray(b_, dtype=np.int8), (n_,)))
        ref.append(r_.reset_index(drop=True) if isinstance(r_, pd.Series) else pd.Series(r_, dtype="str"))

    t = d.t["transactions"]
    t = t[~t["txn_id"].isin(d.own_ops).to_numpy()]
    n = len(t)
    counter = (t["channel"] == "counter").to_numpy()
    maker = np.where(counter, code(t["staff_id"]), info[rng.integers(0, len(info), n)])
    bidx = pd.Categorical(t["branch_id"], categories=d.branches).codes.clip(min=0)
    kk = cbb.shape[1]
    r = rng.integers(0, kk, n)
    rev_counter = cbb[bidx, r]
    rev_counter = np.where(rev_counter == maker, cbb[bidx, (r + 1) % kk], rev_counter)
    reviewer = np.where(counter, rev_counter, _other(rng, info, maker))
    enter_at = (
        t["applied_at"].to_numpy(dtype="datetime64[s]") + np.where(counter, 0, rng.integers(1, 30, n)) * MIN
    )
    codes = ["020", "022", "039", "024", "036"]
    btype = np.array([bt[BUSINESS_TYPE[c]] for c in codes], dtype=np.int8)[
        pd.Categorical(t["business_code"], categories=codes).codes
    ]
    part(enter_at, maker, "enter", btype, t["txn_id"])
    part(enter_at + rng.integers(3, 90, n) * MIN, reviewer, "review", btype, t["txn_id"])

    e = d.t["account_events"]
    e = e[
        (
            (e["event_at"] >= P_START) & (e["event_at"].to_numpy() < np.datetime64("2026-01-01", "s"))
        ).to_numpy()
        & ~e["event_id"].isin(d.own_ops).to_numpy()
    ]
    n = len(e)
    sc = code(e["staff_id"])
    maker = np.where(sc >= 0, sc, info[rng.integers(0, len(info), n)])
    at = e["event_at"].to_numpy(dtype="datetime64[s]")
    etype = np.array([bt[EVENT_TYPE[x]] for x in e["event_type"].to_numpy(dtype=object)], dtype=np.int8)
    part(at, maker, "enter", etype, e["event_id"])
    part(at + rng.integers(5, 120, n) * MIN, _other(rng, info, maker), "review", etype, e["event_id"])

    f = d.t["fund_transfers"]
    f = f[~f["transfer_id"].isin(d.own_ops).to_numpy()]
    n = len(f)
    # entered and reviewed before execution (or, when not executed, on the business date)
    when = (
        f["executed_at"].fillna(f["business_date"] + pd.Timedelta(hours=11)).to_numpy(dtype="datetime64[s]")
    )
    maker = fund[rng.integers(0, len(fund), n)]
    part(when - rng.integers(20, 50, n) * MIN, maker, "enter", bt["fund_transfer"], f["transfer_id"])
    part(
        when - rng.integers(2, 15, n) * MIN,
        _other(rng, fund, maker),
        "review",
        bt["fund_transfer"],
        f["transfer_id"],
    )

    c = d.t["complaints"]
    c = c[c["received_at"].notna().to_numpy()]
    part(
        c["registered_at"].fillna(c["received_at"]).to_numpy(dtype="datetime64[s]"),
        cmp[rng.integers(0, len(cmp), len(c))],
        "enter",
        bt["complaint"],
        c["complaint_id"],
    )

    # daily batch jobs (info_processing, `enter` of `other`); look-ups (`view`) by audit, risk and complaint
    # staff, and statements printed (`other`) by counter staff: roles with access to customer data (INFO-001)
    wd = cal.workdays()
    wd = wd[(wd >= P_START.astype("datetime64[D]")) & (wd <= P_END_DAY)]
    n = len(wd)
    part(
        _ts(wd, np.full(n, 8 * 3600 + 1800)),
        info[rng.integers(0, len(info), n)],
        "enter",
        bt["other"],
        pii.fmt_ids("BATCH", np.arange(1, n + 1), 5),
    )
    viewers = code(np.concatenate([d.pool["audit"], d.pool["risk_monitoring"], d.pool["complaint_handling"]]))
    tt = d.t["transactions"]
    k = max(len(tt) // 100, 10)
    pick = np.sort(rng.integers(0, len(tt), k))
    vt = np.array([bt[BUSINESS_TYPE[c]] for c in codes], dtype=np.int8)[
        pd.Categorical(tt["business_code"].iloc[pick], categories=codes).codes
    ]
    part(
        tt["applied_at"].to_numpy(dtype="datetime64[s]")[pick] + rng.integers(1, 72, k) * HOUR,
        viewers[rng.integers(0, len(viewers), k)],
        "view",
        vt,
        tt["txn_id"].iloc[pick],
    )
    at_counter = np.flatnonzero(tt["staff_id"].isin(d.counter_by_branch.ravel()).to_numpy())
    pick = np.sort(rng.choice(at_counter, min(len(at_counter), k), replace=False))
    part(
        tt["applied_at"].to_numpy(dtype="datetime64[s]")[pick] + rng.integers(5, 60, len(pick)) * MIN,
        code(tt["staff_id"].iloc[pick]),
        "other",
        bt["other"],
        tt["txn_id"].iloc[pick],
    )

    ts_all = np.concatenate(ts)
    order = np.argsort(ts_all, kind="stable")
    ops = pd.DataFrame(
        {
            "op_id": pii.id_series("OP", np.arange(1, len(ts_all) + 1), 10),
            "ts": ts_all[order],
            "staff_id": pd.Categorical.from_codes(np.concatenate(st)[order], categories=staff_cats),
            "action": pd.Categorical.from_codes(np.concatenate(act)[order], categories=ACTIONS),
            "business_type": pd.Categorical.from_codes(
                np.concatenate(typ)[order], categories=list(BUSINESS_TYPES)
            ),
            "ref_id": pd.concat(ref, ignore_index=True).iloc[order].reset_index(drop=True),
        }
    )
    d.t["operations"] = ops


# ---------------------------------------------------------------------- archive
def archive(d: Demo) -> None:
    rng = d.rng
    parts = []
    c = d.t["customers"].drop_duplicates("customer_id")
    c = c[~c["customer_id"].isin(d.no_archive).to_numpy()]
    n = len(c)
    parts.append(
        pd.DataFrame(
            {
                "record_type": "customer_identity",
                "subject_id": c["customer_id"].to_numpy(),
                "archived_at": c["open_date"].to_numpy() + rng.integers(0, 4, n) * DAY,
            }
        )
    )
    t = d.t["transactions"]
    t = t[(t["status"] == "confirmed").to_numpy() & ~t["txn_id"].isin(d.no_archive).to_numpy()]
    n = len(t)
    parts.append(
        pd.DataFrame(
            {
                "record_type": "transaction",
                "subject_id": t["txn_id"].reset_index(drop=True),
                "archived_at": t["trade_date"].to_numpy(dtype="datetime64[s]") + rng.integers(1, 16, n) * DAY,
            }
        )
    )
    # every complaint file and every call recording archived within a week of closing (RET-007 clean)
    cp = d.t["complaints"]
    cp = cp[cp["received_at"].notna().to_numpy()]
    done = (
        cp["resolved_at"].fillna(cp["received_at"]).to_numpy().astype("datetime64[D]").astype("datetime64[s]")
    )
    keep = ~cp["complaint_id"].isin(d.no_archive).to_numpy()
    parts.append(
        pd.DataFrame(
            {
                "record_type": "complaint",
                "subject_id": cp["complaint_id"].to_numpy()[keep],
                "archived_at": (done + rng.integers(1, 8, len(cp)) * DAY)[keep],
            }
        )
    )
    ph = cp["recording_ref"].notna().to_numpy() & ~cp["complaint_id"].isin(d.no_recording).to_numpy()
    parts.append(
        pd.DataFrame(
            {
                "record_type": "call_recording",
                "subject_id": cp["complaint_id"].to_numpy()[ph],
                "archived_at": done[ph] + DAY,
            }
        )
    )
    a = pd.concat(parts, ignore_index=True)
    a["archived_at"] = a["archived_at"].astype("datetime64[s]").clip(upper=AS_OF_S)
    a["disposed_at"] = pd.Series([pd.NaT] * len(a), dtype="datetime64[s]")
    a["location"] = ARCHIVE_SITES[rng.integers(0, len(ARCHIVE_SITES), len(a))]
    a = a.iloc[stable_order(a["archived_at"])].reset_index(drop=True)
    a.insert(0, "record_id", pii.id_series("AR", np.arange(1, len(a) + 1), 10))
    d.t["archive_records"] = a


# ---------------------------------------------------------------------- backups
def backups(d: Demo) -> None:
    rng = d.rng
    days = np.arange(np.datetime64("2024-12-25"), np.datetime64("2026-01-31"), dtype="datetime64[D]")
    days = days[~np.isin(days.astype(str), sorted(d.no_backup))]
    n = len(days)
    year = days.astype("datetime64[Y]").astype(int) + 1970
    full = pd.DataFrame(
        {
            "backup_date": days,
            "completed_at": _ts(days + 1, rng.integers(3600, 3 * 3600, n)),
            "status": "success",
            "site": "异地灾备中心（贵安）",
            "offsite": True,
            "immutable": True,
            # retained to the end of the 15th following year: always >= backup_date + 15 years (RET-006 clean)
            "retain_until": np.array([f"{y + 15}-12-31" for y in year], dtype="datetime64[D]"),
            "contains_investor_data": True,
        }
    )
    sundays = days[(days.astype("int64") + 3) % 7 == 6]
    m = len(sundays)
    conf = pd.DataFrame(
        {
            "backup_date": sundays,
            "completed_at": _ts(sundays, rng.integers(20 * 3600, 22 * 3600, m)),
            "status": "success",
            "site": "同城灾备机房",
            "offsite": True,
            "immutable": False,
            "retain_until": sundays + 365,
            "contains_investor_data": False,
        }
    )
    b = pd.concat([full, conf], ignore_index=True)
    for col in ("backup_date", "completed_at", "retain_until"):
        b[col] = b[col].astype("datetime64[s]")
    b = b.sort_values(["backup_date", "completed_at"], kind="stable", ignore_index=True)
    b.insert(0, "backup_id", pii.fmt_ids("BK", np.arange(1, len(b) + 1), 8))
    d.t["backups"] = b


# ---------------------------------------------------------------------- reconciliations
def reconciliations(d: Demo) -> None:
    rng = d.rng
    td = cal.trading_days()
    td = td[(td >= np.datetime64("2025-01-01")) & (td <= np.datetime64("2026-01-09"))]
    b = np.repeat(np.array(d.branches, dtype=object), len(td))
    days = np.tile(td, len(d.branches))
    key = pd.Series(b) + ":" + pd.Series(days.astype(str))
    keep = ~key.isin({f"{x}:{y}" for x, y in d.no_recon}).to_numpy()
    b, days = b[keep], days[keep]
    n = len(b)
    r = pd.DataFrame(
        {
            "recon_date": days,
            "branch_id": b,
            "performed_at": _ts(days, rng.integers(17 * 3600 + 1800, 21 * 3600, n)),
            "differences": np.zeros(n, dtype=np.int64),
        }
    )
    r["recon_date"] = r["recon_date"].astype("datetime64[s]")
    r["performed_at"] = r["performed_at"].astype("datetime64[s]")
    d.t["reconciliations"] = r.sort_values(["recon_date", "branch_id"], ignore_index=True)


# ---------------------------------------------------------------------- training
def training(d: Demo) -> None:
    rng = d.rng
    courses = [
        SUITABILITY_COURSE,
        "反洗钱与客户身份识别",
        "投资者权益保护",
        "基金法律法规更新",
        "信息安全意识",
        "合规风险案例分析",
        "产品知识培训",
    ]
    roles = d.t["staff_roles"]
    staff = d.t["staff"]
    sales_staff = set(roles.loc[roles["role"].isin(SALES_ROLES), "staff_id"])
    rows = []
    wd = cal.workdays()
    wd = wd[(wd >= np.datetime64("2025-01-06")) & (wd <= np.datetime64("2025-12-19"))]
    for sid in staff["staff_id"].drop_duplicates():  # staff is small (<= a few hundred): a loop is fine
        if (
            sid in d.training_hours
        ):  # planted: (day, hours) or (day, hours, course); no course = a general one
            rows += [
                (
                    sid,
                    np.datetime64(x[0], "D"),
                    x[2] if len(x) > 2 else courses[1 + i % (len(courses) - 1)],
                    x[1],
                )
                for i, x in enumerate(d.training_hours[sid])
            ]
            continue
        if sid in sales_staff:
            hours = rng.choice([3.0, 3.5, 4.0], 5)  # five sessions: at least 15 hours
        else:
            hours = rng.choice([2.0, 2.5, 3.0], int(rng.integers(1, 4)))
        days = np.sort(wd[rng.integers(0, len(wd), len(hours))])
        picked = [courses[int(rng.integers(0, len(courses)))] for _ in hours]
        if sid in sales_staff:  # the suitability course among them (STAFF-003 clean)
            picked[int(rng.integers(0, len(picked)))] = SUITABILITY_COURSE
        rows += [(sid, day, c, float(h)) for day, c, h in zip(days, picked, hours, strict=True)]
        if rng.random() < 0.2:  # last year's training does not count for this period
            rows.append((sid, np.datetime64("2024-12-13"), "年度合规培训（2024）", 4.0))
    tr = pd.DataFrame(rows, columns=["staff_id", "date", "course", "hours"])
    tr["date"] = tr["date"].astype("datetime64[s]")
    d.t["training"] = tr.sort_values(["date", "staff_id"], kind="stable", ignore_index=True)


# ---------------------------------------------------------------------- product ratings (v2)
def ratings(d: Demo) -> None:
    """The rating history: each product's current rating and the annual review a year before it, at the same
    level, so that every day of the period has a rating in force equal to today's (SUIT-001/006 clean).
    Planted products with a `rating_history` get exactly that (ratings that changed, or began late)."""
    pr = d.t["products"]
    rows = []
    for code, level, rated in zip(
        pr["product_code"], pr["risk_level"], pr["rated_at"].to_numpy(dtype="datetime64[D]"), strict=True
    ):
        if code in d.rating_history:
            rows += [(code, lvl, np.datetime64(day, "D")) for lvl, day in d.rating_history[code]]
            continue
        month = rated.astype("datetime64[M]")
        year_ago = (month - 12).astype("datetime64[D]") + (rated - month.astype("datetime64[D]"))
        rows += [(code, level, year_ago), (code, level, rated)]
    r = pd.DataFrame(rows, columns=["product_code", "risk_level", "rated_at"])
    r["rated_at"] = r["rated_at"].astype("datetime64[s]")
    d.t["product_ratings"] = r


# ---------------------------------------------------------------------- data changes (v2)
CHANGES = [  # (table, key column, field changed)
    ("transactions", "txn_id", "notified_at"),
    ("customers", "customer_id", "phone"),
    ("fund_transfers", "transfer_id", "due_at"),
    ("account_events", "event_id", "staff_id"),
]


def _text(v) -> str | None:
    return None if pd.isna(v) else str(v).replace("T", " ")


def data_changes(d: Demo) -> None:
    """Corrections made outside the business flow, each entered by a back-office staff and approved
    beforehand by another (INFO-002 clean): ~1 per 500 transactions, on working days of the period."""
    rng = d.rng
    k = max(d.n_txn // 500, 12)
    which = rng.integers(0, len(CHANGES), k)
    wd = cal.workdays()
    wd = wd[(wd >= P_START.astype("datetime64[D]")) & (wd <= P_END_DAY)]
    changed = _ts(wd[rng.integers(0, len(wd), k)], rng.integers(10 * 3600, 17 * 3600, k))
    approved = changed - rng.integers(10, 240, k) * MIN
    info = np.sort(d.pool["info_processing"])
    by = info[rng.integers(0, len(info), k)]
    phones = pii.mobiles(rng, k)
    rec, old, new = [], [], []
    for i, w in enumerate(which):  # k is small (~10^3 at the default sizes): a loop is fine
        table, key, field = CHANGES[w]
        df = d.t[table]
        j = int(rng.integers(0, len(df)))
        rec.append(df[key].iloc[j])
        v = df[field].iloc[j]
        old.append(_text(v))
        if field == "phone":
            new.append(phones[i])
        elif field == "staff_id":
            new.append(by[i])
        else:  # a time corrected by an hour (due_at) or filled in (notified_at)
            new.append(_text(v + np.timedelta64(1, "h")) if not pd.isna(v) else _text(changed[i]))
    dc = pd.DataFrame(
        {
            "changed_at": changed,
            "changed_by": by,
            "table_name": [CHANGES[w][0] for w in which],
            "record_id": rec,
            "field": [CHANGES[w][2] for w in which],
            "old_value": old,
            "new_value": new,
            "approved_by": _other(rng, info, by),
            "approved_at": approved,
        }
    )
    dc = dc.iloc[stable_order(dc["changed_at"])].reset_index(drop=True)
    dc.insert(0, "change_id", pii.fmt_ids("DC", np.arange(1, k + 1), 8))
    d.t["data_changes"] = dc
