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
        "concl_found": "其中 {with_exc} 项规则发现例外，共计 {n} 项发现（高 {high} 项、中 {medium} 项、低 {low} 项）；"
        "{mitigated} 项属于已批准的例外，其余 {open} 项待机构整改。",
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
        "limit_source": "检查所用数据均由机构导出提供，检查组未将其与机构的源系统（销售系统、登记结算系统、投诉系统等）核对；"
        "数据的完整性与准确性由机构负责。",
        "limit_missing": "机构未提供以下数据，依赖这些数据的规则未能测试，本报告对相关事项不发表结论：{tables}。",
        "limit_quality": "载入时共隔离 {n} 行不合格记录（原因见“数据质量”），这些记录未参与测试，"
        "其中可能存在的例外未被发现。",
        "limit_manual": "本报告的规则测试仅覆盖可由数据检查的要求；需查阅文件、访谈或现场查看的要求见条款覆盖与检查组的人工程序。",
        "limit_none_missing": "机构提供了规则所需的全部数据表。",
        "reason_missing": "未提供数据：{tables}",
        "method_population": "全量测试：每条规则对其检查范围内的全部记录逐条检查，不抽样；每项例外即一项发现，"
        "以发现编号标识（由机构、规则与对象计算得出，跨期稳定，可与上期结果及机构反馈逐项对应）。",
        "method_severity": "严重程度：高、中、低为规则的默认分级，依据被违反要求对投资者权益与机构内部控制的影响确定；"
        "已批准的例外仍列为发现，状态为“已批准例外”。",
        "method_calendar": "工作日历：工作日按国务院办公厅公布的法定节假日安排确定（含调休上班日，不含节假日），"
        "取自 chinese-calendar {cc} 维护的节假日表{extra}；工作时间为 {start}—{end}{lunch}。"
        "交易日历：上海证券交易所交易日，取自 exchange-calendars {xc} 的 XSHG 日历。",
        "method_calendar_extra": "，并按本次参数增加节假日 {h} 天、调休工作日 {w} 天",
        "method_lunch": "（午休 {start}—{end} 不计）",
        "method_sample": "审计抽样：为便于人工复核，每条规则从其检查范围内抽取至多 {n} 条记录；"
        "抽样以机构、规则与检查期间计算的固定种子确定（SHA-256 摘要，SplitMix64 排序），相同数据与参数总得到相同样本，"
        "样本见工作底稿 findings.xlsx。",
        "method_masking": "个人信息（姓名、证件号码、电话、银行账号）在本报告中已脱敏。",
        "method_engine_memory": "全部数据一次读入一台计算机的内存进行检查。",
        "method_engine_partitioned": "因数据量较大，数据按客户、网点、业务事项等划分为 {n} 个分区逐区检查{where}，"
        "再合并各区结果；合并结果与整体一次检查的结果完全相同。",
        "method_engine_cluster": "（在计算集群上并行运行）",
        "method_tools": "检查工具：auditlib {version}；运行编号 {run_id}；数据指纹 {fingerprint}（全部输入文件 SHA-256 的摘要）。",
        "params_intro": "各规则本次采用的检查要求（含参数取值）如下；标注“已调整”的规则按参数文件改变了默认值。",
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
        "concl_found": "{with_exc} rules found exceptions, {n} findings in all ({high} high, {medium} medium, "
        "{low} low severity); {mitigated} are approved exceptions and {open} remain open for the institution "
        "to remedy.",
        "concl_clean": "No tested rule found an exception.",
        "concl_high": "The {n} high-severity findings concern these rules:",
        "concl_no_high": "There is no high-severity finding.",
        "concl_missing": "The institution did not provide {tables}, so {k} rules could not be tested ({codes}); "
        "this report gives no conclusion on those matters.",
        "concl_errors": "{k} rules could not be run and give no conclusion ({codes}).",
        "concl_quality": "{n} rows failing the data checks were quarantined on loading and not tested (see Data "
        "quality).",
        "concl_basis": "All data was supplied by the institution and was not reconciled to its source systems; "
        "the conclusion rests on that data being complete and accurate.",
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
        "limit_source": "All data was exported and supplied by the institution; the examiners did not reconcile it "
        "to the institution's source systems (sales, registration and settlement, complaints). The institution is "
        "responsible for its completeness and accuracy.",
        "limit_missing": "The institution did not provide the following data; the rules that need it were not "
        "tested and this report gives no conclusion on those matters: {tables}.",
        "limit_quality": "{n} rows failing the data checks were quarantined on loading (reasons under Data "
        "quality); they were not tested, and any exception among them is not reported.",
        "limit_manual": "The rule tests cover the requirements that data can show; requirements that need documents, "
        "interviews or inspection are covered by the clause coverage and the examiners' manual procedures.",
        "limit_none_missing": "The institution provided every table the rules need.",
        "reason_missing": "data not provided: {tables}",
        "method_population": "Full-population tests: each rule checks every record in its scope, without "
        "sampling; each exception is one finding, identified by a finding id (derived from the institution, the "
        "rule and the entity, stable across periods, so that it can be matched with the previous period and the "
        "institution's responses).",
        "method_severity": "Severity: high, medium and low are each rule's default rating, by the effect of the "
        "requirement broken on investors and on internal control; approved exceptions are still listed, with the "
        "status approved exception.",
        "method_calendar": "Working days: the statutory holiday arrangements published by the State Council "
        "(make-up working days count, holidays do not), from chinese-calendar {cc}{extra}; working hours "
        "{start} to {end}{lunch}. Trading days: the Shanghai Stock Exchange calendar (XSHG) of exchange-calendars "
        "{xc}.",
        "method_calendar_extra": ", with {h} holidays and {w} make-up working days added by this audit's "
        "parameters",
        "method_lunch": " (lunch break {start} to {end} excluded)",
        "method_sample": "Audit sample: for re-performance by hand, up to {n} records in each rule's scope are "
        "drawn with a fixed seed derived from the institution, the rule and the period (SHA-256 digest, SplitMix64 "
        "ordering); the same data and parameters always give the same sample, listed in the working papers, "
        "findings.xlsx.",
        "method_masking": "Personal data (names, identity numbers, phone numbers, bank accounts) is masked in this "
        "report.",
        "method_engine_memory": "All data was read into one computer's memory and tested at once.",
        "method_engine_partitioned": "Because of its size, the data was divided into {n} partitions (by customer, "
        "branch, business item and the like), tested partition by partition{where}, and the results combined; "
        "the combined results are identical to testing all the data at once.",
        "method_engine_cluster": " on a computing cluster",
        "method_tools": "Tool: auditlib {version}; run id {run_id}; data fingerprint {fingerprint} (a digest of the "
        "SHA-256 of every input file).",
        "params_intro": "What each rule required in this audit, with its parameter values; rules marked adjusted "
        "had a default changed by the params file.",
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


#: the INFO and FEE families (rules.md v2) and the business tables INFO-002 names in its requirement
TEXT["zh"].update({"family_INFO": "信息与数据管理", "family_FEE": "费用"})
TEXT["en"].update({"family_INFO": "Information and data management", "family_FEE": "Fees"})
VOCAB["zh"].update(
    {"transactions": "交易", "fund_transfers": "资金划转", "customers": "客户", "account_events": "账户事件"}
)
#: a rule block's count of rows left out of the population for a missing value (rules.md v2)
TEXT["zh"].update({"left_out": "因缺少所需数据未纳入检查：{n}"})
TEXT["en"].update({"left_out": "left out for a missing value: {n}"})
#: the data added in contract v2, named where a rule is not tested without it (未提供数据：交易费用(transactions.fee))
VOCAB["zh"].update(
    {
        "transactions.fee": "交易费用",
        "products.max_fee_rate": "产品合同最高费率",
        "product_ratings": "产品评级历史",
        "data_changes": "业务数据修改记录",
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
    """A vocabulary value in the report language only (``宣传推介``, ``information processing``): the examiner's
    report carries no codes; tools read the codes from findings.csv and the working papers' code columns."""
    return VOCAB[lang].get(value, value)


# clause coverage and the manual-procedure checklist (report/coverage.py, report/checklist.py)
TEXT["zh"].update(
    {
        "cov_title": "条款覆盖",
        "cov_intro": "下表逐条列出两项指导意见及投诉处理程序中可检查的条款，说明本次检查以数据检查、人工检查程序或两者结合的方式覆盖的情况；未覆盖的条款及原因一并列示。人工检查程序的结论来自检查人员填写并经逐行校验的人工检查程序底稿。",
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
        "cov_att_file": "人工检查程序底稿：{file}。填写 {rows} 行，接受 {ok} 行，拒绝 {bad} 行；另有 {blank} 行未填写（未执行）。逐行结果见 attestations.csv。",
        "cov_att_none": "本次检查未提供人工检查程序底稿；人工检查条款均列为“未执行”。底稿可用 auditlib checklist 生成。",
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
        "cl_how": "填写说明：每行执行所列检查程序后，在“检查结论”栏选择符合、不符合或不适用，填写证据索引（底稿编号或文件名）、执行人和执行日期（年-月-日）。未填写的行视为未执行。填妥后在参数文件中以 attestations 指定本文件，重新运行检查。",
        "cl_not_covered": "数据未覆盖：",
        "cl_rejected": "上次被拒绝：",
        "cl_result_prompt": "请选择：符合、不符合、不适用",
        "cl_date_prompt": "年-月-日，不早于检查期间起始日",
    }
)
TEXT["en"].update(
    {
        "cov_title": "Clause coverage",
        "cov_intro": "Every checkable clause of the two guidances and the complaint procedures, and how this examination covered it: by data, by manual procedures, or both; clauses not covered are listed with the reason. Manual conclusions come from the examiner's checklist, validated row by row.",
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
        "cov_att_file": "Manual-procedure checklist: {file}. {rows} rows filled: {ok} accepted, {bad} rejected; {blank} lines left empty (not performed). Row by row in attestations.csv.",
        "cov_att_none": "No manual-procedure checklist was given; manual clauses are shown as not performed. Produce one with auditlib checklist.",
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
        "cl_how": "How to fill: after performing a line's procedure, choose pass, fail or n/a under Result and fill the evidence reference (working-paper number or file name), who performed it and when (YYYY-MM-DD). Lines left empty count as not performed. Name this file as attestations in the params file and run the audit again.",
        "cl_not_covered": "Not covered by the data: ",
        "cl_rejected": "Rejected last time: ",
        "cl_result_prompt": "Choose pass, fail or n/a",
        "cl_date_prompt": "YYYY-MM-DD, not before the audit period starts",
    }
)
