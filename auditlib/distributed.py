"""Run a batch on a Dask distributed cluster (`auditlib batch ... --scheduler tcp://host:8786`).

The same batch as on one machine (auditlib.batch: params validation, --resume, progress, summary, index);
only the executor differs: each audit is `run_one` on a Dask worker. The workers must have the same
auditlib installed and see the params files, the data folders and the output folder at the same paths
(a shared file system); run them with one thread each (`dask worker ADDRESS --nthreads 1 --nworkers N`),
since an audit is one Jupyter kernel. See docs/operations.md.

Ctrl-C cancels the audits that have not started and stops the running ones: a Dask `Event` is set that
the audits poll every ~2 s; they kill their kernel, remove their staging folder and report `interrupted`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from .batch import Executor, Job, quiet_logs, run_job, run_jobs
from .outcome import Outcome
from .signing import KEY_ENV


def _stop_flag(name: str, every: float = 2.0):
    """A cheap `stop()` for run_one: asks the scheduler whether the batch's Event is set, at most every 2
    s."""
    from distributed import Event, get_client

    event = Event(name, client=get_client())  # bound here: the watchdog asks from its own thread
    last = [0.0, False]

    def stop() -> bool:
        now = time.monotonic()
        if now - last[0] >= every:
            last[0] = now
            try:
                last[1] = event.is_set()
            except Exception:  # noqa: BLE001 - a scheduler hiccup is not a reason to stop an audit
                pass
        return last[1]

    return stop


def dask_run(
    path: str,
    out: str,
    timeout: float | None,
    cell_timeout: float | None,
    institution_id: str,
    cancel_event: str,
    sign_key: str | None = None,
) -> Outcome:
    """The task a Dask worker runs: one audit, stoppable through the batch's cancel Event."""
    quiet_logs()
    stop = _stop_flag(cancel_event)
    return run_job(path, out, timeout, cell_timeout, institution_id, stop=stop, sign_key=sign_key)


class DaskExecutor:
    def __init__(self, address: str, connect_timeout: float = 30):
        from distributed import Client

        self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.where = f" at {address}"
        self.cancel_event = f"auditlib-cancel-{uuid.uuid4().hex[:12]}"

    def submit(self, job: Job, out: Path, timeout, cell_timeout):
        return self.client.submit(
            dask_run,
            str(job.path),
            str(out),
            timeout,
            cell_timeout,
            job.institution_id,
            self.cancel_event,
            os.environ.get(KEY_ENV),  # the key file, at the same path on the workers (a shared file system)
            pure=False,
            key=f"audit-{job.institution_id}-{job.params.period_end}-{uuid.uuid4().hex[:8]}",
        )

    def as_completed(self, futures):
        from distributed import as_completed

        return as_completed(futures, loop=self.client.loop)

    def interrupt(self, unfinished, grace):
        from distributed import Event

        deadline = time.monotonic() + grace
        try:
            Event(self.cancel_event, client=self.client).set()
            while time.monotonic() < deadline and not all(f.done() for f in unfinished):
                time.sleep(0.2)
        except Exception:  # noqa: BLE001 - the scheduler is gone: cancel what is left
            pass
        finally:
            with contextlib.suppress(Exception):
                self.client.cancel([f for f in unfinished if not f.done()])

    def close(self):
        self.client.close()


def run_batch_dask(
    paths: Iterable[str | Path],
    out: str | Path,
    address: str,
    timeout: float | None = None,
    cell_timeout: float | None = None,
    resume: bool = False,
    stream=sys.stderr,
    tty: bool | None = None,
    connect_timeout: float = 30,
) -> tuple[list[Outcome], int]:
    """Run every params file on the Dask cluster at `address`; returns the outcomes and the number of bad
    params files (the same contract as auditlib.batch.run_batch)."""

    def dask(n_jobs: int) -> Executor:
        return DaskExecutor(address, connect_timeout)

    return run_jobs(
        paths, out, dask, timeout=timeout, cell_timeout=cell_timeout, resume=resume, stream=stream, tty=tty
    )
