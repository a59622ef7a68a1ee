"""Realistic (fictitious) personal data, generated vectorized: names, resident ID numbers, phones, cards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文红玉兰辉鹏飞斌宇浩凯健俊帆帅旭宁晨阳欣怡梓涵"
    "子轩雨萱思远博文嘉欣佳琪一诺依晨志强海燕春梅晓东永刚立新振华德明淑珍丹慧颖琳倩雪婷瑶璐晶莉蕾"
)
# county-level division codes (real codes, fictitious persons)
REGIONS = np.array(
    [
        110101,
        110105,
        110108,
        310101,
        310104,
        310115,
        440103,
        440106,
        440305,
        440304,
        330106,
        330108,
        320102,
        320106,
        510104,
        510107,
        420102,
        420106,
        370202,
        370102,
        350203,
        210202,
        610113,
        500103,
    ],
    dtype=np.int64,
)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.frombuffer(b"10X98765432", dtype="S1")
COMPANY_HEAD = np.array(
    ["上海", "北京", "深圳", "杭州", "南京", "广州", "成都", "苏州", "宁波", "武汉", "厦门", "天津"],
    dtype=object,
)
COMPANY_BODY = np.array(
    [
        "恒信",
        "瑞丰",
        "华睿",
        "中和",
        "嘉禾",
        "鼎盛",
        "同创",
        "远景",
        "致远",
        "汇通",
        "博雅",
        "泰和",
        "长青",
        "明德",
    ],
    dtype=object,
)
COMPANY_TAIL = np.array(
    ["投资管理有限公司", "资产管理有限公司", "实业有限公司", "科技有限公司", "贸易有限公司"], dtype=object
)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) array of decimal digits, most significant first."""
    pw = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // pw) % 10


def _join_bytes(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate fixed-width byte matrices (n, w_i) into strings."""
    mat = np.ascontiguousarray(np.concatenate(parts, axis=1).astype(np.uint8))
    return mat.view(f"S{mat.shape[1]}").ravel().astype(str)


def _id_bytes(prefix: str, numbers, width: int) -> np.ndarray:
    """(n, len(prefix) + width) uint8 matrix of prefix + zero-padded number (one digit column at a time)."""
    v = np.array(numbers, dtype=np.int64)
    pre = prefix.encode()
    mat = np.empty((len(v), len(pre) + width), dtype=np.uint8)
    if pre:
        mat[:, : len(pre)] = np.frombuffer(pre, dtype=np.uint8)
    for j in range(len(pre) + width - 1, len(pre) - 1, -1):
        mat[:, j] = v % 10 + 48
        v //= 10
    return mat


def fmt_ids(prefix: str, numbers, width: int) -> np.ndarray:
    """prefix + zero-padded number, vectorized (e.g. fmt_ids('T', [12], 6) -> 'T000012')."""
    mat = _id_bytes(prefix, numbers, width)
    return mat.view(f"S{mat.shape[1]}").ravel().astype(str)


def id_series(prefix: str, numbers, width: int) -> pd.Series:
    """Like fmt_ids, as a pyarrow-backed string Series built from buffers (fast and compact for 10^7 ids)."""
    mat = _id_bytes(prefix, numbers, width)
    n, w = mat.shape
    arr = pa.StringArray.from_buffers(
        n, pa.py_buffer((np.arange(n + 1, dtype=np.int32) * w).tobytes()), pa.py_buffer(mat.tobytes())
    )
    return pd.Series(arr, dtype="str")


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    s = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    g1 = np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), n)]
    g2 = np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), n)]
    two = rng.random(n) < 0.7
    return np.where(two, s + g1 + g2, s + g1).astype(object)


def company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    return (
        COMPANY_HEAD[rng.integers(0, len(COMPANY_HEAD), n)]
        + COMPANY_BODY[rng.integers(0, len(COMPANY_BODY), n)]
        + COMPANY_TAIL[rng.integers(0, len(COMPANY_TAIL), n)]
    )


def resident_ids(rng: np.random.Generator, n: int, unique: bool = False) -> np.ndarray:
    """18-digit resident identity numbers (GB 11643) with valid check characters, born 1950-2003.

    unique: no number twice (random numbers collide: ~1,000 pairs among 10^6), by drawing the sequence
    digits again for the repeats; the background must give ACC-003 nothing to find."""
    region = REGIONS[rng.integers(0, len(REGIONS), n)]
    birth = np.datetime64("1950-01-01") + rng.integers(0, 365 * 54, n).astype("timedelta64[D]")
    ymd = pd.DatetimeIndex(birth)
    birth_num = (ymd.year.to_numpy() * 10000 + ymd.month.to_numpy() * 100 + ymd.day.to_numpy()).astype(
        np.int64
    )
    seq = rng.integers(0, 1000, n)
    while unique:
        key = (region * 10**8 + birth_num) * 1000 + seq
        _, first = np.unique(key, return_index=True)
        again = np.setdiff1d(np.arange(n), first)
        if not len(again):
            break
        seq[again] = rng.integers(0, 1000, len(again))
    body = np.concatenate([_digits(region, 6), _digits(birth_num, 8), _digits(seq, 3)], axis=1)
    check = ID_CHECK[(body @ ID_WEIGHTS) % 11].view(np.uint8)[:, None]
    return _join_bytes([body + 48, check])


#: region code of the planted customers' numbers (西城区), never drawn for the bulk: no clash with it
PLANTED_REGION = "110102"


def id_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    s = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS.tolist(), strict=True))
    return "10X98765432"[s % 11]


def resident_id(born: str, seq: int, region: str = PLANTED_REGION) -> str:
    """A valid 18-character number for a birth date (YYYY-MM-DD) and a sequence number (0-999)."""
    first17 = f"{region}{born.replace('-', '')}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def planted_resident_id(born: str, k: int) -> str:
    """The k-th planted customer's number: unique among the planted ones (k < 1000) whose check
    character is a digit (a lower-case x is a case of its own)."""
    for s in range(k, k + 1000, 1000 // 7):
        n = resident_id(born, s)
        if n[-1] != "X":
            return n
    raise AssertionError(k)


def credit_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """18-character unified social credit codes (GB 32100) with valid check characters."""
    alphabet = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", dtype=np.uint8)
    weights = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
    head = np.tile(np.array([9, 1], dtype=np.int64), (n, 1))  # 91: enterprise, industry & commerce
    region = _digits(REGIONS[rng.integers(0, len(REGIONS), n)], 6)
    org = rng.integers(0, 31, (n, 9))
    org[:, 0] = rng.integers(0, 10, n)
    vals = np.concatenate([head, region, org], axis=1)
    check = (31 - (vals @ weights) % 31) % 31
    return _join_bytes([alphabet[vals], alphabet[check][:, None]])


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.array(
        [
            130,
            131,
            132,
            135,
            136,
            137,
            138,
            139,
            150,
            151,
            152,
            155,
            158,
            159,
            166,
            177,
            180,
            181,
            183,
            185,
            186,
            187,
            188,
            189,
            191,
            199,
        ],
        dtype=np.int64,
    )
    p = prefixes[rng.integers(0, len(prefixes), n)]
    rest = rng.integers(0, 10**8, n)
    return _join_bytes([_digits(p, 3) + 48, _digits(rest, 8) + 48])


def bank_cards(rng: np.random.Generator, n: int) -> np.ndarray:
    """19-digit debit card numbers with a valid Luhn check digit."""
    bins = np.array([622202, 621700, 622848, 621661, 622588, 621483, 622609, 622260], dtype=np.int64)
    body = np.concatenate(
        [_digits(bins[rng.integers(0, len(bins), n)], 6), _digits(rng.integers(0, 10**12, n), 12)], axis=1
    )
    # Luhn: double every second digit from the right of the payload (the payload's last digit is doubled)
    rev = body[:, ::-1]
    dbl = rev.copy()
    dbl[:, 0::2] *= 2
    dbl = np.where(dbl > 9, dbl - 9, dbl)
    check = (10 - dbl.sum(axis=1) % 10) % 10
    return _join_bytes([body + 48, check[:, None] + 48])
