"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def cluster():
    """A real Dask cluster on loopback: a scheduler and two single-threaded worker processes (no dashboard,
    quiet logs); a module's tests share one, since starting it costs seconds."""
    distributed = pytest.importorskip("distributed", reason="the `dask` extra is not installed")

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    ) as c:
        yield c
