"""Every rule at scale, one at a time: CPU seconds and the memory it adds on top of the loaded tables.

Loads a bundle once, then runs each rule in
a forked child: the child's peak RSS minus the parent's RSS at the fork is what the rule itself needs
(the tables are shared copy-on-write). For the rules' owners: which rules to look at first at 10^7.

    python benchmarks/bench_rules.py PARAMS.yaml [--top 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params")
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    from auditlib.engine import run_rule
    from auditlib.load import load_bundle
    from auditlib.params import load_params, resolve_data_dir
    from auditlib.rules import REGISTRY

    params = load_params(a.params)
    t = time.process_time()
    bundle = load_bundle(resolve_data_dir(params, a.params), encoding=params.encoding)
    print(f"loaded in {time.process_time() - t:.1f} s CPU, RSS {rss() / 2**30:.2f} GiB", flush=True)
    selected = set(params.selected())
    rows = []
    for code, r in REGISTRY.items():
        if code not in selected:
            continue
        read, write = os.pipe()
        base = rss()
        pid = os.fork()
        if pid == 0:  # child: run the rule, report CPU, peak, status
            os.close(read)
            t = time.process_time()
            row, _ = run_rule(r, params, bundle)
            cpu = time.process_time() - t
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            os.write(write, f"{cpu} {peak} {row.get('status')} {row.get('exceptions')}".encode())
            os._exit(0)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        msg = os.read(read, 200).decode().split()
        os.close(read)
        if len(msg) < 4:
            rows.append((0.0, 0, code, f"died ({status})", ""))
            continue
        rows.append((float(msg[0]), max(0, int(msg[1]) - base), code, msg[2], msg[3]))
    rows.sort(reverse=True)
    print(
        f"rules: {sum(r[0] for r in rows):.1f} s CPU in total; largest extra memory "
        f"{max(r[1] for r in rows) / 2**30:.2f} GiB"
    )
    print(f"{'rule':9} {'CPU s':>7} {'+GiB':>6}  status exceptions")
    for cpu, extra, code, status, exc in rows[: a.top]:
        print(f"{code:9} {cpu:7.2f} {extra / 2**30:6.2f}  {status} {exc}")


if __name__ == "__main__":
    main()
