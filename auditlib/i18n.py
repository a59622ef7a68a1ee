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
    # English labels of the codes; a code absent here is shown as it is (it reads as English)
    "en": {
        "promotion": "promotion",
        "counter": "counter",
        "sales": "sales",
        "info_processing": "information processing",
        "fund_processing": "fund processing",
        "risk_monitoring": "risk monitoring",
        "audit": "audit",
        "complaint_handling": "complaint handling",
        "it_head": "IT head",
        "infosec_head": "information-security head",
        "it_dev": "IT development",
        "it_ops": "IT operations",
        "account_open": "account opening",
        "account_close": "account closing",
        "info_change": "change of details",
        "bank_account_change": "change of bank account",
        "subscription": "subscription",
        "purchase": "purchase",
        "redemption": "redemption",
        "conversion": "conversion",
        "fund_transfer": "fund transfer",
        "complaint": "complaint",
        "other": "other",
        "enter": "entry",
        "review": "review",
        "approve": "approval",
        "view": "view",
        "high": "high",
        "medium": "medium",
        "low": "low",
        "open": "open",
        "mitigated": "approved exception",
        "redemption_payout": "redemption payout",
        "dividend": "dividend payout",
        "refund": "refund",
        "branch_sweep": "branch sweep",
        "new": "new",
        "recurring": "recurring",
        "resolved": "resolved",
        "not_retested": "not retested",
        "ID_CARD": "resident identity card",
    },
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "report_title": "基金销售机构监督检查报告",
        "institution": "机构",
        "period": "检查期间",
        "as_of": "检查基准日",
        "run_id": "运行编号",
        "fingerprint": "数据指纹",
        "key_fingerprint": "签名密钥指纹",
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
        "family_FEE": "费用",
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
        "tracking_counts": "本期新发现 {new} 项，重复发现 {recurring} 项；上期发现中本期已不再出现（已整改）"
        "{resolved} 项，所属规则本期未测试、无法判断 {not_retested} 项。",
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
        "key_fingerprint": "Signing key fingerprint",
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
        "family_FEE": "Fees",
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
        "rule_failed": "This rule could not be run and gives no conclusion (technical detail in the working "
        "papers findings.xlsx and rule_summary.csv)",
        "tracking": "Compared with the previous period",
        "tracking_col": "Tracking",
        "tracking_intro": "Previous results: {previous} (compared by finding_id).",
        "tracking_counts": "{new} new and {recurring} recurring findings; {resolved} findings of the "
        "previous period no longer found (resolved); {not_retested} whose rule was not tested this time "
        "(cannot tell).",
        "tracking_rule": "new {new}, recurring {recurring}, resolved {resolved}",
        "resolved_list": "Previous findings no longer found (resolved)",
        "previous_detail": "Previous detail",
        "new_n": "New",
        "recurring_n": "Recurring",
        "resolved_n": "Resolved",
        "resolved_sheet": "Resolved and not retested",
        "extra_failed": "This family's overview could not be produced (the rule results below are "
        "not affected).",
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


#: the examiner's report from cover to sign-off (outputs.md v2, "The report"); one block so that additions of
#: other sections merge without touching each other
TEXT["zh"].update(
    {
        "report_date": "报告日期",
        "conclusion": "检查结论",
        "key_findings": "主要发现",
        "scope": "检查范围与局限",
        "methodology": "检查方法",
        "section_responses": "机构反馈",
        "sign_off": "签署",
        "sample": "前 {shown} 项例外（共 {total} 项；全部例外见工作底稿 findings.xlsx）",
        "sample_all": "全部 {total} 项例外",
        "more_findings": "其余 {n} 项例外见工作底稿 findings.xlsx（按发现编号检索）",
        "finding_id": "发现编号",
        "evidence_ref": "证据位置",
        "rule_title": "规则",
        "concl_scope": "本次检查以 {start} 至 {end} 为检查期间、{as_of} 为检查基准日，对{name}提供的业务数据"
        "执行了全量测试：选定规则 {selected} 项，完成测试 {tested} 项。",
        "concl_found": "其中 {with_exc} 项规则发现例外，共计 {n} 项发现（高 {high} 项、中 {medium} 项、低 "
        "{low} 项）；{mitigated} 项属于已批准的例外，其余 {open} 项待机构整改。",
        "concl_clean": "完成测试的规则均未发现例外。",
        "concl_high": "高严重程度发现 {n} 项，涉及以下规则：",
        "concl_no_high": "未发现高严重程度事项。",
        "concl_missing": "因机构未提供{tables}，{k} 项规则未能测试（{codes}），本报告对相关事项不发表结论。",
        "concl_errors": "{k} 项规则运行出错，未能得出结论（{codes}）。",
        "concl_quality": "数据载入时隔离 {n} 行不合格记录，未参与测试（见“数据质量”）。",
        "concl_basis": "检查所用数据均由机构提供，未与其源系统核对；以上结论以所提供数据的完整和准确为前提。",
        "rule_count": "{title}（{code}，{n} 项）",
        "list_sep": "；",
        "high_findings": "高严重程度发现",
        "other_findings": "中、低严重程度发现（按规则）",
        "no_high": "未发现高严重程度事项。",
        "high_more": "另有 {n} 项高严重程度发现，见工作底稿 findings.xlsx。",
        "scope_intro": "被检查机构：{name}；检查期间：{start} 至 {end}；检查基准日：{as_of}"
        "（期间之后发生、截至基准日的事项用于判断期限是否届满）。",
        "scope_data": "机构提供的数据表",
        "scope_not_tested": "未能测试的规则",
        "scope_limits": "局限",
        "limit_source": "检查所用数据均由机构导出提供，检查组未将其与机构的源系统（销售系统、登记结算系统、"
        "投诉系统等）核对；数据的完整性与准确性由机构负责。",
        "limit_missing": "机构未提供以下数据，依赖这些数据的规则未能测试，"
        "本报告对相关事项不发表结论：{tables}。",
        "limit_quality": "载入时共隔离 {n} 行不合格记录（原因见“数据质量”），这些记录未参与测试，"
        "其中可能存在的例外未被发现。",
        "limit_manual": "本报告的规则测试仅覆盖可由数据检查的要求；需查阅文件、"
        "访谈或现场查看的要求见条款覆盖与检查组的人工程序。",
        "limit_none_missing": "机构提供了规则所需的全部数据表。",
        "reason_missing": "未提供数据：{tables}",
        "method_population": "全量测试：每条规则对其检查范围内的全部记录逐条检查，不抽样；"
        "每项例外即一项发现，以发现编号标识（由机构、规则与对象计算得出，跨期稳定，"
        "可与上期结果及机构反馈逐项对应）。",
        "method_severity": "严重程度：高、中、低为规则的默认分级，依据被违反要求对投资者权益与机构内部控制的"
        "影响确定；已批准的例外仍列为发现，状态为“已批准例外”。",
        "method_calendar": "工作日历：工作日按国务院办公厅公布的法定节假日安排确定（含调休上班日，"
        "不含节假日），取自 chinese-calendar {cc} 维护的节假日表{extra}；工作时间为 {start}—{end}{lunch}。"
        "交易日历：上海证券交易所交易日，取自 exchange-calendars {xc} 的 XSHG 日历。",
        "method_calendar_extra": "，并按本次参数增加节假日 {h} 天、调休工作日 {w} 天",
        "method_lunch": "（午休 {start}—{end} 不计）",
        "method_sample": "审计抽样：为便于人工复核，每条规则从其检查范围内抽取至多 {n} 条记录；"
        "抽样以机构、规则与检查期间计算的固定种子确定（SHA-256 摘要，SplitMix64 排序），"
        "相同数据与参数总得到相同样本，样本见工作底稿 findings.xlsx。",
        "method_masking": "个人信息（姓名、证件号码、电话、银行账号）在本报告中已脱敏。",
        "method_engine_memory": "全部数据一次读入一台计算机的内存进行检查。",
        "method_engine_partitioned": "因数据量较大，数据按客户、交易、业务事项等划分为 {n} "
        "个分区逐区检查{where}，再合并各区结果；合并结果与整体一次检查的结果完全相同。",
        "method_engine_cluster": "（在计算集群上并行运行）",
        "method_tools": "检查工具：auditlib {version}；运行编号 {run_id}；数据指纹 "
        "{fingerprint}（全部输入文件 SHA-256 的摘要）。",
        "params_intro": "各规则本次采用的检查要求（含参数取值）如下；"
        "标注“已调整”的规则按参数文件改变了默认值。",
        "adjusted": "已调整",
        "default": "默认",
        "sources_legend": "依据说明",
        "source": "文件",
        "full_title": "全称",
        "clause": "条款",
        "clause_text": "条文",
        "cited_by": "引用规则",
        "sign_intro": "本报告由检查组根据上述检查结果出具。",
        "examiner": "检查人员",
        "role": "职务",
        "signature": "签名",
        "date": "日期",
        "no_examiners": "（参数文件未列明检查人员）",
        "yes": "是",
        "no": "否",
    }
)
TEXT["en"].update(
    {
        "report_date": "Report date",
        "conclusion": "Conclusion",
        "key_findings": "Key findings",
        "scope": "Scope and limitations",
        "methodology": "Methodology",
        "section_responses": "Institution's responses",
        "sign_off": "Sign-off",
        "sample": "First {shown} of {total} exceptions (all of them in the working papers, findings.xlsx)",
        "sample_all": "All {total} exceptions",
        "more_findings": "The other {n} exceptions are in the working papers, findings.xlsx (by finding id)",
        "finding_id": "Finding id",
        "evidence_ref": "Evidence",
        "rule_title": "Rule",
        "concl_scope": "We tested the full population of the business data {name} supplied for the period "
        "{start} to {end}, as of {as_of}: of {selected} rules selected, {tested} were tested.",
        "concl_found": "{with_exc} rules found exceptions, {n} findings in all ({high} high, {medium} "
        "medium, {low} low severity); {mitigated} are approved exceptions and {open} remain open for the "
        "institution to remedy.",
        "concl_clean": "No tested rule found an exception.",
        "concl_high": "The {n} high-severity findings concern these rules:",
        "concl_no_high": "There is no high-severity finding.",
        "concl_missing": "The institution did not provide {tables}, so {k} rules could not be tested "
        "({codes}); this report gives no conclusion on those matters.",
        "concl_errors": "{k} rules could not be run and give no conclusion ({codes}).",
        "concl_quality": "{n} rows failing the data checks were quarantined on loading and not tested (see "
        "Data quality).",
        "concl_basis": "All data was supplied by the institution and was not reconciled to its source "
        "systems; the conclusion rests on that data being complete and accurate.",
        "rule_count": "{title} ({code}, {n})",
        "list_sep": "; ",
        "high_findings": "High-severity findings",
        "other_findings": "Medium- and low-severity findings, by rule",
        "no_high": "There is no high-severity finding.",
        "high_more": "{n} more high-severity findings are in the working papers, findings.xlsx.",
        "scope_intro": "Institution: {name}; audit period: {start} to {end}; as of {as_of} (events after the "
        "period up to that day are used to tell whether a deadline has passed).",
        "scope_data": "Data supplied by the institution",
        "scope_not_tested": "Rules not tested",
        "scope_limits": "Limitations",
        "limit_source": "All data was exported and supplied by the institution; the examiners did not "
        "reconcile it to the institution's source systems (sales, registration and settlement, complaints). "
        "The institution is responsible for its completeness and accuracy.",
        "limit_missing": "The institution did not provide the following data; the rules that need it were "
        "not tested and this report gives no conclusion on those matters: {tables}.",
        "limit_quality": "{n} rows failing the data checks were quarantined on loading (reasons under Data "
        "quality); they were not tested, and any exception among them is not reported.",
        "limit_manual": "The rule tests cover the requirements that data can show; requirements that need "
        "documents, interviews or inspection are covered by the clause coverage and the examiners' "
        "manual procedures.",
        "limit_none_missing": "The institution provided every table the rules need.",
        "reason_missing": "data not provided: {tables}",
        "method_population": "Full-population tests: each rule checks every record in its scope, without "
        "sampling; each exception is one finding, identified by a finding id (derived from the institution, "
        "the rule and the entity, stable across periods, so that it can be matched with the previous period "
        "and the institution's responses).",
        "method_severity": "Severity: high, medium and low are each rule's default rating, by the effect of "
        "the requirement broken on investors and on internal control; approved exceptions are still listed, "
        "with the status approved exception.",
        "method_calendar": "Working days: the statutory holiday arrangements published by the State Council "
        "(make-up working days count, holidays do not), from chinese-calendar {cc}{extra}; working hours "
        "{start} to {end}{lunch}. Trading days: the Shanghai Stock Exchange calendar (XSHG) of "
        "exchange-calendars {xc}.",
        "method_calendar_extra": ", with {h} holidays and {w} make-up working days added by this audit's "
        "parameters",
        "method_lunch": " (lunch break {start} to {end} excluded)",
        "method_sample": "Audit sample: for re-performance by hand, up to {n} records in each rule's scope "
        "are drawn with a fixed seed derived from the institution, the rule and the period (SHA-256 digest, "
        "SplitMix64 ordering); the same data and parameters always give the same sample, listed in the "
        "working papers, findings.xlsx.",
        "method_masking": "Personal data (names, identity numbers, phone numbers, bank accounts) is masked "
        "in this report.",
        "method_engine_memory": "All data was read into one computer's memory and tested at once.",
        "method_engine_partitioned": "Because of its size, the data was divided into {n} partitions (by "
        "customer, transaction, business item and the like), tested partition by partition{where}, and the "
        "results combined; the combined results are identical to testing all the data at once.",
        "method_engine_cluster": " on a computing cluster",
        "method_tools": "Tool: auditlib {version}; run id {run_id}; data fingerprint {fingerprint} (a digest "
        "of the SHA-256 of every input file).",
        "params_intro": "What each rule required in this audit, with its parameter values; rules marked "
        "adjusted had a default changed by the params file.",
        "adjusted": "adjusted",
        "default": "default",
        "sources_legend": "Sources",
        "source": "Source",
        "full_title": "Full title",
        "clause": "Clause",
        "clause_text": "Text",
        "cited_by": "Cited by",
        "sign_intro": "This report is issued by the examination team on the results above.",
        "examiner": "Examiner",
        "role": "Role",
        "signature": "Signature",
        "date": "Date",
        "no_examiners": "(no examiners named in the params file)",
        "yes": "yes",
        "no": "no",
    }
)


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


#: the INFO and FEE families (rules.md v2)
TEXT["zh"].update({"family_INFO": "信息与数据管理", "family_FEE": "费用"})
TEXT["en"].update({"family_INFO": "Information and data management", "family_FEE": "Fees"})
#: a rule block's count of rows left out of the population for a missing value (rules.md v2)
TEXT["zh"].update({"left_out": "因缺少所需数据未纳入检查：{n}"})
TEXT["en"].update({"left_out": "left out for a missing value: {n}"})
#: the optional columns of contract v2, named where a rule is not tested without them (未提供数据：交易费用);
#: tables are named by the report from their declaration (html.table_name_words)
VOCAB["zh"].update({"transactions.fee": "交易费用", "products.max_fee_rate": "产品合同最高费率"})
VOCAB["en"].update(
    {
        "transactions.fee": "fee charged on each transaction",
        "products.max_fee_rate": "highest fee rate of each product's contract",
    }
)
VOCAB["en"].update(
    {
        "transactions.fee": "transaction fees",
        "products.max_fee_rate": "products' maximum fee rates",
        "product_ratings": "product rating history",
        "data_changes": "changes to business data",
    }
)


_PLURAL_ONE = re.compile(r"(?<![\d.,])1 ([a-z][a-z-]*(?: [a-z-]+)?)\(s\)")
_PLURAL_MANY = re.compile(r"(\d[\d,.]*) ([a-z][a-z-]*(?: [a-z-]+)?)\(s\)")


def english_plurals(text: str) -> str:
    """`1 working day(s)` -> `1 working day`, `3 minute(s)` -> `3 minutes`: the templates' "(s)" resolved
    by the number before it, so the report reads as written English."""
    return _PLURAL_MANY.sub(r"\1 \2s", _PLURAL_ONE.sub(r"1 \1", text))


def t(key: str, lang: str, **kw) -> str:
    s = TEXT[lang][key]
    return s.format(**kw) if kw else s


def label(value: str, lang: str) -> str:
    """A vocabulary value in the report language only (``宣传推介``, ``information processing``): the
    examiner's report carries no codes; tools read the codes from findings.csv and the working papers' code
    columns."""
    return VOCAB[lang].get(value, value)


# clause coverage and the manual-procedure checklist (report/coverage.py, report/checklist.py)
TEXT["zh"].update(
    {
        "cov_title": "条款覆盖",
        "cov_intro": "下表逐条列出两项指导意见及投诉处理程序中可检查的条款，说明本次检查以数据检查、"
        "人工检查程序或两者结合的方式覆盖的情况；未覆盖的条款及原因一并列示。"
        "人工检查程序的结论来自检查人员填写并经逐行校验的人工检查程序底稿。",
        "cov_source": "来源",
        "cov_clauses": "条款数",
        "cov_tested": "经数据检查",
        "cov_concluded": "已得出结论",
        "cov_total": "合计",
        "cov_by_status": "按状态统计",
        "cov_status": "状态",
        "cov_count": "条款数",
        "cov_clause": "条款",
        "cov_requirement": "要求",
        "cov_how": "检查方式",
        "cov_detail": "说明",
        "cov_full_text": "条款原文",
        "cov_rules_run": "{n} 条规则已检查，例外 {exc} 项",
        "cov_open_mit": "（待整改 {open}，已批准例外 {mit}）",
        "cov_not_run": "未检查：{rule}（{reason}）",
        "cov_left_out": "数据未覆盖：{what}",
        "cov_attested": "人工检查：{result}，证据 {ref}，{by}，{on}",
        "cov_evidence": "证据 {ref}，{by}，{on}",
        "cov_manual_only": "人工检查程序",
        "cov_att_file": "人工检查程序底稿：{file}。填写 {rows} 行，接受 {ok} 行，拒绝 {bad} 行；另有 {blank} "
        "行未填写（未执行）。逐行结果见 attestations.csv。",
        "cov_att_none": "本次检查未提供人工检查程序底稿；人工检查条款均列为“未执行”。底稿可用 auditlib "
        "checklist 生成。",
        "cov_rejected": "被拒绝的底稿行",
        "cov_row": "行",
        "cov_reason": "原因",
        "covst_tested_no_exception": "数据检查：未发现例外",
        "covst_tested_exceptions": "数据检查：发现例外",
        "covst_partly_tested": "部分检查（其余须人工检查）",
        "covst_not_tested_data_not_provided": "未检查：未提供数据",
        "covst_not_tested_rule_not_run": "未检查：规则未运行",
        "covst_manual_pass": "人工检查：符合",
        "covst_manual_fail": "人工检查：不符合",
        "covst_manual_na": "人工检查：不适用",
        "covst_manual_not_performed": "人工检查：未执行",
        "cl_title": "人工检查程序底稿（条款覆盖）",
        "cl_sheet": "人工检查程序",
        "cl_institution": "被检查机构",
        "cl_period": "检查期间",
        "cl_as_of": "检查基准日",
        "cl_prepared": "编制人 / 日期",
        "cl_reviewed": "复核人 / 日期",
        "cl_how": "填写说明：每行执行所列检查程序后，在“检查结论”栏选择符合、不符合或不适用，"
        "填写证据索引（底稿编号或文件名）、执行人和执行日期（年-月-日）。未填写的行视为未执行。"
        "填妥后在参数文件中以 attestations 指定本文件，重新运行检查。",
        "cl_not_covered": "数据未覆盖：",
        "cl_rejected": "上次被拒绝：",
        "cl_result_prompt": "请选择：符合、不符合、不适用",
        "cl_date_prompt": "年-月-日，不早于检查期间起始日",
    }
)
TEXT["en"].update(
    {
        "cov_title": "Clause coverage",
        "cov_intro": "Every checkable clause of the two guidances and the complaint procedures, and how this "
        "examination covered it: by data, by manual procedures, or both; clauses not covered are listed with "
        "the reason. Manual conclusions come from the examiner's checklist, validated row by row.",
        "cov_source": "Source",
        "cov_clauses": "Clauses",
        "cov_tested": "Tested by data",
        "cov_concluded": "Concluded",
        "cov_total": "Total",
        "cov_by_status": "By status",
        "cov_status": "Status",
        "cov_count": "Clauses",
        "cov_clause": "Clause",
        "cov_requirement": "Requirement",
        "cov_how": "Tested by",
        "cov_detail": "Detail",
        "cov_full_text": "Text of the clause",
        "cov_rules_run": "{n} rule(s) tested, {exc} exception(s)",
        "cov_open_mit": " ({open} open, {mit} approved)",
        "cov_not_run": "not tested: {rule} ({reason})",
        "cov_left_out": "not covered by the data: {what}",
        "cov_attested": "manual procedure: {result}, evidence {ref}, {by}, {on}",
        "cov_evidence": "evidence {ref}, {by}, {on}",
        "cov_manual_only": "manual procedure",
        "cov_att_file": "Manual-procedure checklist: {file}. {rows} rows filled: {ok} accepted, {bad} "
        "rejected; {blank} lines left empty (not performed). Row by row in attestations.csv.",
        "cov_att_none": "No manual-procedure checklist was given; manual clauses are shown as not performed. "
        "Produce one with auditlib checklist.",
        "cov_rejected": "Rejected checklist rows",
        "cov_row": "Row",
        "cov_reason": "Reason",
        "covst_tested_no_exception": "Tested by data: no exception",
        "covst_tested_exceptions": "Tested by data: exceptions",
        "covst_partly_tested": "Partly tested (the rest needs manual procedures)",
        "covst_not_tested_data_not_provided": "Not tested: data not provided",
        "covst_not_tested_rule_not_run": "Not tested: rule not run",
        "covst_manual_pass": "Manual procedure: pass",
        "covst_manual_fail": "Manual procedure: fail",
        "covst_manual_na": "Manual procedure: not applicable",
        "covst_manual_not_performed": "Manual procedure: not performed",
        "cl_title": "Manual-procedure checklist (clause coverage)",
        "cl_sheet": "Manual procedures",
        "cl_institution": "Institution",
        "cl_period": "Audit period",
        "cl_as_of": "As of",
        "cl_prepared": "Prepared by / on",
        "cl_reviewed": "Reviewed by / on",
        "cl_how": "How to fill: after performing a line's procedure, choose pass, fail or n/a under Result "
        "and fill the evidence reference (working-paper number or file name), who performed it and when "
        "(YYYY-MM-DD). Lines left empty count as not performed. Name this file as attestations in the params "
        "file and run the audit again.",
        "cl_not_covered": "Not covered by the data: ",
        "cl_rejected": "Rejected last time: ",
        "cl_result_prompt": "Choose pass, fail or n/a",
        "cl_date_prompt": "YYYY-MM-DD, not before the audit period starts",
    }
)


def _add(entries: dict[str, dict[str, str]]) -> None:
    """Add one part of the catalogue (a dict per language; a section's keys namespaced `family.key`)."""
    for lang, part in entries.items():
        TEXT[lang].update(part)


# Report section CMP (report/sections/cmp.py): keys `cmp.*`
_add(
    {
        "zh": {
            "cmp.overview": "投诉处理概况（信息性统计，非检查发现）",
            "cmp.no_table": "未提供投诉数据（complaints）。",
            "cmp.none_received": "检查期间内未受理投诉。",
            "cmp.summary": "检查期间（{start} 至 {end}）共受理投诉 {n} 件，其中一般投诉 {general} 件、"
            "重大投诉 {major} 件；截至检查基准日 {as_of} 已办结 {resolved} 件。",
            "cmp.volume": "投诉量",
            "cmp.by_month": "按受理月份",
            "cmp.by_channel": "按渠道",
            "cmp.by_category": "按类别",
            "cmp.month": "月份",
            "cmp.channel": "渠道",
            "cmp.category": "类别",
            "cmp.count": "件数",
            "cmp.general": "一般投诉",
            "cmp.major": "重大投诉",
            "cmp.total": "合计",
            "cmp.share": "占比",
            "cmp.month_chart": "每月受理的投诉",
            "cmp.month_alt": "检查期间每月受理投诉数量柱状图",
            "cmp.mix_alt": "按渠道和类别统计的投诉数量条形图",
            "cmp.uncategorised": "未分类",
            "cmp.other_categories": "其他类别",
            "cmp.response": "答复时效",
            "cmp.response_note": "答复所用工作日数 = 使答复恰好不逾期所需的最小工作日数 N（受理当日不计；"
            "答复落在非工作日的，计入其后第一个工作日）。期限：一般投诉 {general_days} 个工作日（CMP-002），"
            "重大投诉 {major_days} 个工作日（CMP-004）；虚线右侧为逾期答复。",
            "cmp.working_days": "答复所用工作日数",
            "cmp.deadline": "期限 {n} 个工作日",
            "cmp.response_alt": "一般投诉与重大投诉答复所用工作日数直方图，标出答复期限",
            "cmp.severity": "投诉类型",
            "cmp.received": "受理件数",
            "cmp.answered": "已答复",
            "cmp.on_time": "按期答复",
            "cmp.late": "逾期答复",
            "cmp.unanswered": "尚未答复",
            "cmp.median": "中位数（工作日）",
            "cmp.p90": "90 分位（工作日）",
            "cmp.no_calendar": "工作日历不包含 {year} 年，无法计算答复所用工作日数。",
            "cmp.no_responses": "检查期间受理的投诉均无答复记录。",
            "cmp.aging": "截至检查基准日未办结投诉的账龄",
            "cmp.aging_note": "未办结 = 受理日不晚于检查基准日 {as_of}，且无办结时间或办结时间晚于该日；"
            "账龄按自然日计算（检查基准日减受理日）。",
            "cmp.age": "账龄（自然日）",
            "cmp.age_0_3": "≤3 天",
            "cmp.age_4_10": "4–10 天",
            "cmp.age_11_30": "11–30 天",
            "cmp.age_31_90": "31–90 天",
            "cmp.age_over_90": ">90 天",
            "cmp.open_total": "未办结投诉共 {n} 件。",
            "cmp.no_open": "截至检查基准日没有未办结的投诉。",
            "cmp.aging_alt": "未办结投诉按账龄分组的柱状图",
            "cmp.repeat": "重复投诉",
            "cmp.repeat_text": "CMP-010 发现重复投诉 {n} 件（同一客户同一类别在 {days} 天内再次投诉），"
            "涉及客户 {customers} 名。",
            "cmp.repeat_none": "CMP-010 未发现重复投诉。",
            "cmp.repeat_not_run": "CMP-010 未运行，无重复投诉统计。",
        },
        "en": {
            "cmp.overview": "Complaint handling overview (information, not findings)",
            "cmp.no_table": "No complaints table was provided.",
            "cmp.none_received": "No complaint was received in the audit period.",
            "cmp.summary": "{n} complaints were received in the audit period ({start} to {end}): {general} "
            "general and {major} major; {resolved} were resolved by the as-of date {as_of}.",
            "cmp.volume": "Volumes",
            "cmp.by_month": "By month received",
            "cmp.by_channel": "By channel",
            "cmp.by_category": "By category",
            "cmp.month": "Month",
            "cmp.channel": "Channel",
            "cmp.category": "Category",
            "cmp.count": "Complaints",
            "cmp.general": "General",
            "cmp.major": "Major",
            "cmp.total": "Total",
            "cmp.share": "Share",
            "cmp.month_chart": "Complaints received per month",
            "cmp.month_alt": "Bar chart of complaints received per month",
            "cmp.mix_alt": "Bar charts of complaints by channel and by category",
            "cmp.uncategorised": "uncategorised",
            "cmp.other_categories": "other categories",
            "cmp.response": "Response times",
            "cmp.response_note": "Working days taken = the smallest N for which the reply would have been on "
            "time (the day of receipt does not count; a reply on a non-working day counts as the next "
            "working day). Deadlines: general complaints {general_days} working days (CMP-002), major "
            "complaints {major_days} (CMP-004); bars right of the dashed line are late replies.",
            "cmp.working_days": "Working days taken to reply",
            "cmp.deadline": "deadline {n} working days",
            "cmp.response_alt": "Histograms of working days taken to reply, general and major complaints, "
            "deadline marked",
            "cmp.severity": "Complaint type",
            "cmp.received": "Received",
            "cmp.answered": "Answered",
            "cmp.on_time": "On time",
            "cmp.late": "Late",
            "cmp.unanswered": "Not answered",
            "cmp.median": "Median (working days)",
            "cmp.p90": "90th percentile (working days)",
            "cmp.no_calendar": "The working-day calendar does not know the year {year}: working days to "
            "reply not computed.",
            "cmp.no_responses": "No complaint received in the period has a reply recorded.",
            "cmp.aging": "Complaints open at the as-of date, by age",
            "cmp.aging_note": "Open = received on or before the as-of date {as_of} and not resolved by the "
            "end of that day; age in calendar days (as-of date minus the day of receipt).",
            "cmp.age": "Age (calendar days)",
            "cmp.age_0_3": "≤3 days",
            "cmp.age_4_10": "4–10 days",
            "cmp.age_11_30": "11–30 days",
            "cmp.age_31_90": "31–90 days",
            "cmp.age_over_90": ">90 days",
            "cmp.open_total": "{n} complaints open.",
            "cmp.no_open": "No complaint was open at the as-of date.",
            "cmp.aging_alt": "Bar chart of open complaints by age",
            "cmp.repeat": "Repeat complaints",
            "cmp.repeat_text": "CMP-010 found {n} repeat complaints (same customer and category again within "
            "{days} days), from {customers} customers.",
            "cmp.repeat_none": "CMP-010 found no repeat complaint.",
            "cmp.repeat_not_run": "CMP-010 did not run: no repeat-complaint figures.",
        },
    }
)

# Report section RET (report/sections/ret.py): keys `ret.*`
_add(
    {
        "zh": {
            "ret.calendar": "备份日历",
            "ret.upcoming": "未来 12 个月保存期届满的档案（信息性统计，非检查发现）",
            "ret.success": "有成功备份",
            "ret.failed": "仅有失败的备份",
            "ret.none": "无备份",
            "ret.not_due": "检查基准日之后",
            "ret.no_backups": "未提供备份数据（backups），无法绘制备份日历。",
            "ret.no_archive": "未提供档案清单（archive_records），无法统计保存期届满的档案。",
            "ret.days": "期间内 {n} 个自然日：有成功备份 {success} 天，仅有失败的备份 {failed} 天，"
            "无备份 {none} 天。",
            "ret.month": "月份",
            "ret.day": "日",
            "ret.chart_title": "每日备份状态（按 backup_date）",
            "ret.alt": "检查期间每日备份状态日历",
            "ret.upcoming_note": "在检查基准日 {as_of} 之后 12 个月内（至 {until}）保存期届满、"
            "且在检查基准日仍保存的档案。届满日当天仍须保存，自次日起方可销毁。存续客户的身份资料尚无届满日，"
            "不在统计之列；投诉与录音档案无保存期规则，亦不统计。",
            "ret.none_upcoming": "未来 12 个月内没有保存期届满的档案。",
            "ret.type": "档案类型",
            "ret.end_month": "届满月份",
            "ret.count": "档案数",
            "ret.record_id": "档案编号",
            "ret.retention_end": "保存期届满日",
            "ret.examples": "示例（前 {n} 条）",
            "ret.not_provided": "未提供{table}，未统计{kind}。",
            "ret.customer_identity": "客户身份资料",
            "ret.transaction": "交易记录",
        },
        "en": {
            "ret.calendar": "Backup calendar",
            "ret.upcoming": "Records reaching the end of their retention in the next 12 months (information, "
            "not findings)",
            "ret.success": "successful backup",
            "ret.failed": "failed attempts only",
            "ret.none": "no backup",
            "ret.not_due": "after as_of",
            "ret.no_backups": "No backups table was provided: no backup calendar.",
            "ret.no_archive": "No archive_records table was provided: no retention overview.",
            "ret.days": "{n} calendar days in the period: {success} with a successful backup, {failed} with "
            "failed attempts only, {none} with no backup.",
            "ret.month": "Month",
            "ret.day": "Day",
            "ret.chart_title": "Daily backup status (by backup_date)",
            "ret.alt": "Calendar of daily backup status over the audit period",
            "ret.upcoming_note": "Records still held on the as-of date ({as_of}) whose retention ends within "
            "the following 12 months (up to {until}). A record is kept through its retention end and may be "
            "disposed of from the next day. Identity records of active customers have no end yet and are not "
            "counted; complaint and call-recording records have no retention rule and are not "
            "counted either.",
            "ret.none_upcoming": "No record reaches the end of its retention in the next 12 months.",
            "ret.type": "Record type",
            "ret.end_month": "Month of retention end",
            "ret.count": "Records",
            "ret.record_id": "Record",
            "ret.retention_end": "Retention end",
            "ret.examples": "Examples (first {n})",
            "ret.not_provided": "No {table} table was provided: {kind} not counted.",
            "ret.customer_identity": "customer identity",
            "ret.transaction": "transaction",
        },
    }
)

# Report section ABN (report/sections/abn.py): keys `abn.*`
_add(
    {
        "zh": {
            "abn.transfers": "资金划转时效（按业务日所在月份，信息性统计）",
            "abn.no_transfers": "未提供资金划转数据（fund_transfers），无法统计划转时效。",
            "abn.none_transfers": "检查期间内无资金划转。",
            "abn.transfers_summary": "检查期间内业务日的资金划转 {n} 笔：按时执行 {on_time} 笔，迟延执行 "
            "{late} 笔，截至检查基准日已到期仍未执行 {missing} 笔，尚未到期 {not_due} 笔（宽限 "
            "{grace} 分钟）。",
            "abn.on_time": "按时执行",
            "abn.late": "迟延执行",
            "abn.missing": "逾期未执行",
            "abn.not_due": "未到期",
            "abn.month": "月份",
            "abn.count": "笔数",
            "abn.late_share": "迟延或逾期占比",
            "abn.transfers_title": "每月资金划转执行情况",
            "abn.transfers_alt": "按月统计的资金划转按时、迟延与逾期未执行笔数",
            "abn.cutoff": "交易申请时间与交易日认定（信息性统计）",
            "abn.cutoff_summary": "检查期间内交易申请 {n} 笔，其中交易日认定不符合 {cutoff} 截止时间规则的 "
            "{bad} 笔：交易日 {cutoff} 及以后申请却记为当日 {after_cutoff} 笔，{cutoff} "
            "前申请却记为其后交易日 {before_cutoff} 笔，非交易日申请未记为下一交易日 {non_trading} 笔。",
            "abn.after_cutoff": "截止后申请记为当日",
            "abn.before_cutoff": "截止前申请记为其后",
            "abn.non_trading": "非交易日申请",
            "abn.all": "全部申请（右轴）",
            "abn.hour": "申请时刻（小时）",
            "abn.wrong": "交易日认定错误笔数",
            "abn.applications": "申请笔数",
            "abn.cutoff_title": "按申请时刻统计的交易日认定错误",
            "abn.cutoff_alt": "按申请小时统计的申请笔数与交易日认定错误笔数",
            "abn.no_calendar": "交易日历不包含 {year} 年，无法统计交易日认定（ABN-007 的结果见下）。",
            "abn.sweeps": "网点资金归集的收款账户（信息性统计）",
            "abn.sweeps_summary": "检查期间内业务日的网点资金归集划款 {n} 笔、金额 {amount}："
            "划入总部销售专用账户 {special} 笔（金额 {special_amount}），划入其他账户 {other} 笔（金额 "
            "{other_amount}），未记录收款账户 {none} 笔（金额 {none_amount}）。",
            "abn.sweeps_unconfigured": "检查期间内业务日的网点资金归集划款 {n} 笔、金额 {amount}。"
            "本次检查未提供总部销售专用账户清单，无法判断收款账户是否为专用账户（ABN-009 未测试）；"
            "下表仅列示收款账户分布。",
            "abn.none_sweeps": "检查期间内无网点资金归集划款。",
            "abn.account": "收款账户（已脱敏）",
            "abn.kind": "账户性质",
            "abn.special": "总部销售专用账户",
            "abn.other": "其他账户",
            "abn.unknown": "未判断",
            "abn.no_account": "（未记录）",
            "abn.sweep_count": "笔数",
            "abn.sweep_amount": "金额",
            "abn.branches": "网点数",
            "abn.more_accounts": "另有 {n} 个收款账户（{count} 笔，金额 {amount}），见工作底稿。",
        },
        "en": {
            "abn.transfers": "Fund transfer timeliness by month of business date (information)",
            "abn.no_transfers": "No fund_transfers provided: no transfer timeliness.",
            "abn.none_transfers": "No fund transfers in the period.",
            "abn.transfers_summary": "{n} transfers with a business date in the period: {on_time} executed "
            "on time, {late} late, {missing} not executed and overdue at the as-of date, {not_due} not yet "
            "due (grace {grace} minute(s)).",
            "abn.on_time": "on time",
            "abn.late": "late",
            "abn.missing": "not executed, overdue",
            "abn.not_due": "not yet due",
            "abn.month": "Month",
            "abn.count": "Transfers",
            "abn.late_share": "Late or overdue share",
            "abn.transfers_title": "Fund transfers by month",
            "abn.transfers_alt": "Transfers on time, late and overdue by month",
            "abn.cutoff": "Application time and trade date (information)",
            "abn.cutoff_summary": "{n} applications in the period, {bad} with a trade date that breaks the "
            "{cutoff} cut-off rule: {after_cutoff} at or after {cutoff} booked into the same day, "
            "{before_cutoff} before {cutoff} pushed to a later day, {non_trading} on a non-trading day not "
            "booked to the next trading day.",
            "abn.after_cutoff": "after cut-off, booked same day",
            "abn.before_cutoff": "before cut-off, booked later",
            "abn.non_trading": "non-trading day",
            "abn.all": "all applications (right axis)",
            "abn.hour": "Hour of application",
            "abn.wrong": "Wrong trade date",
            "abn.applications": "Applications",
            "abn.cutoff_title": "Wrong trade dates by hour of application",
            "abn.cutoff_alt": "Applications and wrong trade dates by hour of application",
            "abn.no_calendar": "The trading calendar does not know the year {year}: no trade-date figures "
            "(ABN-007's result is below).",
            "abn.sweeps": "Where branch sweeps went (information)",
            "abn.sweeps_summary": "{n} branch sweeps with a business date in the period, {amount} in all: "
            "{special} into a head-office sales special account ({special_amount}), {other} into other "
            "accounts ({other_amount}), {none} with no receiving account recorded ({none_amount}).",
            "abn.sweeps_unconfigured": "{n} branch sweeps with a business date in the period, {amount} in "
            "all. No list of head-office sales special accounts was provided, so whether they reached one "
            "cannot be judged (ABN-009 not tested); the table only shows where they went.",
            "abn.none_sweeps": "No branch sweeps in the period.",
            "abn.account": "Receiving account (masked)",
            "abn.kind": "Kind",
            "abn.special": "head-office sales special account",
            "abn.other": "other account",
            "abn.unknown": "not judged",
            "abn.no_account": "(not recorded)",
            "abn.sweep_count": "Sweeps",
            "abn.sweep_amount": "Amount",
            "abn.branches": "Branches",
            "abn.more_accounts": "{n} more receiving accounts ({count} sweeps, {amount}) in the "
            "working papers.",
        },
    }
)

# Report section SUIT (report/sections/suit.py): keys `suit.*`
_add(
    {
        "zh": {
            "suit.heading": "产品风险等级与投资者风险承受能力（信息性统计）",
            "suit.missing": "未提供{tables}，无法绘制适用性热力图。",
            "suit.none": "检查期间内无已确认的认购、申购、定投交易。",
            "suit.summary": "检查期间内已确认的认购、申购、定投共 {n} 笔："
            "产品风险等级高于投资者风险承受能力（按可销售矩阵，红框）{mismatch} 笔，其中未签署风险不匹配确认 "
            "{unconfirmed} 笔；申请前无任何风险测评 {none} 笔；风险等级标签无法识别 {unknown} 笔。",
            "suit.investor": "投资者风险承受能力（申请时最近一次测评）",
            "suit.product": "产品风险等级",
            "suit.no_assessment": "无测评",
            "suit.unrecognised": "无法识别",
            "suit.title": "已确认的认购/申购/定投笔数",
            "suit.alt": "按产品风险等级与投资者风险承受能力统计的销售笔数热力图",
            "suit.note": "格中数字为笔数；红框为可销售矩阵不允许的组合，"
            "其下“未确认”为其中未签署风险不匹配确认的笔数。",
            "suit.unconfirmed_short": "未确认 {n}",
            "suit.cell_table": "不匹配组合明细",
            "suit.pair": "组合",
            "suit.sales": "笔数",
            "suit.unconfirmed": "未签署确认",
            "suit.history": "已提供产品风险评级历史：每笔销售按销售当日有效的产品风险评级判断。{unrated}",
            "suit.unrated": "其中 {n} 笔销售当日产品尚无有效评级，未计入上图，另作为例外报告。",
            "suit.no_history": "未提供产品风险评级历史：每笔销售按产品当前的风险评级判断。",
            "suit.later": "其中 {n} 笔已测评投资者的销售，所依据的产品评级日期晚于销售当日（销售时该评级尚不"
            "存在），这些销售中 {k} 笔被判定为不匹配的例外。",
            "suit.later_none": "所依据的产品评级日期均不晚于销售当日。",
        },
        "en": {
            "suit.heading": "Product risk against investor tolerance (information)",
            "suit.missing": "No {tables} provided: no suitability heat map.",
            "suit.none": "No confirmed subscription, purchase or regular investment in the period.",
            "suit.summary": "{n} confirmed subscriptions, purchases and regular investments in the period: "
            "{mismatch} with the product's risk above the investor's tolerance under the matching matrix "
            "(red outline), {unconfirmed} of them without a signed mismatch confirmation; {none} with no "
            "risk assessment before the application; {unknown} with a risk label that is not recognised.",
            "suit.investor": "Investor tolerance (latest assessment at the application)",
            "suit.product": "Product risk",
            "suit.no_assessment": "none",
            "suit.unrecognised": "unrecognised",
            "suit.title": "Confirmed purchase-type sales",
            "suit.alt": "Heat map of sales by product risk and investor tolerance",
            "suit.note": "Numbers are sales; red outlines mark combinations the matching matrix does not "
            "allow, with the number of those sales that had no signed mismatch confirmation.",
            "suit.unconfirmed_short": "unconf. {n}",
            "suit.cell_table": "Mismatched combinations",
            "suit.pair": "Combination",
            "suit.sales": "Sales",
            "suit.unconfirmed": "No confirmation",
            "suit.history": "The product rating history was provided: each sale is judged by the product's "
            "rating in force on the day of the sale.{unrated}",
            "suit.unrated": " On the day of {n} of the sales the product had no rating in force; they are "
            "not in the chart and are reported as exceptions of their own.",
            "suit.no_history": "No product rating history was provided: each sale is judged by the product's "
            "current rating.",
            "suit.later": "For {n} sales to assessed investors that rating is dated after the day of the "
            "sale (it did not exist when the sale was made); {k} of these sales were found unsuitable.",
            "suit.later_none": "No sale rests on a rating dated after the day of the sale.",
        },
    }
)

# Report section ACC (report/sections/acc.py): keys `acc.*`
_add(
    {
        "zh": {
            "acc.heading": "账户与客户身份：检查要求与检查结果",
            "acc.required": "检查要求：个人客户须以有效身份证件开立账户，居民身份证号码须为 18 位、"
            "出生日期真实且不晚于开户日、校验码正确（GB 11643-1999）；"
            "同一证件号码不得登记于姓名不同的多名客户；交易须发生在客户业务关系存续期内（开户日至销户日）。",
            "acc.ids": "检查期间内存续、以居民身份证登记（或未登记证件类型）的个人客户 {n} 名，"
            "身份证号码无效 {bad} 名（占 {rate}）。",
            "acc.fifteen": "其中 15 位旧号码 {n} 名，需换领或补登 18 位号码。",
            "acc.shared": "与姓名不同的其他客户登记同一证件号码的客户 {n} 名，涉及号码 {numbers} 个。",
            "acc.trades": "检查期间内已确认的交易 {n} 笔，发生在业务关系存续期之外 {bad} 笔：早于开户日 "
            "{before} 笔，晚于销户日 {after} 笔。",
            "acc.not_tested": "{what}未检查：{reason}",
            "acc.what_ids": "身份证号码",
            "acc.what_shared": "共用证件号码",
            "acc.what_trades": "交易与业务关系存续期",
            "acc.kind": "问题类型",
            "acc.customers": "客户数",
            "acc.share": "占无效号码比例",
            "acc.title": "身份证号码问题（按类型）",
            "acc.alt": "按问题类型统计的无效身份证号码客户数",
            "acc.none_bad": "未发现无效的身份证号码。",
        },
        "en": {
            "acc.heading": "Accounts and customer identity: what was required and what was found",
            "acc.required": "Required: individual customers open accounts with a valid identity document; a "
            "resident identity number has 18 characters, a real birth date not after the account was opened "
            "and the right check character (GB 11643-1999); one ID number is not recorded for customers of "
            "different names; trades happen within the customer's relationship (from the opening to the "
            "closing date).",
            "acc.ids": "{n} individual customers with a relationship in the period and a resident identity "
            "card (or no ID type recorded): {bad} with an invalid ID number ({rate}).",
            "acc.fifteen": "Of these, {n} with a 15-digit pre-1999 number, to be replaced by the "
            "18-character one.",
            "acc.shared": "{n} customers share an ID number with a customer of another name "
            "({numbers} number(s)).",
            "acc.trades": "{n} confirmed transactions in the period, {bad} outside the customer's "
            "relationship: {before} before the opening date, {after} after the closing date.",
            "acc.not_tested": "{what} not checked: {reason}",
            "acc.what_ids": "Resident ID numbers",
            "acc.what_shared": "Shared ID numbers",
            "acc.what_trades": "Trades within the relationship",
            "acc.kind": "Problem",
            "acc.customers": "Customers",
            "acc.share": "Share of invalid numbers",
            "acc.title": "Resident ID number problems by kind",
            "acc.alt": "Customers with an invalid resident ID number, by kind of problem",
            "acc.none_bad": "No invalid resident ID number was found.",
        },
    }
)

# Report section INFO (report/sections/info.py): keys `info.*`
_add(
    {
        "zh": {
            "info.heading": "业务数据修改的审批（信息性统计）",
            "info.missing": "未提供业务数据修改记录，无法检查业务数据修改是否经过审批。",
            "info.required": "要求：对{tables}数据的修改，须事先经修改人以外的人员审批（审批时间不晚于"
            "修改时间）。",
            "info.found": "检查期间内对上述数据的修改共 {n} 条，其中 {ok} 条事先经他人审批，{bad} "
            "条未经独立的事先审批。",
            "info.none": "检查期间内无对上述数据的修改记录。",
            "info.other": "另有 {n} 条修改涉及其他数据表，不在检查范围内。",
            "info.table": "业务数据",
            "info.changes": "修改条数",
            "info.no_approver": "无审批人",
            "info.self_approved": "修改人本人审批",
            "info.no_time": "无审批时间",
            "info.late": "审批晚于修改",
            "info.note": "一条修改可同时属于多种情形。",
        },
        "en": {
            "info.heading": "Approval of changes to business data (information)",
            "info.missing": "No record of changes to business data was provided: whether such changes were "
            "approved could not be checked.",
            "info.required": "Required: every change to {tables} data is approved beforehand (no later than "
            "the change) by someone other than the person making it.",
            "info.found": "{n} changes to these data in the period: {ok} approved beforehand by someone "
            "else, {bad} without independent prior approval.",
            "info.none": "No change to these data in the period.",
            "info.other": "{n} further changes concern other tables and are outside this check.",
            "info.table": "Business data",
            "info.changes": "Changes",
            "info.no_approver": "No approver",
            "info.self_approved": "Approved by its maker",
            "info.no_time": "No approval time",
            "info.late": "Approved after the change",
            "info.note": "One change can fall under more than one heading.",
        },
    }
)

# Report section FEE (report/sections/fee.py): keys `fee.*`
_add(
    {
        "zh": {
            "fee.heading": "申购费用与合同最高费率（信息性统计）",
            "fee.missing": "未提供{what}，无法检查收取的申购费用是否超过合同约定的最高费率。",
            "fee.fee": "交易收取的费用",
            "fee.rate": "产品合同约定的最高费率",
            "fee.and": "和",
            "fee.required": "要求：认购、申购、定投收取的费用占申请金额的比例，不得超过产品合同约定的最高费率"
            "（允许误差 {tolerance}）。",
            "fee.found": "检查期间内已确认的认购、申购、定投中，已检查 {n} 笔（金额大于零且费用和费率齐全），"
            "其中 {bad} 笔超过合同最高费率，超出合同费率部分的费用合计 {excess} 元。",
            "fee.left_out": "另有 {n} 笔缺少金额、费用或合同费率，未能检查。",
            "fee.none": "检查期间内没有可检查的认购、申购、定投。",
            "fee.title": "收取费率占合同最高费率的比例",
            "fee.alt": "按收取费率占合同最高费率比例统计的交易笔数",
            "fee.bands": (
                "免费",
                "不超过一半",
                "一半至九成",
                "九成至上限",
                "超过上限但在允许误差内",
                "超过上限及允许误差",
            ),
            "fee.count": "笔数",
            "fee.product": "产品",
            "fee.checked": "已检查笔数",
            "fee.exceptions": "超限笔数",
            "fee.excess": "超出合同费率部分（元）",
            "fee.top": "超限交易所涉产品（按超出金额排序，前 {n} 个）",
        },
        "en": {
            "fee.heading": "Purchase fees against the contract's highest rate (information)",
            "fee.missing": "No {what} was provided: whether purchase fees exceed the contract's highest rate "
            "could not be checked.",
            "fee.fee": "fee charged on each transaction",
            "fee.rate": "highest fee rate of each product's contract",
            "fee.and": " and ",
            "fee.required": "Required: the fee on a subscription, purchase or regular investment, as a share "
            "of the amount, does not exceed the highest rate of the product's contract (tolerance "
            "{tolerance}).",
            "fee.found": "{n} confirmed subscriptions, purchases and regular investments of the period were "
            "checked (amount above zero, fee and rate given): {bad} above the contract's highest rate, with "
            "{excess} charged beyond the contract rate in all.",
            "fee.left_out": "{n} more lacked the amount, the fee or the contract rate and could "
            "not be checked.",
            "fee.none": "No subscription, purchase or regular investment of the period could be checked.",
            "fee.title": "Fee charged as a share of the contract's highest rate",
            "fee.alt": "Transactions by fee charged as a share of the contract's highest rate",
            "fee.bands": (
                "free",
                "up to half",
                "half to 90%",
                "90% to the limit",
                "above the limit, within tolerance",
                "above the limit and tolerance",
            ),
            "fee.count": "Transactions",
            "fee.product": "Product",
            "fee.checked": "Checked",
            "fee.exceptions": "Above the limit",
            "fee.excess": "Beyond the contract rate",
            "fee.top": "Products of the transactions above the limit (by amount beyond the rate, first {n})",
        },
    }
)

# Report section: approved exceptions (mitigations) (report/mitigations.py): keys `mit.*`
_add(
    {
        "zh": {
            "mit.title": "已批准例外的有效期与使用情况",
            "mit.none": "本次检查未列出已批准的例外。",
            "mit.intro": "本次检查共列出已批准的例外 {n} 项，覆盖发现 {covered} 条。"
            "已批准的例外仅在有效期内覆盖发现：岗位冲突与离职后保留岗位等持续性发现，"
            "须在其期间内最后一日仍有效方视为已批准例外；因有效期届满而未被覆盖、仍列为待整改的发现 "
            "{lapsed} 条。",
            "mit.expired": "检查期间内到期的例外（{n} 项）",
            "mit.soon": "检查基准日后 {days} 日内（至 {until}）到期的例外（{n} 项）",
            "mit.unused": "未匹配任何发现的例外（{n} 项）",
            "mit.empty": "无。",
            "mit.rule": "规则",
            "mit.target": "对象",
            "mit.reason": "批准理由",
            "mit.valid_until": "有效期至",
            "mit.matched": "匹配发现",
            "mit.covered": "覆盖发现",
            "mit.lapsed": "到期后未覆盖",
            "mit.staff": "员工 {id}",
            "mit.entity": "{id}",
        },
        "en": {
            "mit.title": "Approved exceptions: validity and use",
            "mit.none": "No approved exceptions were listed for this audit.",
            "mit.intro": "{n} approved exception(s) were listed for this audit, covering {covered} "
            "finding(s). An approved exception covers findings only while it is valid: a lasting finding (a "
            "conflict of roles, a role kept after leaving) is covered only if the exception is still valid "
            "on its last day in the period. {lapsed} finding(s) stay open because the exception had ended.",
            "mit.expired": "Exceptions that ended inside the audit period ({n})",
            "mit.soon": "Exceptions ending within {days} days after the as-of day, by {until} ({n})",
            "mit.unused": "Exceptions that matched no finding ({n})",
            "mit.empty": "None.",
            "mit.rule": "Rule",
            "mit.target": "Target",
            "mit.reason": "Reason",
            "mit.valid_until": "Valid until",
            "mit.matched": "Findings matched",
            "mit.covered": "Findings covered",
            "mit.lapsed": "Not covered after it ended",
            "mit.staff": "staff {id}",
            "mit.entity": "{id}",
        },
    }
)
