"""Small data bundles for tests: the minimal contract-conforming institution, and variations."""

from pathlib import Path

import pandas as pd

MINIMAL = {
    "staff": "staff_id,name\n001,张三\n",
    "staff_roles": "staff_id,role,start_date\n001,counter,2025-01-01\n",
    "customers": "customer_id,name,open_date\n0001,李四,2020-01-01\n",
    "risk_assessments": "customer_id,assessed_at,risk_tolerance\n0001,2024-01-01 10:00,C3\n",
    "products": "product_code,name,risk_level,rated_at\n000001,稳健债券A,R2,2025-01-01\n",
    "transactions": "txn_id,customer_id,product_code,business_code,applied_at,trade_date,status\n"
    "T1,0001,000001,022,2025-01-02 10:00,2025-01-02,confirmed\n",
    "complaints": "complaint_id,received_at,channel,severity\n",
}


def bundle_dir(tmp_path: Path, replace: dict | None = None, encoding: str = "utf-8", drop=()) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, text in {**MINIMAL, **(replace or {})}.items():
        if name not in drop:
            (tmp_path / f"{name}.csv").write_bytes(text.encode(encoding))
    return tmp_path


SOD_DATA = {
    "staff": "staff_id,name,leave_date\n001,张三,\n002,李四,\n003,王五,\n",
    "staff_roles": "staff_id,role,start_date,end_date\n"
    "001,promotion,2024-01-01,\n001,counter,2025-03-01,2025-03-01\n"
    "002,counter,2020-01-01,\n003,info_processing,2020-01-01,\n",
    "operations": "op_id,ts,staff_id,action,business_type,ref_id\n"
    "o1,2025-02-03 10:00,002,enter,account_open,A1\no2,2025-02-03 10:05,003,review,account_open,A1\n",
}


def write_params(path: Path, data_dir: str, **extra) -> Path:
    """A params file for a test institution (values as YAML text)."""
    base = {
        "institution_id": "test-inst",
        "institution_name": "测试基金销售有限公司",
        "data_dir": data_dir,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "as_of": "2026-01-31",
        **extra,
    }
    lines = [f"{k}: {v}" for k, v in base.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def personal_data(data: Path) -> set[str]:
    """Names, ID numbers and phones of the demo's customers and staff, as handed over."""
    values: set[str] = set()
    for table, cols in (("customers", ("name", "id_number", "phone")), ("staff", ("name",))):
        raw = (data / f"{table}.csv").read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # demo-b hands over GBK exports
            text = raw.decode("gb18030")
        df = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
        for c in cols:
            values |= {v.strip() for v in df[c] if len(v.strip()) >= 2}
    return values


def xlsx_table(ws) -> tuple[list, int]:
    """A working-paper sheet's table: its header cells' values and the row number of its first data row (the
    header row is the last frozen row; the header block sits above it)."""
    # freeze_panes is the top-left cell below the frozen rows, e.g. "A12"
    first = int("".join(ch for ch in ws.freeze_panes if ch.isdigit())) if ws.freeze_panes else 2
    return [c.value for c in ws[first - 1]], first
