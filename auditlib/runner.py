"""Run one audit the papermill way and write `<out>/<institution_id>/<period_end>/` atomically.

One audit is five named steps, `run_one` calls them in order:

1. `stage`: a hidden sibling folder of the target (stale ones of killed runs cleared first);
2. `execute`: papermill runs the notebook with the params file's path (data, never code) on a kernel of
   `kernel.kernel()`; a kernel that fails to start is started again (`kernel_retries`, default once);
3. `export`: nbconvert renders the examiner's HTML from the executed notebook (outputs only, auditor cells
   removed), while the kernel that ran it shuts down;
4. `manifest`: the kernel's run record, the params file and the hashes of every output, written last;
5. `publish`: the staged folder moved into place.

A failed or interrupted audit never looks complete: it leaves `error.txt` (the failure in a sentence, then
its kind and fields, `outcome.Failure`) and `report.failed.ipynb` (a readable notebook with the failing
cell marked), and no manifest. Runtime faults (docs/operations.md): the whole audit's `timeout` and
papermill's `cell_timeout` (kernel.Watch), a kernel that fails to start or dies mid-run, the output disk
full (the staging folder is removed, the error kept), an interrupt (the kernel is stopped at once and the
staging folder removed; an earlier complete result for the same period is left as it was).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import signing
from .kernel import AuditKernelManager, Watch, interrupt_active_runs, kernel, kernel_env, watching
from .manifest import write_manifest
from .outcome import Failure, Outcome
from .params import AuditParams, load_params
from .report.export import HIDDEN_TAGS, export_html

__all__ = ["Outcome", "interrupt_active_runs", "run_one", "audit_dir", "completed", "clear_stale"]

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "institution_audit.ipynb"
NOTEBOOK_ENV = "AUDITLIB_NOTEBOOK"  # another notebook with the same parameters cell (customisation, tests)
NO_PDF_ENV = "AUDITLIB_NO_PDF"  # set (to anything but 0 or empty) by --no-pdf: no report.pdf
OWNER_FILE = ".owner"  # `<host> <pid>` of the run that owns a staging folder, so a rerun can clear stale ones


# ---------------------------------------------------------------- output folders


def audit_dir(out_root: Path, params: AuditParams) -> Path:
    """`<out>/<institution_id>/<period_end>`; the id is validated, and the result must stay inside out."""
    root = out_root.resolve()
    target = (root / params.institution_id / params.period_end.isoformat()).resolve()
    if root not in target.parents:
        raise ValueError(f"output folder escapes {root}: {target}")
    return target


def _replace(stage: Path, target: Path) -> None:
    """Move the staged folder into place, replacing an earlier run's folder."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.{stage.name}.old")
        target.rename(old)
    stage.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _owner() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_stale(target: Path, max_age: float = 86400.0) -> list[Path]:
    """Remove staging folders a killed run left next to `target`: hidden, never looking complete, but taking
    space. Stale = its owner process (on this host) is gone, or it is older than `max_age` seconds and was
    made on another host (a Dask worker) or names no owner."""
    removed = []
    if not target.parent.is_dir():
        return removed
    host = socket.gethostname()
    for p in target.parent.glob(f".{target.name}.*"):
        if not p.is_dir() or not (p.name.endswith(".tmp") or p.name.endswith(".old")):
            continue
        stale = p.name.endswith(".old")
        try:
            old = time.time() - p.stat().st_mtime > max_age
        except OSError:
            continue
        try:
            who = (p / OWNER_FILE).read_text(encoding="utf-8").split()
            stale = stale or (not _pid_alive(int(who[1])) if who[0] == host else old)
        except (OSError, IndexError, ValueError):
            stale = stale or old
        if stale:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _readable_json(path: Path) -> bool:
    """False for a notebook cut short (the disk filled while papermill saved it): not worth keeping."""
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


def _leave_error(stage: Path, target: Path, outcome: Outcome) -> Outcome:
    """Keep only the error and the failed notebook: nothing that could pass for a result."""
    error = outcome.failure.text() if outcome.failure else outcome.error + "\n"
    try:
        for f in stage.iterdir():
            if f.name == "report.ipynb" and _readable_json(f):
                f.rename(stage / "report.failed.ipynb")
            elif f.is_dir():
                shutil.rmtree(f, ignore_errors=True)
            else:
                f.unlink()
        (stage / "error.txt").write_text(error, encoding="utf-8")
        _replace(stage, target)
    except OSError:
        # e.g. the disk is full: free what this run wrote and try to leave just the error
        shutil.rmtree(stage, ignore_errors=True)
        try:
            stage.mkdir(parents=True)
            (stage / "error.txt").write_text(error, encoding="utf-8")
            _replace(stage, target)
        except OSError as e:
            shutil.rmtree(stage, ignore_errors=True)
            outcome.error += f" (the error could not be written to {target}: {e.strerror or e})"
            outcome.report = ""
            return outcome
    outcome.report = str(target / "error.txt")
    return outcome


# ---------------------------------------------------------------- why an audit failed


def error_line(exc: BaseException) -> str:
    """One line for a failed run: the exception's name and message, no traceback."""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    text = f"{ename}: {evalue}".strip()
    return " ".join(text.split())[:2000]


def _cell_at_fault(nb_path: Path) -> tuple[int | None, str]:
    """The number and first line of code of the last cell papermill started (the one that was running or
    failed; papermill marks a cell whose kernel died `completed`, so its status cannot be trusted)."""
    import nbformat

    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:  # noqa: BLE001 - no notebook written yet, or a partial one
        return None, ""
    started = [
        (i, c)
        for i, c in enumerate(nb.cells, 1)
        if c.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if not started:
        return None, ""
    i, cell = started[-1]
    code = (line for line in cell.source.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return i, next(code, "").strip()[:60]


def _kernel_death(watch: Watch) -> dict:
    codes = [c for c in watch.exit_codes() if c]
    if codes and codes[0] < 0:
        try:
            return {"signal": signal.Signals(-codes[0]).name}
        except ValueError:
            return {"signal": f"signal {-codes[0]}"}
    return {"exit_status": codes[0]} if codes else {}


def _notebook_error(exc: BaseException) -> str:
    """The kind of an error raised in a cell: the user's input (bad params, bad data) or the notebook."""
    return {"ParamsError": "bad_params", "DataContractError": "bad_data"}.get(
        getattr(exc, "ename", ""), "cell_error"
    )


def classify(exc: BaseException, watch: Watch, job: _Job) -> Failure:
    """The Failure of an audit that raised `exc`, from what the watchdog and the notebook recorded."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    cell, code = _cell_at_fault(job.stage / "report.ipynb")
    at = {"cell": cell, "code": code}
    if watch.reason == "timeout":
        return Failure("timeout", scope="audit", limit=job.timeout, **at)
    if watch.reason == "interrupted":
        return Failure("interrupted", scope="while", **at)
    if isinstance(exc, CellTimeoutError):
        return Failure("timeout", scope="cell", limit=job.cell_timeout, **at)
    if watch.kernels and not watch.ready and cell is None:
        return Failure("kernel_not_started", detail=error_line(exc), attempts=job.attempts)
    if isinstance(exc, DeadKernelError):
        return Failure("kernel_died", **at, **_kernel_death(watch))
    text = error_line(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "[Errno 28]" in text:
        return Failure("out_of_disk", detail=text, path=str(job.target.parent))
    if isinstance(exc, OSError):
        return Failure("output_error", detail=text, path=str(job.target.parent))
    return Failure(_notebook_error(exc), detail=text, **at)


# ---------------------------------------------------------------- one audit, step by step


@dataclass
class _Job:
    """One audit as the steps see it."""

    params_path: Path
    params: AuditParams
    target: Path
    notebook: Path
    timeout: float | None = None
    cell_timeout: float | None = None
    kernel_retries: int = 1
    key: signing.Ed25519PrivateKey | None = None  # seals the manifest (manifest.sig)
    pdf: bool = True  # also write report.pdf
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    t0: float = field(default_factory=time.monotonic)
    attempts: int = 0
    note: str = ""
    info: dict = field(default_factory=dict)  # the manifest
    early_pdf: object = None  # report.pdf being rendered while the auditor's cells run (report/pdf.py)

    @property
    def stage(self) -> Path:
        return self.target.parent / f".{self.target.name}.{self.run_id}.tmp"

    @property
    def cwd(self) -> str:
        return str(self.params_path.parent)

    def env(self) -> dict[str, str]:
        """The kernel's: the signing key's fingerprint (for the report's cover), never the key itself."""
        fp = signing.fingerprint(self.key.public_key()) if self.key else None
        return kernel_env({signing.KEY_ENV: None, signing.FINGERPRINT_ENV: fp})

    def seconds(self) -> float:
        return round(time.monotonic() - self.t0, 2)


def stage(job: _Job) -> None:
    """The hidden staging folder, owned by this process (so that a rerun can tell a stale one)."""
    clear_stale(job.target)
    job.stage.mkdir(parents=True)
    (job.stage / OWNER_FILE).write_text(_owner(), encoding="utf-8")


def _last_examiner_cell(nb) -> int:
    """Index of the last cell whose output the examiner's report shows (-1: none)."""
    shown = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and not HIDDEN_TAGS & set(c.metadata.get("tags", []))
    ]
    return shown[-1] if shown else -1


def _pdf_hooks(job: _Job, watch: Watch) -> dict:
    """nbclient hooks for `EarlyPdf`: its process prepared when the notebook starts, and given the report as
    soon as the last examiner cell has run."""
    if not job.pdf:
        return {"on_notebook_start": watch.mark_ready}
    from .report.pdf import EarlyPdf

    state: dict = {}

    def started(notebook=None, **kw):
        state["nb"], state["last"] = notebook, _last_examiner_cell(notebook) if notebook is not None else -1
        _cancel_pdf(job)  # a failed start's
        job.early_pdf = EarlyPdf()
        try:
            job.early_pdf.prepare()
        except OSError:  # no process: the PDF is rendered after the run, as without the hook
            job.early_pdf = None
        watch.mark_ready(notebook=notebook, **kw)

    def executed(cell=None, cell_index=None, **_):
        early = job.early_pdf
        if cell_index is None or cell_index != state.get("last") or early is None or early.started:
            return
        try:
            import nbformat

            notebook = job.stage / "report.early.ipynb"
            nbformat.write(state["nb"], str(notebook))
            html, pdf = job.stage / "report.early.html", job.stage / "report.pdf"
            early.start(html, pdf, notebook, job.params.language, _title(job))
        except Exception:  # noqa: BLE001 - the PDF is then rendered after the run, as without the hook
            _cancel_pdf(job)

    return {"on_notebook_start": started, "on_cell_executed": executed}


def _papermill(job: _Job, km: AuditKernelManager, watch: Watch) -> None:
    import papermill as pm  # loads while the kernel boots

    pm.execute_notebook(
        str(job.notebook),
        str(job.stage / "report.ipynb"),
        parameters={"params_file": str(job.params_path), "output_dir": str(job.stage), "run_id": job.run_id},
        progress_bar=False,
        log_output=False,
        execution_timeout=job.cell_timeout,
        kernel_name="python3",
        cwd=job.cwd,
        km=km,
        **_pdf_hooks(job, watch),
    )


def _start_failed(exc: Exception, watch: Watch) -> bool:
    from papermill.exceptions import PapermillExecutionError

    return not watch.ready and not watch.reason and not isinstance(exc, PapermillExecutionError)


def _clear_stage(job: _Job) -> None:
    for f in job.stage.iterdir():
        if f.name != OWNER_FILE:
            shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink()


def execute(job: _Job, watch: Watch, then: Callable[[_Job], None]) -> None:
    """Run the notebook on a fresh kernel, again on another one when a kernel fails to start; then `then`
    (the export) while the kernel that ran the notebook shuts down."""
    while True:
        job.attempts += 1
        try:
            with kernel(watch, job.cwd, job.env()) as km:
                _papermill(job, km, watch)
                km.request_stop()
                then(job)
            return
        except Exception as e:
            if not _start_failed(e, watch) or job.attempts > job.kernel_retries:
                raise
            job.note = f"kernel restarted after a failed start ({error_line(e)[:200]})"
            _cancel_pdf(job)
            _clear_stage(job)


def _title(job: _Job) -> str:
    return f"{job.params.institution_name} {job.params.period_end}"


def export(job: _Job) -> None:
    """The examiner's report from the executed notebook, and its PDF (started early when it could be)."""
    export_html(job.stage / "report.ipynb", job.stage / "report.html", job.params.language, _title(job))
    if job.pdf:
        from .report.pdf import EarlyPdf

        early, job.early_pdf = job.early_pdf or EarlyPdf(), None
        early.finish(job.stage / "report.html", job.stage / "report.pdf")
        (job.stage / "report.early.html").unlink(missing_ok=True)
        (job.stage / "report.early.ipynb").unlink(missing_ok=True)


def _cancel_pdf(job: _Job) -> None:
    if job.early_pdf is not None:
        job.early_pdf.cancel()
        job.early_pdf = None


def manifest(job: _Job) -> None:
    """The kernel's run record (notebook.RUN_FILE) completed by the runner, written last as manifest.json,
    and sealed by manifest.sig when there is a signing key."""
    from .notebook import RUN_FILE

    info = json.loads((job.stage / RUN_FILE).read_text(encoding="utf-8"))
    (job.stage / RUN_FILE).unlink()
    (job.stage / OWNER_FILE).unlink()
    info.update(
        {
            "params_file": str(job.params_path),
            "status": "complete",
            "pdf": job.pdf,
            "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
    )
    if job.key is not None:
        info["signing_key"] = signing.public_record(job.key.public_key())
    path = write_manifest(job.stage, info)
    if job.key is not None:
        signing.sign(path, job.key)
    job.info = info


def publish(job: _Job) -> None:
    """The staged folder replaces the target (and an earlier run's folder) in one rename."""
    _replace(job.stage, job.target)


def _succeeded(job: _Job) -> Outcome:
    f = job.info["findings"]
    return Outcome(
        job.params.institution_id,
        "ok",
        findings=f["total"],
        high=f["high"],
        medium=f["medium"],
        low=f["low"],
        seconds=job.seconds(),
        report=str(job.target / "report.html"),
        note=job.note,
    )


def _failed(job: _Job, failure: Failure) -> Outcome:
    """The failed audit's outcome; its folder keeps the error (an interrupted one leaves nothing)."""
    _cancel_pdf(job)
    outcome = Outcome.failed(job.params.institution_id, failure, seconds=job.seconds(), note=job.note)
    if failure.kind == "interrupted":  # like Ctrl-C: no trace, an earlier complete result stays as it was
        shutil.rmtree(job.stage, ignore_errors=True)
        return outcome
    return _leave_error(job.stage, job.target, outcome)


def run_one(
    params_path: str | Path,
    out_root: str | Path = "outputs",
    *,
    notebook: str | Path | None = None,
    timeout: float | None = None,
    cell_timeout: float | None = None,
    params: AuditParams | None = None,
    kernel_retries: int = 1,
    stop: Callable[[], bool] | None = None,
    sign_key: str | Path | None = None,
    pdf: bool | None = None,
) -> Outcome:
    """Audit one institution. Bad params raise ParamsError (the caller's exit 2); a failed audit returns
    an Outcome with status `failed` and leaves its error, never a manifest.

    timeout: seconds for the whole audit (kernel start, every cell); cell_timeout: seconds per cell;
    kernel_retries: further attempts when the kernel fails to start; stop: polled every ~2 s, True
    stops the run as interrupted (a batch being cancelled on a remote worker); sign_key: the private key
    file that seals the manifest (default $AUDITLIB_SIGNING_KEY; none: unsigned); pdf: also write report.pdf
    (WeasyPrint, report/pdf.py), by default unless $AUDITLIB_NO_PDF is set (`--no-pdf`).
    """
    params_path = Path(params_path).resolve()
    params = params or load_params(params_path)
    notebook = Path(notebook or os.environ.get(NOTEBOOK_ENV) or NOTEBOOK)
    target = audit_dir(Path(out_root), params)
    key = signing.signing_key(sign_key)
    job = _Job(params_path, params, target, notebook, timeout, cell_timeout, kernel_retries, key)
    job.pdf = pdf_wanted(pdf)
    try:
        stage(job)
    except OSError as e:
        shutil.rmtree(job.stage, ignore_errors=True)
        return Outcome.failed(params.institution_id, classify(e, Watch(), job), seconds=job.seconds())
    watch = Watch(job.t0 + timeout if timeout else None, stop)
    try:
        with watching(watch):
            execute(job, watch, then=export)
            manifest(job)
            publish(job)
    except Exception as e:  # noqa: BLE001 - any failure of the run is this institution's failed audit
        return _failed(job, classify(e, watch, job))
    except BaseException:  # Ctrl-C: leave no staging folder behind that could be mistaken for output
        _cancel_pdf(job)
        shutil.rmtree(job.stage, ignore_errors=True)
        raise
    return _succeeded(job)


def pdf_wanted(pdf: bool | None = None) -> bool:
    """Whether a run writes report.pdf: `pdf` when given, else unless $AUDITLIB_NO_PDF is set (`--no-pdf`)."""
    return pdf if pdf is not None else os.environ.get(NO_PDF_ENV, "") in ("", "0")


def inputs_unchanged(manifest: dict, data_dir: Path) -> bool:
    """The data folder holds exactly the table files the run read, byte for byte (SHA-256): a corrected
    extract delivered into the same folder, or a table added or removed, means the output is stale."""
    from .load import sha256_file
    from .load.reading import find_table_files

    files, problems = find_table_files(data_dir)
    recorded = manifest.get("inputs")
    if problems or not isinstance(recorded, dict) or set(recorded) != set(files):
        return False
    return all(
        isinstance(r, dict) and r.get("file") == files[t].name and r.get("sha256") == sha256_file(files[t])
        for t, r in recorded.items()
    )


def completed(target: Path, params: AuditParams, params_path: Path, pdf: bool | None = None) -> dict | None:
    """The manifest of a complete, unaltered run in `target` of these params on these input files (for
    --resume: `verify` finds nothing, and the params and every input file's hash are the recorded ones),
    else None. A run that wants report.pdf (`pdf_wanted(pdf)`) does not keep an output written without it
    (`--no-pdf`); one with --no-pdf keeps an output that has it (the same outputs and one more)."""
    from .manifest import read_manifest, verify
    from .params import resolve_relative

    manifest, _ = read_manifest(target)
    if manifest is None or verify(target):
        return None
    if pdf_wanted(pdf) and "report.pdf" not in manifest.get("outputs", ()):
        return None
    if manifest.get("params") != params.model_dump(mode="json"):
        return None
    return manifest if inputs_unchanged(manifest, resolve_relative(params.data_dir, params_path)) else None
