"""Demo institutions: realistic generated data with planted violations, and the answer key.

`write_demo(out_dir)` writes ``<out_dir>/<institution_id>/<table>.csv|parquet`` for each demo
institution plus ``_expected_findings.csv`` (rule_code, entity_id, status: exactly the findings the
rules must produce) and ``_expected_quarantine.csv`` (table, row, column: the deliberately bad rows,
row numbered as a spreadsheet shows it, header = row 1). See docs/demo-data.md.
"""

from __future__ import annotations

from pathlib import Path

from .generate import build
from .profiles import PROFILES, Profile
from .writer import write_institution

INSTITUTIONS: dict[str, Profile] = PROFILES

__all__ = ["INSTITUTIONS", "build", "write_demo"]


def write_demo(out_dir, names=None, transactions=None, seed=None) -> list[Path]:
    """Write data/<institution_id>/<table>.<ext> for each named demo institution (default all).

    transactions: override the size (operations ~2x, complaints ~1%, customers ~10%);
    seed: override the institution's fixed seed. Same arguments -> byte-identical files.
    """
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names or [] if n not in INSTITUTIONS]
    if unknown:
        raise KeyError(
            f"unknown demo institution(s): {', '.join(unknown)} (known: {', '.join(INSTITUTIONS)})"
        )
    out = []
    for name in names or list(INSTITUTIONS):
        d = build(INSTITUTIONS[name], transactions=transactions, seed=seed)
        out.append(write_institution(d, Path(out_dir)))
    return out
