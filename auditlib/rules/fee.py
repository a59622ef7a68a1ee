"""FEE: fees charged as the law and the contracts say (IC 35).

Exact decimal comparison on float columns: the loader reads every `dec` cell into a float64, which is
exact to 15 significant digits of the text (a decimal with at most 15 significant digits is the shortest text
that reads back to its float, so `repr` gives the institution's own figure back). A float comparison decides
every row that is clearly on one side of the limit; those within a relative 1e-9 of it (a fee exactly at
the limit, or a cent over on a large amount) are decided again exactly, on those figures read back as scaled
integers (vectorized), so a fee exactly at the limit is never an exception by rounding (docs/decisions.md).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..arrowops import codes_in
from ..schema import PURCHASE_CODES
from .base import (
    CONFIRMED_PURCHASES,
    RuleContext,
    RuleOutput,
    Scope,
    evidence,
    fmt_ts,
    lookup,
    no_findings,
    rule,
)

#: rows within this relative distance of the limit are decided in decimal arithmetic (float error is ~1e-16)
NEAR = 1e-9


def exact(value) -> Decimal:
    """The decimal a float64 (or a parameter given as text or number) stands for: its shortest repr."""
    if isinstance(value, Decimal):
        return value
    return Decimal(value.strip()) if isinstance(value, str) else Decimal(repr(float(value)))


#: decimals tried when reading a float back as a scaled integer (fees and rates beyond 12 decimals: `decimal`)
MAX_DECIMALS = 12
#: powers of ten as Python integers, for products beyond int64 (10^15 * 10^15)
POW10 = np.array([10**k for k in range(100)], dtype=object)


def scaled(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(X, d) with x == X / 10**d exactly, X an integer below 10^15 and d the fewest decimals (0..12); d = -1
    where there is none. Below 10^15 the decimal X * 10^-d has at most 15 significant digits, so it is the
    institution's own figure (the one decimal of that length reading back to x); vectorized, one pass per
    d."""
    big = np.zeros(len(x), dtype=np.int64)
    d = np.full(len(x), -1, dtype=np.int64)
    for k in range(MAX_DECIMALS + 1):
        todo = d < 0
        if not todo.any():
            break
        cand = np.round(
            x * 10.0**k
        )  # |x * 10^k| < 10^15: the product's error is below 0.2, so round is exact
        ok = todo & (np.abs(cand) < 1e15) & (cand / 10.0**k == x)
        big[ok], d[ok] = cand[ok].astype(np.int64), k
    return big, d


def _exact_above(fee: np.ndarray, amount: np.ndarray, rate: np.ndarray, tol: Decimal) -> np.ndarray:
    """fee > (rate + tol) * amount on the figures the floats stand for, in integers: with fee = F/10^f,
    amount = A/10^a, rate + tol = S/10^s, it is F * 10^(a+s) > S * A * 10^f (Python integers, no overflow;
    numpy loops over them in C). A figure with no 15-digit, 12-decimal reading falls back to `decimal`."""
    (f_int, f_d), (a_int, a_d), (r_int, r_d) = scaled(fee), scaled(amount), scaled(rate)
    t_d = max(0, -int(tol.as_tuple().exponent))  # a tolerance below 10^-60 is not a tolerance
    t_int = int(tol.scaleb(t_d))
    s_d = np.maximum(r_d, t_d)
    ok = (f_d >= 0) & (a_d >= 0) & (r_d >= 0)
    out = np.zeros(len(fee), dtype=bool)
    i = np.flatnonzero(ok)
    if len(i):
        s_int = r_int[i].astype(object) * POW10[s_d[i] - r_d[i]] + t_int * POW10[s_d[i] - t_d]
        lhs = f_int[i].astype(object) * POW10[a_d[i] + s_d[i]]
        rhs = s_int * a_int[i].astype(object) * POW10[f_d[i]]
        out[i] = (lhs > rhs).astype(bool)
    for j in np.flatnonzero(~ok):  # more than 12 decimals or 15 digits: rare enough for `decimal`
        out[j] = exact(fee[j]) > (exact(rate[j]) + tol) * exact(amount[j])
    return out


def above_limit(fee: np.ndarray, amount: np.ndarray, rate: np.ndarray, tolerance) -> np.ndarray:
    """fee / amount > rate + tolerance, exactly in decimal (amount > 0): fee > (rate + tolerance) * amount.

    Float arithmetic decides the rows clearly on one side; the rows within a relative 1e-9 of the limit (all
    of them, if an institution charges exactly the limit on every sale) are decided exactly by
    `_exact_above`."""
    tol = exact(tolerance)
    limit = (rate + float(tol)) * amount
    diff = fee - limit
    near = np.abs(diff) <= NEAR * np.maximum(np.abs(fee), np.abs(limit))
    out = diff > 0
    if near.any():
        out[near] = _exact_above(fee[near], amount[near], rate[near], tol)
    return out


def percent(values) -> list[str]:
    """Fractions as percentages for the report (hits only): 0.015 -> 1.5%, up to 6 decimals, no trailing
    zeros."""
    return [_plain((exact(v) * 100).quantize(Decimal("0.000001"))) + "%" for v in values]


def _plain(d: Decimal) -> str:
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(values) -> list[str]:
    """Amounts as the institution wrote them, with thousands separators: 1,000.00 (hits only)."""
    out = []
    for v in values:
        d = exact(v)
        out.append(f"{d:,.2f}" if d == d.quantize(Decimal("0.01")) else f"{d:,f}")
    return out


def fee_checks(ctx: RuleContext) -> tuple[pd.DataFrame, pd.Series, np.ndarray, int]:
    """FEE-001's population (`product_code`, `amount`, `fee`, indexed as the transactions), each row's
    contract rate, the exception mask, and how many purchases were left out for a null. Shared by the rule
    and the FEE report section."""
    tx = ctx.tables["transactions"]
    keep = (
        (
            tx["business_code"].isin(PURCHASE_CODES)
            & (tx["status"] == "confirmed")
            & ctx.in_period(tx["applied_at"])
        )
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    m = tx.loc[keep, ["product_code", "amount", "fee"]]
    products = ctx.tables["products"].drop_duplicates("product_code")
    pos = codes_in(m["product_code"], products["product_code"])
    rates = products["max_fee_rate"].to_numpy(dtype="float64")
    rate = pd.Series(np.append(rates, np.nan)[pos], index=m.index)  # -1: no such product, NaN
    complete = (m["amount"].notna() & m["fee"].notna() & rate.notna()).to_numpy(dtype=bool)
    scope = complete & (m["amount"] > 0).fillna(False).to_numpy(dtype=bool)
    m, rate = m[scope], rate[scope]
    bad = above_limit(
        m["fee"].to_numpy(dtype="float64"),
        m["amount"].to_numpy(dtype="float64"),
        rate.to_numpy(dtype="float64"),
        ctx.params["fee_tolerance"],
    )
    return m, rate, bad, int((~complete).sum())


@rule(
    "FEE-001",
    partition={"transactions": "customer_id"},
    family="FEE",
    severity="high",
    tables=("transactions", "products"),
    sample=Scope("transactions", where=CONFIRMED_PURCHASES, present=("amount", "fee")),
    columns=("transactions.fee", "products.max_fee_rate"),
    cites=("IC 35",),
    entity="txn_id",
    params={"fee_tolerance": 0.0001},
    title={
        "zh": "申购类交易收取的费用超过合同约定的费率上限",
        "en": "Purchase fee above the rate the contract allows",
    },
    requirement={
        "zh": "认购、申购、定投（已确认）收取的费用占申请金额的比例不得超过产品合同约定的最高费率"
        "（允许误差 {fee_tolerance}，以小数表示）",
        "en": "The fee on a confirmed subscription, purchase or regular investment, as a fraction of the "
        "amount, must not exceed the highest rate the product's contract allows (tolerance "
        "{fee_tolerance}, as a fraction)",
    },
    detail={
        "zh": "交易 {txn_id}（产品 {product_code}）于 {applied_at} 申请，金额 {amount} 元，收取费用 {fee} "
        "元，费率 {rate}，超过合同最高费率 {max_rate}（允许误差 {tolerance}）",
        "en": "Transaction {txn_id} (product {product_code}) applied {applied_at}: amount {amount}, fee "
        "{fee}, a rate of {rate}, above the contract's highest rate {max_rate} (tolerance {tolerance})",
    },
)
def fee_001(ctx: RuleContext) -> RuleOutput:
    """Fees must be charged as the law and the contracts say (IC 35:
    严格按照法律法规和基金合同的规定收取费用). Only when the bundle gives `transactions.fee` and
    `products.max_fee_rate`: a confirmed purchase-type transaction applied in the period with `amount` > 0
    whose fee / amount exceeds the product's `max_fee_rate` plus `fee_tolerance`, compared in exact decimal
    arithmetic (a fee exactly at the limit is no exception). Rows with a null amount, fee or rate (or a
    product not in the products table) are left out of the population and counted."""
    m, rate, bad, left_out = fee_checks(ctx)
    tx, products = ctx.tables["transactions"], ctx.tables["products"].drop_duplicates("product_code")
    if not bad.any():
        return RuleOutput(len(m), no_findings(), left_out=left_out)
    h = tx.loc[m.index[bad], ["txn_id", "product_code", "applied_at", "amount", "fee", "staff_id", "_row"]]
    r = rate[bad]
    product_row = lookup(h["product_code"], products, "product_code", "_row")
    tolerance = percent([ctx.params["fee_tolerance"]])[0]
    return RuleOutput(
        len(m),
        pd.DataFrame(
            {
                "entity_id": h["txn_id"],
                "occurred_at": h["applied_at"],
                "staff_id": h["staff_id"],
                "txn_id": h["txn_id"],
                "product_code": h["product_code"],
                "applied_at": fmt_ts(h["applied_at"]),
                "amount": _money(h["amount"]),
                "fee": _money(h["fee"]),
                "rate": percent(exact(f) / exact(a) for f, a in zip(h["fee"], h["amount"], strict=True)),
                "max_rate": percent(r),
                "tolerance": tolerance,
                "evidence": evidence("transactions", h["_row"]) + "; " + evidence("products", product_row),
            }
        ),
        left_out=left_out,
    )
