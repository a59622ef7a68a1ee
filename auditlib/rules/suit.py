"""SUIT: suitability (适用性): match of product risk and investor tolerance, assessments, product ratings (SU 17-32).

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

from ..schema import PURCHASE_CODES
from .base import RuleContext, RuleOutput, evidence, fmt_day, fmt_ts, no_findings, rule

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


def assessment_evidence(m: pd.DataFrame) -> pd.Series:
    ev = evidence("transactions", m["_row"])
    has = m["_row_ra"].notna()
    return ev.where(~has, ev + "; " + evidence("risk_assessments", m["_row_ra"].fillna(0)))


_LABELS = dict(LABEL_MAPS)
_TABLES = ("transactions", "risk_assessments")


@rule(
    "SUIT-001",
    family="SUIT",
    severity="high",
    tables=(*_TABLES, "products"),
    cites=("IC 24(2)", "IC 31(5)", "SU 30", "SU 31", "SU 32"),
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
    cannot be matched and is reported as not assessable."""
    m = with_assessment(ctx)
    risk_level, product_level, product_row = product_levels(ctx, m["product_code"])
    allowed = matrix_table(ctx.params["matrix"])
    j = m["tolerance_level"].fillna(0).to_numpy(dtype=np.int64)
    k = product_level.fillna(0).to_numpy(dtype=np.int64)
    assessed = m["assessed_at"].notna().to_numpy()
    confirmed = m["risk_mismatch_confirmed"].fillna(False).to_numpy(dtype=bool)
    bad = assessed & ~allowed[j, k] & ~confirmed
    hit = with_details(
        ctx,
        m[bad].assign(risk_level=risk_level[bad], product_level=product_level[bad], _row_p=product_row[bad]),
    )
    if hit.empty:
        return RuleOutput(len(m), no_findings())
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
    unknown_text = {"zh": "无法识别", "en": "unrecognised"}
    ev = assessment_evidence(hit)
    ev = ev.where(hit["_row_p"].isna(), ev + "; " + evidence("products", hit["_row_p"].fillna(0)))
    out = {
        "entity_id": hit["txn_id"],
        "occurred_at": hit["applied_at"],
        "staff_id": hit["staff_id"],
        "txn_id": hit["txn_id"],
        "customer_id": hit["customer_id"],
        "product_code": hit["product_code"],
        "applied_at": fmt_ts(hit["applied_at"]),
        "assessed_at": fmt_day(hit["assessed_at"]),
        "evidence": ev,
    }
    for lang in ("zh", "en"):
        out[f"business_{lang}"] = business_names(hit["business_code"], lang)
        out[f"what_{lang}"] = what[lang]
        out[f"tolerance_{lang}"] = shown_label(
            hit["risk_tolerance"], hit["tolerance_level"], "C", unknown_text[lang]
        )
        out[f"product_risk_{lang}"] = shown_label(
            hit["risk_level"], hit["product_level"], "R", unknown_text[lang]
        )
    return RuleOutput(len(m), pd.DataFrame(out))


@rule(
    "SUIT-002",
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
        "zh": "交易 {txn_id}（{business}）于 {applied_at} 申请，客户 {customer_id} 在此之前无任何风险测评记录",
        "en": "Transaction {txn_id} ({business}) applied {applied_at}: customer {customer_id} had no risk "
        "assessment at or before it",
    },
)
def suit_002(ctx: RuleContext) -> RuleOutput:
    """The institution must assess an investor's risk tolerance before selling (SU 21): a purchase with no
    assessment at or before its application. Such a purchase is reported here only, not as SUIT-001/003."""
    m = with_assessment(ctx)
    hit = with_details(ctx, m[m["assessed_at"].isna().to_numpy()])
    out = {
        "entity_id": hit["txn_id"],
        "occurred_at": hit["applied_at"],
        "staff_id": hit["staff_id"],
        "txn_id": hit["txn_id"],
        "customer_id": hit["customer_id"],
        "applied_at": fmt_ts(hit["applied_at"]),
        "evidence": evidence("transactions", hit["_row"]),
    }
    for lang in ("zh", "en"):
        out[f"business_{lang}"] = business_names(hit["business_code"], lang)
    return RuleOutput(len(m), pd.DataFrame(out))


@rule(
    "SUIT-003",
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
        "zh": "交易 {txn_id}（{business}）于 {applied_at} 申请，客户 {customer_id} 最近一次测评为 {assessed_at}"
        "（{tolerance}），已于 {expired_at} 过期",
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
    out = {
        "entity_id": hit["txn_id"],
        "occurred_at": hit["applied_at"],
        "staff_id": hit["staff_id"],
        "txn_id": hit["txn_id"],
        "customer_id": hit["customer_id"],
        "applied_at": fmt_ts(hit["applied_at"]),
        "assessed_at": fmt_ts(hit["assessed_at"]),
        "expired_at": fmt_ts(expired),
        "tolerance": hit["risk_tolerance"],
        "evidence": assessment_evidence(hit),
    }
    for lang in ("zh", "en"):
        out[f"business_{lang}"] = business_names(hit["business_code"], lang)
    return RuleOutput(len(m), pd.DataFrame(out))


@rule(
    "SUIT-004",
    family="SUIT",
    severity="medium",
    tables=("transactions", "products"),
    cites=("SU 17",),
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
    rating at all and is reported too."""
    tx = purchases_in_period(ctx, ["product_code", "applied_at"])
    sold = tx.groupby("product_code", sort=True)["applied_at"].agg(["min", "size"])
    products = ctx.tables["products"].drop_duplicates("product_code").set_index("product_code")
    cutoff = ctx.period_end - pd.DateOffset(months=int(ctx.params["rating_valid_months"]))
    p = sold.join(products[["name", "risk_level", "rated_at", "_row"]], how="left")
    hit = p[(p["rated_at"].isna() | (p["rated_at"] < cutoff)).to_numpy(dtype=bool)]
    if hit.empty:
        return RuleOutput(len(sold), no_findings())
    codes = hit.index.to_series()
    cut = cutoff.strftime("%Y-%m-%d")
    known = hit["rated_at"].notna()
    rated, name, level = fmt_day(hit["rated_at"]), hit["name"].fillna(""), hit["risk_level"].fillna("")
    rating_zh = ("（" + name + "，" + level + "）评级日期 " + rated + "，早于 " + cut).where(
        known, "不在产品表中，无任何风险评级"
    )
    rating_en = ("(" + name + ", " + level + ") was rated on " + rated + ", before " + cut).where(
        known, "is not in the products table: it has no risk rating at all"
    )
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
                "evidence": evidence("products", hit["_row"].fillna(0)).where(known, "products: none"),
            }
        ).reset_index(drop=True),
    )
