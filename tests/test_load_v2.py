"""Data contract v2: optional columns and tables; a v1 bundle stays valid and loads unchanged."""

from helpers import bundle_dir
from test_load import accounting_holds

from auditlib.docs import data_request_frame
from auditlib.engine import run_audit
from auditlib.load import ROW, load_bundle
from auditlib.params import parse_params
from auditlib.schema import TABLES

V2_TABLES = {"product_ratings", "data_changes"}


def _audit(data_dir, rules):
    params = parse_params(
        {
            "institution_id": "v2",
            "institution_name": "v2",
            "data_dir": str(data_dir),
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
            "language": "en",
            "rules": rules,
        },
        "test",
    )
    return run_audit(params, load_bundle(data_dir)).summary.set_index("rule_code")


def test_v1_bundle_loads_exactly_the_v1_columns_and_v2_rules_are_not_tested(tmp_path):
    d = bundle_dir(tmp_path)
    b = load_bundle(d)
    for name, df in b.tables.items():
        v1 = [ROW] + [c.name for c in TABLES[name].columns if c.since == 1]
        assert list(df.columns) == v1, name
    assert "fee" not in b.tables["transactions"] and not b.has("transactions.fee")
    assert b.has("transactions") and not b.has("products.max_fee_rate")
    assert V2_TABLES <= set(b.missing)
    assert sorted(b.missing_columns) == ["products.max_fee_rate", "transactions.fee"]
    assert b.quality.empty
    accounting_holds(b)
    s = _audit(d, ["SUIT", "INFO-002", "FEE"])
    assert s.loc["FEE-001", "status"] == "not_tested"
    # the reason names the data in words (the language of the params: en here)
    assert "transaction fees" in s.loc["FEE-001", "not_tested_reason"]
    assert "products' maximum fee rates" in s.loc["FEE-001", "not_tested_reason"]
    assert "product rating history" in s.loc["SUIT-006", "not_tested_reason"]
    assert "changes to business data" in s.loc["INFO-002", "not_tested_reason"]
    assert s.loc["SUIT-001", "tested"] and s.loc["SUIT-004", "tested"] and s.loc["SUIT-005", "tested"]


def test_v2_columns_and_tables_load_typed_and_bad_rows_are_quarantined(tmp_path):
    d = bundle_dir(
        tmp_path,
        {
            "products": "product_code,name,risk_level,rated_at,max_fee_rate\n"
            "000001,稳健债券A,R2,2025-01-01,0.015\n000002,权益B,R4,2025-01-01,1.5%\n"
            "000003,货币C,R1,2025-01-01,\n",
            "transactions": "txn_id,customer_id,product_code,business_code,applied_at,trade_date,"
            "status,amount,fee\n"
            "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed,1000,15\n"
            "T2,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed,1000,abc\n"
            "T3,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed,1000,\n",
            "product_ratings": "product_code,risk_level,rated_at\n"
            "000001,R2,2024-01-01\n"
            "000001,R3,2024-13-01\n"  # row 3: not a date
            "000001,,2024-06-01\n"  # row 4: risk_level missing
            "000001,R1,2024-01-01\n"  # row 5: duplicate (product_code, rated_at) of row 2
            "000009,R2,2024-01-01\n",  # row 6: no such product: kept, reported
            "data_changes": "change_id,changed_at,changed_by,table_name,record_id,field,old_value,new_value,"
            "approved_by,approved_at\n"
            "D1,2025-03-01 10:00,001,transactions,T1,amount,100,1000,001,2025-03-01 09:00\n"
            "D2,2025-03-01 25:00,001,transactions,T1,amount,100,1000,,\n"  # row 3: bad timestamp
            "D3,2025-03-01 10:00,,customers,0001,phone,13800000000,13900000000,,\n"  # row 4: no changed_by
            "D1,2025-03-02 10:00,001,customers,0001,name,张三,李四,,\n"  # row 5: duplicate change_id
            "D4,2025-03-02 10:00,001,customers,0001,name,张三,李四,777,not a time\n",  # row 6: approved_at
        },
    )
    b = load_bundle(d)
    accounting_holds(b)
    assert b.missing_columns == [] and not V2_TABLES & set(b.missing)
    assert b.has("transactions.fee") and b.has("products.max_fee_rate") and b.has("product_ratings")
    assert b.tables["transactions"]["fee"].dtype == "float64"
    assert b.tables["transactions"]["fee"].tolist()[0] == 15.0
    assert b.tables["product_ratings"]["rated_at"].dtype == "datetime64[ns]"
    assert b.tables["data_changes"]["change_id"].tolist() == ["D1"]
    q = b.quarantined
    got = set(zip(q["table"], q["row"], q["column"], strict=True))
    assert got == {
        ("products", 3, "max_fee_rate"),
        ("transactions", 3, "fee"),
        ("product_ratings", 3, "rated_at"),
        ("product_ratings", 4, "risk_level"),
        ("product_ratings", 5, "product_code,rated_at"),
        ("data_changes", 3, "changed_at"),
        ("data_changes", 4, "changed_by"),
        ("data_changes", 5, "change_id"),
        ("data_changes", 6, "approved_at"),
    }
    reasons = dict(zip(zip(q["table"], q["row"], strict=True), q["reason"], strict=True))
    assert reasons[("product_ratings", 5)] == "duplicate primary key (first at row 2)"
    assert reasons[("transactions", 3)] == "not a number: 'abc'"
    # old_value / new_value may hold personal data: a bad cell of theirs is never quoted (none here), and the
    # columns are declared PII for the examiner's copy
    assert {"old_value", "new_value"} <= {c.name for c in TABLES["data_changes"].columns if c.pii}
    kept = b.quality[b.quality["action"] == "kept"]
    assert ("product_ratings", 6, "product_code") in set(
        zip(kept["table"], kept["row"], kept["column"], strict=True)
    )


def test_an_empty_v2_column_is_provided_and_its_nulls_are_left_out(tmp_path):
    d = bundle_dir(
        tmp_path,
        {
            "products": "product_code,name,risk_level,rated_at,max_fee_rate\n"
            "000001,稳健债券A,R2,2025-01-01,0.015\n",
            "transactions": "txn_id,customer_id,product_code,business_code,applied_at,trade_date,"
            "status,amount,fee\n"
            "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed,1000,\n"
            "T2,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed,1000,15.11\n",
        },
    )
    s = _audit(d, ["FEE"])
    assert s.loc["FEE-001", "tested"] and s.loc["FEE-001", "population"] == 1
    assert s.loc["FEE-001", "left_out"] == 1 and s.loc["FEE-001", "exceptions"] == 1


def test_data_request_marks_the_v2_items_optional_and_new():
    df = data_request_frame()
    new = df[df["new in"] == "v2"]
    assert set(zip(new["table"], new["column"], strict=True)) >= {
        ("transactions", "fee"),
        ("products", "max_fee_rate"),
        ("product_ratings", "product_code"),
        ("data_changes", "old_value"),
    }
    assert set(new["table"]) == {"transactions", "products", "product_ratings", "data_changes"}
    assert (new.loc[new["table"].isin(V2_TABLES), "table required"] == "no").all()
    assert (new.loc[~new["table"].isin(V2_TABLES), "column required"] == "no").all()
    assert (df.loc[df["table"] == "staff", "new in"] == "").all()


def test_report_data_section_names_the_v2_data_not_provided(tmp_path):
    from auditlib.report.html import data_quality_section

    d = bundle_dir(tmp_path)
    params = parse_params(
        {
            "institution_id": "v2",
            "institution_name": "v2",
            "data_dir": str(d),
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
            "rules": ["FEE"],
        },
        "test",
    )
    result = run_audit(params, load_bundle(d))
    html = data_quality_section(result)
    assert "交易费用（<code>transactions.fee</code>）" in html
    assert "产品合同最高费率（<code>products.max_fee_rate</code>）" in html
    assert "<code>product_ratings</code>" in html
    reason = result.summary.set_index("rule_code").loc["FEE-001", "not_tested_reason"]
    assert reason == "未提供数据：交易费用、产品合同最高费率"
