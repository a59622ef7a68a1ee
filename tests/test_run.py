"""End to end: the notebook through papermill (our CLI and the plain papermill CLI), every output file,
failed runs, exit codes and one-line errors, batches."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from helpers import SOD_DATA, bundle_dir, write_params

from auditlib.cli import main
from auditlib.engine import FINDINGS_COLUMNS, SUMMARY_COLUMNS
from auditlib.manifest import CONTRACT_OUTPUTS, OUTPUTS, verify

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "institution_audit.ipynb"
pytestmark = pytest.mark.slow


@pytest.fixture
def inst(tmp_path):
    """An institution with one planted SOD-001 hit and an XSS payload in its name."""
    bundle_dir(tmp_path / "data", SOD_DATA)
    params = write_params(
        tmp_path / "params" / "inst.yaml",
        "../data",
        rules="[SOD]",
        institution_name='"<script>alert(1)</script>"',
    )
    return params


def run_cli(*args) -> tuple[int, str, str]:
    p = subprocess.run(
        [sys.executable, "-m", "auditlib.cli", *map(str, args)], capture_output=True, text=True, timeout=300
    )
    return p.returncode, p.stdout, p.stderr


def test_run_writes_every_output_and_a_verifiable_manifest(inst, tmp_path):
    (tmp_path / "params").mkdir(exist_ok=True)
    code, out, err = run_cli("run", inst, "--out", tmp_path / "out")
    assert code == 0, err
    folder = tmp_path / "out" / "test-inst" / "2025-12-31"
    for name in OUTPUTS + ("manifest.json",):
        assert (folder / name).is_file(), name
    assert not list((tmp_path / "out" / "test-inst").glob(".*")), "no staging folder left behind"
    findings = pd.read_csv(folder / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert list(findings.columns) == FINDINGS_COLUMNS
    assert findings[["rule_code", "entity_id"]].values.tolist() == [["SOD-001", "001"]]
    assert (folder / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    summary = pd.read_csv(folder / "rule_summary.csv", dtype=str, encoding="utf-8-sig")
    assert list(summary.columns[:6]) == SUMMARY_COLUMNS
    assert summary.set_index("rule_code").loc["SOD-001", "exceptions"] == "1"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["staff"]["rows_read"] == 3
    assert set(manifest["outputs"]) == {o.name for o in CONTRACT_OUTPUTS if o.required(manifest)}
    assert "report.pdf" in manifest["outputs"]  # every run unless --no-pdf
    assert verify(folder) == []
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "import " not in html and "Audit.start" not in html, "no code in the examiner's report"
    assert "SOD-001" in html and "张三" not in html
    nb = nbformat.read(folder / "report.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    # the auditor's notebook has the evidence table the HTML leaves out
    evidence_cell = next(c for c in nb.cells if "findings_with_evidence" in c.source)
    assert "auditor" in evidence_cell.metadata["tags"]
    assert "staff_roles row" in json.dumps(evidence_cell.outputs)
    assert "staff_roles row" not in html


def test_same_inputs_same_findings_byte_for_byte(inst, tmp_path):
    for out in ("a", "b"):
        assert run_cli("run", inst, "--out", tmp_path / out)[0] == 0
    for name in ("findings.csv", "rule_summary.csv", "data_quality.csv"):
        a = (tmp_path / "a" / "test-inst" / "2025-12-31" / name).read_bytes()
        assert a == (tmp_path / "b" / "test-inst" / "2025-12-31" / name).read_bytes(), name


def test_verify_detects_an_altered_report(inst, tmp_path):
    assert run_cli("run", inst, "--out", tmp_path / "out")[0] == 0
    folder = tmp_path / "out" / "test-inst" / "2025-12-31"
    with open(folder / "report.html", "a", encoding="utf-8") as f:
        f.write("<!-- edited -->")
    code, _, err = run_cli("verify", folder)
    assert code == 1 and "report.html: altered" in err


def test_plain_papermill_cli_runs_the_notebook(inst, tmp_path):
    out_nb = tmp_path / "plain.ipynb"
    p = subprocess.run(
        [
            Path(sys.executable).parent / "papermill",
            NOTEBOOK,
            out_nb,
            "-f",
            inst,
            "-p",
            "output_dir",
            str(tmp_path / "plain"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    assert pd.read_csv(tmp_path / "plain" / "findings.csv", dtype=str)["entity_id"].tolist() == ["001"]


def test_failed_audit_leaves_error_and_failed_notebook_but_no_manifest(tmp_path):
    bundle_dir(tmp_path / "data", drop=("customers",))
    params = write_params(tmp_path / "p.yaml", "data")
    code, _, err = run_cli("run", params, "--out", tmp_path / "out")
    assert code == 1
    assert "required table customers missing" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2
    folder = tmp_path / "out" / "test-inst" / "2025-12-31"
    assert sorted(p.name for p in folder.iterdir()) == ["error.txt", "report.failed.ipynb"]
    error = (folder / "error.txt").read_text(encoding="utf-8").splitlines()
    assert "required table customers missing" in error[0] and "kind: bad_data" in error
    assert any(line.startswith("cell: ") for line in error)
    # a rerun with the data fixed repairs the folder
    bundle_dir(tmp_path / "data")
    assert run_cli("run", params, "--out", tmp_path / "out")[0] == 0
    assert (folder / "manifest.json").is_file() and not (folder / "error.txt").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"colour": "blue"}, "colour: unknown key"),
        ({"rules": "[SOD-001, XYZ-001]"}, "unknown rule code or family: XYZ-001"),
        (
            {"overrides": "{SOD-006: {review_requird: []}}"},
            "overrides.SOD-006.review_requird: unknown parameter",
        ),
        ({"language": "fr"}, "language"),
        ({"institution_id": "../../etc"}, "institution_id"),
        ({"as_of": "2026-02-30"}, "as_of"),
    ],
)
def test_bad_params_exit_2_with_one_line_naming_the_key(tmp_path, extra, message):
    params = write_params(tmp_path / "p.yaml", "data", **extra)
    code, _, err = run_cli("run", params)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_params_file_and_bad_usage_exit_2(tmp_path):
    assert run_cli("run", tmp_path / "nope.yaml")[0] == 2
    assert run_cli("frobnicate")[0] == 2


def test_params_values_are_data_not_code(tmp_path):
    bundle_dir(tmp_path / "data")
    marker = tmp_path / "PWNED"
    evil = f"\"x\\\"; open('{marker}', 'w').close(); #\""
    params = write_params(tmp_path / "p.yaml", "data", institution_name=evil)
    assert run_cli("run", params, "--out", tmp_path / "out")[0] == 0
    assert not marker.exists()
    # and through plain papermill's own translation of -f values
    p = subprocess.run(
        [Path(sys.executable).parent / "papermill", NOTEBOOK, tmp_path / "o.ipynb", "-f", params],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-1500:]
    assert not marker.exists()


def test_batch_one_failure_never_stops_the_others(tmp_path):
    good = tmp_path / "good"
    bundle_dir(good / "data", SOD_DATA)
    bad = tmp_path / "bad"
    bundle_dir(bad / "data", drop=("staff",))
    pdir = tmp_path / "params"
    pdir.mkdir()
    write_params(pdir / "a.yaml", str(good / "data"), institution_id="inst-a", rules="[SOD]")
    write_params(pdir / "b.yaml", str(bad / "data"), institution_id="inst-b", rules="[SOD]")
    write_params(pdir / "c.yaml", str(good / "data"), institution_id="inst-c", rules="[SOD]")
    code, out, err = run_cli("batch", pdir, "--out", tmp_path / "out", "--workers", "2")
    assert code == 1, err
    s = pd.read_csv(
        tmp_path / "out" / "batch_summary.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    assert s["institution_id"].tolist() == ["inst-a", "inst-b", "inst-c"]
    assert s["status"].tolist() == ["ok", "failed", "ok"]
    assert "required table staff missing" in s.loc[1, "error"]
    assert s["error_kind"].tolist() == ["", "bad_data", ""]
    assert s.loc[0, "findings"] == "1" and s.loc[0, "high"] == "1"
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="inst-a/2025-12-31/report.html"' in index and "SOD-001" in index
    assert "inst-b: " in err


def test_batch_with_bad_params_exits_2_but_runs_the_rest(tmp_path):
    bundle_dir(tmp_path / "data", SOD_DATA)
    pdir = tmp_path / "params"
    pdir.mkdir()
    write_params(pdir / "a.yaml", str(tmp_path / "data"), institution_id="inst-a")
    write_params(pdir / "b.yaml", str(tmp_path / "data"), institution_id="inst-b", rules="[NOPE]")
    code, _, err = run_cli("batch", pdir, "--out", tmp_path / "out")
    assert code == 2 and "bad params" in err
    assert (tmp_path / "out" / "inst-a" / "2025-12-31" / "manifest.json").is_file()


def test_cli_main_in_process_lists_rules(capsys):
    assert main(["rules"]) == 0
    assert "SOD-001" in capsys.readouterr().out


def test_runner_loads_no_notebook_machinery_before_the_kernel_is_launched():
    """`auditlib run` launches the kernel before papermill, nbformat and nbconvert load (they take about a
    second in a fresh process, and the kernel boots meanwhile): importing the runner must not load them."""
    code = (
        "import sys, auditlib.runner\n"
        "print(sorted(m for m in ('papermill', 'nbformat', 'nbconvert', 'nbclient') if m in sys.modules))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_the_prestarted_kernel_runs_the_notebook_and_is_gone_afterwards(inst, tmp_path, monkeypatch):
    from jupyter_client.manager import AsyncKernelManager

    from auditlib import runner
    from auditlib.kernel import AuditKernelManager

    started, clients = [], []
    real_start, real_client = AsyncKernelManager.start_kernel, AuditKernelManager.client

    async def start_kernel(self, **kw):
        started.append((self, kw))
        await real_start(self, **kw)
        started[-1] += (self.connection_file, self.ip)

    def client(self, **kw):
        clients.append(real_client(self, **kw))
        return clients[-1]

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", start_kernel)
    monkeypatch.setattr(AuditKernelManager, "client", client)
    path = os.environ.get("PATH")
    outcome = runner.run_one(inst, tmp_path / "out")
    assert outcome.status == "ok", outcome.error
    assert len(started) == 1, "one kernel: the one launched first"
    km, kw, connection_file, ip = started[0]
    assert isinstance(km, AuditKernelManager)
    assert (
        km.provisioner is None or km.provisioner.process is None or km.provisioner.process.poll() is not None
    )
    assert not Path(connection_file).exists()
    assert not list(Path(ip).parent.glob(Path(ip).name + "-*")), "IPC socket files left behind"
    assert clients and not any(kc.channels_running for kc in clients), "papermill's client closed"
    # the kernel's environment is its own: this interpreter's folder first on its PATH, ours unchanged
    assert kw["env"]["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert os.environ.get("PATH") == path
    nb = nbformat.read(Path(outcome.report).with_name("report.ipynb"), as_version=4)
    assert all(c.metadata.papermill.status == "completed" for c in nb.cells)
