"""What report.pdf costs: the same demo audit with and without `--no-pdf`, alternated in one run, and
WeasyPrint alone on the report it wrote.

    python benchmarks/bench_pdf.py [--inst demo-a] [--repeat 3] [--json results.json]

Each pair runs `auditlib run params/<inst>.yaml` twice, once writing the PDF and once with `--no-pdf`, in
alternating order so that load on a shared machine falls on both alike; the best wall time of each (the least
disturbed) is compared, with CPU seconds (which contention does not stretch) and peak memory of the whole
process tree. Then `write_pdf` alone on the audit's report.html, in a fresh process (imports included).
Target (issue 14): the PDF adds no more than 50 % to the audit's wall time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import AUDITLIB, PY, ROOT, gib, machine, run_measured  # noqa: E402

PDF_ALONE = (
    "import sys; from pathlib import Path; "
    "from auditlib.report.pdf import write_pdf; write_pdf(Path(sys.argv[1]), Path(sys.argv[2]))"
)


def params_file(inst: str, tmp: Path) -> Path:
    """The demo's params with absolute paths (the demo data generated into data/ if missing)."""
    data = ROOT / "data"
    if not (data / inst).is_dir():
        run_measured([AUDITLIB, "demo", "--out", data, "--only", inst])
    p = yaml.safe_load((ROOT / "params" / f"{inst}.yaml").read_text(encoding="utf-8"))
    p["data_dir"] = str(data / inst)
    for key in ("attestations", "responses"):
        if p.get(key):
            p[key] = str(ROOT / "params" / p[key])
    path = tmp / f"{inst}.yaml"
    path.write_text(yaml.safe_dump(p, allow_unicode=True), encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inst", default="demo-a")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="auditlib-bench-pdf-"))
    try:
        params = params_file(a.inst, tmp)
        runs: dict[str, list] = {"pdf": [], "no_pdf": []}
        for i in range(a.repeat):
            order = ("pdf", "no_pdf") if i % 2 == 0 else ("no_pdf", "pdf")
            for kind in order:
                out = tmp / f"out-{kind}-{i}"
                cmd = [AUDITLIB, "run", params, "--out", out] + (["--no-pdf"] if kind == "no_pdf" else [])
                m = run_measured(cmd)
                assert m.returncode == 0, m.stderr[-2000:]
                folder = next(out.glob("*/*"))
                assert (folder / "report.pdf").exists() == (kind == "pdf")
                runs[kind].append(m)
                print(
                    f"{kind:7} run {i + 1}: {m.seconds:6.1f} s wall, {m.cpu_seconds:6.1f} s CPU", flush=True
                )
        html = next((tmp / "out-pdf-0").glob("*/*")) / "report.html"
        alone = [run_measured([PY, "-c", PDF_ALONE, html, tmp / f"alone-{i}.pdf"]) for i in range(a.repeat)]
        pdf_bytes = (tmp / "alone-0.pdf").stat().st_size
        best = {k: min(v, key=lambda m: m.seconds) for k, v in runs.items()}
        solo = min(alone, key=lambda m: m.seconds)
        overhead = best["pdf"].seconds / best["no_pdf"].seconds - 1
        result = {
            "machine": machine(),
            "institution": a.inst,
            "repeat": a.repeat,
            "with_pdf": best["pdf"].row(),
            "no_pdf": best["no_pdf"].row(),
            "pdf_alone": solo.row(),
            "overhead_wall": round(overhead, 3),
            "overhead_cpu": round(best["pdf"].cpu_seconds / best["no_pdf"].cpu_seconds - 1, 3),
            "html_bytes": html.stat().st_size,
            "pdf_bytes": pdf_bytes,
            "all_wall": {k: [m.seconds for m in v] for k, v in runs.items()},
        }
        print(
            f"{a.inst}: with PDF {best['pdf'].seconds:.1f} s, --no-pdf {best['no_pdf'].seconds:.1f} s "
            f"(+{overhead:.0%} wall, +{result['overhead_cpu']:.0%} CPU); write_pdf alone {solo.seconds:.1f} "
            f"s ({solo.cpu_seconds:.1f} s CPU, peak {gib(solo.peak_rss)} GiB); HTML {result['html_bytes']:,} "
            f"B, PDF {pdf_bytes:,} B"
        )
        if a.json:
            path = Path(a.json)
            data = json.loads(path.read_text()) if path.exists() else {}
            data["pdf"] = result
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
