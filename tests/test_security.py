"""Security: ids and paths stay in the output folder, params are data in the kernel, institutions never mix,
and `auditlib verify` catches altered, deleted and redirected files."""

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from helpers import SOD_DATA, bundle_dir, xlsx_table
from papermill.translators import translate_parameters

from auditlib.params import AuditParams, ParamsError, parse_params
from auditlib.runner import audit_dir

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "institution_audit.ipynb"
BIN = Path(sys.executable).parent
GOOD = {
    "institution_id": "inst-a",
    "institution_name": "x",
    "data_dir": "data",
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
    "as_of": "2026-01-31",
}


def run_cli(*args, cwd=None):
    p = subprocess.run(
        [sys.executable, "-m", "auditlib.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )
    return p.returncode, p.stdout, p.stderr


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------- ids and paths cannot leave the output folder


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "..",
        ".",
        "a/b",
        "a\\b",
        "/etc",
        "~root",
        ".hidden",
        "-rf",
        "_x",
        "Demo-A",
        "a b",
        "a.b",
        "a:b",
        "demo\n",
        "demo\nb",
        "a\x00b",
        "ａｂｃ",
        "é",
        "",
        "x" * 65,
        "a" + "\u202e" + "b",
    ],
)
def test_institution_ids_that_could_become_paths_are_refused(bad):
    with pytest.raises(ParamsError, match="institution_id"):
        parse_params({**GOOD, "institution_id": bad})


@pytest.mark.parametrize("good", ["a", "demo-a", "0024", "inst_2025", "x" * 64])
def test_plain_institution_ids_are_accepted(good):
    assert parse_params({**GOOD, "institution_id": good}).institution_id == good


@pytest.mark.parametrize("sneaky", ["../../etc", "/tmp/elsewhere", "a/../../b", ".."])
def test_audit_dir_refuses_to_leave_the_output_root_even_unvalidated(tmp_path, sneaky):
    params = AuditParams.model_construct(
        **{**GOOD, "institution_id": sneaky, "period_end": dt.date(2025, 12, 31)}
    )
    with pytest.raises(ValueError, match="escapes"):
        audit_dir(tmp_path / "out", params)


def test_audit_dir_refuses_a_symlink_out_of_the_output_root(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "inst-a").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ValueError, match="escapes"):
        audit_dir(tmp_path / "out", parse_params(GOOD))
    assert (
        audit_dir(tmp_path / "out", parse_params({**GOOD, "institution_id": "inst-b"}))
        == (tmp_path / "out" / "inst-b" / "2025-12-31").resolve()
    )


# ---------------------------------------------------------------- params are data in the kernel

PAYLOADS = [
    'x"; open(r"{m}", "w").close(); "',
    'x\\"; open(r"{m}", "w").close(); #',
    'x\nopen(r"{m}", "w").close()',
    'x\r\nopen(r"{m}", "w").close()\r\n#',
    '"""\nopen(r"{m}", "w").close()\n"""',
    "'''\nopen(r\"{m}\", \"w\").close()\n'''",
    '{{open(r"{m}", "w").close()}}',
    "x\\",
    'x\u2028open(r"{m}", "w").close()',
    '__import__("os").system("touch {m}")',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_papermill_writes_every_string_value_as_a_literal(payload):
    """What papermill puts in the injected cell evaluates back to the very string, for every payload."""
    value = payload.format(m="MARKER")
    code = translate_parameters("python3", "python", {"institution_name": value}, "Parameters")
    scope: dict = {}
    exec(compile(code, "<injected>", "exec"), {"__builtins__": {}}, scope)  # noqa: S102 - builtins removed
    assert scope == {"institution_name": value}


@pytest.mark.slow
def test_papermill_p_values_cannot_run_code_in_the_kernel(tmp_path):
    """Plain papermill with `-p` injection attempts (quotes, backslashes, line breaks, triple quotes, braces),
    on the real notebook, on values the notebook uses and on names it does not know."""
    bundle_dir(tmp_path / "data", SOD_DATA)
    params = write_yaml(tmp_path / "params" / "p.yaml", {**GOOD, "data_dir": "../data", "rules": ["SOD"]})
    markers = [tmp_path / f"PWNED{i}" for i in range(len(PAYLOADS))]
    args = ["-p", "institution_name", PAYLOADS[0].format(m=markers[0])]
    for i, (p, m) in enumerate(zip(PAYLOADS[1:], markers[1:], strict=True), start=1):
        args += ["-p", f"evil{i}", p.format(m=m)]
    p = subprocess.run(
        [
            BIN / "papermill",
            NOTEBOOK,
            tmp_path / "o.ipynb",
            "-f",
            params,
            *args,
            "-p",
            "output_dir",
            str(tmp_path / "plain"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    assert not [m.name for m in markers if m.exists()]
    cover = json.dumps(
        json.loads((tmp_path / "o.ipynb").read_text(encoding="utf-8"))["cells"], ensure_ascii=False
    )
    assert "open(r" in cover, "the payload reached the report as text"
    y = subprocess.run(
        [
            BIN / "papermill",
            NOTEBOOK,
            tmp_path / "y.ipynb",
            "-f",
            params,
            "-y",
            f"institution_name: !!python/object/apply:os.system ['touch {tmp_path / 'PWNEDY'}']",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert y.returncode != 0 and not (tmp_path / "PWNEDY").exists()


def test_params_file_keys_never_reach_a_kernel_through_auditlib_run(tmp_path):
    """papermill writes a parameter's *name* into the cell unescaped; `auditlib run` refuses unknown keys
    before any kernel starts and passes the kernel only the params file's path."""
    bundle_dir(tmp_path / "data")
    marker = tmp_path / "PWNED"
    key = f"x = 1; open(r'{marker}', 'w').close(); y"
    params = write_yaml(tmp_path / "p.yaml", {**GOOD, key: 1})
    code, _, err = run_cli("run", params, "--out", tmp_path / "out")
    assert code == 2 and "unknown key" in err and not marker.exists()
    assert not (tmp_path / "out").exists()


def test_plain_papermill_writes_parameter_names_as_code():
    """Documented limitation (docs/hardening.md): with plain `papermill -f FILE` or `-y`, the file's keys are
    code. Use `auditlib run FILE` or `papermill ... -p params_file FILE`, which pass the file as a string."""
    code = translate_parameters("python3", "python", {"x = 1; import os; y": 1}, "Parameters")
    assert "x = 1; import os; y = 1" in code
    safe = translate_parameters("python3", "python", {"params_file": "p.yaml; import os"}, "Parameters")
    assert 'params_file = "p.yaml; import os"' in safe


# ----------------------------------------------------------- institutions never mix, verify catches tampering

#: a character outside every base64 alphabet,
#: so an embedded font or chart can never contain a marker by chance
MARK = {"a": "mk~a", "b": "mk~b"}


def _institution(root: Path, key: str) -> Path:
    m = MARK[key]
    data = {name: re.sub(r"\b00(\d)\b", m + r"\1", text) for name, text in SOD_DATA.items()}  # 001 -> mk~a1
    data["staff"] = data["staff"].replace("张三", f"{m}张三")
    data["complaints"] = (
        "complaint_id,received_at,channel,severity,description\n"
        f"{m}-c1,2025-03-03 10:00,phone,general,{m} 投诉描述 {m}\n"
    )
    bundle_dir(root / f"data-{key}", data)
    return write_yaml(
        root / "params" / f"{key}.yaml",
        {
            **GOOD,
            "institution_id": f"inst-{key}",
            "institution_name": f"{m}机构",
            "data_dir": f"../data-{key}",
            "show_personal_data": True,
        },
    )


def _texts(folder: Path) -> dict[str, str]:
    """Every file of a folder as text; an xlsx as the text of its parts."""
    out = {}
    for f in folder.rglob("*"):
        if not f.is_file():
            continue
        if zipfile.is_zipfile(f):
            with zipfile.ZipFile(f) as z:
                out[str(f)] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            out[str(f)] = f.read_bytes().decode("utf-8", "replace")
    return out


@pytest.fixture(scope="module")
def batch_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("two")
    _institution(root, "a")
    _institution(root, "b")
    code, out, err = run_cli("batch", root / "params", "--out", root / "out", "--workers", "2")
    assert code == 0, err
    return root


@pytest.mark.slow
def test_one_institution_never_sees_anothers_data(batch_root):
    for me, other in (("a", "b"), ("b", "a")):
        texts = _texts(batch_root / "out" / f"inst-{me}")
        assert len(texts) >= 7
        mine = [f for f, t in texts.items() if MARK[me] in t]
        assert any(f.endswith("findings.csv") for f in mine) and any(
            f.endswith("findings.xlsx") for f in mine
        )
        leaked = [f for f, t in texts.items() if MARK[other] in t or f"inst-{other}" in t]
        assert not leaked, leaked


@pytest.fixture
def run_folder(batch_root, tmp_path):
    folder = tmp_path / "inst-a" / "2025-12-31"
    shutil.copytree(batch_root / "out" / "inst-a" / "2025-12-31", folder)
    assert run_cli("verify", folder)[0] == 0
    return folder


def _manifest(folder: Path, edit) -> None:
    path = folder / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    edit(m)
    path.write_text(json.dumps(m), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            lambda f: (f / "findings.csv").write_bytes(
                (f / "findings.csv").read_bytes().replace(b"SOD-001", b"SOD-00X")
            ),
            "findings.csv: altered",
        ),
        (
            lambda f: (f / "report.html").write_text("<p>all clear</p>", encoding="utf-8"),
            "report.html: altered",
        ),
        (lambda f: (f / "findings.xlsx").unlink(), "findings.xlsx: missing"),
        (lambda f: (f / "report.html").unlink(), "report.html: missing"),
        (
            lambda f: _manifest(
                f, lambda m: m["outputs"].update({"../../../etc/hostname": m["outputs"]["report.html"]})
            ),
            "bad file name in manifest: ../../../etc/hostname",
        ),
        (
            lambda f: _manifest(
                f, lambda m: m["outputs"].update({"/etc/hostname": m["outputs"]["report.html"]})
            ),
            "bad file name in manifest: /etc/hostname",
        ),
        (
            lambda f: _manifest(
                f, lambda m: m["outputs"].update({"sub/report.html": m["outputs"]["report.html"]})
            ),
            "bad file name in manifest: sub/report.html",
        ),
        (lambda f: (f / "manifest.json").write_text("{not json", encoding="utf-8"), "unreadable manifest"),
        (lambda f: (f / "manifest.json").unlink(), "no manifest.json"),
    ],
)
def test_verify_detects_tampering(run_folder, tamper, message):
    tamper(run_folder)
    code, out, err = run_cli("verify", run_folder)
    assert code == 1 and message in err, err
    assert "Traceback" not in err


@pytest.mark.slow
def test_verify_does_not_follow_a_manifest_out_of_the_folder(run_folder, tmp_path):
    """A manifest pointing outside with the outside file's true hash must still fail, not vouch for that
    file."""
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the run", encoding="utf-8")
    import hashlib

    digest = hashlib.sha256(outside.read_bytes()).hexdigest()
    rel = os.path.relpath(outside, run_folder)
    _manifest(run_folder, lambda m: m["outputs"].update({rel: {"sha256": digest, "bytes": 19}}))
    code, _, err = run_cli("verify", run_folder)
    assert code == 1 and f"bad file name in manifest: {rel}" in err


# --------------------------------------------------------------- text a spreadsheet would run (CSV injection)


def test_formula_looking_ids_are_flagged_exact_in_csv_and_text_in_excel(tmp_path):
    """findings.csv keeps entity ids exactly (the contract: tools compare runs by them); the working papers,
    which people open, hold them as text cells; the loader warns about every such cell."""
    import openpyxl
    import pandas as pd

    from auditlib.engine import run_audit
    from auditlib.load import load_bundle
    from auditlib.report.files import write_tables
    from auditlib.report.workbook import TEXT, write_workbook

    d = bundle_dir(
        tmp_path / "data",
        {
            "complaints": "complaint_id,received_at,channel,severity,description\n"
            '"=HYPERLINK(""http://x.invalid"",""c"")",2025-03-03 10:00,'
            "phone,general,=1+1\n@SUM(1),2025-03-04 10:00,phone,general,x\n"
        },
    )
    b = load_bundle(d)
    assert len(b.quality[b.quality["reason"].str.startswith("text starts with")]) == 3  # the loader says so
    result = run_audit(parse_params({**GOOD, "rules": ["CMP-007"]}), b)
    write_tables(result, tmp_path / "out")
    ids = pd.read_csv(tmp_path / "out" / "findings.csv", dtype=str, encoding="utf-8-sig")[
        "entity_id"
    ].tolist()
    assert sorted(ids) == ['=HYPERLINK("http://x.invalid","c")', "@SUM(1)"]
    write_workbook(result, tmp_path / "out" / "findings.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out" / "findings.xlsx")["CMP-007"]
    header, first = xlsx_table(ws)
    col = header.index(TEXT[result.params.language]["entity_id"]) + 1
    cells = [ws.cell(row=r, column=col) for r in range(first, ws.max_row + 1)]
    assert sorted(c.value for c in cells) == sorted(ids) and all(c.data_type == "s" for c in cells)
