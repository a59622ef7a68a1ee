"""Mitigations end (rules.md v2): an approved exception covers a lasting finding only if it is still valid on
the finding's last day in the period; a mitigation needs a reason and an approver; the report lists the
mitigations that ended, end soon, or matched nothing. Also the params checks of ABN-009's account list."""

import pytest
from helpers import bundle_dir, write_params

from auditlib.cli import main
from auditlib.engine import run_audit
from auditlib.fixtures import case_bundle
from auditlib.params import ParamsError, parse_params
from auditlib.report.mitigations import mitigation_table, mitigations_section

# staff 001: promotion and counter together from 2025-03-01 to 2025-06-30 (last common day)
# staff 002: left on 2025-04-30, kept counter until 2025-09-30 (SOD-008, last day kept 2025-09-30)
TABLES = {
    "staff": [
        {"staff_id": "001", "name": "张三"},
        {"staff_id": "002", "name": "李四", "leave_date": "2025-04-30"},
    ],
    "staff_roles": [
        {"staff_id": "001", "role": "promotion", "start_date": "2024-01-01"},
        {"staff_id": "001", "role": "counter", "start_date": "2025-03-01", "end_date": "2025-06-30"},
        {"staff_id": "002", "role": "counter", "start_date": "2020-01-01", "end_date": "2025-09-30"},
    ],
    "operations": [  # SOD-007: an operation after leaving, on 2025-05-06 (not an interval rule)
        {
            "op_id": "o1",
            "ts": "2025-05-06 10:00:00",
            "staff_id": "002",
            "action": "enter",
            "business_type": "account_open",
            "ref_id": "A1",
        }
    ],
}


def audit(mitigations, language="zh", as_of="2026-01-31", rules=("SOD-001", "SOD-007", "SOD-008")):
    params = parse_params(
        {
            "institution_id": "mit",
            "institution_name": "<b>机构</b>",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": as_of,
            "language": language,
            "rules": list(rules),
            "mitigations": mitigations,
        }
    )
    return run_audit(params, case_bundle(TABLES))


def mit(rule, until, target="001", **kw):
    return {
        "rule": rule,
        "staff_id": target,
        "reason": "过渡期安排",
        "approved_by": "合规部 王经理",
        "valid_until": until,
        **kw,
    }


def finding(result, code):
    f = result.findings
    return f[f["rule_code"] == code].iloc[0]


@pytest.mark.parametrize(
    ("until", "status"),
    [("2025-06-29", "open"), ("2025-06-30", "mitigated"), ("2025-07-01", "mitigated")],
    ids=["before the last common day", "on it", "after it"],
)
def test_a_conflict_is_mitigated_only_if_the_mitigation_lasts_to_its_last_common_day(until, status):
    r = audit([mit("SOD-001", until)])
    f = finding(r, "SOD-001")
    assert f["status"] == status
    assert ("自 2025-06-30 起不再覆盖" in f["detail"]) == (status == "open")
    assert r.mitigation_use.to_dict("records") == [
        {"matched": 1, "covered": int(status == "mitigated"), "lapsed": int(status == "open")}
    ]


def test_valid_on_the_first_day_of_the_conflict_is_not_enough():
    # v1 compared with the first day (occurred_at 2025-03-01): this mitigation covered the conflict then
    r = audit([mit("SOD-001", "2025-03-01")], language="en")
    f = finding(r, "SOD-001")
    assert f["status"] == "open"
    assert f["detail"].endswith(
        "the approved exception was valid only until 2025-03-01: not covered from 2025-03-02"
    )


@pytest.mark.parametrize(
    ("until", "status"),
    [("2025-09-29", "open"), ("2025-09-30", "mitigated"), ("2025-10-01", "mitigated")],
)
def test_a_role_kept_after_leaving_is_mitigated_only_to_its_last_day_kept(until, status):
    f = finding(audit([mit("SOD-008", until, target="002")]), "SOD-008")
    assert f["status"] == status
    assert ("仅有效至 2025-09-29，自 2025-09-30 起不再覆盖" in f["detail"]) == (status == "open")


@pytest.mark.parametrize(
    ("until", "status"), [("2025-05-05", "open"), ("2025-05-06", "mitigated"), ("2025-05-07", "mitigated")]
)
def test_other_rules_compare_the_occurrence_with_valid_until(until, status):
    f = finding(audit([mit("SOD-007", until, target="002")]), "SOD-007")
    assert f["status"] == status
    assert "不再覆盖" not in f["detail"]  # the lapse note is for the interval rules


def test_a_family_mitigation_and_the_latest_of_several_ends():
    r = audit([mit("SOD", "2025-04-01"), mit("SOD-001", "2025-05-31")])
    f = finding(r, "SOD-001")
    assert f["status"] == "open" and "仅有效至 2025-05-31，自 2025-06-01 起不再覆盖" in f["detail"]
    assert r.mitigation_use.attrs["lapsed_findings"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": None}, "has no reason"),
        ({"reason": "  "}, "has no reason"),
        ({"approved_by": ""}, "has no approved_by"),
        ({"reason": "", "approved_by": None}, "has no reason and no approved_by"),
    ],
)
def test_a_mitigation_without_reason_or_approver_is_a_params_error(change, message):
    m = {k: v for k, v in {**mit("SOD-001", "2025-12-31"), **change}.items() if v is not None}
    with pytest.raises(ParamsError, match=message) as e:
        audit([m])
    assert len(e.value.problems) == 1 and "mitigations.0" in str(e.value)


def test_cli_exits_2_with_one_line_for_a_mitigation_without_approver(tmp_path, capsys):
    bundle_dir(tmp_path / "data")
    params = write_params(
        tmp_path / "p.yaml",
        "data",
        mitigations="[{rule: SOD-001, staff_id: '001', reason: 过渡期, valid_until: 2025-12-31}]",
    )
    assert main(["run", str(params), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "has no approved_by" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def base_params(**kw):
    return {
        "institution_id": "x",
        "institution_name": "x",
        "data_dir": ".",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "as_of": "2026-01-31",
        **kw,
    }


@pytest.mark.parametrize("target", ["ABN-009", "ABN"])
def test_special_accounts_given_as_numbers_are_a_params_error(target):
    # what YAML makes of an unquoted 0011002200330044 and 6222000000000001
    with pytest.raises(ParamsError, match=r"sales_special_accounts: item 2 is a number") as e:
        parse_params(base_params(overrides={target: {"sales_special_accounts": ["6222", 6222000000000001]}}))
    assert "leading zeros" in str(e.value)


def test_special_accounts_as_text_are_fine_and_a_bare_number_is_a_type_error():
    p = parse_params(base_params(overrides={"ABN-009": {"sales_special_accounts": ["0011002200330044"]}}))
    assert p.rule_params("ABN-009")["sales_special_accounts"] == ["0011002200330044"]
    with pytest.raises(ParamsError, match="expected list"):
        parse_params(base_params(overrides={"ABN-009": {"sales_special_accounts": 6222000000000001}}))


def test_other_text_lists_refuse_numbers_too_but_not_lists_of_pairs():
    with pytest.raises(ParamsError, match="review_required: item 1 is a number"):
        parse_params(base_params(overrides={"SOD-006": {"review_required": [24]}}))
    parse_params(base_params(overrides={"SOD-001": {"conflict_pairs": [["sales", "counter"]]}}))


# ------------------------------------------------------------------ the report section


def test_the_section_lists_ended_soon_ending_and_unused_mitigations():
    r = audit(
        [
            mit("SOD-001", "2025-06-29"),  # ended inside the period (and the conflict went on: lapsed)
            mit("SOD-008", "2026-02-15", target="002"),  # ends within 30 days after as_of
            mit("SOD-001", "2026-12-31", target="099"),  # matched nothing
            mit("SOD-007", "2026-06-30", target="002"),  # in force and used: in none of the lists
        ]
    )
    m = mitigation_table(r)
    assert m["expired_in_period"].tolist() == [True, False, False, False]
    assert m["ending_soon"].tolist() == [False, True, False, False]
    assert m["unused"].tolist() == [False, False, True, False]
    html = mitigations_section(r)
    assert "检查期间内到期的例外（1 项）" in html
    assert "检查基准日后 30 日内（至 2026-03-02）到期的例外（1 项）" in html
    assert "未匹配任何发现的例外（1 项）" in html
    assert "员工 099" in html and "2026-02-15" in html
    assert "仍列为待整改的发现 1 条" in html
    # no code words: no parameter names, no Python literals
    for word in ("valid_until", "approved_by", "staff_id", "None", "nan", "True", "False"):
        assert word not in html, word
    assert "合规部 王经理" not in html  # the approver is named in the working papers


def test_the_section_escapes_params_text_and_speaks_english():
    r = audit([mit("SOD-001", "2026-02-01", reason="<script>alert(1)</script>")], language="en")
    html = mitigations_section(r)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Exceptions ending within 30 days after the as-of day, by 2026-03-02 (1)" in html


def test_the_section_without_mitigations():
    assert "本次检查未列出已批准的例外" in mitigations_section(audit([]))


def test_a_soon_ending_boundary_is_30_days_after_as_of():
    r = audit([mit("SOD-001", "2026-03-02"), mit("SOD-001", "2026-03-03"), mit("SOD-001", "2026-01-31")])
    assert mitigation_table(r)["ending_soon"].tolist() == [True, False, False]
