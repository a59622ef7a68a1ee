"""What the audit notebook calls: one `Audit` per run, one method per section of the report.

The notebook holds narrative and these calls only; everything here is plain, testable Python.
Run by the CLI, the notebook gets `params_file`, `output_dir` and `run_id`; run by plain
`papermill -f params/x.yaml`, it gets the params keys themselves as variables. Either way the
values are validated here, as data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import __version__
from .arrowops import give_back_memory
from .attestations import Attestations, attestations_path, read_attestations
from .engine import AuditResult, run_audit
from .params import AuditParams, parse_params, read_params_file, resolve_data_dir
from .partition import open_bundle
from .report import html, narrative
from .report.coverage import coverage_section
from .report.evidence import evidence_html
from .report.files import write_coverage_files, write_tables, write_workbook
from .report.sample import Sample, samples
from .report.sections import load_all
from .report.tracking import Tracking, track_result
from .signing import FINGERPRINT_ENV

PACKAGES = (
    "auditlib",
    "pandas",
    "numpy",
    "pyarrow",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "xlsxwriter",
    "chinese-calendar",
    "exchange-calendars",
    "matplotlib",
    "mplfonts",
    "pydantic",
)
RUN_FILE = "_run.json"  # handed from the kernel to the runner, folded into manifest.json


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def fingerprint(bundle) -> str:
    """One digest of every input file, so two reports can be seen to rest on the same data."""
    text = "\n".join(f"{i.table}:{i.sha256}" for i in sorted(bundle.files.values(), key=lambda i: i.table))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _html(fragment: str):
    from IPython.display import HTML

    return HTML(fragment)


@dataclass
class Audit:
    params: AuditParams
    result: AuditResult
    params_file: str | None
    output_dir: Path | None
    run_id: str
    started_at: str
    extras: dict = field(default_factory=dict)
    #: new / recurring / resolved against params `previous_dir`, None without it
    tracking: Tracking | None = None
    _samples: dict[str, Sample] | None = field(default=None, repr=False)
    #: the examiner's filled manual-procedure checklist (params `attestations`), validated; None without it
    attestations: Attestations | None = None

    @classmethod
    def start(
        cls, params_file: str | None = None, output_dir: str | None = None, run_id: str | None = None, **given
    ) -> Audit:
        """Validate the params, load the bundle, run the rules, compare with the previous period's findings."""
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        data = read_params_file(params_file) if params_file else {}
        data.update({k: v for k, v in given.items() if v is not None})
        params = parse_params(data, str(params_file or "notebook parameters"))
        bundle = open_bundle(params, resolve_data_dir(params, params_file))
        result = run_audit(params, bundle)
        tracking = track_result(result, params.previous_dir, params_file)
        attestations = (
            read_attestations(attestations_path(params.attestations, params_file), params.period_start)
            if params.attestations
            else None
        )
        return cls(
            params,
            result,
            params_file,
            Path(output_dir) if output_dir else None,
            run_id or uuid.uuid4().hex[:12],
            started,
            load_all(),
            tracking,
            attestations=attestations,
        )

    @property
    def lang(self) -> str:
        return self.params.language

    def run_info(self) -> dict:
        return {
            "run_id": self.run_id,
            "report_date": self.started_at[:10],
            "fingerprint": fingerprint(self.result.bundle),
            "version": __version__,
            "packages": package_versions(),
            # memory or partitioned (buckets, cluster): the report's methodology and the manifest say so
            "engine": getattr(self.result.bundle, "engine_info", {"engine": "memory"}),
            # the fingerprint of the key that will seal the manifest ("" unsigned): for the report's cover
            "key_fingerprint": os.environ.get(FINGERPRINT_ENV, ""),
        }

    # ------------------------------------------------------------ report sections (examiner HTML)
    # In the run contract's order (outputs.md v2, "The report"); the notebook calls them in this order.
    # A section added by another module (clause coverage, mitigations, responses) is a method of that
    # name here, with an <h2 id="coverage|mitigations|responses">: the contents then list it.

    def sections(self) -> list[tuple[str, str]]:
        """(anchor, title) of every section this report has, in order: the contents and PDF bookmarks."""
        optional = [k for k in html.OPTIONAL_SECTIONS if callable(getattr(self, k, None))]
        if not self.params.responses:
            optional = [k for k in optional if k != "responses"]
        return html.report_sections(self.result, optional)

    def cover(self):
        """The cover (institution, period, as_of, report date, run id, data fingerprint) and the contents."""
        return _html(html.cover(self.result, self.run_info(), self.sections()))

    def conclusion(self):
        return _html(narrative.conclusion(self.result, self.tracking))

    def key_findings(self):
        return _html(narrative.key_findings(self.result, self.tracking))

    def scope(self):
        return _html(narrative.scope(self.result))

    def methodology(self):
        return _html(narrative.methodology(self.result, self.run_info()))

    def families(self) -> list[str]:
        return html.selected_families(self.result)

    def section(self, family: str):
        fragment = html.family_section(self.result, family, self.extras.get(family, ()), self.tracking)
        give_back_memory()  # a section's temporaries over 10^7 rows, freed: see arrowops.give_back_memory
        return _html(fragment)

    def data_quality(self):
        return _html(html.data_quality_section(self.result))

    def coverage(self):
        """Clause coverage: every clause of the catalogue, tested by data, attested by hand, or why neither."""
        return _html(coverage_section(self.result, self.attestations))

    def mitigations(self):
        """Approved exceptions that ended in the period, end soon after as_of, or matched no finding."""
        from .report.mitigations import mitigations_section

        return _html(mitigations_section(self.result))

    def appendix(self):
        legend = narrative.sources_legend(self.result)
        own_section = callable(getattr(self, "mitigations", None))
        return _html(html.appendix(self.result, self.run_info(), legend, with_mitigations=not own_section))

    def sign_off(self):
        return _html(narrative.sign_off(self.result))

    # ------------------------------------------------------------ auditor-only

    def findings_with_evidence(self) -> pd.DataFrame:
        """Every finding with the source rows it rests on; unmasked only when params ask for it."""
        f = self.result.findings
        detail = f["detail_full"] if self.params.show_personal_data else f["detail"]
        return pd.DataFrame(
            {
                "rule": f["rule_code"],
                "entity_id": f["entity_id"],
                "status": f["status"],
                "tracking": f["tracking"],
                "detail": detail,
                "evidence": f["evidence"],
            }
        )

    def evidence(self):
        """Per rule, each finding with its source rows and, under it, the values the rule used."""
        return _html(html.style() + evidence_html(self.result, self.params.show_personal_data))

    def samples(self) -> dict[str, Sample]:
        """The audit sample of every tested rule (seeded, reproducible; see docs/report.md)."""
        if self._samples is None:
            self._samples = samples(self.result, self.params.sample_size, self.params.show_personal_data)
            give_back_memory()
        return self._samples

    def sample_index(self) -> pd.DataFrame:
        from .report.files import sample_index

        return sample_index(self.result, self.samples())

    # ------------------------------------------------------------ files

    def write_outputs(self) -> list[Path]:
        """Write the tables and working papers into output_dir (the runner's staging folder)."""
        if self.output_dir is None:
            return []
        out = self.output_dir
        paths = write_tables(self.result, out)
        paths += write_coverage_files(self.result, self.attestations, out)
        paths.append(
            write_workbook(
                self.result,
                out / "findings.xlsx",
                self.params.show_personal_data,
                self.tracking,
                self.samples(),
            )
        )
        files = {
            i.table: {
                "file": i.path.name,
                "format": i.format,
                "encoding": i.encoding,
                "sha256": i.sha256,
                "rows_read": i.rows_read,
                "rows_loaded": i.rows_loaded,
                "rows_quarantined": i.rows_quarantined,
            }
            for i in self.result.bundle.files.values()
        }
        s = self.result.summary
        run = {
            **self.run_info(),
            "started_at": self.started_at,
            "params": self.params.model_dump(mode="json"),
            "data_dir": str(self.result.bundle.data_dir),
            "inputs": files,
            "findings": {
                "total": int(len(self.result.findings)),
                **{
                    sev: int((self.result.findings["severity"] == sev).sum())
                    for sev in ("high", "medium", "low")
                },
            },
            "rules": {"tested": int(s["tested"].sum()), "errors": int((s["status"] == "error").sum())},
        }
        (out / RUN_FILE).write_text(json.dumps(run, ensure_ascii=False, indent=2), encoding="utf-8")
        return paths
