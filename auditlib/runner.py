"""Run one audit the papermill way and write `<out>/<institution_id>/<period_end>/` atomically.

Papermill executes the notebook with the params file's path (data, never code); nbconvert
renders the examiner's HTML from the executed notebook (outputs only, auditor cells removed);
the manifest is written last. Everything is staged in a hidden sibling folder and moved into
place at the end, so a failed or interrupted run never looks complete: it leaves `error.txt`
(and `report.failed.ipynb`, a readable notebook with the failing cell marked) and no manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager

from .manifest import write_manifest
from .notebook import RUN_FILE
from .params import AuditParams, load_params

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "institution_audit.ipynb"
TEMPLATES = Path(__file__).resolve().parent / "report" / "templates"
HIDDEN_TAGS = {"auditor", "parameters", "injected-parameters"}


class IPCKernelManager(AsyncKernelManager):
    """Kernels talk over Unix sockets: no TCP ports to clash between parallel audits, no unencrypted-TCP
    warning on the operator's console."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        # socket files are `<ip>-<n>`; the default `kernel-ipc` in the working directory would collide
        # between audits run in parallel from the same folder
        kwargs.setdefault("ip", os.path.join(tempfile.gettempdir(), f"auditlib-{uuid.uuid4().hex[:16]}"))
        super().__init__(**kwargs)


@dataclass
class Outcome:
    institution_id: str
    status: str  # ok | failed
    error: str = ""
    findings: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    seconds: float = 0.0
    report: str = ""

    def row(self) -> dict:
        return asdict(self)


def audit_dir(out_root: Path, params: AuditParams) -> Path:
    """`<out>/<institution_id>/<period_end>`; the id is validated, and the result must stay inside out."""
    root = out_root.resolve()
    target = (root / params.institution_id / params.period_end.isoformat()).resolve()
    if root not in target.parents:
        raise ValueError(f"output folder escapes {root}: {target}")
    return target


def examiner_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook as the examiner sees it: report outputs only, no code, streams or tracebacks."""
    nb = nbformat.from_dict(nb)
    keep = []
    for cell in nb.cells:
        if cell.cell_type != "code" or HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        cell.outputs = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")
                        and "text/html" in o.get("data", {})]
        if cell.outputs:
            keep.append(cell)
    nb.cells = keep
    return nb


def export_html(nb_path: Path, html_path: Path, lang: str, title: str) -> Path:
    from nbconvert import HTMLExporter

    nb = examiner_notebook(nbformat.read(nb_path, as_version=4))
    exporter = HTMLExporter(template_name="auditlib", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"report_lang": lang, "report_title": title})
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _replace(stage: Path, target: Path) -> None:
    """Move the staged folder into place, replacing an earlier run's folder."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.{stage.name}.old")
        target.rename(old)
    stage.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _failed(stage: Path, target: Path, outcome: Outcome) -> Outcome:
    """Keep only the error and the failed notebook: nothing that could pass for a result."""
    for f in stage.iterdir():
        if f.name == "report.ipynb":
            f.rename(stage / "report.failed.ipynb")
        elif f.is_file():
            f.unlink()
    (stage / "error.txt").write_text(outcome.error + "\n", encoding="utf-8")
    _replace(stage, target)
    outcome.report = str(target / "error.txt")
    return outcome


def error_line(exc: BaseException) -> str:
    """One line for a failed run: the exception's name and message, no traceback."""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    text = f"{ename}: {evalue}".strip()
    return " ".join(text.split())[:2000]


def run_one(params_path: str | Path, out_root: str | Path = "outputs", *, notebook: Path = NOTEBOOK,
            timeout: float | None = None, params: AuditParams | None = None) -> Outcome:
    """Audit one institution. Bad params raise ParamsError (the caller's exit 2); a failed audit returns
    an Outcome with status `failed` and leaves its error, never a manifest."""
    t0 = time.monotonic()
    params_path = Path(params_path).resolve()
    params = params or load_params(params_path)
    target = audit_dir(Path(out_root), params)
    run_id = uuid.uuid4().hex[:12]
    stage = target.parent / f".{target.name}.{run_id}.tmp"
    stage.mkdir(parents=True)
    outcome = Outcome(params.institution_id, "ok")
    # the kernel is the `python3` of this interpreter's environment, not whatever is first on PATH
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    import papermill as pm

    try:
        pm.execute_notebook(
            str(notebook), str(stage / "report.ipynb"),
            parameters={"params_file": str(params_path), "output_dir": str(stage), "run_id": run_id},
            progress_bar=False, log_output=False, execution_timeout=timeout, kernel_name="python3",
            cwd=str(params_path.parent), kernel_manager_class=IPCKernelManager,
        )
        title = f"{params.institution_name} {params.period_end}"
        export_html(stage / "report.ipynb", stage / "report.html", params.language, title)
        run = json.loads((stage / RUN_FILE).read_text(encoding="utf-8"))
        (stage / RUN_FILE).unlink()
    except Exception as e:  # noqa: BLE001 - any failure of the run is this institution's failed audit
        outcome.status, outcome.error = "failed", error_line(e)
        outcome.seconds = round(time.monotonic() - t0, 2)
        return _failed(stage, target, outcome)
    except BaseException:  # Ctrl-C: leave no staging folder behind that could be mistaken for output
        shutil.rmtree(stage, ignore_errors=True)
        raise
    run.update({"params_file": str(params_path), "status": "complete",
                "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")})
    write_manifest(stage, run)
    _replace(stage, target)
    outcome.findings = run["findings"]["total"]
    outcome.high, outcome.medium, outcome.low = (run["findings"][s] for s in ("high", "medium", "low"))
    outcome.seconds = round(time.monotonic() - t0, 2)
    outcome.report = str(target / "report.html")
    return outcome
