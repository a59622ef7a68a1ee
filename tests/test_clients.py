"""Real clients: JupyterLab's server (REST + kernel websocket, the way the browser drives it), the plain
papermill CLI and the nbconvert CLI, each on the audit notebook and a small test bundle.

JupyterLab is the `lab` extra (`pip install -e ".[lab]"`), not part of `make test`: without it the JupyterLab
test is skipped, with the reason.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest
import yaml
from helpers import SOD_DATA, bundle_dir

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "institution_audit.ipynb"
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


@pytest.fixture
def inst(tmp_path):
    """A test institution: one SOD-001 hit (staff 001), its params file with an absolute data_dir."""
    bundle_dir(tmp_path / "data", SOD_DATA)
    params = tmp_path / "params" / "inst.yaml"
    params.parent.mkdir()
    params.write_text(
        yaml.safe_dump(
            {
                "institution_id": "client-test",
                "institution_name": "客户端测试机构",
                "data_dir": str(tmp_path / "data"),
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "as_of": "2026-01-31",
                "rules": ["SOD"],
                "language": "en",
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return params


# ---------------------------------------------------------------- JupyterLab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on loopback, driven through its REST API and kernel websocket."""

    def __init__(self, root: Path, home: Path):
        self.port, self.token = _free_port(), secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_RUNTIME_DIR": str(home / "run"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "IPYTHONDIR": str(home / "ipython"),
            "PATH": str(BIN) + os.pathsep + os.environ.get("PATH", ""),
        }
        self.log = open(home / "lab.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                BIN / "jupyter",
                "lab",
                "--no-browser",
                f"--port={self.port}",
                "--port-retries=0",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={root}",
                # nothing from the network: no news, no update check, no PyPI extension listing
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=root,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                self.api("GET", "/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        "JupyterLab did not start: " + (home / "lab.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.5)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else {}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def _message(session: str, code: str) -> dict:
    msg_id = uuid.uuid4().hex
    return {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "test",
            "session": session,
            "date": "",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "channel": "shell",
        "buffers": [],
        "content": {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    }


def execute(ws, session: str, code: str, timeout: float = 300) -> tuple[str, list[dict]]:
    """Run one cell over the kernel websocket; returns (reply status, the cell's outputs in nbformat
    shape)."""
    msg = _message(session, code)
    ws.send(json.dumps(msg))
    outputs, status, idle = [], None, False
    deadline = time.monotonic() + timeout
    while status is None or not idle:
        ws.settimeout(max(1.0, deadline - time.monotonic()))
        m = json.loads(ws.recv())
        if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind, content = m["header"]["msg_type"], m["content"]
        if kind == "execute_reply":
            status = content["status"]
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind in ("display_data", "execute_result"):
            outputs.append(
                {
                    "output_type": kind,
                    "data": content["data"],
                    "metadata": content.get("metadata", {}),
                    **({"execution_count": content["execution_count"]} if kind == "execute_result" else {}),
                }
            )
        elif kind == "stream":
            outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
        elif kind == "error":
            outputs.append(
                {
                    "output_type": "error",
                    "ename": content["ename"],
                    "evalue": content["evalue"],
                    "traceback": content["traceback"],
                }
            )
    return status, outputs


def test_jupyterlab_runs_the_audit_notebook_over_its_rest_api_and_kernel_websocket(inst, tmp_path):
    pytest.importorskip("jupyterlab", reason="JupyterLab is the `lab` extra: pip install -e '.[lab]'")
    websocket = pytest.importorskip("websocket", reason="websocket-client comes with jupyter_server")
    root = tmp_path / "lab"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(NOTEBOOK, root / "notebooks" / NOTEBOOK.name)
    (tmp_path / "home").mkdir()
    lab = Lab(root, tmp_path / "home")
    kernel = None
    try:
        model = lab.api("GET", f"/api/contents/notebooks/{NOTEBOOK.name}?content=1")
        assert model["type"] == "notebook" and model["format"] == "json"
        nb = nbformat.from_dict(model["content"])
        kernel = lab.api("POST", "/api/kernels", {"name": "python3", "path": "notebooks"})
        session = uuid.uuid4().hex
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel['id']}/channels?session_id={session}",
            header=[f"Authorization: token {lab.token}"],
            timeout=60,
        )
        try:
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                code = cell.source
                if "parameters" in cell.metadata.get(
                    "tags", []
                ):  # what the auditor types into the first cell
                    code += f"\nparams_file = {str(inst)!r}\n"
                status, cell.outputs = execute(ws, session, code)
                errors = [o for o in cell.outputs if o["output_type"] == "error"]
                assert status == "ok" and not errors, (cell.source[:200], errors)
        finally:
            ws.close()
        html = json.dumps(
            [o for c in nb.cells if c.cell_type == "code" for o in c.outputs], ensure_ascii=False
        )
        assert "客户端测试机构" in html and "SOD-001" in html
        evidence = next(c for c in nb.cells if "findings_with_evidence" in c.source)
        assert "staff_roles row" in json.dumps(evidence.outputs)
        # the executed notebook saved back through the contents API, as JupyterLab's save does
        lab.api(
            "PUT",
            "/api/contents/notebooks/executed.ipynb",
            {"type": "notebook", "format": "json", "content": nbformat.from_dict(nb)},
        )
        saved = nbformat.read(root / "notebooks" / "executed.ipynb", as_version=4)
        nbformat.validate(saved)
        assert any(o.get("output_type") == "display_data" for c in saved.cells for o in c.get("outputs", []))
    finally:
        if kernel is not None:
            try:
                lab.api("DELETE", f"/api/kernels/{kernel['id']}")
            except urllib.error.URLError:
                pass
        lab.stop()


# ---------------------------------------------------------------- plain papermill and nbconvert CLIs


def test_papermill_cli_runs_and_nbconvert_cli_converts_the_notebook(inst, tmp_path):
    out = tmp_path / "executed.ipynb"
    p = subprocess.run(
        [
            BIN / "papermill",
            NOTEBOOK,
            out,
            "-p",
            "params_file",
            str(inst),
            "-p",
            "output_dir",
            str(tmp_path / "tables"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    assert (tmp_path / "tables" / "findings.csv").is_file()
    c = subprocess.run(
        [BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", out, "--output-dir", tmp_path / "html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PATH": str(BIN) + os.pathsep + os.environ.get("PATH", "")},
    )
    assert c.returncode == 0, c.stderr[-2000:]
    html = (tmp_path / "html" / "executed.html").read_text(encoding="utf-8")
    assert "客户端测试机构" in html and "SOD-001" in html
    assert "Audit.start(" not in html, "--no-input leaves the code out"
