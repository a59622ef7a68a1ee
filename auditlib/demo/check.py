"""An independent, deliberately plain reading of every rule in rules.md, run on the generated tables.

This is the demo's self-check: the tests assert that it finds exactly the planted hits (the answer
key) and none of the planted near-misses. It is written for clarity, not speed, and shares nothing
with auditlib.rules. Rule parameters: the defaults of rules.md plus the institution's overrides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import cal
from .base import BUSINESS_ROLES, PURCHASE_CODES, SALES_ROLES, Demo
from .profiles import AS_OF, PERIOD_END, PERIOD_START

P0 = pd.Timestamp(PERIOD_START)
P1 = pd.Timestamp(PERIOD_END) + pd.Timedelta(days=1)  # exclusive end of the period
ASOF = pd.Timestamp(AS_OF)
REVIEW_REQUIRED = {
    "account_open",
    "account_close",
    "info_change",
    "bank_account_change",
    "redemption",
    "fund_transfer",
}
ALL_TYPES = {
    "account_open",
    "account_close",
    "info_change",
    "bank_account_change",
    "subscription",
    "purchase",
    "redemption",
    "conversion",
    "fund_transfer",
    "complaint",
    "other",
}
AUTH = {
    "counter": {
        "account_open",
        "account_close",
        "info_change",
        "bank_account_change",
        "subscription",
        "purchase",
        "redemption",
        "conversion",
    },
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
    makers = enters.groupby("ref_id")["staff_id"].agg(set)
    checkers = checks.groupby("ref_id")["staff_id"].agg(set)
    out["SOD-006"] = {ref for ref, mk in makers.items() if not (checkers.get(ref, set()) - mk)}
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
    risk = m["product_code"].map(t["products"].set_index("product_code")["risk_level"])
    has = m["at"].notna()
    out = {
        "SUIT-002": set(m.loc[~has, "txn_id"]),
        "SUIT-001": set(
            m.loc[has & (risk > m["risk_tolerance"]) & ~true(m["risk_mismatch_confirmed"]), "txn_id"]
        ),
        "SUIT-003": set(m.loc[has & ((m["at"] + pd.DateOffset(months=24)) < m["applied_at"]), "txn_id"]),
    }
    sold = t["products"][t["products"]["product_code"].isin(buy["product_code"])]
    limit = pd.Timestamp(PERIOD_END) - pd.DateOffset(months=12)
    out["SUIT-004"] = set(sold.loc[sold["rated_at"] < limit, "product_code"])
    return out


# ---------------------------------------------------------------------- ABN
def abn(t) -> dict[str, set]:
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


def ret(t) -> dict[str, set]:
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
def staff_rec(t) -> dict[str, set]:
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


def findings(d: Demo) -> dict[str, set]:
    """Rule code -> set of entity_ids, for every rule whose tables are present."""
    t = d.t
    out = {}
    out.update(sod(t))
    out.update(suit(t))
    out.update(abn(t))
    out.update(ret(t))
    out.update(cmp(t, d))
    out.update(staff_rec(t))
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
