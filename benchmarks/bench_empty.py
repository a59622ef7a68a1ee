"""The fixed cost of one audit: executing and converting an EMPTY notebook, against the demo audits.

`empty`: a fresh Python process that does what `auditlib run` does around the notebook, in the same order:
imports the params and the runner, launches the kernel (`kernel.kernel`, as the runner does), imports
papermill and nbformat while it boots, executes a trivial notebook (a parameters cell and `1 + 1`) on that
kernel, and converts it to HTML with the report's nbconvert template while the kernel shuts down: the floor
under every audit (interpreter and imports, kernel start, nbconvert). `demo-a/b/c`: `auditlib run
params/demo-X.yaml` (generated into data/ if missing).

    python benchmarks/bench_empty.py [--repeat 3] [--json results.json]

Best of `repeat` wall times (the least disturbed by other processes), with CPU seconds and peak memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import AUDITLIB, PY, ROOT, gib, machine, run_measured  # noqa: E402

EMPTY_SCRIPT = """
import sys
from pathlib import Path
from auditlib.params import load_params
from auditlib.kernel import Watch, kernel
from auditlib.runner import export_html
load_params(sys.argv[2])
out = Path(sys.argv[1])
with kernel(Watch(), str(out)) as km:
    import nbformat
    import papermill as pm
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("x = None")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell("1 + 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, out / "empty.ipynb")
    pm.execute_notebook(str(out / "empty.ipynb"), str(out / "run.ipynb"), parameters={"x": 1},
                        progress_bar=False, kernel_name="python3", km=km)
    km.request_stop()
    export_html(out / "run.ipynb", out / "run.html", "zh", "empty")
"""


def best(cmd_factory, repeat: int):
    runs = []
    for _ in range(repeat):
        tmp = Path(tempfile.mkdtemp(prefix="auditlib-bench-"))
        try:
            m = run_measured(cmd_factory(tmp))
            assert m.returncode == 0, m.stderr[-2000:]
            runs.append(m)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return min(runs, key=lambda m: m.seconds), runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    if not (ROOT / "data" / "demo-a").is_dir():
        from auditlib.demo import write_demo

        write_demo(ROOT / "data")
    rows = []
    m, runs = best(lambda tmp: [PY, "-c", EMPTY_SCRIPT, tmp, ROOT / "params" / "demo-b.yaml"], a.repeat)
    rows.append({"what": "empty notebook", **m.row(), "all_wall": [r.seconds for r in runs]})
    for inst in ("demo-a", "demo-b", "demo-c"):
        m, runs = best(
            lambda tmp, inst=inst: [AUDITLIB, "run", ROOT / "params" / f"{inst}.yaml", "--out", tmp], a.repeat
        )
        rows.append({"what": inst, **m.row(), "all_wall": [r.seconds for r in runs]})
    empty = rows[0]["seconds"]
    for r in rows:
        r["x_empty"] = round(r["seconds"] / empty, 2)
        print(
            f"{r['what']:15} wall {r['seconds']:6.1f}s ({r['x_empty']:.2f}x empty)  cpu "
            f"{r['cpu_seconds']:6.1f}s  peak {gib(r['peak_rss'])} GiB  load {r['load_before']:.1f}  all "
            f"{r['all_wall']}",
            flush=True,
        )
    if a.json:
        old = json.loads(a.json.read_text()) if a.json.exists() else []
        a.json.write_text(
            json.dumps(old + [{"bench": "empty", "machine": machine(), "results": rows}], indent=1)
        )


if __name__ == "__main__":
    main()
