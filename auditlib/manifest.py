"""manifest.json: what a run read, with what, and the hash of every file it wrote.

It is written last, so its presence means the run completed; `verify` re-hashes the files so
an examiner can tell whether a report was altered after the run.
"""

from __future__ import annotations

import json
from pathlib import Path

from .load import sha256_file

MANIFEST = "manifest.json"
OUTPUTS = (
    "report.html",
    "report.ipynb",
    "findings.csv",
    "findings.xlsx",
    "rule_summary.csv",
    "data_quality.csv",
    "coverage.csv",
    "attestations.csv",
)
#: written by most runs, not all (`--no-pdf`): listed when present
OPTIONAL_OUTPUTS = ("report.pdf",)


def write_manifest(folder: Path, run: dict) -> Path:
    outputs = {
        name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
        for name in OUTPUTS + tuple(n for n in OPTIONAL_OUTPUTS if (folder / n).is_file())
    }
    manifest = {"manifest_version": 1, **run, "outputs": outputs}
    path = folder / MANIFEST
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    return path


def verify(folder: Path) -> list[str]:
    """Problems found (empty = every output file matches its manifest entry)."""
    path = folder / MANIFEST
    if not path.is_file():
        return [f"{folder}: no {MANIFEST}: the run did not complete"]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        outputs = manifest["outputs"]
    except (ValueError, KeyError) as e:
        return [f"{path}: unreadable manifest ({e})"]
    problems = []
    for name, entry in outputs.items():
        f = folder / name
        if Path(name).name != name:
            problems.append(f"{path}: bad file name in manifest: {name}")
        elif not f.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(f) != entry.get("sha256"):
            problems.append(f"{name}: altered (SHA-256 differs from the manifest)")
    return problems
