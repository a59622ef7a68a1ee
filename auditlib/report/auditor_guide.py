"""The auditor's notebook in the params' language: each section's narrative and the guide to digging further.

Markdown cells cannot follow the params, so each section of `notebooks/institution_audit.ipynb` has a short
heading in both languages and, under it, a hidden-source cell `audit.narrative("<section>")` that shows the
section's narrative in the report language (a Markdown output: never part of the examiner's HTML, which keeps
HTML outputs only). `audit.guide()` (a cell tagged `auditor`) explains how to dig further and runs its worked
examples on this audit's own findings.
"""

from __future__ import annotations

NARRATIVE: dict[str, dict[str, str]] = {
    "load": {
        "zh": "参数在读取任何数据之前完成校验；随后载入机构报送的数据包，每一行要么载入、要么隔离并计数"
        "（隔离原因见“数据质量”）；最后逐条运行所选规则，某条规则运行出错只影响该规则本身。"
        "与上期结果比较（参数中给出上期输出目录时）按发现编号逐项进行。",
        "en": "The params are validated before any data is read; the institution's data bundle is then "
        "loaded, every row either loaded or quarantined and counted (the reasons are under Data quality); "
        "then every selected rule runs, and a rule that fails affects only itself. With the previous "
        "period's output folder in the params, this period's findings are compared with it "
        "finding by finding.",
    },
    "summary": {
        "zh": "封面列示机构、检查期间、检查基准日、运行编号与数据指纹（同一数据得到同一指纹）。"
        "结论根据结果生成：有例外的规则数、高风险发现数与检查范围的限制；主要发现按严重程度排列，"
        "每项附发现编号，便于与工作底稿和机构回复对应。",
        "en": "The cover names the institution, the period, the as-of date, the run id and the data "
        "fingerprint (the same data gives the same fingerprint). The conclusion is generated from the "
        "results: how many rules found exceptions, how many high-severity findings, what limits the scope; "
        "the key findings follow, high severity first, each with its finding id, to match the working papers "
        "and the institution's responses.",
    },
    "scope": {
        "zh": "检查范围与局限列明未测试的规则及原因（未提供的数据表视为范围限制），并说明数据由机构提供、"
        "未与其源系统核对；方法部分说明规则如何运行、审计抽样如何抽取以及与上期结果如何比较。",
        "en": "Scope and limitations list the rules not tested and why (a table not provided limits the "
        "scope) and state that the data was supplied by the institution and not reconciled to its source "
        "systems; the methodology says how the rules run, how the audit samples are drawn and how the "
        "previous period is compared.",
    },
    "families": {
        "zh": "每条规则先说明检查要求（依据条款、参数，以文字表述），再说明检查结果：测试总体、例外数、"
        "例外率与例外样本。全部发现及其证据见工作底稿 findings.xlsx 中该规则的工作表。",
        "en": "Each rule states what was required (its clauses and parameters, in words) and what was found: "
        "population, exceptions, rate and a sample of the exceptions. Every finding with its evidence is on "
        "the rule's sheet of the working papers, findings.xlsx.",
    },
    "data_quality": {
        "zh": "数据质量列示每个输入文件的读取、载入与隔离行数，以及隔离与提示的明细。"
        "被隔离的行不参与任何规则的测试，因此隔离较多的数据表，其相关规则的结论应结合隔离情况判断。",
        "en": "Data quality lists, per input file, the rows read, loaded and quarantined, and the "
        "quarantined rows and warnings. A quarantined row takes part in no rule, so the conclusions of rules "
        "resting on a table with many quarantined rows are to be read with them in mind.",
    },
    "responses": {
        "zh": "机构在工作底稿的回复列（责任人、整改措施、计划完成日期、机构回复）中作答并退回，参数 "
        "responses 指向该文件。每一行均予校验，接受或不予接受并说明原因；下一期检查时，"
        "逾期未完成且发现仍存在的整改事项单独列示。",
        "en": "The institution answers in the response columns of the working papers (owner, action, due "
        "date, response) and returns them; the params' responses entry names the file. Every row is checked, "
        "accepted or not with the reason; the next period lists the promised actions now overdue whose "
        "finding is still found.",
    },
    "auditor": {
        "zh": "以下内容仅供检查人员使用，不进入检查报告：每项发现所依据的源数据行及规则比对的取值，"
        "以及供人工复核的审计抽样（完整样本见工作底稿）。除非参数中 show_personal_data 为 true，"
        "个人信息均已脱敏。",
        "en": "For the auditor only, never in the examiner's report: the source rows each finding rests on "
        "and the values the rule compared, and the audit sample for re-performance (the full samples are in "
        "the working papers). Personal data is masked unless the params set show_personal_data to true.",
    },
    "appendix": {
        "zh": "附录列示各规则使用的参数、输入文件及其 SHA-256、软件包与规则版本，供复核与重现本次检查。",
        "en": "The appendix lists the parameters each rule used, the input files with their SHA-256, and the "
        "package and rule versions, so that the audit can be reviewed and reproduced.",
    },
    "outputs": {
        "zh": "写出工作底稿 findings.xlsx 与供工具使用的 findings.csv、rule_summary.csv、data_quality.csv"
        "（给出机构回复时另有 responses.csv）。由 auditlib run 运行时写入暂存目录，完成后整体移入输出目录；"
        "在 JupyterLab 中直接运行时写入下方所示目录。",
        "en": "Writes the working papers findings.xlsx and, for tools, findings.csv, rule_summary.csv and "
        "data_quality.csv (and responses.csv when responses are given). Run by auditlib run, they go to a "
        "staging folder moved into place at the end; run in JupyterLab, to the folder named below.",
    },
}

GUIDE = {
    "zh": (
        "### 深入检查：操作指引\n"
        "\n"
        "本 notebook 中的 `audit` 对象即本次检查。以下四种操作覆盖日常所需，"
        "示例使用本次检查的实际数据（见下方运行结果）：\n"
        "\n"
        '1. **某条规则的全部发现**（含证据与规则比对的取值）：`audit.rule_findings("{code}")`\n'
        '2. **已载入的数据表**（个人信息按参数脱敏）：`audit.table("{table}")`，例如筛选：\n'
        '   `t = audit.table("{table}"); t[t["{column}"] == "{value}"]`\n'
        '3. **某一对象的证据**（该发现及其所依据的源数据行）：`audit.entity_evidence("{code}", "{entity}")`\n'
        '4. **以其他参数重新运行某条规则**（不影响本次报告）：`audit.rerun("{param_code}", '
        "{param}={param_value})`，\n"
        "   返回该规则在新参数下的结果与发现，便于判断结论对参数的敏感程度。\n"
        "\n"
        "全部发现另见 `audit.findings_with_evidence()`；工作底稿 findings.xlsx 中每条规则一张工作表。"
    ),
    "en": (
        "### Digging further: a guide\n"
        "\n"
        "The `audit` object of this notebook is this audit. These four cover daily needs; the examples run "
        "on this audit's\n"
        "own data (their results are below):\n"
        "\n"
        "1. **One rule's findings** (with evidence and the values the rule compared): "
        '`audit.rule_findings("{code}")`\n'
        '2. **The loaded tables** (personal data masked per the params): `audit.table("{table}")`, e.g. '
        "to filter:\n"
        '   `t = audit.table("{table}"); t[t["{column}"] == "{value}"]`\n'
        "3. **One entity's evidence** (its finding and the source rows it rests on): "
        '`audit.entity_evidence("{code}", "{entity}")`\n'
        "4. **Re-running one rule with other parameters** (this report is not affected): "
        '`audit.rerun("{param_code}", {param}={param_value})`\n'
        "   gives the rule's result and findings under the new parameters, to see how sensitive its "
        "conclusion is.\n"
        "\n"
        "Every finding: `audit.findings_with_evidence()`; the working papers findings.xlsx have a "
        "sheet per rule."
    ),
}


def narrative(key: str, lang: str) -> str:
    return NARRATIVE[key][lang]
