"""The auditor's side of the audit notebook (issue 15): the responses cell, the narrative in the params'
language, the guide to digging further, and the run instructions (`-p params_file`, the offline HTML export).

Adds cells and rewrites the markdown cells' text only; the code cells the report owns are left as they are
(the parameters cell gets its two comment lines). Cells are found by their content, so the script can be run
again after the notebook changed elsewhere: run it twice and nothing changes. Edited with nbformat, never by
hand.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "institution_audit.ipynb"

INTRO = (
    "# 基金销售机构监督检查 / Fund sales institution audit\n"
    "\n"
    "本 notebook 即一次检查的运行过程：校验参数、载入机构数据包、运行规则目录并生成报告；其中只有叙述与调用，"
    "逻辑均在 `auditlib` 中。\n"
    "This notebook is the audit run: it validates the params, loads the data bundle, runs the rule catalogue "
    "and renders\n"
    "the report. It holds narrative and calls only; the logic lives in `auditlib`. The narrative below "
    "each heading\n"
    "follows the params' language.\n"
    "\n"
    "- 运行 / Run: `auditlib run params/<id>.yaml`; with plain papermill, give the params file itself:\n"
    "  `papermill notebooks/institution_audit.ipynb out.ipynb -p params_file params/<id>.yaml`\n"
    "  (paths in it stay relative to it, and every key is read; `-f params/<id>.yaml` passes only "
    "the keys the\n"
    "  parameters cell lists).\n"
    "- 检查报告 / The examiner's `report.html` shows the outputs of the code cells only (no code), without "
    "the cells tagged\n"
    "  `auditor`.\n"
    "- 检查人员自用的离线 HTML（含代码）/ The auditor's own offline HTML (code included):\n"
    "  `auditlib html outputs/<id>/<period_end>/report.ipynb` (the kit's template: no scripts, no CDN)."
)

PARAMETERS_COMMENT = (
    "# Parameters. Recommended: `papermill ... -p params_file params/<x>.yaml` (or `auditlib run`, which "
    "passes\n# params_file, output_dir and run_id); `-f params/<x>.yaml` passes only the keys listed here."
)

#: heading text -> (new heading, narrative key); the narrative cell follows the heading's first code cell
#: when the heading comes before `audit` exists
HEADINGS = {
    "## Load and run": ("## 载入与运行 / Load and run", "load"),
    "## Cover and executive summary": ("## 封面与摘要 / Cover and executive summary", "summary"),
    "## Cover, conclusion and key findings": (
        "## 封面、结论与主要发现 / Cover, conclusion and key findings",
        "summary",
    ),
    "## Scope, limitations and methodology": (
        "## 检查范围、局限与方法 / Scope, limitations and methodology",
        "scope",
    ),
    "## Rule families": ("## 规则类别 / Rule families", "families"),
    "## Data quality": ("## 数据质量 / Data quality", "data_quality"),
    "## Auditor's detail": ("## 检查人员明细 / Auditor's detail (not in the examiner's report)", "auditor"),
    "## Appendix": ("## 附录 / Appendix", "appendix"),
    "## Write the working papers": ("## 写出工作底稿与数据文件 / Working papers and data files", "outputs"),
}


def narrative_cell(key: str):
    cell = nbformat.v4.new_code_cell(f'audit.narrative("{key}")')
    cell.metadata["tags"] = ["auditor", "narrative"]
    cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def code_cell(source: str, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _index(nb, test) -> int | None:
    return next((i for i, c in enumerate(nb.cells) if test(c)), None)


def _has(nb, source: str) -> bool:
    return _index(nb, lambda c: c.cell_type == "code" and c.source.strip() == source) is not None


def main() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells[0].source = INTRO
    params = _index(nb, lambda c: "parameters" in c.metadata.get("tags", []))
    lines = nb.cells[params].source.split("\n")
    body = [ln for ln in lines if not ln.startswith("#")]
    nb.cells[params].source = PARAMETERS_COMMENT + "\n" + "\n".join(body)

    # the responses section: after mitigations (report order: ... coverage, mitigations, responses, appendix)
    if not _has(nb, "audit.responses()"):
        after = _index(nb, lambda c: c.cell_type == "code" and c.source.strip() == "audit.mitigations()")
        if after is None:
            after = _index(nb, lambda c: c.cell_type == "code" and c.source.strip() == "audit.coverage()")
        nb.cells.insert(after + 1, code_cell("audit.responses()"))
        if not _has(nb, 'audit.narrative("responses")'):
            nb.cells.insert(after + 1, narrative_cell("responses"))

    # headings in both languages, the narrative in the params' language under each
    started = _index(nb, lambda c: c.cell_type == "code" and "Audit.start(" in c.source)
    for old, (new, key) in HEADINGS.items():
        at = _index(
            nb, lambda c, old=old, new=new: c.cell_type == "markdown" and c.source.startswith((old, new))
        )
        if at is None:
            continue
        nb.cells[at].source = new
        if _has(nb, f'audit.narrative("{key}")'):
            continue
        nb.cells.insert((started + 1) if at < started else (at + 1), narrative_cell(key))
        started = _index(nb, lambda c: c.cell_type == "code" and "Audit.start(" in c.source)

    # the guide, after the auditor's detail cells
    if not _has(nb, "audit.guide()"):
        after = _index(nb, lambda c: c.cell_type == "code" and c.source.strip() == "audit.sample_index()")
        nb.cells.insert(after + 1, code_cell("audit.guide()", ["auditor"]))
    nbformat.validate(nb)
    nbformat.write(nb, NOTEBOOK)


if __name__ == "__main__":
    main()
