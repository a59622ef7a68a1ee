"""Shared helpers for the end-to-end benchmarks: run a command and poll its whole process tree.

Peak memory is the largest *sum* of RSS over the process tree (the CLI, its pool workers and the
Jupyter kernels), sampled every `interval` seconds: what the machine has to hold at once
(`/usr/bin/time -v` would report only the largest single process). CPU seconds are the tree's user +
system time, so a run on a machine shared with other jobs can be compared with one on an idle machine
(wall time stretches with contention, CPU time does not).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

GIB = 1024**3
ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
AUDITLIB = str(Path(sys.executable).parent / "auditlib")

#: the params of every benchmarked audit: the demo period, all rules
PARAMS = """institution_id: {institution_id}
institution_name: {name}
data_dir: {data}
period_start: 2025-01-01
period_end: 2025-12-31
as_of: 2026-01-31
language: zh
rules: all
"""


@dataclass
class Measured:
    returncode: int
    seconds: float  # wall
    peak_rss: int  # bytes, sum over the process tree
    cpu_seconds: float  # user + system of every process of the tree
    load_before: float = 0.0  # 1-minute load average when the run started (2 cores: > 2 means contention)
    stdout: str = field(default="", repr=False)
    stderr: str = field(default="", repr=False)
    samples: list = field(default_factory=list, repr=False)  # (unix time, tree RSS bytes)

    def row(self) -> dict:
        d = asdict(self)
        d.pop("stdout"), d.pop("stderr"), d.pop("samples")
        return d

    def peak_between(self, start: float, end: float) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


def run_measured(
    cmd: list[str],
    interval: float = 0.1,
    env: dict | None = None,
    cwd=None,
    timeout: float | None = None,
    mem_cap: int | None = None,
) -> Measured:
    """Run `cmd`; kill its tree after `timeout` seconds or when it holds more than `mem_cap` bytes (a
    benchmark must not push a shared machine into the OOM killer): returncode is then -9."""
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    root = psutil.Process(proc.pid)
    peak = 0
    cpu: dict[int, float] = {}
    out: list[str] = []
    err: list[str] = []
    samples: list[tuple[float, int]] = []

    def drain(stream, sink):
        for line in stream:
            sink.append(line)

    threads = [
        threading.Thread(target=drain, args=(proc.stdout, out), daemon=True),
        threading.Thread(target=drain, args=(proc.stderr, err), daemon=True),
    ]
    for t in threads:
        t.start()
    while proc.poll() is None:
        if (timeout and time.monotonic() - t0 > timeout) or (mem_cap and peak > mem_cap):
            for p in [root, *root.children(recursive=True)]:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            break
        total = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in procs:
            try:
                total += p.memory_info().rss
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        peak = max(peak, total)
        samples.append((time.time(), total))
        time.sleep(interval)
    proc.wait()
    seconds = time.monotonic() - t0
    for t in threads:
        t.join()
    # CPU: the last sample of each process of the tree (not children_*: a reaped child would count twice)
    return Measured(
        proc.returncode,
        round(seconds, 2),
        peak,
        round(sum(cpu.values()), 2),
        round(load, 2),
        "".join(out),
        "".join(err),
        samples,
    )


def machine() -> dict:
    mem = psutil.virtual_memory().total / GIB
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def cell_durations(nb_path: Path, measured: Measured | None = None) -> list[tuple[str, float, float]]:
    """(first line of code, seconds, peak GiB of the process tree during the cell) of every executed code
    cell, from papermill's metadata (start and end times) and the run's memory samples."""
    from datetime import datetime

    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    out = []
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        meta = c.get("metadata", {}).get("papermill", {})
        d = meta.get("duration")
        src = "".join(c["source"]).strip().splitlines()
        first = next((s for s in src if s.strip() and not s.startswith("#")), "")
        if d is None:
            continue
        peak = 0.0
        if measured is not None and meta.get("start_time") and meta.get("end_time"):
            start = datetime.fromisoformat(meta["start_time"].replace("Z", "+00:00")).timestamp()
            end = datetime.fromisoformat(meta["end_time"].replace("Z", "+00:00")).timestamp()
            peak = round(measured.peak_between(start, end) / GIB, 2)
        out.append((first[:50], round(d, 2), peak))
    return out


def gib(n: int) -> str:
    return f"{n / GIB:.2f}"
