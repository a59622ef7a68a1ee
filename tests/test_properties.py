"""Properties over generated input (hypothesis).

The loader, given contract-shaped CSVs with arbitrary cell text: never crashes, keeps its row accounting,
and every row it names exists in the file. The engine, given arbitrary small contract-shaped tables: never
raises, no rule ends in `error`, and no finding's evidence points at a row its table does not have.

Examples are few so the file runs in seconds; `AUDITLIB_EXAMPLES=500 pytest tests/test_properties.py` looks
harder (a failure prints the smallest bundle that shows it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from helpers import MINIMAL
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditlib.engine import run_audit
from auditlib.fixtures import run_case
from auditlib.load import ROW, Bundle, DataContractError, load_bundle, table_warnings, type_table
from auditlib.params import parse_params
from auditlib.schema import PURCHASE_CODES, TABLES, Column, Table

SCALE = int(os.environ.get("AUDITLIB_EXAMPLES", "0"))


def examples(n: int) -> settings:
    return settings(
        max_examples=SCALE or n,
        deadline=None,
        database=None,
        derandomize=not SCALE,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------- the loader

TRICKY = [
    "",
    " ",
    "\t",
    "=1+1",
    "+86 138",
    "-",
    "@x",
    '"',
    '""',
    "a,b",
    "line\nbreak",
    "\r",
    "是",
    "否",
    "NULL",
    "9999-12-31",
    "0001-01-01",
    "2025-01-02 10:00+08:00",
    "2025-02-30",
    "2025",
    "inf",
    "-1e400",
    "1,000.5",
    "0024",
    "\ufeff",
    "张三",
    "х" * 200,
]


def _valid(c: Column) -> st.SearchStrategy[str]:
    if c.choices:
        return st.sampled_from(c.choices)
    return {
        "date": st.just("2025-03-03"),
        "ts": st.just("2025-03-03 10:00:00"),
        "bool": st.sampled_from(["Y", "否"]),
        "dec": st.just("1.5"),
        "int": st.just("2"),
    }.get(c.type, st.just("X1"))


def _cell(c: Column) -> st.SearchStrategy[str]:
    return st.one_of(_valid(c), st.sampled_from(TRICKY), st.text(max_size=12))


@st.composite
def csv_table(draw):
    table = draw(st.sampled_from(list(TABLES.values())))
    columns = [c for c in table.columns if c.required or draw(st.booleans())]
    rows = draw(st.lists(st.tuples(*[_cell(c) for c in columns]), max_size=6))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    # a cell holding a bare CR must be quoted, or it is a line break: quote minimally with CRLF, or everything
    style = draw(st.sampled_from([("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL)]))
    return table, [c.name for c in columns], rows, encoding, style


def _write(table: Table, header: list[str], rows: list[tuple], encoding: str, style, folder: Path) -> Path:
    for name, text in MINIMAL.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=style[0], quoting=style[1])
    w.writerow(header)
    w.writerows(rows)
    path = folder / f"{table.name}.csv"
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


_CRLF = ("\r\n", csv.QUOTE_MINIMAL)


@examples(40)
@given(csv_table())
# shapes that once crashed the loader, pinned: zoned and plain timestamps together, a far-future date, an
# infinite whole number, a trailing comma on every line (pandas took the first column for an index)
@example(
    (
        TABLES["complaints"],
        ["complaint_id", "received_at", "channel", "severity", "responded_at"],
        [
            ("C1", "2025-01-02 10:00", "phone", "general", "2025-01-02 11:00+08:00"),
            ("C2", "2025-01-02 10:00", "phone", "general", "2025-01-02 12:00"),
        ],
        "utf-8",
        _CRLF,
    )
)
@example(
    (TABLES["staff"], ["staff_id", "name", "hire_date"], [("001", "张三", "9999-12-31")], "gb18030", _CRLF)
)
@example(
    (
        TABLES["reconciliations"],
        ["recon_date", "branch_id", "differences"],
        [("2025-01-02", "B1", "inf")],
        "utf-8-sig",
        _CRLF,
    )
)
@example((TABLES["staff"], ["staff_id", "name"], [("001", "张三", ""), ("002", "李四", "")], "utf-8", _CRLF))
def test_loader_never_crashes_and_accounts_for_every_row(spec):
    table, header, rows, encoding, style = spec
    with tempfile.TemporaryDirectory() as tmp:
        _write(table, header, rows, encoding, style, Path(tmp))
        try:
            b = load_bundle(tmp, as_of="2026-01-31")
        except DataContractError as e:  # allowed only for what the file really is: say which
            assert all(p.startswith(f"{table.name}.csv (table {table.name}): ") for p in e.problems), (
                e.problems
            )
            return
    info = b.files[table.name]
    # records of empty cells only are no rows; every other record is loaded or quarantined
    real = [i + 2 for i, r in enumerate(rows) if any(cell != "" for cell in r)]
    assert info.rows_read == len(real)
    assert info.rows_loaded + info.rows_quarantined == info.rows_read
    loaded = set(b.tables[table.name][ROW])
    quarantined = set(b.quarantined.loc[b.quarantined["table"] == table.name, "row"])
    assert loaded.isdisjoint(quarantined) and loaded | quarantined == set(real)
    assert set(b.quality.loc[b.quality["table"] == table.name, "row"]) <= set(real)
    assert b.quality["reason"].str.len().max() < 400 if len(b.quality) else True


# ---------------------------------------------------------------- the engine

STAFF = ["001", "002", "003"]
CUSTOMERS = ["0001", "0002", "0003"]
PRODUCTS = ["000001", "000002"]
BRANCHES = ["B01", "B02"]
BASE = dt.date(2025, 1, 1)
DAYS = st.one_of(
    st.sampled_from(
        [
            dt.date(2024, 12, 31),
            BASE,
            dt.date(2025, 2, 28),
            dt.date(2025, 10, 8),
            dt.date(2025, 12, 31),
            dt.date(2026, 1, 31),
            dt.date(2026, 2, 1),
        ]
    ),
    st.dates(dt.date(2015, 1, 1), dt.date(2027, 12, 31)),
)
TIMES = st.sampled_from(
    ["00:00:00", "08:59:59", "09:00:00", "12:30:00", "14:59:59", "15:00:00", "17:00:01", "23:59:59"]
)
REFS = {"staff": STAFF, "customers": CUSTOMERS, "products": PRODUCTS, "transactions": ["T0", "T1", "T2"]}
SPECIAL = {
    "business_code": ["020", "022", "024", "036", "039", "098"],
    "risk_tolerance": ["C1", "C3", "C5", "积极型"],
    "risk_level": ["R1", "R3", "R5", "高风险"],
    "ref_id": ["T0", "E0", "A1", "T1"],
    "branch_id": BRANCHES,
    "subject_id": CUSTOMERS + ["T0", "T1", "C0", "Z9"],
    "id_type": ["ID_CARD", "PASSPORT"],
    "investor_type": ["individual", "institution"],
    "new_account_holder": ["李四", "王五", "someone"],
    "to_account_holder": ["李四", "王五", "ACME"],
    "new_bank_account": ["6222000011112222", "6222000033334444"],
    "to_account": ["6222000011112222", "6222000055556666"],
    "recording_ref": ["R1", None],
    "hours": ["0", "1.5", "40"],
    "amount": ["0", "100", "50000.5", "-1", "10000000"],
    "shares": ["0", "10.5"],
    "differences": ["0", "2"],
    "category": ["suitability", "other", None],
    "course": ["合规培训", None],
}


def _value(c: Column, table: str) -> st.SearchStrategy:
    if c.name in SPECIAL:
        s = st.sampled_from(SPECIAL[c.name])
    elif c.references:
        ref = c.references.split(".")[0]
        s = st.sampled_from(REFS.get(ref, ["X0"]) + ["999"])
    elif c.choices:
        s = st.sampled_from(c.choices)
    elif c.type == "date":
        s = DAYS.map(str)
    elif c.type == "ts":
        s = st.builds(lambda d, t: f"{d} {t}", DAYS, TIMES)
    elif c.type == "bool":
        s = st.sampled_from(["true", "false"])
    elif c.type in ("dec", "int"):
        s = st.sampled_from(["0", "1", "3"])
    else:
        s = st.sampled_from(["A", "B", "张三"])
    return s if c.required else st.one_of(st.none(), s)


def _key_values(t: Table) -> st.SearchStrategy | None:
    """Primary keys drawn from the pools the references use, so rows meet across tables."""
    key = t.primary_key[0] if len(t.primary_key) == 1 else None
    pools = {
        "staff_id": STAFF,
        "customer_id": CUSTOMERS,
        "product_code": PRODUCTS,
        "txn_id": ["T0", "T1", "T2"],
    }
    return st.sampled_from(pools[key]) if key in pools else None


@st.composite
def bundles(draw):
    rows: dict[str, list[dict]] = {}
    absent = []
    for t in TABLES.values():
        if not t.required and draw(st.integers(0, 3)) == 0:
            absent.append(t.name)
            continue
        n = draw(st.integers(0, 5 if t.name not in ("operations", "transactions") else 8))
        key_values = _key_values(t)
        recs = []
        for i in range(n):
            r = {c.name: draw(_value(c, t.name)) for c in t.columns}
            if t.primary_key and len(t.primary_key) == 1:
                r[t.primary_key[0]] = (
                    draw(key_values) if key_values is not None else f"{t.name[:2].upper()}{i}"
                )
            recs.append(r)
        rows[t.name] = recs
    period_end = draw(st.sampled_from(["2025-12-31", "2025-06-30"]))
    as_of = draw(st.sampled_from(["2026-01-31", period_end]))
    language = draw(st.sampled_from(["zh", "en"]))
    return rows, absent, period_end, as_of, language


def typed_bundle(rows: dict[str, list[dict]], absent: list[str]) -> Bundle:
    """What the loader would hand the engine: typed tables, bad and duplicate rows quarantined, warnings
    kept."""
    tables, issues = {}, []
    for name, t in TABLES.items():
        if name in absent:
            continue
        raw = pd.DataFrame(rows.get(name, []), columns=[c.name for c in t.columns], dtype="string")
        raw.index = pd.RangeIndex(len(raw))
        typed, found = type_table(t, raw)
        tables[name] = typed
        issues += found + table_warnings(t, typed)
    quality = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame()
    return Bundle(Path("."), tables, quality, {}, list(absent))


EVIDENCE = re.compile(r"\b([a-z_]+) row (\d+)\b")
#: inputs on which rules once crashed, found by the property test below (a header-only table making a
#: lookup lose its dtype, a refund whose transaction is absent, a resolution in a year the calendar does not
#: know): each must now run as a rule, not end as the rule's error
_CUSTOMER = {"customer_id": "0001", "name": "李四", "open_date": "2020-01-01"}
_PRODUCT = {"product_code": "000001", "name": "债券A", "risk_level": "R2", "rated_at": "2025-01-01"}
_PURCHASE = {
    "txn_id": "T1",
    "customer_id": "0001",
    "product_code": "000001",
    "business_code": "022",
    "applied_at": "2025-03-03 10:00",
    "trade_date": "2025-03-03",
    "amount": "100",
    "status": "confirmed",
}
_NO_ASSESSMENT = {"tables": {"customers": [_CUSTOMER], "products": [_PRODUCT], "transactions": [_PURCHASE]}}
_TRANSFER = {"transfer_id": "F1", "business_date": "2025-03-03", "due_at": "2025-03-04 17:00", "amount": "1"}
REGRESSIONS: list[tuple[str, dict, str]] = [
    ("SOD-007", {"tables": {}}, "staff.csv header only"),
    ("RET-001", {"tables": {}}, "customers.csv header only"),
    ("RET-002", {"tables": {}}, "transactions.csv header only"),
    (
        "ABN-004",
        {"tables": {"fund_transfers": [{**_TRANSFER, "transfer_type": "dividend"}]}},
        "customers.csv header only and a dividend in the period",
    ),
    (
        "ABN-004",
        {
            "tables": {
                "customers": [_CUSTOMER],
                "fund_transfers": [{**_TRANSFER, "transfer_type": "refund", "txn_id": "T9"}],
            }
        },
        "a refund without customer_id whose txn_id is not in transactions",
    ),
    (
        "CMP-008",
        {
            "tables": {
                "complaints": [
                    {
                        "complaint_id": "C1",
                        "received_at": "2025-03-03 10:00",
                        "channel": "phone",
                        "severity": "general",
                        "resolved_at": "2027-05-01 10:00",
                    }
                ]
            }
        },
        "a resolution dated after as_of in a year the calendar does not know",
    ),
    *[
        (code, _NO_ASSESSMENT, "risk_assessments.csv header only and a purchase in the period")
        for code in ("SUIT-001", "SUIT-002", "SUIT-003")
    ],
]


@examples(20)
@given(bundles())
def test_engine_never_raises_and_findings_point_at_real_rows(spec):
    rows, absent, period_end, as_of, language = spec
    params = parse_params(
        {
            "institution_id": "prop",
            "institution_name": "性质测试",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": period_end,
            "as_of": as_of,
            "language": language,
        }
    )
    bundle = typed_bundle(rows, absent)
    result = run_audit(params, bundle)
    s = result.summary.set_index("rule_code")
    errors = s[s["status"] == "error"]
    assert errors.empty, errors["error"].to_dict()
    f = result.findings
    assert f["finding_id"].is_unique and f["entity_id"].notna().all()
    assert set(f["severity"]) <= {"high", "medium", "low"} and set(f["status"]) <= {"open", "mitigated"}
    for code, ev in zip(f["rule_code"], f["evidence"].fillna(""), strict=True):
        for table, row in EVIDENCE.findall(str(ev)):
            assert table in bundle.tables, (code, ev)
            assert int(row) in set(bundle.tables[table][ROW]), (code, ev, sorted(bundle.tables[table][ROW]))
    counts = f.groupby("rule_code").size()
    for code, n in counts.items():
        assert s.loc[code, "exceptions"] == n
        assert s.loc[code, "population"] >= 0


# ---------------------------------------------------------------- the crashes found, as plain repros


@pytest.mark.parametrize(("code", "case", "what"), REGRESSIONS, ids=[f"{c}: {w}" for c, _, w in REGRESSIONS])
def test_rule_runs_on_input_that_once_crashed_it(code, case, what):
    row, _ = run_case(code, case)
    assert row["status"] != "error", row["error"]


def test_purchase_codes_are_in_the_generator():
    assert set(PURCHASE_CODES) <= set(SPECIAL["business_code"])
