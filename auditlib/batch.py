"""Audit many institutions; one institution's failure never stops the others.

One code path for every executor: `plan` validates the params files (and skips complete outputs with
`--resume`), `run_jobs` submits the audits to an executor, follows them with a progress bar (a terminal)
or log lines (cron, Airflow), handles Ctrl-C / SIGTERM, and writes `<out>/batch_summary.csv` and a
self-contained `<out>/index.html` (links to every report, exception rates rule by rule side by side, as a
table and a chart). The executors differ only in where `run_one` runs: `LocalExecutor` (a process pool
on this machine, here) and `auditlib.distributed.DaskExecutor` (a Dask cluster).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from .params import AuditParams, ParamsError, load_params
from .report.html import CSS, esc, fmt_rate, table_html
from .runner import Outcome, audit_dir, completed, interrupt_active_runs, run_one

SUMMARY_COLUMNS = [
    "institution_id",
    "status",
    "error",
    "findings",
    "high",
    "medium",
    "low",
    "seconds",
    "report",
    "note",
]
INTERRUPT_GRACE = 30.0  # seconds running audits get to stop and clean up after Ctrl-C / SIGTERM
INTERRUPTED = "interrupted before it started; rerun (with --resume) to complete it"


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Params files given directly, or every *.yaml / *.yml in a folder given."""
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted([*p.glob("*.yaml"), *p.glob("*.yml")]) if p.is_dir() else [p]
    return out


@dataclass
class Job:
    path: Path
    params: AuditParams
    target: Path

    @property
    def institution_id(self) -> str:
        return self.params.institution_id


def plan(
    paths: Iterable[str | Path], out: Path, resume: bool = False
) -> tuple[list[Job], list[Outcome], int]:
    """Validate every params file. Returns the audits to run, the outcomes already known (bad params,
    and with `resume` the complete outputs kept) and the number of bad params files."""
    jobs: list[Job] = []
    known: list[Outcome] = []
    seen: dict[Path, Path] = {}
    bad = 0
    for path in expand(paths):
        try:
            params = load_params(path)
            target = audit_dir(out, params)
            if target in seen:
                raise ParamsError(str(path), [f"same institution and period as {seen[target]}"])
            seen[target] = path
        except (ParamsError, ValueError, OSError) as e:
            bad += 1
            known.append(Outcome(path.stem, "failed", error=f"bad params: {e}"))
            continue
        manifest = completed(target, params) if resume else None
        if manifest is None:
            jobs.append(Job(path.resolve(), params, target))
            continue
        f = manifest.get("findings", {})
        known.append(
            Outcome(
                params.institution_id,
                "ok",
                findings=f.get("total", 0),
                high=f.get("high", 0),
                medium=f.get("medium", 0),
                low=f.get("low", 0),
                report=str(target / "report.html"),
                note=f"resumed: complete output of {manifest.get('finished_at', '?')} kept",
            )
        )
    return jobs, known, bad


# ---------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on a terminal (done, failed, running, elapsed, ETA), redrawn every second;
    plain log lines otherwise (cron, Airflow)."""

    def __init__(self, total: int, stream=sys.stderr, tty: bool | None = None):
        self.total, self.stream, self.t0 = total, stream, time.monotonic()
        self.done = self.failed = self.running = 0
        self.tty = stream.isatty() if tty is None else tty
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None

    def log(self, text: str) -> None:
        if not self.tty:
            stamp = dt.datetime.now().isoformat(timespec="seconds")
            print(f"{stamp} {text}", file=self.stream, flush=True)

    def started(self, running: int, workers: int, skipped: int = 0, where: str = "") -> None:
        self.running = running
        self.log(
            f"batch: {self.total} audits on {workers} workers{where}"
            + (f", {skipped} already complete (--resume)" if skipped else "")
        )
        if self.tty and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="auditlib-progress", daemon=True)
            self._ticker.start()
        self._draw()

    def finished(self, outcome: Outcome, running: int) -> None:
        with self._lock:
            self.done += 1
            self.failed += outcome.status != "ok"
            self.running = running
        if self.tty:
            self._draw()
        else:
            tail = f"findings={outcome.findings}" if outcome.status == "ok" else f"error={outcome.error}"
            self.log(
                f"{outcome.institution_id} {outcome.status} {outcome.seconds:.1f}s {tail} "
                f"[{self.done}/{self.total}]"
            )

    def line(self) -> str:
        elapsed = time.monotonic() - self.t0
        eta = f"{elapsed / self.done * (self.total - self.done):4.0f}s" if self.done else "   ?"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        return (
            f"[{bar}] {self.done}/{self.total} done, {self.failed} failed, {self.running} running, "
            f"{elapsed:5.0f}s elapsed, ETA {eta}"
        )

    def _draw(self) -> None:
        if not self.tty:
            return
        with self._lock:
            self.stream.write("\r" + self.line() + " ")
            self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.tty:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()


# ---------------------------------------------------------------- executors


class Executor(Protocol):
    """Where the audits run. `submit` returns a future of an Outcome."""

    slots: int  # audits that run at once
    where: str  # for the log, e.g. " at tcp://10.0.0.5:8786"

    def submit(self, job: Job, out: Path, timeout: float | None, cell_timeout: float | None) -> Any: ...

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]: ...

    def interrupt(self, unfinished: list[Any], grace: float) -> None:
        """Cancel what has not started, stop what runs (its run cleans up), wait up to `grace` s."""

    def close(self) -> None: ...


_STOPPING = False  # in a pool worker: the batch is being interrupted
_RUNNING = False  # in a pool worker: an audit is running


def _worker_init() -> None:
    """Pool workers leave Ctrl-C to the batch (which stops them with SIGTERM, in order) and stay quiet."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)
    quiet_logs()


def _worker_sigterm(signum, frame) -> None:
    global _STOPPING
    _STOPPING = True
    if _RUNNING:
        interrupt_active_runs()  # the kernel goes at once; run_one then removes its staging folder
        raise KeyboardInterrupt


def quiet_logs() -> None:
    """nbclient/papermill log kernel trouble on stderr; the outcome's one-line error says it already."""
    for name in ("traitlets", "papermill", "nbclient"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def run_job(
    path: str,
    out: str,
    timeout: float | None,
    cell_timeout: float | None,
    institution_id: str,
    stop: Callable[[], bool] | None = None,
) -> Outcome:
    """One audit in a worker (a pool process or a Dask worker): an Outcome whatever happens."""
    global _RUNNING
    if _STOPPING:
        return Outcome(institution_id, "failed", error=INTERRUPTED)
    _RUNNING = True
    try:
        if _STOPPING:
            return Outcome(institution_id, "failed", error=INTERRUPTED)
        return run_one(path, out, timeout=timeout, cell_timeout=cell_timeout, stop=stop)
    except KeyboardInterrupt:
        return Outcome(
            institution_id, "failed", error="interrupted while running; rerun (with --resume) to complete it"
        )
    finally:
        _RUNNING = False


class LocalExecutor:
    """A pool of processes on this machine (spawned: kernels and zmq threads do not survive fork)."""

    def __init__(self, workers: int):
        self.slots, self.where = workers, ""
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
        )

    def submit(self, job, out, timeout, cell_timeout):
        return self.pool.submit(run_job, str(job.path), str(out), timeout, cell_timeout, job.institution_id)

    def as_completed(self, futures):
        return cf.as_completed(futures)

    def interrupt(self, unfinished, grace):
        for f in unfinished:
            f.cancel()
        procs = list((self.pool._processes or {}).values())
        for p in procs:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except OSError:
                pass
        cf.wait([f for f in unfinished if not f.cancelled()], timeout=grace)
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # a worker that did not stop in time: its kernel exits with it (parent poller)
            if p.is_alive():
                p.kill()

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C / SIGTERM: the summary was written with what completed and what did not."""

    def __init__(self, outcomes: list[Outcome], bad_params: int):
        super().__init__("batch interrupted")
        self.outcomes, self.bad_params = outcomes, bad_params


def _outcome(fut: Any, job: Job) -> Outcome:
    try:
        outcome = fut.result()
    except BaseException as e:  # noqa: BLE001 - a worker that died is that institution's failure
        if isinstance(e, cf.CancelledError) or type(e).__name__ == "CancelledError":
            return Outcome(job.institution_id, "failed", error=INTERRUPTED)
        return Outcome(
            job.institution_id, "failed", error=f"the worker running it failed: {type(e).__name__}: {e}"
        )
    if not isinstance(outcome, Outcome):  # a Dask worker with another auditlib: rebuild from its fields
        outcome = Outcome(
            **{k: getattr(outcome, k) for k in Outcome.__dataclass_fields__ if hasattr(outcome, k)}
        )
    return outcome


def run_jobs(
    paths: Iterable[str | Path],
    out: str | Path,
    executor: Callable[[int], Executor],
    timeout: float | None = None,
    cell_timeout: float | None = None,
    resume: bool = False,
    stream=sys.stderr,
    tty: bool | None = None,
) -> tuple[list[Outcome], int]:
    """Validate, run every audit on the executor made by `executor(number_of_jobs)`, write the summary.

    Returns the outcomes (sorted by institution) and the number of bad params files. Raises
    BatchInterrupted (a KeyboardInterrupt) after writing the summary when interrupted.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    jobs, outcomes, bad = plan(paths, out, resume)
    skipped = sum(1 for o in outcomes if o.status == "ok")
    progress = Progress(len(jobs), stream, tty)
    futures: dict[Any, Job] = {}
    done: set[Any] = set()
    interrupted = False
    ex: Executor | None = None
    try:
        if jobs:
            ex = executor(len(jobs))
            for job in jobs:
                futures[ex.submit(job, out, timeout, cell_timeout)] = job
            progress.started(min(ex.slots, len(jobs)), ex.slots, skipped, ex.where)
            for fut in ex.as_completed(list(futures)):
                outcome = _outcome(fut, futures[fut])
                done.add(fut)
                outcomes.append(outcome)
                progress.finished(outcome, min(ex.slots, len(futures) - len(done)))
    except KeyboardInterrupt:
        interrupted = True
        progress.close()
        print(
            "auditlib: interrupted: stopping the running audits (Ctrl-C again to kill them)",
            file=stream,
            flush=True,
        )
        unfinished = [f for f in futures if f not in done]
        try:
            if ex is not None:
                ex.interrupt(unfinished, INTERRUPT_GRACE)
        except KeyboardInterrupt:  # Ctrl-C again: do not wait for the audits to clean up
            pass
        for fut in unfinished:
            job = futures[fut]
            outcomes.append(
                _outcome(fut, job)
                if fut.done()
                else Outcome(
                    job.institution_id,
                    "failed",
                    error="interrupted while running; rerun (with --resume) to complete it",
                )
            )
    except Exception as e:  # noqa: BLE001 - the executor itself failed (scheduler unreachable or lost)
        progress.close()
        reason = (
            f"not completed: the batch lost its executor{ex.where}: {type(e).__name__}: {e}"
            if ex
            else f"not run: the executor could not start: {type(e).__name__}: {e}"
        )
        for fut, job in futures.items():
            if fut not in done:
                outcomes.append(
                    _outcome(fut, job) if fut.done() else Outcome(job.institution_id, "failed", error=reason)
                )
        ran = {o.institution_id for o in outcomes}
        outcomes += [
            Outcome(j.institution_id, "failed", error=reason) for j in jobs if j.institution_id not in ran
        ]
    finally:
        progress.close()
        if ex is not None:
            try:
                ex.close()
            except Exception:  # noqa: BLE001 - closing a lost executor
                pass
    outcomes.sort(key=lambda o: o.institution_id)
    try:
        write_summary(outcomes, out)
    except OSError as e:  # e.g. the disk is full: the outcomes still reach stderr and the exit status
        print(f"auditlib: error: could not write the batch summary in {out}: {e}", file=stream, flush=True)
    if interrupted:
        raise BatchInterrupted(outcomes, bad)
    return outcomes, bad


def run_batch(
    paths: list[str | Path],
    out: str | Path = "outputs",
    workers: int | None = None,
    timeout: float | None = None,
    stream=sys.stderr,
    cell_timeout: float | None = None,
    resume: bool = False,
    tty: bool | None = None,
) -> tuple[list[Outcome], int]:
    """Run every params file on a local process pool; returns the outcomes and the number of bad params files."""

    def local(n_jobs: int) -> Executor:
        return LocalExecutor(max(1, min(workers or os.cpu_count() or 1, n_jobs)))

    return run_jobs(
        paths, out, local, timeout=timeout, cell_timeout=cell_timeout, resume=resume, stream=stream, tty=tty
    )


# ---------------------------------------------------------------- summary and index


def write_summary(outcomes: list[Outcome], out: Path) -> None:
    rows = pd.DataFrame([o.row() for o in outcomes], columns=SUMMARY_COLUMNS)
    rows["report"] = [os.path.relpath(r, out) if r else "" for r in rows["report"]]
    rows.to_csv(out / "batch_summary.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    (out / "index.html").write_text(index_html(rows, out), encoding="utf-8")


def _rates(rows: pd.DataFrame, out: Path) -> pd.DataFrame:
    """Exception rates per rule (rows) and institution (columns), from each completed audit."""
    cols = {}
    for r in rows[rows["status"] == "ok"].itertuples():
        summary = out / Path(r.report).parent / "rule_summary.csv"
        if summary.is_file():
            s = pd.read_csv(summary, dtype={"rule_code": str}, encoding="utf-8-sig")
            cols[r.institution_id] = s.set_index("rule_code")["exception_rate"]
    return pd.DataFrame(cols)


def rates_chart(rates: pd.DataFrame) -> str:
    """A heat map of exception rates, rules across, institutions down (only rules with a rate somewhere)."""
    import numpy as np
    from matplotlib.colors import PowerNorm

    from .report.charts import figure_html, new_figure

    shown = rates.dropna(how="all")
    shown = shown[(shown.fillna(0) > 0).any(axis=1)]
    if shown.empty:
        return ""
    data = shown.T.astype(float)  # institutions x rules
    n_inst, n_rules = data.shape
    fig, ax = new_figure(max(6.0, 0.32 * n_rules + 2.5), max(2.2, 0.32 * n_inst + 1.6))
    values = np.ma.masked_invalid(data.to_numpy())
    top = max(float(np.nanmax(data.to_numpy())), 1e-6)
    im = ax.imshow(values, aspect="auto", cmap="OrRd", norm=PowerNorm(0.5, vmin=0, vmax=top))
    ax.set_xticks(range(n_rules), data.columns, rotation=90, fontsize=7)
    ax.set_yticks(range(n_inst), data.index, fontsize=7)
    if n_inst * n_rules <= 400:
        for i in range(n_inst):
            for j in range(n_rules):
                v = data.iat[i, j]
                if pd.notna(v) and v > 0:
                    ax.text(
                        j,
                        i,
                        f"{v:.0%}" if v >= 0.01 else "<1%",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if v > top * 0.5 else "black",
                    )
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.set_title("例外率（规则 × 机构）/ Exception rate by rule and institution", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, format=lambda v, _: f"{v:.0%}")
    return figure_html(fig, alt="Exception rate by rule and institution")


def index_html(rows: pd.DataFrame, out: Path) -> str:
    links = []
    for r in rows.itertuples():
        link = f'<a href="{esc(r.report)}">{esc(r.report)}</a>' if r.report else ""
        links.append(link)
    table = rows.drop(columns=["report"]).assign(report=links)
    rates = _rates(rows, out)
    comparison = ""
    if not rates.empty:
        shown = rates.map(fmt_rate).reset_index().rename(columns={"index": "rule_code"})
        comparison = (
            "<h2>Exception rate by rule / 各机构例外率对比</h2>"
            + rates_chart(rates)
            + table_html(shown, numeric=shown.columns[1:])
        )
    ok = int((rows["status"] == "ok").sum())
    return (
        '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\"><title>auditlib batch</title>"
        f'<style>{CSS}</style></head><body><div class="al"><h1>Batch summary / 批量检查汇总</h1>'
        f'<p class="muted">{esc(dt.datetime.now().isoformat(timespec="seconds"))} · '
        f"{ok} ok / 完成, {len(rows) - ok} failed / 失败</p>"
        + table_html(table, numeric=("findings", "high", "medium", "low", "seconds"), trusted=("report",))
        + comparison
        + "</div></body></html>"
    )
