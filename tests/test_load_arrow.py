"""The loader's fast paths give what the slow paths give: pyarrow's CSV reader (the file's records all have
the header's fields) and pandas' parser against the csv module's reading, pyarrow's number cast against
`pd.to_numeric`, the zone pattern through RE2 against Python's `re`."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditlib import load as L
from auditlib.load import reading, typed
from auditlib.schema import TABLES

CELL = st.text(alphabet=st.sampled_from(list('ab1 ,"\n\r\t中文-:.') + ["\u3000", "é"]), max_size=8)


def _read(path, encoding="utf-8", engine="arrow"):
    """`engine`: arrow (the fast path first), pandas (pandas' parser first) or csv (the csv module only)."""
    saved = reading._read_csv_arrow, reading.pd.read_csv

    def refuse(*a, **k):
        raise reading.pd.errors.ParserError("refused for the test")

    if engine != "arrow":
        reading._read_csv_arrow = lambda *a: None
    if engine == "csv":
        reading.pd.read_csv = refuse
    try:
        return reading._read_csv(path, encoding)
    finally:
        reading._read_csv_arrow, reading.pd.read_csv = saved


def _both(path, encoding="utf-8"):
    return _read(path, encoding), _read(path, encoding, "pandas")


def _same(fast, slow):
    (fd, fbad), (sd, sbad) = fast, slow
    assert fbad == sbad
    assert list(fd.columns) == list(sd.columns)
    assert fd.index.tolist() == sd.index.tolist()
    assert fd.astype(object).values.tolist() == sd.astype(object).values.tolist()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=4), max_size=12),
    width=st.integers(1, 3),
    crlf=st.booleans(),
)
@example(rows=[[], ["1"]], width=1, crlf=False)  # a blank line after the header: pandas read no row at all
@example(rows=[[], ["1", "2"], ["3", "4", "5"]], width=2, crlf=True)
def test_well_quoted_files_read_alike(tmp_path, rows, width, crlf):
    """Files written by a CSV writer: any cells, records with fewer or more fields than the header, empty
    records (blank lines), Windows line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    w.writerow([f"h{i}" for i in range(width)])
    for r in rows:
        w.writerow(r)
    path = tmp_path / "t.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    reference = _read(path, engine="csv")
    _same(_read(path), reference)
    _same(_read(path, engine="pandas"), reference)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list('ab,"\n\r ')), max_size=40))
@example(text='a,b\n"open,2\n3,4\n')
@example(text='x,y\n1,"2\r\n3"\n\n,\n')
def test_raw_text_reads_alike(tmp_path, text):
    """Any text after a two-column header, quotes unbalanced or not: the same cells, or the same refusal."""
    path = tmp_path / "t.csv"
    path.write_bytes(("h1,h2\n" + text).encode())
    results = []
    for engine in ("arrow", "pandas", "csv"):
        try:
            results.append(("ok", _read(path, engine=engine)))
        except Exception as e:  # noqa: BLE001 - the same refusal, whatever reads the file
            results.append(("error", type(e).__name__))
    (kf, rf), (kp, rp), (kc, rc) = results
    assert kf == kp == kc, (rf, rp, rc)
    if kf == "ok":
        _same(rf, rc)
        _same(rp, rc)
    else:
        assert rf == rp == rc


def test_gbk_file_reads_through_the_fast_path(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_bytes("编号,姓名\n1,张三\n2,李四\n".encode("gb18030"))
    fast, slow = _both(path, "gb18030")
    _same(fast, slow)
    assert fast[0]["姓名"].tolist() == ["张三", "李四"]


def test_the_fast_path_reads_the_common_file(tmp_path, monkeypatch):
    """Not a test that could pass with the fast path never taken: a clean file must not reach pandas."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    monkeypatch.setattr(reading.pd, "read_csv", lambda *a, **k: pytest.fail("pandas parser used"))
    df, bad = reading._read_csv(path, "utf-8")
    assert df.values.tolist() == [["1", "2"], ["3", "4"]] and bad == []


NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.text(alphabet=st.sampled_from(list("0123456789.+-eE,_x ") + ["１", "\u00a0"]), max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.one_of(st.none(), NUMBERISH), max_size=20))
@example(cells=["1e400", "inf", "-0", "nan", ".5", "5.", "+1", "0x10", "1_000", None])
@example(cells=["+3E30"])
def test_numbers_as_pandas_reads_them(cells):
    """Plain decimal cells are read correctly rounded (as Python's float reads them: pandas' own parser is off
    by one ulp on some, `+3E30`), every other cell as pandas reads it."""
    text = pd.Series(cells, dtype="string")
    fast = typed._numbers(text).to_numpy()

    def reference(c):
        if c is not None and re.fullmatch(typed._NUMBER, c):
            return float(c)
        return pd.to_numeric(pd.Series([c], dtype="string"), errors="coerce").astype("float64").iloc[0]

    slow = np.array([reference(c) for c in cells], dtype="float64")
    assert np.array_equal(fast, slow, equal_nan=True), list(zip(cells, fast, slow, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(
        st.text(alphabet=st.sampled_from(list("0123456789:.+- zZT\t") + ["\n"]), max_size=25), max_size=10
    )
)
@example(cells=["2024-01-02 10:00Z", "2024-01-02 10:00:00+08:00", "10:00 +0800", "2024-01-02", "10:00+08\n"])
def test_zone_pattern_through_arrow_is_pythons(cells):
    text = pd.Series(cells, dtype="string")
    arrow = text.str.contains(typed._ZONE).fillna(False).to_numpy(dtype=bool)
    python = np.array([re.search(typed._ZONE, c) is not None for c in cells], dtype=bool)
    assert (arrow == python).all()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("a,b\n1,张三\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "a,b\n1,张三\n".encode(), "utf-8-sig"),
        ("a,b\n1,张三\n".encode("gb18030"), "gb18030"),
        (("a,b\n" + "1,x\n" * 5000 + "2,张三\n").encode("gb18030"), None),  # ASCII for 5000 rows, then GBK
    ],
)
def test_encoding_read_is_the_detected_one(tmp_path, data, expected):
    """The quick UTF-8 read (no separate decoding pass) reports what `detect_encoding` would."""
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    df, bad, enc = reading.read_raw(path)
    assert enc == reading.detect_encoding(path) == (expected or "gb18030")
    assert df.iloc[-1].tolist()[1] == "张三" and bad == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.sampled_from(["A1", "A2", "A10", "B", "b", "中", " A1", ""]), max_size=12),
    ordered=st.booleans(),
)
@example(ids=["A1", "A2", "A2", "A3"], ordered=False)  # increasing, not strictly: a duplicate
@pytest.mark.parametrize("duckdb_from", [0, 10**9])
def test_duplicate_keys_found_in_any_order(ids, ordered, duckdb_from, monkeypatch):
    """Strictly increasing keys skip the hashing; DuckDB counts the distinct keys of big tables; pandas
    finds which rows repeat: the same rows quarantined whichever answers."""
    from auditlib.schema import TABLES

    monkeypatch.setattr(typed, "DISTINCT_BY_DUCKDB", duckdb_from)
    ids = sorted(ids) if ordered else ids
    raw = pd.DataFrame({"staff_id": ids, "name": ["x"] * len(ids)}, dtype=reading.TEXT)
    out, issues = typed.type_table(TABLES["staff"], raw)
    present = [i.strip() for i in ids if i.strip()]
    expected = list(dict.fromkeys(present))
    assert out["staff_id"].tolist() == expected
    dups = pd.concat(issues)["reason"].str.startswith("duplicate").sum() if issues else 0
    assert dups == len(present) - len(expected)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "中", "", " a"])), max_size=15),
    vocabulary=st.lists(st.sampled_from(["a", "b", "中", " a", "z"]), unique=True, max_size=5),
)
def test_codes_in_is_get_indexer(values, vocabulary):
    from auditlib.arrowops import codes_in

    text = pd.Series(values, dtype="string")
    expected = pd.Index(vocabulary, dtype=object).get_indexer(text.astype(object).where(text.notna(), None))
    assert codes_in(text, vocabulary).tolist() == expected.tolist()


DATEISH = st.one_of(
    st.datetimes(min_value=__import__("datetime").datetime(1, 1, 1)).map(lambda d: d.isoformat(sep=" ")),
    st.dates().map(str),
    st.text(alphabet=st.sampled_from(list("0123456789-:/ T.")), min_size=6, max_size=26),
)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.one_of(st.none(), DATEISH), max_size=12))
@example(cells=["2024-01-02 10:00", "2024-01-02T10:00:00.123456789", "9999-12-31", "2020/01/05", None])
@example(cells=["2024-02-30", "2024-01-02 24:00:00", "20200105", "2024-1-2"])
def test_datetimes_as_pandas_reads_them(cells):
    """The whole column through pyarrow's cast, or through pandas: the same instants either way."""
    text = pd.Series(cells, dtype="string")
    fast, zoned = typed._datetimes(text)
    saved = typed._datetimes_arrow
    typed._datetimes_arrow = lambda t: None
    try:
        slow, zoned_slow = typed._datetimes(text)
    finally:
        typed._datetimes_arrow = saved
    assert fast.dtype == slow.dtype == "datetime64[ns]"
    assert fast.isna().tolist() == slow.isna().tolist(), list(zip(cells, fast, slow, strict=True))
    assert (fast.dropna() == slow.dropna()).all(), list(zip(cells, fast, slow, strict=True))
    assert zoned.tolist() == zoned_slow.tolist()


def test_largest_file_read_first_results_in_contract_order(tmp_path):
    """The loader reads the biggest files first (a lower memory peak); tables, file infos and contract
    problems still come in the contract's order."""
    from helpers import SOD_DATA, bundle_dir

    big_ops = SOD_DATA["operations"] + "".join(
        f"o{i},2025-02-03 10:00,002,view,account_open,A{i}\n" for i in range(3, 3000)
    )
    data = bundle_dir(tmp_path / "ok", {**SOD_DATA, "operations": big_ops})
    b = L.load_bundle(data)
    assert list(b.tables) == [n for n in TABLES if n in b.tables]
    assert list(b.files) == list(b.tables)
    bad = bundle_dir(
        tmp_path / "bad",
        {**SOD_DATA, "staff": "staff_id\n001\n", "operations": big_ops.replace("op_id,", "opid,", 1)},
    )
    with pytest.raises(L.DataContractError) as e:
        L.load_bundle(bad)
    assert [p.split(" ")[0] for p in e.value.problems] == ["staff.csv", "operations.csv"]


def test_composite_keys_counted_by_duckdb(monkeypatch):
    """A key of two columns, one a date: duplicates are rows equal in both."""
    from auditlib.schema import Column, Table

    table = Table(
        "t",
        False,
        "",
        (Column("staff_id", required=True), Column("day", "date", required=True)),
        primary_key=("staff_id", "day"),
    )
    monkeypatch.setattr(typed, "DISTINCT_BY_DUCKDB", 0)
    rows = [("001", "2025-01-02"), ("001", "2025-01-01"), ("002", "2025-01-01"), ("001", "2025-01-01")]
    raw = pd.DataFrame(rows, columns=["staff_id", "day"], dtype=reading.TEXT)
    out, issues = typed.type_table(table, raw)
    assert len(out) == 3
    assert pd.concat(issues)["reason"].tolist() == ["duplicate primary key (first at row 3)"]
    assert typed._keys_distinct(out[["staff_id", "day"]])
    assert not typed._keys_distinct(pd.concat([out, out])[["staff_id", "day"]])


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "中", " a", ""])), max_size=12),
    refs=st.lists(st.one_of(st.none(), st.sampled_from(["a", "中", " a", "z"])), max_size=8),
    dtypes=st.tuples(
        st.sampled_from(["string", "str", "object"]), st.sampled_from(["string", "str", "object"])
    ),
)
def test_isin_text_is_isin(values, refs, dtypes):
    from auditlib.arrowops import isin_text

    v, r = pd.Series(values, dtype=dtypes[0]), pd.Series(refs, dtype=dtypes[1])
    expected = [x is not None and x in {y for y in refs if y is not None} for x in values]
    assert isin_text(v, r).tolist() == expected


def test_vocabulary_columns_are_categoricals_that_read_as_text():
    """A choices column is typed as a categorical of the sorted vocabulary (one byte a row, not its text):
    equality, membership, sorting and formatting give what the lower-cased text gives."""
    from auditlib.schema import TABLES

    actions = ["Review", "enter", "approve", "view", "enter", "REVIEW", "bogus"]
    raw = pd.DataFrame(
        {
            "op_id": [f"o{i}" for i in range(len(actions))],
            "ts": ["2025-01-02 10:00"] * len(actions),
            "staff_id": ["001"] * len(actions),
            "action": actions,
            "business_type": ["purchase"] * len(actions),
            "ref_id": ["R1"] * len(actions),
        },
        dtype=reading.TEXT,
    )
    out, issues = typed.type_table(TABLES["operations"], raw)
    action = out["action"]
    assert isinstance(action.dtype, pd.CategoricalDtype)
    assert list(action.cat.categories) == sorted(TABLES["operations"].column("action").choices)
    text = pd.Series([a.lower() for a in actions[:-1]], dtype="string")  # "bogus" is quarantined
    assert pd.concat(issues)["row"].tolist() == [8]
    assert (action == "review").tolist() == (text == "review").tolist()
    assert action.isin(["enter", "approve"]).tolist() == text.isin(["enter", "approve"]).tolist()
    assert action.sort_values(kind="stable").index.tolist() == text.sort_values(kind="stable").index.tolist()
    assert ("x " + action.astype(str)).tolist() == ("x " + text).tolist()
