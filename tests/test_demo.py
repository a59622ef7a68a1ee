"""The demo data generator and its answer key (the rules are not under test: only their declarations are read,
to know which rules an institution's data lets the kit test)."""

from __future__ import annotations

import csv
import filecmp
import io
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from auditlib.demo import INSTITUTIONS, build, write_demo
from auditlib.demo.check import compare
from auditlib.demo.writer import REQUIRED, REQUIRED_TABLES, SCHEMA
from auditlib.params import load_params
from auditlib.rules import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"demo-b": None, "demo-a": 2000}
# demo-b hands over a v1 bundle without backups, training and reconciliations, and names no sales special
# account (rules.md: these rules are not tested there)
DEMO_B_NOT_TESTED = {
    "RET-004",
    "RET-005",
    "RET-006",
    "STAFF-002",
    "STAFF-003",
    "REC-001",
    "SUIT-006",
    "INFO-002",
    "FEE-001",
    "ABN-009",
}
# demo-b plants the near-misses of these rules but none of their violations: tested, no exception
DEMO_B_NO_HITS = {"CMP-008", "CMP-012"}
V2_DATA = {"product_ratings", "data_changes", "transactions.fee", "products.max_fee_rate"}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("demo")
    for name, n in SMALL.items():
        write_demo(base, names=[name], transactions=n)
    return base


def _text(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"{path}: neither UTF-8 nor GB18030")


def _read(folder: Path, table: str) -> pd.DataFrame:
    if (folder / f"{table}.parquet").exists():
        return pq.read_table(folder / f"{table}.parquet").to_pandas()
    return pd.read_csv(io.StringIO(_text(folder / f"{table}.csv")), dtype=str, keep_default_na=False)


def test_deterministic(out, tmp_path):
    for name, n in SMALL.items():
        again = write_demo(tmp_path, names=[name], transactions=n)[0]
        files = sorted(p.name for p in (out / name).iterdir())
        assert files == sorted(p.name for p in again.iterdir())
        match, mismatch, errors = filecmp.cmpfiles(out / name, again, files, shallow=False)
        assert not mismatch and not errors, (name, mismatch, errors)


def test_seed_changes_data(tmp_path):
    a = write_demo(tmp_path / "a", names=["demo-b"], transactions=500)[0]
    b = write_demo(tmp_path / "b", names=["demo-b"], transactions=500, seed=7)[0]
    assert (a / "customers.csv").read_bytes() != (b / "customers.csv").read_bytes()


@pytest.mark.parametrize("name", list(SMALL))
def test_files_and_required_columns(out, name):
    folder = out / name
    prof = INSTITUTIONS[name]
    assert (folder / "_expected_findings.csv").exists() and (folder / "_expected_quarantine.csv").exists()
    for table in SCHEMA:
        present = (folder / f"{table}.csv").exists() or (folder / f"{table}.parquet").exists()
        assert present == (table not in prof.absent), table
        if table in REQUIRED_TABLES:
            assert present
        if not present:
            continue
        df = _read(folder, table)
        assert [c for c, _ in SCHEMA[table] if prof.has_column(f"{table}.{c}")] == list(df.columns)
        assert set(REQUIRED[table]) <= set(df.columns)


def test_v2_data_in_demo_a_and_none_in_demo_b(out):
    """At least one institution hands over every v2 table and column, and one none of them."""

    def provided(folder):
        got = set()
        for item in V2_DATA:
            table, _, col = item.partition(".")
            if not ((folder / f"{table}.csv").exists() or (folder / f"{table}.parquet").exists()):
                continue
            if not col or col in _read(folder, table).columns:
                got.add(item)
        return got

    assert provided(out / "demo-a") == V2_DATA
    assert provided(out / "demo-b") == set()


def test_background_identity_numbers_are_valid_and_unique(out):
    """ACC-002/003 find only the plants: every bulk customer's number is valid and no bulk number repeats."""
    from auditlib.demo.check import valid_id

    c = _read(out / "demo-a", "customers").drop_duplicates("customer_id")  # one row is a planted duplicate
    bulk = c[(c["customer_id"] < "0009000000") & (c["id_type"] == "ID_CARD")]
    assert len(bulk) > 150
    assert all(
        valid_id(n, pd.Timestamp(o)) for n, o in zip(bulk["id_number"], bulk["open_date"], strict=True)
    )
    assert not bulk["id_number"].duplicated().any()


def test_encodings(out):
    b = out / "demo-b"
    assert (b / "products.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    raw = (b / "customers.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    raw.decode("gb18030")
    assert not (out / "demo-a" / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    (out / "demo-a" / "customers.csv").read_bytes().decode("utf-8")


@pytest.mark.parametrize("name", list(SMALL))
def test_identifiers_keep_leading_zeros(out, name):
    folder = out / name
    products = _read(folder, "products")
    assert products["product_code"].str.fullmatch(r"\d{6}").all()
    assert products["product_code"].str.startswith("0").any()
    customers = _read(folder, "customers")
    assert customers["customer_id"].str.fullmatch(r"0\d{9}").all()
    staff = _read(folder, "staff")
    assert staff["staff_id"].str.fullmatch(r"0\d{3}").all()
    tx = _read(folder, "transactions")
    assert set(tx["business_code"].dropna()) <= {"020", "022", "024", "036", "039"}


@pytest.mark.parametrize("name", list(SMALL))
def test_answer_key_covers_every_family(out, name):
    exp = pd.read_csv(out / name / "_expected_findings.csv", dtype=str)
    assert list(exp.columns) == ["rule_code", "entity_id", "status"]
    assert set(exp["status"]) <= {"open", "mitigated"}
    assert not exp.duplicated(["rule_code", "entity_id"]).any()
    codes = set(exp["rule_code"])
    if name == "demo-b":
        assert codes == set(REGISTRY) - DEMO_B_NOT_TESTED - DEMO_B_NO_HITS
    else:
        assert codes == set(REGISTRY) - set(INSTITUTIONS[name].excluded)


def test_rules_without_violations_keep_their_near_misses():
    d = build(INSTITUTIONS["demo-b"], transactions=SMALL["demo-b"])
    assert set(d.p.no_hits) == DEMO_B_NO_HITS
    for code in DEMO_B_NO_HITS:
        kinds = {p.kind for p in d.plants if p.rule == code}
        assert kinds == {"near"} and d.rule_tested(code), code
    with pytest.raises(ValueError, match="CMP-008"):
        d.hit("CMP-008", "x", "a violation the profile says is not planted")


def test_a_rule_left_out_of_the_params_is_not_in_the_answer_key():
    d = build(INSTITUTIONS["demo-c"], transactions=1000)
    assert d.p.excluded == ("STAFF-003",) and not d.rule_tested("STAFF-003")
    assert any(p.rule == "STAFF-003" and p.kind == "hit" for p in d.plants)  # the data still has them
    assert compare(d) == []


@pytest.mark.parametrize("name", list(SMALL))
def test_independent_check_agrees(name):
    d = build(INSTITUTIONS[name], transactions=SMALL[name])
    assert compare(d) == []


def test_mitigation_matches_answer_key(out):
    """demo-a's params list four mitigations: two cover their finding to its last day (mitigated), one ended
    before the conflict did (the finding stays open), one matches no finding at all."""
    params = yaml.safe_load((ROOT / "params" / "demo-a.yaml").read_text(encoding="utf-8"))
    exp = pd.read_csv(out / "demo-a" / "_expected_findings.csv", dtype=str)
    status = {(r, e): s for r, e, s in zip(exp["rule_code"], exp["entity_id"], exp["status"], strict=True)}
    got = [status.get((m["rule"], m["staff_id"]), "none") for m in params["mitigations"]]
    assert got == ["mitigated", "open", "mitigated", "none"]
    assert set(exp.loc[exp["status"] == "mitigated", "rule_code"]) == {"SOD-001", "SOD-009"}


def test_docs_table_is_current():
    from auditlib.demo.doc import render

    assert (ROOT / "docs" / "demo-data.md").read_text(encoding="utf-8") == render(), (
        "regenerate: python -m auditlib.demo.doc > docs/demo-data.md"
    )


@pytest.mark.parametrize("name", list(INSTITUTIONS))
def test_params_files(name):
    p = yaml.safe_load((ROOT / "params" / f"{name}.yaml").read_text(encoding="utf-8"))
    assert p["institution_id"] == name
    assert p["data_dir"] == f"../data/{name}"
    assert str(p["period_start"]) == "2025-01-01" and str(p["period_end"]) == "2025-12-31"
    assert str(p["as_of"]) == "2026-01-31"
    assert p["institution_name"] == INSTITUTIONS[name].name
    # the rules the params leave out are those the answer key leaves out
    selected = load_params(ROOT / "params" / f"{name}.yaml").selected()
    assert set(REGISTRY) - set(selected) == set(INSTITUTIONS[name].excluded)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::Warning")
def test_trading_days_match_the_exchange():
    import exchange_calendars as xc
    import numpy as np

    from auditlib.demo import cal

    sessions = xc.get_calendar("XSHG", start="2025-01-01", end="2026-06-30").sessions
    mine = cal.trading_days()
    mine = mine[(mine >= np.datetime64("2025-01-01")) & (mine <= np.datetime64("2026-06-30"))]
    assert list(mine.astype(str)) == [f"{s:%Y-%m-%d}" for s in sessions]


def test_quarantine_rows_point_at_bad_cells(out):
    for name in SMALL:
        folder = out / name
        q = pd.read_csv(folder / "_expected_quarantine.csv", dtype={"row": int})
        for table, rows in q.groupby("table"):
            lines = list(csv.reader(io.StringIO(_text(folder / f"{table}.csv"))))
            header = lines[0]
            ids = [line[0] for line in lines]
            for _, r in rows.iterrows():
                assert r["column"] in header
                assert 2 <= r["row"] <= len(lines)
                cell = lines[r["row"] - 1][header.index(r["column"])]
                if r["column"] == header[0]:  # a duplicate primary key: the first occurrence is earlier
                    assert cell in ids[1 : r["row"] - 1]
                else:  # empty or unparsable
                    assert (
                        cell == ""
                        or not cell[:4].isdigit()
                        or cell in ("2025-02-30 10:15:00", "2025-04-31 09:00:00")
                        or "O" in cell
                    )
