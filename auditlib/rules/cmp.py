"""CMP: complaint handling (the seed's complaint procedures "CP"; IC 29, 46, 48).

Every rule tests the complaints *received* in the audit period (received_at in
[period_start, period_end]). The clocks follow rules.md "Time rules":

* "within N working days of T": by 23:59:59 of the N-th working day strictly after T's calendar
  date (`WorkCalendar.workday_deadline`; 调休 make-up weekends count, holidays do not);
* "within N working minutes/hours of T": the instant at which N working minutes have elapsed,
  counted from T or from the next start of working time (`WorkCalendar.working_time_deadline`);
* inclusive: an action exactly at the deadline is on time; one second later is late;
* a missing action is a finding (overdue) only when its deadline is before `as_of` 00:00, i.e. the
  deadline had passed before the as-of day began; missing and not yet due is no finding;
* an action recorded after its deadline is a finding (late), whenever it was recorded.

Everything is vectorized: one calendar call per rule over all complaints, boolean masks, no
Python loop over rows (the whole family runs on 10^6 complaints in a few seconds; see
benchmarks/bench_cmp.py and docs/complaints.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import RuleContext, RuleOutput, Scope, evidence, fmt_ts, no_findings, rule

TABLES = ("complaints",)

#: complaint severities as shown in finding details
SEVERITY_LABELS = {"general": {"zh": "一般投诉", "en": "general"}, "major": {"zh": "重大投诉", "en": "major"}}
#: usual complaint categories (the contract's examples); other values are shown as recorded
CATEGORY_LABELS = {
    "service_attitude": {"zh": "服务态度", "en": "service attitude"},
    "suitability": {"zh": "适用性", "en": "suitability"},
    "product": {"zh": "产品", "en": "product"},
    "fees": {"zh": "费用", "en": "fees"},
    "system": {"zh": "系统", "en": "system"},
    "other": {"zh": "其他", "en": "other"},
}
CHANNEL_LABELS = {
    "phone": {"zh": "电话", "en": "phone"},
    "letter": {"zh": "信函", "en": "letter"},
    "visit": {"zh": "现场", "en": "visit"},
    "online": {"zh": "网络", "en": "online"},
    "regulator": {"zh": "监管转办", "en": "regulator"},
}


def vocab(values: pd.Series, labels: dict[str, dict[str, str]], lang: str) -> pd.Series:
    """Vocabulary values in one language; values outside the vocabulary are kept as recorded."""
    mapping = {k: v[lang] for k, v in labels.items()}
    return values.map(mapping).fillna(values).astype("string")


#: the columns every finding shows (the rules read only these and their own action columns)
BASE_COLUMNS = ["_row", "complaint_id", "customer_id", "received_at", "channel", "severity"]


def received_in_period(ctx: RuleContext, *columns: str) -> pd.DataFrame:
    """The complaints this family tests: received_at on a day of the audit period.

    Only BASE_COLUMNS and `columns` are kept: selecting before filtering spares copying the
    other (text) columns of 10^6 rows."""
    c = ctx.tables["complaints"]
    c = c[list(dict.fromkeys(BASE_COLUMNS + list(columns)))]
    return c[ctx.in_period(c["received_at"]).to_numpy(dtype=bool)]


def blank(s: pd.Series) -> pd.Series:
    """True where a text value is missing or only whitespace."""
    return s.astype("string").str.strip().fillna("").eq("").to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------
# deadline rules: one template pair, one checker


@dataclass(frozen=True)
class Action:
    """A complaint-handling step on the clock, in the words of its finding's detail."""

    zh: str  #: what was due: 应于 … 前{zh}
    noun_en: str  #: what was due: {noun_en} due by …
    done_en: str  #: what happened: {done_en} at …


FORWARD = Action("转交处理部门", "forwarding to the handling department", "forwarded")
REPLY = Action("答复", "reply", "answered")
INTERIM = Action("采取临时处置措施", "interim measure", "interim measure taken")
REGISTER = Action("登记", "registration", "registered")
REPORT = Action("报告合规部门", "report to compliance", "reported")
CALLBACK = Action("回访", "callback", "called back")


def _timed_detail(action: Action, anchor: str = "received") -> dict[str, str]:
    """Detail templates: what was due when, and what happened (or did not)."""
    resolved = anchor == "resolved"
    return {
        "zh": "投诉 {complaint_id}（{kind}，{received_at} 受理"
        + ("，{anchor_at} 办结" if resolved else "")
        + "）应于 {deadline} 前"
        + action.zh
        + "，{outcome}",
        "en": "Complaint {complaint_id} ({kind}, received {received_at}"
        + (", resolved {anchor_at}" if resolved else "")
        + "): "
        + action.noun_en
        + " due by {deadline}; {outcome}",
    }


def _where(c: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """The complaints whose `column` is `value`."""
    return c[(c[column] == value).to_numpy(dtype=bool)]


def complaint_head(h: pd.DataFrame) -> dict[str, pd.Series]:
    """The leading columns of every complaint finding: the complaint (the entity), when it was received and
    the customer."""
    return {
        "entity_id": h["complaint_id"],
        "occurred_at": h["received_at"],
        "complaint_id": h["complaint_id"],
        "customer_id": h["customer_id"],
    }


def complaint_findings(population: int, h: pd.DataFrame, **columns) -> RuleOutput:
    """One finding per complaint in `h`: the complaint, its customer, channel and severity, when it was
    received, then the rule's own `columns`."""
    severity = h["severity"]
    return RuleOutput(
        population,
        pd.DataFrame(
            {
                **complaint_head(h),
                "channel": h["channel"],
                "severity": severity,
                "kind_zh": vocab(severity, SEVERITY_LABELS, "zh"),
                "kind_en": vocab(severity, SEVERITY_LABELS, "en"),
                "received_at": fmt_ts(h["received_at"]),
                **columns,
                "evidence": evidence("complaints", h["_row"]),
            }
        ).reset_index(drop=True),
    )


def deadline_findings(
    ctx: RuleContext,
    rows: pd.DataFrame,
    done_col: str,
    deadline: np.ndarray,
    action: Action,
    anchor_col: str = "received_at",
) -> RuleOutput:
    """Late or overdue actions among `rows` (the rule's population), one finding per complaint.

    late: `done_col` recorded after the deadline (inclusive deadline: equal is on time);
    overdue: `done_col` missing and the deadline before as_of 00:00.
    """
    due = pd.Series(deadline, index=rows.index, dtype="datetime64[ns]")
    done = rows[done_col]
    late = (done.notna() & (done > due)).to_numpy(dtype=bool)
    overdue = (done.isna() & (due < ctx.as_of)).to_numpy(dtype=bool)
    hit = late | overdue
    if not hit.any():
        return RuleOutput(len(rows), no_findings())
    h = rows[hit]
    is_late = late[hit]
    done_s = fmt_ts(h[done_col]).fillna("")
    as_of = ctx.as_of.strftime("%Y-%m-%d")
    return complaint_findings(
        len(rows),
        h,
        anchor_at=fmt_ts(h[anchor_col]),
        deadline=fmt_ts(due[hit]),
        done_at=done_s,
        status=np.where(is_late, "late", "overdue"),
        outcome_zh=np.where(
            is_late, "实际于 " + done_s + " " + action.zh, f"尚未{action.zh}（截至检查基准日 {as_of} 已逾期）"
        ),
        outcome_en=np.where(
            is_late, action.done_en + " at " + done_s, f"no {action.noun_en} yet (overdue as of {as_of})"
        ),
    )


# --------------------------------------------------------------------------------------------
# CMP-001 .. CMP-006, CMP-008: clocks


@rule(
    "CMP-001",
    sample=Scope("complaints"),
    family="CMP",
    severity="low",
    tables=TABLES,
    cites=("IC 29(4)", "CP-2", "CP-3"),
    entity="complaint_id",
    params={"forward_working_minutes": 30},
    title={
        "zh": "投诉未及时转交处理部门",
        "en": "Complaint not forwarded to the handling department in time",
    },
    requirement={
        "zh": "投诉受理后须在 {forward_working_minutes} 分钟（工作时间）内转交处理部门（工作时间外受理的，"
        "自下一个工作时间开始起算；恰在期限时点转交视为及时）",
        "en": "A complaint must be forwarded to the handling department within {forward_working_minutes} "
        "minutes of working time of receipt (counted from the next start of working time if received "
        "outside it; forwarding exactly at the deadline is on time)",
    },
    detail=_timed_detail(FORWARD),
)
def cmp_001(ctx: RuleContext) -> RuleOutput:
    """First-receiver forwarding (首问负责): every complaint received in the period must reach the handling
    department within the working-minute limit. The clock runs in working time only (default 09:00-17:00
    on working days); a complaint received at night or on a holiday starts the clock at the next start of
    working time. Never forwarded and the deadline passed before the as-of day: overdue."""
    rows = received_in_period(ctx, "forwarded_at")
    minutes = float(ctx.params["forward_working_minutes"])
    due = ctx.workdays.working_time_deadline(rows["received_at"], minutes)
    return deadline_findings(ctx, rows, "forwarded_at", due, FORWARD)


@rule(
    "CMP-002",
    sample=Scope("complaints", where={"severity": ("general",)}),
    family="CMP",
    severity="medium",
    tables=TABLES,
    cites=("IC 29(4)", "CP-5"),
    entity="complaint_id",
    params={"general_reply_working_days": 3},
    title={"zh": "一般投诉未在规定期限内答复", "en": "General complaint not answered in time"},
    requirement={
        "zh": "一般投诉须在受理后 {general_reply_working_days} 个工作日内答复（受理当日不计，"
        "期限为其后第 {general_reply_working_days} 个工作日 23:59:59）",
        "en": "A general complaint must be answered within {general_reply_working_days} working days of "
        "receipt (by 23:59:59 of working day {general_reply_working_days} after the day "
        "of receipt)",
    },
    detail=_timed_detail(REPLY),
)
def cmp_002(ctx: RuleContext) -> RuleOutput:
    """Reply to a general complaint within the working-day limit. The day of receipt never counts;
    调休 make-up weekends count as working days and the holiday breaks do not."""
    rows = _where(received_in_period(ctx, "responded_at"), "severity", "general")
    due = ctx.workdays.workday_deadline(rows["received_at"], int(ctx.params["general_reply_working_days"]))
    return deadline_findings(ctx, rows, "responded_at", due, REPLY)


@rule(
    "CMP-003",
    sample=Scope("complaints", where={"severity": ("major",)}),
    family="CMP",
    severity="high",
    tables=TABLES,
    cites=("IC 29(4)", "CP-4"),
    entity="complaint_id",
    params={"major_interim_working_hours": 8},
    title={"zh": "重大投诉未及时采取临时处置措施", "en": "Major complaint without a timely interim measure"},
    requirement={
        "zh": "重大投诉须在受理后 {major_interim_working_hours} 个工作小时内采取临时处置措施"
        "（工作时间外受理的，自下一个工作时间开始起算）",
        "en": "An interim measure must be taken on a major complaint within {major_interim_working_hours} "
        "working hours of receipt (counted from the next start of working time if received "
        "outside it)",
    },
    detail=_timed_detail(INTERIM),
)
def cmp_003(ctx: RuleContext) -> RuleOutput:
    """A major complaint (重大投诉) needs an interim measure within the working-hour limit, counted in
    working time from receipt (or from the next start of working time)."""
    rows = _where(received_in_period(ctx, "interim_measure_at"), "severity", "major")
    minutes = float(ctx.params["major_interim_working_hours"]) * 60
    due = ctx.workdays.working_time_deadline(rows["received_at"], minutes)
    return deadline_findings(ctx, rows, "interim_measure_at", due, INTERIM)


@rule(
    "CMP-004",
    sample=Scope("complaints", where={"severity": ("major",)}),
    family="CMP",
    severity="high",
    tables=TABLES,
    cites=("IC 29(4)", "CP-6"),
    entity="complaint_id",
    params={"major_reply_working_days": 2},
    title={"zh": "重大投诉未在规定期限内答复", "en": "Major complaint not answered in time"},
    requirement={
        "zh": "重大投诉须在受理后 {major_reply_working_days} 个工作日内答复（受理当日不计，"
        "期限为其后第 {major_reply_working_days} 个工作日 23:59:59）",
        "en": "A major complaint must be answered within {major_reply_working_days} working days of "
        "receipt (by 23:59:59 of working day {major_reply_working_days} after the day of "
        "receipt)",
    },
    detail=_timed_detail(REPLY),
)
def cmp_004(ctx: RuleContext) -> RuleOutput:
    """Reply to a major complaint within its (shorter) working-day limit."""
    rows = _where(received_in_period(ctx, "responded_at"), "severity", "major")
    due = ctx.workdays.workday_deadline(rows["received_at"], int(ctx.params["major_reply_working_days"]))
    return deadline_findings(ctx, rows, "responded_at", due, REPLY)


@rule(
    "CMP-005",
    sample=Scope("complaints", where={"channel": ("regulator",)}),
    family="CMP",
    severity="high",
    tables=TABLES,
    cites=("IC 29(3)", "IC 48", "CP-1", "CP-11"),
    entity="complaint_id",
    params={"regulator_register_working_days": 1},
    title={"zh": "监管转办投诉未及时登记", "en": "Regulator-referred complaint not registered in time"},
    requirement={
        "zh": "监管机构（含 12386 热线）转办的投诉须在受理后 {regulator_register_working_days} 个工作日内"
        "在投诉系统登记",
        "en": "A complaint referred by a regulator (or its hotline, e.g. 12386) must be registered in the "
        "complaint system within {regulator_register_working_days} working day(s) of receipt",
    },
    detail=_timed_detail(REGISTER),
)
def cmp_005(ctx: RuleContext) -> RuleOutput:
    """Complaints transferred by a regulator (channel `regulator`) must be entered in the complaint system
    (registered_at) within the working-day limit."""
    rows = _where(received_in_period(ctx, "registered_at"), "channel", "regulator")
    days = int(ctx.params["regulator_register_working_days"])
    due = ctx.workdays.workday_deadline(rows["received_at"], days)
    return deadline_findings(ctx, rows, "registered_at", due, REGISTER)


@rule(
    "CMP-006",
    sample=Scope("complaints", where={"involves_violation": (True,)}),
    family="CMP",
    severity="high",
    tables=TABLES,
    cites=("IC 46", "CP-12"),
    entity="complaint_id",
    params={"violation_report_working_days": 3},
    title={
        "zh": "涉嫌违法违规的投诉未及时报告合规部门",
        "en": "Complaint alleging a violation not reported to compliance in time",
    },
    requirement={
        "zh": "涉嫌违法违规的投诉须在受理后 {violation_report_working_days} 个工作日内"
        "报告合规（监察稽核）部门",
        "en": "A complaint alleging a violation of law or rules must be reported to compliance/audit "
        "within {violation_report_working_days} working days of receipt",
    },
    detail=_timed_detail(REPORT),
)
def cmp_006(ctx: RuleContext) -> RuleOutput:
    """A complaint flagged `involves_violation` must be reported to compliance (reported_to_compliance_at)
    within the working-day limit. A null flag means no violation is alleged (rules.md, Precise readings)."""
    c = received_in_period(ctx, "involves_violation", "reported_to_compliance_at")
    rows = c[c["involves_violation"].fillna(False).to_numpy(dtype=bool)]
    due = ctx.workdays.workday_deadline(rows["received_at"], int(ctx.params["violation_report_working_days"]))
    return deadline_findings(ctx, rows, "reported_to_compliance_at", due, REPORT)


@rule(
    "CMP-008",
    sample=Scope("complaints", present=("resolved_at",)),
    family="CMP",
    severity="low",
    tables=TABLES,
    cites=("CP-8",),
    entity="complaint_id",
    params={"callback_working_days": 1},
    title={"zh": "已办结投诉未及时回访", "en": "Resolved complaint without a timely callback"},
    requirement={
        "zh": "投诉办结后须在 {callback_working_days} 个工作日内回访投诉人（办结当日不计）",
        "en": "The complainant must be called back within {callback_working_days} working day(s) after "
        "the complaint is resolved (the day of resolution does not count)",
    },
    detail=_timed_detail(CALLBACK, anchor="resolved"),
)
def cmp_008(ctx: RuleContext) -> RuleOutput:
    """Callback (回访) after resolution: complaints received in the period and resolved (resolved_at
    recorded, on or before the as-of day) need a callback_at within the working-day limit counted from
    resolved_at. A resolution dated after as_of cannot be judged from the audit's standpoint (the loader
    reports such dates as data-quality warnings), so it is outside the population."""
    c = received_in_period(ctx, "resolved_at", "callback_at")
    resolved = c["resolved_at"].notna() & (c["resolved_at"] < ctx.as_of + pd.Timedelta(days=1))
    rows = c[resolved.to_numpy(dtype=bool)]
    due = ctx.workdays.workday_deadline(rows["resolved_at"], int(ctx.params["callback_working_days"]))
    return deadline_findings(ctx, rows, "callback_at", due, CALLBACK, anchor_col="resolved_at")


@rule(
    "CMP-011",
    sample=Scope("complaints", where={"channel": ("phone", "letter", "visit", "online")}),
    family="CMP",
    severity="low",
    tables=TABLES,
    cites=("IC 29(3)", "CP-1"),
    entity="complaint_id",
    params={"register_working_days": 1},
    title={"zh": "投诉未及时登记", "en": "Complaint not registered in time"},
    requirement={
        "zh": "监管转办以外的投诉须在受理后 {register_working_days} 个工作日内在投诉系统登记（受理当日不计，"
        "期限为其后第 {register_working_days} 个工作日 23:59:59）",
        "en": "A complaint other than a regulator referral must be registered in the complaint system within "
        "{register_working_days} working day(s) of receipt (by 23:59:59 of working day "
        "{register_working_days} after the day of receipt)",
    },
    detail=_timed_detail(REGISTER),
)
def cmp_011(ctx: RuleContext) -> RuleOutput:
    """Every complaint is registered (IC 29(3); CP-1): one received in the period through any channel but
    `regulator` (CMP-005 holds those to their own limit) must have registered_at within the working-day
    limit. 调休 make-up weekends count as working days, holidays do not; registered exactly at the
    deadline is on time; never registered and overdue at as_of is an exception too."""
    c = received_in_period(ctx, "registered_at")
    rows = c[~(c["channel"] == "regulator").fillna(False).to_numpy(dtype=bool)]
    due = ctx.workdays.workday_deadline(rows["received_at"], int(ctx.params["register_working_days"]))
    return deadline_findings(ctx, rows, "registered_at", due, REGISTER)


@rule(
    "CMP-012",
    sample=Scope("complaints", where={"channel": ("regulator",)}),
    family="CMP",
    severity="medium",
    tables=TABLES,
    cites=("CP-10",),
    entity="complaint_id",
    title={
        "zh": "监管转办投诉未按重大投诉处理",
        "en": "Regulator-referred complaint treated as general",
    },
    requirement={
        "zh": "监管机构或政府部门转办的投诉一律按重大投诉处理",
        "en": "A complaint transferred by a regulator or a government body is always handled as a major "
        "complaint",
    },
    detail={
        "zh": "监管转办投诉 {complaint_id}（{received_at} 受理）被登记为一般投诉",
        "en": "Regulator-referred complaint {complaint_id} (received {received_at}) was recorded as general",
    },
)
def cmp_012(ctx: RuleContext) -> RuleOutput:
    """Complaints transferred by regulators, government bodies or the media are major (CP-10): one received
    in the period through channel `regulator` recorded with severity `general` gets the general clock and
    handling instead. Population: the regulator referrals received in the period."""
    c = received_in_period(ctx)
    rows = c[(c["channel"] == "regulator").fillna(False).to_numpy(dtype=bool)]
    return _missing_record(rows, (rows["severity"] == "general").fillna(False).to_numpy(dtype=bool))


# --------------------------------------------------------------------------------------------
# CMP-007, CMP-009: records that must exist


def _missing_record(rows: pd.DataFrame, missing: np.ndarray, **columns) -> RuleOutput:
    """The complaints among `rows` (the population) that lack a record."""
    return complaint_findings(len(rows), rows[missing], **columns)


@rule(
    "CMP-007",
    sample=Scope("complaints", where={"channel": ("phone",)}),
    family="CMP",
    severity="medium",
    tables=TABLES,
    cites=("IC 29(3)",),
    entity="complaint_id",
    title={"zh": "电话投诉无录音记录", "en": "Phone complaint without a call recording"},
    requirement={
        "zh": "电话投诉须留存通话录音（记录录音编号）",
        "en": "A phone complaint must have its call recording kept (its recording reference recorded)",
    },
    detail={
        "zh": "电话投诉 {complaint_id}（{kind}，{received_at} 受理）无录音编号",
        "en": "Phone complaint {complaint_id} ({kind}, received {received_at}) has no call recording "
        "reference",
    },
)
def cmp_007(ctx: RuleContext) -> RuleOutput:
    """Phone complaints (channel `phone`) received in the period must carry a recording reference; an
    empty or blank `recording_ref` is a finding. No clock."""
    rows = _where(received_in_period(ctx, "recording_ref"), "channel", "phone")
    return _missing_record(rows, blank(rows["recording_ref"]))


@rule(
    "CMP-009",
    sample=Scope("complaints", present=("resolved_at",)),
    family="CMP",
    severity="low",
    tables=TABLES,
    cites=("IC 29(5)", "CP-9"),
    entity="complaint_id",
    title={"zh": "已办结投诉未记录根本原因", "en": "Resolved complaint without a root cause"},
    requirement={
        "zh": "已办结的投诉须在调查后记录根本原因分类",
        "en": "A resolved complaint must have its root cause classified after investigation",
    },
    detail={
        "zh": "投诉 {complaint_id}（{kind}，{received_at} 受理，{resolved_at} 办结）未记录根本原因",
        "en": "Complaint {complaint_id} ({kind}, received {received_at}, resolved {resolved_at}) has no "
        "root cause recorded",
    },
)
def cmp_009(ctx: RuleContext) -> RuleOutput:
    """Complaints received in the period and resolved (resolved_at recorded) must name a root cause;
    an empty or blank `root_cause` is a finding. No clock."""
    c = received_in_period(ctx, "resolved_at", "root_cause")
    rows = c[c["resolved_at"].notna().to_numpy(dtype=bool)]
    missing = blank(rows["root_cause"])
    return _missing_record(rows, missing, resolved_at=fmt_ts(rows["resolved_at"][missing]))


# --------------------------------------------------------------------------------------------
# CMP-010: repeat complaints


def gap_text(gap: pd.Series) -> dict[str, pd.Series]:
    """A duration as words per language (vectorized): whole days, then hours, minutes and seconds when
    there are any (`30 天`, `29 天 23 小时 59 分 59 秒`; `30 days`, `29 days 23 h 59 min 59 s`), never a
    timedelta."""
    secs = (gap // pd.Timedelta(seconds=1)).astype("int64")
    days, rest = (secs // 86_400).astype("string"), secs % 86_400
    h, m, s = (
        (rest // 3600).astype("string"),
        (rest % 3600 // 60).astype("string"),
        (rest % 60).astype("string"),
    )
    clock_zh = (" " + h + " 小时 " + m + " 分 " + s + " 秒").where(rest > 0, "")
    clock_en = (" " + h + " h " + m + " min " + s + " s").where(rest > 0, "")
    return {
        "zh": days + " 天" + clock_zh,
        "en": days + pd.Series(np.where(days == "1", " day", " days"), index=gap.index) + clock_en,
    }


@rule(
    "CMP-010",
    sample=Scope("complaints"),
    family="CMP",
    severity="low",
    tables=TABLES,
    cites=("CP-13",),
    entity="complaint_id",
    params={"repeat_days": 30},
    title={"zh": "重复投诉", "en": "Repeat complaint"},
    requirement={
        "zh": "同一客户就同一类别在前次投诉受理后 {repeat_days} 天（{repeat_days}×24 小时，含）内再次投诉的，"
        "视为重复投诉，反映前次投诉未得到有效解决",
        "en": "A complaint by the same customer in the same category within {repeat_days} days "
        "({repeat_days} x 24 h, inclusive) after an earlier one was received is a repeat complaint: "
        "the earlier one was not effectively resolved",
    },
    detail={
        "zh": "投诉 {complaint_id}（客户 {customer_id}，类别 {category}，{received_at} 受理）"
        "距该客户同类投诉 {previous_id}（{previous_at} 受理）仅 {gap}",
        "en": "Complaint {complaint_id} (customer {customer_id}, category {category}, "
        "received {received_at}) came {gap} after complaint {previous_id} (received {previous_at}) "
        "of the same customer and category",
    },
)
def cmp_010(ctx: RuleContext) -> RuleOutput:
    """A repeat complaint: same customer_id and category (both recorded), received
    0 < gap <= repeat_days x 24 h after the customer's previous complaint in that category. The later
    complaint must be received in the period (it is the finding's entity); the earlier one may be received
    at any time, before the period too. Complaints received at the very same instant are not repeats of
    each other (gap 0); the earlier complaint referenced is the nearest strictly earlier one. Population:
    complaints received in the period with a customer_id and a category."""
    c = ctx.tables["complaints"][["_row", "complaint_id", "customer_id", "category", "received_at"]]
    keyed = c[c["customer_id"].notna().to_numpy(dtype=bool) & c["category"].notna().to_numpy(dtype=bool)]
    t = keyed["received_at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    in_period = ctx.in_period(keyed["received_at"]).to_numpy(dtype=bool)
    population = int(in_period.sum())
    if population == 0:
        return RuleOutput(0, no_findings())
    # one integer per (customer, category): sorting integers, not 10^6 strings
    cust, _ = pd.factorize(keyed["customer_id"])
    cat, cats = pd.factorize(keyed["category"])
    group = cust.astype(np.int64) * max(len(cats), 1) + cat
    order = np.lexsort((keyed["_row"].to_numpy(), t, group))  # by group, instant, then file row
    g_s, t_s = group[order], t[order]
    pos = np.arange(len(order))
    # runs of equal (group, instant); the previous distinct instant ends just before the run starts
    new_run = np.ones(len(order), dtype=bool)
    new_run[1:] = (g_s[1:] != g_s[:-1]) | (t_s[1:] != t_s[:-1])
    run_start = np.maximum.accumulate(np.where(new_run, pos, 0))
    prev = run_start - 1
    has_prev = prev >= 0
    prev = np.maximum(prev, 0)
    has_prev &= g_s[prev] == g_s
    prev_first = run_start[prev]  # the earlier instant's first complaint (lowest row) is the one cited
    gap_ns = t_s - t_s[prev]
    limit = int(ctx.params["repeat_days"]) * 86_400 * 1_000_000_000
    hit_s = has_prev & (gap_ns > 0) & (gap_ns <= limit) & in_period[order]
    if not hit_s.any():
        return RuleOutput(population, no_findings())
    h = keyed.iloc[order[hit_s]]
    e = keyed.iloc[order[prev_first[hit_s]]]
    g = pd.Series(gap_ns[hit_s].astype("timedelta64[ns]"), index=h.index)
    gap = gap_text(g)
    return RuleOutput(
        population,
        pd.DataFrame(
            {
                **complaint_head(h),
                "category": h["category"],
                "category_zh": vocab(h["category"], CATEGORY_LABELS, "zh"),
                "category_en": vocab(h["category"], CATEGORY_LABELS, "en"),
                "received_at": fmt_ts(h["received_at"]),
                "previous_id": e["complaint_id"].to_numpy(),
                "previous_at": fmt_ts(e["received_at"]).to_numpy(),
                "gap_seconds": (g // pd.Timedelta(seconds=1)).astype("int64"),
                "gap_zh": gap["zh"],
                "gap_en": gap["en"],
                "evidence": evidence("complaints", h["_row"])
                + "; "
                + evidence("complaints", e["_row"]).to_numpy(),
            }
        ).reset_index(drop=True),
    )
