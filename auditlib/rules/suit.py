"""SUIT: suitability (适用性): product risk matched to investor tolerance, assessments, product ratings
(SU 17-32).

Every SUIT rule tests the confirmed purchase-type transactions (020/022/039) applied in the period.
The investor's tolerance is the latest assessment at or before `applied_at` (an assessment on the very
instant of the application counts), found for all transactions at once with one `merge_asof`.

Labels: the standard scales are C1-C5 and R1-R5. An institution on the three-level scheme
(保守型/稳健型/积极型, 低/中/高风险) maps its labels with the family parameters `investor_label_map` and
`product_label_map`; every SUIT rule declares both so that `overrides: {SUIT: {...}}` reaches each of them.
A label that is neither standard nor mapped cannot be placed on the scale: the sale cannot be shown to be
suitable, so SUIT-001 reports it (unless the investor signed the mismatch confirmation), naming the label.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowops import isin_text
from ..schema import PURCHASE_CODES
from .base import (
    CONFIRMED_PURCHASES,
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

LEVELS = 5
#: default matching matrix: a product Rk may be sold to an investor Cj when k <= j
MATRIX = {f"C{j}": [f"R{k}" for k in range(1, j + 1)] for j in range(1, LEVELS + 1)}
LABEL_MAPS = {"investor_label_map": {}, "product_label_map": {}}

BUSINESS_NAMES = {
    "zh": {"020": "认购", "022": "申购", "024": "赎回", "036": "转换", "039": "定期定额申购"},
    "en": {
        "020": "subscription",
        "022": "purchase",
        "024": "redemption",
        "036": "conversion",
        "039": "regular investment purchase",
    },
}


def business_names(codes: pd.Series, lang: str) -> pd.Series:
    """`申购(022)` / `purchase (022)`: the business code in words, for detail sentences."""
    names = codes.map(BUSINESS_NAMES[lang]).fillna("")
    sep = "" if lang == "zh" else " "
    return (names + sep + "(" + codes.fillna("") + ")").where(names != "", codes)


#: the transaction columns the SUIT tests read; the others a finding shows are fetched for the hits only
#: (at 10^7 rows, copying every string column of every purchase is most of the cost)
KEY_COLUMNS = ["customer_id", "product_code", "applied_at", "risk_mismatch_confirmed"]
DETAIL_COLUMNS = ["_row", "txn_id", "business_code", "staff_id"]


def purchases_in_period(ctx: RuleContext, columns=KEY_COLUMNS) -> pd.DataFrame:
    """Confirmed purchase-type transactions applied in the period: every SUIT rule's population.

    The index is the transactions table's, so `with_details` can fetch further columns for a few rows."""
    tx = ctx.tables["transactions"]
    keep = (
        tx["business_code"].isin(PURCHASE_CODES)
        & (tx["status"] == "confirmed")
        & ctx.in_period(tx["applied_at"])
    )
    return tx.loc[keep.fillna(False).to_numpy(dtype=bool), list(columns)]


def transaction_findings(
    hit: pd.DataFrame,
    columns: dict,
    by_language: dict[str, dict[str, pd.Series]] | None = None,
    business: str | None = "business_code",
) -> pd.DataFrame:
    """One finding per transaction in `hit`: the transaction, when it was applied and who sold it, then the
    rule's `columns`, then per language (`_zh`, then `_en`) the `business` code in words (`business_<lang>`;
    None: no such column) and each of `by_language` (name -> {lang: texts})."""
    out = {
        "entity_id": hit["txn_id"],
        "occurred_at": hit["applied_at"],
        "staff_id": hit["staff_id"],
        "txn_id": hit["txn_id"],
        **columns,
    }
    for lang in ("zh", "en"):
        if business is not None:
            out[f"business_{lang}"] = business_names(hit[business], lang)
        for name, texts in (by_language or {}).items():
            out[f"{name}_{lang}"] = texts[lang]
    return pd.DataFrame(out)


def with_details(
    ctx: RuleContext, rows: pd.DataFrame, table: str = "transactions", columns=DETAIL_COLUMNS
) -> pd.DataFrame:
    """`rows` (a selection of `table` keeping its index) with further columns of that table."""
    extra = [c for c in columns if c not in rows.columns]
    return rows.join(ctx.tables[table].loc[rows.index, extra])


def scale_level(labels: pd.Series, label_map: dict, prefix: str) -> pd.Series:
    """Level 1..5 of each label (`C3`, or a mapped label such as 稳健型 -> C3); <NA> when not recognised.

    Computed on the distinct labels only, so 10^7 rows cost one factorize."""
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    pattern = re.compile(rf"^{prefix}([1-{LEVELS}])$")
    lut = np.zeros(len(uniques) + 1, dtype=np.int8)  # last slot: missing label (code -1)
    for i, value in enumerate(uniques):
        standard = str(label_map.get(value, value)).strip().upper()
        m = pattern.match(standard)
        lut[i] = int(m.group(1)) if m else 0
    level = pd.Series(lut[codes], index=labels.index, dtype="Int8")
    return level.mask(level == 0)


def matrix_table(matrix: dict) -> np.ndarray:
    """allowed[j, k]: a product Rk may be sold to an investor Cj (index 0 = unknown, never allowed)."""
    allowed = np.zeros((LEVELS + 1, LEVELS + 1), dtype=bool)
    for investor, products in matrix.items():
        m = re.fullmatch(r"C([1-5])", str(investor).strip().upper())
        if not m:
            raise ValueError(f"matrix: investor level {investor!r} is not C1-C5")
        for p in products:
            n = re.fullmatch(r"R([1-5])", str(p).strip().upper())
            if not n:
                raise ValueError(f"matrix: product level {p!r} (for {investor}) is not R1-R5")
            allowed[int(m.group(1)), int(n.group(1))] = True
    return allowed


def shown_label(raw: pd.Series, level: pd.Series, prefix: str, unknown: str) -> pd.Series:
    """`C3` as is, a mapped label as `稳健型(C3)`, an unrecognised one as `稳健(<unknown>)`."""
    raw = raw.astype("string")
    std = prefix + level.astype("string")
    mapped = raw + "(" + std + ")"
    out = mapped.where((raw.str.upper() != std).fillna(True), raw)
    return out.where(level.notna(), raw.fillna("") + "(" + unknown + ")")


def _arrow(s: pd.Series) -> pa.Array:
    arr = pa.array(s.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def key_codes(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the string keys of `left` and `right` in the distinct values of `right`
    (-1: absent from `right`, or null): one pyarrow hash pass over each side, in C++."""
    enc = pc.dictionary_encode(_arrow(right))
    rc = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False)
    lc = pc.fill_null(pc.index_in(_arrow(left), value_set=enc.dictionary), -1).to_numpy(zero_copy_only=False)
    return np.asarray(lc, dtype=np.int64), np.asarray(rc, dtype=np.int64)


def column_codes(s: pd.Series) -> np.ndarray:
    """Integer codes of a string column's distinct values (-1 for null): one pyarrow hash pass."""
    enc = pc.dictionary_encode(_arrow(s))
    return np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def combine_codes(codes: list[np.ndarray], bases: list[int]) -> np.ndarray:
    """One integer per tuple of codes (-1 if any is -1); code i ranges over [0, bases[i])."""
    out = np.zeros(len(codes[0]), dtype=np.int64)
    for c, k in zip(codes, bases, strict=True):
        out = np.where((out < 0) | (c < 0), -1, out * k + c)
    return out


def bases_of(codes: list[np.ndarray]) -> list[int]:
    return [int(c.max()) + 1 if len(c) else 1 for c in codes]


def latest_by_codes(
    lc: np.ndarray, lt: np.ndarray, rc: np.ndarray, rt: np.ndarray, right_tiebreak: np.ndarray
) -> np.ndarray:
    """`latest_at_or_before` on integer keys (-1 = no key) and datetime64 times: only these numeric
    columns are sorted and merged (`merge_asof` by the integer key), never a frame of strings."""
    lt, rt = lt.astype("datetime64[ns]"), rt.astype("datetime64[ns]")
    lo = np.argsort(lt, kind="stable")
    lo = lo[~np.isnat(lt[lo])]
    ro = np.lexsort((right_tiebreak, rt))  # equal times: merge_asof takes the last, the largest tiebreak
    ro = ro[(rc[ro] >= 0) & ~np.isnat(rt[ro])]
    m = pd.merge_asof(
        pd.DataFrame({"t": lt[lo], "c": lc[lo]}),
        pd.DataFrame({"t": rt[ro], "c": rc[ro], "pos": ro}),
        on="t",
        by="c",
        direction="backward",
        allow_exact_matches=True,
    )
    out = np.full(len(lt), -1, dtype=np.int64)
    out[lo] = m["pos"].fillna(-1).to_numpy(dtype=np.int64)
    return out


def latest_at_or_before(
    left_keys: list[pd.Series],
    left_time: pd.Series,
    right_keys: list[pd.Series],
    right_time: pd.Series,
    right_tiebreak: np.ndarray,
) -> np.ndarray:
    """For each left row, the position (iloc) of the right row with equal keys and the latest time at
    or before the left row's time (ties: the largest `right_tiebreak`); -1 when there is none.

    `merge_asof(by=keys, direction="backward")`, done on integers: string keys become codes (pyarrow
    hash lookup) and only numeric columns are sorted and merged. Inclusive and exact to the
    nanosecond: an assessment on the very instant of the application counts."""
    pairs = [key_codes(lk, rk) for lk, rk in zip(left_keys, right_keys, strict=True)]
    bases = bases_of([b for _, b in pairs])
    lc, rc = combine_codes([a for a, _ in pairs], bases), combine_codes([b for _, b in pairs], bases)
    return latest_by_codes(
        lc,
        left_time.to_numpy(dtype="datetime64[ns]"),
        rc,
        right_time.to_numpy(dtype="datetime64[ns]"),
        right_tiebreak,
    )


def with_assessment(ctx: RuleContext) -> pd.DataFrame:
    """Each purchase in the period with its investor's latest assessment at or before `applied_at`.

    Adds `assessed_at`, `risk_tolerance`, `_row_ra` (NaT/<NA> when there is none) and `tolerance_level`,
    keeping the transactions' order and never copying their columns (see `latest_at_or_before`)."""
    tx = purchases_in_period(ctx)
    ra = ctx.tables["risk_assessments"]
    i = latest_at_or_before(
        [tx["customer_id"]], tx["applied_at"], [ra["customer_id"]], ra["assessed_at"], ra["_row"].to_numpy()
    )
    has = i >= 0
    take = np.where(has, i, 0)

    def pick(col: str) -> pd.Series:
        if not len(ra):
            return pd.Series(None, index=tx.index, dtype=ra[col].dtype)
        return pd.Series(ra[col].array.take(take), index=tx.index).where(has)

    tolerance = pick("risk_tolerance")
    return tx.assign(
        assessed_at=pick("assessed_at"),
        risk_tolerance=tolerance,
        _row_ra=pick("_row").astype("Int64"),
        tolerance_level=scale_level(tolerance, ctx.params["investor_label_map"], "C"),
    )


def product_levels(ctx: RuleContext, codes: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(risk_level label, level 1..5 or <NA>, products row or <NA>) of each product code.

    Levels are worked out per product, then spread to the rows by one `get_indexer`."""
    products = ctx.tables["products"].drop_duplicates("product_code")
    level = scale_level(products["risk_level"], ctx.params["product_label_map"], "R")
    pos = pd.Index(products["product_code"]).get_indexer(codes)
    found = pos >= 0

    def spread(values) -> pd.Series:
        if not len(values):
            return pd.Series(pd.NA, index=codes.index, dtype="object")
        return pd.Series(pd.array(values).take(np.where(found, pos, 0)), index=codes.index).where(found)

    return spread(products["risk_level"].array), spread(level.array), spread(products["_row"].array)


def take_at(table: pd.DataFrame, pos: np.ndarray, column: str, index: pd.Index) -> pd.Series:
    """`table[column]` at iloc `pos` (-1 = none, giving NA), aligned with `index`; keeps the dtype."""
    has = pos >= 0
    if not len(table):
        return pd.Series(None, index=index, dtype=table[column].dtype)
    return pd.Series(table[column].array.take(np.where(has, pos, 0)), index=index).where(has)


def has_history(ctx: RuleContext) -> bool:
    """The optional rating history (`product_ratings`, contract v2) was provided."""
    return "product_ratings" in ctx.tables


def _ratings_at(ctx: RuleContext, table: pd.DataFrame, pos: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """`risk_level`, `product_level`, `rated_at` and `_row` of `table` at iloc `pos` (-1 = none); the level is
    worked out per row of `table` (a few products), then spread."""
    level = scale_level(table["risk_level"], ctx.params["product_label_map"], "R")
    return pd.DataFrame(
        {
            "risk_level": take_at(table, pos, "risk_level", index),
            "product_level": take_at(table.assign(_level=level), pos, "_level", index).astype("Int8"),
            "rated_at": take_at(table, pos, "rated_at", index),
            "_row": take_at(table, pos, "_row", index).astype("Int64"),
        }
    )


def rating_in_force(ctx: RuleContext, codes: pd.Series, at: pd.Series) -> pd.DataFrame:
    """From the rating history, the rating in force on date(`at`) of each product: the row with the latest
    `rated_at` on or before that day (NA when none, e.g. a product with no history row). `rated_at` is a day
    (midnight), so "on or before date(at)" is "at or before `at`": one merge_asof on the timestamps, no
    per-row Python. Columns as `_ratings_at`."""
    pr = ctx.tables["product_ratings"]
    i = latest_at_or_before([codes], at, [pr["product_code"]], pr["rated_at"], pr["_row"].to_numpy())
    return _ratings_at(ctx, pr, i, codes.index)


def purchase_ratings(ctx: RuleContext, m: pd.DataFrame) -> pd.DataFrame:
    """The rating each purchase is judged by (`risk_level`, `product_level`, `rated_at`, `_row_p` products
    row, `_row_pr` history row), aligned with `m`: with the rating history, the one in force on
    date(applied_at); without it, the products table's current rating (the v1 reading)."""
    none = pd.Series(pd.NA, index=m.index, dtype="Int64")
    if has_history(ctx):
        r = rating_in_force(ctx, m["product_code"], m["applied_at"])
        return r.rename(columns={"_row": "_row_pr"}).assign(_row_p=none)
    products = ctx.tables["products"].drop_duplicates("product_code")
    pos = pd.Index(products["product_code"]).get_indexer(m["product_code"])
    r = _ratings_at(ctx, products, pos, m.index)
    return r.rename(columns={"_row": "_row_p"}).assign(_row_pr=none)


def assessment_evidence(m: pd.DataFrame) -> pd.Series:
    ev = evidence("transactions", m["_row"])
    has = m["_row_ra"].notna()
    return ev.where(~has, ev + "; " + evidence("risk_assessments", m["_row_ra"].fillna(0)))


_LABELS = dict(LABEL_MAPS)
_TABLES = ("transactions", "risk_assessments")


@rule(
    "SUIT-001",
    partition={"transactions": "customer_id", "customers": "customer_id", "risk_assessments": "customer_id"},
    optional_tables=("product_ratings",),
    family="SUIT",
    severity="high",
    tables=(*_TABLES, "products"),
    sample=Scope("transactions", where=CONFIRMED_PURCHASES),
    cites=("IC 24(2)", "IC 31(5)", "SU 30", "SU 31", "SU 32"),
    version="2",  # v2: the rating in force (rules.md "Changes in v2")
    entity="txn_id",
    params={"matrix": MATRIX, **_LABELS},
    title={
        "zh": "向投资者销售超出其风险承受能力的产品且未签署风险不匹配确认",
        "en": "Product above the investor's risk tolerance sold without a mismatch confirmation",
    },
    requirement={
        "zh": "认购、申购、定投（已确认）的产品风险等级须与投资者在申请时点最近一次风险测评结果匹配"
        "（可销售矩阵：{matrix}）；不匹配时须有投资者签署的风险不匹配确认",
        "en": "For each confirmed subscription, purchase or regular investment, the product's risk level "
        "must match the investor's latest assessment at the application (allowed: {matrix}); "
        "otherwise the investor must have signed the risk-mismatch confirmation",
    },
    detail={
        "zh": "交易 {txn_id}（{business}）于 {applied_at} 申请：产品 {product_code} 风险等级 {product_risk}，"
        "客户 {customer_id} 于 {assessed_at} 测评为 {tolerance}；{what}",
        "en": "Transaction {txn_id} ({business}) applied {applied_at}: product {product_code} rated "
        "{product_risk} sold to customer {customer_id}, assessed {tolerance} on {assessed_at}; {what}",
    },
)
def suit_001(ctx: RuleContext) -> RuleOutput:
    """A product riskier than the investor can bear may be sold only when the investor, warned, signs a
    risk-mismatch confirmation (SU 30-32). Tested on the latest assessment at or before the application;
    purchases with no assessment at all are SUIT-002's. A risk label that is neither C1-C5/R1-R5 nor mapped
    cannot be matched and is reported as not assessable.

    The product's rating (v2): with the rating history (`product_ratings`), the rating in force on the day of
    the application (latest `rated_at` on or before it); a purchase with no rating in force is SUIT-006's.
    Without the history, the products table's current rating (v1), and the rule counts the verdicts that rest
    on a rating dated after the sale (`later_rating`; `later_rating_exceptions` of them are exceptions)."""
    m = with_assessment(ctx)
    history = has_history(ctx)
    r = purchase_ratings(ctx, m)
    allowed = matrix_table(ctx.params["matrix"])
    j = m["tolerance_level"].fillna(0).to_numpy(dtype=np.int64)
    k = r["product_level"].fillna(0).to_numpy(dtype=np.int64)
    assessed = m["assessed_at"].notna().to_numpy(dtype=bool)
    if history:  # a purchase with no rating in force is SUIT-006's
        assessed = assessed & r["rated_at"].notna().to_numpy(dtype=bool)

    confirmed = m["risk_mismatch_confirmed"].fillna(False).to_numpy(dtype=bool)
    bad = assessed & ~allowed[j, k] & ~confirmed
    notes = {}
    if not history:  # rated_at is a day: later than date(applied_at) is later than applied_at
        later = assessed & (r["rated_at"] > m["applied_at"]).fillna(False).to_numpy(dtype=bool)
        notes = {"later_rating": int(later.sum()), "later_rating_exceptions": int((later & bad).sum())}
    hit = with_details(ctx, m[bad].join(r[bad]))
    if hit.empty:
        return RuleOutput(len(m), no_findings(), notes=notes)
    unknown_inv = hit["tolerance_level"].isna()
    unknown_prod = hit["product_level"].isna()
    assessable = ~(unknown_inv | unknown_prod)
    what = {
        "zh": pd.Series("产品风险等级超出投资者风险承受能力，且无风险不匹配确认", index=hit.index).where(
            assessable, "风险等级标签无法识别（未映射），无法判断是否匹配，且无风险不匹配确认"
        ),
        "en": pd.Series(
            "the product's risk exceeds the investor's tolerance and there is no mismatch confirmation",
            index=hit.index,
        ).where(
            assessable,
            "a risk label is not recognised (not mapped), so suitability cannot be shown, and "
            "there is no mismatch confirmation",
        ),
    }
    ev = assessment_evidence(hit)
    ev = ev.where(hit["_row_p"].isna(), ev + "; " + evidence("products", hit["_row_p"].fillna(0)))
    ev = ev.where(hit["_row_pr"].isna(), ev + "; " + evidence("product_ratings", hit["_row_pr"].fillna(0)))
    rated = fmt_day(hit["rated_at"]).fillna("")
    in_force = {"zh": ("（" + rated + " 起适用的评级）"), "en": (" (the rating in force from " + rated + ")")}
    tolerance, product_risk = {}, {}
    for lang, unknown in {"zh": "无法识别", "en": "unrecognised"}.items():
        tolerance[lang] = shown_label(hit["risk_tolerance"], hit["tolerance_level"], "C", unknown)
        risk = shown_label(hit["risk_level"], hit["product_level"], "R", unknown)
        product_risk[lang] = risk + in_force[lang] if history else risk
    columns = {
        "customer_id": hit["customer_id"],
        "product_code": hit["product_code"],
        "applied_at": fmt_ts(hit["applied_at"]),
        "assessed_at": fmt_day(hit["assessed_at"]),
        "rated_at": rated,
        "evidence": ev,
    }
    shown = {"what": what, "tolerance": tolerance, "product_risk": product_risk}
    return RuleOutput(len(m), transaction_findings(hit, columns, shown), notes=notes)


@rule(
    "SUIT-002",
    partition={"transactions": "customer_id", "customers": "customer_id", "risk_assessments": "customer_id"},
    sample=Scope("transactions", where=CONFIRMED_PURCHASES),
    family="SUIT",
    severity="high",
    tables=_TABLES,
    cites=("SU 21",),
    entity="txn_id",
    params=_LABELS,
    title={
        "zh": "销售前未对投资者进行风险承受能力测评",
        "en": "Sale without any risk assessment of the investor",
    },
    requirement={
        "zh": "认购、申购、定投（已确认）前须已对投资者进行风险承受能力测评",
        "en": "Before any confirmed subscription, purchase or regular investment the investor must have "
        "been assessed for risk tolerance",
    },
    detail={
        "zh": "交易 {txn_id}（{business}）于 {applied_at} 申请，客户 {customer_id} "
        "在此之前无任何风险测评记录",
        "en": "Transaction {txn_id} ({business}) applied {applied_at}: customer {customer_id} had no risk "
        "assessment at or before it",
    },
)
def suit_002(ctx: RuleContext) -> RuleOutput:
    """The institution must assess an investor's risk tolerance before selling (SU 21): a purchase with no
    assessment at or before its application. Such a purchase is reported here only, not as SUIT-001/003."""
    m = with_assessment(ctx)
    hit = with_details(ctx, m[m["assessed_at"].isna().to_numpy()])
    columns = {
        "customer_id": hit["customer_id"],
        "applied_at": fmt_ts(hit["applied_at"]),
        "evidence": evidence("transactions", hit["_row"]),
    }
    return RuleOutput(len(m), transaction_findings(hit, columns))


@rule(
    "SUIT-003",
    partition={"transactions": "customer_id", "customers": "customer_id", "risk_assessments": "customer_id"},
    sample=Scope("transactions", where=CONFIRMED_PURCHASES),
    family="SUIT",
    severity="medium",
    tables=_TABLES,
    cites=("SU 26",),
    entity="txn_id",
    params={"assessment_valid_months": 24, **_LABELS},
    title={"zh": "据以销售的风险测评已过有效期", "en": "Sale on an out-of-date risk assessment"},
    requirement={
        "zh": "据以销售的最近一次风险测评距申请时点不得超过 {assessment_valid_months} 个月",
        "en": "The latest risk assessment at a sale must be no older than {assessment_valid_months} "
        "months at the application",
    },
    detail={
        "zh": "交易 {txn_id}（{business}）于 {applied_at} 申请，客户 {customer_id} 最近一次测评为 "
        "{assessed_at}（{tolerance}），已于 {expired_at} 过期",
        "en": "Transaction {txn_id} ({business}) applied {applied_at}: customer {customer_id}'s latest "
        "assessment was on {assessed_at} ({tolerance}), out of date since {expired_at}",
    },
)
def suit_003(ctx: RuleContext) -> RuleOutput:
    """Assessments must be kept current (SU 26): stale when assessed_at + `assessment_valid_months`
    calendar months is before applied_at (exactly at the anniversary is still valid)."""
    m = with_assessment(ctx)
    has = m["assessed_at"].notna().to_numpy()
    expires = m["assessed_at"] + pd.DateOffset(months=int(ctx.params["assessment_valid_months"]))
    hit_mask = has & (expires < m["applied_at"]).fillna(False).to_numpy(dtype=bool)
    hit, expired = with_details(ctx, m[hit_mask]), expires[hit_mask]
    columns = {
        "customer_id": hit["customer_id"],
        "applied_at": fmt_ts(hit["applied_at"]),
        "assessed_at": fmt_ts(hit["assessed_at"]),
        "expired_at": fmt_ts(expired),
        "tolerance": hit["risk_tolerance"],
        "evidence": assessment_evidence(hit),
    }
    return RuleOutput(len(m), transaction_findings(hit, columns))


@aggregate(min="min", size="sum")
def products_sold(ctx: RuleContext) -> pd.DataFrame:
    """Per product (sorted): the first `applied_at` (`min`) and the number (`size`) of its confirmed
    purchase-type transactions applied in the period."""
    tx = purchases_in_period(ctx, ["product_code", "applied_at"])
    return tx.groupby("product_code", sort=True)["applied_at"].agg(["min", "size"])


@rule(
    "SUIT-004",
    partition={"transactions": "customer_id"},  # any key: the sales are summed up per product (an aggregate)
    aggregates=(products_sold,),
    optional_tables=("product_ratings",),
    family="SUIT",
    severity="medium",
    tables=("transactions", "products"),
    sample=Scope("transactions", where=CONFIRMED_PURCHASES),
    cites=("SU 17",),
    version="2",  # v2: the rating in force (rules.md "Changes in v2")
    entity="product_code",
    params={"rating_valid_months": 12, **_LABELS},
    title={"zh": "在售产品风险评级未及时更新", "en": "Product sold on an out-of-date risk rating"},
    requirement={
        "zh": "检查期间内销售的产品，其当前风险评级日期不得早于期末前 {rating_valid_months} 个月",
        "en": "A product sold in the period must have a current risk rating no older than "
        "{rating_valid_months} months at the end of the period",
    },
    detail={
        "zh": "产品 {product_code}{rating}；期间内确认销售 {sales} 笔，首笔申请于 {first_sale}",
        "en": "Product {product_code} {rating}; {sales} confirmed sale(s) in the period, the first applied "
        "{first_sale}",
    },
)
def suit_004(ctx: RuleContext) -> RuleOutput:
    """Products must be rated, and the rating kept current (SU 17): a product with at least one confirmed
    purchase-type transaction applied in the period whose rated_at is before period_end minus
    `rating_valid_months` calendar months. A product sold but missing from the products table has no
    rating at all and is reported too. With the rating history (`product_ratings`, v2) the rating is the
    history's latest `rated_at` on or before period_end (a product with none has no rating at all)."""
    sold = products_sold(ctx)
    products = ctx.tables["products"].drop_duplicates("product_code").set_index("product_code")
    cutoff = ctx.period_end - pd.DateOffset(months=int(ctx.params["rating_valid_months"]))
    p = sold.join(products[["name", "risk_level", "rated_at", "_row"]], how="left")
    history = has_history(ctx)
    if history:
        codes = p.index.to_series()
        r = rating_in_force(ctx, codes, pd.Series(ctx.period_end, index=codes.index))
        p = p.assign(risk_level=r["risk_level"], rated_at=r["rated_at"], _row=r["_row"])
    hit = p[(p["rated_at"].isna() | (p["rated_at"] < cutoff)).to_numpy(dtype=bool)]
    if hit.empty:
        return RuleOutput(len(sold), no_findings())
    codes = hit.index.to_series()
    cut = cutoff.strftime("%Y-%m-%d")
    known = hit["rated_at"].notna()
    rated, name, level = fmt_day(hit["rated_at"]), hit["name"].fillna(""), hit["risk_level"].fillna("")
    unrated = {
        "zh": f"在评级历史中截至期末 {ctx.period_end:%Y-%m-%d} 无任何风险评级"
        if history
        else "不在产品表中，无任何风险评级",
        "en": f"has no risk rating at all in the rating history up to the end of the period "
        f"({ctx.period_end:%Y-%m-%d})"
        if history
        else "is not in the products table: it has no risk rating at all",
    }
    rating_zh = ("（" + name + "，" + level + "）评级日期 " + rated + "，早于 " + cut).where(
        known, unrated["zh"]
    )
    rating_en = ("(" + name + ", " + level + ") was rated on " + rated + ", before " + cut).where(
        known, unrated["en"]
    )
    source = "product_ratings" if history else "products"
    return RuleOutput(
        len(sold),
        pd.DataFrame(
            {
                "entity_id": codes,
                "occurred_at": hit["min"],
                "product_code": codes,
                "rating_zh": rating_zh,
                "rating_en": rating_en,
                "rated_at": rated,
                "cutoff": cut,
                "sales": hit["size"],
                "first_sale": fmt_ts(hit["min"]),
                "evidence": evidence(source, hit["_row"].fillna(0)).where(known, source + ": none"),
            }
        ).reset_index(drop=True),
    )


@rule(
    "SUIT-005",
    partition={"transactions": "customer_id", "customers": "customer_id", "risk_assessments": "customer_id"},
    family="SUIT",
    severity="medium",
    tables=("customers", "transactions", "risk_assessments"),
    sample=Scope("customers", "until", column="open_date"),
    cites=("SU 21",),
    entity="customer_id",
    params=_LABELS,
    title={
        "zh": "已购买基金的客户至期末仍未进行风险承受能力测评",
        "en": "Customer who bought funds never assessed by the end of the period",
    },
    requirement={
        "zh": "在检查期间内仍有业务关系、且截至期末已有已确认认购、申购或定投的客户，"
        "截至期末须至少有一次风险承受能力测评（对存量客户须补做测评）",
        "en": "Every customer with a business relationship in the period who had a confirmed subscription, "
        "purchase or regular investment by its end must have at least one risk assessment by the end of the "
        "period (existing holders assessed retroactively)",
    },
    detail={
        "zh": "客户 {customer_id}（{open_date} 开户）截至 {period_end} 有已确认的认购、申购、定投 "
        "{purchases} 笔（首笔申请于 {first_purchase}），但截至期末无任何风险测评记录",
        "en": "Customer {customer_id} (account opened {open_date}) had confirmed subscriptions, purchases "
        "or regular investments ({purchases} in all) by {period_end} (the first applied {first_purchase}) "
        "and no risk assessment at all by the end of the period",
    },
)
def suit_005(ctx: RuleContext) -> RuleOutput:
    """Investors must be assessed, existing holders retroactively (SU 21: 对已购买基金的投资者补充进行风险承受
    能力调查): a customer whose relationship overlaps the period (`open_date` on or before period_end,
    `close_date` null or on or after period_start) with at least one confirmed purchase-type transaction
    applied on or before period_end (at any time before), and no risk assessment with `assessed_at` at or
    before the end (23:59:59) of period_end. About the customer: a purchase in the period with no assessment
    before it is also SUIT-002's (one finding per purchase)."""
    cu = ctx.tables["customers"].drop_duplicates("customer_id")
    overlap = (cu["open_date"] <= ctx.period_end) & (
        cu["close_date"].isna() | (cu["close_date"] >= ctx.period_start)
    )
    tx = ctx.tables["transactions"]
    bought = (
        (
            tx["business_code"].isin(PURCHASE_CODES)
            & (tx["status"] == "confirmed")
            & (tx["applied_at"] < ctx.period_end_exclusive)
        )
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    buyer = overlap.fillna(False).to_numpy(dtype=bool) & isin_text(
        cu["customer_id"], tx.loc[bought, "customer_id"]
    )
    ra = ctx.tables["risk_assessments"]
    by_end = (ra["assessed_at"] < ctx.period_end_exclusive).fillna(False).to_numpy(dtype=bool)
    cu, population = (
        cu[buyer & ~isin_text(cu["customer_id"], ra.loc[by_end, "customer_id"])],
        int(buyer.sum()),
    )
    if cu.empty:
        return RuleOutput(population, no_findings())
    # the few customers never assessed: their purchases, counted (Arrow lookups over 10^7 rows, no hashing)
    tx = tx.loc[
        bought & isin_text(tx["customer_id"], cu["customer_id"]), ["customer_id", "applied_at", "_row"]
    ]
    hit = (
        tx.sort_values(["applied_at", "_row"], kind="stable")
        .groupby("customer_id", sort=True)
        .agg(first_purchase=("applied_at", "first"), purchases=("applied_at", "size"), _row=("_row", "first"))
    )
    opened = cu.set_index("customer_id")["open_date"].reindex(hit.index)
    rows = cu.set_index("customer_id")["_row"].reindex(hit.index)
    codes = hit.index.to_series()
    return RuleOutput(
        population,
        pd.DataFrame(
            {
                "entity_id": codes,
                "occurred_at": hit["first_purchase"],
                "customer_id": codes,
                "open_date": fmt_day(opened),
                "period_end": ctx.period_end.strftime("%Y-%m-%d"),
                "purchases": hit["purchases"],
                "first_purchase": fmt_ts(hit["first_purchase"]),
                "evidence": evidence("customers", rows) + "; " + evidence("transactions", hit["_row"]),
            }
        ).reset_index(drop=True),
    )


@rule(
    "SUIT-006",
    partition={"transactions": "customer_id", "customers": "customer_id", "risk_assessments": "customer_id"},
    family="SUIT",
    severity="medium",
    tables=("transactions", "product_ratings"),
    sample=Scope("transactions", where=CONFIRMED_PURCHASES),
    cites=("SU 17", "SU 30"),
    entity="txn_id",
    params=_LABELS,
    title={
        "zh": "销售时产品无有效风险评级",
        "en": "Sale of a product with no risk rating in force",
    },
    requirement={
        "zh": "认购、申购、"
        "定投（已确认）的产品在申请当日须有有效的风险评级（评级历史中最近一次评级日期不晚于当日）",
        "en": "A product sold by a confirmed subscription, purchase or regular investment must have a risk "
        "rating in force on the day of the application (a rating in the history dated on or before that day)",
    },
    detail={
        "zh": "交易 {txn_id}（{business}）于 {applied_at} 申请：产品 {product_code} 当日无有效风险评级，"
        "{what}",
        "en": "Transaction {txn_id} ({business}) applied {applied_at}: product {product_code} had no risk "
        "rating in force that day; {what}",
    },
)
def suit_006(ctx: RuleContext) -> RuleOutput:
    """A product must be rated before it is sold (SU 17), or the sale cannot be matched to the investor
    (SU 30). Only when the rating history (`product_ratings`) is provided: a purchase applied in the period
    for a product with no history row dated on or before date(applied_at) (a product with no history row at
    all has no rating in force on any day)."""
    m = purchases_in_period(ctx, ["product_code", "applied_at"])
    r = rating_in_force(ctx, m["product_code"], m["applied_at"])
    hit = with_details(ctx, m[r["rated_at"].isna().to_numpy()])
    if hit.empty:
        return RuleOutput(len(m), no_findings())
    pr = ctx.tables["product_ratings"]
    first = pr.sort_values(["rated_at", "_row"]).drop_duplicates("product_code")
    first_day = lookup(hit["product_code"], first, "product_code", "rated_at")
    first_row = lookup(hit["product_code"], first, "product_code", "_row")
    known = first_day.notna()
    day = fmt_day(first_day).fillna("")
    ev = evidence("transactions", hit["_row"])
    ev = ev.where(~known, ev + "; " + evidence("product_ratings", first_row.fillna(0)))
    columns = {
        "product_code": hit["product_code"],
        "applied_at": fmt_ts(hit["applied_at"]),
        "first_rated_at": day,
        "what_zh": ("评级历史中最早的评级自 " + day + " 起适用").where(known, "评级历史中无此产品的任何评级"),
        "what_en": ("the earliest rating in the history applies from " + day).where(
            known, "the rating history has no rating of this product"
        ),
        "evidence": ev,
    }
    return RuleOutput(len(m), transaction_findings(hit, columns))
