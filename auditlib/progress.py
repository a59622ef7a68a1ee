"""How a batch shows its progress: a one-line bar on a terminal, plain log lines otherwise (cron, Airflow)."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time


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

    def finished(self, outcome, running: int) -> None:
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
