"""The generation pipeline: bulk population, plants, dependent tables, answer key."""

from __future__ import annotations

import pandas as pd

from . import derive, plant_abn, plant_cmp, plant_quality, plant_ret, plant_sod, plant_staff_rec, plant_suit
from .base import Demo
from .profiles import Profile

PLANTERS = [plant_sod, plant_suit, plant_abn, plant_staff_rec, plant_cmp, plant_ret, plant_quality]
PRIMARY = ["staff", "staff_roles", "products", "customers", "risk_assessments", "transactions", "complaints"]

# the tables each rule reads: a rule whose table is absent is not tested, so it has no expected findings
RULE_TABLES = {
    **{f"SOD-00{i}": ("staff_roles",) for i in range(1, 5)},
    "SOD-005": ("operations", "staff_roles"),
    "SOD-006": ("operations",),
    "SOD-007": ("operations", "staff_roles", "staff"),
    **{f"SUIT-00{i}": ("transactions", "risk_assessments", "products") for i in range(1, 5)},
    "ABN-001": ("account_events",),
    "ABN-002": ("transactions",),
    "ABN-003": ("account_events",),
    "ABN-004": ("fund_transfers",),
    "ABN-005": ("fund_transfers",),
    "ABN-006": ("fund_transfers", "transactions"),
    "ABN-007": ("transactions",),
    "ABN-008": ("transactions",),
    "RET-001": ("archive_records",),
    "RET-002": ("archive_records",),
    "RET-003": ("archive_records",),
    "RET-004": ("backups",),
    "RET-005": ("backups",),
    "RET-006": ("backups",),
    **{f"CMP-{i:03d}": ("complaints",) for i in range(1, 11)},
    "STAFF-001": ("staff", "staff_roles"),
    "STAFF-002": ("staff_roles", "training"),
    "REC-001": ("reconciliations",),
}


SORT_KEYS = {
    "transactions": ["applied_at"],
    "operations": ["ts"],
    "account_events": ["event_at"],
    "complaints": ["received_at"],
    "fund_transfers": ["business_date"],
    "archive_records": ["archived_at"],
    "staff": ["staff_id"],
    "staff_roles": ["staff_id", "start_date"],
    "customers": ["customer_id"],
    "risk_assessments": ["customer_id", "assessed_at"],
    "products": ["product_code"],
}


def _key(s):
    """An int64 sort key: datetimes as such (NaT first), digit strings as numbers."""
    if str(s.dtype).startswith("datetime64"):
        return s.to_numpy(dtype="datetime64[s]").astype("int64")
    return pd.Categorical(s, categories=sorted(s.dropna().unique())).codes


def build(profile: Profile, transactions: int | None = None, seed: int | None = None) -> Demo:
    d = Demo(profile, transactions, seed)
    d.build_staff()
    d.build_products()
    d.build_customers()
    d.build_transactions()
    d.build_complaints()
    for m in PLANTERS:
        m.plant(d)
    d.merge_extra(PRIMARY)
    d.build_events()
    d.merge_extra(["account_events"])
    derive.transfers(d)
    d.merge_extra(["fund_transfers"])
    derive.operations(d)
    d.merge_extra(["operations"])
    derive.archive(d)
    derive.backups(d)
    derive.reconciliations(d)
    derive.training(d)
    d.merge_extra()
    for hook in d.post:
        hook(d)
    d.merge_extra()
    t = d.t
    # final row order: by the table's time key, stable (planted rows were appended after the bulk)
    for table, keys in SORT_KEYS.items():
        df = t[table]
        t[table] = df.iloc[derive.stable_order(*(_key(df[k]) for k in keys))].reset_index(drop=True)
    for table in profile.absent:
        t.pop(table, None)
    return d
