"""Helpers for the batch, Dask and fault tests (no tests here).

`fault_notebook` is the audit notebook with one cell added after the parameters: it records the kernel's
pid in $FAULT_PIDS and sleeps $FAULT_SLEEP seconds, so a test can find the kernel and hang it, kill it or
interrupt the batch while audits are running. The runner takes it through $AUDITLIB_NOTEBOOK.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from helpers import SOD_DATA, bundle_dir, write_params

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "institution_audit.ipynb"
FAULT_CELL = (
    "import os, pathlib, time\n"
    "if os.environ.get('FAULT_PIDS'):\n"
    "    pathlib.Path(os.environ['FAULT_PIDS'], str(os.getpid())).write_text('')\n"
    "time.sleep(float(os.environ.get('FAULT_SLEEP', '0')))"
)


def fault_notebook(path: Path) -> Path:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(FAULT_CELL))
    nbformat.write(nb, path)
    return path


def institutions(root: Path, ids=("inst-a", "inst-b")) -> Path:
    """Small institutions (the SOD test bundle, SOD rules only) sharing one data folder; returns params/."""
    bundle_dir(root / "data", SOD_DATA)
    for i in ids:
        write_params(root / "params" / f"{i}.yaml", "../data", institution_id=i, rules="[SOD]")
    return root / "params"


def fault_env(tmp_path: Path, sleep: float = 0) -> dict:
    pids = tmp_path / "pids"
    pids.mkdir(exist_ok=True)
    nb = tmp_path / "fault.ipynb"
    if not nb.exists():
        fault_notebook(nb)
    return {"AUDITLIB_NOTEBOOK": str(nb), "FAULT_SLEEP": str(sleep), "FAULT_PIDS": str(pids)}


def kernel_pids(tmp_path: Path) -> list[int]:
    return [int(p.name) for p in (tmp_path / "pids").iterdir()]


def wait_for_kernels(tmp_path: Path, n: int, timeout: float = 120) -> list[int]:
    t0 = time.monotonic()
    while len(kernel_pids(tmp_path)) < n:
        assert time.monotonic() - t0 < timeout, "the kernels did not start"
        time.sleep(0.1)
    return kernel_pids(tmp_path)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (killed, not yet reaped by its parent) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def gone(pids, timeout: float = 10) -> bool:
    t0 = time.monotonic()
    while any(alive(p) for p in pids):
        if time.monotonic() - t0 > timeout:
            return False
        time.sleep(0.1)
    return True


def cli(*args, env: dict | None = None, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auditlib.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        **kw,
    )


def _as_a_terminal_runs_it() -> None:
    # A shell started in the background (`cmd &`, nohup) ignores SIGINT and SIGQUIT, and its children
    # inherit that: Python then installs no KeyboardInterrupt handler, so Ctrl-C would not reach the CLI
    # under test when the suite itself runs in the background. A terminal's child has the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def cli_background(*args, env: dict | None = None) -> subprocess.Popen:
    """The CLI in its own process group, as a terminal runs it (Ctrl-C reaches the whole group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "auditlib.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        preexec_fn=_as_a_terminal_runs_it,
    )


def interrupt_group(p: subprocess.Popen, sig=signal.SIGINT) -> None:
    os.killpg(p.pid, sig)


def leftovers(out: Path) -> list[Path]:
    """Staging folders and the like: hidden entries anywhere under the output root."""
    return [p for p in out.rglob(".*")]


def complete(folder: Path) -> bool:
    from auditlib.manifest import verify

    return (folder / "manifest.json").is_file() and verify(folder) == []


def summary(out: Path) -> list[dict]:
    import pandas as pd

    return pd.read_csv(
        out / "batch_summary.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    ).to_dict("records")


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
