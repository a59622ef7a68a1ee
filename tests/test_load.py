"""The loader: encodings, formats, typed columns, quarantine with row accounting, collected contract
errors."""

import pandas as pd
import pytest
from helpers import bundle_dir

from auditlib.load import DataContractError, detect_encoding, load_bundle
from auditlib.schema import TABLES


def accounting_holds(b):
    for info in b.files.values():
        assert info.rows_loaded + info.rows_quarantined == info.rows_read
        assert info.rows_loaded == len(b.tables[info.table])
        assert info.rows_quarantined == b.quarantined[b.quarantined["table"] == info.table]["row"].nunique()


def test_minimal_bundle_loads_with_identifiers_as_text(tmp_path):
    b = load_bundle(bundle_dir(tmp_path))
    assert b.tables["products"]["product_code"].tolist() == ["000001"]
    assert b.tables["transactions"]["business_code"].tolist() == ["022"]
    assert b.tables["customers"]["customer_id"].tolist() == ["0001"]
    assert str(b.tables["transactions"]["applied_at"].dtype) == "datetime64[ns]"
    assert set(b.missing) == {t.name for t in TABLES.values() if not t.required}
    assert b.quality.empty
    accounting_holds(b)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_encodings_are_detected(tmp_path, encoding, expected):
    # a GBK file that is pure ASCII for many rows before its first Chinese name
    rows = "".join(f"{i:05d},staff{i}\n" for i in range(5000)) + "99999,王五\n"
    d = bundle_dir(tmp_path, {"staff": "staff_id,name\n" + rows}, encoding=encoding)
    assert detect_encoding(d / "staff.csv") == expected
    b = load_bundle(d)
    assert b.tables["staff"]["name"].iloc[-1] == "王五"
    assert b.tables["staff"]["staff_id"].iloc[0] == "00000"


def test_parquet_and_xlsx_tables(tmp_path):
    d = bundle_dir(tmp_path, drop=("transactions", "products"))
    pd.DataFrame(
        {
            "txn_id": ["T1"],
            "customer_id": ["0001"],
            "product_code": ["000001"],
            "business_code": ["022"],
            "applied_at": pd.to_datetime(["2025-01-02 10:00"]),
            "trade_date": pd.to_datetime(["2025-01-02"]),
            "amount": [1000.5],
            "status": ["confirmed"],
        }
    ).to_parquet(d / "transactions.parquet")
    pd.DataFrame(
        {"product_code": ["000001"], "name": ["稳健债券A"], "risk_level": ["R2"], "rated_at": ["2025-01-01"]}
    ).to_excel(d / "products.xlsx", index=False)
    b = load_bundle(d)
    assert b.tables["transactions"]["amount"].tolist() == [1000.5]
    assert b.files["transactions"].format == "parquet"
    assert b.tables["products"]["product_code"].tolist() == ["000001"]
    accounting_holds(b)


def test_bad_values_are_quarantined_with_table_row_column_and_reason(tmp_path):
    txns = (
        "txn_id,customer_id,product_code,business_code,applied_at,trade_date,amount,status,"
        "risk_mismatch_confirmed\n"
        "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,100,confirmed,是\n"
        "T2,0001,000001,022,2025-13-02 10:00,2025-01-02,100,confirmed,否\n"  # row 3: bad timestamp
        "T3,0001,000001,022,2025-01-02 10:00,2025-01-02,abc,confirmed,Y\n"  # row 4: bad amount
        "T4,0001,000001,022,2025-01-02 10:00,2025-01-02,100,pending,N\n"  # row 5: unknown status
        "T5,0001,000001,022,2025-01-02 10:00,,100,confirmed,maybe\n"  # row 6: missing trade_date, bad bool
        "T1,0001,000001,022,2025-01-03 10:00,2025-01-03,100,confirmed,\n"
    )  # row 7: duplicate key
    b = load_bundle(bundle_dir(tmp_path, {"transactions": txns}))
    q = b.quarantined
    got = set(zip(q["table"], q["row"], q["column"], strict=True))
    assert got == {
        ("transactions", 3, "applied_at"),
        ("transactions", 4, "amount"),
        ("transactions", 5, "status"),
        ("transactions", 6, "trade_date"),
        ("transactions", 6, "risk_mismatch_confirmed"),
        ("transactions", 7, "txn_id"),
    }
    assert "first at row 2" in q[q["row"] == 7]["reason"].iloc[0]
    assert "2025-13-02" in q[q["row"] == 3]["reason"].iloc[0]
    t = b.tables["transactions"]
    assert t["txn_id"].tolist() == ["T1"] and t["_row"].tolist() == [2]
    assert t["risk_mismatch_confirmed"].tolist() == [True]
    accounting_holds(b)


def test_malformed_record_is_quarantined_not_lost(tmp_path):
    staff = "staff_id,name\n001,张三\n002,李四,extra,fields\n003,王五\n"
    b = load_bundle(bundle_dir(tmp_path, {"staff": staff}))
    assert b.tables["staff"]["staff_id"].tolist() == ["001", "003"]
    q = b.quarantined
    assert q["row"].tolist() == [3] and "4 fields" in q["reason"].iloc[0]
    accounting_holds(b)


def test_orphan_references_are_reported_and_kept(tmp_path):
    roles = "staff_id,role,start_date\n001,counter,2025-01-01\n999,sales,2025-01-01\n"
    b = load_bundle(bundle_dir(tmp_path, {"staff_roles": roles}))
    kept = b.quality[b.quality["action"] == "kept"]
    assert kept[["table", "row", "column"]].values.tolist() == [["staff_roles", 3, "staff_id"]]
    assert len(b.tables["staff_roles"]) == 2
    accounting_holds(b)


def test_every_contract_problem_is_collected_at_once(tmp_path):
    d = bundle_dir(
        tmp_path, {"staff": "staff_id\n001\n", "products": "product_code,name\n1,x\n"}, drop=("customers",)
    )
    (d / "complaints.csv").write_bytes(b"")
    with pytest.raises(DataContractError) as e:
        load_bundle(d)
    text = str(e.value)
    assert "required table customers missing" in text
    assert "staff.csv (table staff): required column name missing" in text
    assert "products.csv (table products): required column risk_level missing" in text
    assert "products.csv (table products): required column rated_at missing" in text
    assert "complaints.csv (table complaints): cannot be read: the file is empty" in text
    assert len(e.value.problems) == 5


def test_header_only_file_is_an_empty_table(tmp_path):
    b = load_bundle(bundle_dir(tmp_path))
    assert len(b.tables["complaints"]) == 0 and b.files["complaints"].rows_read == 0


def test_headers_are_trimmed_and_case_insensitive_and_extra_columns_kept(tmp_path):
    b = load_bundle(bundle_dir(tmp_path, {"staff": " Staff_ID ,NAME,note\n001,张三,x\n"}))
    assert b.tables["staff"]["note"].tolist() == ["x"]


def test_table_given_twice_is_an_error(tmp_path):
    d = bundle_dir(tmp_path)
    (d / "staff.parquet").write_bytes(b"")
    with pytest.raises(DataContractError, match="table staff given twice"):
        load_bundle(d)


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(DataContractError, match="data folder not found"):
        load_bundle(tmp_path / "nope")
