"""`auditlib`: the command line (run contract: ../shared/spec/outputs.md).

Exit status: 0 every audit completed (findings are results, not failures); 1 at least one audit
failed; 2 bad usage or bad params; 130 interrupted (Ctrl-C, or SIGTERM from a scheduler): the batch
summary then says which audits completed and which did not. Errors are one or two lines, no
traceback unless --debug.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from . import __version__

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


def _err(msg: str) -> None:
    print(f"auditlib: error: {msg}", file=sys.stderr)


def cmd_run(a) -> int:
    from .params import load_params
    from .runner import run_one

    params = load_params(a.params)  # ParamsError -> exit 2 in main()
    outcome = run_one(a.params, a.out, timeout=a.timeout, cell_timeout=a.cell_timeout, params=params)
    if outcome.status != "ok":
        _err(f"{outcome.institution_id}: audit failed: {outcome.error}")
        if outcome.report:
            print(
                f"auditlib: the failed notebook and error are in {Path(outcome.report).parent}",
                file=sys.stderr,
            )
        return FAILED
    print(
        f"{outcome.institution_id}: {outcome.findings} findings (high {outcome.high}, medium {outcome.medium}, "
        f"low {outcome.low}) in {outcome.seconds:.1f}s -> {outcome.report}"
    )
    return OK


def cmd_batch(a) -> int:
    from .batch import BatchInterrupted, run_batch

    summary = Path(a.out) / "batch_summary.csv"
    try:
        if a.scheduler:
            from .distributed import run_batch_dask

            outcomes, bad = run_batch_dask(
                a.paths, a.out, a.scheduler, timeout=a.timeout, cell_timeout=a.cell_timeout, resume=a.resume
            )
        else:
            outcomes, bad = run_batch(
                a.paths,
                a.out,
                workers=a.workers,
                timeout=a.timeout,
                cell_timeout=a.cell_timeout,
                resume=a.resume,
            )
    except BatchInterrupted as e:
        done = sum(o.status == "ok" for o in e.outcomes)
        _err(
            f"interrupted: {done} of {len(e.outcomes)} audits complete, the others not -> {summary} "
            "(rerun with --resume to complete the rest)"
        )
        return INTERRUPTED
    failed = [o for o in outcomes if o.status != "ok"]
    for o in failed:
        _err(f"{o.institution_id}: {o.error}")
    print(f"{len(outcomes) - len(failed)} ok, {len(failed)} failed -> {summary}")
    if not outcomes:
        _err("no params files found")
        return USAGE
    return USAGE if bad else (FAILED if failed else OK)


def cmd_demo(a) -> int:
    from .demo import write_demo

    for folder in write_demo(a.out, names=a.only or None, transactions=a.transactions, seed=a.seed):
        print(folder)
    return OK


def cmd_verify(a) -> int:
    from .manifest import verify

    problems = verify(Path(a.folder))
    for p in problems:
        _err(p)
    if not problems:
        print(f"{a.folder}: every output file matches manifest.json")
    return FAILED if problems else OK


def cmd_rules(a) -> int:
    from .docs import write_rule_docs
    from .rules import REGISTRY

    if a.docs:
        stale = write_rule_docs(Path(a.docs), check=a.check)
        if a.check and stale:
            for s in stale:
                _err(f"rule docs out of date: {s} (run `auditlib rules --docs {a.docs}`)")
            return FAILED
        return OK
    for code, r in REGISTRY.items():
        print(f"{code:10} {r.severity:6} {r.citation:16} {r.title['zh']} / {r.title['en']}")
    return OK


def cmd_datarequest(a) -> int:
    from .docs import write_data_request

    for p in write_data_request(Path(a.out)):
        print(p)
    return OK


def _timeouts(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="limit for a whole audit (kernel start to last cell); a hung cell is stopped",
    )
    s.add_argument(
        "--cell-timeout", type=float, default=None, metavar="SECONDS", help="limit for any one cell"
    )
    s.add_argument(
        "--cache-dir",
        default=None,
        metavar="FOLDER",
        help="keep the typed tables here as Parquet, so that the next audit of the same files skips "
        "parsing them (they hold personal data: remove the folder when the audit is closed); "
        "sets $AUDITLIB_CACHE_DIR for the audits",
    )
    s.add_argument(
        "--engine",
        choices=("memory", "partitioned", "auto"),
        default=None,
        help="audit in memory, or partition by partition with bounded memory (docs/partitioned.md); "
        "auto (the params' default) partitions big extracts; overrides the params' engine",
    )


def _partition_env(args) -> None:
    """`--engine` and `run --scheduler` reach the audits' kernels as environment (as --cache-dir does)."""
    if getattr(args, "engine", None):
        from .partition import ENGINE_ENV

        os.environ[ENGINE_ENV] = args.engine
    if args.command == "run" and getattr(args, "scheduler", None):
        from .partition import SCHEDULER_ENV

        os.environ[SCHEDULER_ENV] = args.scheduler


def _sigterm(signum, frame):
    raise KeyboardInterrupt  # a scheduler stopping the task (Airflow, systemd): stop the audits in order


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="auditlib", description="Supervisory audit kit for fund sales institutions"
    )
    p.add_argument("--version", action="version", version=f"auditlib {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("run", parents=[common], help="audit one institution")
    s.add_argument("params", help="params YAML file")
    s.add_argument("--out", default="outputs", help="output root (default: outputs)")
    s.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with the partitioned engine: run the institution's partitions on the Dask cluster at ADDRESS "
        "(workers must see the cache or temporary folder at the same path)",
    )
    _timeouts(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("batch", parents=[common], help="audit many institutions")
    s.add_argument("paths", nargs="+", help="params files or folders of them")
    s.add_argument("--out", default="outputs")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, help="parallel audits (default: CPU count)")
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS, e.g. tcp://10.0.0.5:8786 (default: a local process pool)",
    )
    s.add_argument(
        "--resume",
        action="store_true",
        help="skip institutions whose output folder is complete (manifest present and verified)",
    )
    _timeouts(s)
    s.set_defaults(func=cmd_batch)

    s = sub.add_parser("demo", parents=[common], help="generate the synthetic demo institutions")
    s.add_argument("--out", default="data")
    s.add_argument("--only", nargs="*", help="institution ids (default: all)")
    s.add_argument("--transactions", type=int, default=None, help="scale (benchmarks)")
    s.add_argument("--seed", type=int, default=None)
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("verify", parents=[common], help="check a run's output files against its manifest")
    s.add_argument("folder")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("rules", parents=[common], help="list the rule catalogue, or write its docs")
    s.add_argument("--docs", default=None, help="write one Markdown page per rule into this folder")
    s.add_argument("--check", action="store_true", help="with --docs: fail if the docs are out of date")
    s.set_defaults(func=cmd_rules)

    s = sub.add_parser(
        "datarequest", parents=[common], help="write the data request list (Excel and Markdown)"
    )
    s.add_argument("--out", default=".")
    s.set_defaults(func=cmd_datarequest)
    return p


def main(argv: list[str] | None = None) -> int:
    from .errors import AuditError
    from .params import ParamsError

    args = parser().parse_args(argv)
    if not args.debug:
        from .batch import quiet_logs

        quiet_logs()
    if getattr(args, "cache_dir", None):  # the kernels and pool workers inherit it (docs/operations.md)
        from .tablecache import CACHE_ENV

        os.environ[CACHE_ENV] = str(Path(args.cache_dir).resolve())
    _partition_env(args)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _sigterm) if main_thread else None
    try:
        return args.func(args)
    except AuditError as e:
        if args.debug:
            traceback.print_exc()
        _err(str(e))
        return USAGE if isinstance(e, ParamsError) else FAILED
    except KeyboardInterrupt:
        _err("interrupted")
        return INTERRUPTED
    except Exception as e:  # noqa: BLE001 - one line for users; --debug for developers
        if args.debug:
            raise
        _err(f"{type(e).__name__}: {e} (rerun with --debug for the traceback)")
        return FAILED
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
