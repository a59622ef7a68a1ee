"""ABN: abnormal transactions and fund settlement (IC 21, 23, 31).

Everything is vectorized for 10^7 transactions: windows by sort + shift, "latest purchase before a
redemption" by `merge_asof`, settlement by groupby on integer cents, and calendar questions (trading
day? next trading day? working-day deadline?) asked once per calendar day of the data's range and
looked up by day number, so the calendar cost does not grow with the row count.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..arrowops import isin_text
from ..schema import PURCHASE_CODES
from .base import (
    CONFIRMED_PURCHASES,
    Param,
    RuleContext,
    RuleOutput,
    Scope,
    aggregate,
    evidence,
    fmt_day,
    fmt_ts,
    lookup,
    no_findings,
    rule,
)
from .suit import (
    bases_of,
    business_names,
    column_codes,
    combine_codes,
    latest_by_codes,
    transaction_findings,
    with_details,
)

NS_PER_DAY = 86_400 * 10**9
REDEMPTION = "024"
PAYOUT_TYPES = ["redemption_payout", "dividend", "refund"]

TRANSFER_TYPES = {
    "zh": {
        "redemption_payout": "赎回款划付",
        "dividend": "分红款划付",
        "refund": "退款",
        "branch_sweep": "网点资金归集",
    },
    "en": {
        "redemption_payout": "redemption payout",
        "dividend": "dividend",
        "refund": "refund",
        "branch_sweep": "branch sweep",
    },
}
STATUS = {
    "zh": {"failed": "失败", "rejected": "拒绝", "confirmed": "确认"},
    "en": {"failed": "failed", "rejected": "rejected", "confirmed": "confirmed"},
}


# ------------------------------------------------------------------------------------------ helpers


def by_day(ts: pd.Series, fn) -> np.ndarray:
    """`fn(days)` for each row's calendar day, computed once per day of the rows' range (not per row).

    `fn` takes a datetime64[D] array of consecutive days and returns one value per day."""
    ns = ts.to_numpy(dtype="datetime64[ns]").view(np.int64)
    day = np.floor_divide(ns, NS_PER_DAY)
    if day.size == 0:
        return np.asarray(fn(np.array([], dtype="datetime64[D]")))
    lo, hi = int(day.min()), int(day.max())
    grid = np.arange(lo, hi + 1, dtype=np.int64).view("datetime64[D]")
    return np.asarray(fn(grid))[day - lo]


def money(s: pd.Series) -> pd.Series:
    return s.map(lambda x: f"{x:,.2f}")


def cents(s: pd.Series) -> np.ndarray:
    """Amounts as whole cents (int64): sums and the 0.01 tolerance compare exactly, no float drift."""
    return np.round(s.fillna(0).to_numpy(dtype="float64") * 100).astype(np.int64)


def lang_columns(name: str, values: dict[str, pd.Series]) -> dict[str, pd.Series]:
    return {f"{name}_{lang}": v for lang, v in values.items()}


def parse_cutoff(value: str) -> pd.Timedelta:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", str(value))
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f"cutoff must be a time of day 'HH:MM', got {value!r}")
    return pd.Timedelta(hours=int(m[1]), minutes=int(m[2]), seconds=int(m[3] or 0))


#: the transaction columns the ABN rules read (selecting them before filtering keeps 10^7-row copies small)
TX_COLUMNS = [
    "_row",
    "txn_id",
    "customer_id",
    "product_code",
    "business_code",
    "applied_at",
    "trade_date",
    "amount",
    "status",
    "branch_id",
    "staff_id",
    "notified_at",
]


def select(df: pd.DataFrame, keep, columns=None) -> pd.DataFrame:
    """Rows where `keep` (nullable booleans: NA = no), only `columns`: one copy, of what is used."""
    if isinstance(keep, pd.Series):
        keep = keep.fillna(False).to_numpy(dtype=bool)
    keep = np.broadcast_to(np.asarray(keep, dtype=bool), (len(df),))
    return df.loc[keep, list(columns) if columns is not None else df.columns]


def flags(mask) -> np.ndarray:
    """A nullable boolean Series as plain numpy booleans (NA = False)."""
    return mask.fillna(False).to_numpy(dtype=bool)


def is_confirmed_purchase(tx: pd.DataFrame) -> pd.Series:
    return tx["business_code"].isin(PURCHASE_CODES) & (tx["status"] == "confirmed")


def transactions_in_period(ctx: RuleContext, keep=True, columns=TX_COLUMNS) -> pd.DataFrame:
    """Transactions applied in the period (and where `keep`), with `columns`."""
    tx = ctx.tables["transactions"]
    return select(tx, ctx.in_period(tx["applied_at"]) & keep, columns)


def transfers_in_period(ctx: RuleContext, keep=True) -> pd.DataFrame:
    ft = ctx.tables["fund_transfers"]
    return select(ft, ctx.in_period(ft["business_date"]) & keep)


def transfer_type_names(types: pd.Series) -> dict[str, pd.Series]:
    return {lang: types.map(TRANSFER_TYPES[lang]).fillna(types) for lang in ("zh", "en")}


def status_names(status: pd.Series) -> dict[str, pd.Series]:
    return {lang: status.map(STATUS[lang]).fillna(status) for lang in ("zh", "en")}


def transfer_findings(hit: pd.DataFrame, occurred_at: pd.Series, columns: dict) -> pd.DataFrame:
    """One finding per fund transfer in `hit`, dated `occurred_at`: the transfer, the rule's `columns`, and
    its fund_transfers row as evidence."""
    return pd.DataFrame(
        {
            "entity_id": hit["transfer_id"],
            "occurred_at": occurred_at,
            "transfer_id": hit["transfer_id"],
            **columns,
            "evidence": evidence("fund_transfers", hit["_row"]),
        }
    )


# ------------------------------------------------------------------------------------------ ABN-001


@rule(
    "ABN-001",
    family="ABN",
    severity="medium",
    tables=("account_events",),
    sample=Scope("account_events", where={"event_type": ("open", "close")}),
    cites=("IC 31(2)",),
    entity="customer_id",
    params={"min_events": 3, "window_days": 30},
    title={"zh": "短期内频繁开户、销户", "en": "Frequent account opening and closing"},
    requirement={
        "zh": "同一客户在任意 {window_days} 天（{window_days}×24 小时）内的开户、销户事件少于 {min_events} "
        "次；否则应作为异常交易关注",
        "en": "A customer should have fewer than {min_events} account open/close events within any "
        "{window_days} days ({window_days} x 24 h); more is an abnormal pattern to follow up",
    },
    detail={
        "zh": "客户 {customer_id} 于 {first_at} 至 {last_at} 之间发生 {min_events} "
        "次开户/销户事件（期间内共 {events} 次）",
        "en": "Customer {customer_id} had {min_events} account open/close events from {first_at} to "
        "{last_at} ({events} in the period in all)",
    },
)
def abn_001(ctx: RuleContext) -> RuleOutput:
    """Frequent opening and closing of accounts is an abnormal-transaction pattern (IC 31(2)): at least
    `min_events` open/close events in the period whose first and last are at most `window_days` x 24 h
    apart (inclusive). One finding per customer, dated at the earliest such window's last event."""
    ev = ctx.tables["account_events"]
    ev = select(
        ev,
        ev["event_type"].isin(["open", "close"]) & ctx.in_period(ev["event_at"]),
        ["_row", "customer_id", "event_at"],
    )
    ev = ev.sort_values(["customer_id", "event_at", "_row"], kind="stable").reset_index(drop=True)
    k = max(int(ctx.params["min_events"]), 1) - 1
    window = pd.Timedelta(days=float(ctx.params["window_days"]))
    last_at = ev["event_at"].shift(-k)
    same = (ev["customer_id"].shift(-k) == ev["customer_id"]).fillna(False).to_numpy(dtype=bool)
    within = ((last_at - ev["event_at"]) <= window).fillna(False).to_numpy(dtype=bool)
    starts = ev[same & within].drop_duplicates("customer_id")
    population = ev["customer_id"].nunique()
    if starts.empty:
        return RuleOutput(population, no_findings())
    last = ev.loc[starts.index + k]
    counts = ev["customer_id"].value_counts()
    return RuleOutput(
        population,
        pd.DataFrame(
            {
                "entity_id": starts["customer_id"].to_numpy(),
                "occurred_at": last["event_at"].to_numpy(),
                "customer_id": starts["customer_id"].to_numpy(),
                "first_at": fmt_ts(starts["event_at"]).to_numpy(),
                "last_at": fmt_ts(last["event_at"]).to_numpy(),
                "min_events": k + 1,
                "events": starts["customer_id"].map(counts).to_numpy(),
                "evidence": (
                    evidence("account_events", starts["_row"]).to_numpy()
                    + " .. "
                    + evidence("account_events", last["_row"]).to_numpy()
                ),
            }
        ),
    )


# ------------------------------------------------------------------------------------------ ABN-002


@rule(
    "ABN-002",
    partition={"transactions": "customer_id"},
    family="ABN",
    severity="low",
    tables=("transactions",),
    sample=Scope("transactions", where={"business_code": ("024",), "status": ("confirmed",)}),
    cites=("IC 31(3)",),
    entity="txn_id",
    params={"holding_days": 7},
    title={"zh": "申购后短期内赎回", "en": "Redemption shortly after a purchase"},
    requirement={
        "zh": "确认的赎回与同一客户同一产品此前确认的认购/申购/定投之间的交易日间隔应超过 {holding_days} "
        "个自然日；否则应作为异常交易关注",
        "en": "A confirmed redemption should come more than {holding_days} calendar days (trade dates) "
        "after the same customer's last confirmed purchase-type transaction of the product; "
        "otherwise it is an abnormal pattern to follow up",
    },
    detail={
        "zh": "客户 {customer_id} 于交易日 {trade_date} 赎回产品 {product_code}（交易 {txn_id}），"
        "距其交易日 {purchase_date} 的{purchase_business}（交易 {purchase_txn_id}）仅 {days} 天",
        "en": "Customer {customer_id} redeemed product {product_code} on trade date {trade_date} "
        "(transaction {txn_id}), {days} day(s) after a {purchase_business} on {purchase_date} "
        "(transaction {purchase_txn_id})",
    },
)
def abn_002(ctx: RuleContext) -> RuleOutput:
    """Buying and quickly redeeming the same fund is an abnormal pattern (IC 31(3)): a confirmed redemption
    (024) applied in the period whose trade date is 0 to `holding_days` calendar days (inclusive) after
    the trade date of the same customer's latest confirmed purchase-type transaction of the same product
    (which may lie before the period)."""
    tx = ctx.tables["transactions"]
    red = flags(
        ctx.in_period(tx["applied_at"]) & (tx["business_code"] == REDEMPTION) & (tx["status"] == "confirmed")
    )
    buy = flags(is_confirmed_purchase(tx))
    # both sides come from one table: code its keys once, then everything is integer arrays
    codes = [column_codes(tx["customer_id"]), column_codes(tx["product_code"])]
    key = combine_codes(codes, bases_of(codes))
    day = tx["trade_date"].to_numpy(dtype="datetime64[ns]")
    ri, bi = np.flatnonzero(red), np.flatnonzero(buy)
    i = latest_by_codes(key[ri], day[ri], key[bi], day[bi], tx["_row"].to_numpy()[bi])
    found = i >= 0
    gap = np.full(len(ri), -1, dtype=np.int64)
    gap[found] = (day[ri[found]] - day[bi[i[found]]]) // np.timedelta64(1, "D")
    hit_mask = found & (gap <= int(ctx.params["holding_days"]))
    hit = tx.iloc[ri[hit_mask]][
        ["_row", "txn_id", "customer_id", "product_code", "applied_at", "trade_date", "staff_id"]
    ]
    p = tx.iloc[bi[i[hit_mask]]]
    hit = hit.assign(
        purchase_date=p["trade_date"].to_numpy(),
        purchase_txn_id=p["txn_id"].array,
        purchase_code=p["business_code"].array,
        _row_p=p["_row"].to_numpy(),
    )
    columns = {
        "customer_id": hit["customer_id"],
        "product_code": hit["product_code"],
        "trade_date": fmt_day(hit["trade_date"]),
        "purchase_date": fmt_day(hit["purchase_date"]),
        "purchase_txn_id": hit["purchase_txn_id"],
        "days": gap[hit_mask],
        "evidence": evidence("transactions", hit["_row"]) + "; " + evidence("transactions", hit["_row_p"]),
    }
    purchase = {lang: business_names(hit["purchase_code"], lang) for lang in ("zh", "en")}
    return RuleOutput(
        len(ri), transaction_findings(hit, columns, {"purchase_business": purchase}, business=None)
    )


# ------------------------------------------------------------------------------------------ ABN-003


@rule(
    "ABN-003",
    family="ABN",
    severity="high",
    tables=("account_events",),
    sample=Scope("account_events", where={"event_type": ("bank_account_change",)}),
    cites=("IC 23(1)", "IC 31(4)"),
    entity="event_id",
    title={
        "zh": "变更银行账户未核实身份或未按异常交易处理",
        "en": "Bank account change without identity check or abnormal-transaction handling",
    },
    requirement={
        "zh": "每次变更银行账户均须核实申请人身份，"
        "并作为异常交易进行处理（记录显示已核实身份且已标记为异常交易）",
        "en": "Every change of bank account must have the requester's identity verified and be handled "
        "as an abnormal transaction (the record shows the identity verified and the change flagged abnormal)",
    },
    detail={
        "zh": "客户 {customer_id} 的银行账户变更 {event_id}（{event_at}）：{what}",
        "en": "Bank account change {event_id} of customer {customer_id} ({event_at}): {what}",
    },
)
def abn_003(ctx: RuleContext) -> RuleOutput:
    """A change of the bank account that receives redemption money is the classic route for diverting an
    investor's money: the requester's identity must be verified (IC 23(1)) and the change handled as an
    abnormal transaction (IC 31(4)). A null flag counts as not done."""
    ev = ctx.tables["account_events"]
    ev = select(ev, (ev["event_type"] == "bank_account_change") & ctx.in_period(ev["event_at"]))
    verified = ev["identity_verified"].fillna(False).to_numpy(dtype=bool)
    flagged = ev["flagged_abnormal"].fillna(False).to_numpy(dtype=bool)
    bad = ~verified | ~flagged
    hit, v, f = ev[bad], verified[bad], flagged[bad]
    what = {
        "zh": np.select(
            [~v & ~f, ~v],
            ["未核实申请人身份，也未作为异常交易处理", "未核实申请人身份"],
            "未作为异常交易处理",
        ),
        "en": np.select(
            [~v & ~f, ~v],
            ["identity not verified and not handled as an abnormal transaction", "identity not verified"],
            "not handled as an abnormal transaction",
        ),
    }
    return RuleOutput(
        len(ev),
        pd.DataFrame(
            {
                "entity_id": hit["event_id"],
                "occurred_at": hit["event_at"],
                "staff_id": hit["staff_id"],
                "event_id": hit["event_id"],
                "customer_id": hit["customer_id"],
                "event_at": fmt_ts(hit["event_at"]),
                "what_zh": what["zh"],
                "what_en": what["en"],
                "evidence": evidence("account_events", hit["_row"]),
            }
        ),
    )


# ------------------------------------------------------------------------------------------ ABN-004


def _name_key(s: pd.Series) -> pd.Series:
    """Names compared without any whitespace (incl. the full-width space) and case-insensitively."""
    return s.astype("string").str.replace(r"\s+", "", regex=True).str.casefold()


@rule(
    "ABN-004",
    partition={"fund_transfers": "txn_id", "transactions": "txn_id"},
    family="ABN",
    severity="high",
    tables=("fund_transfers", "customers", "transactions"),
    sample=Scope("fund_transfers", where={"transfer_type": Param("transfer_types")}),
    cites=("IC 21(3)", "IC 23(1)"),
    entity="transfer_id",
    params={"transfer_types": PAYOUT_TYPES},
    title={"zh": "投资者资金划往非本人账户", "en": "Investor money paid to an account in another name"},
    requirement={
        "zh": "以下类型的划款只能划入投资者本人名下的账户（收款户名与客户姓名一致）：{transfer_types}",
        "en": "Transfers of these types may only go to an account in the investor's own name (account "
        "holder equal to the customer's name): {transfer_types}",
    },
    detail={
        "zh": "划款 {transfer_id}（{transfer_type}，业务日 {business_date}，金额 "
        "{amount}）收款户名“{holder}”，客户 {customer_id} 姓名“{customer_name}”：{what}",
        "en": "Transfer {transfer_id} ({transfer_type}, business date {business_date}, amount {amount}) to "
        "account holder '{holder}'; customer {customer_id} is '{customer_name}': {what}",
    },
    pii={"holder": "name", "customer_name": "name"},
)
def abn_004(ctx: RuleContext) -> RuleOutput:
    """Investors' money must go back only to the investor's own account (IC 21(3), 23(1)): a payout,
    dividend or refund with business_date in the period whose to_account_holder differs from the name of
    the transfer's customer_id, or, when that is empty, of the customer of its txn_id. Names are compared
    without whitespace and case. An empty holder, or a customer that cannot be identified, cannot be shown
    to be the investor's own account and is reported too."""
    ft = ctx.tables["fund_transfers"]
    ft = transfers_in_period(ctx, ft["transfer_type"].isin(ctx.params["transfer_types"]))
    customer = ft["customer_id"].copy()
    via_txn = (customer.isna() & ft["txn_id"].notna()).to_numpy()
    if via_txn.any():  # look up only the transactions these transfers name, not all 10^7
        tx = ctx.tables["transactions"]
        tx = select(tx, isin_text(tx["txn_id"], ft.loc[via_txn, "txn_id"]), ["txn_id", "customer_id"])
        customer[via_txn] = lookup(ft.loc[via_txn, "txn_id"], tx, "txn_id", "customer_id")
    name = lookup(customer, ctx.tables["customers"], "customer_id", "name")
    holder = ft["to_account_holder"]
    # exact equality settles almost every row; only the rest are normalized (whitespace, case)
    differs = ~(holder == name).fillna(False).to_numpy(dtype=bool)
    if differs.any():
        differs[differs] = (
            (_name_key(holder[differs]) != _name_key(name[differs])).fillna(True).to_numpy(dtype=bool)
        )
    hit = ft[differs]
    c, n, h = customer[differs], name[differs], holder[differs]
    no_customer, no_holder = n.isna().to_numpy(), h.isna().to_numpy()
    what = {
        "zh": np.select(
            [no_customer, no_holder],
            ["无法确定对应客户，不能证明划入本人账户", "收款户名为空"],
            "收款户名与客户姓名不一致",
        ),
        "en": np.select(
            [no_customer, no_holder],
            [
                "the customer cannot be identified, so the account cannot be shown to be the investor's own",
                "no account holder recorded",
            ],
            "the account holder is not the customer",
        ),
    }
    types = transfer_type_names(hit["transfer_type"])
    columns = {
        "business_date": fmt_day(hit["business_date"]),
        "amount": money(hit["amount"]),
        "holder": h.fillna(""),
        "customer_id": c,
        "customer_id_zh": c.fillna("（未知）"),
        "customer_id_en": c.fillna("(unknown)"),
        "customer_name": n.fillna(""),
        **lang_columns("transfer_type", types),
        "what_zh": what["zh"],
        "what_en": what["en"],
    }
    return RuleOutput(len(ft), transfer_findings(hit, hit["executed_at"].fillna(hit["due_at"]), columns))


# ------------------------------------------------------------------------------------------ ABN-005


def transfer_timeliness(ctx: RuleContext) -> tuple[pd.DataFrame, pd.Series, np.ndarray, np.ndarray]:
    """Transfers with business_date in the period, their deadline (due_at + grace), and which were
    executed late and which are missing and overdue at as_of (shared with the report's ABN section)."""
    ft = transfers_in_period(ctx)
    deadline = ft["due_at"] + pd.Timedelta(minutes=float(ctx.params["grace_minutes"]))
    late = (ft["executed_at"] > deadline).fillna(False).to_numpy(dtype=bool)
    missing = (ft["executed_at"].isna() & (deadline < ctx.as_of)).fillna(False).to_numpy(dtype=bool)
    return ft, deadline, late, missing


@rule(
    "ABN-005",
    partition={"fund_transfers": "txn_id"},  # row by row: any key
    family="ABN",
    severity="medium",
    tables=("fund_transfers",),
    sample=Scope("fund_transfers"),
    cites=("IC 23(3)", "IC 31(6)"),
    entity="transfer_id",
    params={"grace_minutes": 0},
    title={"zh": "资金划转未按约定时间完成", "en": "Fund transfer late or not executed"},
    requirement={
        "zh": "资金划转须在约定的最迟执行时间前完成（宽限 {grace_minutes} 分钟）；"
        "截至检查基准日已过最迟时间仍未执行的亦属例外",
        "en": "A fund transfer must be executed by its agreed latest time (grace {grace_minutes} "
        "minute(s)); one still not executed when that time is before the as-of date is an exception",
    },
    detail={
        "zh": "划款 {transfer_id}（{transfer_type}，业务日 {business_date}，金额 {amount}）应于 {deadline} "
        "前执行：{what}",
        "en": "Transfer {transfer_id} ({transfer_type}, business date {business_date}, amount {amount}) was "
        "due by {deadline}: {what}",
    },
)
def abn_005(ctx: RuleContext) -> RuleOutput:
    """Settlement money must move on time (IC 23(3), 31(6)): a transfer with business_date in the period
    executed after due_at + `grace_minutes` (exactly at it is on time), or not executed although that
    deadline is before as_of (00:00 of the as_of day). A transfer not executed and not yet due is not."""
    ft, deadline, late, missing = transfer_timeliness(ctx)
    bad = late | missing
    hit, dl, is_late = ft[bad], deadline[bad], late[bad]
    delay = np.ceil((hit["executed_at"] - dl).dt.total_seconds().fillna(0).to_numpy() / 60).astype(np.int64)
    executed = fmt_ts(hit["executed_at"]).fillna("")
    as_of = ctx.as_of.strftime("%Y-%m-%d")
    what = {
        "zh": np.where(
            is_late,
            "实际于 " + executed + " 执行，迟延 " + delay.astype(str) + " 分钟",
            f"截至检查基准日 {as_of} 仍未执行",
        ),
        "en": np.where(
            is_late,
            "executed at " + executed + ", " + delay.astype(str) + " minute(s) late",
            f"not executed as of {as_of}",
        ),
    }
    columns = {
        "business_date": fmt_day(hit["business_date"]),
        "amount": money(hit["amount"]),
        "deadline": fmt_ts(dl),
        **lang_columns("transfer_type", transfer_type_names(hit["transfer_type"])),
        "what_zh": what["zh"],
        "what_en": what["en"],
    }
    return RuleOutput(len(ft), transfer_findings(hit, dl, columns))


# ------------------------------------------------------------------------------------------ ABN-006


@aggregate(collected="sum", txns="sum", first_row="min")
def branch_collections(ctx: RuleContext) -> pd.DataFrame:
    """Per branch and trade date in the period (sorted): the confirmed purchase-type money collected, in
    cents, the number of those transactions and the first one's row."""
    tx = ctx.tables["transactions"]
    tx = select(
        tx,
        is_confirmed_purchase(tx) & tx["branch_id"].notna() & ctx.in_period(tx["trade_date"]),
        ["_row", "branch_id", "trade_date", "amount"],
    )
    return (
        pd.DataFrame(
            {
                "branch_id": tx["branch_id"],
                "day": tx["trade_date"],
                "c": cents(tx["amount"]),
                "_row": tx["_row"],
            }
        )
        .groupby(["branch_id", "day"], sort=True)
        .agg(collected=("c", "sum"), txns=("c", "size"), first_row=("_row", "min"))
    )


@aggregate(s="sum")
def branch_sweeps(ctx: RuleContext) -> pd.DataFrame:
    """Per branch and business date (sorted): the `branch_sweep` transfers executed that same day, in
    cents."""
    ft = ctx.tables["fund_transfers"]
    sw = select(
        ft,
        (ft["transfer_type"] == "branch_sweep") & (ft["executed_at"].dt.normalize() == ft["business_date"]),
        ["branch_id", "business_date", "amount"],
    )
    return (
        pd.DataFrame({"branch_id": sw["branch_id"], "day": sw["business_date"], "s": cents(sw["amount"])})
        .groupby(["branch_id", "day"], sort=True)[["s"]]
        .sum()
    )


@rule(
    "ABN-006",
    # any keys: collections and sweeps are summed up per branch and day (aggregates), so one branch's sales
    # need not share a partition
    partition={"transactions": "customer_id", "fund_transfers": "txn_id"},
    aggregates=(branch_collections, branch_sweeps),
    family="ABN",
    severity="medium",
    tables=("transactions", "fund_transfers"),
    sample=Scope("transactions", where=CONFIRMED_PURCHASES, present=("branch_id",), column="trade_date"),
    cites=("IC 23(4)",),
    entity="branch_id:date",
    params={"tolerance": 0.01},
    title={"zh": "网点代收的申购款未当日足额归集", "en": "Branch collections not swept in full the same day"},
    requirement={
        "zh": "网点每个交易日收取的申购类款项（已确认的认购、申购、定投）须于当日全额划入归集账户"
        "（同一业务日、当日执行的网点资金归集划款合计不少于收款额，容差 {tolerance}）",
        "en": "Purchase-type money (confirmed subscriptions, purchases, regular investments) a branch "
        "collects on a trade date must be swept in full that same day (branch sweep transfers of "
        "that business date executed that day total at least the amount, tolerance {tolerance})",
    },
    detail={
        "zh": "网点 {branch_id} 交易日 {trade_date} 收取申购类款项 {collected}（{txns} 笔），"
        "当日执行的归集划款合计 {swept}，短少 {short}",
        "en": "Branch {branch_id} collected {collected} ({txns} transaction(s)) on trade date {trade_date}; "
        "sweeps executed that day total {swept}, {short} short",
    },
)
def abn_006(ctx: RuleContext) -> RuleOutput:
    """Money a branch collects must not stay at the branch (IC 23(4)): for each branch and trade date in the
    period with confirmed purchase-type money collected, the `branch_sweep` transfers of that branch with
    that business_date and executed on that same calendar day must total at least the collected amount,
    less `tolerance`. Amounts are compared in whole cents (short by exactly the tolerance is not a
    finding)."""
    coll = branch_collections(ctx)
    swept = branch_sweeps(ctx)["s"]
    coll["swept"] = swept.reindex(coll.index).fillna(0).astype("int64").to_numpy()
    tolerance = int(round(float(ctx.params["tolerance"]) * 100))
    short = coll["collected"] - coll["swept"]
    hit = coll[(short > tolerance).to_numpy()].reset_index()
    if hit.empty:
        return RuleOutput(len(coll), no_findings())
    day = fmt_day(hit["day"])
    return RuleOutput(
        len(coll),
        pd.DataFrame(
            {
                "entity_id": hit["branch_id"] + ":" + day,
                "occurred_at": hit["day"],
                "branch_id": hit["branch_id"],
                "trade_date": day,
                "collected": money(hit["collected"] / 100),
                "swept": money(hit["swept"] / 100),
                "short": money((hit["collected"] - hit["swept"]) / 100),
                "txns": hit["txns"],
                "evidence": "transactions where branch_id "
                + hit["branch_id"]
                + " and trade_date "
                + day
                + " (first: "
                + evidence("transactions", hit["first_row"])
                + "); fund_transfers branch_sweep of that day",
            }
        ),
    )


# ------------------------------------------------------------------------------------------ ABN-009


def special_accounts(ctx: RuleContext) -> list[str]:
    """The configured head-office sales special accounts (专用账户), trimmed as the data is."""
    return [str(a).strip() for a in ctx.params["sales_special_accounts"] if str(a).strip()]


def sweeps_in_period(ctx: RuleContext) -> pd.DataFrame:
    """`branch_sweep` transfers with business_date in the period, with `account`: to_account trimmed (NA
    when null or blank) and `special`: whether it is one of the configured special accounts."""
    ft = ctx.tables["fund_transfers"]
    sw = select(
        ft,
        (ft["transfer_type"] == "branch_sweep") & ctx.in_period(ft["business_date"]),
        [
            "_row",
            "transfer_id",
            "branch_id",
            "business_date",
            "due_at",
            "executed_at",
            "amount",
            "to_account",
        ],
    )
    account = sw["to_account"].astype("string").str.strip().replace("", pd.NA)
    return sw.assign(
        account=account, special=account.isin(special_accounts(ctx)).fillna(False).to_numpy(bool)
    )


@rule(
    "ABN-009",
    partition={"fund_transfers": "txn_id"},  # row by row: any key
    family="ABN",
    severity="high",
    tables=("fund_transfers",),
    sample=Scope("fund_transfers", where={"transfer_type": ("branch_sweep",)}),
    cites=("IC 23(4)",),
    entity="transfer_id",
    params={"sales_special_accounts": []},
    needs={
        "sales_special_accounts": {
            "zh": "总部基金销售专用账户清单",
            "en": "the list of head-office fund sales special accounts",
        }
    },
    title={
        "zh": "网点归集资金未划入总部销售专用账户",
        "en": "Branch sweep not paid into a head-office sales special account",
    },
    requirement={
        "zh": "网点收取的资金须归集至总部的基金销售专用账户："
        "每笔网点资金归集划款的收款账户须为下列账户之一：{sales_special_accounts}",
        "en": "Money a branch collects must be swept into the head office's fund sales special account: "
        "every branch sweep must be paid into one of these accounts: {sales_special_accounts}",
    },
    detail={
        "zh": "网点 {branch_id} 的归集划款 {transfer_id}（业务日 {business_date}，金额 "
        "{amount}）{what}{to_account}",
        "en": "Branch sweep {transfer_id} of branch {branch_id} (business date {business_date}, amount "
        "{amount}) {what}{to_account}",
    },
    pii={"to_account": "account"},
)
def abn_009(ctx: RuleContext) -> RuleOutput:
    """Swept money must reach the head office's sales special account (IC 23(4)), not any other account:
    every `branch_sweep` transfer with business_date in the period whose to_account, whitespace trimmed, is
    not one of `sales_special_accounts`. A sweep with no receiving account recorded is an exception too.
    The accounts are text (a number loses leading zeros: the params file must quote them); while none is
    configured the rule is not tested (parameter not provided), since nothing can be compared."""
    sw = sweeps_in_period(ctx)
    hit = sw[~sw["special"]]
    if hit.empty:
        return RuleOutput(len(sw), no_findings())
    none = hit["account"].isna().to_numpy()
    branch = hit["branch_id"].astype("string")
    columns = {
        "branch_id_zh": branch.fillna("（未记录）"),
        "branch_id_en": branch.fillna("(not recorded)"),
        "business_date": fmt_day(hit["business_date"]),
        "amount": money(hit["amount"]),
        "to_account": hit["account"].fillna(""),
        "what_zh": np.where(none, "未记录收款账户", "划入非总部销售专用账户 "),
        "what_en": np.where(
            none, "has no receiving account recorded", "went to an account that is not a special account: "
        ),
    }
    occurred_at = hit["executed_at"].fillna(hit["due_at"])
    return RuleOutput(len(sw), transfer_findings(hit, occurred_at, columns).reset_index(drop=True))


# ------------------------------------------------------------------------------------------ ABN-007


def cutoff_check(ctx: RuleContext) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Transactions applied in the period with the trade date the cut-off rule gives each, and whether
    the application day was a trading day and the time before the cut-off (shared with the report)."""
    tx = transactions_in_period(ctx, columns=["applied_at", "trade_date"])
    cal = ctx.trading
    cutoff = parse_cutoff(ctx.params["cutoff"])
    applied = tx["applied_at"]
    trading = by_day(applied, cal.is_trading_day).astype(bool)
    nxt = by_day(applied, cal.next_trading_day).astype("datetime64[ns]")
    today = applied.dt.normalize()
    before = ((applied - today) < cutoff).to_numpy(dtype=bool)
    expected = np.where(trading & before, today.to_numpy(), nxt)
    return tx, expected, trading, before


@rule(
    "ABN-007",
    partition={"transactions": "customer_id"},
    family="ABN",
    severity="medium",
    tables=("transactions",),
    sample=Scope("transactions"),
    cites=("IC 21(2)",),
    entity="txn_id",
    params={"cutoff": "15:00"},
    title={"zh": "交易申请的交易日（T 日）认定错误", "en": "Wrong trade date for the application time"},
    requirement={
        "zh": "交易日 {cutoff} 前提交的申请以当日为交易日；{cutoff} "
        "及以后或非交易日提交的申请以下一交易日为交易日",
        "en": "An application before {cutoff} on a trading day trades that day; one at or after {cutoff}, "
        "or on a non-trading day, trades on the next trading day",
    },
    detail={
        "zh": "交易 {txn_id}（{business}，{status}）于 {applied_at}（{when}）申请，应以 {expected} "
        "为交易日，实际为 {trade_date}",
        "en": "Transaction {txn_id} ({business}, {status}) applied {applied_at} ({when}) should trade on "
        "{expected}, recorded {trade_date}",
    },
)
def abn_007(ctx: RuleContext) -> RuleOutput:
    """The cut-off time must be applied strictly (IC 21(2)): an application at or after the cut-off of a
    trading day, or at any time on a non-trading day (weekends, holidays and the exchange-closed 调休
    make-up Saturdays), belongs to the next trading day; one before the cut-off of a trading day to that
    day. Every status is tested: a late application booked into today is the abuse whether or not it was
    later confirmed."""
    tx, expected, trading, before = cutoff_check(ctx)
    bad = tx["trade_date"].to_numpy() != expected
    hit = with_details(ctx, tx[bad], columns=["_row", "txn_id", "business_code", "status", "staff_id"])
    exp = pd.Series(expected[bad], index=hit.index)
    tr, bf = trading[bad], before[bad]
    cut = ctx.params["cutoff"]
    when = {
        "zh": np.select([~tr, bf], ["非交易日", f"交易日 {cut} 前"], f"交易日 {cut} 及以后"),
        "en": np.select(
            [~tr, bf], ["a non-trading day", f"trading day, before {cut}"], f"trading day, at or after {cut}"
        ),
    }
    columns = {
        "applied_at": fmt_ts(hit["applied_at"]),
        "expected": fmt_day(exp),
        "trade_date": fmt_day(hit["trade_date"]),
        "when_zh": when["zh"],
        "when_en": when["en"],
        "evidence": evidence("transactions", hit["_row"]),
    }
    return RuleOutput(len(tx), transaction_findings(hit, columns, {"status": status_names(hit["status"])}))


# ------------------------------------------------------------------------------------------ ABN-008


@rule(
    "ABN-008",
    partition={"transactions": "customer_id"},
    family="ABN",
    severity="low",
    tables=("transactions",),
    sample=Scope("transactions", where={"status": ("failed", "rejected")}),
    cites=("IC 21(6)",),
    entity="txn_id",
    params={"notify_working_days": 1},
    title={
        "zh": "交易失败或被拒未及时告知投资者",
        "en": "Investor not told in time of a failed or rejected transaction",
    },
    requirement={
        "zh": "失败或被拒绝的交易须在申请后 {notify_working_days} 个工作日内（第 {notify_working_days} "
        "个工作日 23:59:59 前）告知投资者",
        "en": "The investor must be told of a failed or rejected transaction within "
        "{notify_working_days} working day(s) of the application (by 23:59:59 of working day "
        "{notify_working_days} after its date)",
    },
    detail={
        "zh": "交易 {txn_id}（{business}，{status}）于 {applied_at} 申请，应于 {deadline} 前告知投资者："
        "{what}",
        "en": "Transaction {txn_id} ({business}, {status}) applied {applied_at}; the investor was to be told "
        "by {deadline}: {what}",
    },
)
def abn_008(ctx: RuleContext) -> RuleOutput:
    """Investors must be told when their transaction fails or is rejected (IC 21(6)): a failed or rejected
    transaction applied in the period notified after the end of the `notify_working_days`-th working day
    strictly after the application's date (exactly 23:59:59 is on time), or never notified although that
    deadline is before as_of. Missing but not yet due is not a finding."""
    tx = transactions_in_period(ctx, ctx.tables["transactions"]["status"].isin(["failed", "rejected"]))
    n = int(ctx.params["notify_working_days"])
    deadline = pd.Series(
        by_day(tx["applied_at"], lambda d: ctx.workdays.workday_deadline(d, n)),
        index=tx.index,
        dtype="datetime64[ns]",
    )
    late = (tx["notified_at"] > deadline).fillna(False).to_numpy(dtype=bool)
    missing = (tx["notified_at"].isna() & (deadline < ctx.as_of)).to_numpy(dtype=bool)
    bad = late | missing
    hit, dl, is_late = tx[bad], deadline[bad], late[bad]
    notified = fmt_ts(hit["notified_at"]).fillna("")
    as_of = ctx.as_of.strftime("%Y-%m-%d")
    columns = {
        "applied_at": fmt_ts(hit["applied_at"]),
        "deadline": fmt_ts(dl),
        "what_zh": np.where(is_late, "实际于 " + notified + " 告知", f"截至检查基准日 {as_of} 无告知记录"),
        "what_en": np.where(is_late, "told at " + notified, f"no notification recorded as of {as_of}"),
        "evidence": evidence("transactions", hit["_row"]),
    }
    return RuleOutput(len(tx), transaction_findings(hit, columns, {"status": status_names(hit["status"])}))
