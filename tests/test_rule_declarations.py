"""A rule's declaration is the one source of its facts: the tables it reads are exactly those it declares.

The engine gives a rule only its declared tables (so reading another one fails its fixtures); this test
checks the other direction: every declared table is read by some fixture case of the rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import auditlib.engine as engine
from auditlib.fixtures import run_case
from auditlib.rules import REGISTRY

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


class _Recording(dict):
    """A table dict that records which tables were looked up (copies made of it count as reading all)."""

    def __init__(self, tables, seen: set):
        super().__init__(tables)
        self.seen = seen

    def __getitem__(self, k):
        self.seen.add(k)
        return super().__getitem__(k)

    def get(self, k, default=None):
        self.seen.add(k)
        return super().get(k, default)

    def __contains__(self, k):
        self.seen.add(k)
        return super().__contains__(k)

    def __iter__(self):  # `{**tables}` and `dict(tables)` go through here for a dict subclass
        self.seen.update(super().keys())
        return super().__iter__()

    def keys(self):
        self.seen.update(super().keys())
        return super().keys()


def _read_by(code: str, case: dict, monkeypatch) -> set:
    seen: set = set()
    original = engine.rule_context

    def recording(params, bundle, c):
        ctx = original(params, bundle, c)
        ctx.tables = _Recording(ctx.tables, seen)
        return ctx

    with monkeypatch.context() as m:
        m.setattr(engine, "rule_context", recording)
        run_case(code, case)
    return seen


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_declared_tables_are_read(code, monkeypatch):
    """Hit cases first (they go furthest through the rule), until every declared table has been read."""
    cases = yaml.safe_load((FIXTURES / f"{code}.yaml").read_text(encoding="utf-8"))["cases"]
    unread = set(REGISTRY[code].tables)
    for case in sorted(cases, key=lambda c: not c.get("expect")):
        unread -= _read_by(code, case, monkeypatch)
        if not unread:
            break
    assert not unread, f"{code} declares tables it never reads in its fixtures: {sorted(unread)}"


def test_a_rule_sees_only_its_declared_tables():
    from auditlib.fixtures import case_bundle
    from auditlib.params import parse_params

    params = parse_params(
        {
            "institution_id": "x",
            "institution_name": "x",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
        }
    )
    ctx = engine.rule_context(params, case_bundle({}), "SOD-001")
    assert set(ctx.tables) <= set(REGISTRY["SOD-001"].tables) | set(REGISTRY["SOD-001"].optional_tables)


@pytest.mark.parametrize("code", sorted(c for c in REGISTRY if REGISTRY[c].sample is not None))
def test_sample_scope_is_one_of_the_rules_tables(code):
    """The sample is drawn from a table the rule reads, filtered on columns that table has."""
    from auditlib.rules.base import Param
    from auditlib.schema import TABLES

    r = REGISTRY[code]
    sc = r.sample
    assert sc.table in r.tables
    names = {c.name for c in TABLES[sc.table].columns}
    assert set(sc.where) | set(sc.present) | ({sc.column} - {None}) <= names
    assert sc.when in ("period", "until", "overlap", None)
    assert all(v.name in r.params for v in sc.where.values() if isinstance(v, Param))
