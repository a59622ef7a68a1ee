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
import re
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import __version__
from .arrowops import give_back_memory
from .attestations import Attestations, attestations_path, read_attestations
from .engine import AuditResult, run_audit
from .errors import AuditError
from .load import ROW
from .mask import contract_pii_kind, mask_series
from .params import AuditParams, parse_params, read_params_file, resolve_data_dir, resolve_relative
from .partition import open_bundle
from .partition.aggregate import first_row, rows_of
from .report import auditor_guide, html, narrative
from .report.auditor_guide import GUIDE
from .report.coverage import coverage_section
from .report.evidence import evidence_html
from .report.files import rule_sheet, write_coverage_files, write_tables
from .report.responses import COLUMNS as RESPONSE_COLUMNS
from .report.responses import follow_up, read_responses, responses_section
from .report.responses import write_csv as write_responses
from .report.sample import Sample, samples
from .report.sections import load_all
from .report.tracking import Tracking, track_result
from .report.workbook import write_workbook
from .rules import REGISTRY
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
    #: the institution's responses, checked (None: params give none); read on first use
    _responses: tuple[pd.DataFrame | None] | None = field(default=None, repr=False)
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

    def response_rows(self) -> pd.DataFrame | None:
        """The institution's responses (params `responses`), each accepted or rejected with its reason."""
        if self._responses is None:
            rows = None
            if self.params.responses:
                path = resolve_relative(self.params.responses, self.params_file)
                rows = read_responses(path, self.result.findings, self.lang)
            self._responses = (rows,)
        return self._responses[0]

    def responses(self):
        """Each finding's response and the rows not accepted; with previous_dir, the actions promised last
        period now overdue and the findings resolved then recurring."""
        return _html(
            responses_section(self.result, self.response_rows(), follow_up(self.result, self.tracking))
        )

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

    # ------------------------------------------------------------ the auditor's notebook: narrative, digging further

    def narrative(self, section: str):
        """A section's narrative in the params' language (a Markdown output: the examiner's HTML omits it)."""
        from IPython.display import Markdown

        return Markdown(auditor_guide.narrative(section, self.lang))

    def rule_findings(self, code: str) -> pd.DataFrame:
        """One rule's findings with their evidence and the values the rule compared."""
        if code not in REGISTRY:
            raise AuditError(f"unknown rule code {code}")
        return rule_sheet(self.result, code, self.params.show_personal_data)

    def table(self, name: str) -> pd.DataFrame:
        """A loaded table as the rules saw it (`_row` = its spreadsheet row); personal data masked unless params
        say show_personal_data."""
        tables = self.result.bundle.tables
        if name not in tables:
            raise AuditError(f"no table {name} was loaded (loaded: {', '.join(sorted(tables))})")
        return self._masked(name, tables[name])

    def _big(self, name: str):
        """The table's buckets when the audit is partitioned and `name` is a big table, else None."""
        return getattr(self.result.bundle, "stores", {}).get(name)

    def _masked(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        if self.params.show_personal_data:
            return df
        out = df.copy(deep=False)
        for c in df.columns:
            kind = contract_pii_kind(name, c)
            if kind:
                out[c] = mask_series(df[c], kind)
        return out

    def entity_evidence(self, code: str, entity_id: str) -> pd.DataFrame:
        """The source rows one finding rests on (its evidence `table row N`), each with its table's name."""
        f = self.result.findings
        hit = f[(f["rule_code"] == code) & (f["entity_id"] == str(entity_id))]
        if hit.empty:
            raise AuditError(f"{code} has no finding for {entity_id}")
        parts = []
        for table, row in re.findall(r"(\w+) row (\d+)", " ".join(hit["evidence"].astype(str))):
            store = self._big(table)  # partitioned: the one row read from the buckets, not the table
            t = self._masked(table, rows_of(store, [int(row)])) if store is not None else self.table(table)
            parts.append(t[t[ROW] == int(row)].assign(table=table))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def rerun(self, code: str, **params) -> pd.DataFrame:
        """Run one rule again with other parameters (this audit's report is not affected): its findings, and
        one line comparing the result with this audit's."""
        from .engine import run_rule

        overrides = {**self.params.overrides, code: {**self.params.overrides.get(code, {}), **params}}
        data = {**self.params.model_dump(mode="json"), "overrides": overrides, "rules": [code]}
        p = parse_params(data, f"rerun {code}")
        row, frame = run_rule(REGISTRY[code], p, self.result.bundle)
        before = self.result.summary.set_index("rule_code").loc[code, "exceptions"]
        given = ", ".join(f"{k}={v!r}" for k, v in params.items())
        if self.lang == "zh":
            print(
                f"{code}（{given}）：测试总体 {row['population']:,}，例外 {row['exceptions']:,}（本次检查 {before:,}）"
            )
        else:
            print(
                f"{code} ({given}): population {row['population']:,}, exceptions {row['exceptions']:,} "
                f"(this audit: {before:,})"
            )
        if frame is None:
            return pd.DataFrame()
        detail = "detail_full" if self.params.show_personal_data else "detail"
        return frame[["entity_id", "occurred_at", detail]].rename(columns={detail: "detail"})

    def guide(self) -> None:
        """How to dig further, with worked examples run on this audit's own findings."""
        from IPython.display import Markdown, display

        ex = self._examples()
        display(Markdown(GUIDE[self.lang].format(**{**ex, "param_value": repr(ex["param_value"])})))
        display(self.rule_findings(ex["code"]).head(5))
        if ex["entity"]:
            display(self.entity_evidence(ex["code"], ex["entity"]))
        if ex["param"]:
            display(self.rerun(ex["param_code"], **{ex["param"]: ex["param_value"]}).head(5))

    def _examples(self) -> dict:
        """The guide's example values: the first rule with findings, its first entity, a table it reads, a
        numeric parameter of a tested rule."""
        s = self.result.summary
        tested = s[s["tested"].astype(bool)]
        with_findings = tested[tested["exceptions"] > 0]
        code = (with_findings if len(with_findings) else tested)["rule_code"].iloc[0]
        f = self.result.findings
        entities = f.loc[f["rule_code"] == code, "entity_id"]
        entity = entities.iloc[0] if len(entities) else ""
        r = REGISTRY[code]
        table = next((tb for tb in r.tables if tb in self.result.bundle.tables), r.tables[0])
        store = self._big(table)
        df = first_row(store) if store is not None else self.result.bundle.tables.get(table, pd.DataFrame())
        column = r.entity if r.entity in df.columns else (str(df.columns[0]) if len(df.columns) else "")
        value = str(df[column].iloc[0]) if column and len(df) else ""
        if entity and column == r.entity:
            value = entity
        param_code, param, param_value = code, *next(iter(self.params.rule_params(code).items()), ("", None))
        for c in tested["rule_code"]:
            numeric = {k: v for k, v in self.params.rule_params(c).items() if type(v) in (int, float)}
            if numeric:
                param_code, (param, v) = c, next(iter(numeric.items()))
                param_value = v * 2 if v else 1
                break
        return {
            "code": code,
            "entity": entity,
            "table": table,
            "column": column,
            "value": value,
            "param_code": param_code,
            "param": param,
            "param_value": param_value,
        }

    # ------------------------------------------------------------ files

    def write_outputs(self, output_dir: str | Path | None = None) -> list[Path]:
        """Write the tables and working papers into output_dir (run by the CLI: its staging folder). Without
        one (a notebook opened in JupyterLab), into `notebook-outputs/<institution_id>/<period_end>` under the
        working directory, and say so."""
        out = Path(output_dir) if output_dir else self.output_dir
        named = out is None
        if named:
            out = (
                Path.cwd()
                / "notebook-outputs"
                / self.params.institution_id
                / self.params.period_end.isoformat()
            )
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise AuditError(
                f"cannot write the outputs to {out} ({e.strerror}); give another folder: "
                "audit.write_outputs(output_dir=...)"
            ) from None
        paths = write_tables(self.result, out)
        paths += write_coverage_files(self.result, self.attestations, out)
        answers = self.response_rows()
        paths.append(
            write_workbook(
                self.result,
                out / "findings.xlsx",
                self.params.show_personal_data,
                self.tracking,
                self.samples(),
                answers,
            )
        )
        none = pd.DataFrame(columns=RESPONSE_COLUMNS).astype({"accepted": bool})
        paths.append(
            write_responses(none if answers is None else answers, out, self.params.show_personal_data)
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
        if named:  # no runner to fold the run record into a manifest: just say where the files are
            if self.lang == "zh":
                print(
                    f"未指定输出目录，{len(paths)} 个文件已写入 {out}（用 auditlib run 运行可得到完整输出与 manifest.json）"
                )
            else:
                print(
                    f"No output folder given: {len(paths)} files written to {out} "
                    "(auditlib run gives the complete outputs with manifest.json)"
                )
            return paths
        (out / RUN_FILE).write_text(json.dumps(run, ensure_ascii=False, indent=2), encoding="utf-8")
        return paths
