"""What a rule returns is checked in one place (rules.base.check_output): a wrong frame is that rule's error,
worded as such, and the other rules still run. And the failure of an audit is structured (outcome.Failure):
the sentence a person reads is rendered from its kind and fields."""

from __future__ import annotations

import dataclasses
import string

import pandas as pd
import pytest

from auditlib.engine import run_rule
from auditlib.fixtures import case_bundle
from auditlib.outcome import KINDS, Failure, Outcome
from auditlib.params import parse_params
from auditlib.rules import REGISTRY
from auditlib.rules.base import RuleOutput

PARAMS = parse_params(
    {
        "institution_id": "x",
        "institution_name": "x",
        "data_dir": ".",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "as_of": "2026-01-31",
    }
)
TS = pd.Timestamp("2025-03-03")


def rule_returning(out):
    """SOD-001 (template over its own columns) with a body that returns `out`."""
    return dataclasses.replace(REGISTRY["SOD-001"], func=lambda ctx: out, tables=())


def frame(**cols):
    return pd.DataFrame(cols)


def good_frame(**change):
    """One finding with every column SOD-001's detail templates name; `change` replaces columns."""
    names = {
        n for t in REGISTRY["SOD-001"].detail.values() for _, n, _, _ in string.Formatter().parse(t) if n
    }
    cols = {"entity_id": ["1"], "occurred_at": [TS], **{n: ["v"] for n in names}}
    return pd.DataFrame({**cols, **change})


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (None, "SOD-001 returned a NoneType, not a RuleOutput(population, findings)"),
        (pd.DataFrame(), "SOD-001 returned a DataFrame, not a RuleOutput"),
        (RuleOutput(-1, frame(entity_id=[], occurred_at=[])), "a population of -1, not a count"),
        (RuleOutput(1, [("1", TS)]), "findings as a list, not a table (DataFrame)"),
        (
            RuleOutput(1, good_frame().drop(columns="occurred_at")),
            "findings without the column(s) occurred_at",
        ),
        (RuleOutput(1, good_frame().rename(columns={"entity_id": "id"})), "without the column(s) entity_id"),
        (RuleOutput(1, good_frame(occurred_at=["yesterday"])), "returned occurred_at as str, not timestamps"),
        (RuleOutput(1, good_frame(entity_id=[None])), "1 finding(s) without an entity_id"),
    ],
)
def test_a_wrong_result_is_the_rules_error_in_words(out, message):
    row, found = run_rule(rule_returning(out), PARAMS, case_bundle({}, ()))
    assert found is None and row["status"] == "error" and row["not_tested_reason"] == "rule error"
    assert row["error"].startswith("wrong result: SOD-001 returned") and message in row["error"]
    assert "(at " not in row["error"], "not a crash located in auditlib"


def test_a_template_column_missing_is_named():
    out = RuleOutput(1, good_frame().drop(columns="staff_id"))
    row, _ = run_rule(rule_returning(out), PARAMS, case_bundle({}, ()))
    assert row["error"] == "wrong result: SOD-001 returned findings without the column(s) staff_id"


def test_a_right_result_passes_and_a_crash_is_still_located():
    row, found = run_rule(rule_returning(RuleOutput(3, good_frame())), PARAMS, case_bundle({}, ()))
    assert row["status"] == "exceptions" and len(found) == 1

    def crash(ctx):
        raise KeyError("staff_id")

    row, _ = run_rule(
        dataclasses.replace(REGISTRY["SOD-001"], func=crash, tables=()), PARAMS, case_bundle({}, ())
    )
    assert row["error"].startswith("KeyError: 'staff_id' (at ")


@pytest.mark.parametrize(
    ("failure", "sentence"),
    [
        (
            Failure("timeout", scope="audit", limit=6, cell=4, code="x = 1"),
            "timed out: the audit ran longer than its 6 s limit (--timeout); stopped in cell 4 (`x = 1`)",
        ),
        (
            Failure("timeout", scope="cell", limit=3.5),
            "timed out: a cell ran longer than 3.5 s (--cell-timeout)",
        ),
        (
            Failure("interrupted", scope="before"),
            "interrupted before it started; rerun (with --resume) to complete it",
        ),
        (
            Failure("interrupted", scope="while", cell=2, code="a()"),
            "interrupted while running in cell 2 (`a()`); rerun (with --resume) to complete it",
        ),
        (
            Failure("kernel_not_started", detail="RuntimeError: boom", attempts=2),
            "the Jupyter kernel failed to start (2 attempts): RuntimeError: boom",
        ),
        (
            Failure("kernel_died", cell=5, code="b()", signal="SIGKILL"),
            "the Jupyter kernel died in cell 5 (`b()`) (killed by SIGKILL, possibly out of memory)",
        ),
        (Failure("kernel_died", exit_status=3), "the Jupyter kernel died (exit status 3)"),
        (
            Failure("out_of_disk", detail="OSError: [Errno 28] No space", path="/out/x"),
            "output disk full (writing under /out/x): OSError: [Errno 28] No space",
        ),
        (
            Failure("output_error", detail="PermissionError: [Errno 13] denied"),
            "PermissionError: [Errno 13] denied",
        ),
        (
            Failure("cell_error", detail="ZeroDivisionError: division by zero", cell=7),
            "ZeroDivisionError: division by zero",
        ),
        (
            Failure("bad_params", detail="p.yaml: colour: unknown key"),
            "bad params: p.yaml: colour: unknown key",
        ),
        (
            Failure("bad_data", detail="DataContractError: staff.csv: missing"),
            "DataContractError: staff.csv: missing",
        ),
        (
            Failure("worker_lost", detail="the worker running it failed: BrokenProcessPool: x"),
            "the worker running it failed: BrokenProcessPool: x",
        ),
    ],
)
def test_the_sentence_is_rendered_from_the_structured_failure(failure, sentence):
    assert failure.sentence() == sentence
    text = failure.text().splitlines()
    assert text[0] == sentence and text[1] == "" and text[2] == f"kind: {failure.kind}"
    outcome = Outcome.failed("inst", failure)
    assert (outcome.error, outcome.error_kind) == (sentence, failure.kind)
    assert "failure" not in outcome.row()


def test_every_kind_has_a_test_and_unknown_kinds_are_refused():
    tested = {
        "timeout",
        "interrupted",
        "kernel_not_started",
        "kernel_died",
        "out_of_disk",
        "output_error",
        "cell_error",
        "bad_params",
        "bad_data",
        "worker_lost",
    }
    assert tested == set(KINDS)
    with pytest.raises(ValueError, match="unknown failure kind"):
        Failure("oops")
