"""Writing a demo institution's tables (CSV in its encoding, or Parquet) and its answer key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..schema import TABLES
from .base import Demo

#: how the demo writes a column where the contract's type alone does not say (risk levels as the
#: institution's labels, fee rates as rates)
WRITE_AS = {
    "risk_assessments.risk_tolerance": "level_c",
    "products.risk_level": "level_r",
    "products.max_fee_rate": "rate",
    "product_ratings.risk_level": "level_r",
}
#: every table's columns in contract order (schema.TABLES, the one source) and the format they are written in
SCHEMA: dict[str, list[tuple[str, str]]] = {
    t: [(c.name, WRITE_AS.get(f"{t}.{c.name}", c.type)) for c in table.columns] for t, table in TABLES.items()
}
#: required columns (data-contract.md, marked *)
REQUIRED: dict[str, tuple[str, ...]] = {t: tuple(table.required_columns) for t, table in TABLES.items()}
REQUIRED_TABLES = (
    "staff",
    "staff_roles",
    "customers",
    "risk_assessments",
    "products",
    "transactions",
    "complaints",
)

CHUNK = 500_000  # rows formatted and written at a time (bad rows are always in the first chunk)
INVESTOR_3 = {1: "保守型", 3: "稳健型", 5: "积极型"}
PRODUCT_3 = {1: "低风险", 3: "中风险", 5: "高风险"}
BOOL_STYLES = {"tf": ("true", "false"), "yn": ("Y", "N"), "shifou": ("是", "否"), "10": ("1", "0")}


def _time_bytes(values, minutes: bool, date: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """datetime64 -> (fixed-width ASCII rows 'YYYY-MM-DD[ HH:MM[:SS]]' as uint8, NaT mask, width).

    Cutting the ISO strings as bytes keeps both writers vectorized; NaT rows hold a placeholder."""
    arr = np.asarray(values, dtype="datetime64[s]")
    nat = np.isnat(arr)
    width = 10 if date else (16 if minutes else 19)
    s = np.datetime_as_string(np.where(nat, np.datetime64("2000-01-01T00:00:00"), arr), unit="s")
    b = np.ascontiguousarray(s.astype("S19")).view(np.uint8).reshape(-1, 19)[:, :width].copy()
    if not date:
        b[:, 10] = ord(" ")
    return b, nat, width


def _fmt_time(values, minutes: bool, date: bool) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DD[ HH:MM[:SS]]' strings (None for NaT), vectorized."""
    b, nat, width = _time_bytes(values, minutes, date)
    out = b.view(f"S{width}").ravel().astype(f"U{width}").astype(object)
    out[nat] = None
    return out


def _time_arrow(values, minutes: bool, date: bool) -> pa.Array:
    """Like _fmt_time, as an Arrow string array built from buffers (no Python objects)."""
    b, nat, width = _time_bytes(values, minutes, date)
    n = len(nat)
    out = pa.StringArray.from_buffers(
        n, pa.py_buffer((np.arange(n + 1, dtype=np.int32) * width).tobytes()), pa.py_buffer(b.tobytes())
    )
    return pc.if_else(pa.array(nat), pa.scalar(None, pa.string()), out) if nat.any() else out


def _labels(codes, labels) -> pa.Array:
    codes = np.asarray(codes, dtype=np.int32)
    idx = pa.array(codes, mask=codes < 0, type=pa.int32())
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(labels), type=pa.string())).dictionary_decode()


def _str_arrow(v: pd.Series) -> pa.Array:
    if isinstance(v.dtype, pd.CategoricalDtype):
        arr = pa.array(v).dictionary_decode()
    elif str(v.dtype) == "str":
        arr = pa.array(v)
    else:
        arr = pa.array(v.astype(object).where(v.notna(), None).to_numpy(dtype=object), type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def columns(d: Demo, table: str) -> list[tuple[str, str]]:
    """The table's columns as handed over by this institution (a v1 bundle leaves out the v2 columns)."""
    return [(c, k) for c, k in SCHEMA[table] if d.p.has_column(f"{table}.{c}")]


def _rates(x: np.ndarray) -> list:
    """Fee rates as short exact decimals (0.015, not 0.01 nor 0.015000000000000001)."""
    return [None if np.isnan(v) else repr(float(v)) for v in x]


def arrow_cells(d: Demo, table: str, df: pd.DataFrame) -> list[pa.Array]:
    """The CSV cells of a slice, column by column, as Arrow strings (null = empty cell)."""
    out = []
    minutes = table in d.p.ts_minutes
    for col, kind in columns(d, table):
        v = df[col]
        if kind == "str":
            out.append(_str_arrow(v))
        elif kind in ("ts", "date"):
            out.append(_time_arrow(v.to_numpy(dtype="datetime64[s]"), minutes, kind == "date"))
        elif kind == "bool":
            b = pd.array(v, dtype="boolean")
            codes = np.where(b.isna(), -1, b.fillna(False).to_numpy(dtype=bool).astype(np.int32))
            yes, no = BOOL_STYLES[d.p.bool_style.get(f"{table}.{col}", "tf")]
            out.append(_labels(codes, [no, yes]))
        elif kind == "dec":
            x = v.to_numpy(dtype="float64")
            nan = np.isnan(x)
            cents = np.round(np.nan_to_num(x) * 100).astype(np.int64)
            neg = cents < 0
            cents = np.abs(cents)
            whole = pa.array(cents // 100).cast(pa.string())
            frac = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0")
            num = pc.binary_join_element_wise(whole, frac, ".")
            if neg.any():
                num = pc.if_else(pa.array(neg), pc.binary_join_element_wise("-", num, ""), num)
            out.append(pc.if_else(pa.array(nan), pa.scalar(None, pa.string()), num) if nan.any() else num)
        elif kind == "int":
            out.append(pa.array(pd.array(v, dtype="Int64")).cast(pa.string()))
        elif kind == "rate":
            out.append(pa.array(_rates(v.to_numpy(dtype="float64")), type=pa.string()))
        else:  # level_c / level_r
            lv = v.to_numpy(dtype="int64")
            if d.p.three_level:
                m = INVESTOR_3 if kind == "level_c" else PRODUCT_3
                out.append(_labels(np.searchsorted(sorted(m), lv), [m[k] for k in sorted(m)]))
            else:
                out.append(
                    _labels(lv - 1, [("C" if kind == "level_c" else "R") + str(i) for i in range(1, 6)])
                )
    return out


NEEDS_QUOTES = r'[",\n\r]'


def csv_bytes(cells: list[pa.Array]) -> bytes:
    """RFC 4180 lines (quoted only when needed, like the csv module), joined without Python row objects."""
    cols = []
    for a in cells:
        need = pc.match_substring_regex(a, NEEDS_QUOTES)
        if pc.any(need).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(a, '"', '""'), '"', "")
            a = pc.if_else(need, quoted, a)
        cols.append(a)
    lines = pc.binary_join_element_wise(*cols, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "", "\n")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    n = len(lines)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=n + 1, offset=4 * lines.offset)
    return lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def format_table(d: Demo, table: str, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table (or a slice of it) as written to CSV: every cell a string or None."""
    df = d.t[table] if df is None else df
    out = {}
    minutes = table in d.p.ts_minutes
    for col, kind in columns(d, table):
        v = df[col]
        if kind == "str":
            out[col] = v.astype(object).where(v.notna(), None).to_numpy(dtype=object)
        elif kind in ("ts", "date"):
            out[col] = _fmt_time(v.to_numpy(dtype="datetime64[s]"), minutes, kind == "date")
        elif kind == "bool":
            yes, no = BOOL_STYLES[d.p.bool_style.get(f"{table}.{col}", "tf")]
            b = pd.array(v, dtype="boolean")
            out[col] = np.where(b.isna(), None, np.where(b.fillna(False), yes, no)).astype(object)
        elif kind == "dec":
            x = v.to_numpy(dtype="float64")
            s = (
                pd.Series(np.round(x, 2)).map("{:.2f}".format).to_numpy(dtype=object)
                if len(x) < 50_000
                else _fmt_dec(x)
            )
            s[np.isnan(x)] = None
            out[col] = s
        elif kind == "int":
            x = pd.array(v, dtype="Int64")
            out[col] = np.where(x.isna(), None, x.astype(str)).astype(object)
        elif kind == "rate":
            out[col] = np.array(_rates(v.to_numpy(dtype="float64")), dtype=object)
        elif kind in ("level_c", "level_r"):
            lv = pd.Series(v.to_numpy(dtype="int64"))
            if d.p.three_level:
                out[col] = lv.map(INVESTOR_3 if kind == "level_c" else PRODUCT_3).to_numpy(dtype=object)
            else:
                out[col] = (("C" if kind == "level_c" else "R") + lv.astype(str)).to_numpy(dtype=object)
    return pd.DataFrame(out)


def _fmt_dec(x: np.ndarray) -> np.ndarray:
    """Two-decimal strings for large arrays, vectorized on integers (cents)."""
    cents = np.round(np.nan_to_num(x) * 100).astype(np.int64)
    neg = cents < 0
    cents = np.abs(cents)
    whole = pd.Series(cents // 100).astype(str)
    frac = pd.Series(cents % 100).astype(str).str.zfill(2)
    s = (whole + "." + frac).to_numpy(dtype=object)
    s[neg] = np.char.add("-", s[neg].astype(str)).astype(object)
    return s


def insert_bad_rows(d: Demo, table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Insert this table's deliberately bad rows; record their spreadsheet row numbers (header = row 1)."""
    bad = [b for b in d.bad_rows if b["table"] == table]
    if not bad:
        return df
    df = df.copy()
    df["_bad"] = -1
    for i, b in enumerate(bad):
        values = b["row"](df) if callable(b["row"]) else b["row"]
        row = dict.fromkeys(df.columns, None) | values | {"_bad": i}
        pos = min(b["after"](df), len(df) - 1) + 1  # the bad row goes after this index position
        df = pd.concat([df.iloc[:pos], pd.DataFrame([row]), df.iloc[pos:]], ignore_index=True)
    for i, b in enumerate(bad):
        idx = int(np.flatnonzero(df["_bad"].to_numpy() == i)[0])
        d.quarantine.append((table, idx + 2, b["column"]))
    return df.drop(columns="_bad")


def to_arrow(d: Demo, table: str) -> pa.Table:
    df = d.t[table]
    cols, fields = [], []
    for col, kind in columns(d, table):
        v = df[col]
        if kind == "str":
            if isinstance(v.dtype, pd.CategoricalDtype):
                arr = pa.array(v).dictionary_decode().cast(pa.string())
            elif str(v.dtype) == "str":
                arr = pa.array(v).cast(pa.string())
            else:
                arr = pa.array(
                    v.astype(object).where(v.notna(), None).to_numpy(dtype=object), type=pa.string()
                )
        elif kind == "ts":
            arr = pa.array(v.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"), from_pandas=True)
        elif kind == "date":
            arr = pa.array(
                v.to_numpy(dtype="datetime64[s]").astype("datetime64[D]"), type=pa.date32(), from_pandas=True
            )
        elif kind == "bool":
            arr = pa.array(pd.array(v, dtype="boolean"), type=pa.bool_())
        elif kind == "dec":
            arr = pa.array(np.round(v.to_numpy(dtype="float64"), 2), type=pa.float64(), from_pandas=True)
        elif kind == "rate":
            arr = pa.array(v.to_numpy(dtype="float64"), type=pa.float64(), from_pandas=True)
        elif kind == "int":
            arr = pa.array(pd.array(v, dtype="Int64"), type=pa.int64())
        else:
            arr = pa.array(format_table(d, table)[col].to_numpy(dtype=object), type=pa.string())
        cols.append(arr)
        fields.append(pa.field(col, arr.type))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def write_csv(d: Demo, table: str, path: Path, encoding: str) -> None:
    """The table as CSV, CHUNK rows at a time; the first chunk goes through pandas to take the bad rows."""
    full = d.t[table]
    names = [c for c, _ in columns(d, table)]
    with open(path, "wb") as fh:
        if encoding == "utf-8-sig":
            fh.write(b"\xef\xbb\xbf")
        fh.write(_encode(",".join(names) + "\n", encoding))
        for start in range(0, len(full), CHUNK):
            part = full.iloc[start : start + CHUNK]
            if start == 0 and any(b["table"] == table for b in d.bad_rows):
                df = insert_bad_rows(d, table, format_table(d, table, part))
                cells = [
                    pa.array(df[c].to_numpy(dtype=object), type=pa.string(), from_pandas=True) for c in names
                ]
            else:
                cells = arrow_cells(d, table, part)
            fh.write(_encode(csv_bytes(cells), encoding))


def _encode(data: bytes | str, encoding: str) -> bytes:
    if encoding in ("utf-8", "utf-8-sig"):
        return data.encode("utf-8") if isinstance(data, str) else data
    return (data if isinstance(data, str) else data.decode("utf-8")).encode(encoding)


def write_institution(d: Demo, out: Path) -> Path:
    folder = Path(out) / d.p.institution_id
    folder.mkdir(parents=True, exist_ok=True)
    for old in list(folder.glob("*.csv")) + list(folder.glob("*.parquet")):
        old.unlink()
    d.quarantine = []
    for table in d.p.tables():
        if table in d.p.parquet:
            pq.write_table(to_arrow(d, table), folder / f"{table}.parquet", compression="zstd")
            continue
        write_csv(d, table, folder / f"{table}.csv", d.p.encodings.get(table, d.p.encoding))
    exp = pd.DataFrame(
        [(p.rule, p.entity, p.status) for p in d.plants if p.kind == "hit"],
        columns=["rule_code", "entity_id", "status"],
    )
    exp = exp[exp["rule_code"].map(lambda c: d.rule_tested(c))]
    exp = exp.drop_duplicates().sort_values(["rule_code", "entity_id"], ignore_index=True)
    exp.to_csv(folder / "_expected_findings.csv", index=False, encoding="utf-8", lineterminator="\n")
    q = pd.DataFrame(sorted(d.quarantine), columns=["table", "row", "column"])
    q.to_csv(folder / "_expected_quarantine.csv", index=False, encoding="utf-8", lineterminator="\n")
    return folder
