"""The generation pipeline: bulk population, plants, dependent tables, answer key.

Which rules a demo institution's data lets the kit test (and so which plants are in its answer key) comes
from the rules' own declarations (`Demo.rule_tested`), not from a list kept here.
"""

from __future__ import annotations

import pandas as pd

from . import (
    derive,
    plant_abn,
    plant_acc,
    plant_cmp,
    plant_info_fee,
    plant_quality,
    plant_ret,
    plant_sod,
    plant_staff_rec,
    plant_suit,
)
from .base import Demo
from .profiles import Profile

PLANTERS = [
    plant_sod,
    plant_suit,
    plant_abn,
    plant_acc,
    plant_staff_rec,
    plant_cmp,
    plant_ret,
    plant_info_fee,
    plant_quality,
]
PRIMARY = ["staff", "staff_roles", "products", "customers", "risk_assessments", "transactions", "complaints"]

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
    "product_ratings": ["product_code", "rated_at"],
    "data_changes": ["changed_at"],
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
    derive.ratings(d)
    derive.data_changes(d)
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
    for column in profile.absent_columns:  # a v1 bundle: the v2 columns are not handed over
        table, _, name = column.partition(".")
        t[table] = t[table].drop(columns=name)
    return d
