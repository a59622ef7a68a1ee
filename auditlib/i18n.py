"""Every label the report shows, in Chinese (the examiners' default) and English.

Vocabulary values from the data contract (roles, business types...) are shown as
``label (code)`` so a reader can match them with the institution's files.
"""

from __future__ import annotations

import re

VOCAB: dict[str, dict[str, str]] = {
    "zh": {
        "promotion": "宣传推介",
        "counter": "柜面操作",
        "sales": "销售人员",
        "info_processing": "后台信息处理",
        "fund_processing": "后台资金处理",
        "risk_monitoring": "风险监控",
        "audit": "监察稽核",
        "complaint_handling": "客户投诉受理",
        "it_head": "信息技术负责人",
        "infosec_head": "信息安全负责人",
        "it_dev": "信息技术开发",
        "it_ops": "运营维护",
        "account_open": "开户",
        "account_close": "销户",
        "info_change": "资料变更",
        "bank_account_change": "银行账户变更",
        "subscription": "认购",
        "purchase": "申购",
        "redemption": "赎回",
        "conversion": "转换",
        "fund_transfer": "资金划转",
        "complaint": "投诉",
        "other": "其他",
        "enter": "录入",
        "review": "复核",
        "approve": "审批",
        "ID_CARD": "居民身份证",
        "view": "查看",
        "high": "高",
        "medium": "中",
        "low": "低",
        "open": "待整改",
        "mitigated": "已批准例外",
        "redemption_payout": "赎回款划付",
        "dividend": "分红款划付",
        "refund": "退款",
        "branch_sweep": "网点资金归集",
        "new": "新发现",
        "recurring": "重复发现",
        "resolved": "已整改",
        "not_retested": "本期未复测",
    },
    "en": {},
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "report_title": "基金销售机构监督检查报告",
        "institution": "机构",
        "period": "检查期间",
        "as_of": "检查基准日",
        "run_id": "运行编号",
        "fingerprint": "数据指纹",
        "generated": "生成时间",
        "version": "auditlib 版本",
        "summary": "检查摘要",
        "by_family_severity": "按类别与严重程度统计的发现",
        "rule_status": "逐项规则结果",
        "rule": "规则",
        "title": "名称",
        "severity": "严重程度",
        "status": "状态",
        "population": "测试总体",
        "exceptions": "例外数",
        "rate": "例外率",
        "tested": "已测试",
        "not_tested": "未测试",
        "reason": "原因",
        "passed": "通过",
        "has_exceptions": "发现例外",
        "error": "运行错误",
        "required": "检查要求",
        "found": "检查结果",
        "citation": "依据",
        "parameters": "参数",
        "sample": "例外样本",
        "more_findings": "另有 {n} 条发现，见工作底稿 findings.xlsx",
        "no_findings": "未发现例外。",
        "entity": "对象",
        "occurred_at": "发生时间",
        "detail": "说明",
        "data_quality": "数据质量",
        "table": "数据表",
        "file": "文件",
        "rows_read": "读取行数",
        "rows_loaded": "载入行数",
        "rows_quarantined": "隔离行数",
        "row": "行",
        "column": "列",
        "quality_sample": "隔离与提示明细（前 {n} 条，全部见 data_quality.csv）",
        "not_provided": "未提供数据：{tables}",
        "disabled": "参数中未启用",
        "appendix": "附录",
        "input_files": "输入文件",
        "sha256": "SHA-256",
        "packages": "软件包版本",
        "rule_versions": "规则版本",
        "total": "合计",
        "family": "类别",
        "findings": "发现",
        "family_SOD": "不相容岗位分离与授权",
        "family_SUIT": "适用性管理",
        "family_ABN": "异常交易与资金结算",
        "family_RET": "档案保存与备份",
        "family_CMP": "客户投诉处理",
        "family_STAFF": "人员管理",
        "family_REC": "对账管理",
        "family_ACC": "账户与客户身份",
        "family_INFO": "信息与数据管理",
        "none": "无",
        "masked_note": "本报告中的个人信息已脱敏。",
        "evidence": "证据",
        "staff_id": "员工",
        "quality_kept": "保留（提示）",
        "quality_quarantined": "已隔离",
        "contents": "目录",
        "back_to_contents": "返回目录",
        "rule_blocks": "逐项规则",
        "encoding": "编码",
        "package": "软件包",
        "rule_version": "版本",
        "rule_failed": "该规则运行出错，未能得出结论（技术细节见工作底稿 findings.xlsx 与 rule_summary.csv）",
        "tracking": "与上期比较",
        "tracking_col": "跟踪",
        "tracking_intro": "上期结果：{previous}（按发现编号 finding_id 比对）。",
        "tracking_counts": "本期新发现 {new} 项，重复发现 {recurring} 项；上期发现中本期已不再出现（已整改）{resolved} 项，"
        "所属规则本期未测试、无法判断 {not_retested} 项。",
        "tracking_rule": "新发现 {new}，重复发现 {recurring}，已整改 {resolved}",
        "resolved_list": "上期发现、本期已不再出现（已整改）",
        "previous_detail": "上期说明",
        "new_n": "新发现",
        "recurring_n": "重复发现",
        "resolved_n": "已整改",
        "resolved_sheet": "已整改与未复测",
        "extra_failed": "本类别的概况统计未能生成（不影响下列各项规则的检查结果）。",
        "audit_sample": "审计抽样",
        "sample_note": "每条规则按固定种子从其检查范围内随机抽取至多 {n} 条记录，"
        "供检查人员人工复核，见工作底稿 findings.xlsx 中各规则的“样本”工作表。",
        "mitigations": "已批准的例外（参数）",
        "target": "对象",
        "valid_until": "有效期至",
        "param_not_provided": "未提供参数（{what}）",
        "mitigation_lapsed": "；已批准的例外仅有效至 {until}，自 {day} 起不再覆盖",
        "quality_reason": "原因",
        "free_text_withheld": "（自由文本，内容从略）",
    },
    "en": {
        "report_title": "Supervisory audit report: fund sales institution",
        "institution": "Institution",
        "period": "Audit period",
        "as_of": "As of",
        "run_id": "Run id",
        "fingerprint": "Data fingerprint",
        "generated": "Generated",
        "version": "auditlib version",
        "summary": "Executive summary",
        "by_family_severity": "Findings by family and severity",
        "rule_status": "Rule-by-rule results",
        "rule": "Rule",
        "title": "Title",
        "severity": "Severity",
        "status": "Status",
        "population": "Population",
        "exceptions": "Exceptions",
        "rate": "Rate",
        "tested": "Tested",
        "not_tested": "Not tested",
        "reason": "Reason",
        "passed": "Passed",
        "has_exceptions": "Exceptions",
        "error": "Error",
        "required": "What is required",
        "found": "What was found",
        "citation": "Citation",
        "parameters": "Parameters",
        "sample": "Sample of exceptions",
        "more_findings": "{n} more findings in the working papers (findings.xlsx)",
        "no_findings": "No exceptions.",
        "entity": "Entity",
        "occurred_at": "Occurred",
        "detail": "Detail",
        "data_quality": "Data quality",
        "table": "Table",
        "file": "File",
        "rows_read": "Rows read",
        "rows_loaded": "Loaded",
        "rows_quarantined": "Quarantined",
        "row": "Row",
        "column": "Column",
        "quality_sample": "Quarantined rows and warnings (first {n}; all in data_quality.csv)",
        "not_provided": "data not provided: {tables}",
        "disabled": "disabled in params",
        "appendix": "Appendix",
        "input_files": "Input files",
        "sha256": "SHA-256",
        "packages": "Package versions",
        "rule_versions": "Rule versions",
        "total": "Total",
        "family": "Family",
        "findings": "Findings",
        "family_SOD": "Segregation of duties and authorization",
        "family_SUIT": "Suitability",
        "family_ABN": "Abnormal transactions and fund settlement",
        "family_RET": "Record retention and backups",
        "family_CMP": "Complaint handling",
        "family_STAFF": "Staff",
        "family_REC": "Reconciliation",
        "family_ACC": "Accounts and customer identity",
        "family_INFO": "Information and data management",
        "none": "none",
        "masked_note": "Personal data in this report is masked.",
        "evidence": "Evidence",
        "staff_id": "Staff",
        "quality_kept": "kept (warning)",
        "quality_quarantined": "quarantined",
        "contents": "Contents",
        "back_to_contents": "back to contents",
        "rule_blocks": "Rules",
        "encoding": "Encoding",
        "package": "Package",
        "rule_version": "Version",
        "rule_failed": "This rule could not be run and gives no conclusion (technical detail in the working papers "
        "findings.xlsx and rule_summary.csv)",
        "tracking": "Compared with the previous period",
        "tracking_col": "Tracking",
        "tracking_intro": "Previous results: {previous} (compared by finding_id).",
        "tracking_counts": "{new} new and {recurring} recurring findings; {resolved} findings of the previous period "
        "no longer found (resolved); {not_retested} whose rule was not tested this time "
        "(cannot tell).",
        "tracking_rule": "new {new}, recurring {recurring}, resolved {resolved}",
        "resolved_list": "Previous findings no longer found (resolved)",
        "previous_detail": "Previous detail",
        "new_n": "New",
        "recurring_n": "Recurring",
        "resolved_n": "Resolved",
        "resolved_sheet": "Resolved and not retested",
        "extra_failed": "This family's overview could not be produced (the rule results below are not affected).",
        "audit_sample": "Audit sample",
        "sample_note": "For each rule up to {n} records of its scope are drawn at random "
        "with a fixed seed, for re-performance by hand: the rule's "
        '"sample" sheet in the working papers findings.xlsx.',
        "mitigations": "Approved exceptions (params)",
        "target": "Target",
        "valid_until": "Valid until",
        "param_not_provided": "parameter not provided ({what})",
        "mitigation_lapsed": "; the approved exception was valid only until {until}: not covered from {day}",
        "quality_reason": "Reason",
        "free_text_withheld": "(free text, not quoted)",
    },
}


#: the loader's quarantine reasons (auditlib/load writes them in English) and their Chinese; `{0}`... are the
#: parts the pattern captures. The value a reason quotes (`: '...'`) is split off before matching.
QUALITY_REASONS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        (r"value not in the allowed list \((.*)\)", "取值不在允许范围内（{0}）"),
        (r"not a date YYYY-MM-DD", "不是有效日期（YYYY-MM-DD）"),
        (r"timestamp has a time zone", "时间戳带有时区（应为不带时区的本地时间）"),
        (r"not a timestamp YYYY-MM-DD HH:MM\[:SS\]", "不是有效时间戳（YYYY-MM-DD HH:MM[:SS]）"),
        (r"not a boolean \(.*\)", "不是有效布尔值（true/false、1/0、Y/N、是/否）"),
        (r"not a whole number", "不是整数"),
        (r"not a number", "不是数字"),
        (r"required value missing", "必填值缺失"),
        (r"duplicate primary key \(first at row (\d+)\)", "主键重复（首次出现于第 {0} 行）"),
        (
            r"malformed record: (\d+) fields where the header has (\d+)",
            "记录格式错误：有 {0} 个字段，表头只有 {1} 个",
        ),
        (r"refers to no row of (\w+)", "引用的记录在 {0} 表中不存在"),
        (
            r"text starts with = \+ - or @ \(a spreadsheet may run it as a formula\)",
            "文本以 =、+、-、@ 开头（电子表格可能将其作为公式执行）",
        ),
        (
            r"text longer than (\d+) characters \(a spreadsheet cell holds no more\)",
            "文本超过 {0} 个字符（电子表格单元格无法完整容纳）",
        ),
        (r"date after (\S+) \(e\.g\. (\S+)\): read as (\S+)", "日期晚于 {0}（如 {1}），按 {2} 读取"),
        (r"date before (\S+) \(e\.g\. (\S+)\): read as (\S+)", "日期早于 {0}（如 {1}），按 {2} 读取"),
        (r"more than (\d+) days before (\w+) \((.*)\)", "早于 {1}（{2}）超过 {0} 天"),
        (r"before (\w+) \((.*)\)", "早于 {0}（{1}）"),
        (r"after as_of \((.*)\)", "晚于检查基准日（{0}）"),
    )
)
_QUOTED = re.compile(r"^(?P<head>.*?): '(?P<value>.*)'$", re.DOTALL)


def split_reason(reason: str) -> tuple[str, str | None]:
    """A quarantine reason as (what is wrong, the quoted cell text or None)."""
    m = _QUOTED.match(reason)
    return (m["head"], m["value"]) if m else (reason, None)


def reason_text(head: str, lang: str) -> str:
    """The wrong-part of a quarantine reason in the report language (unknown reasons as they are)."""
    if lang == "en":
        return head
    for pattern, zh in QUALITY_REASONS:
        m = pattern.fullmatch(head)
        if m:
            return zh.format(*m.groups())
    return head


def t(key: str, lang: str, **kw) -> str:
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


def label(value: str, lang: str) -> str:
    """A vocabulary value in the report language: ``宣传推介(promotion)`` in zh, the code in en."""
    zh = VOCAB["zh"].get(value)
    if lang == "zh" and zh:
        return f"{zh}({value})"
    return value
