"""The ACC family's resident ID check (GB 11643-1999) against python-stdnum and a per-row reference, over
generated numbers; its Arrow edge cases (chunks, slices, 32-bit offsets, non-ASCII text); ACC-003's grouping.

`AUDITLIB_EXAMPLES=2000 pytest tests/test_acc.py` looks harder.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from stdnum.util import isdigits

from auditlib.rules import acc
from auditlib.rules.acc import KINDS, id_problems, normalize, shared_numbers

EXAMPLES = int(os.environ.get("AUDITLIB_EXAMPLES", "200"))
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
#: real region codes (the rule does not check regions; stdnum's lookup is left out of the comparison)
REGIONS = ["110105", "310104", "440306", "330106", "510104"]
OPENED = dt.date(2025, 6, 30)


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, W, strict=True)) % 11]


def reference_kind(raw: str | None, opened: dt.date) -> str:
    """rules.md's reading, one row at a time, in the order the rule reports problems."""
    s = (raw or "").strip().upper()
    if not s:
        return "missing"
    if len(s) != 18:
        return "wrong_length"
    if not all(c in "0123456789" for c in s[:17]):
        return "non_digit"
    try:
        birth = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return "bad_date"
    if birth > opened:
        return "after_open"
    if s[17] != check_char(s[:17]):
        return "bad_check"
    return "valid"


def stdnum_valid(s: str, opened: dt.date) -> bool:
    """stdnum's checks (`ric.validate` without its region lookup, which the rule does not make), plus the
    rule's 'not born after opening'."""
    n = ric.compact(s)
    if len(n) != 18 or not isdigits(n[:-1]) or n[-1] != ric.calc_check_digit(n):
        return False
    try:
        return ric.get_birth_date(n) <= opened
    except ValidationError:
        return False


def kinds_of(numbers, opened=OPENED) -> list[str]:
    s = pd.Series(numbers, dtype="string")
    k, _, _ = id_problems(s, pd.Series(pd.Timestamp(opened), index=s.index))
    return [KINDS[i] for i in k]


@st.composite
def id_numbers(draw) -> str:
    """Mostly well-formed numbers (real dates, right check characters) with one defect now and then."""
    region = draw(st.sampled_from(REGIONS) | st.text("0123456789", min_size=6, max_size=6))
    if draw(st.booleans()):
        born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31))).strftime("%Y%m%d")
    else:
        y = draw(st.integers(0, 9999))
        m, d = draw(st.integers(0, 13)), draw(st.integers(0, 32))
        born = f"{y:04d}{m:02d}{d:02d}"
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = region + born + seq
    last = check_char(first17)
    last = draw(st.sampled_from([last, last.lower(), last, last]) | st.sampled_from("0123456789Xx"))
    s = first17 + last
    defect = draw(st.sampled_from(["none"] * 6 + ["drop", "add", "letter", "pad", "fifteen"]))
    if defect == "drop":
        i = draw(st.integers(0, 17))
        s = s[:i] + s[i + 1 :]
    elif defect == "add":
        s = s + draw(st.sampled_from("0123456789X"))
    elif defect == "letter":
        i = draw(st.integers(0, 17))
        s = s[:i] + draw(st.sampled_from("AxZ-/ .")) + s[i + 1 :]
    elif defect == "pad":
        s = draw(st.sampled_from([" ", "\t", "  "])) + s + draw(st.sampled_from(["", " ", "\n"]))
    elif defect == "fifteen":
        s = s[:6] + s[8:17]
    return s


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(id_numbers(), min_size=1, max_size=40), st.dates(dt.date(1950, 1, 1), dt.date(2026, 1, 1)))
@example(["11010519491231002x", "110105199902290013", "110105200002290013"], OPENED)
def test_vectorized_check_agrees_with_stdnum_and_the_reference(numbers, opened):
    kinds = kinds_of(numbers, opened)
    for s, kind in zip(numbers, kinds, strict=True):
        assert kind == reference_kind(s, opened), s
        assert (kind == "valid") == stdnum_valid(s, opened), s


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8"), max_size=20) | st.none(), min_size=1, max_size=30))
def test_any_text_gets_the_reference_kind(numbers):
    """Arbitrary text (full-width digits, 18 characters of more than 18 bytes, nulls) never breaks the check.
    The reference reads the rule's own normalization: Python's and Arrow's ideas of Unicode whitespace and
    upper case differ on exotic characters (`ß`), which says nothing about ID numbers."""
    normalized = normalize(pd.Series(numbers, dtype="string"))
    assert kinds_of(numbers) == [reference_kind(None if pd.isna(n) else n, OPENED) for n in normalized]


def test_boundaries():
    assert kinds_of(
        [
            "31010419780101234x",  # lower-case check character
            "110105800101001",  # 15 digits, pre-1999
            "110105200002290013",  # Feb 29 of a leap year
            "110105199902290013",  # Feb 29 of a non-leap year
            "110105190002290017",  # 1900 is not a leap year
            "11010520250630001" + check_char("11010520250630001"),  # born on the opening day (OPENED)
            "11010520250701001" + check_char("11010520250701001"),  # born the day after
            "1101051990030712３9",  # a full-width digit: 18 characters, 20 bytes
            "11010519900307123９",  # full-width in the check position
            None,
            "   ",
        ]
    ) == [
        "valid",
        "wrong_length",
        "valid",
        "bad_date",
        "bad_date",
        "valid",
        "after_open",
        "non_digit",
        "bad_check",
        "missing",
        "missing",
    ]


def test_expected_check_character_and_length():
    s = pd.Series(["110105199003071238", "110105800101001"], dtype="string")
    k, expected, chars = id_problems(s, pd.Series(pd.Timestamp("2020-01-01"), index=s.index))
    assert [KINDS[i] for i in k] == ["bad_check", "wrong_length"]
    assert chr(expected[0]) == "9" and list(chars) == [18, 15]


@pytest.mark.parametrize("offsets", [pa.string(), pa.large_string()])
def test_chunked_sliced_arrow_text(monkeypatch, offsets):
    """Several chunks, a sliced chunk (offset into its buffers), both offset widths, blocks smaller than a
    chunk."""
    monkeypatch.setattr(acc, "BLOCK", 3)
    good, bad = "11010519491231002X", "110105199003071238"
    values = [good, bad, "x", good, None, bad, good, good, "110105199902290013", bad]
    arr = pa.chunked_array(
        [
            pa.array(["junk", *values[:4]], type=offsets).slice(1),
            pa.array(values[4:7], type=offsets),
            pa.array(values[7:], type=offsets),
        ]
    )
    s = pd.Series(pd.arrays.ArrowExtensionArray(arr))
    k, _, _ = id_problems(s, pd.Series(pd.Timestamp(OPENED), index=s.index))
    assert [KINDS[i] for i in k] == [reference_kind(v, OPENED) for v in values]


def test_many_rows_match_the_reference():
    """10^4 generated numbers through several blocks: the same verdicts as the per-row reference."""
    rng = np.random.default_rng(5)
    first = [
        "".join(map(str, rng.integers(0, 10, 6)))
        + f"{rng.integers(1900, 2030)}{rng.integers(1, 13):02d}{rng.integers(1, 32):02d}"
        + "".join(map(str, rng.integers(0, 10, 3)))
        for _ in range(10_000)
    ]
    numbers = [f + (check_char(f) if rng.random() < 0.8 else str(rng.integers(0, 10))) for f in first]
    assert kinds_of(numbers) == [reference_kind(s, OPENED) for s in numbers]
    assert sum(k == "valid" for k in kinds_of(numbers)) > 5_000


def test_shared_numbers_trims_names_and_normalizes_numbers():
    c = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"],
            "name": ["张三", " 张三\u3000", "李四", "王五", "王五", "赵六", "孙七"],
            "id_type": ["ID_CARD", None, "ID_CARD", "PASSPORT", "passport ", "ID_CARD", "PASSPORT"],
            "id_number": [
                "11010519491231002x",
                "11010519491231002X ",
                None,
                "E1",
                "e1",
                "440306198506140020",
                "440306198506140020",
            ],
        }
    ).astype("string")
    pos, _ = shared_numbers(c, normalize(c["id_number"]))
    assert pos.tolist() == []  # same names; different types; no number
    c.loc[1, "name"] = "张 三"  # a name differing inside is another name
    c.loc[4, "name"] = "王六"
    pos, group = shared_numbers(c, normalize(c["id_number"]))
    assert sorted(c["customer_id"].iloc[pos]) == ["C1", "C2", "C4", "C5"]
    assert len(set(group)) == 2
