"""Masking personal data for the examiner's copy: 张*, 110101********1234, 138****5678, 6222********1234."""

from __future__ import annotations

import pandas as pd


def mask_name(v: str) -> str:
    return v[:1] + "*" * max(len(v) - 1, 1) if v else v


def mask_id_number(v: str) -> str:
    """Keep the first 6 (region) and last 4 characters."""
    return v[:6] + "*" * (len(v) - 10) + v[-4:] if len(v) > 10 else "*" * len(v)


def mask_phone(v: str) -> str:
    return v[:3] + "*" * (len(v) - 7) + v[-4:] if len(v) > 7 else "*" * len(v)


def mask_account(v: str) -> str:
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if len(v) > 8 else "*" * len(v)


MASKS = {"name": mask_name, "id_number": mask_id_number, "phone": mask_phone, "account": mask_account}

#: how to mask each PII column of the data contract
CONTRACT_PII = {"name": "name", "id_number": "id_number", "phone": "phone", "new_bank_account": "account",
                "new_account_holder": "name", "to_account": "account", "to_account_holder": "name"}


def mask_series(s: pd.Series, kind: str) -> pd.Series:
    f = MASKS[kind]
    return s.astype("string").map(lambda v: f(v) if isinstance(v, str) else v)
