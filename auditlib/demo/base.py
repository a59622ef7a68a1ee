"""The clean bulk population of a demo institution, generated vectorized from its seed.

Bulk data is clean for every rule in rules.md by construction (see the comments at each step);
the plant modules then add small explicit lists of hits and near-misses, and `derive` builds the
dependent tables (transfers, operations, archive, backups, reconciliations, training) from the final
primary tables so that every transaction, event and complaint gets its controls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ..rules import REGISTRY
from ..schema import COMPLAINT_STEPS
from . import cal, pii
from .profiles import AS_OF, PERIOD_END, PERIOD_START, Profile

P_START = np.datetime64(PERIOD_START, "s")
P_END_DAY = np.datetime64(PERIOD_END, "D")
P_END = np.datetime64(PERIOD_END, "s") + np.timedelta64(86399, "s")
AS_OF_S = np.datetime64(AS_OF, "s")
MIN = np.timedelta64(60, "s")
HOUR = np.timedelta64(3600, "s")
DAY = np.timedelta64(1, "D")

PURCHASE_CODES = ("020", "022", "039")
BUSINESS_TYPE = {
    "020": "subscription",
    "022": "purchase",
    "039": "purchase",
    "024": "redemption",
    "036": "conversion",
}
HQ_DEPT = {
    "promotion": "市场营销部",
    "info_processing": "运营管理部",
    "fund_processing": "资金清算部",
    "risk_monitoring": "风险管理部",
    "audit": "合规稽核部",
    "complaint_handling": "客户服务中心",
    "it_head": "信息技术部",
    "infosec_head": "信息技术部",
    "it_dev": "信息技术部",
    "it_ops": "信息技术部",
}
BUSINESS_ROLES = ("promotion", "counter", "sales", "info_processing", "fund_processing")
SALES_ROLES = ("promotion", "counter", "sales")
CITIES = [
    "北京",
    "上海",
    "深圳",
    "杭州",
    "南京",
    "广州",
    "成都",
    "武汉",
    "苏州",
    "宁波",
    "厦门",
    "青岛",
    "天津",
    "重庆",
    "西安",
    "长沙",
    "合肥",
    "济南",
    "福州",
    "郑州",
]
BRANDS = ["长风", "云帆", "明川", "青松", "远山", "金穗", "星河", "恒远", "安和", "睿泽", "景行", "弘毅"]
KINDS = {
    1: ["货币A", "货币B", "现金增利A", "短债A"],
    2: ["纯债债券A", "短债债券C", "稳健债券A", "中短债C"],
    3: ["稳健债券A", "稳健混合A", "平衡混合C", "沪深300指数A"],
    4: ["成长混合A", "价值精选混合C", "优选股票A", "均衡配置混合A"],
    5: ["新能源股票A", "科技创新混合C", "医药行业股票A", "全球精选QDII"],
}
CATEGORIES = np.array(["service_attitude", "suitability", "product", "fees", "system", "other"], dtype=object)
ROOT_CAUSES = np.array(
    [
        "员工服务态度",
        "系统故障",
        "产品净值波动",
        "费率理解偏差",
        "适当性告知不充分",
        "客户误解业务规则",
        "第三方支付通道延迟",
    ],
    dtype=object,
)
DESCRIPTIONS = np.array(
    [
        "客户反映柜台办理赎回时等候时间过长，工作人员解释不清。",
        "客户称APP申购页面显示的费率与实际扣费不一致，要求说明。",
        "客户认为销售人员推荐的产品风险等级高于其风险承受能力。",
        "客户反映基金净值下跌，质疑购买时未充分揭示风险。",
        "客户称赎回款项未按约定时间到账。",
        "客户投诉电话客服态度冷淡，多次转接未解决问题。",
        "客户反映定投扣款失败但未收到任何通知。",
        "客户对账单寄送地址错误，担心个人信息泄露。",
        "客户称网上交易系统登录异常，无法及时赎回。",
        "客户要求解释转换业务的份额计算方法。",
    ],
    dtype=object,
)


#: the contract's highest purchase fee rate by product risk level, in millionths (R1: money funds, no fee)
MAX_FEE_PPM = {1: 0, 2: 6000, 3: 12000, 4: 15000, 5: 15000}
SUITABILITY_COURSE = "基金销售适用性管理"
TXN_CODES = ["022", "039", "020", "024", "036"]
TXN_STATUS = ["confirmed", "failed", "rejected"]


def coded(codes, labels) -> pd.Series:
    """Labels picked by integer codes (-1 = null), as an Arrow-backed string Series."""
    codes = np.asarray(codes, dtype=np.int32)
    idx = pa.array(codes, mask=codes < 0, type=pa.int32())
    arr = pa.DictionaryArray.from_arrays(idx, pa.array(list(labels), type=pa.string())).dictionary_decode()
    return pd.Series(arr, dtype="str")


def take_str(s: pd.Series, idx) -> pd.Series:
    """s.iloc[idx] for a string column, without Python objects."""
    return pd.Series(pa.array(s.astype("str")).take(pa.array(np.asarray(idx, dtype=np.int64))), dtype="str")


def rand_times(rng, days: np.ndarray, lo_h: float, hi_h: float) -> np.ndarray:
    """Timestamps on the given days with a uniform time of day in [lo_h, hi_h) hours."""
    secs = rng.integers(int(lo_h * 3600), int(hi_h * 3600), len(days))
    return days.astype("datetime64[D]").astype("datetime64[s]") + secs * np.timedelta64(1, "s")


def uniform_days(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform calendar day in [lo, hi] (elementwise)."""
    lo = lo.astype("datetime64[D]")
    span = (hi.astype("datetime64[D]") - lo).astype("int64") + 1
    return lo + (rng.random(len(lo)) * span).astype("int64") * DAY


def uniform_workdays(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform working day in [lo, hi] (elementwise; there must be one)."""
    wd = cal.workdays()
    a = np.searchsorted(wd, lo.astype("datetime64[D]"), side="left")
    b = np.searchsorted(wd, hi.astype("datetime64[D]"), side="right")
    return wd[a + (rng.random(len(lo)) * (b - a)).astype("int64")]


@dataclass
class Plant:
    rule: str
    entity: str
    kind: str  # "hit" or "near"
    why: str
    status: str = "open"


class Demo:
    """One institution's generated data: `t` holds the tables, `plants` the answer key."""

    def __init__(self, profile: Profile, transactions: int | None = None, seed: int | None = None):
        self.p = profile
        self.seed = profile.seed if seed is None else seed
        self.rng = np.random.default_rng(self.seed)
        self.n_txn = int(profile.transactions if transactions is None else transactions)
        self.t: dict[str, pd.DataFrame] = {}
        self.extra: dict[str, list[dict]] = {}
        self.plants: list[Plant] = []
        self.quarantine: list[tuple[str, int, str]] = []
        # directives from the plants to `derive`
        self.own_ops: set[str] = set()  # ref_ids whose operations are planted explicitly
        self.no_archive: set[str] = set()  # subject_ids that must get no archive record
        self.no_recon: set[tuple[str, str]] = set()
        self.no_transfer_for: set[str] = set()  # txn_ids whose payout/refund is planted explicitly
        self.sweep_plan: dict = {}  # (branch, day) -> f(collected) -> [sweep rows]; an empty list = no sweep
        self.no_backup: set[str] = set()
        self.training_hours: dict[str, list[tuple]] = {}  # planted staff -> [(date, hours[, course])]
        self.rating_history: dict[str, list[tuple[int, str]]] = {}  # planted product -> [(level, from day)]
        self.no_recording: set[str] = set()  # complaint_ids that must get no call_recording archive record
        self.counters = {}
        self.bad_rows: list[dict] = []  # deliberately bad rows, inserted by the writer
        self.post: list = []  # hooks run after the dependent tables are derived
        # the sales special accounts (销售结算专用账户) branch sweeps go to: those configured for ABN-009, or
        # (an institution that did not give them) the account it would have named
        self.special_accounts = list(profile.param("ABN-009", "sales_special_accounts")) or [
            "3100" + str(profile.seed)[-8:] + "0018"
        ]
        self.settlement_account = self.special_accounts[0]
        self.settlement_holder = profile.name + "基金销售结算专户"

    # ------------------------------------------------------------------ bookkeeping
    def hit(self, rule: str, entity: str, why: str, status: str = "open"):
        if not self.plants_hits(rule):
            raise ValueError(f"{self.p.institution_id} plants no violation of {rule} (Profile.no_hits)")
        self.plants.append(Plant(rule, entity, "hit", why, status))

    def plants_hits(self, rule: str) -> bool:
        """Whether this institution's data carries the rule's violations (see `Profile.no_hits`)."""
        return rule not in self.p.no_hits

    def near(self, rule: str, entity: str, why: str):
        self.plants.append(Plant(rule, entity, "near", why))

    def add(self, table: str, **row):
        self.extra.setdefault(table, []).append(row)
        return row

    def has(self, table: str) -> bool:
        return table not in self.p.absent

    def rule_tested(self, code: str) -> bool:
        """Whether the kit tests the rule here: the params run it, its tables and optional columns (as the
        rule declares them) are provided and the parameters it cannot do without are set. Unknown codes are
        not tested."""
        r = REGISTRY.get(code)
        if r is None or code in self.p.excluded:
            return False
        return (
            all(self.has(t) for t in r.tables)
            and all(self.p.has_column(c) for c in getattr(r, "columns", ()))
            and all(self.p.param(code, n) for n in getattr(r, "needs", {}))
        )

    def op(self, ts: str, staff: str, action: str, business_type: str, ref: str) -> str:
        """A planted operation with a reserved id (its ref_id is normally in `own_ops`)."""
        oid = self.next_id("op", "OP", 9000000001, 10)
        self.add(
            "operations",
            op_id=oid,
            ts=np.datetime64(ts, "s"),
            staff_id=staff,
            action=action,
            business_type=business_type,
            ref_id=ref,
        )
        return oid

    def next_id(self, kind: str, prefix: str, start: int, width: int) -> str:
        n = self.counters.get(kind, start)
        self.counters[kind] = n + 1
        return pii.fmt_ids(prefix, np.array([n]), width)[0]

    def merge_extra(self, tables=None):
        for table in list(self.extra):
            rows = self.extra[table]
            if not rows or (tables is not None and table not in tables):
                continue
            add = pd.DataFrame(rows)
            base = self.t.get(table)
            if base is None:
                self.t[table] = add
                continue
            for c in add.columns:
                if c not in base.columns:
                    raise KeyError(f"planted column {table}.{c} unknown")
            add = add.reindex(columns=base.columns)
            for c in base.columns:
                if str(base[c].dtype).startswith("datetime64"):
                    add[c] = pd.to_datetime(add[c]).astype("datetime64[s]")
            self.t[table] = pd.concat(
                [base, add.astype(base.dtypes.to_dict(), errors="ignore")], ignore_index=True
            )
            self.extra[table] = []

    # ------------------------------------------------------------------ staff
    def build_staff(self):
        p, rng = self.p, self.rng
        rows = []
        self.branches = [f"B{i + 1:02d}" for i in range(p.n_branches)]
        self.branch_city = {b: CITIES[i % len(CITIES)] for i, b in enumerate(self.branches)}
        branch_suffix = "支行" if p.three_level else "营业部"
        self.branch_name = {
            b: f"{self.branch_city[b]}{'分行营业部' if i == 0 and p.three_level else branch_suffix}"
            for i, b in enumerate(self.branches)
        }
        for b in self.branches:
            for role, k in p.per_branch.items():
                rows += [(role, b, self.branch_name[b])] * k
        for role, k in p.head_office.items():
            rows += [(role, None, HQ_DEPT[role])] * k
        n = len(rows)
        ids = pii.fmt_ids("", np.arange(1, n + 1), 4)
        hire = np.datetime64("2012-03-01") + rng.integers(0, 365 * 12, n).astype("timedelta64[D]")
        roles = np.array([r[0] for r in rows], dtype=object)
        qualified = np.where(
            np.isin(roles, BUSINESS_ROLES + ("risk_monitoring", "audit", "complaint_handling")),
            True,
            rng.random(n) < 0.3,
        )
        self.t["staff"] = pd.DataFrame(
            {
                "staff_id": ids,
                "name": pii.person_names(rng, n),
                "department": [r[2] for r in rows],
                "hire_date": hire.astype("datetime64[s]"),
                "leave_date": pd.Series([pd.NaT] * n, dtype="datetime64[s]"),
                "qualified": pd.array(qualified, dtype="boolean"),
            }
        )
        self.t["staff_roles"] = pd.DataFrame(
            {
                "staff_id": ids,
                "role": roles,
                "start_date": hire.astype("datetime64[s]"),
                "end_date": pd.Series([pd.NaT] * n, dtype="datetime64[s]"),
            }
        )
        self.staff_branch = dict(zip(ids, [r[1] for r in rows], strict=True))
        self.pool = {role: ids[roles == role] for role in set(roles)}
        self.counter_by_branch = np.array(
            [ids[(roles == "counter") & (np.array([r[1] for r in rows]) == b)] for b in self.branches]
        )
        # a sales staff who left mid-year (qualified and trained before leaving: clean for STAFF-001/002)
        self.leaver = self.new_staff(
            "sales",
            department=self.branch_name[self.branches[0]],
            hire="2019-07-01",
            leave="2025-05-31",
            role_end="2025-05-31",
            training=[("2025-02-14", 8.0, SUITABILITY_COURSE), ("2025-04-18", 8.0)],
        )

    def new_staff(
        self,
        *roles,
        department=None,
        hire="2020-01-01",
        leave=None,
        qualified=True,
        role_end=None,
        name=None,
        training=None,
        role_dates=None,
    ) -> str:
        """A planted staff: roles are held from `hire` (or role_dates[i] = (start, end)) to role_end/open."""
        sid = self._staff_id()
        self.add(
            "staff",
            staff_id=sid,
            name=name or pii.person_names(self.rng, 1)[0],
            department=department or HQ_DEPT.get(roles[0], self.branch_name[self.branches[0]]),
            hire_date=np.datetime64(hire, "s"),
            leave_date=np.datetime64(leave, "s") if leave else pd.NaT,
            qualified=qualified,
        )
        for i, role in enumerate(roles):
            start, end = role_dates[i] if role_dates else (hire, role_end)
            self.add(
                "staff_roles",
                staff_id=sid,
                role=role,
                start_date=np.datetime64(start, "s"),
                end_date=np.datetime64(end, "s") if end else pd.NaT,
            )
        if training is not None:
            self.training_hours[sid] = list(training)
        elif any(r in SALES_ROLES for r in roles):
            self.training_hours[sid] = [
                ("2025-03-21", 6.0, SUITABILITY_COURSE),
                ("2025-06-20", 6.0),
                ("2025-10-24", 4.0),
            ]
        return sid

    def two_roles(self, first: tuple, second: tuple, **kw) -> str:
        """A planted staff whose two roles have spans of their own: first/second = (role, start, end or None).

        SOD plants are about when two roles overlap, so the spans are the point; hired on the earlier start.
        """
        return self.new_staff(
            first[0], second[0], hire=min(first[1], second[1]), role_dates=[first[1:], second[1:]], **kw
        )

    def _staff_id(self) -> str:
        n = len(self.t["staff"]) + len(self.extra.get("staff", [])) + 1
        return pii.fmt_ids("", np.array([n]), 4)[0]

    # ------------------------------------------------------------------ products
    def build_products(self):
        p, rng = self.p, self.rng
        n = {"demo-a": 80, "demo-b": 30, "demo-c": 200}.get(p.institution_id, 60)
        codes = np.sort(rng.choice(np.arange(1, 20000), n, replace=False))
        levels = np.array([1, 3, 5]) if p.three_level else np.arange(1, 6)
        risk = levels[np.arange(n) % len(levels)]
        brand = np.array(BRANDS, dtype=object)[rng.integers(0, len(BRANDS), n)]
        kind = np.array([KINDS[r][i % 4] for i, r in enumerate(risk)], dtype=object)
        rated = np.datetime64("2025-01-02") + rng.integers(0, 180, n).astype("timedelta64[D]")
        self.t["products"] = pd.DataFrame(
            {
                "product_code": pii.fmt_ids("", codes, 6),
                "name": brand + kind,
                "risk_level": risk,
                "rated_at": rated.astype("datetime64[s]"),
                "max_fee_rate": np.array([MAX_FEE_PPM[r] for r in risk]) / 1e6,
            }
        )
        self.levels = levels

    def new_product(
        self, risk: int, rated_at: str, name: str, history=None, max_fee_rate: float | None = "auto"
    ) -> str:
        """A planted product; history = [(level, first day)] replaces the generated rating history."""
        n = len(self.extra.get("products", []))
        code = pii.fmt_ids("", np.array([20100 + 37 * n]), 6)[0]
        self.add(
            "products",
            product_code=code,
            name=name,
            risk_level=risk,
            rated_at=np.datetime64(rated_at, "s"),
            max_fee_rate=MAX_FEE_PPM[risk] / 1e6 if max_fee_rate == "auto" else max_fee_rate,
        )
        if history is not None:
            self.rating_history[code] = list(history)
        return code

    def product_of_risk(self, risk: int, k: int = 0) -> str:
        pr = self.t["products"]
        return pr.loc[pr["risk_level"] == risk, "product_code"].iloc[k]

    # ------------------------------------------------------------------ customers and assessments
    def build_customers(self):
        p, rng = self.p, self.rng
        n = max(self.n_txn // 10, 150)
        inst = rng.random(n) < 0.03
        opened_2025 = rng.random(n) < 0.22
        open_day = np.where(
            opened_2025,
            np.datetime64("2025-01-02") + rng.integers(0, 350, n).astype("timedelta64[D]"),
            np.datetime64("2015-01-05") + rng.integers(0, 3650, n).astype("timedelta64[D]"),
        )
        open_ts = rand_times(rng, open_day, 9, 20)
        # a few customers closed before the period (opened before 2023, closed 2023-2024): no activity in 2025
        closed = (~opened_2025) & (open_day < np.datetime64("2022-12-01")) & (rng.random(n) < 0.04)
        close_day = np.datetime64("2023-01-05") + rng.integers(0, 700, n).astype("timedelta64[D]")
        close_ts = np.where(closed, rand_times(rng, close_day, 9, 17), np.datetime64("NaT"))
        names = np.where(inst, pii.company_names(rng, n), pii.person_names(rng, n))
        id_number = np.where(inst, pii.credit_codes(rng, n), pii.resident_ids(rng, n, unique=True))
        ids = pii.fmt_ids("", np.arange(100001, 100001 + n), 10)
        self.t["customers"] = pd.DataFrame(
            {
                "customer_id": ids,
                "name": names,
                "id_type": np.where(inst, "BUSINESS_LICENSE", "ID_CARD"),
                "id_number": id_number,
                "phone": pii.mobiles(rng, n),
                "investor_type": np.where(inst, "institution", "individual"),
                "open_date": open_day.astype("datetime64[D]").astype("datetime64[s]"),
                "close_date": pd.Series(close_ts).dt.floor("D").astype("datetime64[s]"),
                "_open_ts": open_ts,
                "_close_ts": pd.Series(close_ts, dtype="datetime64[s]"),
                "_bank": pii.bank_cards(rng, n),
            }
        )
        # risk assessments: at opening, and a renewal during 2024 for those opened before 2024; the renewal's
        # tolerance may differ from the first one (SUIT uses the latest at or before applied_at)
        lv = self.levels
        probs = np.array([0.25, 0.5, 0.25]) if p.three_level else np.array([0.1, 0.2, 0.35, 0.25, 0.1])
        first = rng.choice(lv, n, p=probs)
        shift = rng.integers(-1, 2, n)
        latest = lv[np.clip(np.searchsorted(lv, first) + shift, 0, len(lv) - 1)]
        renew = open_day < np.datetime64("2024-01-01")
        renew_day = uniform_workdays(
            rng, np.full(n, np.datetime64("2024-01-10")), np.full(n, np.datetime64("2024-12-27"))
        )
        renew_ts = rand_times(rng, renew_day, 9.5, 16.5)
        a_first = open_ts + rng.integers(5, 30, n) * MIN
        ra = pd.DataFrame(
            {
                "customer_id": np.concatenate([ids, ids[renew]]),
                "assessed_at": np.concatenate([a_first, renew_ts[renew]]),
                "risk_tolerance": np.concatenate([np.where(renew, first, latest), latest[renew]]),
            }
        )
        self.t["risk_assessments"] = ra
        cust = self.t["customers"]
        cust["_tol"] = latest
        cust["_last_assessed"] = np.where(renew, renew_ts, a_first)
        cust["_closed"] = closed

    def new_customer(
        self,
        opened="2019-05-20 10:00:00",
        tol: int | None = 3,
        assessed="2024-06-12 10:30:00",
        name=None,
        closed=None,
        institution=False,
        extra_assessments=(),
        id_type="auto",
        id_number="auto",
        investor_type="auto",
    ) -> str:
        """A planted customer with a clean assessment (unless tol is None), a valid identity number of its own
        (a region code the bulk never uses: no clash with it) and an identity record."""
        k = len(self.extra.get("customers", []))
        cid = pii.fmt_ids("", np.array([9000001 + k]), 10)[0]
        rng = self.rng
        if id_number == "auto":
            born = np.datetime64("1958-03-01") + (k * 211) % (30 * 365)
            id_number = pii.credit_codes(rng, 1)[0] if institution else pii.planted_resident_id(str(born), k)
        self.add(
            "customers",
            customer_id=cid,
            name=name or (pii.company_names(rng, 1)[0] if institution else pii.person_names(rng, 1)[0]),
            id_type=("BUSINESS_LICENSE" if institution else "ID_CARD") if id_type == "auto" else id_type,
            id_number=id_number,
            phone=pii.mobiles(rng, 1)[0],
            investor_type=("institution" if institution else "individual")
            if investor_type == "auto"
            else investor_type,
            open_date=np.datetime64(opened[:10], "s"),
            close_date=np.datetime64(closed[:10], "s") if closed else pd.NaT,
            _open_ts=np.datetime64(opened, "s"),
            _close_ts=np.datetime64(closed, "s") if closed else pd.NaT,
            _bank=pii.bank_cards(rng, 1)[0],
            _tol=tol or 0,
            _last_assessed=pd.NaT,
            _closed=bool(closed),
        )
        if tol is not None:
            self.add(
                "risk_assessments",
                customer_id=cid,
                assessed_at=np.datetime64(assessed, "s"),
                risk_tolerance=tol,
            )
        for at, lvl in extra_assessments:
            self.add(
                "risk_assessments", customer_id=cid, assessed_at=np.datetime64(at, "s"), risk_tolerance=lvl
            )
        return cid

    def customer_name(self, cid: str) -> str:
        for r in self.extra.get("customers", []):
            if r["customer_id"] == cid:
                return r["name"]
        c = self.t["customers"]
        return c.loc[c["customer_id"] == cid, "name"].iloc[0]

    # ------------------------------------------------------------------ account events
    def build_events(self):
        rng = self.rng
        c = self.t["customers"]
        n = len(c)
        opens = pd.DataFrame(
            {"customer_id": c["customer_id"], "event_type": "open", "event_at": c["_open_ts"]}
        )
        closed = c[c["_closed"].to_numpy().astype(bool)]
        closes = pd.DataFrame(
            {"customer_id": closed["customer_id"], "event_type": "close", "event_at": closed["_close_ts"]}
        )
        active = c[~c["_closed"].to_numpy().astype(bool) & (c["customer_id"] < "0009000001").to_numpy()]
        lo = np.maximum(active["_open_ts"].to_numpy() + DAY, P_START)
        pick_info = rng.random(len(active)) < 0.05
        pick_bank = rng.random(len(active)) < 0.02
        m_info = pick_info & (lo < P_END - 20 * DAY)
        m_bank = pick_bank & (lo < P_END - 20 * DAY)
        info_day = uniform_workdays(rng, lo[m_info], np.full(m_info.sum(), P_END_DAY - 20 * DAY))
        bank_day = uniform_workdays(rng, lo[m_bank], np.full(m_bank.sum(), P_END_DAY - 20 * DAY))
        info = pd.DataFrame(
            {
                "customer_id": active["customer_id"].to_numpy()[m_info],
                "event_type": "info_change",
                "event_at": rand_times(rng, info_day, 9, 17),
            }
        )
        bank = pd.DataFrame(
            {
                "customer_id": active["customer_id"].to_numpy()[m_bank],
                "event_type": "bank_account_change",
                "event_at": rand_times(rng, bank_day, 9, 17),
                "new_bank_account": pii.bank_cards(rng, int(m_bank.sum())),
                "new_account_holder": active["name"].to_numpy()[m_bank],
            }
        )
        ev = pd.concat([opens, closes, info, bank], ignore_index=True)
        ev["event_at"] = ev["event_at"].astype("datetime64[s]")
        ev = ev.sort_values(["event_at", "customer_id", "event_type"], kind="stable", ignore_index=True)
        m = len(ev)
        in_period = ((ev["event_at"] >= P_START) & (ev["event_at"] <= P_END)).to_numpy()
        at_counter = in_period & (rng.random(m) < 0.4) & (ev["event_type"] != "close").to_numpy()
        # an in-period counter event is handled by a counter staff of a random branch
        b = rng.integers(0, len(self.branches), m)
        k = rng.integers(0, self.counter_by_branch.shape[1], m)
        ev["staff_id"] = np.where(at_counter, self.counter_by_branch[b, k], None)
        # every bank-account change is identity-checked and handled as abnormal (ABN-003 clean)
        ev["identity_verified"] = pd.array(np.where(rng.random(m) < 0.9, True, None), dtype="boolean")
        isbank = (ev["event_type"] == "bank_account_change").to_numpy()
        ev.loc[isbank, "identity_verified"] = True
        ev["flagged_abnormal"] = pd.array(np.where(isbank, True, False), dtype="boolean")
        ev.loc[ev["event_type"] == "open", "flagged_abnormal"] = pd.NA
        ev.insert(0, "event_id", pii.fmt_ids("E", np.arange(1, m + 1), 9))
        self.t["account_events"] = ev[
            [
                "event_id",
                "customer_id",
                "event_type",
                "event_at",
                "new_bank_account",
                "new_account_holder",
                "identity_verified",
                "flagged_abnormal",
                "staff_id",
            ]
        ]
        _ = n

    def new_event(
        self,
        cid: str,
        event_type: str,
        at: str,
        staff_id=None,
        verified=True,
        flagged="auto",
        new_account=None,
        holder=None,
    ) -> str:
        eid = self.next_id("event", "E", 900000001, 9)
        if flagged == "auto":
            flagged = True if event_type == "bank_account_change" else None
        if event_type == "bank_account_change":
            new_account = new_account or pii.bank_cards(self.rng, 1)[0]
            holder = holder or self.customer_name(cid)
        self.add(
            "account_events",
            event_id=eid,
            customer_id=cid,
            event_type=event_type,
            event_at=np.datetime64(at, "s"),
            new_bank_account=new_account,
            new_account_holder=holder,
            identity_verified=verified,
            flagged_abnormal=flagged,
            staff_id=staff_id,
        )
        return eid

    # ------------------------------------------------------------------ transactions
    def build_transactions(self):
        """Vectorized on integer codes; string columns are built as Arrow arrays (10^7 rows stay compact)."""
        p, rng = self.p, self.rng
        c = self.t["customers"]
        n = self.n_txn
        start = np.maximum(
            c["_last_assessed"].to_numpy().astype("datetime64[D]") + DAY,
            c["_open_ts"].to_numpy().astype("datetime64[D]") + DAY,
        )
        start = np.maximum(start, np.datetime64(PERIOD_START, "D"))
        # customers eligible to trade: active, assessed, with at least one working day left in the period
        elig = np.flatnonzero((~c["_closed"].to_numpy().astype(bool)) & (start <= P_END_DAY - 7 * DAY))
        ci = elig[rng.integers(0, len(elig), n)]
        lo = start[ci]
        channels = list(p.channel_mix)
        ch = rng.choice(len(channels), n, p=np.array(list(p.channel_mix.values()))).astype(np.int8)
        counter = ch == channels.index("counter")
        staffed = counter | (ch == channels.index("phone"))
        day = np.empty(n, dtype="datetime64[D]")
        hi = np.full(n, P_END_DAY)
        day[staffed] = uniform_workdays(rng, lo[staffed], hi[staffed])
        day[~staffed] = uniform_days(rng, lo[~staffed], hi[~staffed])
        # counter and phone during working hours; online/app around the clock, mostly daytime
        hour_lo = np.where(staffed, 9.0, np.where(rng.random(n) < 0.85, 7.0, 0.0))
        hour_hi = np.where(staffed, 17.0, np.where(hour_lo == 7.0, 23.5, 7.0))
        secs = (hour_lo * 3600 + rng.random(n) * (hour_hi - hour_lo) * 3600).astype("int64")
        del hour_lo, hour_hi
        applied = day.astype("datetime64[s]") + secs * np.timedelta64(1, "s")
        del day, secs
        code = rng.choice(5, n, p=[0.45, 0.2, 0.05, 0.25, 0.05]).astype(np.int8)  # index into TXN_CODES
        purchase = code <= 2
        u = rng.random(n)
        status = np.where(u < 0.97, 0, np.where(u < 0.99, 1, 2)).astype(np.int8)  # index into TXN_STATUS
        # product: risk at or below the investor's latest tolerance; ~1% of purchases one level above with the
        # signed risk-mismatch confirmation (allowed by SU 31)
        pr = self.t["products"].sort_values(["risk_level", "product_code"], ignore_index=True)
        prisk = pr["risk_level"].to_numpy()
        tol = c["_tol"].to_numpy()[ci]
        lv = self.levels
        above = purchase & (tol < lv[-1]) & (rng.random(n) < 0.01)
        cap = np.where(above, lv[np.minimum(np.searchsorted(lv, tol) + 1, len(lv) - 1)], tol)
        cnt_le = np.searchsorted(prisk, cap, side="right")
        lo_idx = np.where(above, np.searchsorted(prisk, cap, side="left"), 0)
        pidx = lo_idx + (rng.random(n) * (cnt_le - lo_idx)).astype("int64")
        del cap, cnt_le, lo_idx, tol
        amount = np.where(
            code == 1, np.round(rng.uniform(100, 5000, n), -2), np.round(np.exp(rng.normal(9.6, 1.2, n)), 2)
        ).clip(10, 5_000_000)
        shares = np.round(np.exp(rng.normal(9.3, 1.1, n)), 2)
        mism = np.where(above, 1, np.where(rng.random(n) < 0.9, 0, -1)).astype(
            np.int8
        )  # 1 true, 0 false, -1 null
        branch_i = rng.integers(0, len(self.branches), n)
        k = rng.integers(0, self.counter_by_branch.shape[1], n)
        trade = cal.trade_date_for(applied)
        # failed/rejected: the investor is told within minutes to hours (ABN-008 clean)
        notified = np.where(status != 0, applied + rng.integers(10, 240, n) * MIN, np.datetime64("NaT"))
        code = self._fix_quick_redemptions(code, status, ci * len(pr) + pidx, trade)
        fee = self._fees(code, status, counter, pidx, prisk, amount, shares)
        order = np.lexsort((ci, applied.astype("int64")))
        staff_flat = self.counter_by_branch.ravel()
        staff_i = branch_i * self.counter_by_branch.shape[1] + k
        mm = mism[order]
        t = pd.DataFrame(
            {
                "txn_id": pii.id_series("T", np.arange(1, n + 1), 10),
                "customer_id": take_str(c["customer_id"], ci[order]),
                "product_code": take_str(pr["product_code"], pidx[order]),
                "business_code": coded(code[order], TXN_CODES),
                "applied_at": applied[order],
                "trade_date": trade[order].astype("datetime64[s]"),
                "amount": np.where(purchase, amount, np.nan)[order],
                "shares": np.where(purchase, np.nan, shares)[order],
                "status": coded(status[order], TXN_STATUS),
                "channel": coded(ch[order], channels),
                "branch_id": coded(np.where(counter, branch_i, -1)[order], self.branches),
                "staff_id": coded(np.where(counter, staff_i, -1)[order], list(staff_flat)),
                "risk_mismatch_confirmed": pd.arrays.BooleanArray(mm == 1, mm < 0),
                "notified_at": notified[order].astype("datetime64[s]"),
                "fee": fee[order],
            }
        )
        self.t["transactions"] = t

    def _fees(self, code, status, counter, pidx, prisk, amount, shares) -> np.ndarray:
        """Confirmed purchases pay at most the contract's rate (FEE-001 clean): the full rate at the counter,
        a 90% or 60% discount elsewhere, in whole cents rounded down (integer arithmetic, exact); confirmed
        redemptions 0.5% of their shares; failed/rejected nothing (null)."""
        n = len(code)
        disc = np.where(counter, 10, np.where(self.rng.random(n) < 0.7, 1, 4))
        ppm = np.array([MAX_FEE_PPM[int(r)] for r in prisk], dtype=np.int64)[pidx] * disc // 10
        cents = np.round(amount * 100).astype(np.int64) * ppm // 1_000_000
        ok = status == 0
        return np.where(
            ok & (code <= 2), cents / 100, np.where(ok & (code == 3), np.round(shares * 0.005, 2), np.nan)
        )

    @staticmethod
    def _fix_quick_redemptions(code, status, key, trade) -> np.ndarray:
        """ABN-002 clean: a confirmed redemption 0-7 days after a confirmed purchase of the same product by
        the same customer (key) becomes a conversion (036), which is neither a purchase nor a redemption."""
        conf = status == 0
        buy = conf & (code <= 2)
        red = conf & (code == 3)
        day = trade.astype("datetime64[D]").astype("int64")
        combined = key.astype("int64") * 100_000 + day  # sorted by key, then day
        b = np.sort(combined[buy])
        r = combined[red]
        pos = np.searchsorted(b, r, side="right") - 1  # the latest purchase at or before, if of the same key
        prev = b[pos.clip(min=0)]
        quick = (pos >= 0) & (prev // 100_000 == r // 100_000) & (r - prev <= 7)
        code = code.copy()
        code[np.flatnonzero(red)[quick]] = 4
        return code

    def new_txn(
        self,
        cid: str,
        product: str,
        code: str,
        applied: str,
        *,
        status="confirmed",
        amount=None,
        shares=None,
        channel="online",
        branch=None,
        staff=None,
        mismatch=False,
        trade_date=None,
        notified="auto",
        fee="auto",
    ) -> str:
        tid = self.next_id("txn", "T", 9000000001, 10)
        at = np.datetime64(applied, "s")
        if channel == "counter" and branch is None:
            branch = self.branches[0]
        if channel == "counter" and staff is None:
            staff = self.counter_by_branch[self.branches.index(branch), 0]
        if notified == "auto":
            notified = at + 45 * MIN if status != "confirmed" else pd.NaT
        elif notified is not None:
            notified = np.datetime64(notified, "s")
        else:
            notified = pd.NaT
        purchase = code in PURCHASE_CODES
        self.add(
            "transactions",
            txn_id=tid,
            customer_id=cid,
            product_code=product,
            business_code=code,
            applied_at=at,
            trade_date=np.datetime64(trade_date, "s")
            if trade_date
            else cal.trade_date_for([at])[0].astype("datetime64[s]"),
            amount=(amount if amount is not None else 20000.0) if purchase else np.nan,
            shares=np.nan if purchase else (shares if shares is not None else 10000.0),
            status=status,
            channel=channel,
            branch_id=branch,
            staff_id=staff,
            risk_mismatch_confirmed=mismatch,
            notified_at=notified,
            # planted purchases carry no fee (waived) unless the case is about fees
            fee=(0.0 if purchase and status == "confirmed" else np.nan) if fee == "auto" else fee,
        )
        return tid

    # ------------------------------------------------------------------ transfers
    def new_transfer(
        self,
        ttype: str,
        business_date: str,
        due_at: str,
        executed_at: str | None,
        amount: float,
        *,
        txn_id=None,
        customer_id=None,
        branch_id=None,
        holder=None,
        account="auto",
    ) -> str:
        fid = self.next_id("transfer", "F", 9000000001, 10)
        if holder is None:
            holder = self.customer_name(customer_id) if customer_id else self.settlement_holder
        if account == "auto":
            account = pii.bank_cards(self.rng, 1)[0] if customer_id else self.settlement_account
        self.add(
            "fund_transfers",
            transfer_id=fid,
            transfer_type=ttype,
            txn_id=txn_id,
            customer_id=customer_id,
            branch_id=branch_id,
            business_date=np.datetime64(business_date, "s"),
            due_at=np.datetime64(due_at, "s"),
            executed_at=np.datetime64(executed_at, "s") if executed_at else pd.NaT,
            to_account=account,
            to_account_holder=holder,
            amount=float(amount),
        )
        return fid

    # ------------------------------------------------------------------ complaints
    def build_complaints(self):
        rng = self.rng
        c = self.t["customers"]
        n = max(self.n_txn // 100, 20)
        active = np.flatnonzero(~c["_closed"].to_numpy() & (c["_open_ts"].to_numpy() < P_END - 30 * DAY))
        ci = rng.choice(active, min(n, len(active)), replace=False)  # one complaint per customer: no CMP-010
        n = len(ci)
        lo = np.maximum(c["_open_ts"].to_numpy()[ci] + DAY, P_START)
        ch = np.array(["phone", "online", "visit", "letter", "regulator"], dtype=object)[
            rng.choice(5, n, p=[0.45, 0.25, 0.15, 0.05, 0.10])
        ]
        in_hours = rng.random(n) < 0.8
        day_w = uniform_workdays(rng, lo, np.full(n, P_END_DAY - 3 * DAY))
        day_any = uniform_days(rng, lo, np.full(n, P_END_DAY - 3 * DAY))
        received = np.where(in_hours, rand_times(rng, day_w, 9, 17), rand_times(rng, day_any, 0, 24))
        major = (rng.random(n) < 0.06) | (ch == "regulator")  # regulator transfers are major (CMP-012 clean)
        resolved_any = rng.random(n) < 0.97
        # forwarded within 25 wall-clock minutes: never more working minutes than that (CMP-001 clean)
        registered = received + rng.integers(1, 20, n) * MIN
        forwarded = received + rng.integers(2, 26, n) * MIN
        interim = np.where(major, received + rng.integers(30, 300, n) * MIN, np.datetime64("NaT"))
        # reply: 60% within the day, 40% on the last allowed working day (still inside the limit)
        limit = np.where(major, 2, np.minimum(3, self.p.param("CMP-002", "general_reply_working_days")))
        on_last = rng.random(n) < 0.4
        last_day = cal.nth_workday_after(received.astype("datetime64[D]"), limit)
        responded = np.where(
            on_last, rand_times(rng, last_day, 9, 17), received + rng.integers(60, 600, n) * MIN
        )
        resolved = np.where(resolved_any, responded + rng.integers(0, 2880, n) * MIN, np.datetime64("NaT"))
        callback = np.where(resolved_any, resolved + rng.integers(60, 1200, n) * MIN, np.datetime64("NaT"))
        violation = rng.random(n) < 0.05
        reported = np.where(violation, received + rng.integers(60, 2880, n) * MIN, np.datetime64("NaT"))
        phone = ch == "phone"
        rec_ids = pii.fmt_ids("REC", rng.integers(10**8, 10**9, n), 9)
        cmp = pd.DataFrame(
            {
                "customer_id": c["customer_id"].to_numpy()[ci],
                "received_at": received,
                "channel": ch,
                "severity": np.where(major, "major", "general"),
                "category": CATEGORIES[rng.integers(0, len(CATEGORIES), n)],
                "description": DESCRIPTIONS[rng.integers(0, len(DESCRIPTIONS), n)],
                "registered_at": registered,
                "forwarded_at": forwarded,
                "interim_measure_at": interim,
                "responded_at": responded,
                "resolved_at": resolved,
                "callback_at": callback,
                "recording_ref": np.where(phone, rec_ids, None),
                "root_cause": np.where(resolved_any, ROOT_CAUSES[rng.integers(0, len(ROOT_CAUSES), n)], None),
                "involves_violation": pd.array(
                    np.where(violation, True, np.where(rng.random(n) < 0.7, False, None)), dtype="boolean"
                ),
                "reported_to_compliance_at": reported,
            }
        )
        for col in ("received_at", *COMPLAINT_STEPS):
            cmp[col] = cmp[col].astype("datetime64[s]")
        if "complaints" in self.p.ts_minutes:
            for col in cmp.columns:
                if str(cmp[col].dtype).startswith("datetime64"):
                    cmp[col] = cmp[col].dt.floor("min")
        cmp = cmp.sort_values(["received_at", "customer_id"], kind="stable", ignore_index=True)
        cmp.insert(0, "complaint_id", pii.fmt_ids("TS", np.arange(1, len(cmp) + 1), 8))
        self.t["complaints"] = cmp

    def new_complaint(
        self,
        cid,
        received: str,
        *,
        channel="visit",
        severity="general",
        category="other",
        description=None,
        **fields,
    ) -> str:
        """A planted complaint, fully compliant unless fields override: values are timestamps or None."""
        cpid = self.next_id("complaint", "TS", 90000001, 8)
        r = np.datetime64(received, "s")
        major = severity == "major"
        ok = {
            "registered_at": r + 5 * MIN,
            "forwarded_at": r + 10 * MIN if cal.is_workday([r])[0] else cal.working_deadline([r], 600)[0],
            "interim_measure_at": r + 2 * HOUR if major else None,
            "responded_at": r + 4 * HOUR,
            "resolved_at": r + 6 * HOUR,
            "callback_at": r + 8 * HOUR,
            "recording_ref": f"REC{900000 + self.counters['complaint']:09d}" if channel == "phone" else None,
            "root_cause": "客户误解业务规则",
            "involves_violation": False,
            "reported_to_compliance_at": None,
        }
        ok.update(fields)
        row = {
            k: (np.datetime64(v, "s") if isinstance(v, str) and k.endswith("_at") else v)
            for k, v in ok.items()
        }
        self.add(
            "complaints",
            complaint_id=cpid,
            customer_id=cid,
            received_at=r,
            channel=channel,
            severity=severity,
            category=category,
            description=description or "客户来访反映业务办理问题，要求给予答复。",
            **row,
        )
        return cpid
