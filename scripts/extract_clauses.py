"""Extract each catalogued clause's own Chinese text from the seed into auditlib/clauses/text.csv.

Run by hand when the seed or the clause ids change; its output is committed (the package never reads the
seed at run time) and read back by a person before committing. `--check` compares instead of writing
(exit 1 when the committed file differs from what the seed gives).

    python scripts/extract_clauses.py [--seed FILE] [--check]

IC and SU are cut by article (第N条) and item ((一)...); a clause id without an item whose article has
catalogued items gets the article's own paragraphs only (its items are clauses of their own). The complaint
procedures are several documents run together on long lines; each CP clause names the passages it rests on
(document heading, the passage's first words) and a passage ends where the document's next numbered section
starts. Half-width punctuation of the web copy is written full-width, as the guidances are printed.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "auditlib" / "clauses" / "text.csv"
DEFAULT_SEED = next(iter(sorted((ROOT.parent.parent / "shared" / "seed").glob("000_*.txt"))), None)

HEADINGS = {"IC": "证券投资基金销售机构内部控制指导意见", "SU": "证券投资基金销售适用性指导意见"}
END_OF_SU = "投诉处理作业指导书"
NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

#: CP clause -> the passages it rests on:
#: (document heading in the seed, short name, the passage's first words)
CP_PASSAGES: dict[str, list[tuple[str, str, str]]] = {
    "CP-1": [
        ("投诉处理作业指导书", "投诉处理作业指导书", "4.1.1"),
        ("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "5.1.1"),
        ("客户投诉处理流程及规范", "客户投诉处理流程及规范", "1.1.2"),
    ],
    "CP-2": [
        ("投诉处理作业指导书", "投诉处理作业指导书", "4.2.1"),
        ("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "5.2.2"),
        ("客户投诉处理流程及规范", "客户投诉处理流程及规范", "1.1.1"),
    ],
    "CP-3": [("投诉处理作业指导书", "投诉处理作业指导书", "4.2.5")],
    "CP-4": [
        ("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "5.2.1"),
        ("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "5.3.1"),
    ],
    "CP-5": [("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "5.3.1")],
    "CP-6": [("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "5.3.1")],
    "CP-7": [
        ("投诉处理作业指导书", "投诉处理作业指导书", "4.2.3"),
        ("投诉处理作业指导书", "投诉处理作业指导书", "4.2.4"),
    ],
    "CP-8": [("投诉处理作业指导书", "投诉处理作业指导书", "4.2.6")],
    "CP-9": [
        ("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "4.3"),
        ("-客户投诉处理作业流程及管理办法", "客户投诉处理流程及管理办法", "5.3.3"),
    ],
    "CP-10": [("客户投诉处理流程及规范", "客户投诉处理流程及规范", "1.1.3")],
    "CP-11": [("投诉流程及操作规范标准", "投诉流程及操作规范标准", "(3)总部客服运营管理部接到12378")],
    "CP-12": [("投诉流程及操作规范标准", "投诉流程及操作规范标准", "(3)总部客服运营管理部接到12378")],
    "CP-13": [("投诉处理作业指导书", "投诉处理作业指导书", "4.3.2")],
    "CP-14": [
        ("客户投诉责任人处罚管理规定", "客户投诉责任人处罚管理规定", "第四条"),
        ("客户投诉责任人处罚管理规定", "客户投诉责任人处罚管理规定", "第六条"),
    ],
}
#: where a passage ends: the next numbered section of the same document (4.2.2, 5.3, 第五条, 3.机构受理)
SECTION = re.compile(
    r"\s\d+(?:\.\d+){1,2}\s?(?=[^\d.])|\s?第[一二三四五六七八九十]+条|\s\d\.(?=[\u4e00-\u9fff])"
    r"|(?<=[。；])\s*\d+\.?\s*(?=[\u4e00-\u9fff])"
)


STRUCTURE = re.compile(r"^(第[一二三四五六七八九十]+[章节条]|\([一二三四五六七八九十]+\))")


def chinese_number(text: str) -> int:
    if text.startswith("十"):
        text = "一" + text
    if "十" in text:
        tens, _, ones = text.partition("十")
        return NUM[tens] * 10 + (NUM[ones] if ones else 0)
    return NUM[text]


def full_width(text: str) -> str:
    """The web copy's half-width punctuation, as the guidances print it."""
    text = text.replace(",", "，").replace(";", "；")
    text = re.sub(r"(?<!\d):|:(?!\d)", "：", text)  # 17:00 stays a time
    text = re.sub(r"\(([^()]*)\)", r"（\1）", text)
    return re.sub(r"\s+", "", text) if re.search(r"[\u4e00-\u9fff]", text) else text.strip()


def paragraphs(lines: list[str]) -> list[str]:
    """Non-empty lines, a line broken in the middle of a sentence joined to the next."""
    out: list[str] = []
    joining = False
    for line in (s.strip() for s in lines):
        if not line:
            continue
        if joining and not STRUCTURE.match(line):
            out[-1] += line
        else:
            out.append(line)
        joining = not (re.search(r"[。；;:：]$", line) or re.match(r"^第[一二三四五六七八九十]+[章节]", line))
    return out


def guidance(lines: list[str]) -> dict[int, dict]:
    """article -> {chapter, head: [paragraphs], items: {n: text}} for one guidance's lines."""
    articles: dict[int, dict] = {}
    chapter = ""
    current = None
    for p in paragraphs(lines):
        if m := re.match(r"^第([一二三四五六七八九十]+)章(.*)$", p):
            chapter = f"第{m.group(1)}章 {m.group(2).strip()}"
            current = None
            continue
        if re.match(r"^第[一二三四五六七八九十]+节", p):
            continue
        if m := re.match(r"^第([一二三四五六七八九十]+)条(.*)$", p):
            current = {"chapter": chapter, "label": f"第{m.group(1)}条", "head": [], "items": {}}
            articles[chinese_number(m.group(1))] = current
            p = m.group(2)
            # an article whose first item follows on the same line: "...的原则:(一)健全性原则。..."
            head, sep, rest = p.partition("(一)")
            if sep and re.search(r"[:：]$", head):
                current["head"].append(head)
                p = sep + rest
            else:
                current["head"].append(p)
                continue
        if current is None:
            continue
        if m := re.match(r"^\(([一二三四五六七八九十]+)\)(.*)$", p):
            current["items"][chinese_number(m.group(1))] = p
        elif current["items"]:
            current["tail"] = [*current.get("tail", []), p]
        else:
            current["head"].append(p)
    return articles


def cp_passage(text: str, heading: str, start: str) -> str:
    at = text.index("\n" + heading + "\n")
    begin = text.index(start, at)
    end = text.index("\n", begin)  # a document is one or two long lines: a passage never crosses one
    nxt = SECTION.search(text, begin + len(start) + 1, end)
    return text[begin : nxt.start() if nxt else end]


def extract(seed: Path, catalogue: list[dict]) -> list[dict]:
    text = seed.read_text(encoding="utf-8")
    lines = text.splitlines()
    ic_at = lines.index(HEADINGS["IC"])
    su_at = lines.index(HEADINGS["SU"])
    end = lines.index(END_OF_SU, su_at)
    docs = {"IC": guidance(lines[ic_at + 1 : su_at]), "SU": guidance(lines[su_at + 1 : end])}
    itemised = {(c["source"], c["article"]) for c in catalogue if c["item"]}
    flat = text.replace("\n\n", "\n")
    rows = []
    for c in catalogue:
        if c["source"] == "CP":
            passages = CP_PASSAGES[c["clause_id"]]
            quoted = []
            for heading, name, start in passages:
                body = full_width(cp_passage(flat, heading, start))
                if start[0] != "(":  # "5.2.2客户投诉的传递" -> "5.2.2 客户投诉的传递"
                    body = start + " " + body[len(start) :]
                quoted.append(f"《{name}》{body}")
            rows.append(
                {
                    "clause_id": c["clause_id"],
                    "chapter": "；".join(dict.fromkeys(f"《{n}》" for _, n, _ in passages)),
                    "label": "；".join(
                        f"《{n}》{s if s[0] != '(' else '第一条（一）2.（3）'}" for _, n, s in passages
                    ),
                    "text_zh": "\n".join(quoted),
                }
            )
            continue
        art = docs[c["source"]][int(c["article"])]
        if c["item"]:
            body = art["items"][int(c["item"])]
            label = f"{art['label']}第（{'一二三四五六七八九'[int(c['item']) - 1]}）项"
        elif (c["source"], c["article"]) in itemised:
            body = "\n".join(p for p in art["head"] if p)
            label = art["label"]
        else:
            body = "\n".join([*(p for p in art["head"] if p), *art["items"].values(), *art.get("tail", [])])
            label = art["label"]
        rows.append(
            {
                "clause_id": c["clause_id"],
                "chapter": art["chapter"],
                "label": label,
                "text_zh": "\n".join(full_width(x) for x in body.split("\n")),
            }
        )
    return rows


def catalogue_ids() -> list[dict]:
    """Ids from the catalogue itself (source, article, item)."""
    import yaml

    data = yaml.safe_load((ROOT / "auditlib" / "clauses" / "catalogue.yaml").read_text(encoding="utf-8"))
    return [
        {"clause_id": c["id"], "source": c["source"], "article": c.get("article"), "item": c.get("item")}
        for c in data["clauses"]
    ]


def render(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, ["clause_id", "chapter", "label", "text_zh"], lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=Path, default=DEFAULT_SEED)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    if a.seed is None or not a.seed.is_file():
        print(f"seed not found: {a.seed}", file=sys.stderr)
        return 2
    text = render(extract(a.seed, catalogue_ids()))
    if a.check:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} differs from the seed's text", file=sys.stderr)
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
