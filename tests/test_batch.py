"""Batches (#7): progress on a terminal and as log lines, --resume, the summary's note column, the index's
cross-institution comparison (table and chart), an unreachable executor, the executor as the only
difference between local and distributed runs."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pandas as pd
import pytest
from test_batch_helpers import cli, complete, institutions, manifest, summary

from auditlib.batch import Job, plan, run_jobs
from auditlib.outcome import Outcome
from auditlib.progress import Progress
from auditlib.report.index import write_summary


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_shows_done_failed_running_elapsed_eta():
    term = Terminal()
    p = Progress(4, term)
    p.started(running=2, workers=2)
    p.finished(Outcome("a", "ok", seconds=1.0), running=2)
    p.finished(Outcome("b", "failed", error="boom", seconds=1.0), running=1)
    p.close()
    text = term.getvalue()
    last = text.rstrip("\n").split("\r")[-1]
    assert re.search(r"\[#{12}-{12}\] 2/4 done, 1 failed, 1 running, +\d+s elapsed, ETA +\d+s", last), last
    assert "\n" not in text.rstrip("\n"), "one line, redrawn in place"
    assert "boom" not in text


def test_progress_bar_ticks_while_audits_run():
    term = Terminal()
    p = Progress(1, term)
    p.started(running=1, workers=1)
    time.sleep(2.3)
    p.close()
    assert term.getvalue().count("\r") >= 3, "redrawn every second, so elapsed moves during long audits"
    assert "ETA    ?" in term.getvalue(), "no ETA before the first audit finishes"


def test_plain_log_lines_when_not_a_terminal():
    log = io.StringIO()
    p = Progress(2, log)
    p.started(running=2, workers=2, skipped=1)
    p.finished(Outcome("inst-a", "ok", findings=3, seconds=1.5), running=1)
    p.finished(Outcome("inst-b", "failed", error="DataContractError: staff missing", seconds=0.5), running=0)
    p.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert re.fullmatch(r"\S+T\S+ batch: 2 audits on 2 workers, 1 already complete \(--resume\)", lines[0])
    assert re.fullmatch(r"\S+ inst-a ok 1\.5s findings=3 \[1/2\]", lines[1])
    assert lines[2].endswith("inst-b failed 0.5s error=DataContractError: staff missing [2/2]")


def _fake_output(out: Path, inst: str, rates: dict) -> str:
    folder = out / inst / "2025-12-31"
    folder.mkdir(parents=True)
    pd.DataFrame({"rule_code": list(rates), "exception_rate": list(rates.values())}).to_csv(
        folder / "rule_summary.csv", index=False, encoding="utf-8-sig"
    )
    return str(folder / "report.html")


def test_index_compares_institutions_rule_by_rule_in_a_table_coloured_by_rate(tmp_path):
    out = tmp_path
    outcomes = [
        Outcome(
            "inst-a", "ok", findings=2, report=_fake_output(out, "inst-a", {"SOD-001": 0.25, "CMP-002": 0.0})
        ),
        Outcome(
            "inst-b", "ok", findings=1, report=_fake_output(out, "inst-b", {"SOD-001": 0.5, "CMP-002": 0.001})
        ),
        Outcome("inst-<c>", "failed", error="<b>boom</b>"),
    ]
    write_summary(outcomes, out)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="inst-a/2025-12-31/report.html"' in html
    assert html.count('<table class="heat">') == 1 and "<img" not in html
    # one row per rule with an exception somewhere, the institutions as columns, darker for the higher rate
    heat = html[html.index('<table class="heat">') :]
    assert heat.count("<tr>") == 3 and "SOD-001" in heat and "CMP-002" in heat  # head + 2 rules
    assert 'style="background:rgb(255,50,30);color:#fff">50.00%' in heat  # the batch's highest rate
    assert '<td class="n">0.00%</td>' in heat  # a zero rate is not coloured
    # headers in words, the documents linked, the failed audit's error escaped
    assert "机构 / Institution" in html and "状态 / Status" in html and "失败 / failed" in html
    assert "&lt;b&gt;boom&lt;/b&gt;" in html and "<b>boom" not in html
    assert not re.search(r"""(src|href)=["']https?:""", html), "self-contained"
    s = pd.read_csv(out / "batch_summary.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(s.columns) == [
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
        "error_kind",
    ]


def test_no_comparison_rows_when_no_rule_has_exceptions(tmp_path):
    outcomes = [Outcome("inst-a", "ok", report=_fake_output(tmp_path, "inst-a", {"SOD-001": 0.0}))]
    write_summary(outcomes, tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<img" not in html and 'class="heat"' not in html and "No exceptions" in html


def test_index_names_each_institution_with_period_language_and_links_to_its_documents(tmp_path):
    import json

    report = _fake_output(tmp_path, "inst-a", {"SOD-001": 0.1})
    folder = Path(report).parent
    params = {"institution_name": "示例<基金>", "period_start": "2025-01-01", "period_end": "2025-12-31"}
    (folder / "manifest.json").write_text(
        json.dumps({"params": {**params, "language": "en"}}), encoding="utf-8"
    )
    for name in ("report.pdf", "findings.xlsx"):
        (folder / name).write_bytes(b"x")
    write_summary([Outcome("inst-a", "ok", findings=1, high=1, report=report)], tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "示例&lt;基金&gt;" in html and "2025-01-01 — 2025-12-31" in html and "English" in html
    for name in ("report.html", "report.pdf", "findings.xlsx"):
        assert f'href="inst-a/2025-12-31/{name}"' in html, name
    assert "示例&lt;基金&gt;<br><code>inst-a</code>" in html  # the comparison's column header


class ListExecutor:
    """An executor that runs nothing: the batch code path without processes (futures done at once)."""

    slots, where = 3, " (test)"

    def __init__(self):
        self.submitted: list[Job] = []

    def submit(self, job, out, timeout, cell_timeout):
        import concurrent.futures as cf

        self.submitted.append(job)
        f = cf.Future()
        f.set_result(Outcome(job.institution_id, "ok", findings=1, seconds=0.1))
        return f

    def as_completed(self, futures):
        return iter(futures)

    def interrupt(self, unfinished, grace):
        pass

    def close(self):
        pass


def test_the_executor_is_the_only_difference(tmp_path):
    pdir = institutions(tmp_path, ("inst-a", "inst-b"))
    (pdir / "bad.yaml").write_text("institution_id: bad\ncolour: blue\n", encoding="utf-8")
    ex = ListExecutor()
    log = io.StringIO()
    outcomes, bad = run_jobs([pdir], tmp_path / "out", lambda n: ex, timeout=5, stream=log)
    assert bad == 1 and [j.institution_id for j in ex.submitted] == ["inst-a", "inst-b"]
    assert [(o.institution_id, o.status) for o in outcomes] == [
        ("bad", "failed"),
        ("inst-a", "ok"),
        ("inst-b", "ok"),
    ]
    assert "on 3 workers (test)" in log.getvalue()
    assert [r["institution_id"] for r in summary(tmp_path / "out")] == ["bad", "inst-a", "inst-b"]


def test_an_executor_that_cannot_start_fails_every_audit_with_the_reason(tmp_path):
    pdir = institutions(tmp_path, ("inst-a", "inst-b"))

    def unreachable(n):
        raise OSError("Timed out trying to connect to tcp://127.0.0.1:1")

    outcomes, bad = run_jobs([pdir], tmp_path / "out", unreachable, stream=io.StringIO())
    assert bad == 0 and [o.status for o in outcomes] == ["failed", "failed"]
    assert all("the executor could not start" in o.error and "127.0.0.1:1" in o.error for o in outcomes)
    assert [r["status"] for r in summary(tmp_path / "out")] == ["failed", "failed"]


@pytest.mark.slow
def test_resume_skips_complete_verified_outputs_only(tmp_path):
    pdir = institutions(tmp_path, ("inst-a", "inst-b"))
    out = tmp_path / "out"
    p = cli("batch", pdir, "--out", out, "--workers", "2")
    assert p.returncode == 0, p.stderr
    first = {i: manifest(out / i / "2025-12-31")["run_id"] for i in ("inst-a", "inst-b")}
    # inst-b's report altered after the run
    with open(out / "inst-b" / "2025-12-31" / "report.html", "a", encoding="utf-8") as f:
        f.write("<!-- edited -->")
    # complete and verified, but run with other params: not skipped
    changed = tmp_path / "changed" / "inst-a.yaml"
    changed.parent.mkdir()
    changed.write_text(
        (pdir / "inst-a.yaml").read_text(encoding="utf-8").replace("../data", str(tmp_path / "data"))
        + "sample_size: 5\n",
        encoding="utf-8",
    )
    jobs, known, _ = plan([changed], out.resolve(), resume=True)
    assert [j.institution_id for j in jobs] == ["inst-a"] and known == []

    p = cli("batch", pdir, "--out", out, "--resume", "--workers", "2")
    assert p.returncode == 0, p.stderr
    assert "batch: 1 audits on 1 workers, 1 already complete (--resume)" in p.stderr
    rows = {r["institution_id"]: r for r in summary(out)}
    assert rows["inst-a"]["note"].startswith("resumed: complete output of ")
    assert rows["inst-a"]["findings"] == "1" and rows["inst-a"]["report"] == "inst-a/2025-12-31/report.html"
    assert rows["inst-b"]["note"] == ""
    again = {i: manifest(out / i / "2025-12-31")["run_id"] for i in first}
    assert again["inst-a"] == first["inst-a"] and again["inst-b"] != first["inst-b"]
    assert all(complete(out / i / "2025-12-31") for i in first)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "SOD-001" in index and '<table class="heat">' in index


def test_plan_resume_needs_a_verified_manifest(tmp_path):
    pdir = institutions(tmp_path, ("inst-a",))
    out = (tmp_path / "out").resolve()
    folder = out / "inst-a" / "2025-12-31"
    folder.mkdir(parents=True)
    (folder / "error.txt").write_text("failed\n")
    jobs, known, bad = plan([pdir], out, resume=True)
    assert [j.institution_id for j in jobs] == ["inst-a"] and known == [] and bad == 0
