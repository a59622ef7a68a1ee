"""The loader's records of what went wrong: quality rows (a row kept or quarantined) and bundle problems.

A quality row names table, spreadsheet row, column and reason; a problem (something that makes the
bundle unusable) names the data folder or the file and table. Both are records, sorted by their fields,
never strings re-parsed for their order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import AuditError
from ..schema import TABLES

ROW = "_row"  # the spreadsheet row number every loaded table carries, for evidence
QUALITY_COLUMNS = ["table", "row", "column", "reason", "action"]
SHOWN = 40  # characters of a bad cell quoted in its reason


def quality_rows(table: str, rows: np.ndarray, column: str, reason: str, action: str) -> pd.DataFrame:
    """Quality rows for `rows` of `table`, all with the same column, reason and action."""
    n = len(rows)
    return pd.DataFrame(
        {
            "table": [table] * n,
            "row": rows.astype("int64"),
            "column": [column] * n,
            "reason": [reason] * n,
            "action": [action] * n,
        }
    )


def no_quality() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series(dtype=object),
            "row": pd.Series(dtype="int64"),
            "column": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
            "action": pd.Series(dtype=object),
        }
    )


def quoted(reason: str | pd.Series, cells: pd.Series) -> np.ndarray:
    """`reason: 'cell text'`, the text cut to SHOWN characters and on one line."""
    shown = (
        cells.str.slice(0, SHOWN).str.replace(r"[\r\n\t]", " ", regex=True).fillna("").to_numpy(dtype=object)
    )
    reason = reason.to_numpy(dtype=object) if isinstance(reason, pd.Series) else reason
    return reason + ": '" + shown + "'"


_TABLE_ORDER = {name: i for i, name in enumerate(TABLES)}


@dataclass(frozen=True)
class Problem:
    """One reason the bundle cannot be audited: of the data folder (`file` empty) or of one file."""

    message: str
    folder: str = ""
    file: str = ""
    table: str = ""
    column: str = ""

    def __str__(self) -> str:
        if self.file:
            return f"{self.file} (table {self.table}): {self.message}"
        return f"{self.folder}: {self.message}" if self.folder else self.message

    @property
    def order(self) -> tuple[int, int]:
        """The folder's own problems first (as found), then each file's in the contract's table order."""
        return (1, _TABLE_ORDER.get(self.table, -1)) if self.file else (0, 0)


class DataContractError(AuditError):
    """The bundle cannot be audited as handed over; `problems` lists every reason found (as text),
    `records` the same as `Problem`s."""

    def __init__(self, problems: list[Problem | str]):
        records = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        self.records = sorted(records, key=lambda p: p.order)
        self.problems = [str(p) for p in self.records]
        super().__init__("; ".join(self.problems))
