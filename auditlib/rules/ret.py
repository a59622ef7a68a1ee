"""RET: record retention and backups (IC 21(4), 32, 43).

Retention end of a record = 31 December of (basis year + `years`), or of (basis year + `years` - 1)
when `basis_year_counts` (the basis year is then the first of the N years). The basis is the
customer's close_date for `customer_identity` records and the trade_date for `transaction` records.
The retention end is the last day the record must still be held: a disposal dated on or before it
is early, a disposal from 1 January of the following year on is allowed (docs/retention.md).

All date arithmetic is on whole years (`dt.year`), so a basis date on 29 February needs no care.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..arrowops import isin_text
from .base import RuleContext, RuleOutput, Scope, evidence, fmt_day, lookup, no_findings, rule

RETENTION_PARAMS = {"years": 15, "basis_year_counts": False}
#: record type -> (table holding its subject, key column, basis date column)
BASIS = {
    "customer_identity": ("customers", "customer_id", "close_date"),
    "transaction": ("transactions", "txn_id", "trade_date"),
}
RETAINED_TYPES = tuple(BASIS)


def retention_end_year(basis: pd.Series, years: int, basis_year_counts: bool) -> pd.Series:
    """Year whose 31 December ends the retention of a record with this basis date (NA when no basis)."""
    return (basis.dt.year + int(years) - (1 if basis_year_counts else 0)).astype("Int64")


def year_end_text(end_year: pd.Series) -> pd.Series:
    """`YYYY-12-31` for each retention end year (NA stays NA)."""
    return end_year.astype("string").str.zfill(4) + "-12-31"


def record_retention(tables: dict[str, pd.DataFrame], record_type: str, params: dict) -> pd.DataFrame:
    """The archive records of one type with their subject's basis date and retention end.

    Columns: the archive_records columns, `known` (the subject is in its table), `basis` (date or NaT:
    unknown subject, or an active customer), `end_year` (Int64) and `retention_end` (`YYYY-12-31` text).
    """
    table, key, basis_col = BASIS[record_type]
    ar = tables["archive_records"]
    ar = ar[(ar["record_type"] == record_type).fillna(False).to_numpy(dtype=bool)]
    subjects = tables[table]
    if len(ar) < len(subjects):  # a few disposed records against 10^7 transactions: only the subjects named
        subjects = subjects[isin_text(subjects[key], ar["subject_id"])]
    basis = lookup(ar["subject_id"], subjects, key, basis_col)
    end_year = retention_end_year(basis, params["years"], params["basis_year_counts"])
    return ar.assign(
        known=isin_text(ar["subject_id"], subjects[key]),
        subject_row=lookup(ar["subject_id"], subjects, key, "_row"),
        basis=basis,
        end_year=end_year,
        retention_end=year_end_text(end_year),
    )


def early_disposals(ctx: RuleContext, record_type: str) -> tuple[int, pd.DataFrame]:
    """Records of the type disposed (up to as_of) on or before their retention end, or with no end.

    Returns the population (records of the type) and the offending rows with a `why` column:
    `early` (the end is known and not yet passed), `no_basis` (active customer), `unknown` (subject
    not in its table, so no end can be established)."""
    # the retention end only for the disposed records: joining every record to its subject first would
    # copy every transaction key for the handful that were disposed
    ar = ctx.tables["archive_records"]
    of_type = (ar["record_type"] == record_type).fillna(False).to_numpy(dtype=bool)
    gone = of_type & (ar["disposed_at"].notna() & (ar["disposed_at"] <= ctx.as_of)).fillna(False).to_numpy(
        dtype=bool
    )
    disposed = record_retention({**ctx.tables, "archive_records": ar[gone]}, record_type, ctx.params)
    early = (disposed["disposed_at"].dt.year <= disposed["end_year"]).fillna(False).to_numpy(dtype=bool)
    known = disposed["known"].to_numpy(dtype=bool)
    no_basis = known & disposed["basis"].isna().to_numpy(dtype=bool)
    hit = disposed[early | no_basis | ~known].copy()
    hit["why"] = "early"
    hit.loc[hit["basis"].isna(), "why"] = "no_basis"
    hit.loc[~hit["known"], "why"] = "unknown"
    return int(of_type.sum()), hit


def _evidence_with_subject(hit: pd.DataFrame, table: str) -> pd.Series:
    ev = evidence("archive_records", hit["_row"])
    subject = (f"; {table} row " + hit["subject_row"].astype("Int64").astype("string")).fillna("")
    return ev + subject


_RETENTION_PARAMS_TEXT = {
    "zh": "保存期届满日为基准年份加 {years} 年当年的 12 月 31 日（若基准年份计为第一年，届满日提前一年；"
    "本次检查基准年份是否计为第一年：{basis_year_counts}）；届满日当天及以前不得销毁",
    "en": "the retention end is 31 December of the basis year + {years} (one year earlier when the basis "
    "year counts as the first year; in this audit it counts as the first year: {basis_year_counts}); no "
    "disposal on or before that day",
}


def disposal_findings(
    ctx: RuleContext,
    record_type: str,
    subject_table: str,
    basis_column: str,
    what: Callable[[pd.Series, pd.Series, pd.Series], tuple[pd.Series, pd.Series]],
) -> RuleOutput:
    """One finding per record of `record_type` disposed before its retention end (`early_disposals`):
    the record, its subject (a row of `subject_table`), the day its retention counts from (shown as
    `basis_column`), its retention end, and why it is a finding in each language,
    `what(basis day, retention end, why)`."""
    population, hit = early_disposals(ctx, record_type)
    if hit.empty:
        return RuleOutput(population, no_findings())
    why = hit["why"]
    basis = fmt_day(hit["basis"]).fillna("")
    end = hit["retention_end"].fillna("")
    what_zh, what_en = what(basis, end, why)
    return RuleOutput(
        population,
        pd.DataFrame(
            {
                "entity_id": hit["record_id"],
                "occurred_at": hit["disposed_at"],
                "record_id": hit["record_id"],
                "subject_id": hit["subject_id"],
                "disposed_at": fmt_day(hit["disposed_at"]),
                basis_column: basis,
                "retention_end": end,
                "why": why,
                "what_zh": what_zh,
                "what_en": what_en,
                "evidence": _evidence_with_subject(hit, subject_table),
            }
        ),
    )


@rule(
    "RET-001",
    partition={"archive_records": "subject_id", "customers": "customer_id"},
    family="RET",
    severity="high",
    tables=("archive_records", "customers"),
    sample=Scope("archive_records", None, {"record_type": ("customer_identity",)}),
    cites=("IC 32",),
    entity="record_id",
    params=dict(RETENTION_PARAMS),
    title={
        "zh": "客户身份资料未满保存期即被销毁",
        "en": "Customer identity record disposed before its retention end",
    },
    requirement={
        "zh": "客户身份资料自业务关系结束当年计起至少保存 {years} 年："
        + _RETENTION_PARAMS_TEXT["zh"]
        + "；仍存续客户的身份资料不得销毁",
        "en": "Customer identity records are kept at least {years} years after the business "
        "relationship ends: "
        + _RETENTION_PARAMS_TEXT["en"]
        + "; the records of a customer still active are never disposed of",
    },
    detail={
        "zh": "客户身份资料 {record_id}（客户 {subject_id}）于 {disposed_at} 销毁，{what}",
        "en": "Customer identity record {record_id} (customer {subject_id}) disposed on {disposed_at}: "
        "{what}",
    },
)
def ret_001(ctx: RuleContext) -> RuleOutput:
    """Customer identity records (客户身份资料) must be kept at least 15 years from the year the business
    relationship ended (IC 32). A record disposed (disposed_at up to as_of, at any time) on or before its
    retention end is an exception; so is any disposed record of a customer still active (no close_date:
    the retention period has not started) or of a customer missing from the customers table (no retention
    end can be established, so the disposal cannot be shown to be allowed)."""

    def what(close: pd.Series, end: pd.Series, why: pd.Series) -> tuple[pd.Series, pd.Series]:
        what_zh = ("客户于 " + close + " 结束业务关系，保存期应至 " + end).where(why == "early", "")
        what_zh = what_zh.mask(why == "no_basis", "该客户仍为存续客户（未销户），保存期尚未开始计算")
        what_zh = what_zh.mask(why == "unknown", "客户资料中无此客户，无法确认保存期已届满")
        what_en = ("the relationship ended on " + close + ", so it must be kept until " + end).where(
            why == "early", ""
        )
        what_en = what_en.mask(
            why == "no_basis", "the customer is still active, so its retention period has not started"
        )
        what_en = what_en.mask(
            why == "unknown",
            "the customer is not in the customers table, so no retention end can be established",
        )
        return what_zh, what_en

    return disposal_findings(ctx, "customer_identity", "customers", "close_date", what)


@rule(
    "RET-002",
    partition={"archive_records": "subject_id", "transactions": "txn_id"},
    family="RET",
    severity="high",
    tables=("archive_records", "transactions"),
    sample=Scope("archive_records", None, {"record_type": ("transaction",)}),
    cites=("IC 32",),
    entity="record_id",
    params=dict(RETENTION_PARAMS),
    title={"zh": "交易记录未满保存期即被销毁", "en": "Transaction record disposed before its retention end"},
    requirement={
        "zh": "交易记录自交易记账当年计起至少保存 {years} 年：" + _RETENTION_PARAMS_TEXT["zh"],
        "en": "Transaction records are kept at least {years} years from the year of the trade: "
        + _RETENTION_PARAMS_TEXT["en"],
    },
    detail={
        "zh": "交易记录 {record_id}（交易 {subject_id}）于 {disposed_at} 销毁，{what}",
        "en": "Transaction record {record_id} (transaction {subject_id}) disposed on {disposed_at}: {what}",
    },
)
def ret_002(ctx: RuleContext) -> RuleOutput:
    """Transaction records (交易记录) must be kept at least 15 years from the year of the trade (IC 32).
    A record disposed (disposed_at up to as_of, at any time) on or before its retention end, computed from
    the transaction's trade_date, is an exception; so is a disposed record whose transaction is not in
    the transactions table (no retention end can be established)."""

    def what(trade: pd.Series, end: pd.Series, why: pd.Series) -> tuple[pd.Series, pd.Series]:
        what_zh = ("交易日 " + trade + "，保存期应至 " + end).where(
            why != "unknown", "交易数据中无此交易，无法确认保存期已届满"
        )
        what_en = ("traded on " + trade + ", so it must be kept until " + end).where(
            why != "unknown",
            "the transaction is not in the transactions table, so no retention end can be established",
        )
        return what_zh, what_en

    return disposal_findings(ctx, "transaction", "transactions", "trade_date", what)


@rule(
    "RET-003",
    partition={"archive_records": "subject_id", "customers": "customer_id", "transactions": "txn_id"},
    family="RET",
    severity="medium",
    tables=("archive_records", "customers", "transactions"),
    sample=Scope("customers", "until", column="open_date"),
    cites=("IC 21(4)", "IC 32"),
    entity="customer_id or txn_id",
    params={"archive_grace_days": 30},
    title={
        "zh": "客户或交易缺少档案记录",
        "en": "Customer or transaction missing from the records inventory",
    },
    requirement={
        "zh": "检查期末或以前开户的每位客户须有客户身份资料档案；期间内申请的每笔确认交易须在交易日后 "
        "{archive_grace_days} 日内有交易记录档案（已保存或已销毁的档案均可）",
        "en": "Every customer opened by the period end has a customer identity record, and every "
        "confirmed transaction applied in the period has a transaction record within "
        "{archive_grace_days} days of its trade date (a held or disposed record both count)",
    },
    detail={
        "zh": "{subject}（{since}）在档案清单中无{record_kind}档案",
        "en": "{subject} ({since}) has no {record_kind} record in the records inventory",
    },
)
def ret_003(ctx: RuleContext) -> RuleOutput:
    """Business records must be archived (IC 21(4), 32): a customer (open_date on or before period_end) with
    no `customer_identity` row in archive_records, or a confirmed transaction applied in the period with
    no `transaction` row once `archive_grace_days` have passed since its trade date (due when
    as_of >= trade_date + grace; not yet due is not tested). Any archive row counts, held or disposed:
    early disposal is RET-001/002's business."""
    # Positions and the key columns only, not a copy of the tested rows (all columns) with their ids hashed
    # again: the loader already keeps one row per primary key.
    ar = ctx.tables["archive_records"]
    kind = ar["record_type"]
    cust = ctx.tables["customers"]
    cust = cust[(cust["open_date"] <= ctx.period_end).fillna(False).to_numpy(dtype=bool)]
    txn = ctx.tables["transactions"]
    grace = pd.Timedelta(days=int(ctx.params["archive_grace_days"]))
    tested = (
        (
            (txn["status"] == "confirmed")
            & ctx.in_period(txn["applied_at"])
            & (txn["trade_date"] <= ctx.as_of - grace)
        )
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    pos = np.flatnonzero(tested)
    population = len(cust) + len(pos)
    c = cust[~isin_text(cust["customer_id"], ar["subject_id"][(kind == "customer_identity").fillna(False)])]
    txn_ok = ar["subject_id"][(kind == "transaction").fillna(False)]
    t = txn.iloc[pos[~isin_text(txn["txn_id"].iloc[pos], txn_ok)]][["txn_id", "trade_date", "_row"]]
    due = t["trade_date"] + grace
    if c.empty and t.empty:
        return RuleOutput(population, no_findings())
    opened, traded, due_s = fmt_day(c["open_date"]), fmt_day(t["trade_date"]), fmt_day(due)
    parts = [
        pd.DataFrame(
            {
                "entity_id": c["customer_id"],
                "occurred_at": c["open_date"],
                "subject_id": c["customer_id"],
                "subject_zh": "客户 " + c["customer_id"],
                "subject_en": "Customer " + c["customer_id"],
                "since_zh": opened + " 开户",
                "since_en": "opened " + opened,
                "record_kind_zh": "客户身份资料",
                "record_kind_en": "customer identity",
                "evidence": evidence("customers", c["_row"]),
            }
        ),
        pd.DataFrame(
            {
                "entity_id": t["txn_id"],
                "occurred_at": t["trade_date"],
                "subject_id": t["txn_id"],
                "subject_zh": "交易 " + t["txn_id"],
                "subject_en": "Transaction " + t["txn_id"],
                "since_zh": "交易日 " + traded + "，应于 " + due_s + " 前归档",
                "since_en": "trade date " + traded + ", due in the archive by " + due_s,
                "record_kind_zh": "交易记录",
                "record_kind_en": "transaction",
                "evidence": evidence("transactions", t["_row"]),
            }
        ),
    ]
    return RuleOutput(population, pd.concat([p for p in parts if not p.empty], ignore_index=True))


def success_backups(ctx: RuleContext) -> pd.DataFrame:
    """Successful backups whose backup_date is in the period."""
    b = ctx.tables["backups"]
    return b[(b["status"] == "success") & ctx.in_period(b["backup_date"])]


def backup_findings(population: pd.DataFrame, hit: pd.DataFrame, **columns) -> RuleOutput:
    """One finding per backup in `hit` (out of the backups tested, `population`): the backup and its
    day, then the rule's own `columns`."""
    return RuleOutput(
        len(population),
        pd.DataFrame(
            {
                "entity_id": hit["backup_id"],
                "occurred_at": hit["backup_date"],
                "backup_id": hit["backup_id"],
                "backup_date": fmt_day(hit["backup_date"]),
                **columns,
                "evidence": evidence("backups", hit["_row"]),
            }
        ),
    )


@rule(
    "RET-004",
    family="RET",
    severity="high",
    tables=("backups",),
    sample=Scope("backups"),
    cites=("IC 43",),
    entity="YYYY-MM-DD",
    title={"zh": "存在未成功备份的日期", "en": "Day without a successful backup"},
    requirement={
        "zh": "系统数据应逐日备份：检查期间内（至检查基准日）的每个自然日都须有一份状态为成功的备份",
        "en": "System data is backed up daily: every calendar day of the period (up to the as-of date) has a "
        "successful backup",
    },
    detail={"zh": "{day} 无成功的备份：{what}", "en": "{day} has no successful backup: {what}"},
)
def ret_004(ctx: RuleContext) -> RuleOutput:
    """Daily backup (逐日备份, IC 43): each calendar day of the period, up to as_of, needs at least one
    backup with status `success` for that backup_date. A day whose backup failed and was then rerun
    successfully the same day is fine; a day with only failed attempts, or none, is an exception."""
    last = min(ctx.period_end, ctx.as_of.normalize())
    days = pd.Series(pd.date_range(ctx.period_start, last, freq="D"), dtype="datetime64[ns]")
    b = ctx.tables["backups"]
    b = b[ctx.in_period(b["backup_date"])]
    ok_days = b.loc[b["status"] == "success", "backup_date"].dt.normalize()
    failed = b[b["status"] == "failed"]
    fail_count = failed.groupby(failed["backup_date"].dt.normalize()).size()
    fail_rows = (
        evidence("backups", failed["_row"])
        .groupby(failed["backup_date"].dt.normalize().to_numpy())
        .agg("; ".join)
    )
    miss = days[~days.isin(ok_days)].reset_index(drop=True)
    if miss.empty:
        return RuleOutput(len(days), no_findings())
    n_failed = miss.map(fail_count).fillna(0).astype(int)
    has_failed = n_failed > 0
    n_text = n_failed.astype(str)
    return RuleOutput(
        len(days),
        pd.DataFrame(
            {
                "entity_id": fmt_day(miss),
                "occurred_at": miss,
                "day": fmt_day(miss),
                "failed_attempts": n_failed,
                "what_zh": ("当日备份均失败（" + n_text + " 次）").where(has_failed, "无任何备份记录"),
                "what_en": ("all " + n_text + " attempt(s) failed").where(
                    has_failed, "no backup recorded at all"
                ),
                "evidence": miss.map(fail_rows).astype("string").fillna(""),
            }
        ),
    )


@rule(
    "RET-005",
    family="RET",
    severity="medium",
    tables=("backups",),
    sample=Scope("backups", where={"status": ("success",)}),
    cites=("IC 43",),
    entity="backup_id",
    title={"zh": "备份未异地存放", "en": "Backup not stored offsite"},
    requirement={
        "zh": "每份成功的备份须异地妥善存放",
        "en": "Every successful backup is stored at a site other than production",
    },
    detail={
        "zh": "{backup_date} 的备份 {backup_id}（存放地点：{site}）{what}",
        "en": "Backup {backup_id} of {backup_date} (site: {site}) {what}",
    },
)
def ret_005(ctx: RuleContext) -> RuleOutput:
    """Offsite storage (异地存放, IC 43): a successful backup of a day in the period whose `offsite` is
    not true (false or not stated)."""
    b = success_backups(ctx)
    hit = b[~b["offsite"].fillna(False).to_numpy(dtype=bool)]
    if hit.empty:
        return RuleOutput(len(b), no_findings())
    stated = hit["offsite"].notna()
    return backup_findings(
        b,
        hit,
        site_zh=hit["site"].fillna("未记录"),
        site_en=hit["site"].fillna("not recorded"),
        what_zh=pd.Series("未异地存放", index=hit.index).where(stated, "未标明是否异地存放（视为未异地）"),
        what_en=pd.Series("is not stored offsite", index=hit.index).where(
            stated, "does not state whether it is offsite (counted as not offsite)"
        ),
    )


@rule(
    "RET-006",
    family="RET",
    severity="high",
    tables=("backups",),
    sample=Scope("backups", where={"status": ("success",), "contains_investor_data": (True,)}),
    cites=("IC 43",),
    entity="backup_id",
    params={"retain_years": 15},
    title={
        "zh": "投资人信息备份未保存于不可修改介质或保存期不足",
        "en": "Investor-data backup not immutable or kept too briefly",
    },
    requirement={
        "zh": "涉及基金投资人信息和交易记录的成功备份须保存在不可修改的介质上，且保存期限不早于备份日加 "
        "{retain_years} 年",
        "en": "Successful backups holding investor information or transaction records are kept on an "
        "unmodifiable medium until no earlier than {retain_years} years after the backup date",
    },
    detail={
        "zh": "{backup_date} 的备份 {backup_id}：{what}",
        "en": "Backup {backup_id} of {backup_date}: {what}",
    },
)
def ret_006(ctx: RuleContext) -> RuleOutput:
    """Backups of investor data (IC 43) must be on an unmodifiable medium and kept 15 years: a successful
    backup of a day in the period with `contains_investor_data` true whose `immutable` is not true, or
    whose `retain_until` is earlier than backup_date + 15 calendar years (a 29 February backup date is
    due on 28 February; no retain_until counts as earlier). Backups without investor data are not tested."""
    b = success_backups(ctx)
    b = b[b["contains_investor_data"].fillna(False).to_numpy(dtype=bool)]
    required = b["backup_date"] + pd.DateOffset(years=int(ctx.params["retain_years"]))
    mutable = ~b["immutable"].fillna(False).to_numpy(dtype=bool)
    no_until = b["retain_until"].isna().to_numpy(dtype=bool)
    short = (b["retain_until"] < required).fillna(False).to_numpy(dtype=bool)
    hit_mask = mutable | no_until | short
    hit, required = b[hit_mask], required[hit_mask]
    if hit.empty:
        return RuleOutput(len(b), no_findings())
    mutable, no_until, short = mutable[hit_mask], no_until[hit_mask], short[hit_mask]
    req, until = fmt_day(required), fmt_day(hit["retain_until"]).fillna("")
    empty = pd.Series("", index=hit.index)
    m_zh = empty.mask(mutable, "未保存于不可修改的介质")
    m_en = empty.mask(mutable, "not on an unmodifiable medium")
    k_zh = empty.mask(short, "保存至 " + until + "，早于应保存至的 " + req).mask(
        no_until, "未记录保存期限（应至少保存至 " + req + "）"
    )
    k_en = empty.mask(short, "kept until " + until + ", earlier than the required " + req).mask(
        no_until, "no retain_until recorded (must be kept until at least " + req + ")"
    )
    sep_zh = pd.Series("；", index=hit.index).where(mutable & (short | no_until), "")
    sep_en = pd.Series("; ", index=hit.index).where(mutable & (short | no_until), "")
    return backup_findings(
        b,
        hit,
        retain_until=until,
        required_until=req,
        what_zh=m_zh + sep_zh + k_zh,
        what_en=m_en + sep_en + k_en,
    )


@rule(
    "RET-007",
    partition={"archive_records": "subject_id", "complaints": "complaint_id"},
    family="RET",
    severity="medium",
    tables=("complaints", "archive_records"),
    sample=Scope("complaints"),
    cites=("IC 29(3)", "IC 32"),
    entity="complaint_id",
    params={"archive_grace_days": 30},
    title={
        "zh": "投诉或投诉录音未归档",
        "en": "Complaint or its call recording missing from the records inventory",
    },
    requirement={
        "zh": "检查期间内受理的每件投诉须在受理日后 {archive_grace_days} "
        "日内有投诉档案；记录了录音编号的电话投诉"
        "还须有通话录音档案（已保存或已销毁的档案均可）",
        "en": "Every complaint received in the period has a complaint record within {archive_grace_days} "
        "days "
        "of the day of receipt, and a phone complaint with a recording reference also a call recording "
        "record "
        "(a held or disposed record both count)",
    },
    detail={
        "zh": "投诉 {complaint_id}（{received_at} 受理，应于 {due} 前归档）在档案清单中无{missing}",
        "en": "Complaint {complaint_id} (received {received_at}, to be archived by {due}) has no {missing} "
        "in the records inventory",
    },
)
def ret_007(ctx: RuleContext) -> RuleOutput:
    """Complaints and complaint calls must be recorded and archived (IC 29(3), 32). A complaint received in
    the period is tested once its grace has ended before as_of (date(received_at) + archive_grace_days
    < as_of; a grace ending on as_of itself is not yet due): it needs a `complaint` archive record whose
    subject_id is the complaint_id, and a `phone` complaint with a non-blank recording_ref also a
    `call_recording` record. Any archive row counts, held or disposed. This grace is RET-007's own
    parameter, set apart from RET-003's of the same name."""
    c = ctx.tables["complaints"][["_row", "complaint_id", "received_at", "channel", "recording_ref"]]
    grace = pd.Timedelta(days=int(ctx.params["archive_grace_days"]))
    due = c["received_at"].dt.normalize() + grace
    rows = c[(ctx.in_period(c["received_at"]) & (due < ctx.as_of)).fillna(False).to_numpy(dtype=bool)]
    ar = ctx.tables["archive_records"]
    kind = ar["record_type"]
    filed = isin_text(
        rows["complaint_id"], ar["subject_id"][(kind == "complaint").fillna(False).to_numpy(bool)]
    )
    recorded = isin_text(
        rows["complaint_id"], ar["subject_id"][(kind == "call_recording").fillna(False).to_numpy(bool)]
    )
    ref = rows["recording_ref"].astype("string").str.strip().fillna("")
    needs_recording = ((rows["channel"] == "phone").fillna(False) & ref.ne("")).to_numpy(dtype=bool)
    no_file = ~np.asarray(filed, dtype=bool)
    no_recording = needs_recording & ~np.asarray(recorded, dtype=bool)
    hit_mask = no_file | no_recording
    if not hit_mask.any():
        return RuleOutput(len(rows), no_findings())
    h = rows[hit_mask]
    nf, nr = no_file[hit_mask], no_recording[hit_mask]
    return RuleOutput(
        len(rows),
        pd.DataFrame(
            {
                "entity_id": h["complaint_id"],
                "occurred_at": h["received_at"],
                "complaint_id": h["complaint_id"],
                "received_at": h["received_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                "due": fmt_day(due[h.index]),
                "missing_zh": np.select(
                    [nf & nr, nf], ["投诉档案和通话录音档案", "投诉档案"], "通话录音档案"
                ),
                "missing_en": np.select(
                    [nf & nr, nf],
                    ["complaint record and no call recording record", "complaint record"],
                    "call recording record",
                ),
                "evidence": evidence("complaints", h["_row"]),
            }
        ).reset_index(drop=True),
    )
