"""One generic test drives every rule's fixture file (tests/fixtures/rules/<CODE>.yaml)."""

from pathlib import Path

import pytest

from auditlib.fixtures import load_fixture, run_case
from auditlib.rules import REGISTRY

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
CASES = [
    pytest.param(path.stem, case, id=f"{path.stem}: {case['name']}")
    for path in sorted(FIXTURES.glob("*.yaml"))
    for case in load_fixture(path)["cases"]
]


@pytest.mark.parametrize(("code", "case"), CASES)
def test_rule_case(code, case):
    summary, frame = run_case(code, case)
    if "not_tested" in case:
        assert summary["status"] == "not_tested" and case["not_tested"] in summary["not_tested_reason"]
        return
    assert summary["status"] != "error", summary["error"]
    found = sorted(frame["entity_id"].tolist())
    assert found == sorted(str(e) for e in case["expect"]), list(frame["detail"])
    if "population" in case:
        assert summary["population"] == case["population"]
    if "left_out" in case:
        assert summary["left_out"] == case["left_out"]
    for name, count in case.get("notes", {}).items():
        assert summary["notes"].get(name) == count, summary["notes"]
    for fragment in case.get("detail_contains", []):
        assert any(fragment in d for d in frame["detail"]), list(frame["detail"])


def test_every_rule_has_a_fixture_with_a_hit_and_a_near_miss():
    for code in REGISTRY:
        path = FIXTURES / f"{code}.yaml"
        assert path.exists(), f"{code} has no fixture file"
        fixture = load_fixture(path)
        assert fixture["rule"] == code
        cases = [c for c in fixture["cases"] if "not_tested" not in c]
        assert any(c["expect"] for c in cases), f"{code}: no case with a hit"
        assert any(not c["expect"] for c in cases), f"{code}: no near-miss case (expect: [])"
