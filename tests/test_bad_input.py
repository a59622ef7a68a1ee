"""Bad input as real bytes on disk: every problem is a named contract error, a quarantined row or a warning.

A contract error names the file, the table and the column or row; a quarantined row (`action=quarantined`)
and a warning (`action=kept`) name table, row and column. Row accounting holds (loaded + quarantined =
rows read), every row number named exists in the file, and no reason quotes personal data. The CLI turns
all of it into one or two lines, never a traceback.
"""

import csv
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import MINIMAL, bundle_dir, write_params

from auditlib.load import CELL_LIMIT, DataContractError, load_bundle, type_table
from auditlib.params import ParamsError, parse_params
from auditlib.schema import TABLES, Column, Table

DATA = Path(__file__).parent / "data" / "bad_input"
MIXED = DATA / "mixed"
AS_OF = "2026-01-31"


# ---------------------------------------------------------------- helpers


def accounting_holds(b):
    for info in b.files.values():
        assert info.rows_loaded + info.rows_quarantined == info.rows_read, info
        assert info.rows_loaded == len(b.tables[info.table])
        q = b.quarantined[b.quarantined["table"] == info.table]
        assert info.rows_quarantined == q["row"].nunique()


def file_rows(path: Path, encoding: str | None) -> set[int]:
    """Spreadsheet row numbers of the data records in a file (blank records are not rows)."""
    if path.suffix == ".xlsx":
        return set(range(2, len(pd.read_excel(path, dtype=str)) + 2))
    if path.suffix == ".parquet":
        return set(range(2, len(pd.read_parquet(path)) + 2))
    with open(path, encoding=encoding, newline="") as f:
        recs = list(csv.reader(f))
    return {i + 1 for i, rec in enumerate(recs) if i and any(c.strip() for c in rec)}


def rows_exist(b):
    for info in b.files.values():
        named = set(b.quality.loc[b.quality["table"] == info.table, "row"])
        assert named <= file_rows(info.path, info.encoding), (
            info.table,
            named - file_rows(info.path, info.encoding),
        )


def issues(b, action=None) -> set[tuple]:
    q = b.quality if action is None else b.quality[b.quality["action"] == action]
    return set(zip(q["table"], q["row"], q["column"], strict=True))


def reason(b, table, row, column) -> str:
    q = b.quality
    hit = q[(q["table"] == table) & (q["row"] == row) & (q["column"] == column)]
    assert len(hit) == 1, hit
    return hit["reason"].iloc[0]


def contract_problems(d: Path, **kw) -> list[str]:
    with pytest.raises(DataContractError) as e:
        load_bundle(d, **kw)
    return e.value.problems


# ---------------------------------------------------------------- the committed bundle


def test_committed_bundle_matches_its_answer_key():
    """GBK, UTF-8 with BOM, xlsx, a blank line, a multi-line cell; every planted problem found, nothing
    else."""
    b = load_bundle(MIXED, as_of=AS_OF)
    key = pd.read_csv(MIXED / "_expected_quality.csv", dtype=str, keep_default_na=False)
    got = b.quality.astype({"row": str})
    assert sorted(map(tuple, got.values.tolist())) == sorted(map(tuple, key.values.tolist()))
    assert b.files["staff"].encoding == "gb18030" and b.files["staff_roles"].encoding == "utf-8-sig"
    assert b.files["products"].format == "xlsx"
    assert b.tables["customers"].set_index("customer_id").loc["0001", "name"] == "李四"
    assert b.tables["staff_roles"]["staff_id"].tolist() == ["001", "002", "999", "005"]  # headers Staff_ID...
    assert b.tables["transactions"].set_index("txn_id").loc["T1", "amount"] == 1000.5
    assert (
        b.tables["complaints"].set_index("complaint_id").loc["C4", "description"]
        == '多行描述，\n含逗号, 和 "引号"'
    )
    accounting_holds(b)
    rows_exist(b)


def test_committed_bundle_reasons_never_quote_personal_data():
    b = load_bundle(MIXED, as_of=AS_OF)
    pii = set()
    for name, info in b.files.items():
        raw = (
            pd.read_excel(info.path, dtype=str)
            if info.format == "xlsx"
            else pd.read_csv(info.path, dtype=str, encoding=info.encoding, keep_default_na=False)
        )
        raw.columns = raw.columns.str.lower()
        for c in TABLES[name].columns:
            if c.pii and c.name in raw:
                pii |= {v for v in raw[c.name] if v}
    assert '=HYPERLINK("http://example.invalid","赵钱")' in pii
    text = "\n".join(b.quality["reason"])
    assert not [v for v in pii if v in text]
    assert reason(b, "staff", 7, "name").startswith("text starts with = + - or @")


# ------------------------------------------------------------ contract errors: named, collected, no traceback


def _truncated_xlsx(d: Path):
    buf = io.BytesIO()
    pd.DataFrame({"product_code": ["000001"]}).to_excel(buf, index=False)
    (d / "products.xlsx").write_bytes(buf.getvalue()[:200])


def _two_sheets(d: Path):
    with pd.ExcelWriter(d / "products.xlsx") as xw:
        pd.DataFrame({"product_code": ["000001"]}).to_excel(xw, sheet_name="a", index=False)
        pd.DataFrame({"product_code": ["000002"]}).to_excel(xw, sheet_name="b", index=False)


CONTRACT_CASES = {
    "missing table": ({}, ("customers",), None, "required table customers missing"),
    "missing column": (
        {"transactions": MINIMAL["transactions"].replace("applied_at,", "").replace("2025-01-02 10:00,", "")},
        (),
        None,
        "transactions.csv (table transactions): required column applied_at missing",
    ),
    "empty file": ({"staff": ""}, (), None, "staff.csv (table staff): cannot be read: the file is empty"),
    "only a BOM": ({"staff": "\ufeff"}, (), None, "staff.csv (table staff): cannot be read: no header row"),
    "blank first line": (
        {"staff": "\nstaff_id,name\n001,张三\n"},
        (),
        None,
        "staff.csv (table staff): cannot be read: no header row",
    ),
    "semicolons": (
        {"staff": "staff_id;name\n001;张三\n"},
        (),
        None,
        "the header is one column 'staff_id;name': the file must be comma-separated",
    ),
    "repeated column": (
        {"staff": "staff_id,name,name\n001,张三,李四\n"},
        (),
        None,
        "staff.csv (table staff): column name appears twice",
    ),
    "unclosed quote": (
        {"staff": 'staff_id,name\n001,"张三\n002,李四\n003,王五\n'},
        (),
        None,
        "staff.csv (table staff): cannot be read: row 2: a quoted cell is never closed",
    ),
    "UTF-16": (
        None,
        (),
        lambda d: (d / "staff.csv").write_bytes("staff_id,name\n001,张三\n".encode("utf-16")),
        "staff.csv (table staff): cannot be read: the file is UTF-16",
    ),
    "neither UTF-8 nor GBK": (
        None,
        (),
        lambda d: (d / "staff.csv").write_bytes(b"staff_id,name\n001,\x80\xff\n"),
        "staff.csv (table staff): cannot be read: neither UTF-8 nor GBK/GB18030",
    ),
    "xlsx not an xlsx": (
        None,
        ("products",),
        lambda d: (d / "products.xlsx").write_bytes(b"PK\x03\x04 broken"),
        "products.xlsx (table products): cannot be read",
    ),
    "xlsx truncated": (
        None,
        ("products",),
        _truncated_xlsx,
        "products.xlsx (table products): cannot be read",
    ),
    "xlsx two sheets": (
        None,
        ("products",),
        _two_sheets,
        "products.xlsx (table products): cannot be read: an .xlsx table must have exactly one sheet, found 2",
    ),
    "empty parquet": (
        None,
        ("products",),
        lambda d: (d / "products.parquet").write_bytes(b""),
        "products.parquet (table products): cannot be read",
    ),
    "table twice": (None, (), lambda d: (d / "staff.xlsx").write_bytes(b""), "table staff given twice"),
}


@pytest.mark.parametrize("case", CONTRACT_CASES)
def test_contract_errors_name_file_table_and_column(tmp_path, case):
    replace, drop, extra, message = CONTRACT_CASES[case]
    d = bundle_dir(tmp_path, replace, drop=tuple(t for t in drop if t != "products") if extra else drop)
    if extra:
        for t in drop:
            (d / f"{t}.csv").unlink(missing_ok=True)
        extra(d)
    problems = contract_problems(d)
    assert any(message in p for p in problems), problems
    assert all("\n" not in p and len(p) < 500 for p in problems), problems


def test_all_contract_errors_are_collected_together(tmp_path):
    d = bundle_dir(tmp_path, {"staff": "staff_id;name\n001;张三\n", "complaints": ""}, drop=("customers",))
    _two_sheets(d)
    (d / "products.csv").unlink()
    problems = contract_problems(d)
    assert len(problems) == 6, (
        problems
    )  # customers missing, 2 x staff columns + separator hint, empty, 2 sheets


def test_a_wrong_encoding_in_params_is_a_contract_error_not_a_crash(tmp_path):
    d = bundle_dir(tmp_path, {"staff": "staff_id,name\n001,张三\n"}, encoding="utf-8")
    problems = contract_problems(d, encoding="ascii")
    assert any(
        p.startswith("staff.csv (table staff): cannot be read: not ascii at byte") for p in problems
    ), problems


def test_an_unknown_encoding_in_params_is_a_params_error():
    with pytest.raises(ParamsError, match="encoding: unknown encoding 'klingon'"):
        parse_params(
            {
                "institution_id": "x",
                "institution_name": "x",
                "data_dir": ".",
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "as_of": "2026-01-31",
                "encoding": "klingon",
            }
        )


# ---------------------------------------------------------------- quarantine: wrong types, keys

TXN_HEAD = (
    "txn_id,customer_id,product_code,business_code,applied_at,trade_date,amount,shares,status,"
    "risk_mismatch_confirmed,notified_at\n"
)


@pytest.mark.parametrize(
    ("row", "column", "why"),
    [
        (
            "T2,0001,000001,022,2025-01-02 10:00,2025-02-30,1,,confirmed,,",
            "trade_date",
            "not a date YYYY-MM-DD: '2025-02-30'",
        ),
        (
            "T2,0001,000001,022,2025-01-02 10:00,2025,1,,confirmed,,",
            "trade_date",
            "not a date YYYY-MM-DD: '2025'",
        ),
        (
            "T2,0001,000001,022,2025-01-02 10:00,2025-01,1,,confirmed,,",
            "trade_date",
            "not a date YYYY-MM-DD: '2025-01'",
        ),
        ("T2,0001,000001,022,2025-01-02 10:00,01/02/2025,1,,confirmed,,", "trade_date", "not a date"),
        ("T2,0001,000001,022,2025-01-02 10:30,2025-01-02 10:30,1,,confirmed,,", "trade_date", "not a date"),
        ("T2,0001,000001,022,yesterday,2025-01-02,1,,confirmed,,", "applied_at", "not a timestamp"),
        (
            "T2,0001,000001,022,2025-01-02 10:00+08:00,2025-01-02,1,,confirmed,,",
            "applied_at",
            "timestamp has a time zone: '2025-01-02 10:00+08:00'",
        ),
        (
            "T2,0001,000001,022,2025-01-02T02:00Z,2025-01-02,1,,confirmed,,",
            "applied_at",
            "timestamp has a time zone",
        ),
        ("T2,0001,000001,022,2025-01-02 10:00,2025-01-02,abc,,confirmed,,", "amount", "not a number: 'abc'"),
        ("T2,0001,000001,022,2025-01-02 10:00,2025-01-02,inf,,confirmed,,", "amount", "not a number: 'inf'"),
        ("T2,0001,000001,022,2025-01-02 10:00,2025-01-02,1e400,,confirmed,,", "amount", "not a number"),
        ("T2,0001,000001,022,2025-01-02 10:00,2025-01-02,NaN,,confirmed,,", "amount", "not a number"),
        (
            "T2,0001,000001,022,2025-01-02 10:00,2025-01-02,1,,confirmed,perhaps,",
            "risk_mismatch_confirmed",
            "not a boolean",
        ),
        (
            "T2,0001,000001,022,2025-01-02 10:00,2025-01-02,1,,CONFIRMED!,,",
            "status",
            "value not in the allowed list",
        ),
        (
            "T2,,000001,022,2025-01-02 10:00,2025-01-02,1,,confirmed,,",
            "customer_id",
            "required value missing",
        ),
        (
            "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,1,,confirmed,,",
            "txn_id",
            "duplicate primary key (first at row 2)",
        ),
    ],
)
def test_a_bad_cell_quarantines_its_row_with_table_row_column_and_reason(tmp_path, row, column, why):
    txns = TXN_HEAD + "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,1,,confirmed,,\n" + row + "\n"
    b = load_bundle(bundle_dir(tmp_path, {"transactions": txns}))
    assert issues(b, "quarantined") == {("transactions", 3, column)}
    assert why in reason(b, "transactions", 3, column)
    assert b.tables["transactions"]["txn_id"].tolist() == ["T1"]
    accounting_holds(b)
    rows_exist(b)


def test_mixed_zoned_and_plain_timestamps_do_not_crash(tmp_path):
    """pandas refuses to parse zoned and plain cells together: each zoned cell is quarantined instead."""
    txns = TXN_HEAD + "".join(
        f"T{i},0001,000001,022,{ts},2025-01-02,1,,confirmed,,\n"
        for i, ts in enumerate(
            ["2025-01-02 10:00", "2025-01-02 10:00+08:00", "2025-01-02 10:00:00-05:00", "2025-01-02 11:00"]
        )
    )
    b = load_bundle(bundle_dir(tmp_path, {"transactions": txns}))
    assert issues(b) == {("transactions", 3, "applied_at"), ("transactions", 4, "applied_at")}
    assert b.tables["transactions"]["txn_id"].tolist() == ["T0", "T3"]


def test_int_column_out_of_range_and_non_finite(tmp_path):
    recs = "recon_date,branch_id,differences\n" + "".join(
        f"2025-01-{i + 2:02d},B1,{v}\n"
        for i, v in enumerate(["3", "99999999999999999999999", "1e400", "inf", "1.5"])
    )
    b = load_bundle(bundle_dir(tmp_path, {"reconciliations": recs}))
    assert issues(b) == {("reconciliations", r, "differences") for r in (3, 4, 5, 6)}
    assert b.tables["reconciliations"]["differences"].tolist() == [3]


def test_composite_primary_key_duplicates(tmp_path):
    recs = "recon_date,branch_id\n2025-01-02,B1\n2025-01-02,B2\n2025-01-02,B1\n"
    b = load_bundle(bundle_dir(tmp_path, {"reconciliations": recs}))
    assert issues(b) == {("reconciliations", 4, "recon_date,branch_id")}
    assert "first at row 2" in reason(b, "reconciliations", 4, "recon_date,branch_id")


def test_personal_data_is_never_quoted_in_a_quarantine_reason():
    """No contract PII column can hold a bad cell today (they are free text); a typed one must not be
    quoted."""
    table = Table(
        "people",
        False,
        "",
        (
            Column("person_id", required=True),
            Column("birth_date", "date", pii=True),
            Column("phone", pii=True, choices=("x",)),
        ),
    )
    raw = pd.DataFrame(
        {
            "person_id": ["p1", "p2"],
            "birth_date": ["1990-13-45", "1990-01-01"],
            "phone": ["x", "13812345678"],
        },
        dtype="string",
    )
    _, found = type_table(table, raw)
    q = pd.concat(found)
    assert set(zip(q["row"], q["column"], strict=True)) == {(2, "birth_date"), (3, "phone")}
    assert q["reason"].tolist() == ["not a date YYYY-MM-DD", "value not in the allowed list (x)"]


# --------------------------------------------------------------- warnings: chronology, future, formulas, size

COMPLAINT_HEAD = (
    "complaint_id,received_at,channel,severity,description,responded_at,resolved_at,callback_at\n"
)


@pytest.mark.parametrize(
    ("replace", "where", "why"),
    [
        (
            {"complaints": COMPLAINT_HEAD + "C1,2025-03-03 10:00,phone,general,x,2025-03-03 09:59,,\n"},
            ("complaints", 2, "responded_at"),
            "before received_at (2025-03-03 10:00:00): '2025-03-03 09:59:00'",
        ),
        (
            {"complaints": COMPLAINT_HEAD + "C1,2025-03-03 10:00,phone,general,x,,2025-02-01 10:00,\n"},
            ("complaints", 2, "resolved_at"),
            "before received_at",
        ),
        (
            {"staff": "staff_id,name,hire_date,leave_date\n001,张三,2021-03-01,2021-02-28\n"},
            ("staff", 2, "leave_date"),
            "before hire_date (2021-03-01): '2021-02-28'",
        ),
        (
            {"staff_roles": "staff_id,role,start_date,end_date\n001,counter,2025-06-01,2025-05-31\n"},
            ("staff_roles", 2, "end_date"),
            "before start_date (2025-06-01): '2025-05-31'",
        ),
        (
            {"transactions": TXN_HEAD + "T1,0001,000001,022,2025-03-02 10:00,2025-01-02,1,,confirmed,,\n"},
            ("transactions", 2, "trade_date"),
            "more than 31 days before applied_at (2025-03-02 10:00:00): '2025-01-02'",
        ),
        (
            {
                "transactions": TXN_HEAD
                + "T1,0001,000001,022,2025-03-02 10:00,2025-03-02,1,,rejected,,2025-03-01 10:00\n"
            },
            ("transactions", 2, "notified_at"),
            "before applied_at",
        ),
        (
            {"customers": "customer_id,name,open_date,close_date\n0001,李四,2020-01-01,2019-12-31\n"},
            ("customers", 2, "close_date"),
            "before open_date",
        ),
    ],
)
def test_chronology_errors_are_warnings_and_the_row_is_kept(tmp_path, replace, where, why):
    b = load_bundle(bundle_dir(tmp_path, replace))
    assert issues(b) == {where}
    assert why in reason(b, *where)
    assert b.quality["action"].tolist() == ["kept"]
    assert len(b.tables[where[0]]) == 1
    accounting_holds(b)


def test_chronology_edges_are_not_warnings(tmp_path):
    """Same moment, same day, a role held one day, a T date a few days off (ABN-007's business), nulls."""
    b = load_bundle(
        bundle_dir(
            tmp_path,
            {
                "complaints": COMPLAINT_HEAD + "C1,2025-03-03 10:00,phone,general,x,2025-03-03 10:00,,\n"
                "C2,2025-03-03 10:00,phone,general,x,,,\n",
                "staff": "staff_id,name,hire_date,leave_date\n001,张三,2021-03-01,2021-03-01\n",
                "staff_roles": "staff_id,role,start_date,end_date\n001,counter,2025-06-01,2025-06-01\n",
                "transactions": TXN_HEAD + "T1,0001,000001,022,2025-03-02 10:00,2025-02-10,1,,confirmed,,\n",
            },
        )
    )
    assert b.quality.empty, b.quality


def test_every_declared_order_check_runs(tmp_path):
    """Each schema order check finds a row whose later column is a year before its earlier one."""
    for table in TABLES.values():
        for o in table.order_checks:
            row = {c.name: _sample(c) for c in table.columns if c.required}
            row[o.earlier], row[o.later] = (
                _sample(table.column(o.earlier), 2025),
                _sample(table.column(o.later), 2024),
            )
            d = bundle_dir(
                tmp_path / table.name / o.later, {table.name: pd.DataFrame([row]).to_csv(index=False)}
            )
            b = load_bundle(d)
            own = issues(b) - issues(load_bundle(bundle_dir(tmp_path / "base")))
            assert (table.name, 2, o.later) in own, (table.name, o, b.quality)


def _sample(c: Column, year: int = 2025) -> str:
    return {
        "date": f"{year}-03-03",
        "ts": f"{year}-03-03 10:00:00",
        "bool": "true",
        "dec": "1",
        "int": "1",
    }.get(c.type, c.choices[0] if c.choices else "X1")


def test_dates_after_as_of_are_warnings_only_when_as_of_is_given(tmp_path):
    d = bundle_dir(
        tmp_path,
        {
            "complaints": COMPLAINT_HEAD + "C1,2025-03-03 10:00,phone,general,x,2026-02-01 00:00,,\n"
            "C2,2026-01-31 23:59,phone,general,x,,,\n",
            "transactions": TXN_HEAD + "T1,0001,000001,022,2052-01-02 10:00,2052-01-02,1,,confirmed,,\n",
        },
    )
    b = load_bundle(d, as_of=AS_OF)
    assert issues(b) == {("complaints", 2, "responded_at"), ("transactions", 2, "applied_at")}
    assert reason(b, "transactions", 2, "applied_at") == "after as_of (2026-01-31): '2052-01-02 10:00:00'"
    assert set(b.quality["action"]) == {"kept"}
    assert load_bundle(d).quality.empty  # the loader alone does not know as_of
    accounting_holds(b)


def test_a_scheduled_disposal_after_as_of_is_not_a_warning(tmp_path):
    arch = (
        "record_id,record_type,subject_id,archived_at,disposed_at\nA1,transaction,T1,2025-01-05,2046-01-01\n"
    )
    assert load_bundle(bundle_dir(tmp_path, {"archive_records": arch}), as_of=AS_OF).quality.empty


def test_far_dates_are_clamped_and_reported_not_crashing(tmp_path):
    roles = "staff_id,role,start_date,end_date\n001,counter,0001-01-01,9999-12-31\n"
    b = load_bundle(bundle_dir(tmp_path, {"staff_roles": roles}), as_of=AS_OF)
    r = b.tables["staff_roles"].iloc[0]
    assert r["end_date"] == pd.Timestamp("2262-04-11") and r["start_date"] == pd.Timestamp("1677-09-22")
    assert issues(b, "kept") == {("staff_roles", 2, "end_date"), ("staff_roles", 2, "start_date")}
    assert "read as 2262-04-11" in reason(b, "staff_roles", 2, "end_date")


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ('=HYPERLINK("http://evil.invalid","x")', True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("@SUM(1+1)", True),
        ("  =1+1", True),
        ("+86 138 0000 0000", False),
        ("-5", False),
        ("-", False),
        ("客户称 =1+1", False),
        ("a@b.example", False),
    ],
)
def test_text_a_spreadsheet_would_run_is_a_warning(tmp_path, text, flagged):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        ["C1", "2025-03-03 10:00", "phone", "general", text, "", "", ""]
    )
    b = load_bundle(bundle_dir(tmp_path, {"complaints": COMPLAINT_HEAD + buf.getvalue()}))
    assert b.tables["complaints"]["description"].tolist() == [text.strip()], "the text is loaded as it is"
    assert issues(b) == ({("complaints", 2, "description")} if flagged else set())
    if flagged:
        assert reason(b, "complaints", 2, "description").endswith(f": '{text.strip()[:40]}'")


def test_a_formula_in_an_id_column_is_flagged_too(tmp_path):
    b = load_bundle(
        bundle_dir(
            tmp_path,
            {
                "staff": "staff_id,name\n001,张三\n@002,李四\n",
                "staff_roles": "staff_id,role,start_date\n@002,counter,2025-01-01\n",
            },
        )
    )
    assert issues(b) == {("staff", 3, "staff_id"), ("staff_roles", 2, "staff_id")}


def test_a_huge_text_cell_is_loaded_whole_and_reported(tmp_path):
    big = "投诉" * 500_000 + "END"  # 1,000,003 characters, 3 MB in UTF-8
    comp = (
        COMPLAINT_HEAD
        + f"C1,2025-03-03 10:00,phone,general,{big},,,\nC2,2025-03-03 10:00,phone,general,x,,,\n"
    )
    b = load_bundle(bundle_dir(tmp_path, {"complaints": comp}))
    assert b.tables["complaints"]["description"].iloc[0] == big
    assert issues(b) == {("complaints", 2, "description")}
    assert reason(b, "complaints", 2, "description") == (
        f"text longer than {CELL_LIMIT} characters (a spreadsheet cell holds no more)"
    )
    assert len(b.quality["reason"].iloc[0]) < 200


def test_a_huge_cell_in_a_file_with_a_malformed_record(tmp_path):
    """The slow path (csv module, 128 KiB field limit by default) must take a 1 MB cell too."""
    big = "x" * 1_000_000
    comp = (
        COMPLAINT_HEAD
        + f"C1,2025-03-03 10:00,phone,general,{big},,,\nC2,2025-03-03 10:00,phone,general,x,,,,extra\n"
    )
    b = load_bundle(bundle_dir(tmp_path, {"complaints": comp}))
    assert issues(b, "quarantined") == {("complaints", 3, "")}
    assert reason(b, "complaints", 3, "") == "malformed record: 9 fields where the header has 8"
    assert len(b.tables["complaints"]["description"].iloc[0]) == 1_000_000
    accounting_holds(b)


# ---------------------------------------------------------------- shapes: blank lines, headers, parquet, xlsx


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers(tmp_path):
    staff = "staff_id,name\n001,张三\n\n002,李四\n,\n003,王五,extra\n004,赵六\n\n"
    b = load_bundle(bundle_dir(tmp_path, {"staff": staff}))
    assert b.tables["staff"][["staff_id", "_row"]].values.tolist() == [["001", 2], ["002", 4], ["004", 7]]
    assert issues(b) == {("staff", 6, "")}
    assert b.files["staff"].rows_read == 4
    accounting_holds(b)
    rows_exist(b)


def test_trailing_commas_are_harmless_and_extra_cells_quarantine_their_row(tmp_path):
    """Every data line one comma longer than the header: pandas would take the first column for an index."""
    staff = "staff_id,name\n001,张三,\n002,李四,\n003,王五,oops\n"
    b = load_bundle(bundle_dir(tmp_path, {"staff": staff}))
    assert b.tables["staff"][["staff_id", "name"]].values.tolist() == [["001", "张三"], ["002", "李四"]]
    assert issues(b) == {("staff", 4, "")}
    assert reason(b, "staff", 4, "") == "malformed record: 3 fields where the header has 2"
    accounting_holds(b)


def test_a_bom_inside_a_file_read_with_a_given_encoding(tmp_path):
    d = bundle_dir(tmp_path, {"staff": "\ufeffstaff_id,name\n001,张三\n"}, encoding="utf-8")
    assert load_bundle(d, encoding="utf-8").tables["staff"]["staff_id"].tolist() == ["001"]


def test_parquet_with_typed_zones_far_dates_and_numbers_for_text(tmp_path):
    d = bundle_dir(tmp_path, drop=("transactions", "staff_roles"))
    pd.DataFrame(
        {
            "txn_id": [1, 2],
            "customer_id": ["0001", "0001"],
            "product_code": ["000001", "000001"],
            "business_code": ["022", "022"],
            "applied_at": pd.to_datetime(["2025-01-02 02:00", "2025-01-03 02:00"]).tz_localize("UTC"),
            "trade_date": pd.to_datetime(["2025-01-02", "2025-01-03"]),
            "amount": [1.5, np.inf],
            "status": ["confirmed", "confirmed"],
        }
    ).to_parquet(d / "transactions.parquet")
    pd.DataFrame(
        {
            "staff_id": ["001"],
            "role": ["counter"],
            "start_date": pd.to_datetime(["2025-01-01"]),
            "end_date": np.array(["9999-12-31"], dtype="datetime64[s]"),
        }
    ).to_parquet(d / "staff_roles.parquet")
    b = load_bundle(d)
    t = b.tables["transactions"]
    assert t["txn_id"].tolist() == ["1"]
    assert t["applied_at"].tolist() == [pd.Timestamp("2025-01-02 10:00")], (
        "UTC read as Asia/Shanghai local time"
    )
    assert issues(b) == {("transactions", 3, "amount"), ("staff_roles", 2, "end_date")}
    accounting_holds(b)


def test_xlsx_table_with_excel_types(tmp_path):
    d = bundle_dir(tmp_path, drop=("transactions",))
    pd.DataFrame(
        {
            "txn_id": ["T1", "T2"],
            "customer_id": ["0001", "0001"],
            "product_code": ["000001", "000001"],
            "business_code": ["022", "022"],
            "applied_at": [pd.Timestamp("2025-01-02 10:00"), "2025-01-02 25:00"],
            "trade_date": [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-02")],
            "amount": [1000.5, "一千"],
            "status": ["confirmed", "confirmed"],
            "risk_mismatch_confirmed": [True, False],
        }
    ).to_excel(d / "transactions.xlsx", index=False)
    b = load_bundle(d)
    assert issues(b) == {("transactions", 3, "applied_at"), ("transactions", 3, "amount")}
    assert b.tables["transactions"]["risk_mismatch_confirmed"].tolist() == [True]
    accounting_holds(b)
    rows_exist(b)


def test_header_only_and_empty_optional_tables(tmp_path):
    d = bundle_dir(
        tmp_path,
        {
            "operations": "op_id,ts,staff_id,action,business_type,ref_id\n",
            "training": "staff_id,date,course,hours",
        },
    )
    b = load_bundle(d, as_of=AS_OF)
    assert len(b.tables["operations"]) == 0 and len(b.tables["training"]) == 0 and b.quality.empty


def test_schema_declarations_are_consistent():
    for t in TABLES.values():
        for o in t.order_checks:
            assert {t.column(o.earlier).type, t.column(o.later).type} <= {"date", "ts"}, (t.name, o)
        for c in t.not_after_as_of:
            assert t.column(c).type in ("date", "ts"), (t.name, c)


# ----------------------------------------------------------- the command line: one or two lines, no traceback


def run_cli(*args, cwd=None):
    p = subprocess.run(
        [sys.executable, "-m", "auditlib.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    return p.returncode, p.stdout, p.stderr


@pytest.mark.slow
def test_cli_audits_the_bad_bundle_and_lists_every_problem(tmp_path):
    shutil.copytree(MIXED, tmp_path / "data")
    params = write_params(tmp_path / "p.yaml", "data")
    code, out, err = run_cli("run", params, "--out", tmp_path / "out")
    assert code == 0, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
    dq = pd.read_csv(
        tmp_path / "out" / "test-inst" / "2025-12-31" / "data_quality.csv",
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    key = pd.read_csv(MIXED / "_expected_quality.csv", dtype=str, keep_default_na=False)
    got = set(map(tuple, dq[["table", "row", "column", "action"]].values.tolist()))
    full = set(map(tuple, key[["table", "row", "column", "action"]].values.tolist()))
    future = set(
        map(
            tuple,
            key[key["reason"].str.startswith("after as_of")][
                ["table", "row", "column", "action"]
            ].values.tolist(),
        )
    )
    # the future-date warnings appear once the notebook passes params.as_of to load_bundle
    assert full - future <= got <= full


@pytest.mark.slow
def test_cli_reports_a_broken_bundle_in_one_or_two_lines(tmp_path):
    d = bundle_dir(
        tmp_path / "data",
        {
            "transactions": MINIMAL["transactions"]
            .replace("applied_at,", "")
            .replace("2025-01-02 10:00,", ""),
            "staff": 'staff_id,name\n001,"张三\n002,李四\n',
        },
        drop=("products",),
    )
    (d / "products.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    params = write_params(tmp_path / "p.yaml", "data")
    code, out, err = run_cli("run", params, "--out", tmp_path / "out")
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
    for part in (
        "transactions.csv (table transactions): required column applied_at missing",
        "staff.csv (table staff): cannot be read: row 2: a quoted cell is never closed",
        "products.xlsx (table products): cannot be read",
    ):
        assert part in err, err


def test_committed_files_are_what_the_readme_says():
    assert (MIXED / "staff.csv").read_bytes().decode("gbk").startswith("staff_id,name")
    assert (MIXED / "staff_roles.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert zipfile.is_zipfile(MIXED / "products.xlsx")
