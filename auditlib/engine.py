"""Run the selected rules over a loaded bundle: findings, rule summaries, mitigations.

A rule that crashes is reported as that rule's error and the others still run. Findings are
sorted and their ids derived from (institution, rule, entity), so the same inputs give the
same findings byte for byte, and two runs can be compared finding by finding.
"""

from __future__ import annotations

import hashlib
import string
import traceback
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arrowops import give_back_memory
from .i18n import label, t
from .load import Bundle
from .mask import mask_series
from .params import AuditParams
from .rules import REGISTRY
from .rules.base import Rule, RuleContext, RuleOutput, RuleOutputError, check_output

FINDINGS_COLUMNS = [
    "finding_id",
    "rule_code",
    "severity",
    "status",
    "entity_type",
    "entity_id",
    "occurred_at",
    "detail",
]
#: kept beside the contract columns for the report and working papers (not written to findings.csv)
EXTRA_FINDING_COLUMNS = [
    "family",
    "title",
    "staff_id",
    "evidence",
    "mitigation",
    "detail_full",
    "exposed_until",
]
SUMMARY_COLUMNS = ["rule_code", "tested", "not_tested_reason", "population", "exceptions", "exception_rate"]
SUMMARY_EXTRA = ["family", "severity", "title", "status", "open", "mitigated", "error", "version", "left_out"]
#: kept in `AuditResult.summary` for the report, not written to rule_summary.csv: each rule's `RuleOutput.notes`
SUMMARY_NOTES = "notes"


@dataclass
class AuditResult:
    params: AuditParams
    bundle: Bundle
    findings: pd.DataFrame  # FINDINGS_COLUMNS + title, staff_id, evidence, mitigation
    summary: pd.DataFrame  # SUMMARY_COLUMNS + SUMMARY_EXTRA
    #: each rule's own findings frame (all the values it used), for evidence and working papers
    rule_frames: dict[str, pd.DataFrame]
    #: one row per params mitigation (same order): findings it `matched` (rule and target), `covered`, and
    #: matched but no longer covered because it had ended (`lapsed`); see _apply_mitigations
    mitigation_use: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["matched", "covered", "lapsed"])
    )


def finding_id(institution_id: str, rule_code: str, entity_id: str) -> str:
    """Stable across runs and versions: a digest of what the finding is about, nothing else."""
    return hashlib.sha256(f"{institution_id}|{rule_code}|{entity_id}".encode()).hexdigest()[:16]


def render_details(r: Rule, frame: pd.DataFrame, lang: str, mask: bool = True) -> list[str]:
    """Fill the rule's detail template; `<name>_<lang>` columns give language-specific values.

    With `mask`, the rule's declared personal-data columns are masked (the examiner's copy)."""
    if frame.empty:
        return []
    template = r.detail[lang]
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    cols = {}
    for n in names:
        col = frame[f"{n}_{lang}"] if f"{n}_{lang}" in frame else frame[n]
        values = col.astype("string").fillna("")
        if n in r.localize:
            values = values.map(lambda v: label(v, lang))
        if mask and n in r.pii:
            values = mask_series(values, r.pii[n]).fillna("")
        cols[n] = values.tolist()
    return (
        [template.format(**dict(zip(cols, row, strict=True))) for row in zip(*cols.values(), strict=True)]
        if cols
        else [template] * len(frame)
    )


def rule_context(params: AuditParams, bundle: Bundle, code: str) -> RuleContext:
    """The rule sees the tables it declares and nothing else, so a declaration cannot fall behind the code."""
    r = REGISTRY[code]
    names = [t for t in (*r.tables, *r.optional_tables) if t in bundle.tables]
    view = getattr(
        bundle.tables, "view", None
    )  # a partitioned bundle: no big table read until a rule reads it
    return RuleContext(
        tables=view(names) if view is not None else {t: bundle.tables[t] for t in names},
        params=params.rule_params(code),
        period_start=pd.Timestamp(params.period_start),
        period_end=pd.Timestamp(params.period_end),
        as_of=pd.Timestamp(params.as_of),
        calendar_params=params.calendar,
        institution_id=params.institution_id,
    )


def _apply_mitigations(findings: pd.DataFrame, params: AuditParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Approved exceptions turn matching findings `mitigated`, never drop them; and how each was used.

    A mitigation covers a finding only while it is valid (rules.md v2, "Mitigations end"): for the interval
    rules, whose findings carry `exposed_until` (the last day of the exposure in the period), only if that
    day is on or before `valid_until`; otherwise the finding stays open and its detail says from which day it
    was no longer covered. Other findings: `occurred_at` on or before the end of `valid_until`.
    Returns the findings and one row per mitigation: the findings it matched (rule and target), covered, and
    matched but no longer covered (`lapsed`); `attrs["lapsed_findings"]` counts those findings once each."""
    findings["status"] = "open"
    findings["mitigation"] = ""
    exposed = pd.to_datetime(findings["exposed_until"])
    lapsed = pd.Series(pd.NaT, index=findings.index, dtype="datetime64[ns]")
    use, ended_masks = [], []
    for m in params.mitigations:
        hit = (findings["rule_code"] == m.rule) | (findings["family"] == m.rule)
        if m.staff_id:
            hit &= findings["staff_id"].astype("string").eq(m.staff_id).fillna(False)
        if m.entity_id:
            hit &= findings["entity_id"] == m.entity_id
        until = pd.Timestamp(m.valid_until)
        valid = findings["occurred_at"].isna() | (
            findings["occurred_at"] <= until + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        )
        valid = valid.where(exposed.isna(), exposed <= until)
        covered = hit & valid & (findings["status"] == "open")
        findings.loc[covered, "status"] = "mitigated"
        findings.loc[covered, "mitigation"] = f"{m.reason} ({m.approved_by}, → {m.valid_until})"
        ended = hit & ~valid & exposed.notna()  # matched, but the exposure went on after it ended
        lapsed[ended] = lapsed[ended].where(lapsed[ended] >= until, until)  # the latest such end
        ended_masks.append(ended)
        use.append({"matched": int(hit.sum()), "covered": int(covered.sum())})
    still_open = (findings["status"] == "open") & lapsed.notna()
    for u, ended in zip(use, ended_masks, strict=True):
        u["lapsed"] = int((ended & still_open).sum())
    if still_open.any():
        lang = params.language
        note = [
            t(
                "mitigation_lapsed",
                lang,
                until=u.strftime("%Y-%m-%d"),
                day=(u + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
            )
            for u in lapsed[still_open]
        ]
        for col in ("detail", "detail_full"):
            findings.loc[still_open, col] = findings.loc[still_open, col].astype(str) + pd.Series(
                note, index=findings.index[still_open]
            )
    use = pd.DataFrame(use, columns=["matched", "covered", "lapsed"])
    use.attrs["lapsed_findings"] = int(still_open.sum())
    return findings, use


def _evaluate(r: Rule, params: AuditParams, bundle: Bundle) -> RuleOutput:
    """The rule on the whole tables, or, for a partitioned bundle and a rule declaring its keys, the same
    rule run partition by partition and combined (auditlib/partition, docs/partitioned.md)."""
    partitions = getattr(bundle, "partitions", None)
    if partitions is not None and r.partition:
        return partitions.evaluate(r, rule_context(params, bundle, r.code))
    return r.func(rule_context(params, bundle, r.code))


def _rule_error(e: Exception) -> str:
    """A rule's crash in one line: the error and where in auditlib it was raised; a wrong result as such."""
    if isinstance(e, RuleOutputError):
        return f"wrong result: {e}"
    stack = traceback.extract_tb(e.__traceback__)
    where = next((f for f in reversed(stack) if "/auditlib/" in f.filename.replace("\\", "/")), stack[-1])
    return f"{type(e).__name__}: {e} (at {where.name}:{where.lineno})"


def summary_row(r: Rule, lang: str, status: str, **values) -> dict:
    """The rule's row of the summary (every key of it): not tested and nothing found unless `values` say."""
    return {
        "rule_code": r.code,
        "family": r.family,
        "severity": r.severity,
        "title": r.title[lang],
        "version": r.version,
        "population": 0,
        "exceptions": 0,
        "exception_rate": np.nan,
        "open": 0,
        "mitigated": 0,
        "error": "",
        "not_tested_reason": "",
        "tested": False,
        "left_out": 0,
        SUMMARY_NOTES: {},
        "status": status,
        **values,
    }


def run_rule(r: Rule, params: AuditParams, bundle: Bundle) -> tuple[dict, pd.DataFrame | None]:
    """Run one rule; never raises: a missing table or a crash becomes the rule's status."""
    lang = params.language
    missing = [tb for tb in r.tables if not bundle.has(tb)]
    missing += [c for c in r.columns if c.partition(".")[0] not in missing and not bundle.has(c)]
    if missing:
        tables = ("、" if lang == "zh" else ", ").join(label(m, lang) for m in missing)
        return summary_row(
            r, lang, "not_tested", not_tested_reason=t("not_provided", lang, tables=tables)
        ), None
    given = params.rule_params(r.code)
    absent = [what[lang] for name, what in r.needs.items() if not given.get(name)]
    if absent:  # e.g. no special accounts configured: nothing to compare with, so no verdict either way
        what = ("；" if lang == "zh" else "; ").join(absent)
        return summary_row(
            r, lang, "not_tested", not_tested_reason=t("param_not_provided", lang, what=what)
        ), None
    try:
        out: RuleOutput = _evaluate(r, params, bundle)
        check_output(r, out)
        frame = out.findings.reset_index(drop=True)
        frame["entity_id"] = frame["entity_id"].astype("string")
        frame = (
            frame.sort_values("entity_id", kind="stable").drop_duplicates("entity_id").reset_index(drop=True)
        )
        frame["detail"] = render_details(r, frame, params.language)
        frame["detail_full"] = (
            render_details(r, frame, params.language, mask=False) if r.pii else frame["detail"]
        )
    except Exception as e:  # noqa: BLE001 - a rule's crash is that rule's result, the others go on
        return summary_row(r, lang, "error", not_tested_reason="rule error", error=_rule_error(e)), None
    n = len(frame)
    rate = n / out.population if out.population else (np.nan if n == 0 else 1.0)
    return summary_row(
        r,
        lang,
        "exceptions" if n else "passed",
        tested=True,
        population=int(out.population),
        exceptions=n,
        exception_rate=rate,
        left_out=int(out.left_out),
        **{SUMMARY_NOTES: dict(out.notes)},
    ), frame


def _runnable(r: Rule, params: AuditParams, bundle: Bundle) -> bool:
    """Whether `run_rule` will call the rule (its tables, columns and needed parameters are given)."""
    given = params.rule_params(r.code)
    return all(bundle.has(x) for x in (*r.tables, *r.columns)) and all(given.get(n) for n in r.needs)


def run_audit(params: AuditParams, bundle: Bundle) -> AuditResult:
    selected = set(params.selected())
    rows, frames, parts = [], {}, []
    if getattr(bundle, "partitions", None) is not None:  # the declared rules, all buckets at once
        bundle.partitions.prepare(
            [r for c, r in REGISTRY.items() if c in selected and _runnable(r, params, bundle)],
            lambda code: rule_context(params, bundle, code),
        )
    for code, r in REGISTRY.items():
        if code not in selected:
            rows.append(
                summary_row(
                    r, params.language, "not_tested", not_tested_reason=t("disabled", params.language)
                )
            )
            continue
        row, frame = run_rule(r, params, bundle)
        rows.append(row)
        if frame is None:
            continue
        frames[code] = frame
        parts.append(
            pd.DataFrame(
                {
                    "rule_code": code,
                    "family": r.family,
                    "severity": r.severity,
                    "entity_type": r.entity,
                    "entity_id": frame["entity_id"],
                    "occurred_at": pd.to_datetime(frame["occurred_at"]),
                    "detail": frame["detail"],
                    "detail_full": frame["detail_full"],
                    "title": r.title[params.language],
                    "staff_id": frame["staff_id"] if "staff_id" in frame else pd.NA,
                    "evidence": frame["evidence"] if "evidence" in frame else "",
                    "exposed_until": (
                        pd.to_datetime(frame["exposed_until"]) if "exposed_until" in frame else pd.NaT
                    ),
                }
            )
        )
    # once, not after every rule: the allocators reuse one rule's freed memory for the next, and giving it
    # back each time made every rule fault its pages in again (+5 s CPU at 10^7)
    give_back_memory()
    findings = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            columns=[
                "rule_code",
                "family",
                "severity",
                "entity_type",
                "entity_id",
                "occurred_at",
                "detail",
                "detail_full",
                "title",
                "staff_id",
                "evidence",
                "exposed_until",
            ]
        )
    )
    findings["finding_id"] = [
        finding_id(params.institution_id, c, e)
        for c, e in zip(findings["rule_code"], findings["entity_id"], strict=True)
    ]
    findings, use = _apply_mitigations(findings, params)
    findings = findings.sort_values(["rule_code", "entity_id"], kind="stable").reset_index(drop=True)
    summary = pd.DataFrame(rows)
    counts = findings.groupby(["rule_code", "status"]).size().unstack(fill_value=0)
    for status in ("open", "mitigated"):
        if status in counts:
            summary[status] = summary["rule_code"].map(counts[status]).fillna(0).astype(int)
    summary = summary[SUMMARY_COLUMNS + SUMMARY_EXTRA + [SUMMARY_NOTES]]
    return AuditResult(
        params, bundle, findings[FINDINGS_COLUMNS + EXTRA_FINDING_COLUMNS], summary, frames, use
    )
