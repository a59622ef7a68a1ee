"""Findings tracking: this period's findings against the previous period's, by `finding_id`.

`finding_id` is a digest of (institution_id, rule_code, entity_id), stable across runs and versions, so the
previous period's `findings.csv` is all that is needed:

* a finding of this run is **new** when its id is not among the previous findings, **recurring** when it is;
* a previous finding whose id is not found now is **resolved** when its rule was tested in this run, and
  **not retested** when it was not (data not provided, disabled, or the rule's error): absent evidence is
  not evidence of remediation.

`previous_dir` (params) is the previous period's output folder of the same institution (the folder holding
its `findings.csv`), relative to the params file. A folder without `findings.csv`, or whose `manifest.json`
names another institution, stops the audit with an error that says so: tracking that silently reported
every finding as new would mislead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import AuditError
from ..params import resolve_relative

STATES = ("new", "recurring")
NEEDED = ("finding_id", "rule_code", "entity_id")


class TrackingError(AuditError):
    """previous_dir cannot be used for tracking."""


@dataclass
class Tracking:
    previous_dir: Path
    #: the previous run's period end and run id, when its manifest.json says so
    previous_label: str
    #: this run's finding_id -> new | recurring
    state: pd.Series
    #: this run's finding_id -> rule_code
    rule_of: pd.Series
    #: previous findings (findings.csv columns) not found now, their rule tested now
    resolved: pd.DataFrame
    #: previous findings not found now whose rule was not tested now
    not_retested: pd.DataFrame

    def counts(self, rule_code: str | None = None) -> dict[str, int]:
        """new / recurring (this run's findings) and resolved / not_retested, overall or for one rule."""
        res, nrt = self.resolved, self.not_retested
        states = self.state
        if rule_code is not None:
            res, nrt = res[res["rule_code"] == rule_code], nrt[nrt["rule_code"] == rule_code]
            states = states[(self.rule_of == rule_code).to_numpy()]
        return {
            "new": int((states == "new").sum()),
            "recurring": int((states == "recurring").sum()),
            "resolved": len(res),
            "not_retested": len(nrt),
        }


def read_previous(folder: Path, institution_id: str) -> tuple[pd.DataFrame, str]:
    """The previous run's findings (all columns as text) and a label naming that run."""
    path = folder / "findings.csv"
    if not folder.is_dir():
        raise TrackingError(f"previous_dir: folder not found: {folder}")
    if not path.is_file():
        raise TrackingError(
            f"previous_dir: no findings.csv in {folder} (give the previous period's output folder, "
            "e.g. outputs/<institution_id>/<period_end>)"
        )
    label = folder.name
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            m = {}
        params = m.get("params") or {}
        other = params.get("institution_id")
        if other and other != institution_id:
            raise TrackingError(f"previous_dir: {folder} holds the results of {other}, not {institution_id}")
        if params.get("period_start") and params.get("period_end"):
            label = f"{params['period_start']} — {params['period_end']}"
    prev = read_previous_csv(path, NEEDED, TrackingError)
    return prev.drop_duplicates("finding_id").reset_index(drop=True), label


def read_previous_csv(path: Path, needed, error: type[AuditError]) -> pd.DataFrame:
    """A previous run's output CSV, all text; `error` names what could not be read or is not that file
    (findings.csv here, responses.csv for the responses follow-up), so the examiner sees which input is
    wrong."""
    try:
        prev = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (OSError, ValueError, UnicodeError) as e:
        raise error(f"previous_dir: {path} cannot be read: {e}") from None
    missing = [c for c in needed if c not in prev.columns]
    if missing:
        raise error(f"previous_dir: {path} is not a {path.name} (missing {', '.join(missing)})")
    return prev


def track(
    findings: pd.DataFrame, summary: pd.DataFrame, previous: pd.DataFrame, folder: Path, label: str
) -> Tracking:
    ids = set(previous["finding_id"])
    state = pd.Series(
        ["recurring" if i in ids else "new" for i in findings["finding_id"]],
        index=findings["finding_id"].to_numpy(),
        dtype=object,
    )
    gone = previous[~previous["finding_id"].isin(set(findings["finding_id"]))]
    tested = set(summary.loc[summary["tested"].astype(bool), "rule_code"])
    retested = gone["rule_code"].isin(tested)
    order = ["rule_code", "entity_id"]
    rule_of = pd.Series(findings["rule_code"].to_numpy(), index=state.index, dtype=object)
    return Tracking(
        folder,
        label,
        state,
        rule_of,
        gone[retested].sort_values(order).reset_index(drop=True),
        gone[~retested].sort_values(order).reset_index(drop=True),
    )


def track_result(result, previous_dir: str | None, params_file: str | Path | None) -> Tracking | None:
    """Tracking for an audit result, or None when params give no previous_dir. Adds the `tracking` column
    (new | recurring, empty without previous_dir) to `result.findings`."""
    if not previous_dir:
        result.findings["tracking"] = ""
        return None
    folder = resolve_relative(previous_dir, params_file)
    previous, label = read_previous(folder, result.params.institution_id)
    tr = track(result.findings, result.summary, previous, folder, label)
    result.findings["tracking"] = result.findings["finding_id"].map(tr.state).fillna("")
    return tr
