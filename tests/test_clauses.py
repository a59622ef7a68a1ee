"""The clause catalogue's integrity: every citation resolves, every clause has a status, every rule is listed by
the clauses it tests and every listed rule exists, and each clause's text is the seed's for its article/item."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditlib.clauses import COVERAGES, KINDS, checklist, clauses, sources
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


def test_every_citation_of_every_rule_resolves():
    known = clauses()
    unknown = {code: [c for c in r.cites if c not in known] for code, r in REGISTRY.items()}
    assert not {k: v for k, v in unknown.items() if v}
    assert all(r.cites for r in REGISTRY.values())


def test_every_clause_has_a_status_and_what_its_status_needs():
    for cid, c in clauses().items():
        assert c.kind in KINDS and c.coverage in COVERAGES, cid
        assert c.text_zh.strip() and c.gloss_en.strip() and c.chapter and c.label, cid
        if c.kind == "manual":
            assert c.coverage == "none" and not c.rules, cid
        if c.coverage == "none":
            assert not c.rules, cid
        else:
            assert c.rules, cid
        if c.on_checklist:
            assert c.procedure.get("zh") and c.procedure.get("en"), f"{cid}: no examination procedure"
        if c.kind == "data" and c.coverage != "full":
            assert c.not_covered.get("zh") and c.not_covered.get("en"), f"{cid}: what data leaves out"


def test_every_rule_is_listed_by_a_clause_and_lists_agree_with_the_rules_citations():
    listed = {code for c in clauses().values() for code in c.rules}
    assert not [code for code in REGISTRY if code not in listed], "rules no clause lists"
    for code, r in REGISTRY.items():
        listing = {c.id for c in clauses().values() if code in c.rules}
        assert listing == set(r.cites), (
            f"{code} cites {sorted(r.cites)}, the catalogue lists it under {sorted(listing)}"
        )


def test_every_rule_a_clause_lists_is_in_the_registry():
    missing = sorted({code for c in clauses().values() for code in c.rules if code not in REGISTRY})
    assert not missing, f"clauses list rules the registry does not have: {', '.join(missing)}"


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
