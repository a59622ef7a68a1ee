"""manifest.json: what a run read, with what, and the hash of every file it wrote; `verify` checks a folder.

It is written last, so its presence means the run completed. It lists every file of the output folder
(`outputs`: SHA-256 and size); with a signing key, `manifest.sig` seals it (signing.py). `verify` holds a
folder to the run contract: every output the contract requires is there and listed, nothing listed is
missing, nothing is there that is not listed, every hash matches, and the signature (when there is one, or
when a public key is given) seals this manifest under that key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .load import sha256_file

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"  # signing.SIGNATURE (not imported: verify of an unsigned run needs no crypto)


@dataclass(frozen=True)
class Output:
    """A file the run contract says an audit writes. `when`: required only when it holds for the manifest
    (e.g. `report.pdf` unless --no-pdf); always, when None."""

    name: str
    when: Callable[[dict], bool] | None = None

    def required(self, manifest: dict) -> bool:
        return self.when is None or bool(self.when(manifest))


#: The contract's output files, in the contract's order. The step that writes a new output declares it here
#: (e.g. `Output("report.pdf", when=...)`); files an audit writes beyond these are listed and verified too.
CONTRACT_OUTPUTS: list[Output] = [
    Output("report.html"),
    Output("report.pdf", when=lambda manifest: manifest.get("pdf", False)),  # unless --no-pdf
    Output("report.ipynb"),
    Output("findings.csv"),
    Output("findings.xlsx"),
    Output("rule_summary.csv"),
    Output("data_quality.csv"),
    Output("coverage.csv"),
    Output("attestations.csv"),
    Output("responses.csv"),  # header only when the params give no responses
]
OUTPUTS = tuple(o.name for o in CONTRACT_OUTPUTS if o.when is None)  # written by every audit


def _outputs(folder: Path) -> list[str]:
    """Every file of the folder but the manifest and its signature: the contract's first, then the rest."""
    names = {p.name for p in folder.iterdir() if p.is_file() and p.name not in (MANIFEST, SIGNATURE)}
    order = {o.name: i for i, o in enumerate(CONTRACT_OUTPUTS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def write_manifest(folder: Path, run: dict) -> Path:
    outputs = {
        name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
        for name in _outputs(folder)
    }
    manifest = {"manifest_version": 2, **run, "outputs": outputs}
    path = folder / MANIFEST
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    return path


def read_manifest(folder: Path) -> tuple[dict | None, str | None]:
    """The manifest of a folder, or the one-line reason it has none that can be used."""
    path = folder / MANIFEST
    if not path.is_file():
        return None, f"{folder}: no {MANIFEST}: the run did not complete"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return None, f"{MANIFEST}: unreadable manifest ({' '.join(str(e).split())})"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
        return None, f"{MANIFEST}: unreadable manifest (no list of outputs)"
    return manifest, None


def _listed_problems(folder: Path, outputs: dict) -> list[str]:
    problems = []
    for name, entry in outputs.items():
        if Path(name).name != name or name in ("", ".", ".."):
            problems.append(f"{MANIFEST}: bad file name in manifest: {name}")
        elif not (folder / name).is_file():
            problems.append(f"{name}: missing (listed in the manifest)")
        elif not isinstance(entry, dict) or sha256_file(folder / name) != entry.get("sha256"):
            problems.append(f"{name}: altered (SHA-256 differs from the manifest)")
    return problems


def _completeness_problems(folder: Path, manifest: dict) -> list[str]:
    outputs = manifest["outputs"]
    problems = [
        f"{o.name}: a required output, not listed in the manifest"
        + ("" if (folder / o.name).is_file() else " and missing")
        for o in CONTRACT_OUTPUTS
        if o.required(manifest) and o.name not in outputs
    ]
    for p in sorted(folder.iterdir()):
        if p.name not in outputs and p.name not in (MANIFEST, SIGNATURE):
            problems.append(f"{p.name}: not in the manifest (a file the run did not write)")
    if manifest.get("status") != "complete":
        problems.append(f"{MANIFEST}: status is not complete")
    return problems


def _signature_problems(folder: Path, manifest: dict, pubkey: str | Path | None) -> list[str]:
    from . import signing

    if not (folder / SIGNATURE).exists():
        if pubkey:
            return [f"{SIGNATURE}: missing: the manifest is not signed"]
        if manifest.get("signing_key") is not None:
            return [f"{SIGNATURE}: missing, though the manifest says the run was signed"]
        return []
    recorded = signing.recorded_key(manifest.get("signing_key"))
    if recorded is None:
        return [f"{MANIFEST}: records no valid signing key (signing_key) for {SIGNATURE}"]
    key = signing.load_public_key(pubkey) if pubkey else recorded
    if signing.fingerprint(key) != signing.fingerprint(recorded):
        return [
            f"{SIGNATURE}: the manifest names key {signing.fingerprint(recorded)}, not the key given "
            f"({signing.fingerprint(key)})"
        ]
    problem = signing.signature_problem(folder / MANIFEST, key)
    return [problem] if problem else []


def verify(folder: Path, pubkey: str | Path | None = None) -> list[str]:
    """Problems found, one line each (empty: the folder is complete and unaltered, and sealed when signed).
    A bad `pubkey` file raises signing.KeyFileError."""
    folder = Path(folder)
    manifest, problem = read_manifest(folder)
    if manifest is None:
        return [problem]
    return (
        _completeness_problems(folder, manifest)
        + _listed_problems(folder, manifest["outputs"])
        + _signature_problems(folder, manifest, pubkey)
    )
