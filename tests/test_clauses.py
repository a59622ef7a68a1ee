"""The clause catalogue's integrity: every citation resolves, every clause has a status, every rule is listed
by the clauses it tests and every listed rule exists, and each clause's text is the seed's for its
article/item."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from auditlib.clauses import checklist, clauses, problems, sources
from auditlib.docs import rule_page
from auditlib.rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
ZH_ITEM = "一二三四五六七八九"


def test_the_catalogue_holds_the_126_clause_ids_each_once_with_its_source():
    cs = clauses()
    assert len(cs) == 126
    assert {c.source for c in cs.values()} == set(sources()) == {"IC", "SU", "CP"}
    for cid, c in cs.items():
        if c.source == "CP":
            assert re.fullmatch(r"CP-\d+", cid) and c.article is None and c.item is None
        else:
            expect = f"{c.source} {c.article}" + (f"({c.item})" if c.item else "")
            assert cid == expect


def test_every_clause_has_its_text_gloss_chapter_and_label():
    for cid, c in clauses().items():
        assert c.text_zh.strip() and c.gloss_en.strip() and c.chapter and c.label, cid


def test_the_catalogue_and_the_rule_registry_agree():
    assert problems() == []
    assert all(r.cites for r in REGISTRY.values())


def _broken() -> list[str]:
    """The same checks on a catalogue and registry broken in every way they look for."""
    cs = dict(clauses())
    cs["IC 5"] = replace(cs["IC 5"], kind="", coverage="")  # no status
    cs["IC 6"] = replace(cs["IC 6"], procedure={})  # a checklist clause without its procedure
    cs["IC 8(4)"] = replace(cs["IC 8(4)"], not_covered={})  # partly covered, silent on the rest
    cs["IC 8(3)"] = replace(cs["IC 8(3)"], rules=("SOD-007", "SOD-999"))  # a rule the registry lacks
    cs["IC 7"] = replace(cs["IC 7"], rules=("SOD-001",))  # a manual clause with a rule
    registry = {
        "SOD-001": replace(REGISTRY["SOD-001"], cites=("IC 8(5)", "IC 99")),  # IC 99 does not resolve
        "SOD-007": REGISTRY["SOD-007"],
        "SOD-042": replace(REGISTRY["SOD-001"], code="SOD-042", cites=("IC 8(5)",)),  # listed by no clause
    }
    return problems(cs, registry)


def test_a_citation_that_does_not_resolve_fails():
    assert "SOD-001 cites IC 99, which is not in the catalogue" in _broken()


def test_a_clause_with_no_status_or_without_what_its_status_needs_fails():
    found = _broken()
    assert "IC 5: no status (kind '', coverage '')" in found
    assert "IC 6: on the checklist without an examination procedure" in found
    assert "IC 8(4): does not say what the data leaves out" in found
    assert "IC 7: coverage none but rules SOD-001" in found


def test_a_rule_no_clause_lists_fails_and_citations_must_match_the_listing():
    found = _broken()
    assert "SOD-042: no clause lists it" in found
    assert "SOD-001 cites IC 8(5), IC 99; the catalogue lists it under IC 7, IC 8(5)" in found


def test_a_clause_listing_a_rule_the_registry_lacks_fails():
    assert "IC 8(3) lists SOD-999, which is not in the rule registry" in _broken()


def test_the_text_is_the_articles_or_the_items_own():
    for cid, c in clauses().items():
        if c.source == "CP":
            assert c.text_zh.startswith("《") and "》" in c.label, cid
            continue
        assert c.label.startswith("第") and not c.text_zh.startswith("第"), cid
        if c.item:
            assert c.text_zh.startswith(f"（{ZH_ITEM[c.item - 1]}）"), cid
        elif any(o.source == c.source and o.article == c.article and o.item for o in clauses().values()):
            assert "（一）" not in c.text_zh, f"{cid}: the article's items are clauses of their own"
    # spot checks against the seed, read by hand
    assert clauses()["IC 8(5)"].text_zh.startswith("（五）销售业务前台的宣传推介和柜面操作岗位应相互分离")
    assert clauses()["SU 21"].text_zh.endswith("通过其他合理的规则或方法评价该基金投资人的风险承受能力。")
    assert "12378" in clauses()["CP-11"].text_zh and "不可撤销" in clauses()["CP-14"].text_zh
    assert "，" in clauses()["IC 32"].text_zh and "," not in clauses()["IC 32"].text_zh


def test_checklist_is_the_manual_and_partly_covered_clauses():
    ids = [c.id for c in checklist()]
    cs = clauses()
    assert ids == [cid for cid, c in cs.items() if c.kind == "manual" or c.coverage != "full"]
    assert "IC 5" in ids and "IC 8(4)" in ids and "IC 24(4)" in ids and "IC 8(5)" not in ids


def test_rule_docs_show_the_cited_clauses_text_and_source():
    page = rule_page(REGISTRY["SOD-001"])
    assert "## Clauses cited" in page
    assert "《证券投资基金销售机构内部控制指导意见》第八条第（五）项" in page
    assert clauses()["IC 8(5)"].text_zh in page


SEED = sorted((ROOT.parent.parent / "shared" / "seed").glob("000_*.txt"))


@pytest.mark.skipif(not SEED, reason="the seed is not beside this checkout")
def test_committed_text_is_what_the_extraction_gives_from_the_seed():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "extract_clauses.py"), "--check", "--seed", str(SEED[0])],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
