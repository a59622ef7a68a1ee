"""The seed's clause catalogue as data: every checkable clause of the two CSRC guidances and the complaint
procedures, with its own Chinese text, an English gloss, whether data can test it, the rules that do, and the
examination procedure for what only an examiner can check.

Two files, one per kind of fact: `catalogue.yaml` is our classification (kept by hand, corrections to
clauses.csv marked and explained in docs/coverage.md); `text.csv` is the clauses' text as the seed gives it,
written by scripts/extract_clauses.py and committed. The package never reads the seed at run time.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
KINDS = ("data", "manual")
COVERAGES = ("full", "partial", "none")


@dataclass(frozen=True)
class Source:
    code: str  # IC, SU, CP
    title_zh: str
    title_en: str
    short_zh: str = ""  # for tables: 内部控制指导意见
    short_en: str = ""
    note_zh: str = ""
    note_en: str = ""

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def short(self, lang: str) -> str:
        return self.short_zh if lang == "zh" else self.short_en


@dataclass(frozen=True)
class Clause:
    id: str  # as cited: `IC 8(5)`, `SU 21`, `CP-1`
    source: str
    article: int | None
    item: int | None
    chapter: str  # 第二章 内部环境控制, or the CP document(s)
    label: str  # 第八条第（五）项, or the CP sections
    text_zh: str  # the clause's own text, from the seed
    gloss_en: str
    kind: str  # data | manual
    coverage: str  # full | partial | none
    rules: tuple[str, ...] = ()
    not_covered: dict[str, str] = field(default_factory=dict)  # zh/en: what the rules leave to the examiner
    procedure: dict[str, str] = field(default_factory=dict)  # zh/en: what the examiner inspects or asks for
    corrected: str = ""  # how this entry differs from clauses.csv (docs/coverage.md says why)

    @property
    def on_checklist(self) -> bool:
        """Manual clauses and clauses data covers only in part (or not yet) need an examiner's procedure."""
        return self.kind == "manual" or self.coverage != "full"

    def summary(self, lang: str) -> str:
        """One line for tables: the English gloss, or in Chinese the text's first sentence."""
        return self.gloss_en if lang == "en" else self.text_zh.split("\n")[0]


class CatalogueError(ValueError):
    """The catalogue files disagree with each other or break their own rules."""


@cache
def _load() -> tuple[dict[str, Source], dict[str, str], dict[str, Clause]]:
    data = yaml.safe_load((HERE / "catalogue.yaml").read_text(encoding="utf-8"))
    with (HERE / "text.csv").open(encoding="utf-8", newline="") as f:
        texts = {r["clause_id"]: r for r in csv.DictReader(f)}
    sources = {code: Source(code, **s) for code, s in data["sources"].items()}
    clauses: dict[str, Clause] = {}
    for c in data["clauses"]:
        cid = c["id"]
        if cid in clauses:
            raise CatalogueError(f"{cid}: listed twice in catalogue.yaml")
        if cid not in texts:
            raise CatalogueError(f"{cid}: no text in text.csv (run scripts/extract_clauses.py)")
        t = texts[cid]
        clauses[cid] = Clause(
            id=cid,
            source=c["source"],
            article=c.get("article"),
            item=c.get("item"),
            chapter=t["chapter"],
            label=t["label"],
            text_zh=t["text_zh"],
            gloss_en=c["gloss"],
            kind=c["kind"],
            coverage=c["coverage"],
            rules=tuple(c.get("rules") or ()),
            not_covered=dict(c.get("not_covered") or {}),
            procedure=dict(c.get("procedure") or {}),
            corrected=c.get("corrected", ""),
        )
    extra = sorted(set(texts) - set(clauses))
    if extra:
        raise CatalogueError(f"text.csv has clauses the catalogue does not: {', '.join(extra)}")
    return sources, dict(data["chapters"]), clauses


def sources() -> dict[str, Source]:
    return _load()[0]


def clauses() -> dict[str, Clause]:
    """Every clause, in the order of the sources (IC, SU, CP) and their articles."""
    return _load()[2]


def clause(cid: str) -> Clause:
    return clauses()[cid]


def chapter_title(chapter: str, lang: str) -> str:
    """A chapter heading in the report language (the CP documents keep their titles' 《》 in Chinese)."""
    if lang == "zh":
        return chapter
    return "; ".join(_load()[1].get(part, part) for part in chapter.split("；"))


def checklist() -> list[Clause]:
    """The clauses of the manual-procedure checklist, in catalogue order."""
    return [c for c in clauses().values() if c.on_checklist]


def citing(code: str) -> list[Clause]:
    """The clauses whose rules include this rule code."""
    return [c for c in clauses().values() if code in c.rules]
