"""The seed's clause catalogue as data: every checkable clause of the two CSRC guidances and the complaint
procedures, with its own Chinese text, an English gloss, whether data can test it, the rules that do, and the
examination procedure for what only an examiner can check.

Two files, one per kind of fact: `catalogue.yaml` is our classification (kept by hand, corrections to
clauses.csv marked and explained in docs/coverage.md); `text.csv` is the clauses' text as the seed gives it,
written by scripts/extract_clauses.py and committed. The package never reads the seed at run time.
"""

from __future__ import annotations

import csv
import re
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


def slug(cid: str) -> str:
    """The clause id as an anchor-safe key: `IC 8(5)` -> `IC-8-5` (the report links citations to it)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", cid).strip("-")


def checklist() -> list[Clause]:
    """The clauses of the manual-procedure checklist, in catalogue order."""
    return [c for c in clauses().values() if c.on_checklist]


def citing(code: str) -> list[Clause]:
    """The clauses whose rules include this rule code."""
    return [c for c in clauses().values() if code in c.rules]


def problems(catalogue: dict[str, Clause] | None = None, registry: dict | None = None) -> list[str]:
    """What breaks the catalogue's rules against the rule registry (empty when nothing does): citations that
    do not resolve, clauses without a status or without what their status needs, rules no clause lists,
    clauses listing rules the registry does not have, and rule citations that differ from the clauses listing
    the rule. One function for the tests and for anyone editing catalogue.yaml."""
    if registry is None:
        from ..rules import REGISTRY as registry
    cs = clauses() if catalogue is None else catalogue
    out = []
    for code, r in registry.items():
        out += [f"{code} cites {cid}, which is not in the catalogue" for cid in r.cites if cid not in cs]
        listing = {c.id for c in cs.values() if code in c.rules}
        if not listing:
            out.append(f"{code}: no clause lists it")
        elif listing != set(r.cites):
            out.append(
                f"{code} cites {', '.join(sorted(r.cites))}; the catalogue lists it under "
                f"{', '.join(sorted(listing))}"
            )
    for cid, c in cs.items():
        if c.kind not in KINDS or c.coverage not in COVERAGES:
            out.append(f"{cid}: no status (kind {c.kind!r}, coverage {c.coverage!r})")
            continue
        if (c.coverage == "none") != (not c.rules) or (c.kind == "manual" and c.rules):
            out.append(f"{cid}: coverage {c.coverage} but rules {', '.join(c.rules) or 'none'}")
        if c.on_checklist and not (c.procedure.get("zh") and c.procedure.get("en")):
            out.append(f"{cid}: on the checklist without an examination procedure")
        if (
            c.kind == "data"
            and c.coverage != "full"
            and not (c.not_covered.get("zh") and c.not_covered.get("en"))
        ):
            out.append(f"{cid}: does not say what the data leaves out")
        out += [
            f"{cid} lists {code}, which is not in the rule registry"
            for code in c.rules
            if code not in registry
        ]
    return out
