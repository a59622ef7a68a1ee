"""The Jupyter kernel of an audit: launched, watched and stopped here (the runner's faults,
docs/operations.md).

- `AuditKernelManager`: the one kernel manager of the package. Kernels talk over Unix sockets (no TCP ports
  to clash between parallel audits, no unencrypted-TCP warning on the operator's console), and the manager
  keeps the clients it hands out so that they are closed with the kernel (papermill, given a running kernel,
  leaves its client open).
- `kernel(watch, cwd)`: a context manager. The kernel is launched on entry, without waiting for it to be
  ready (it boots while the caller imports papermill and nbconvert, about a second in a fresh process);
  on exit it is waited for when the block ended normally (after `request_stop`: it exits while the caller
  converts the report), killed otherwise, and its connection and socket files are removed.
- `Watch`: one audit's watchdog. The whole audit's deadline (`timeout`: the kernel is interrupted, so the
  failed notebook shows the cell that was running, then killed if it does not stop), a `stop()` poll (a
  cancelled batch on a remote worker), and `interrupt_active_runs()` for a signal handler.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

INTERRUPT_GRACE = 5.0  # seconds a timed-out kernel gets to stop at an interrupt before it is killed
KERNEL_ARGS = ("--HistoryManager.hist_file=:memory:",)  # what nbclient passes to the kernels it starts


def kernel_env(changes: dict[str, str | None] | None = None) -> dict[str, str]:
    """The kernel's environment: this process's, with this interpreter's folder first on PATH, so that the
    kernel and what it starts are this environment's and not whatever is first on PATH, and `changes` (None:
    removed). Built for each kernel; this process's own environment is never changed (a long-lived pool
    worker's PATH stays as it was)."""
    env = dict(os.environ)
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    here = str(Path(sys.executable).parent)
    path = env.get("PATH", "")
    if path.split(os.pathsep)[0] != here:
        env["PATH"] = here + (os.pathsep + path if path else "")
    return env


class AuditKernelManager(AsyncKernelManager):
    """A kernel over Unix sockets that closes, with the kernel, every client it handed out."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        # socket files are `<ip>-<n>`; the default `kernel-ipc` in the working directory would collide
        # between audits run in parallel from the same folder
        kwargs.setdefault("ip", os.path.join(tempfile.gettempdir(), f"auditlib-{uuid.uuid4().hex[:16]}"))
        super().__init__(**kwargs)
        self.issued: list = []  # the clients of this kernel (papermill's among them)
        self.stop_requested = False
        self.stopped = False
        self.exit_status: int | None = None  # how the kernel had ended before it was stopped, if it had

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        self.issued.append(kc)
        return kc

    def close_clients(self) -> None:
        clients, self.issued = self.issued, []
        for kc in clients:
            with contextlib.suppress(Exception):
                kc.stop_channels()

    def request_stop(self) -> None:
        """Ask the kernel to shut down and return at once (it exits, a second or so for a large kernel, while
        the caller goes on); leaving `kernel()` then waits for it. Never raises."""
        self.close_clients()
        with contextlib.suppress(Exception):
            run_sync(self.request_shutdown)()
            self.stop_requested = True

    def stop(self, graceful: bool) -> None:
        """Let the kernel shut down (or kill it), remove its connection and socket files. Never raises."""
        self.exit_status, self.stopped = self.ended(), True
        self.close_clients()
        with contextlib.suppress(Exception):
            if not graceful:
                run_sync(self.shutdown_kernel)(now=True)
            elif self.stop_requested:
                run_sync(self.finish_shutdown)()  # waits, then terminates / kills one that does not stop
            else:
                run_sync(self.shutdown_kernel)(now=False)
        with contextlib.suppress(Exception):
            run_sync(self.cleanup_resources)()

    def process(self):
        return getattr(getattr(self, "provisioner", None), "process", None)

    def ended(self) -> int | None:
        """The exit status of a kernel that has ended (negative: the signal), None while it runs; once it
        was stopped, how it had ended before that."""
        if self.stopped:
            return self.exit_status
        process = self.process()
        return process.poll() if process is not None else None


class Watch:
    """One audit's kernels, whether one of them became ready, and why the audit was stopped (if it was)."""

    def __init__(self, deadline: float | None = None, stop: Callable[[], bool] | None = None):
        self.deadline, self.stop = deadline, stop
        self.kernels: list[AuditKernelManager] = []
        self.ready = False
        self.reason: str | None = None  # timeout | interrupted
        self.done = threading.Event()
        self.lock = threading.Lock()

    def mark_ready(self, **_) -> None:
        """nbclient's `on_notebook_start` hook: the kernel answered and the first cell is about to run."""
        self.ready = True

    def pids(self) -> list[int]:
        with self.lock:
            processes = [km.process() for km in self.kernels]
        return [p.pid for p in processes if p is not None and p.poll() is None]

    def exit_codes(self) -> list[int]:
        """How the kernels that had ended on their own ended (a negative code: the signal that killed it)."""
        with self.lock:
            codes = [km.ended() for km in self.kernels]
        return [c for c in codes if c is not None]

    def signal_kernels(self, sig: int) -> None:
        for pid in self.pids():
            # the kernel leads its own process group (jupyter_client starts it in a new session): its
            # children (a subprocess a cell started) go with it
            with contextlib.suppress(OSError):
                os.killpg(pid, sig)
            with contextlib.suppress(OSError):
                os.kill(pid, sig)

    def halt(self, reason: str, grace: float) -> None:
        """Stop the audit: interrupt the kernel (papermill then records the cell it was in), kill it if it
        has not stopped within `grace` seconds."""
        if self.reason:
            return
        self.reason = reason
        if grace > 0:
            self.signal_kernels(signal.SIGINT)
            if self.done.wait(grace):
                return
        self.signal_kernels(signal.SIGKILL)

    def _stop_asked(self) -> bool:
        try:
            return bool(self.stop and self.stop())
        except Exception:  # noqa: BLE001 - a broken stop() must not end the watchdog
            return False

    def watch(self) -> None:
        tick = 0
        while not self.done.wait(0.25):
            tick += 1
            if self.deadline is not None and time.monotonic() > self.deadline:
                self.halt("timeout", INTERRUPT_GRACE)
                return
            if tick % 8 == 0 and self._stop_asked():
                self.halt("interrupted", 0)
                return


_ACTIVE: set[Watch] = set()


@contextlib.contextmanager
def watching(watch: Watch) -> Iterator[Watch]:
    """The watchdog runs (and `interrupt_active_runs` reaches the audit's kernels) inside the block."""
    _ACTIVE.add(watch)
    thread = threading.Thread(target=watch.watch, name="auditlib-watchdog", daemon=True)
    thread.start()
    try:
        yield watch
    finally:
        watch.done.set()
        _ACTIVE.discard(watch)


def interrupt_active_runs() -> None:
    """Kill the kernels of every audit running in this process (from a signal handler: no locks taken
    beyond the audit's own, no waiting)."""
    for watch in list(_ACTIVE):
        watch.reason = watch.reason or "interrupted"
        watch.signal_kernels(signal.SIGKILL)


@contextlib.contextmanager
def kernel(watch: Watch, cwd: str, env: dict[str, str] | None = None) -> Iterator[AuditKernelManager]:
    """A `python3` kernel for one attempt at running the notebook, launched now and stopped on leaving;
    `env`: its environment (default `kernel_env()`)."""
    km = AuditKernelManager(kernel_name="python3")
    with watch.lock:
        watch.kernels.append(km)
    graceful = False
    try:
        run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGS), cwd=cwd, env=env or kernel_env())
        if watch.reason:  # stopped while the kernel was starting
            watch.signal_kernels(signal.SIGKILL)
        yield km
        graceful = True
    finally:
        km.stop(graceful)
