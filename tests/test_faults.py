"""Runtime faults (#8): a hung audit timing out, a kernel killed mid-run, a kernel that fails to start,
a batch interrupted with Ctrl-C or SIGTERM, the output disk full. In every case no folder looks complete
(manifest present) unless it is, no staging folder or kernel is left behind, the summary says what failed
and why, and a rerun repairs it."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_batch_helpers import (
    alive,
    cli,
    cli_background,
    complete,
    fault_env,
    gone,
    institutions,
    interrupt_group,
    leftovers,
    summary,
    wait_for_kernels,
)

pytestmark = pytest.mark.slow
FOLDER = Path("inst-a") / "2025-12-31"


def failed_folder(folder: Path) -> bool:
    """What a failed run leaves: its error (and the failed notebook), no manifest."""
    return (folder / "error.txt").is_file() and not (folder / "manifest.json").exists()


def test_whole_audit_timeout_stops_a_hung_cell(tmp_path):
    params = institutions(tmp_path, ("inst-a",)) / "inst-a.yaml"
    out = tmp_path / "out"
    # 20 s: the kernel must reach the hung cell first (6 s was seen not to be enough on a loaded machine)
    p = cli("run", params, "--out", out, "--timeout", "20", env=fault_env(tmp_path, sleep=600), timeout=120)
    assert p.returncode == 1, p.stderr
    assert "timed out: the audit ran longer than its 20 s limit (--timeout)" in p.stderr
    assert len(p.stderr.strip().splitlines()) <= 2 and "Traceback" not in p.stderr
    assert failed_folder(out / FOLDER) and not leftovers(out)
    assert gone([int(p) for p in os.listdir(tmp_path / "pids")])
    error = (out / FOLDER / "error.txt").read_text(encoding="utf-8").splitlines()
    assert error[0] == p.stderr.splitlines()[0].split("audit failed: ")[1]
    assert {"kind: timeout", "scope: audit", "limit: 20.0"} <= set(error)
    assert any(re.fullmatch(r"cell: \d+", line) for line in error), error  # the cell that was running
    # the failed notebook shows where it stopped
    assert "KeyboardInterrupt" in (out / FOLDER / "report.failed.ipynb").read_text(encoding="utf-8")


def test_cell_timeout(tmp_path):
    params = institutions(tmp_path, ("inst-a",)) / "inst-a.yaml"
    p = cli(
        "run",
        params,
        "--out",
        tmp_path / "out",
        "--cell-timeout",
        "3",
        env=fault_env(tmp_path, sleep=600),
        timeout=120,
    )
    assert p.returncode == 1
    assert "a cell ran longer than 3 s (--cell-timeout)" in p.stderr
    assert failed_folder(tmp_path / "out" / FOLDER)
    error = (tmp_path / "out" / FOLDER / "error.txt").read_text(encoding="utf-8").splitlines()
    assert {"kind: timeout", "scope: cell"} <= set(error) and any(e.startswith("cell: ") for e in error)


def test_kernel_killed_mid_run_then_rerun_repairs(tmp_path):
    params = institutions(tmp_path, ("inst-a",)) / "inst-a.yaml"
    out = tmp_path / "out"
    # an earlier complete result for the same period
    assert cli("run", params, "--out", out).returncode == 0
    assert complete(out / FOLDER)
    run = cli_background("run", params, "--out", out, env=fault_env(tmp_path, sleep=600))
    (pid,) = wait_for_kernels(tmp_path, 1)
    os.kill(pid, signal.SIGKILL)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1
    assert "the Jupyter kernel died in cell" in err and "SIGKILL" in err
    folder = out / FOLDER
    assert {"kind: kernel_died", "signal: SIGKILL"} <= set((folder / "error.txt").read_text().splitlines())
    assert failed_folder(folder), "the folder shows the latest (failed) run, not the earlier result"
    assert not leftovers(out)
    # rerun repairs
    p = cli("run", params, "--out", out)
    assert p.returncode == 0, p.stderr
    assert complete(folder) and not (folder / "error.txt").exists()


def _flaky_kernel(tmp_path: Path, failures: int) -> dict:
    """A `python3` kernelspec (found first through JUPYTER_PATH) whose first `failures` starts exit at
    once."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    launcher = tmp_path / "flaky_kernel.py"
    launcher.write_text(
        "import os, sys\n"
        "flag = os.environ['FAULT_FAIL_STARTS']\n"
        "n = int(open(flag).read())\n"
        "if n > 0:\n"
        "    open(flag, 'w').write(str(n - 1))\n"
        "    sys.exit(3)\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', *sys.argv[1:]])\n"
    )
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
                "display_name": "flaky",
                "language": "python",
            }
        )
    )
    (tmp_path / "fails").write_text(str(failures))
    return {"JUPYTER_PATH": str(tmp_path / "jupyter"), "FAULT_FAIL_STARTS": str(tmp_path / "fails")}


def test_kernel_start_failure_is_retried_once(tmp_path, monkeypatch):
    from auditlib.runner import run_one

    params = institutions(tmp_path, ("inst-a",)) / "inst-a.yaml"
    for k, v in _flaky_kernel(tmp_path, failures=1).items():
        monkeypatch.setenv(k, v)
    outcome = run_one(params, tmp_path / "out")
    assert outcome.status == "ok", outcome.error
    assert "kernel restarted after a failed start" in outcome.note
    assert complete(tmp_path / "out" / FOLDER)


def test_kernel_that_never_starts_is_a_clear_error(tmp_path):
    params = institutions(tmp_path, ("inst-a",)) / "inst-a.yaml"
    p = cli("run", params, "--out", tmp_path / "out", env=_flaky_kernel(tmp_path, failures=5))
    assert p.returncode == 1
    assert "the Jupyter kernel failed to start (2 attempts)" in p.stderr
    assert len(p.stderr.strip().splitlines()) <= 2, p.stderr
    assert (tmp_path / "fails").read_text() == "3", "started exactly twice"
    assert failed_folder(tmp_path / "out" / FOLDER)
    error = (tmp_path / "out" / FOLDER / "error.txt").read_text().splitlines()
    assert {"kind: kernel_not_started", "attempts: 2"} <= set(error)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupted_batch_leaves_nothing_looking_complete_and_resume_repairs(tmp_path, how):
    """Ctrl-C reaches the CLI's whole process group (a terminal); a scheduler (Airflow) sends SIGTERM."""
    ids = ("inst-a", "inst-b")
    pdir = institutions(tmp_path, ids)
    out = tmp_path / "out"
    env = fault_env(tmp_path, sleep=600)
    workers = 1 if how == "ctrl-c" else 2  # with one worker, one audit runs and one waits
    batch = cli_background("batch", pdir, "--out", out, "--workers", workers, env=env)
    kernels = wait_for_kernels(tmp_path, workers)
    if how == "ctrl-c":
        interrupt_group(batch, signal.SIGINT)
    else:
        batch.send_signal(signal.SIGTERM)
    try:
        _, err = batch.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # seen once in CI, never reproduced: say what the CLI was doing
        state = _process_state(batch.pid)
        os.killpg(batch.pid, signal.SIGKILL)
        batch.communicate()
        pytest.fail(f"the batch did not stop within 120 s of {how}: {state}")
    assert batch.returncode == 130, err
    assert f"interrupted: 0 of {len(ids)} audits complete" in err
    rows = summary(out)
    assert [r["status"] for r in rows] == ["failed"] * len(ids)
    assert all("interrupted" in r["error"] and r["error_kind"] == "interrupted" for r in rows)
    assert sum("before it started" in r["error"] for r in rows) == len(ids) - workers
    assert not list(out.glob("*/*/manifest.json")) and not leftovers(out)
    assert gone(kernels), [k for k in kernels if alive(k)]
    if how == "ctrl-c":  # rerun with --resume completes them
        p = cli("batch", pdir, "--out", out, "--resume", "--workers", "2")
        assert p.returncode == 0, p.stderr
        assert [r["status"] for r in summary(out)] == ["ok"] * len(ids)
        assert all(complete(out / i / "2025-12-31") for i in ids)


def _process_state(pid: int) -> str:
    """Signal dispositions (is SIGINT ignored?), state and kernel wait channel of a stuck process, and its
    threads' stacks when py-spy is there."""
    parts = []
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        parts += [
            line
            for line in status
            if line.split(":")[0] in ("State", "SigIgn", "SigCgt", "SigBlk", "Threads")
        ]
        parts.append("wchan=" + Path(f"/proc/{pid}/wchan").read_text())
    except OSError as e:
        parts.append(f"no /proc entry: {e}")
    if shutil.which("py-spy"):
        parts.append(
            subprocess.run(["py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True).stdout
        )
    return "; ".join(parts)


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return r.returncode == 0


def test_output_disk_full_then_rerun_repairs(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "8m"):  # room for a complete output once freed (report.pdf embeds a font)
        pytest.skip(
            "mounting a small tmpfs needs root and mount(8) (the in-process ENOSPC test covers the rest)"
        )
    try:
        pdir = institutions(tmp_path, ("inst-a",))
        out = disk / "out"
        out.mkdir()
        # leave ~40 KB free: the audit's outputs (~130 KB) cannot fit
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * (free - 40 * 1024))
        p = cli("batch", pdir, "--out", out, "--workers", "1")
        assert p.returncode == 1, p.stderr
        rows = summary(out) if (out / "batch_summary.csv").is_file() else []
        assert not (out / FOLDER / "manifest.json").exists()
        assert "disk full" in p.stderr
        assert not leftovers(out)
        if rows:
            assert all("disk full" in r["error"] for r in rows)
        # space freed: a rerun repairs both
        (disk / "filler").unlink()
        p = cli("batch", pdir, "--out", out, "--resume")
        assert p.returncode == 0, p.stderr
        assert complete(out / FOLDER) and not list(out.rglob("error.txt"))
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_disk_full_writing_the_manifest_leaves_no_manifest(tmp_path, monkeypatch):
    """The same without a mount: the runner's last writes fail with ENOSPC (in-process)."""
    from auditlib import runner

    params = institutions(tmp_path, ("inst-a",)) / "inst-a.yaml"

    def full(folder, run):
        (folder / "manifest.json.tmp").write_text(
            "{", encoding="utf-8"
        )  # a partial write, as a full disk leaves
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "write_manifest", full)
    outcome = runner.run_one(params, tmp_path / "out")
    assert outcome.status == "failed" and "output disk full" in outcome.error
    assert outcome.error_kind == "out_of_disk"
    folder = tmp_path / "out" / FOLDER
    assert failed_folder(folder) and not list(folder.glob("manifest*")) and not leftovers(tmp_path / "out")
    monkeypatch.undo()
    assert runner.run_one(params, tmp_path / "out").status == "ok"
    assert complete(folder) and not (folder / "error.txt").exists()


def test_stale_staging_folder_of_a_killed_run_is_cleared_by_the_rerun(tmp_path):
    from auditlib.runner import OWNER_FILE, clear_stale

    target = tmp_path / "out" / FOLDER
    stage = target.parent / ".2025-12-31.deadbeef0000.tmp"
    stage.mkdir(parents=True)
    (stage / "report.ipynb").write_text("{}")
    # a pid that is certainly not running
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    (stage / OWNER_FILE).write_text(f"{os.uname().nodename} {p.pid}")
    mine = target.parent / ".2025-12-31.live00000000.tmp"
    mine.mkdir()
    (mine / OWNER_FILE).write_text(f"{os.uname().nodename} {os.getpid()}")
    assert clear_stale(target) == [stage]
    assert not stage.exists() and mine.exists()
