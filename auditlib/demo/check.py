"""An independent, deliberately plain reading of every rule in rules.md, run on the generated tables.

This is the demo's self-check: the tests assert that it finds exactly the planted hits (the answer
key) and none of the planted near-misses. It is written for clarity, not speed, and shares no code
with auditlib.rules (only which rules an institution's data lets the kit test is read from their
declarations, by `Demo.rule_tested`). Rule parameters: the defaults of rules.md plus the institution's
overrides. v2: the rating in force when `product_ratings` is given, the optional tables and columns
only where handed over.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from ..rules import sod
from ..schema import BUSINESS_TYPES
from . import cal
from .base import BUSINESS_ROLES, PURCHASE_CODES, SALES_ROLES, Demo
from .profiles import AS_OF, PERIOD_END, PERIOD_START

P0 = pd.Timestamp(PERIOD_START)
P1 = pd.Timestamp(PERIOD_END) + pd.Timedelta(days=1)  # exclusive end of the period
PE = pd.Timestamp(PERIOD_END)
ASOF = pd.Timestamp(AS_OF)
REVIEW_REQUIRED = set(sod.REVIEW_REQUIRED)
ALL_TYPES = set(BUSINESS_TYPES)
AUTH = {
    "counter": ALL_TYPES - {"fund_transfer", "complaint", "other"},
    "info_processing": ALL_TYPES - {"fund_transfer"},
    "fund_processing": {"fund_transfer"},
    "complaint_handling": {"complaint"},
}


def in_period(s: pd.Series) -> pd.Series:
    return (s >= P0) & (s < P1)


def true(s: pd.Series) -> pd.Series:
    return pd.array(s, dtype="boolean").fillna(False).astype(bool)


def _wd_deadline(ts: pd.Series, n: int) -> pd.Series:
    out = pd.Series(pd.NaT, index=ts.index, dtype="datetime64[s]")
    ok = ts.notna()
    out[ok] = cal.workday_deadline(ts[ok].to_numpy(dtype="datetime64[s]"), n)
    return out


def _wt_deadline(ts: pd.Series, seconds: int) -> pd.Series:
    out = pd.Series(pd.NaT, index=ts.index, dtype="datetime64[s]")
    ok = ts.notna()
    out[ok] = cal.working_deadline(ts[ok].to_numpy(dtype="datetime64[s]"), seconds)
    return out


def _late(done: pd.Series, due: pd.Series) -> pd.Series:
    """Not done by a deadline that has passed by as_of, or done after it."""
    return (done.isna() & (due < ASOF)) | (done > due)


def _staff(t) -> pd.DataFrame:
    return t["staff"].drop_duplicates("staff_id").set_index("staff_id")


def _customers(t) -> pd.DataFrame:
    return t["customers"].drop_duplicates("customer_id").set_index("customer_id")


# ---------------------------------------------------------------------- SOD
def _role_pairs(roles: pd.DataFrame, a: set, b: set) -> set:
    r = roles.copy()
    r["end"] = r["end_date"].fillna(pd.Timestamp("2262-01-01"))
    m = r.merge(r, on="staff_id", suffixes=("_a", "_b"))
    m = m[m["role_a"].isin(a) & m["role_b"].isin(b) & (m["role_a"] != m["role_b"])]
    lo = np.maximum(m["start_date_a"], m["start_date_b"]).clip(lower=P0)
    hi = np.minimum(m["end_a"], m["end_b"]).clip(upper=P1 - pd.Timedelta(days=1))
    return set(m.loc[lo <= hi, "staff_id"])


def _held(roles: pd.DataFrame, ops: pd.DataFrame) -> pd.DataFrame:
    """ops x roles held on the op's calendar day."""
    o = ops.assign(day=ops["ts"].dt.floor("D"))
    m = o.merge(roles, on="staff_id", how="left")
    held = (m["start_date"] <= m["day"]) & (m["end_date"].isna() | (m["end_date"] >= m["day"]))
    return m[held]


def sod(t) -> dict[str, set]:
    roles = t["staff_roles"]
    out = {
        "SOD-001": _role_pairs(roles, {"promotion"}, {"counter"})
        | _role_pairs(roles, {"info_processing"}, {"fund_processing"}),
        "SOD-002": _role_pairs(roles, {"risk_monitoring", "audit"}, set(BUSINESS_ROLES)),
        "SOD-003": _role_pairs(roles, {"it_head"}, {"infosec_head"}),
        "SOD-004": _role_pairs(roles, {"it_dev"}, {"it_ops"})
        | _role_pairs(roles, {"it_dev", "it_ops"}, set(BUSINESS_ROLES)),
    }
    out["SOD-009"] = _role_pairs(roles, {"complaint_handling"}, {"promotion", "sales", "counter"})
    leave = roles["staff_id"].map(_staff(t)["leave_date"])
    kept = roles[leave.notna() & (leave <= PE)]
    lo = np.maximum(leave[kept.index] + pd.Timedelta(days=1), kept["start_date"])
    hi = kept["end_date"].fillna(pd.Timestamp("2262-01-01"))
    out["SOD-008"] = set(kept.loc[(lo <= hi) & (lo <= PE) & (hi >= P0), "staff_id"])
    if "operations" not in t:
        return out
    ops = t["operations"]
    act = ops[ops["action"].isin(["enter", "review", "approve"]) & in_period(ops["ts"])]
    h = _held(roles, act)
    out["SOD-005"] = set(h.loc[h["role"].isin(["it_dev", "it_ops"]), "op_id"])
    ok = h[[bt in AUTH.get(r, ()) for r, bt in zip(h["role"], h["business_type"], strict=True)]]
    staff = t["staff"].drop_duplicates("staff_id").set_index("staff_id")["leave_date"]
    left = act["staff_id"].map(staff)
    gone = set(act.loc[left.notna() & (act["ts"].dt.floor("D") > left), "op_id"])
    out["SOD-007"] = (set(act["op_id"]) - set(ok["op_id"])) | gone
    enters = ops[
        (ops["action"] == "enter") & in_period(ops["ts"]) & ops["business_type"].isin(REVIEW_REQUIRED)
    ]
    checks = ops[ops["action"].isin(["review", "approve"])]
    # an item is checked when some review/approve is by a staff who is not one of its makers
    makers = enters[["ref_id", "staff_id"]].astype(str).drop_duplicates()
    checkers = checks[["ref_id", "staff_id"]].astype(str).drop_duplicates()
    m = checkers.merge(makers, on=["ref_id", "staff_id"], how="left", indicator=True)
    out["SOD-006"] = set(makers["ref_id"]) - set(m.loc[m["_merge"] == "left_only", "ref_id"])
    return out


# ---------------------------------------------------------------------- SUIT
def suit(t) -> dict[str, set]:
    tx = t["transactions"]
    buy = tx[
        tx["business_code"].isin(PURCHASE_CODES) & (tx["status"] == "confirmed") & in_period(tx["applied_at"])
    ]
    ra = t["risk_assessments"].sort_values("assessed_at")
    b = buy.sort_values("applied_at")
    m = pd.merge_asof(
        b,
        ra.rename(columns={"assessed_at": "at"}),
        left_on="applied_at",
        right_on="at",
        by="customer_id",
        direction="backward",
        allow_exact_matches=True,
    )
    history = "product_ratings" in t
    if history:  # v2: the rating in force on the day of the application (latest rated_at <= that day)
        m["day"] = m["applied_at"].dt.floor("D")
        pr = t["product_ratings"].sort_values("rated_at")
        m = pd.merge_asof(
            m.sort_values("day"),
            pr.rename(columns={"rated_at": "r_at", "risk_level": "risk"}),
            left_on="day",
            right_on="r_at",
            by="product_code",
            direction="backward",
        )
        risk = m["risk"]
        rated = pr.groupby("product_code")["rated_at"].apply(lambda s: s[s <= PE].max())
    else:  # v1: today's rating
        risk = m["product_code"].map(t["products"].set_index("product_code")["risk_level"])
        rated = t["products"].set_index("product_code")["rated_at"]
    has = m["at"].notna()
    out = {
        "SUIT-002": set(m.loc[~has, "txn_id"]),
        "SUIT-001": set(
            m.loc[
                has & risk.notna() & (risk > m["risk_tolerance"]) & ~true(m["risk_mismatch_confirmed"]),
                "txn_id",
            ]
        ),
        "SUIT-003": set(m.loc[has & ((m["at"] + pd.DateOffset(months=24)) < m["applied_at"]), "txn_id"]),
    }
    if history:
        out["SUIT-006"] = set(m.loc[risk.isna(), "txn_id"])
    sold = pd.Series(buy["product_code"].unique())
    limit = pd.Timestamp(PERIOD_END) - pd.DateOffset(months=12)
    out["SUIT-004"] = set(sold[(sold.map(rated) < limit).to_numpy()])
    # SUIT-005: a customer of the period who bought (ever, up to period_end) and was never assessed by then
    c = t["customers"]
    c = c[(c["open_date"] <= PE) & (c["close_date"].isna() | (c["close_date"] >= P0))]
    bought = tx[
        tx["business_code"].isin(PURCHASE_CODES) & (tx["status"] == "confirmed") & (tx["applied_at"] < P1)
    ]
    assessed = t["risk_assessments"]
    assessed = set(assessed.loc[assessed["assessed_at"] < P1, "customer_id"])
    out["SUIT-005"] = set(c["customer_id"]) & set(bought["customer_id"]) - assessed
    return out


# ---------------------------------------------------------------------- ABN
def abn(t, params) -> dict[str, set]:
    out = {}
    tx = t["transactions"]
    if "account_events" in t:
        ev = t["account_events"]
        oc = ev[ev["event_type"].isin(["open", "close"]) & in_period(ev["event_at"])].sort_values("event_at")
        hits = set()
        for cid, g in oc.groupby("customer_id"):
            at = g["event_at"].to_numpy()
            if len(at) >= 3 and ((at[2:] - at[:-2]) <= np.timedelta64(30, "D")).any():
                hits.add(cid)
        out["ABN-001"] = hits
        bank = ev[(ev["event_type"] == "bank_account_change") & in_period(ev["event_at"])]
        out["ABN-003"] = set(
            bank.loc[~(true(bank["identity_verified"]) & true(bank["flagged_abnormal"])), "event_id"]
        )
    conf = tx[tx["status"] == "confirmed"]
    red = conf[(conf["business_code"] == "024") & in_period(conf["applied_at"])]
    pur = conf[conf["business_code"].isin(PURCHASE_CODES)]
    m = red.merge(
        pur[["customer_id", "product_code", "trade_date"]],
        on=["customer_id", "product_code"],
        suffixes=("", "_p"),
    )
    gap = m["trade_date"] - m["trade_date_p"]
    out["ABN-002"] = set(m.loc[(gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=7)), "txn_id"])
    if "fund_transfers" in t:
        f = t["fund_transfers"]
        names = t["customers"].drop_duplicates("customer_id").set_index("customer_id")["name"]
        txc = tx.set_index("txn_id")["customer_id"]
        pay = f[
            f["transfer_type"].isin(["redemption_payout", "dividend", "refund"])
            & in_period(f["business_date"])
        ]
        cust = pay["customer_id"].where(pay["customer_id"].notna(), pay["txn_id"].map(txc))
        out["ABN-004"] = set(pay.loc[cust.map(names) != pay["to_account_holder"], "transfer_id"])
        fp = f[in_period(f["business_date"])]
        out["ABN-005"] = set(fp.loc[_late(fp["executed_at"], fp["due_at"]), "transfer_id"])
        col = conf[
            conf["business_code"].isin(PURCHASE_CODES)
            & conf["branch_id"].notna()
            & in_period(conf["trade_date"])
        ]
        coll = col.groupby(["branch_id", "trade_date"])["amount"].sum()
        sw = f[
            (f["transfer_type"] == "branch_sweep") & (f["executed_at"].dt.floor("D") == f["business_date"])
        ]
        swept = sw.groupby(["branch_id", "business_date"])["amount"].sum()
        swept.index = swept.index.set_names(["branch_id", "trade_date"])
        short = coll - swept.reindex(coll.index).fillna(0.0) > 0.01
        out["ABN-006"] = {f"{b}:{d:%Y-%m-%d}" for (b, d) in coll[short].index}
        special = set(params.param("ABN-009", "sales_special_accounts") or ())
        sweeps = f[(f["transfer_type"] == "branch_sweep") & in_period(f["business_date"])]
        acct = sweeps["to_account"].map(lambda a: None if pd.isna(a) else str(a).strip())
        out["ABN-009"] = set(sweeps.loc[~acct.isin(special).to_numpy(), "transfer_id"])
    ap = tx[in_period(tx["applied_at"])]
    want = cal.trade_date_for(ap["applied_at"].to_numpy(dtype="datetime64[s]"))
    out["ABN-007"] = set(
        ap.loc[ap["trade_date"].to_numpy(dtype="datetime64[s]").astype("datetime64[D]") != want, "txn_id"]
    )
    bad = ap[ap["status"].isin(["failed", "rejected"])]
    out["ABN-008"] = set(bad.loc[_late(bad["notified_at"], _wd_deadline(bad["applied_at"], 1)), "txn_id"])
    return out


# ---------------------------------------------------------------------- RET
def _end(year: pd.Series, years: int = 15) -> pd.Series:
    return pd.to_datetime((year + years).astype("Int64").astype(str) + "-12-31", errors="coerce")


def ret(t, params) -> dict[str, set]:
    out = {}
    if "archive_records" in t:
        a = t["archive_records"]
        cust = t["customers"].drop_duplicates("customer_id").set_index("customer_id")
        disposed = a["disposed_at"].notna() & (a["disposed_at"] <= ASOF)
        ci = a[(a["record_type"] == "customer_identity") & disposed]
        close = ci["subject_id"].map(cust["close_date"])
        out["RET-001"] = set(ci.loc[close.isna() | (ci["disposed_at"] < _end(close.dt.year)), "record_id"])
        tr = a[(a["record_type"] == "transaction") & disposed]
        td = tr["subject_id"].map(t["transactions"].set_index("txn_id")["trade_date"])
        out["RET-002"] = set(tr.loc[tr["disposed_at"] < _end(td.dt.year), "record_id"])
        c = t["customers"]
        has_ci = set(a.loc[a["record_type"] == "customer_identity", "subject_id"])
        has_tr = set(a.loc[a["record_type"] == "transaction", "subject_id"])
        miss_c = set(c.loc[(c["open_date"] < P1) & ~c["customer_id"].isin(has_ci), "customer_id"])
        tx = t["transactions"]
        ct = tx[(tx["status"] == "confirmed") & in_period(tx["applied_at"]) & ~tx["txn_id"].isin(has_tr)]
        miss_t = set(ct.loc[ct["trade_date"] + pd.Timedelta(days=30) < ASOF, "txn_id"])
        out["RET-003"] = miss_c | miss_t
        cp = t["complaints"]
        grace = pd.Timedelta(days=params.param("RET-007", "archive_grace_days"))
        cp = cp[in_period(cp["received_at"]) & (cp["received_at"].dt.floor("D") + grace < ASOF)]
        filed = set(a.loc[a["record_type"] == "complaint", "subject_id"])
        recorded = set(a.loc[a["record_type"] == "call_recording", "subject_id"])
        ref = cp["recording_ref"].fillna("").astype(str).str.strip() != ""
        no_rec = (cp["channel"] == "phone") & ref & ~cp["complaint_id"].isin(recorded)
        out["RET-007"] = set(cp.loc[~cp["complaint_id"].isin(filed) | no_rec, "complaint_id"])
    if "backups" in t:
        b = t["backups"]
        ok = b[(b["status"] == "success") & in_period(b["backup_date"])]
        days = pd.date_range(P0, P1 - pd.Timedelta(days=1))
        out["RET-004"] = {f"{x:%Y-%m-%d}" for x in days.difference(pd.DatetimeIndex(ok["backup_date"]))}
        out["RET-005"] = set(ok.loc[~true(ok["offsite"]), "backup_id"])
        inv = ok[true(ok["contains_investor_data"])]
        short = inv["retain_until"] < inv["backup_date"] + pd.DateOffset(years=15)
        out["RET-006"] = set(inv.loc[~true(inv["immutable"]) | short, "backup_id"])
    return out


# ---------------------------------------------------------------------- CMP
def cmp(t, d: Demo) -> dict[str, set]:
    c = t["complaints"]
    c = c[in_period(c["received_at"])]
    r = c["received_at"]
    out = {
        "CMP-001": _late(
            c["forwarded_at"], _wt_deadline(r, 60 * d.p.param("CMP-001", "forward_working_minutes"))
        ),
        "CMP-002": (c["severity"] == "general")
        & _late(c["responded_at"], _wd_deadline(r, d.p.param("CMP-002", "general_reply_working_days"))),
        "CMP-003": (c["severity"] == "major")
        & _late(
            c["interim_measure_at"],
            _wt_deadline(r, 3600 * d.p.param("CMP-003", "major_interim_working_hours")),
        ),
        "CMP-004": (c["severity"] == "major")
        & _late(c["responded_at"], _wd_deadline(r, d.p.param("CMP-004", "major_reply_working_days"))),
        "CMP-005": (c["channel"] == "regulator")
        & _late(c["registered_at"], _wd_deadline(r, d.p.param("CMP-005", "regulator_register_working_days"))),
        "CMP-006": true(c["involves_violation"])
        & _late(
            c["reported_to_compliance_at"],
            _wd_deadline(r, d.p.param("CMP-006", "violation_report_working_days")),
        ),
        "CMP-007": (c["channel"] == "phone") & (c["recording_ref"].fillna("") == ""),
        "CMP-008": c["resolved_at"].notna()
        & _late(
            c["callback_at"], _wd_deadline(c["resolved_at"], d.p.param("CMP-008", "callback_working_days"))
        ),
        "CMP-009": c["resolved_at"].notna() & (c["root_cause"].fillna("") == ""),
        "CMP-011": (c["channel"] != "regulator")
        & _late(c["registered_at"], _wd_deadline(r, d.p.param("CMP-011", "register_working_days"))),
        "CMP-012": (c["channel"] == "regulator") & (c["severity"] == "general"),
    }
    res = {k: set(c.loc[v.to_numpy(dtype=bool), "complaint_id"]) for k, v in out.items()}
    k = c[c["customer_id"].notna()]
    m = k.merge(k, on=["customer_id", "category"], suffixes=("", "_e"))
    gap = m["received_at"] - m["received_at_e"]
    res["CMP-010"] = set(
        m.loc[
            (gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(days=d.p.param("CMP-010", "repeat_days"))),
            "complaint_id",
        ]
    )
    return res


# ---------------------------------------------------------------------- STAFF, REC
def staff_rec(t, params) -> dict[str, set]:
    out = {}
    roles = t["staff_roles"]
    s = roles[
        roles["role"].isin(SALES_ROLES)
        & (roles["start_date"] < P1)
        & (roles["end_date"].isna() | (roles["end_date"] >= P0))
    ]
    who = set(s["staff_id"])
    q = t["staff"].drop_duplicates("staff_id").set_index("staff_id")["qualified"]
    out["STAFF-001"] = {x for x in who if not (pd.notna(q.get(x)) and bool(q.get(x)))}
    if "training" in t:
        tr = t["training"]
        hours = tr[in_period(tr["date"])].groupby("staff_id")["hours"].sum()
        out["STAFF-002"] = {x for x in who if hours.get(x, 0.0) < 15}
        words = [w.lower() for w in params.param("STAFF-003", "suitability_course_keywords")]
        course = tr["course"].fillna("").str.lower()
        suit = tr[in_period(tr["date"]) & course.map(lambda x: any(w in x for w in words))]
        out["STAFF-003"] = who - set(suit["staff_id"])
    if "reconciliations" in t:
        rc = t["reconciliations"]
        td = cal.trading_days()
        td = td[(td >= np.datetime64(PERIOD_START)) & (td <= np.datetime64(PERIOD_END))]
        grid = pd.MultiIndex.from_product(
            [sorted(rc["branch_id"].unique()), pd.DatetimeIndex(td)], names=["branch_id", "recon_date"]
        ).to_frame(index=False)
        grid["due"] = _wd_deadline(grid["recon_date"].astype("datetime64[s]"), 1)
        m = grid.merge(rc, on=["branch_id", "recon_date"], how="left")
        m["ok"] = (
            m["performed_at"].notna() & (m["performed_at"] <= m["due"]) & (m["differences"].fillna(0) == 0)
        )
        ok = m.groupby(["branch_id", "recon_date"])["ok"].all()
        out["REC-001"] = {f"{b}:{x:%Y-%m-%d}" for (b, x), v in ok.items() if not v}
    return out


# ---------------------------------------------------------------------- ACC
def valid_id(number, open_date) -> bool:
    """GB 11643-1999, as rules.md states it: 18 characters, 17 digits, a real birth date not after the
    opening, the check character."""
    if number is None or pd.isna(number):
        return False
    n = str(number).strip().upper()
    if len(n) != 18 or not n[:17].isdigit():
        return False
    try:
        born = dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return False
    if born > open_date.date():
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return n[17] == "10X98765432"[sum(int(c) * w for c, w in zip(n[:17], weights, strict=True)) % 11]


def acc(t) -> dict[str, set]:
    c = t["customers"].drop_duplicates("customer_id")
    tx = t["transactions"]
    conf = tx[(tx["status"] == "confirmed") & in_period(tx["applied_at"])]
    day = conf["applied_at"].dt.floor("D")
    opened = conf["customer_id"].map(_customers(t)["open_date"])
    closed = conf["customer_id"].map(_customers(t)["close_date"])
    out = {"ACC-001": set(conf.loc[(day < opened) | (closed.notna() & (day > closed)), "txn_id"])}
    id_type = c["id_type"].fillna("ID_CARD")
    # the scope: individuals (or no investor type) whose relationship overlaps the period; ACC-002 then
    # tests identity cards (or no id_type), ACC-003 every id_type (a passport shared by two names counts)
    scope = (
        (c["investor_type"].isna() | (c["investor_type"] == "individual"))
        & (c["open_date"] <= PE)
        & (c["close_date"].isna() | (c["close_date"] >= P0))
    )
    ok = [valid_id(n, o) for n, o in zip(c["id_number"], c["open_date"], strict=True)]
    out["ACC-002"] = set(c.loc[scope & (id_type == "ID_CARD") & ~pd.Series(ok, index=c.index), "customer_id"])
    number = c["id_number"].map(lambda n: None if pd.isna(n) else str(n).strip().upper())
    name = c["name"].astype(str).str.strip()
    people = {}  # (id_type, number) -> names of the customers holding it
    for k, nm in zip(zip(id_type, number, strict=True), name, strict=True):
        if not pd.isna(k[1]):
            people.setdefault(k, set()).add(nm)
    out["ACC-003"] = {
        cid
        for cid, k, nm, s in zip(
            c["customer_id"], zip(id_type, number, strict=True), name, scope, strict=True
        )
        if s and not pd.isna(k[1]) and people[k] - {nm}
    }
    return out


# ---------------------------------------------------------------------- INFO, FEE
INFO_TABLES = {"transactions", "fund_transfers", "customers", "account_events"}


def info(t, params) -> dict[str, set]:
    out = {}
    if "operations" in t:
        ops = t["operations"]
        look = ops[ops["action"].isin(["view", "other"]) & in_period(ops["ts"])]
        h = _held(t["staff_roles"], look)
        allowed = set(h.loc[h["role"].isin(params.param("INFO-001", "data_access_roles")), "op_id"])
        left = look["staff_id"].map(_staff(t)["leave_date"])
        gone = set(look.loc[left.notna() & (left < look["ts"].dt.floor("D")), "op_id"])
        out["INFO-001"] = (set(look["op_id"]) - allowed) | gone
    if "data_changes" in t:
        ch = t["data_changes"]
        ch = ch[in_period(ch["changed_at"]) & ch["table_name"].isin(INFO_TABLES)]
        bad = (
            ch["approved_by"].isna()
            | (ch["approved_by"] == ch["changed_by"])
            | ch["approved_at"].isna()
            | (ch["approved_at"] > ch["changed_at"])
        )
        out["INFO-002"] = set(ch.loc[bad, "change_id"])
    return out


def fee(t, params) -> dict[str, set]:
    tx, pr = t["transactions"], t["products"]
    if "fee" not in tx or "max_fee_rate" not in pr:
        return {}
    buy = tx[
        tx["business_code"].isin(PURCHASE_CODES) & (tx["status"] == "confirmed") & in_period(tx["applied_at"])
    ]
    cap = buy["product_code"].map(
        pr.drop_duplicates("product_code").set_index("product_code")["max_fee_rate"]
    )
    buy = buy[(buy["amount"] > 0) & buy["fee"].notna() & cap.notna()]
    tol = Decimal(str(params.param("FEE-001", "fee_tolerance")))
    hits = set()
    for tid, amount, charged, rate in zip(
        buy["txn_id"], buy["amount"], buy["fee"], cap[buy.index], strict=True
    ):
        # the values as the files write them: money with two decimals, the rate as its shortest decimal
        if Decimal(f"{charged:.2f}") / Decimal(f"{amount:.2f}") > Decimal(repr(float(rate))) + tol:
            hits.add(tid)
    return {"FEE-001": hits}


def findings(d: Demo) -> dict[str, set]:
    """Rule code -> set of entity_ids, for every rule whose tables are present."""
    t = d.t
    out = {}
    out.update(sod(t))
    out.update(suit(t))
    out.update(abn(t, d.p))
    out.update(acc(t))
    out.update(ret(t, d.p))
    out.update(cmp(t, d))
    out.update(staff_rec(t, d.p))
    out.update(info(t, d.p))
    out.update(fee(t, d.p))
    return {k: v for k, v in out.items() if d.rule_tested(k)}


def compare(d: Demo) -> list[str]:
    """Differences between the answer key and this independent reading (empty = consistent)."""
    got = findings(d)
    want: dict[str, set] = {}
    near: dict[str, set] = {}
    for p in d.plants:
        if not d.rule_tested(p.rule):
            continue
        (want if p.kind == "hit" else near).setdefault(p.rule, set()).add(p.entity)
    problems = []
    for code in sorted(set(got) | set(want)):
        g, w = got.get(code, set()), want.get(code, set())
        if g - w:
            problems.append(f"{code}: unexpected {sorted(g - w)[:10]} ({len(g - w)})")
        if w - g:
            problems.append(f"{code}: missing {sorted(w - g)}")
        if near.get(code, set()) & w:
            problems.append(f"{code}: near-miss also planted as hit {sorted(near[code] & w)}")
    return problems
