"""Airflow DAG: the monthly audit batch (docs/operations.md).

On the 5th of each month at 02:00 Beijing time (after the institutions' month-end data has arrived), audit
every institution whose params file is in `params/<YYYY-MM>/` for the month just ended, into `outputs/`.

- The month is computed from the run's logical date (`audit_month`: the month before it, in Beijing time),
  and the schedule is an explicit `CronTriggerTimetable`, whose logical date is the moment the run fires
  in Airflow 2 and 3 alike. (With a bare cron string, Airflow 2 made it a data-interval timetable whose
  `data_interval_start` is the *previous* 5th, and Airflow 3 a trigger timetable whose interval starts at
  the run itself: the same template audited different months under the two versions.)
  `airflow dags test auditlib_monthly_batch 2026-12-05` audits `params/2026-11/`.

- The task calls the CLI (BashOperator), so the run contract's exit codes reach Airflow unchanged:
  0 every audit completed (the task succeeds); 1 at least one audit failed, 2 bad params, 130 stopped
  (the task fails; `outputs/batch_summary.csv` says which institution failed and why).
- `--resume` makes a retry (or a manual "clear") redo only the institutions whose output is not complete:
  a complete, verified output is kept, a failed or interrupted one is run again.
- `--timeout` bounds each audit; `execution_timeout` bounds the whole task. When Airflow stops the task
  (timeout, or marked failed by hand) it sends SIGTERM: the CLI stops its audits, removes their partial
  outputs and still writes the summary (exit 130).
- The task log is the CLI's plain log lines (not a progress bar: the task has no terminal), one per
  institution, then the failures on stderr and the totals on stdout.

Works with Airflow 2.4+ and 3.x. Put this file in the DAGs folder and set AUDITLIB_HOME (or edit HOME).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow import DAG
from airflow.timetables.trigger import CronTriggerTimetable

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

HOME = os.environ.get("AUDITLIB_HOME", "/srv/auditlib")  # the repository checkout with its .venv
AUDITLIB = f"{HOME}/.venv/bin/auditlib"
BEIJING = ZoneInfo("Asia/Shanghai")
MONTH = "{{ audit_month(logical_date) }}"


def audit_month(logical_date: datetime) -> str:
    """`YYYY-MM` of the month before the logical date's, in Beijing time (the run of 5 December audits
    November)."""
    first = logical_date.astimezone(BEIJING).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


with DAG(
    dag_id="auditlib_monthly_batch",
    description="Supervisory audit of the fund sales institutions, monthly (auditlib batch)",
    schedule=CronTriggerTimetable("0 2 5 * *", timezone="Asia/Shanghai"),
    start_date=datetime(2026, 1, 1, tzinfo=BEIJING),
    catchup=False,
    max_active_runs=1,  # two batches must not write the same output folders at once
    default_args={
        "owner": "compliance-audit",
        "retries": 1,  # with --resume: only the incomplete institutions run again
        "retry_delay": timedelta(minutes=15),
        "execution_timeout": timedelta(hours=6),
    },
    tags=["audit", "auditlib"],
    user_defined_macros={"audit_month": audit_month},
) as dag:
    check_params = BashOperator(
        task_id="check_params",
        # fail early and clearly if the month's params folder is missing or empty
        bash_command=f"ls {HOME}/params/{MONTH}/*.yaml > /dev/null || "
        f'{{ echo "no params files in {HOME}/params/{MONTH}/" >&2; exit 2; }}',
    )

    batch = BashOperator(
        task_id="audit_batch",
        bash_command=(
            f"cd {HOME} && {AUDITLIB} batch params/{MONTH} --out outputs --resume --timeout 3600 --workers 2"
            # on a Dask cluster instead of this machine: --scheduler tcp://dask-scheduler:8786
        ),
        env={"PYTHONUNBUFFERED": "1"},
        append_env=True,
    )

    verify = BashOperator(
        task_id="verify_outputs",
        # every output folder of the month: files unaltered since the run (manifest SHA-256)
        bash_command=(
            f"cd {HOME} && status=0; for f in outputs/*/*/manifest.json; do "
            f'{AUDITLIB} verify "$(dirname "$f")" > /dev/null || status=1; done; exit $status'
        ),
        trigger_rule="all_done",  # check what was written even when some audits failed
    )

    check_params >> batch >> verify
