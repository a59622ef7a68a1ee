"""Audit many institutions: a local process pool; one institution's failure never stops the others.

Writes `<out>/batch_summary.csv` and a self-contained `<out>/index.html` with links to every report
and the institutions' exception rates side by side, rule by rule.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import multiprocessing
import os
import sys
import time
from pathlib import Path

import pandas as pd

from .params import ParamsError, load_params
from .report.html import CSS, esc, fmt_rate, table_html
from .runner import Outcome, audit_dir, run_one

SUMMARY_COLUMNS = ["institution_id", "status", "error", "findings", "high", "medium", "low", "seconds", "report"]


def expand(paths: list[str | Path]) -> list[Path]:
    """Params files given directly, or every *.yaml / *.yml in a folder given."""
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted([*p.glob("*.yaml"), *p.glob("*.yml")]) if p.is_dir() else [p]
    return out


def _run(path: str, out: str, timeout: float | None) -> Outcome:
    return run_one(path, out, timeout=timeout)


class Progress:
    """A one-line progress bar on a terminal; plain log lines otherwise (cron, Airflow)."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.stream, self.t0 = total, stream, time.monotonic()
        self.done = self.failed = 0
        self.tty = stream.isatty()

    def started(self, running: int) -> None:
        self.running = running
        self._draw()

    def finished(self, outcome: Outcome, running: int) -> None:
        self.done += 1
        self.failed += outcome.status != "ok"
        self.running = running
        if self.tty:
            self._draw()
        else:
            stamp = dt.datetime.now().isoformat(timespec="seconds")
            tail = f"findings={outcome.findings}" if outcome.status == "ok" else f"error={outcome.error}"
            print(f"{stamp} {outcome.institution_id} {outcome.status} {outcome.seconds:.1f}s {tail} "
                  f"[{self.done}/{self.total}]", file=self.stream, flush=True)

    def _draw(self) -> None:
        if not self.tty:
            return
        elapsed = time.monotonic() - self.t0
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} done, {self.failed} failed, "
                          f"{self.running} running, {elapsed:5.0f}s elapsed, ETA {eta:4.0f}s ")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def run_batch(paths: list[str | Path], out: str | Path = "outputs", workers: int | None = None,
              timeout: float | None = None, stream=sys.stderr) -> tuple[list[Outcome], int]:
    """Run every params file; returns the outcomes and the number of bad params files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    jobs: list[Path] = []
    seen: dict[Path, Path] = {}
    bad_params = 0
    for path in expand(paths):
        try:
            params = load_params(path)
            target = audit_dir(out, params)
            if target in seen:
                raise ParamsError(str(path), [f"same institution and period as {seen[target]}"])
            seen[target] = path
            jobs.append(path)
        except (ParamsError, ValueError) as e:
            bad_params += 1
            outcomes.append(Outcome(path.stem, "failed", error=f"bad params: {e}"))
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    progress = Progress(len(jobs), stream)
    ctx = multiprocessing.get_context("spawn")  # kernels and zmq threads do not survive fork
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_run, str(p), str(out), timeout): p for p in jobs}
        progress.started(min(workers, len(futures)))
        pending = set(futures)
        while pending:
            finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                try:
                    outcome = fut.result()
                except Exception as e:  # noqa: BLE001 - a worker that died is that institution's failure
                    outcome = Outcome(futures[fut].stem, "failed", error=f"{type(e).__name__}: {e}")
                outcomes.append(outcome)
                progress.finished(outcome, min(workers, len(pending)))
    progress.close()
    outcomes.sort(key=lambda o: o.institution_id)
    write_summary(outcomes, out)
    return outcomes, bad_params


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
        comparison = "<h2>Exception rate by rule / 各机构例外率对比</h2>" + table_html(shown, numeric=shown.columns[1:])
    return ("<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'\"><title>auditlib batch</title>"
            f"<style>{CSS}</style></head><body><div class=\"al\"><h1>Batch summary / 批量检查汇总</h1>"
            f"<p class=\"muted\">{esc(dt.datetime.now().isoformat(timespec='seconds'))}</p>"
            + table_html(table, numeric=("findings", "high", "medium", "low", "seconds"), trusted=("report",))
            + comparison + "</div></body></html>")
