"""Audit many institutions; one institution's failure never stops the others.

One code path for every executor: `plan` validates the params files (and skips complete outputs with
`--resume`), `run_jobs` submits the audits to an executor, collects their outcomes (shown by
`progress.Progress`), handles Ctrl-C / SIGTERM, and hands them to `report.index` for `batch_summary.csv`
and `index.html`. The executors differ only in where `run_one` runs: `LocalExecutor` (a process pool
on this machine, here) and `auditlib.distributed.DaskExecutor` (a Dask cluster).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .kernel import interrupt_active_runs
from .outcome import Failure, Outcome
from .params import AuditParams, ParamsError, load_params
from .progress import Progress
from .report.index import write_summary
from .runner import audit_dir, completed, run_one

INTERRUPT_GRACE = 30.0  # seconds running audits get to stop and clean up after Ctrl-C / SIGTERM
BEFORE_START = Failure("interrupted", scope="before")
WHILE_RUNNING = Failure("interrupted", scope="while")


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
            known.append(Outcome.failed(path.stem, Failure("bad_params", detail=str(e))))
            continue
        manifest = completed(target, params, path) if resume else None
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
    sign_key: str | None = None,
) -> Outcome:
    """One audit in a worker (a pool process or a Dask worker): an Outcome whatever happens. sign_key: the
    signing key file (a pool worker inherits $AUDITLIB_SIGNING_KEY; a Dask worker is given it)."""
    global _RUNNING
    if _STOPPING:
        return Outcome.failed(institution_id, BEFORE_START)
    _RUNNING = True
    try:
        if _STOPPING:
            return Outcome.failed(institution_id, BEFORE_START)
        return run_one(path, out, timeout=timeout, cell_timeout=cell_timeout, stop=stop, sign_key=sign_key)
    except KeyboardInterrupt:
        return Outcome.failed(institution_id, WHILE_RUNNING)
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
            return Outcome.failed(job.institution_id, BEFORE_START)
        failure = Failure("worker_lost", detail=f"the worker running it failed: {type(e).__name__}: {e}")
        return Outcome.failed(job.institution_id, failure)
    if not isinstance(outcome, Outcome):  # a Dask worker with another auditlib: rebuild from its fields
        outcome = Outcome(
            **{k: getattr(outcome, k) for k in Outcome.__dataclass_fields__ if hasattr(outcome, k)}
        )
    return outcome


@dataclass
class _Flight:
    """The audits of a batch in flight: which future is which job, which outcomes are collected."""

    jobs: list[Job]
    outcomes: list[Outcome]
    progress: Progress
    futures: dict[Any, Job] = field(default_factory=dict)
    done: set[Any] = field(default_factory=set)
    ex: Executor | None = None

    def unfinished(self) -> list[Any]:
        return [f for f in self.futures if f not in self.done]

    def settle(self, fut: Any, failure: Failure) -> Outcome:
        """The outcome of a future not collected: its result when it has one, else `failure`."""
        job = self.futures[fut]
        return _outcome(fut, job) if fut.done() else Outcome.failed(job.institution_id, failure)


def _submit_and_collect(f: _Flight, executor, out: Path, timeout, cell_timeout, skipped: int) -> None:
    if not f.jobs:
        return
    f.ex = executor(len(f.jobs))
    for job in f.jobs:
        f.futures[f.ex.submit(job, out, timeout, cell_timeout)] = job
    f.progress.started(min(f.ex.slots, len(f.jobs)), f.ex.slots, skipped, f.ex.where)
    for fut in f.ex.as_completed(list(f.futures)):
        outcome = _outcome(fut, f.futures[fut])
        f.done.add(fut)
        f.outcomes.append(outcome)
        f.progress.finished(outcome, min(f.ex.slots, len(f.futures) - len(f.done)))


def _stop_all(f: _Flight, stream) -> None:
    """Ctrl-C / SIGTERM: stop the running audits (a second Ctrl-C does not wait for them to clean up)."""
    f.progress.close()
    print(
        "auditlib: interrupted: stopping the running audits (Ctrl-C again to kill them)",
        file=stream,
        flush=True,
    )
    unfinished = f.unfinished()
    try:
        if f.ex is not None:
            f.ex.interrupt(unfinished, INTERRUPT_GRACE)
    except KeyboardInterrupt:
        pass
    f.outcomes += [f.settle(fut, WHILE_RUNNING) for fut in unfinished]


def _executor_lost(f: _Flight, e: Exception) -> None:
    """The executor itself failed (the scheduler unreachable or lost): every audit not done fails with why."""
    f.progress.close()
    what = f"{type(e).__name__}: {e}"
    detail = (
        f"not completed: the batch lost its executor{f.ex.where}: {what}"
        if f.ex
        else f"not run: the executor could not start: {what}"
    )
    reason = Failure("worker_lost", detail=detail)
    f.outcomes += [f.settle(fut, reason) for fut in f.unfinished()]
    ran = {o.institution_id for o in f.outcomes}
    f.outcomes += [Outcome.failed(j.institution_id, reason) for j in f.jobs if j.institution_id not in ran]


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
    flight = _Flight(jobs, outcomes, Progress(len(jobs), stream, tty))
    interrupted = False
    try:
        _submit_and_collect(flight, executor, out, timeout, cell_timeout, skipped)
    except KeyboardInterrupt:
        interrupted = True
        _stop_all(flight, stream)
    except Exception as e:  # noqa: BLE001 - the executor failed, not an audit
        _executor_lost(flight, e)
    finally:
        flight.progress.close()
        if flight.ex is not None:
            with contextlib.suppress(Exception):  # closing a lost executor
                flight.ex.close()
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
    """Run every params file on a local process pool; returns the outcomes and the number of bad params
    files."""

    def local(n_jobs: int) -> Executor:
        return LocalExecutor(max(1, min(workers or os.cpu_count() or 1, n_jobs)))

    return run_jobs(
        paths, out, local, timeout=timeout, cell_timeout=cell_timeout, resume=resume, stream=stream, tty=tty
    )


# ---------------------------------------------------------------- summary and index
