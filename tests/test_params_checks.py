"""Params problems the run contract v2 names (outputs.md "Params"): a missing data_dir, a missing or
unreadable holiday_file, as_of before period_end, missing attestations or responses files. Each is exit 2
with one line naming the key, before any kernel starts (nothing is written); paths are relative to the
params file; in a batch the institutions with good params still run."""

from __future__ import annotations

import concurrent.futures as cf
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import bundle_dir, write_params

from auditlib.batch import run_jobs
from auditlib.cli import main
from auditlib.outcome import Outcome
from auditlib.params import ParamsError, load_params

HOLIDAYS = "date,kind\n2025-10-01,holiday\n2025-09-28,workday\n"


@pytest.fixture
def pdir(tmp_path) -> Path:
    """params/ beside data/, with a holiday file, attestations and responses beside the params."""
    bundle_dir(tmp_path / "data")
    p = tmp_path / "params"
    p.mkdir()
    (p / "holidays.csv").write_text(HOLIDAYS, encoding="utf-8")
    (p / "attestations.csv").write_text("clause_id,result\n", encoding="utf-8")
    (p / "responses.csv").write_text("finding_id,owner,action,due_date,response\n", encoding="utf-8")
    return p


def good(pdir: Path, name="inst.yaml", data_dir="../data", **extra) -> Path:
    base = {
        "calendar": "{holiday_file: holidays.csv}",
        "attestations": "attestations.csv",
        "responses": "responses.csv",
    }
    return write_params(pdir / name, data_dir, **{**base, **extra})


def exit_and_stderr(capsys, params: Path, out: Path) -> tuple[int, str]:
    code = main(["run", str(params), "--out", str(out)])
    return code, capsys.readouterr().err


def test_good_params_with_every_path_relative_to_the_params_file(pdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)  # not the params file's folder
    params = load_params(good(pdir))
    assert params.calendar.holiday_file == "holidays.csv"


@pytest.mark.parametrize(
    ("extra", "remove", "message"),
    [
        ({"data_dir": "../nowhere"}, None, "data_dir: {tmp}/nowhere does not exist"),
        ({"data_dir": "holidays.csv"}, None, "data_dir: {tmp}/params/holidays.csv is not a folder"),
        ({}, "holidays.csv", "calendar.holiday_file: {tmp}/params/holidays.csv does not exist"),
        ({"calendar": "{holiday_file: ../data}"}, None, "calendar.holiday_file: {tmp}/data is not a file"),
        ({}, "attestations.csv", "attestations: {tmp}/params/attestations.csv does not exist"),
        ({}, "responses.csv", "responses: {tmp}/params/responses.csv does not exist"),
        ({"as_of": "2025-12-30"}, None, "as_of: 2025-12-30 is before period_end 2025-12-31"),
    ],
)
def test_each_params_problem_is_exit_2_in_one_line_before_anything_runs(
    pdir, tmp_path, capsys, extra, remove, message
):
    params = good(pdir, **extra)
    if remove:
        (pdir / remove).unlink()
    code, err = exit_and_stderr(capsys, params, tmp_path / "out")
    assert code == 2
    assert message.format(tmp=tmp_path) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists(), "no kernel started, no output folder made"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"date,kind\n2025-10-01,holiday\n\xff\xfe\n", "holidays.csv cannot be read: not UTF-8 text"),
        (b"day,type\n2025-10-01,holiday\n", "holiday_file needs a header with columns date,kind"),
        (b"date,kind\n2025-10-01,vacation\n", "row 2: kind must be 'holiday' or 'workday'"),
        (b"date,kind\n", "holiday_file lists no dates"),
    ],
)
def test_an_unreadable_holiday_file_is_a_params_error(pdir, tmp_path, capsys, content, message):
    (pdir / "holidays.csv").write_bytes(content)
    code, err = exit_and_stderr(capsys, good(pdir), tmp_path / "out")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_without_read_permission_is_a_params_error(pdir, tmp_path, capsys):
    (pdir / "responses.csv").chmod(0)
    code, err = exit_and_stderr(capsys, good(pdir), tmp_path / "out")
    assert code == 2 and "responses: " in err and "cannot be read: Permission denied" in err


def test_every_problem_of_a_file_in_the_one_line(pdir, tmp_path):
    (pdir / "attestations.csv").unlink()
    (pdir / "responses.csv").unlink()
    with pytest.raises(ParamsError) as e:
        load_params(good(pdir, data_dir="../nowhere"))
    assert [p.split(":")[0] for p in e.value.problems] == ["data_dir", "attestations", "responses"]


class Done:
    """An executor that runs nothing: each submitted audit is done at once."""

    slots, where = 2, ""

    def __init__(self):
        self.submitted = []

    def submit(self, job, out, timeout, cell_timeout):
        self.submitted.append(job.institution_id)
        f = cf.Future()
        f.set_result(Outcome(job.institution_id, "ok"))
        return f

    def as_completed(self, futures):
        return iter(futures)

    def interrupt(self, unfinished, grace):
        pass

    def close(self):
        pass


def test_in_a_batch_the_good_params_still_run(pdir, tmp_path):
    import pandas as pd

    good(pdir, "a.yaml", institution_id="inst-a")
    good(pdir, "b.yaml", institution_id="inst-b", responses="missing.csv")
    good(pdir, "c.yaml", institution_id="inst-c")
    ex = Done()
    outcomes, bad = run_jobs([pdir], tmp_path / "out", lambda n: ex, stream=io.StringIO())
    assert bad == 1 and ex.submitted == ["inst-a", "inst-c"]
    s = pd.read_csv(tmp_path / "out" / "batch_summary.csv", dtype=str, keep_default_na=False)
    row = s.set_index("institution_id").loc["b"]
    assert row["status"] == "failed" and row["error_kind"] == "bad_params"
    assert row["error"].startswith("bad params: ") and "responses: " in row["error"]
    assert "missing.csv does not exist" in row["error"]


def test_the_cli_refuses_before_a_kernel_starts(pdir, tmp_path):
    """The real command line: exit 2, one line, papermill never loaded, no output folder made."""
    params = good(pdir, data_dir="../nowhere")
    code = (
        "import sys\nfrom auditlib.cli import main\nrc = main(sys.argv[1:])\n"
        "loaded = [m for m in ('papermill', 'nbclient') if m in sys.modules]\n"
        "print(loaded)\nsys.exit(rc)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code, "run", str(params), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and p.stdout.strip() == "[]"
    assert len(p.stderr.strip().splitlines()) == 1 and "data_dir: " in p.stderr
    assert not (tmp_path / "out").exists()
