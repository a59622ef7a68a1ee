"""A batch on a real Dask cluster: a scheduler and two worker processes on loopback, driven through the CLI's
`--scheduler tcp://127.0.0.1:PORT`; the outputs and summary are those of a local batch."""

from __future__ import annotations

import io

import pytest
from test_batch_helpers import cli, complete, institutions, summary

pytest.importorskip("distributed", reason="the `dask` extra is not installed (pip install -e '.[dask]')")
pytestmark = pytest.mark.slow


def test_batch_runs_on_a_dask_cluster_through_the_cli(cluster, tmp_path):
    pdir = institutions(tmp_path, ("inst-a", "inst-b"))
    (pdir / "bad.yaml").write_text("institution_id: bad\nrules: [NOPE]\n", encoding="utf-8")
    out = tmp_path / "out"
    address = cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    p = cli("batch", pdir, "--out", out, "--scheduler", address)
    assert p.returncode == 2, p.stderr  # bad params: exit 2, and the good ones still ran
    assert f"batch: 2 audits on 2 workers at {address}" in p.stderr
    rows = {r["institution_id"]: r for r in summary(out)}
    assert rows["bad"]["status"] == "failed" and "bad params" in rows["bad"]["error"]
    for i in ("inst-a", "inst-b"):
        assert rows[i]["status"] == "ok" and rows[i]["findings"] == "1", rows[i]
        assert complete(out / i / "2025-12-31")
    assert 'href="inst-a/2025-12-31/report.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_resume_and_a_failing_audit_on_dask(cluster, tmp_path):
    from auditlib.distributed import run_batch_dask

    pdir = institutions(tmp_path, ("inst-a", "inst-b"))
    (tmp_path / "data" / "staff.csv").unlink()  # both fail: a contract error, reported per institution
    outcomes, bad = run_batch_dask([pdir], tmp_path / "out", cluster.scheduler_address, stream=io.StringIO())
    assert bad == 0 and [o.status for o in outcomes] == ["failed", "failed"]
    assert all("required table staff missing" in o.error for o in outcomes)


def test_unreachable_scheduler_fails_the_audits_with_the_reason(tmp_path):
    from auditlib.distributed import run_batch_dask

    pdir = institutions(tmp_path, ("inst-a",))
    outcomes, _ = run_batch_dask(
        [pdir], tmp_path / "out", "tcp://127.0.0.1:9", stream=io.StringIO(), connect_timeout=2
    )
    assert outcomes[0].status == "failed"
    assert "not run: the executor could not start" in outcomes[0].error and "127.0.0.1:9" in outcomes[0].error
