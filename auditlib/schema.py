"""The data contract (../shared/spec/data-contract.md) as declarations.

One source for the loader, the data request list (`auditlib datarequest`) and the docs:
declaring a table is separate from loading it, the way pandera separates a schema from its validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

TYPES = ("str", "date", "ts", "bool", "dec", "int")

ROLES = (
    "promotion",
    "counter",
    "sales",
    "info_processing",
    "fund_processing",
    "risk_monitoring",
    "audit",
    "complaint_handling",
    "it_head",
    "infosec_head",
    "it_dev",
    "it_ops",
)
BUSINESS_ROLES = ("promotion", "counter", "sales", "info_processing", "fund_processing")
BUSINESS_TYPES = (
    "account_open",
    "account_close",
    "info_change",
    "bank_account_change",
    "subscription",
    "purchase",
    "redemption",
    "conversion",
    "fund_transfer",
    "complaint",
    "other",
)
PURCHASE_CODES = ("020", "022", "039")


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "str"
    required: bool = False
    meaning: str = ""
    #: personal data: how the examiner's copy masks it
    #: (`name`, `id_number`, `phone`, `account`, `text`), or ""
    pii: str = ""
    #: allowed values (compared after trimming and lower-casing); None = free text
    choices: tuple[str, ...] | None = None
    #: "table.column" this column refers to
    references: str | None = None
    #: contract version that added it; an optional column added after v1 may be left out of a bundle (the
    #: loader then leaves it out of the table, and the rules that need it are not tested)
    since: int = 1

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: type {self.type!r} is none of {TYPES}")


class Order(NamedTuple):
    """Within one row, `later` must not be before `earlier` (both dates or timestamps; compared by day when
    either is a date). `slack_days` tolerates that many days of disorder: smaller ones are a rule's
    business."""

    earlier: str
    later: str
    slack_days: int = 0


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    meaning: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    #: the column that places a row in time (rules test the audit period on it)
    time_column: str | None = None
    heavy: bool = False
    #: chronology within a row; a violation is a data-quality warning (row kept, `action=kept`)
    order_checks: tuple[Order, ...] = ()
    #: columns recording something that has happened: a value after the audit's `as_of` day is a warning
    not_after_as_of: tuple[str, ...] = ()
    #: contract version that added the table
    since: int = 1

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


#: the complaint's handling steps: none can come before its receipt (首问)
COMPLAINT_STEPS = (
    "registered_at",
    "forwarded_at",
    "interim_measure_at",
    "responded_at",
    "resolved_at",
    "callback_at",
    "reported_to_compliance_at",
)


def _c(name, type="str", required=False, meaning="", **kw) -> Column:
    if kw.get("pii") is True:  # personal data of no particular shape (free text that may name someone)
        kw["pii"] = "text"
    return Column(name, type, required, meaning, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "staff",
            True,
            "员工 staff",
            (
                _c("staff_id", required=True, meaning="primary key"),
                _c("name", required=True, meaning="staff name", pii="name"),
                _c("department"),
                _c("hire_date", "date"),
                _c("leave_date", "date", meaning="null while employed"),
                _c("qualified", "bool", meaning="holds the fund practitioner qualification (基金从业资格)"),
            ),
            primary_key=("staff_id",),
            order_checks=(Order("hire_date", "leave_date"),),
            not_after_as_of=("hire_date",),
        ),
        Table(
            "staff_roles",
            True,
            "岗位 roles held by staff",
            (
                _c("staff_id", required=True, meaning="-> staff", references="staff.staff_id"),
                _c("role", required=True, meaning="a role from the vocabulary", choices=ROLES),
                _c("start_date", "date", True, "first day the role is held"),
                _c("end_date", "date", meaning="last day held; null = still held"),
            ),
            order_checks=(Order("start_date", "end_date"),),
        ),
        Table(
            "operations",
            False,
            "业务操作日志 the sales system's operation log",
            (
                _c("op_id", required=True, meaning="primary key"),
                _c("ts", "ts", True, "when"),
                _c("staff_id", required=True, meaning="-> staff", references="staff.staff_id"),
                _c(
                    "action",
                    required=True,
                    meaning="enter (maker), review (checker), approve, view, other",
                    choices=("enter", "review", "approve", "view", "other"),
                ),
                _c("business_type", required=True, meaning="from the vocabulary", choices=BUSINESS_TYPES),
                _c("ref_id", required=True, meaning="the business item acted on"),
            ),
            primary_key=("op_id",),
            time_column="ts",
            heavy=True,
            not_after_as_of=("ts",),
        ),
        Table(
            "customers",
            True,
            "客户 customers",
            (
                _c("customer_id", required=True, meaning="primary key"),
                _c("name", required=True, meaning="customer name", pii="name"),
                _c("id_type", meaning="e.g. ID_CARD"),
                _c("id_number", meaning="identity document number", pii="id_number"),
                _c("phone", pii="phone"),
                _c("investor_type", meaning="individual / institution"),
                _c("open_date", "date", True, "business relationship start"),
                _c("close_date", "date", meaning="business relationship end; null = active"),
            ),
            primary_key=("customer_id",),
            order_checks=(Order("open_date", "close_date"),),
            not_after_as_of=("open_date",),
        ),
        Table(
            "account_events",
            False,
            "账户事件 account events",
            (
                _c("event_id", required=True, meaning="primary key"),
                _c("customer_id", required=True, meaning="-> customers", references="customers.customer_id"),
                _c(
                    "event_type",
                    required=True,
                    choices=("open", "close", "info_change", "bank_account_change"),
                ),
                _c("event_at", "ts", True),
                _c("new_bank_account", meaning="for bank_account_change", pii="account"),
                _c("new_account_holder", meaning="name on the new account", pii="name"),
                _c("identity_verified", "bool", meaning="identity of the requester checked (IC 23(1))"),
                _c(
                    "flagged_abnormal", "bool", meaning="handled as an abnormal transaction (IC 23(1), 31(4))"
                ),
                _c("staff_id", meaning="-> staff, null for self-service", references="staff.staff_id"),
            ),
            primary_key=("event_id",),
            time_column="event_at",
            not_after_as_of=("event_at",),
        ),
        Table(
            "risk_assessments",
            True,
            "风险测评 risk assessments (full history)",
            (
                _c("customer_id", required=True, meaning="-> customers", references="customers.customer_id"),
                _c("assessed_at", "ts", True),
                _c("risk_tolerance", required=True, meaning="C1-C5 (or a mapped label)"),
            ),
            not_after_as_of=("assessed_at",),
        ),
        Table(
            "products",
            True,
            "产品 products",
            (
                _c("product_code", required=True, meaning="primary key, e.g. 000001"),
                _c("name", required=True),
                _c("risk_level", required=True, meaning="R1-R5 (or a mapped label), the current rating"),
                _c("rated_at", "date", True, "date of the current rating"),
                _c(
                    "max_fee_rate",
                    "dec",
                    meaning="highest fee rate the contract allows for purchases, as a fraction "
                    "(0.015 = 1.5%)",
                    since=2,
                ),
            ),
            primary_key=("product_code",),
            not_after_as_of=("rated_at",),
        ),
        Table(
            "transactions",
            True,
            "交易 transactions",
            (
                _c("txn_id", required=True, meaning="primary key"),
                _c("customer_id", required=True, meaning="-> customers", references="customers.customer_id"),
                _c("product_code", required=True, meaning="-> products", references="products.product_code"),
                _c("business_code", required=True, meaning="020/022/024/036/039"),
                _c("applied_at", "ts", True, "when the investor applied"),
                _c("trade_date", "date", True, "the trade (T) date the institution assigned"),
                _c("amount", "dec", meaning="money amount (purchases)"),
                _c("shares", "dec", meaning="shares (redemptions)"),
                _c("status", required=True, choices=("confirmed", "failed", "rejected")),
                _c("channel", choices=("counter", "online", "app", "phone")),
                _c("branch_id", meaning="selling branch (null for online)"),
                _c("staff_id", meaning="-> staff, for counter sales", references="staff.staff_id"),
                _c(
                    "risk_mismatch_confirmed",
                    "bool",
                    meaning="investor signed the risk-mismatch confirmation",
                ),
                _c("notified_at", "ts", meaning="investor told of the rejection/failure"),
                _c("fee", "dec", meaning="fee charged on the transaction (FEE-001)", since=2),
            ),
            primary_key=("txn_id",),
            time_column="applied_at",
            heavy=True,
            # a T date a few days off is ABN-007's finding; a month or more before the application is bad data
            order_checks=(
                Order("applied_at", "trade_date", slack_days=31),
                Order("applied_at", "notified_at"),
            ),
            not_after_as_of=("applied_at", "notified_at"),
        ),
        Table(
            "fund_transfers",
            False,
            "资金划转 fund transfers",
            (
                _c("transfer_id", required=True, meaning="primary key"),
                _c(
                    "transfer_type",
                    required=True,
                    choices=("redemption_payout", "dividend", "refund", "branch_sweep"),
                ),
                _c(
                    "txn_id", meaning="-> transactions, for payouts/refunds", references="transactions.txn_id"
                ),
                _c("customer_id", meaning="-> customers", references="customers.customer_id"),
                _c("branch_id", meaning="for branch_sweep"),
                _c("business_date", "date", True, "the day whose money this moves"),
                _c("due_at", "ts", True, "agreed latest time of the transfer"),
                _c("executed_at", "ts", meaning="null = not executed"),
                _c("to_account", pii="account"),
                _c("to_account_holder", meaning="name on the receiving account", pii="name"),
                _c("amount", "dec", True),
            ),
            primary_key=("transfer_id",),
            time_column="business_date",
            heavy=True,
            order_checks=(Order("business_date", "due_at"),),
            not_after_as_of=("business_date", "executed_at"),
        ),
        Table(
            "complaints",
            True,
            "投诉 complaints",
            (
                _c("complaint_id", required=True, meaning="primary key"),
                _c(
                    "customer_id",
                    meaning="-> customers, null for anonymous",
                    references="customers.customer_id",
                ),
                _c("received_at", "ts", True, "first received by anyone in the institution (首问)"),
                _c("channel", required=True, choices=("phone", "letter", "visit", "online", "regulator")),
                _c("severity", required=True, choices=("general", "major")),
                _c("category", meaning="e.g. service_attitude, suitability, product, fees, system, other"),
                _c("description", meaning="free text as recorded (untrusted)"),
                _c("registered_at", "ts"),
                _c("forwarded_at", "ts"),
                _c("interim_measure_at", "ts"),
                _c("responded_at", "ts"),
                _c("resolved_at", "ts"),
                _c("callback_at", "ts"),
                _c("recording_ref"),
                _c("root_cause"),
                _c("involves_violation", "bool"),
                _c("reported_to_compliance_at", "ts"),
            ),
            primary_key=("complaint_id",),
            time_column="received_at",
            heavy=True,
            order_checks=tuple(Order("received_at", c) for c in COMPLAINT_STEPS),
            not_after_as_of=("received_at", *COMPLAINT_STEPS),
        ),
        Table(
            "archive_records",
            False,
            "档案 records inventory",
            (
                _c("record_id", required=True, meaning="primary key"),
                _c(
                    "record_type",
                    required=True,
                    choices=("customer_identity", "transaction", "complaint", "call_recording"),
                ),
                _c(
                    "subject_id",
                    required=True,
                    meaning="customer_id / txn_id / complaint_id the record is about",
                ),
                _c("archived_at", "date"),
                _c("disposed_at", "date", meaning="null = still held"),
                _c("location"),
            ),
            primary_key=("record_id",),
            order_checks=(Order("archived_at", "disposed_at"),),
            not_after_as_of=("archived_at",),
        ),  # a disposal after as_of is a scheduled one (RET)
        Table(
            "backups",
            False,
            "备份 backups",
            (
                _c("backup_id", required=True, meaning="primary key"),
                _c("backup_date", "date", True, "the business day whose data it holds"),
                _c("completed_at", "ts"),
                _c("status", required=True, choices=("success", "failed")),
                _c("site"),
                _c("offsite", "bool", True, "stored at a different site from production (异地)"),
                _c("immutable", "bool", True, "write-once, unmodifiable medium"),
                _c("retain_until", "date"),
                _c(
                    "contains_investor_data",
                    "bool",
                    True,
                    "holds investor information or transaction records",
                ),
            ),
            primary_key=("backup_id",),
            time_column="backup_date",
            order_checks=(Order("backup_date", "completed_at"),),
            not_after_as_of=("backup_date", "completed_at"),
        ),
        Table(
            "reconciliations",
            False,
            "对账 reconciliations",
            (
                _c("recon_date", "date", True, "business day reconciled"),
                _c("branch_id", required=True),
                _c("performed_at", "ts", meaning="null = not performed"),
                _c("differences", "int", meaning="unresolved differences found"),
            ),
            primary_key=("recon_date", "branch_id"),
            time_column="recon_date",
            order_checks=(Order("recon_date", "performed_at"),),
            not_after_as_of=("recon_date", "performed_at"),
        ),
        Table(
            "training",
            False,
            "培训 training",
            (
                _c("staff_id", required=True, meaning="-> staff", references="staff.staff_id"),
                _c("date", "date", True),
                _c("course"),
                _c("hours", "dec", True),
            ),
            time_column="date",
            not_after_as_of=("date",),
        ),
        Table(
            "product_ratings",
            False,
            "产品评级历史 product rating history (SU 17: past ratings kept as history)",
            (
                _c("product_code", required=True, meaning="-> products", references="products.product_code"),
                _c("risk_level", required=True, meaning="R1-R5 (or a mapped label)"),
                _c("rated_at", "date", True, "first day this rating applies"),
            ),
            primary_key=("product_code", "rated_at"),
            not_after_as_of=("rated_at",),
            since=2,
        ),
        Table(
            "data_changes",
            False,
            "数据变更 changes made to business data outside the normal business flow (IC 42)",
            (
                _c("change_id", required=True, meaning="primary key"),
                _c("changed_at", "ts", True),
                _c("changed_by", required=True, meaning="-> staff", references="staff.staff_id"),
                _c(
                    "table_name",
                    required=True,
                    meaning="the business table changed (transactions, fund_transfers, customers, "
                    "account_events, ...)",
                ),
                _c("record_id", required=True, meaning="key of the changed row"),
                _c("field"),
                _c("old_value", meaning="may hold personal data: treated as PII", pii=True),
                _c("new_value", meaning="may hold personal data: treated as PII", pii=True),
                _c("approved_by", meaning="-> staff; who authorized the change", references="staff.staff_id"),
                _c("approved_at", "ts"),
            ),
            primary_key=("change_id",),
            time_column="changed_at",
            not_after_as_of=("changed_at", "approved_at"),
            since=2,
        ),
    )
}

#: each table's personal-data columns and how each is masked
PII_COLUMNS: dict[str, dict[str, str]] = {
    t.name: {c.name: c.pii for c in t.columns if c.pii} for t in TABLES.values()
}


@dataclass
class DataRequestRow:
    table: str
    table_required: bool
    column: str
    type: str
    column_required: bool
    meaning: str
    allowed: str = field(default="")
    #: contract version that added the column (or its table): the list marks what is new in v2
    since: int = 1


def data_request_rows() -> list[DataRequestRow]:
    """The data request list, one row per column, in contract order."""
    return [
        DataRequestRow(
            t.name,
            t.required,
            c.name,
            c.type,
            c.required,
            c.meaning,
            "|".join(c.choices or ()),
            max(t.since, c.since),
        )
        for t in TABLES.values()
        for c in t.columns
    ]
