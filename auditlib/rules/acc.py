"""ACC: accounts and customer identity (IC 21(4), 22, 24(3); SU 19).

The resident identity number check (GB 11643-1999) runs over the whole customers table at once: the
normalized numbers are Arrow text, the 18-character ones are read as one byte matrix (no Python per row),
and the date, digits and check character are numpy operations on its columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..arrowops import _text, codes_in
from .base import RuleContext, RuleOutput, Scope, evidence, fmt_day, fmt_ts, no_findings, rule
from .suit import business_names

# ------------------------------------------------------------------------------------------ ID numbers

#: GB 11643-1999 weights of the first 17 digits and the check character of each remainder mod 11
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.uint8)
CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
ID_LENGTH = 18
ID_CARD = "ID_CARD"

#: what is wrong with an ID number, in the order they are tested (the first that applies is reported)
VALID, MISSING, WRONG_LENGTH, NON_DIGIT, BAD_DATE, AFTER_OPEN, BAD_CHECK = range(7)
KINDS = ("valid", "missing", "wrong_length", "non_digit", "bad_date", "after_open", "bad_check")
KIND_NAMES = {
    "zh": {
        "missing": "号码缺失",
        "wrong_length": "长度不是 18 位",
        "non_digit": "前 17 位含非数字字符",
        "bad_date": "出生日期不是有效日期",
        "after_open": "出生日期晚于开户日",
        "bad_check": "校验码错误",
    },
    "en": {
        "missing": "missing",
        "wrong_length": "not 18 characters",
        "non_digit": "a non-digit among the first 17 characters",
        "bad_date": "birth date is not a real date",
        "after_open": "birth date after the account was opened",
        "bad_check": "wrong check character",
    },
}
BLOCK = 1 << 20  # ID numbers checked at a time: the temporaries stay ~50 MB whatever the table's size


def _arrow_text(s: pd.Series) -> pa.ChunkedArray:
    """The column as Arrow text chunks (its own buffers when it is Arrow text already)."""
    arr = _text(s)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def normalize(s: pd.Series) -> pd.Series:
    """The normalized text of rules.md: trimmed and upper-cased (so a final `x` reads as `X`); empty =
    null."""
    text = pc.utf8_upper(pc.utf8_trim_whitespace(_arrow_text(s)))
    out = pd.Series(pd.arrays.ArrowExtensionArray(text), index=s.index).astype("string")
    return out.mask(out == "")


def _matrix(chunk: pa.Array) -> np.ndarray:
    """An array of 18-byte strings (no nulls) as an (n, 18) uint8 matrix, a view of its data buffer."""
    offsets_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=offsets_type)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if len(chunk) else np.zeros(0, np.uint8)
    start = int(offsets[0]) if len(offsets) else 0
    return data[start : start + ID_LENGTH * len(chunk)].reshape(len(chunk), ID_LENGTH)


def _block_kinds(m: np.ndarray, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinds and expected check characters of an (n, 18) byte matrix of ASCII numbers."""
    d = m[:, :17] - np.uint8(48)  # a non-digit wraps around to > 9
    non_digit = (d > 9).any(axis=1)
    d = np.where(non_digit[:, None], np.uint8(0), d)
    expected = CHECK_CHARS[(d * WEIGHTS).sum(axis=1, dtype=np.int32) % 11]
    dd = d.astype(np.int32)
    year = dd[:, 6] * 1000 + dd[:, 7] * 100 + dd[:, 8] * 10 + dd[:, 9]
    month = dd[:, 10] * 10 + dd[:, 11]
    day = dd[:, 12] * 10 + dd[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
    last = month_days[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    y, mo, da = np.where(real, year, 1970), np.where(real, month, 1), np.where(real, day, 1)
    birth = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (mo - 1)
    birth = birth.astype("datetime64[D]") + (da - 1).astype("timedelta64[D]")
    after_open = real & (birth > opened)  # NaT compares False: no opening date, no finding of this kind
    kinds = np.select(
        [non_digit, ~real, after_open, m[:, 17] != expected],
        [NON_DIGIT, BAD_DATE, AFTER_OPEN, BAD_CHECK],
        VALID,
    ).astype(np.int8)
    return kinds, expected


def id_problems(numbers: pd.Series, opened: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each ID number (raw text) and the customer's open_date: what is wrong (a code of KINDS, 0 =
    valid), the expected check character (a byte, 0 where not computed) and the length in characters.

    A slice of BLOCK rows at a time (zero-copy slices of the column's Arrow text): the normalized copies and
    the per-row temporaries stay ~50 MB whatever the size of the table."""
    text = _arrow_text(numbers)
    opened_days = opened.to_numpy(dtype="datetime64[D]")
    n = len(text)
    kinds = np.empty(n, dtype=np.int8)
    expected = np.zeros(n, dtype=np.uint8)
    chars = np.empty(n, dtype=np.int32)
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        kinds[start:stop], expected[start:stop], chars[start:stop] = _slice_problems(
            text.slice(start, stop - start), opened_days[start:stop]
        )
    return kinds, expected, chars


def _slice_problems(raw: pa.ChunkedArray, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = pc.utf8_upper(pc.utf8_trim_whitespace(raw)).combine_chunks()
    chars = pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False).astype(np.int32)
    nbytes = pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)
    kinds = np.where(chars == 0, MISSING, np.where(chars != ID_LENGTH, WRONG_LENGTH, VALID)).astype(np.int8)
    expected = np.zeros(len(kinds), dtype=np.uint8)
    # 18 characters that are not 18 bytes hold a non-ASCII character: the first 17 ASCII digits (then the
    # check character is wrong whatever the date) or not
    wide = (chars == ID_LENGTH) & (nbytes != ID_LENGTH)
    if wide.any():
        head = pc.utf8_slice_codeunits(pc.filter(text, pa.array(wide)), 0, ID_LENGTH - 1)
        ascii_head = pc.fill_null(pc.match_substring_regex(head, "^[0-9]{17}$"), False).to_numpy(
            zero_copy_only=False
        )
        # the 17 digits and a placeholder check character: the date is still tested before the check
        stand_in = pc.binary_join_element_wise(head, pa.scalar("?", head.type), pa.scalar("", head.type))
        pos = np.flatnonzero(wide)
        kinds[pos[~ascii_head]] = NON_DIGIT
        rest = pos[ascii_head]
        if len(rest):
            m = _matrix(pc.filter(stand_in, pa.array(ascii_head)))
            kinds[rest], expected[rest] = _block_kinds(m, opened[rest])
    ascii18 = (chars == ID_LENGTH) & (nbytes == ID_LENGTH)  # 18 ASCII characters
    if ascii18.all():  # the usual case: the slice's own bytes, no copy
        kinds[:], expected[:] = _block_kinds(_matrix(text), opened)
    elif ascii18.any():
        rows = np.flatnonzero(ascii18)
        kinds[rows], expected[rows] = _block_kinds(_matrix(pc.filter(text, pa.array(ascii18))), opened[rows])
    return kinds, expected, chars


# ------------------------------------------------------------------------------------------ scope


def _distinct(s: pd.Series, null_as: str, lower: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A low-cardinality text column (a type) as codes into its distinct values trimmed and case-folded, null
    and empty read as `null_as`: one hash pass over the column, the text work on the few distinct values."""
    codes, uniques = pd.factorize(s.astype("string"))
    values = pd.Series(uniques, dtype="string").str.strip()
    values = values.str.lower() if lower else values.str.upper()
    values = np.append(values.mask(values == "").fillna(null_as).to_numpy(dtype=object), null_as)
    return np.where(codes < 0, len(values) - 1, codes), values


def in_scope(ctx: RuleContext) -> np.ndarray:
    """Customers of ACC-002/003: individuals (or of no recorded type) whose relationship overlaps the period.
    Types are compared ignoring case and surrounding whitespace."""
    c = ctx.tables["customers"]
    codes, values = _distinct(c["investor_type"], "individual", lower=True)
    individual = (values == "individual")[codes]
    overlap = (c["open_date"] <= ctx.period_end) & (
        c["close_date"].isna() | (c["close_date"] >= ctx.period_start)
    )
    return individual & overlap.fillna(False).to_numpy(dtype=bool)


def id_types(c: pd.DataFrame) -> np.ndarray:
    """The ID type of each customer as compared by ACC-002/003: trimmed, upper-cased, null counted as
    ID_CARD."""
    codes, values = _distinct(c["id_type"], ID_CARD)
    return values[codes]


# ------------------------------------------------------------------------------------------ ACC-001


@rule(
    "ACC-001",
    partition={"transactions": "customer_id", "customers": "customer_id"},
    family="ACC",
    severity="high",
    tables=("transactions", "customers"),
    sample=Scope("transactions", where={"status": ("confirmed",)}),
    cites=("IC 21(4)", "IC 22"),
    entity="txn_id",
    version="2",
    title={
        "zh": "交易发生在客户业务关系存续期之外",
        "en": "Trade outside the customer's account relationship",
    },
    requirement={
        "zh": "检查期间内申请的已确认交易，其申请日须在客户开户日当日或之后，且不晚于销户日（已销户的）",
        "en": "A confirmed transaction applied in the period must be applied on or after the customer's "
        "account opening date and, for a closed account, no later than its closing date",
    },
    detail={
        "zh": "交易 {txn_id}（{business}）于 {applied_at} 申请，客户 {customer_id} {what}",
        "en": "Transaction {txn_id} ({business}) applied at {applied_at}; customer {customer_id} {what}",
    },
)
def acc_001(ctx: RuleContext) -> RuleOutput:
    """Every trade must lie within the customer's business relationship (IC 21(4), 22): a confirmed
    transaction applied in the period on a calendar day before the customer's open_date, or after its
    close_date. Trades on the opening or the closing day itself are within it. A transaction whose customer is
    not in the customers table is left out of the population (the loader reports the broken reference)."""
    tx = ctx.tables["transactions"]
    pos = np.flatnonzero(
        ((tx["status"] == "confirmed") & ctx.in_period(tx["applied_at"])).to_numpy(dtype=bool)
    )
    cust = ctx.tables["customers"]  # customer_id is its primary key: the loader keeps one row per id
    # one lookup over the whole column in its own Arrow buffers: cheaper than copying the selected ids out
    where = codes_in(tx["customer_id"], cust["customer_id"])[pos]
    known = where >= 0
    left_out = int((~known).sum())
    pos, where = pos[known], where[known]
    day = tx["applied_at"].iloc[pos].to_numpy(dtype="datetime64[D]")
    opened = cust["open_date"].to_numpy(dtype="datetime64[D]")[where]
    closed = cust["close_date"].to_numpy(dtype="datetime64[D]")[where]
    before = day < opened
    after = ~np.isnat(closed) & (day > closed)
    bad = before | after
    if not bad.any():
        return RuleOutput(len(pos), no_findings(), left_out=left_out)
    hit = tx.iloc[pos[bad]][["txn_id", "customer_id", "business_code", "applied_at", "_row"]]
    c = cust.iloc[where[bad]]
    is_before = pd.Series(before[bad], index=hit.index)
    open_s = pd.Series(fmt_day(c["open_date"]).to_numpy(), index=hit.index)
    close_s = pd.Series(fmt_day(c["close_date"]).fillna("").to_numpy(), index=hit.index)
    return RuleOutput(
        len(pos),
        left_out=left_out,
        findings=pd.DataFrame(
            {
                "entity_id": hit["txn_id"],
                "occurred_at": hit["applied_at"],
                "txn_id": hit["txn_id"],
                "customer_id": hit["customer_id"],
                "applied_at": fmt_ts(hit["applied_at"]),
                "side": np.where(is_before.to_numpy(), "before_open", "after_close"),
                "business_zh": business_names(hit["business_code"], "zh"),
                "business_en": business_names(hit["business_code"], "en"),
                "what_zh": ("已于 " + close_s + " 销户，申请日晚于销户日").where(
                    ~is_before, "于 " + open_s + " 开户，申请日早于开户日"
                ),
                "what_en": ("closed the account on " + close_s + ", before the application day").where(
                    ~is_before, "opened the account on " + open_s + ", after the application day"
                ),
                "evidence": evidence("transactions", hit["_row"])
                + "; "
                + evidence("customers", pd.Series(c["_row"].to_numpy(), index=hit.index)),
            }
        ),
    )


# ------------------------------------------------------------------------------------------ ACC-002

_SCOPE_ZH = "检查期间内存续（业务关系与检查期间有交集）的个人客户（投资者类型为个人或未登记）"
_SCOPE_EN = (
    "individual customers (investor type individual or not recorded) whose relationship overlaps the period"
)


@rule(
    "ACC-002",
    family="ACC",
    severity="medium",
    tables=("customers",),
    # the customers whose relationship began by period_end (the rule also skips those closed before the
    # period, institutions, and other ID types)
    sample=Scope("customers", "until", column="open_date"),
    cites=("IC 24(3)", "SU 19"),
    entity="customer_id",
    version="2",
    title={"zh": "客户身份证号码无效", "en": "Invalid resident identity number"},
    requirement={
        "zh": _SCOPE_ZH
        + "，证件类型为居民身份证或未登记的，须登记有效的 18 位居民身份证号码（GB 11643-1999）："
        "前 17 位为数字，第 7–14 位为真实的出生日期且不晚于开户日，第 18 位为正确的校验码；15 "
        "位旧号码不视为有效",
        "en": "For "
        + _SCOPE_EN
        + ", with the ID type resident identity card or not recorded, a valid 18-character "
        "resident identity number (GB 11643-1999) must be recorded: 17 digits, characters 7-14 a real birth "
        "date not after the account opening date, and the right check character; a 15-digit (pre-1999) "
        "number is not valid",
    },
    detail={
        "zh": "客户 {customer_id}（{name}，{open_date} 开户）的身份证号码“{id_number}”无效：{what}",
        "en": "Customer {customer_id} ({name}, account opened {open_date}): resident ID number "
        "'{id_number}' is not valid: {what}",
    },
    pii={"name": "name", "id_number": "id_number"},
)
def acc_002(ctx: RuleContext) -> RuleOutput:
    """Institutions must identify their customers by a valid identity document (IC 24(3); SU 19): an
    individual customer whose relationship overlaps the period, with ID type `ID_CARD` (or none recorded),
    and no valid resident identity number. Valid (GB 11643-1999), after trimming and upper-casing: 18
    characters, the first 17 digits, characters 7-14 a real date YYYYMMDD not after open_date, the 18th
    equal to "10X98765432"[sum(d_i * w_i) mod 11] with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2. A
    15-digit number (issued before 1999) is not valid. The region code (characters 1-6) is not checked.
    The detail names the first problem found, in this order: missing, length, non-digit, birth date not a
    real date, birth date after opening, check character."""
    c = ctx.tables["customers"]
    scope = in_scope(ctx) & (id_types(c) == ID_CARD)
    # every row is checked (cheaper than copying the in-scope rows out of a table of 10^7), the scope selects
    kinds, expected, chars = id_problems(c["id_number"], c["open_date"])
    bad = scope & (kinds != VALID)
    if not bad.any():
        return RuleOutput(int(scope.sum()), no_findings())
    hit = c[bad]
    k, e, n = kinds[bad], expected[bad], chars[bad]
    number = normalize(hit["id_number"])
    fifteen = (n == 15) & number.str.fullmatch(r"[0-9]{15}").fillna(False).to_numpy(dtype=bool)
    exp = pd.Series(e.view("S1").astype(str), index=hit.index)
    n_s = pd.Series(n.astype(str), index=hit.index)
    kind = pd.Series(np.asarray(KINDS, dtype=object)[k], index=hit.index)
    what = {}
    for lang in ("zh", "en"):
        base = kind.map(KIND_NAMES[lang])
        if lang == "zh":
            length = "长度为 " + n_s + " 位，应为 18 位"
            length = length.where(~fifteen, "为 15 位旧号码（1999 年前签发），应为 18 位")
            check = "校验码应为 " + exp
            after = "出生日期晚于开户日"
        else:
            length = n_s + " characters where 18 are required"
            length = length.where(
                ~fifteen, "a 15-digit number of the pre-1999 kind, where 18 characters are required"
            )
            check = "the check character should be " + exp
            after = "the birth date is after the account opening date"
        what[lang] = (
            base.where(k != WRONG_LENGTH, length).where(k != BAD_CHECK, check).where(k != AFTER_OPEN, after)
        )
    return RuleOutput(
        int(scope.sum()),
        pd.DataFrame(
            {
                "entity_id": hit["customer_id"],
                "occurred_at": hit["open_date"].clip(lower=ctx.period_start),
                "customer_id": hit["customer_id"],
                "name": hit["name"],
                "id_number": number,
                "open_date": fmt_day(hit["open_date"]),
                "kind": kind,
                "fifteen": fifteen,
                "what_zh": what["zh"],
                "what_en": what["en"],
                "evidence": evidence("customers", hit["_row"]),
            }
        ),
    )


# ------------------------------------------------------------------------------------------ ACC-003

SHOWN_OTHERS = 5


def shared_numbers(c: pd.DataFrame, number: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(positions, group) of the customers whose (id_type, `number`: the normalized id_number) is also
    another customer's with a different trimmed name; `group` numbers the shared numbers. One Arrow hash pass
    over the numbers, one hash of the keys; names are encoded only for customers whose number occurs twice."""
    num_codes = _codes(number)
    type_codes, type_values = _distinct(c["id_type"], ID_CARD)
    type_codes = pd.factorize(type_values)[0][type_codes]  # `id_card ` and `ID_CARD` are one type
    keyed = np.flatnonzero(num_codes >= 0)
    key = num_codes[keyed] * (int(type_codes.max(initial=0)) + 1) + type_codes[keyed]
    twice = pd.Series(key).duplicated(keep=False).to_numpy()
    dup = keyed[twice]
    if not len(dup):
        return dup, dup
    group = pd.factorize(key[twice])[0]
    names = _codes(c["name"].iloc[dup].astype("string").str.strip())
    pairs = np.unique(np.stack([group, names], axis=1), axis=0)
    distinct_names = np.bincount(pairs[:, 0], minlength=int(group.max()) + 1)
    conflict = distinct_names[group] >= 2
    return dup[conflict], group[conflict]


def _codes(s: pd.Series) -> np.ndarray:
    enc = pc.dictionary_encode(_arrow_text(s)).combine_chunks() if len(s) else None
    if enc is None:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


@rule(
    "ACC-003",
    family="ACC",
    severity="high",
    tables=("customers",),
    # the customers whose relationship began by period_end (the rule also skips those closed before the
    # period and institutions)
    sample=Scope("customers", "until", column="open_date"),
    cites=("IC 24(3)",),
    entity="customer_id",
    version="2",
    title={
        "zh": "多名客户共用同一证件号码但姓名不同",
        "en": "One ID number shared by customers of different names",
    },
    requirement={
        "zh": _SCOPE_ZH + "的证件号码（类型相同）不得同时登记于姓名不同的其他客户（姓名比较时去除首尾空白）",
        "en": "The ID number of "
        + _SCOPE_EN
        + " must not also be recorded, with the same ID type, for another "
        "customer of a different name (names compared with surrounding whitespace removed)",
    },
    detail={
        "zh": "客户 {customer_id}（{name}）的证件号码 {id_number}（{id_type}）同时登记于姓名不同的其他客户 "
        "{n} 名：{others}",
        "en": "Customer {customer_id} ({name}): ID number {id_number} ({id_type}) is also recorded for {n} "
        "other customer(s) of a different name: {others}",
    },
    localize=("id_type",),
    pii={"name": "name", "id_number": "id_number"},
)
def acc_003(ctx: RuleContext) -> RuleOutput:
    """One identity, one customer (IC 24(3)): a customer in ACC-002's scope (individual or no investor type,
    relationship overlapping the period) whose normalized id_number (trimmed, upper-cased), with the same
    id_type (trimmed, upper-cased; null counts as ID_CARD), is also that of another customer anywhere in the
    table (any type, any dates) whose name, trimmed, differs. Each such customer in scope is one finding;
    customers with no ID number are left out of the population."""
    c = ctx.tables["customers"]
    scope = in_scope(ctx)
    number = normalize(c["id_number"])
    numbered = number.notna().to_numpy(dtype=bool)
    population = int((scope & numbered).sum())
    left_out = int((scope & ~numbered).sum())
    pos, group = shared_numbers(c, number)
    keep = scope[pos]
    if not keep.any():
        return RuleOutput(population, no_findings(), left_out=left_out)
    members = pd.DataFrame(
        {
            "group": group,
            "customer_id": c["customer_id"].iloc[pos].to_numpy(),
            "name": c["name"].iloc[pos].astype("string").str.strip().to_numpy(),
            "row": c["_row"].iloc[pos].to_numpy(),
        }
    )
    pairs = members.reset_index().merge(members, on="group", suffixes=("", "_other"))
    pairs = pairs[pairs["name"] != pairs["name_other"]].sort_values(["index", "customer_id_other"])
    by = pairs.groupby("index")
    hit_idx = np.flatnonzero(keep)
    hit = c.iloc[pos[hit_idx]]
    lists = by["customer_id_other"].agg(list).reindex(hit_idx).tolist()
    rows = by["row_other"].agg(lambda r: ", ".join(map(str, sorted(r)))).reindex(hit_idx).to_numpy()
    shown = ["、".join(o[:SHOWN_OTHERS]) + ("…" if len(o) > SHOWN_OTHERS else "") for o in lists]
    return RuleOutput(
        population,
        left_out=left_out,
        findings=pd.DataFrame(
            {
                "entity_id": hit["customer_id"].to_numpy(),
                "occurred_at": hit["open_date"].clip(lower=ctx.period_start).to_numpy(),
                "customer_id": hit["customer_id"].to_numpy(),
                "name": hit["name"].to_numpy(),
                "id_number": number.iloc[pos[hit_idx]].to_numpy(),
                "id_type": id_types(hit),
                "n": [len(o) for o in lists],
                "others_zh": shown,
                "others_en": [s.replace("、", ", ") for s in shown],
                "evidence": (evidence("customers", hit["_row"]) + "; customers rows " + rows).to_numpy(),
            }
        ),
    )
