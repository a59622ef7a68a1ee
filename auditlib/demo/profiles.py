"""The three demo institutions: size, shape, file formats and the rule parameters the answer key uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..rules.info import DATA_ACCESS_ROLES
from ..schema import ROLES

PERIOD_START = dt.date(2025, 1, 1)
PERIOD_END = dt.date(2025, 12, 31)
AS_OF = dt.date(2026, 1, 31)

ALL_TABLES = (
    "staff",
    "staff_roles",
    "operations",
    "customers",
    "account_events",
    "risk_assessments",
    "products",
    "transactions",
    "fund_transfers",
    "complaints",
    "archive_records",
    "backups",
    "reconciliations",
    "training",
    "product_ratings",  # v2, optional
    "data_changes",  # v2, optional
)
#: optional columns of data contract v2 (`table.column`); an institution may leave them out
V2_COLUMNS = ("transactions.fee", "products.max_fee_rate")

#: head-office roles (the contract's, but counter and sales, which branches hold), in the order staffed
HEAD_OFFICE_ROLES = tuple(r for r in ROLES if r not in ("counter", "sales"))


def head_office_staff(*counts: int) -> dict[str, int]:
    """Head-office staff by role from counts in HEAD_OFFICE_ROLES order (one line a profile); 0: none."""
    return {role: n for role, n in zip(HEAD_OFFICE_ROLES, counts, strict=True) if n}


# default rule parameters (rules.md); an institution's overrides are applied on top
DEFAULTS: dict[str, dict[str, Any]] = {
    "CMP-001": {"forward_working_minutes": 30},
    "CMP-002": {"general_reply_working_days": 3},
    "CMP-003": {"major_interim_working_hours": 8},
    "CMP-004": {"major_reply_working_days": 2},
    "CMP-005": {"regulator_register_working_days": 1},
    "CMP-006": {"violation_report_working_days": 3},
    "CMP-008": {"callback_working_days": 1},
    "CMP-010": {"repeat_days": 30},
    "ABN-009": {"sales_special_accounts": []},
    "RET-007": {"archive_grace_days": 30},
    "CMP-011": {"register_working_days": 1},
    "STAFF-003": {"suitability_course_keywords": ["适用性", "适当性", "suitability"]},
    "INFO-001": {"data_access_roles": list(DATA_ACCESS_ROLES)},
    "FEE-001": {"fee_tolerance": "0.0001"},
}


@dataclass(frozen=True)
class Profile:
    institution_id: str
    name: str
    name_en: str
    seed: int
    language: str
    n_staff_hint: int
    n_branches: int
    transactions: int
    # staff per branch, and head-office staff per role
    per_branch: dict[str, int]
    head_office: dict[str, int]
    channel_mix: dict[str, float]
    three_level: bool = False
    parquet: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    absent_columns: tuple[str, ...] = ()  # optional columns (`table.column`) not handed over
    encoding: str = "utf-8"
    encodings: dict[str, str] = field(default_factory=dict)  # per-table override
    bool_style: dict[str, str] = field(default_factory=dict)  # table.column -> "yn" | "shifou" | "10"
    ts_minutes: tuple[str, ...] = ()  # tables whose timestamps are written as YYYY-MM-DD HH:MM
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    mitigations: tuple[dict[str, Any], ...] = ()
    # rules whose violations are not planted here (their near-misses are): tested, no exception, so the
    # report shows clauses "tested: no exception" next to the others
    no_hits: tuple[str, ...] = ()
    # rules the institution's params leave out (`rules:` in params/<id>.yaml): not run, no findings expected
    excluded: tuple[str, ...] = ()

    def param(self, code: str, name: str):
        return self.overrides.get(code, {}).get(name, DEFAULTS.get(code, {}).get(name))

    def has_column(self, column: str) -> bool:
        return column.partition(".")[0] not in self.absent and column not in self.absent_columns

    def tables(self) -> tuple[str, ...]:
        return tuple(t for t in ALL_TABLES if t not in self.absent)


DEMO_A = Profile(
    institution_id="demo-a",
    name="示例基金销售有限公司",
    name_en="Shili Fund Distribution Co., Ltd.",
    seed=20250101,
    language="zh",
    n_staff_hint=60,
    n_branches=6,
    transactions=30_000,
    per_branch={"counter": 2, "sales": 2},
    head_office=head_office_staff(3, 5, 3, 2, 2, 3, 1, 1, 3, 2),
    channel_mix={"online": 0.38, "app": 0.34, "counter": 0.22, "phone": 0.06},
    overrides={"ABN-009": {"sales_special_accounts": ["3100202501010018"]}},
)

DEMO_B = Profile(
    institution_id="demo-b",
    name="青禾基金销售（杭州）有限公司",
    name_en="Qinghe Fund Sales (Hangzhou) Co., Ltd.",
    seed=20250202,
    language="en",
    n_staff_hint=15,
    n_branches=2,
    transactions=3_000,
    per_branch={"counter": 2, "sales": 1},
    head_office=head_office_staff(1, 2, 2, 1, 1, 1, 1, 1, 0, 1),
    channel_mix={"online": 0.45, "app": 0.30, "counter": 0.20, "phone": 0.05},
    # v1 bundle: none of the v2 tables and columns; no sales special account configured (ABN-009 not tested)
    absent=("backups", "training", "reconciliations", "product_ratings", "data_changes"),
    absent_columns=V2_COLUMNS,
    encoding="gb18030",
    encodings={"products": "utf-8-sig", "risk_assessments": "utf-8-sig"},
    bool_style={
        "staff.qualified": "shifou",
        "transactions.risk_mismatch_confirmed": "yn",
        "account_events.identity_verified": "shifou",
        "account_events.flagged_abnormal": "shifou",
        "complaints.involves_violation": "10",
    },
    ts_minutes=("complaints",),
    overrides={"CMP-002": {"general_reply_working_days": 5}},
    # a small company whose callbacks and regulator transfers are in order: CP-8, CP-10 tested, no exception
    no_hits=("CMP-008", "CMP-012"),
)

DEMO_C = Profile(
    institution_id="demo-c",
    name="瀚海商业银行股份有限公司（示例）",
    name_en="Hanhai Commercial Bank Co., Ltd. (demo)",
    seed=20250303,
    language="zh",
    n_staff_hint=150,
    n_branches=20,
    transactions=200_000,
    per_branch={"counter": 3, "sales": 2},
    head_office=head_office_staff(4, 8, 5, 4, 4, 6, 1, 1, 6, 4),
    channel_mix={"counter": 0.5, "app": 0.3, "online": 0.15, "phone": 0.05},
    three_level=True,
    parquet=("transactions", "operations"),
    # suitability training was examined by this year's thematic inspection: STAFF-003 not run (SU 29)
    excluded=("STAFF-003",),
    overrides={
        # two special accounts: the bank's own (head office) and the one at its Shenzhen clearing bank (a
        # leading zero: why account numbers are quoted text in params)
        "ABN-009": {"sales_special_accounts": ["3100202503030018", "0755202503030018"]},
        # complaint files are archived within 60 days (the institution's policy)
        "RET-007": {"archive_grace_days": 60},
        "SUIT": {
            "investor_label_map": {"保守型": "C1", "稳健型": "C3", "积极型": "C5"},
            "product_label_map": {"低风险": "R1", "中风险": "R3", "高风险": "R5"},
        },
    },
)

PROFILES: dict[str, Profile] = {p.institution_id: p for p in (DEMO_A, DEMO_B, DEMO_C)}
