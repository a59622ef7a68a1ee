"""Run one audit the papermill way and write `<out>/<institution_id>/<period_end>/` atomically.

Papermill executes the notebook with the params file's path (data, never code); nbconvert
renders the examiner's HTML from the executed notebook (outputs only, auditor cells removed);
the manifest is written last. Everything is staged in a hidden sibling folder and moved into
place at the end, so a failed or interrupted run never looks complete: it leaves `error.txt`
(and `report.failed.ipynb`, a readable notebook with the failing cell marked) and no manifest.

Runtime faults (docs/operations.md):
- `timeout`: the whole audit's budget in seconds, enforced by a watchdog that interrupts the kernel
  (so the failed notebook shows the cell that was running) and kills it if it does not stop;
  `cell_timeout` is papermill's per-cell limit.
- a kernel that fails to start is started again (`kernel_retries`, default once), then reported as such.
- a kernel that dies mid-run (killed, out of memory) is that audit's failure, named with the cell.
- the output disk full (or any OSError writing outputs): the staging folder is removed, the error kept.
- an interrupt (KeyboardInterrupt, or `interrupt_active_runs()` from a signal handler) stops the kernel at
  once and removes the staging folder; an earlier complete result for the same period is left as it was.

The kernel is launched as soon as the params are valid, before papermill, nbformat and nbconvert are
imported (about a second in a fresh process, docs/performance.md): it boots while they load, and papermill
is handed the running kernel. It is still the first attempt at starting one (a kernel that dies while
booting is retried like any failed start), and it is shut down by this module, as papermill would have.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_client.manager import AsyncKernelManager

from .manifest import MANIFEST, write_manifest
from .params import AuditParams, load_params

if TYPE_CHECKING:  # imported where used: a fresh `auditlib run` starts the kernel before loading them
    import nbformat

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "institution_audit.ipynb"
NOTEBOOK_ENV = (
    "AUDITLIB_NOTEBOOK"  # another notebook with the same parameters cell (customisation, fault tests)
)
TEMPLATES = Path(__file__).resolve().parent / "report" / "templates"
NO_PDF_ENV = "AUDITLIB_NO_PDF"  # set (to anything but 0 or empty) by --no-pdf: no report.pdf
HIDDEN_TAGS = {"auditor", "parameters", "injected-parameters"}
OWNER_FILE = ".owner"  # `<host> <pid>` of the run that owns a staging folder, so a rerun can clear stale ones
INTERRUPT_GRACE = 5.0  # seconds a timed-out kernel gets to stop at an interrupt before it is killed
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]  # what nbclient passes to the kernels it starts itself


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
    note: str = ""  # e.g. resumed (complete output kept), kernel restarted after a failed start

    def row(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- the kernels of one run


class _Run:
    """One run's kernels, whether one of them became ready, and why the run was stopped (if it was)."""

    def __init__(self, deadline: float | None, stop: Callable[[], bool] | None):
        self.deadline, self.stop = deadline, stop
        self.kernels: list[AsyncKernelManager] = []
        self.clients: list = []  # kernel clients of kernels this module started (papermill closes its own)
        self.stopping: set[int] = set()  # kernels asked to shut down (`request_stop`), not yet waited for
        self.ready = False
        self.reason: str | None = None  # timeout | interrupted
        self.done = threading.Event()
        self.lock = threading.Lock()

    def manager_class(self) -> type:
        run = self

        class RunKernelManager(IPCKernelManager):
            async def start_kernel(self, **kw):
                with run.lock:
                    run.kernels.append(self)
                await AsyncKernelManager.start_kernel(self, **kw)
                if run.reason:  # stopped while the kernel was starting
                    run.signal_kernels(signal.SIGKILL)

            def client(self, **kwargs):
                kc = super().client(**kwargs)
                with run.lock:
                    run.clients.append(kc)
                wait = kc.wait_for_ready

                async def wait_for_ready(timeout=None):
                    await wait(timeout=timeout)
                    run.ready = True

                kc.wait_for_ready = wait_for_ready
                return kc

        return RunKernelManager

    def prestart(self, cwd: str) -> AsyncKernelManager:
        """Launch the run's first kernel now (papermill gets it as `km`), without waiting for it to be ready."""
        from jupyter_core.utils import run_sync

        km = self.manager_class()(kernel_name="python3")
        try:
            run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGS), cwd=cwd)
        except BaseException:
            self.dispose(km, graceful=False)
            raise
        return km

    def _close_clients(self) -> None:
        with self.lock:
            clients, self.clients = self.clients, []
        for kc in clients:
            with contextlib.suppress(Exception):
                kc.stop_channels()

    def request_stop(self, km: AsyncKernelManager | None) -> None:
        """Ask a kernel started by `prestart` to shut down and return at once: it exits (a second or so for a
        large kernel) while the report is converted; `dispose` then waits for it. Never raises."""
        from jupyter_core.utils import run_sync

        if km is None:
            return
        self._close_clients()
        with contextlib.suppress(Exception):
            run_sync(km.request_shutdown)()
            self.stopping.add(id(km))

    def dispose(self, km: AsyncKernelManager | None, graceful: bool) -> None:
        """Stop a kernel started by `prestart` (papermill stops only the kernels it started): close the clients,
        let it shut down (or kill it), remove its connection and socket files. Never raises."""
        from jupyter_core.utils import run_sync

        if km is None:
            return
        self._close_clients()
        with contextlib.suppress(Exception):
            if not graceful:
                run_sync(km.shutdown_kernel)(now=True)
            elif id(km) in self.stopping:
                run_sync(km.finish_shutdown)()  # waits, then terminates / kills one that does not stop
            else:
                run_sync(km.shutdown_kernel)(now=False)
        self.stopping.discard(id(km))
        with contextlib.suppress(Exception):
            run_sync(km.cleanup_resources)()

    def pids(self) -> list[int]:
        with self.lock:
            procs = [getattr(getattr(km, "provisioner", None), "process", None) for km in self.kernels]
        return [p.pid for p in procs if p is not None and p.poll() is None]

    def exit_codes(self) -> list[int]:
        with self.lock:
            procs = [getattr(getattr(km, "provisioner", None), "process", None) for km in self.kernels]
        return [p.poll() for p in procs if p is not None and p.poll() is not None]

    def signal_kernels(self, sig: int) -> None:
        for pid in self.pids():
            # the kernel leads its own process group (jupyter_client starts it in a new session): its
            # children (a subprocess a cell started) go with it
            with contextlib.suppress(OSError):
                os.killpg(pid, sig)
            with contextlib.suppress(OSError):
                os.kill(pid, sig)

    def halt(self, reason: str, grace: float) -> None:
        """Stop the run: interrupt the kernel (papermill then records the cell it was in), kill it if it
        has not stopped within `grace` seconds."""
        if self.reason:
            return
        self.reason = reason
        if grace > 0:
            self.signal_kernels(signal.SIGINT)
            if self.done.wait(grace):
                return
        self.signal_kernels(signal.SIGKILL)

    def watch(self) -> None:
        tick = 0
        while not self.done.wait(0.25):
            tick += 1
            if self.deadline is not None and time.monotonic() > self.deadline:
                self.halt("timeout", INTERRUPT_GRACE)
                return
            if self.stop is not None and tick % 8 == 0:
                try:
                    stop = self.stop()
                except Exception:  # noqa: BLE001 - a broken stop() must not end the watchdog
                    stop = False
                if stop:
                    self.halt("interrupted", 0)
                    return


_ACTIVE: set[_Run] = set()


def interrupt_active_runs() -> None:
    """Kill the kernels of every audit running in this process (from a signal handler: no locks taken
    beyond the run's own, no waiting)."""
    for run in list(_ACTIVE):
        run.reason = run.reason or "interrupted"
        run.signal_kernels(signal.SIGKILL)


# ---------------------------------------------------------------- output folders


def audit_dir(out_root: Path, params: AuditParams) -> Path:
    """`<out>/<institution_id>/<period_end>`; the id is validated, and the result must stay inside out."""
    root = out_root.resolve()
    target = (root / params.institution_id / params.period_end.isoformat()).resolve()
    if root not in target.parents:
        raise ValueError(f"output folder escapes {root}: {target}")
    return target


def examiner_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook as the examiner sees it: report outputs only, no code, streams or tracebacks."""
    import nbformat

    nb = nbformat.from_dict(nb)
    keep = []
    for cell in nb.cells:
        if cell.cell_type != "code" or HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        cell.outputs = [
            o
            for o in cell.outputs
            if o.output_type in ("display_data", "execute_result") and "text/html" in o.get("data", {})
        ]
        if cell.outputs:
            keep.append(cell)
    nb.cells = keep
    return nb


def export_html(nb_path: Path, html_path: Path, lang: str, title: str) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = examiner_notebook(nbformat.read(nb_path, as_version=4))
    exporter = HTMLExporter(
        template_name="auditlib",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
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


def _failed(stage: Path, target: Path, outcome: Outcome) -> Outcome:
    """Keep only the error and the failed notebook: nothing that could pass for a result."""
    try:
        for f in stage.iterdir():
            if f.name == "report.ipynb" and _readable_json(f):
                f.rename(stage / "report.failed.ipynb")
            elif f.is_dir():
                shutil.rmtree(f, ignore_errors=True)
            else:
                f.unlink()
        (stage / "error.txt").write_text(outcome.error + "\n", encoding="utf-8")
        _replace(stage, target)
    except OSError:
        # e.g. the disk is full: free what this run wrote and try to leave just the error
        shutil.rmtree(stage, ignore_errors=True)
        try:
            stage.mkdir(parents=True)
            (stage / "error.txt").write_text(outcome.error + "\n", encoding="utf-8")
            _replace(stage, target)
        except OSError as e:
            shutil.rmtree(stage, ignore_errors=True)
            outcome.error += f" (the error could not be written to {target}: {e.strerror or e})"
            outcome.report = ""
            return outcome
    outcome.report = str(target / "error.txt")
    return outcome


# ---------------------------------------------------------------- errors, in one line


def error_line(exc: BaseException) -> str:
    """One line for a failed run: the exception's name and message, no traceback."""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    text = f"{ename}: {evalue}".strip()
    return " ".join(text.split())[:2000]


def _cell_at_fault(nb_path: Path) -> str:
    """`cell N (first line of its code)` of the cell papermill marked running or failed, if any."""
    import nbformat

    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:  # noqa: BLE001 - no notebook written yet, or a partial one
        return ""
    # the last cell papermill started is the one that was running (papermill marks a cell whose kernel died
    # `completed`, so its status cannot be trusted)
    started = [
        (i, c)
        for i, c in enumerate(nb.cells, 1)
        if c.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if not started:
        return ""
    i, cell = started[-1]
    first = next(
        (line for line in cell.source.splitlines() if line.strip() and not line.lstrip().startswith("#")), ""
    )
    return f"cell {i} (`{first.strip()[:60]}`)"


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def describe_failure(
    exc: BaseException,
    run: _Run,
    nb_path: Path,
    timeout: float | None,
    cell_timeout: float | None,
    attempts: int,
) -> str:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    where = _cell_at_fault(nb_path)
    at = f" in {where}" if where else ""
    if run.reason == "timeout":
        return f"timed out: the audit ran longer than its {timeout:g} s limit (--timeout); stopped{at}"
    if run.reason == "interrupted":
        return f"interrupted while running{at}; rerun (with --resume) to complete it"
    if isinstance(exc, CellTimeoutError):
        return f"timed out: a cell ran longer than {cell_timeout:g} s (--cell-timeout){at}"
    if run.kernels and not run.ready and not where:
        return f"the Jupyter kernel failed to start ({attempts} attempts): {error_line(exc)}"
    if isinstance(exc, DeadKernelError):
        codes = [c for c in run.exit_codes() if c]
        how = (
            f" (killed by {_signal_name(codes[0])}" + (", possibly out of memory)" if codes[0] == -9 else ")")
            if codes and codes[0] < 0
            else (f" (exit status {codes[0]})" if codes else "")
        )
        return f"the Jupyter kernel died{at}{how}"
    text = error_line(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "[Errno 28]" in text:
        return f"output disk full (writing under {nb_path.parent.parent}): {text}"
    return text


# ---------------------------------------------------------------- one audit


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
    pdf: bool | None = None,
) -> Outcome:
    """Audit one institution. Bad params raise ParamsError (the caller's exit 2); a failed audit returns
    an Outcome with status `failed` and leaves its error, never a manifest.

    timeout: seconds for the whole audit (kernel start, every cell); cell_timeout: seconds per cell;
    kernel_retries: further attempts when the kernel fails to start; stop: polled every ~2 s, True
    stops the run as interrupted (a batch being cancelled on a remote worker).
    pdf: also write report.pdf (WeasyPrint, report/pdf.py); by default unless $AUDITLIB_NO_PDF (`--no-pdf`).
    """
    t0 = time.monotonic()
    params_path = Path(params_path).resolve()
    params = params or load_params(params_path)
    target = audit_dir(Path(out_root), params)
    notebook = Path(notebook or os.environ.get(NOTEBOOK_ENV) or NOTEBOOK)
    run_id = uuid.uuid4().hex[:12]
    stage = target.parent / f".{target.name}.{run_id}.tmp"
    outcome = Outcome(params.institution_id, "ok")
    try:
        clear_stale(target)
        stage.mkdir(parents=True)
        (stage / OWNER_FILE).write_text(_owner(), encoding="utf-8")
    except OSError as e:
        shutil.rmtree(stage, ignore_errors=True)
        outcome.status, outcome.error = "failed", describe_failure(e, _Run(None, None), stage, None, None, 0)
        outcome.seconds = round(time.monotonic() - t0, 2)
        return outcome
    # the kernel is the `python3` of this interpreter's environment, not whatever is first on PATH
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

    run = _Run(t0 + timeout if timeout else None, stop)
    _ACTIVE.add(run)
    watchdog = threading.Thread(target=run.watch, name=f"auditlib-watchdog-{run_id}", daemon=True)
    watchdog.start()
    attempts = 0
    km: AsyncKernelManager | None = None
    launch_error: Exception | None = None
    try:
        km = run.prestart(str(params_path.parent))  # boots while the imports below load
    except Exception as e:  # noqa: BLE001 - the first attempt's failure, handled (and retried) below
        launch_error = e
    graceful = False
    try:
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        from .notebook import RUN_FILE

        while True:
            attempts += 1
            try:
                if attempts == 1 and launch_error is not None:
                    raise launch_error
                first = {"km": km} if attempts == 1 and km is not None else {}
                pm.execute_notebook(
                    str(notebook),
                    str(stage / "report.ipynb"),
                    parameters={"params_file": str(params_path), "output_dir": str(stage), "run_id": run_id},
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=cell_timeout,
                    kernel_name="python3",
                    cwd=str(params_path.parent),
                    kernel_manager_class=run.manager_class(),
                    **first,
                )
                break
            except Exception as e:
                start_failed = (
                    bool(run.kernels)
                    and not run.ready
                    and not run.reason
                    and not isinstance(e, PapermillExecutionError)
                )
                if not start_failed or attempts > kernel_retries:
                    raise
                outcome.note = f"kernel restarted after a failed start ({error_line(e)[:200]})"
                run.dispose(km, graceful=False)
                km = None
                for f in stage.iterdir():
                    if f.name != OWNER_FILE:
                        shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink()
        graceful = True
        run.request_stop(km)  # papermill stops the kernels it started itself; this one exits during the HTML
        title = f"{params.institution_name} {params.period_end}"
        export_html(stage / "report.ipynb", stage / "report.html", params.language, title)
        run.dispose(km, graceful=True)
        km = None
        if pdf if pdf is not None else os.environ.get(NO_PDF_ENV, "") in ("", "0"):
            from .report.pdf import write_pdf

            write_pdf(stage / "report.html", stage / "report.pdf")
        info = json.loads((stage / RUN_FILE).read_text(encoding="utf-8"))
        (stage / RUN_FILE).unlink()
        (stage / OWNER_FILE).unlink()
        info.update(
            {
                "params_file": str(params_path),
                "status": "complete",
                "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }
        )
        write_manifest(stage, info)
        _replace(stage, target)
    except Exception as e:  # noqa: BLE001 - any failure of the run is this institution's failed audit
        outcome.status = "failed"
        outcome.error = describe_failure(e, run, stage / "report.ipynb", timeout, cell_timeout, attempts)
        outcome.seconds = round(time.monotonic() - t0, 2)
        if run.reason == "interrupted":  # like Ctrl-C: no trace, an earlier complete result stays as it was
            shutil.rmtree(stage, ignore_errors=True)
            return outcome
        return _failed(stage, target, outcome)
    except BaseException:  # Ctrl-C: leave no staging folder behind that could be mistaken for output
        run.signal_kernels(signal.SIGKILL)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        run.dispose(km, graceful=graceful)
        run.done.set()
        _ACTIVE.discard(run)
    outcome.findings = info["findings"]["total"]
    outcome.high, outcome.medium, outcome.low = (info["findings"][s] for s in ("high", "medium", "low"))
    outcome.seconds = round(time.monotonic() - t0, 2)
    outcome.report = str(target / "report.html")
    return outcome


def completed(target: Path, params: AuditParams) -> dict | None:
    """The manifest of a complete, unaltered run of these params in `target` (for --resume), else None."""
    from .manifest import verify

    path = target / MANIFEST
    if not path.is_file() or verify(target):
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if manifest.get("status") != "complete" or manifest.get("params") != params.model_dump(mode="json"):
        return None
    return manifest
