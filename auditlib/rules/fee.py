"""FEE: fees charged as the law and the contracts say (IC 35).

Exact decimal comparison on float columns: the loader reads every `dec` cell into a float64, which is
exact to 15 significant digits of the text (a decimal with at most 15 significant digits is the shortest text
that reads back to its float, so `repr` gives the institution's own figure back). A float comparison decides
every row that is clearly on one side of the limit; the few within a relative 1e-9 of it (a fee exactly at
the limit, or a cent over on a large amount) are decided again in `decimal` arithmetic on those recovered
figures, so a fee exactly at the limit is never an exception by rounding (docs/decisions.md).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..arrowops import codes_in
from ..schema import PURCHASE_CODES
from .base import RuleContext, RuleOutput, evidence, fmt_ts, lookup, no_findings, rule

#: rows within this relative distance of the limit are decided in decimal arithmetic (float error is ~1e-16)
NEAR = 1e-9


def exact(value) -> Decimal:
    """The decimal a float64 (or a parameter given as text or number) stands for: its shortest repr."""
    if isinstance(value, Decimal):
        return value
    return Decimal(value.strip()) if isinstance(value, str) else Decimal(repr(float(value)))


def above_limit(fee: np.ndarray, amount: np.ndarray, rate: np.ndarray, tolerance) -> np.ndarray:
    """fee / amount > rate + tolerance, exactly in decimal (amount > 0): fee > (rate + tolerance) * amount."""
    tol = exact(tolerance)
    limit = (rate + float(tol)) * amount
    diff = fee - limit
    near = np.abs(diff) <= NEAR * np.maximum(np.abs(fee), np.abs(limit))
    out = diff > 0
    for i in np.flatnonzero(near):  # the few rows at the limit: per-row decimals, never the whole table
        out[i] = exact(fee[i]) > (exact(rate[i]) + tol) * exact(amount[i])
    return out


def _pct(values) -> list[str]:
    """Fractions as percentages for the report (hits only): 0.015 -> 1.5%, up to 6 decimals, no trailing zeros."""
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


@rule(
    "FEE-001",
    family="FEE",
    severity="high",
    tables=("transactions", "products"),
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
        "zh": "交易 {txn_id}（产品 {product_code}）于 {applied_at} 申请，金额 {amount} 元，收取费用 {fee} 元，"
        "费率 {rate}，超过合同最高费率 {max_rate}（允许误差 {tolerance}）",
        "en": "Transaction {txn_id} (product {product_code}) applied {applied_at}: amount {amount}, fee {fee}, "
        "a rate of {rate}, above the contract's highest rate {max_rate} (tolerance {tolerance})",
    },
)
def fee_001(ctx: RuleContext) -> RuleOutput:
    """Fees must be charged as the law and the contracts say (IC 35: 严格按照法律法规和基金合同的规定收取费用).
    Only when the bundle gives `transactions.fee` and `products.max_fee_rate`: a confirmed purchase-type
    transaction applied in the period with `amount` > 0 whose fee / amount exceeds the product's `max_fee_rate`
    plus `fee_tolerance`, compared in exact decimal arithmetic (a fee exactly at the limit is no exception).
    Rows with a null amount, fee or rate (or a product not in the products table) are left out of the
    population and counted."""
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
    pos = codes_in(m["product_code"], products["product_code"].dropna())
    rates = products.loc[products["product_code"].notna(), "max_fee_rate"].to_numpy(dtype="float64")
    rate = pd.Series(np.append(rates, np.nan)[pos], index=m.index)  # -1: no such product, NaN
    complete = (m["amount"].notna() & m["fee"].notna() & rate.notna()).to_numpy(dtype=bool)
    left_out = int((~complete).sum())
    scope = complete & (m["amount"] > 0).fillna(False).to_numpy(dtype=bool)
    m, rate = m[scope], rate[scope]
    bad = above_limit(
        m["fee"].to_numpy(dtype="float64"),
        m["amount"].to_numpy(dtype="float64"),
        rate.to_numpy(dtype="float64"),
        ctx.params["fee_tolerance"],
    )
    if not bad.any():
        return RuleOutput(len(m), no_findings(), left_out=left_out)
    h = tx.loc[m.index[bad], ["txn_id", "product_code", "applied_at", "amount", "fee", "staff_id", "_row"]]
    r = rate[bad]
    product_row = lookup(h["product_code"], products, "product_code", "_row")
    tolerance = _pct([ctx.params["fee_tolerance"]])[0]
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
                "rate": _pct(exact(f) / exact(a) for f, a in zip(h["fee"], h["amount"], strict=True)),
                "max_rate": _pct(r),
                "tolerance": tolerance,
                "evidence": evidence("transactions", h["_row"]) + "; " + evidence("products", product_row),
            }
        ),
        left_out=left_out,
    )
