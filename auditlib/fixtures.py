"""Run a rule on a small hand-written case: the engine of the per-rule fixture files.

A fixture file `tests/fixtures/rules/<CODE>.yaml` holds cases; each gives a few table rows
(as text, the way an institution's CSV would), optional parameter overrides, and the exact
entity ids expected. The same cases serve as the examples in the generated rule docs.

```yaml
rule: SOD-001
cases:
  - name: promotion and counter on a common day
    tables:
      staff_roles:
        - {staff_id: "001", role: promotion, start_date: 2025-01-01}
        - {staff_id: "001", role: counter, start_date: 2025-06-30, end_date: 2025-06-30}
    expect: ["001"]           # exactly these entity ids (hits); [] for a near-miss
    population: 1             # optional
    params: {}                # optional overrides for this rule
    period: [2025-01-01, 2025-12-31]   # optional (this is the default)
    as_of: 2026-01-31                  # optional (this is the default)
    calendar: {}                       # optional calendar params
    absent: []                         # tables (or optional `table.column`s) not provided: not tested
    left_out: 0                        # optional: rows left out of the population for a null
    notes: {}                          # optional: counts the rule reports beside its verdicts
```

Tables added in contract v2 are provided only when the case lists them (`product_ratings: []` for an empty
one), so a case without them is a v1 bundle.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import yaml

from .engine import run_rule
from .load import Bundle, type_table
from .params import parse_params
from .rules import REGISTRY
from .schema import TABLES


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


def case_bundle(tables: dict[str, list[dict]], absent=()) -> Bundle:
    """Typed tables from text rows, through the loader's own typing; tables not given are empty."""
    typed = {}
    for name, table in TABLES.items():
        if name in absent or (
            table.since > 1 and name not in tables
        ):  # a v2 table only when the case gives it
            continue
        rows = tables.get(name) or []
        unknown = {k for r in rows for k in r} - {c.name for c in table.columns}
        if unknown:
            raise ValueError(f"fixture table {name}: unknown columns {sorted(unknown)}")
        given = [c.name for c in table.columns if f"{name}.{c.name}" not in absent]
        raw = pd.DataFrame(
            [{c: _text(r.get(c)) for c in given} for r in rows],
            columns=given,
            dtype="string",
        )
        df, issues = type_table(table, raw)
        if issues:
            raise ValueError(f"fixture table {name} has bad rows: {pd.concat(issues).to_dict('records')}")
        typed[name] = df
    return Bundle(Path("."), typed, pd.DataFrame(), {}, [a for a in absent if "." not in a])


def run_case(code: str, case: dict) -> tuple[dict, pd.DataFrame | None]:
    period = case.get("period", ["2025-01-01", "2025-12-31"])
    params = parse_params(
        {
            "institution_id": "fixture",
            "institution_name": "fixture",
            "data_dir": ".",
            "period_start": str(period[0]),
            "period_end": str(period[1]),
            "as_of": str(case.get("as_of", "2026-01-31")),
            "language": case.get("language", "zh"),
            "overrides": {code: case.get("params", {})},
            "calendar": case.get("calendar", {}),
        },
        f"fixture {code}",
    )
    return run_rule(REGISTRY[code], params, case_bundle(case.get("tables", {}), case.get("absent", ())))


def load_fixture(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
