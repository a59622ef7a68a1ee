"""Every label the report shows, in Chinese (the examiners' default) and English.

Vocabulary values from the data contract (roles, business types...) are shown as
``label (code)`` so a reader can match them with the institution's files.
"""

from __future__ import annotations

LANGS = ("zh", "en")

VOCAB: dict[str, dict[str, str]] = {
    "zh": {
        "promotion": "宣传推介", "counter": "柜面操作", "sales": "销售人员", "info_processing": "后台信息处理",
        "fund_processing": "后台资金处理", "risk_monitoring": "风险监控", "audit": "监察稽核",
        "complaint_handling": "客户投诉受理", "it_head": "信息技术负责人", "infosec_head": "信息安全负责人",
        "it_dev": "信息技术开发", "it_ops": "运营维护",
        "account_open": "开户", "account_close": "销户", "info_change": "资料变更",
        "bank_account_change": "银行账户变更", "subscription": "认购", "purchase": "申购", "redemption": "赎回",
        "conversion": "转换", "fund_transfer": "资金划转", "complaint": "投诉", "other": "其他",
        "enter": "录入", "review": "复核", "approve": "审批", "view": "查看",
        "high": "高", "medium": "中", "low": "低", "open": "待整改", "mitigated": "已批准例外",
    },
    "en": {},
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "report_title": "基金销售机构监督检查报告",
        "institution": "机构", "period": "检查期间", "as_of": "检查基准日", "run_id": "运行编号",
        "fingerprint": "数据指纹", "generated": "生成时间", "version": "auditlib 版本",
        "summary": "检查摘要", "by_family_severity": "按类别与严重程度统计的发现",
        "rule_status": "逐项规则结果", "rule": "规则", "title": "名称", "severity": "严重程度",
        "status": "状态", "population": "测试总体", "exceptions": "例外数", "rate": "例外率",
        "tested": "已测试", "not_tested": "未测试", "reason": "原因", "passed": "通过",
        "has_exceptions": "发现例外", "error": "运行错误",
        "required": "检查要求", "found": "检查结果", "citation": "依据", "parameters": "参数",
        "sample": "例外样本", "more_findings": "另有 {n} 条发现，见工作底稿 findings.xlsx",
        "no_findings": "未发现例外。", "entity": "对象", "occurred_at": "发生时间", "detail": "说明",
        "data_quality": "数据质量", "table": "数据表", "file": "文件", "rows_read": "读取行数",
        "rows_loaded": "载入行数", "rows_quarantined": "隔离行数", "row": "行", "column": "列",
        "quality_sample": "隔离与提示明细（前 {n} 条，全部见 data_quality.csv）",
        "not_provided": "未提供数据：{tables}", "disabled": "参数中未启用", "appendix": "附录",
        "input_files": "输入文件", "sha256": "SHA-256", "packages": "软件包版本",
        "rule_versions": "规则版本", "total": "合计", "family": "类别", "findings": "发现",
        "family_SOD": "不相容岗位分离与授权", "family_SUIT": "适用性管理", "family_ABN": "异常交易与资金结算",
        "family_RET": "档案保存与备份", "family_CMP": "客户投诉处理", "family_STAFF": "人员管理",
        "family_REC": "对账管理", "none": "无", "masked_note": "本报告中的个人信息已脱敏。",
        "evidence": "证据", "staff_id": "员工",
        "quality_kept": "保留（提示）", "quality_quarantined": "已隔离",
    },
    "en": {
        "report_title": "Supervisory audit report: fund sales institution",
        "institution": "Institution", "period": "Audit period", "as_of": "As of", "run_id": "Run id",
        "fingerprint": "Data fingerprint", "generated": "Generated", "version": "auditlib version",
        "summary": "Executive summary", "by_family_severity": "Findings by family and severity",
        "rule_status": "Rule-by-rule results", "rule": "Rule", "title": "Title", "severity": "Severity",
        "status": "Status", "population": "Population", "exceptions": "Exceptions", "rate": "Rate",
        "tested": "Tested", "not_tested": "Not tested", "reason": "Reason", "passed": "Passed",
        "has_exceptions": "Exceptions", "error": "Error",
        "required": "What is required", "found": "What was found", "citation": "Citation",
        "parameters": "Parameters", "sample": "Sample of exceptions",
        "more_findings": "{n} more findings in the working papers (findings.xlsx)",
        "no_findings": "No exceptions.", "entity": "Entity", "occurred_at": "Occurred", "detail": "Detail",
        "data_quality": "Data quality", "table": "Table", "file": "File", "rows_read": "Rows read",
        "rows_loaded": "Loaded", "rows_quarantined": "Quarantined", "row": "Row", "column": "Column",
        "quality_sample": "Quarantined rows and warnings (first {n}; all in data_quality.csv)",
        "not_provided": "data not provided: {tables}", "disabled": "disabled in params", "appendix": "Appendix",
        "input_files": "Input files", "sha256": "SHA-256", "packages": "Package versions",
        "rule_versions": "Rule versions", "total": "Total", "family": "Family", "findings": "Findings",
        "family_SOD": "Segregation of duties and authorization", "family_SUIT": "Suitability",
        "family_ABN": "Abnormal transactions and fund settlement", "family_RET": "Record retention and backups",
        "family_CMP": "Complaint handling", "family_STAFF": "Staff", "family_REC": "Reconciliation",
        "none": "none", "masked_note": "Personal data in this report is masked.",
        "evidence": "Evidence", "staff_id": "Staff",
        "quality_kept": "kept (warning)", "quality_quarantined": "quarantined",
    },
}


def t(key: str, lang: str, **kw) -> str:
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


def label(value: str, lang: str) -> str:
    """A vocabulary value in the report language: ``宣传推介(promotion)`` in zh, the code in en."""
    zh = VOCAB["zh"].get(value)
    if lang == "zh" and zh:
        return f"{zh}({value})"
    return value
