"""Masking personal data for the examiner's copy: 张*, 110101********1234, 138****5678, 6222********1234.

On the lowest floor of the package (beside the data contract, whose columns declare how each is masked),
so that the engine and the report mask the same way without the engine importing the report."""

from __future__ import annotations

import re

import pandas as pd

from .schema import PII_COLUMNS, TABLES


def mask_name(v: str) -> str:
    return v[:1] + "*" * max(len(v) - 1, 1) if v else v


def mask_id_number(v: str) -> str:
    """Keep the first 6 (region) and last 4 characters."""
    return v[:6] + "*" * (len(v) - 10) + v[-4:] if len(v) > 10 else "*" * len(v)


def mask_phone(v: str) -> str:
    return v[:3] + "*" * (len(v) - 7) + v[-4:] if len(v) > 7 else "*" * len(v)


def mask_account(v: str) -> str:
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if len(v) > 8 else "*" * len(v)


def mask_text(v: str) -> str:
    """Free text that may name someone or hold a number: only its first character is shown."""
    return mask_name(v)


MASKS = {
    "name": mask_name,
    "id_number": mask_id_number,
    "phone": mask_phone,
    "account": mask_account,
    "text": mask_text,
}

#: how to mask a column by its name, as the data contract declares it (the first table declaring it wins)
CONTRACT_PII: dict[str, str] = {}
for _table in TABLES.values():
    for _col in _table.columns:
        if _col.pii:
            CONTRACT_PII.setdefault(_col.name, _col.pii)


def mask_series(s: pd.Series, kind: str) -> pd.Series:
    f = MASKS[kind]
    return s.astype("string").map(lambda v: f(v) if isinstance(v, str) else v)


#: 11 or more digits, single spaces or hyphens between them allowed (an ID number may end in X): phones,
#: ID numbers, bank accounts. A timestamp (2025-02-30 10:15:00) has 10 digits before its first colon.
_LONG_NUMBER = re.compile(r"\d(?:[ -]?\d){10,}[Xx]?")


def mask_long_numbers(text: str) -> str:
    """Mask every long digit run in free text (defence in depth where a value may sit in the wrong column)."""
    return _LONG_NUMBER.sub(lambda m: mask_account(m.group(0)), text)


def contract_pii_kind(table: str, column: str) -> str | None:
    """How to mask `table.column` if the data contract flags it as personal data, else None."""
    return PII_COLUMNS.get(table, {}).get(column)


def mask_value(v: str, kind: str) -> str:
    return MASKS[kind](v) if isinstance(v, str) else v


def column_kinds(columns, declared: dict[str, str] | None = None) -> dict[str, str]:
    """The mask kind of each personal-data column of a rule's frame: what the rule declares (`Rule.pii`), plus
    any column named like a contract PII column (so a value a rule carries but did not declare is masked
    too)."""
    kinds = {}
    for c in columns:
        if declared and c in declared:
            kinds[c] = declared[c]
        elif c in CONTRACT_PII:
            kinds[c] = CONTRACT_PII[c]
        elif c.endswith(("_name", "_holder")) and not c.startswith(("product", "fund", "branch")):
            kinds[c] = "name"
        elif c.endswith(("id_number", "phone", "mobile")):
            kinds[c] = "id_number" if c.endswith("id_number") else "phone"
        elif c.endswith(("bank_account", "to_account", "_account_no")):
            kinds[c] = "account"
    return kinds


def _mask_person(v: str) -> str:
    """ "营业部 陈晓" -> "营业部 陈*": a department before the person's name stays readable."""
    head, _, name = v.strip().rpartition(" ")
    return f"{head} {mask_name(name)}" if head else mask_name(name)


def mask_columns(
    df: pd.DataFrame, names: tuple[str, ...] = (), free_text: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A copy with the `names` columns masked as names and long digit runs masked in the `free_text` columns
    (what an institution wrote in its responses: an owner's name, actions and answers in its own words)."""
    out = df.copy()
    for c in names:
        out[c] = out[c].map(lambda v: _mask_person(v) if isinstance(v, str) else v)
    for c in free_text:
        out[c] = out[c].map(lambda v: mask_long_numbers(v) if isinstance(v, str) else v)
    return out
