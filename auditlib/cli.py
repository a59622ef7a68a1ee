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
        f"{outcome.institution_id}: {outcome.findings} findings (high {outcome.high}, medium "
        f"{outcome.medium}, low {outcome.low}) in {outcome.seconds:.1f}s -> {outcome.report}"
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
    if a.next_period:
        from .demo.followup import write_next_period

        print(write_next_period(a.out))
    return OK


def cmd_verify(a) -> int:
    from .manifest import read_manifest, verify

    problems = verify(Path(a.folder), a.pubkey)
    for p in problems:
        print(f"{a.folder}: {p}", file=sys.stderr)
    if problems:
        return FAILED
    manifest, _ = read_manifest(Path(a.folder))
    key = (manifest.get("signing_key") or {}).get("fingerprint")
    seal = f"; signed with key {key}" + ("" if a.pubkey else " (give --pubkey to check whose)") if key else ""
    print(f"{a.folder}: complete, every output file matches manifest.json{seal}")
    return OK


def cmd_keygen(a) -> int:
    from .signing import fingerprint, keygen, load_private_key

    private, public = keygen(a.out)
    print(f"private key (keep it secret; mode 0600): {private}")
    print(f"public key (give it to whoever verifies): {public}")
    print(f"fingerprint: {fingerprint(load_private_key(private).public_key())}")
    return OK


def _signing_key(a) -> None:
    """--sign-key (or $AUDITLIB_SIGNING_KEY) checked before anything runs; the audits and pool workers get
    its absolute path through the environment."""
    from .signing import KEY_ENV, load_private_key

    path = getattr(a, "sign_key", None) or os.environ.get(KEY_ENV)
    if path:
        load_private_key(path)  # KeyFileError: exit 2
        os.environ[KEY_ENV] = str(Path(path).resolve())


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


def cmd_html(a) -> int:
    from .report.export import auditor_html

    print(auditor_html(Path(a.notebook), Path(a.out) if a.out else None))
    return OK


def cmd_datarequest(a) -> int:
    from .docs import write_data_request

    for p in write_data_request(Path(a.out)):
        print(p)
    return OK


def cmd_checklist(a) -> int:
    from .attestations import attestations_path, read_attestations
    from .params import parse_params, read_params_file
    from .report.checklist import write_checklist

    # the params file may name an attestations file that this very checklist is about to become
    params = parse_params(read_params_file(a.params), a.params)
    out = Path(a.out or f"checklist_{params.institution_id}_{params.period_end}.xlsx")
    if out.exists() and not a.force:  # it may be the examiner's filled checklist
        _err(f"{out} exists (it may hold filled results): choose another --out, or --force to overwrite it")
        return USAGE
    previous = None  # a filled checklist the params already name: its lines are carried over
    if params.attestations and (path := attestations_path(params.attestations, a.params)).is_file():
        previous = read_attestations(path, params.period_start)  # AttestationsError -> one line, exit 1
        print(f"carrying over {len(previous.rows)} filled lines from {path}")
    print(write_checklist(params, out, previous))
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
        "--sign-key",
        default=None,
        metavar="FILE",
        help="seal each output folder: manifest.sig, an Ed25519 signature of manifest.json with this private "
        "key (from `auditlib keygen`; default: $AUDITLIB_SIGNING_KEY)",
    )
    s.add_argument(
        "--no-pdf",
        action="store_true",
        help="do not write report.pdf (a batch that needs only the HTML and the tables; sets "
        "$AUDITLIB_NO_PDF)",
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
    s.add_argument(
        "--next-period",
        action="store_true",
        help="also write demo-a's follow-up period (demo-a-next/, for params/next/demo-a.yaml)",
    )
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser(
        "verify",
        parents=[common],
        help="check an output folder: every output there and listed, unaltered, and its signature",
    )
    s.add_argument("folder")
    s.add_argument(
        "--pubkey",
        default=None,
        metavar="FILE",
        help="the public key that must have signed it (without: a manifest.sig is checked against the key "
        "the manifest records)",
    )
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("keygen", parents=[common], help="make an Ed25519 key pair for signing manifests")
    s.add_argument("--out", required=True, metavar="DIR", help="folder for the key pair")
    s.set_defaults(func=cmd_keygen)

    s = sub.add_parser("rules", parents=[common], help="list the rule catalogue, or write its docs")
    s.add_argument("--docs", default=None, help="write one Markdown page per rule into this folder")
    s.add_argument("--check", action="store_true", help="with --docs: fail if the docs are out of date")
    s.set_defaults(func=cmd_rules)

    s = sub.add_parser(
        "checklist",
        parents=[common],
        help="write the manual-procedure checklist (xlsx) for the examiner to fill and return as "
        "attestations",
    )
    s.add_argument("params", help="params YAML file")
    s.add_argument(
        "--out", default=None, help="file to write (default: checklist_<institution>_<period_end>.xlsx)"
    )
    s.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    s.set_defaults(func=cmd_checklist)

    s = sub.add_parser(
        "datarequest", parents=[common], help="write the data request list (Excel and Markdown)"
    )
    s.add_argument("--out", default=".")
    s.set_defaults(func=cmd_datarequest)

    s = sub.add_parser(
        "html", parents=[common], help="the auditor's offline HTML of an executed notebook (code included)"
    )
    s.add_argument("notebook", help="an executed notebook, e.g. outputs/<id>/<period_end>/report.ipynb")
    s.add_argument("--out", default=None, help="HTML file (default: <notebook>-auditor.html beside it)")
    s.set_defaults(func=cmd_html)
    return p


def main(argv: list[str] | None = None) -> int:
    from .errors import AuditError
    from .params import ParamsError
    from .signing import KeyFileError

    args = parser().parse_args(argv)
    if not args.debug:
        from .batch import quiet_logs

        quiet_logs()
    if getattr(args, "cache_dir", None):  # the kernels and pool workers inherit it (docs/operations.md)
        from .tablecache import CACHE_ENV

        os.environ[CACHE_ENV] = str(Path(args.cache_dir).resolve())
    if getattr(args, "no_pdf", False):  # like --cache-dir: pool workers inherit it
        from .runner import NO_PDF_ENV

        os.environ[NO_PDF_ENV] = "1"
    _partition_env(args)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _sigterm) if main_thread else None
    try:
        if args.func in (cmd_run, cmd_batch):
            _signing_key(args)
        return args.func(args)
    except AuditError as e:
        if args.debug:
            traceback.print_exc()
        _err(str(e))
        return USAGE if isinstance(e, ParamsError | KeyFileError) else FAILED
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
