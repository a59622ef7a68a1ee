"""What the auditor's notebook offers beyond the report: narrative in the params' language, the guide's worked
examples (a rule's findings, a table, one entity's evidence, a rule re-run), write_outputs without an output
folder, and the offline HTML export."""

from __future__ import annotations

import re

import nbformat
import pytest
from helpers import SOD_DATA, bundle_dir, write_params

from auditlib.cli import main
from auditlib.errors import AuditError
from auditlib.notebook import Audit
from auditlib.report.auditor_guide import GUIDE, NARRATIVE
from auditlib.report.export import auditor_html

DATA = {
    **SOD_DATA,
    "customers": "customer_id,name,id_number,phone,open_date\n"
    "0001,李四,110105195408085825,18658978618,2020-01-01\n",
}


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nb")
    bundle_dir(tmp / "data", DATA)
    return Audit.start(params_file=str(write_params(tmp / "params" / "i.yaml", "../data", rules="[SOD]")))


def test_narrative_in_both_languages_for_every_section():
    for key, texts in NARRATIVE.items():
        assert set(texts) == {"zh", "en"}, key
        assert re.search(r"[\u4e00-\u9fff]", texts["zh"]) and not re.search(r"[\u4e00-\u9fff]", texts["en"])
    for lang in ("zh", "en"):
        assert {"code", "table", "entity", "param"} <= set(re.findall(r"\{(\w+)\}", GUIDE[lang]))


def test_guide_examples_run_on_this_audits_findings(audit, capsys):
    ex = audit._examples()
    assert ex["code"] == "SOD-001" and ex["entity"] == "001" and ex["table"] == "staff_roles"
    findings = audit.rule_findings(ex["code"])
    assert findings["entity_id"].tolist() == ["001"] and "first_day" in findings
    rows = audit.entity_evidence("SOD-001", "001")
    assert set(rows["table"]) == {"staff_roles"} and sorted(rows["_row"]) == [2, 3]
    audit.guide()  # displays without error (outside a notebook, IPython prints the reprs)
    assert "SOD-001" in capsys.readouterr().out


def test_table_is_masked_and_a_rerun_leaves_the_audit_alone(audit, capsys):
    customers = audit.table("customers")
    assert customers.loc[0, "name"] == "李*" and "110105195408085825" not in customers.to_string()
    with pytest.raises(AuditError, match="no table nope"):
        audit.table("nope")
    before = audit.result.findings.copy()
    found = audit.rerun("SOD-001", conflict_pairs=[["promotion", "sales"]])
    assert found.empty and "例外 0（本次检查 1）" in capsys.readouterr().out
    assert audit.result.findings.equals(before)
    with pytest.raises(AuditError, match="unknown parameter"):
        audit.rerun("SOD-001", no_such_parameter=1)


def test_write_outputs_without_a_folder_writes_to_a_named_one(audit, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    paths = audit.write_outputs()
    folder = tmp_path / "notebook-outputs" / "test-inst" / "2025-12-31"
    names = {p.name for p in paths}
    assert {"findings.csv", "rule_summary.csv", "data_quality.csv", "findings.xlsx", "responses.csv"} <= names
    assert all(p.parent == folder and p.is_file() for p in paths)
    assert str(folder) in capsys.readouterr().out
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises(AuditError, match="cannot write the outputs"):
        audit.write_outputs(output_dir=blocked / "sub")


def test_auditor_html_is_offline_with_code_narrative_and_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"language": "zh", "institution_name": "测试机构"}}
    code = nbformat.v4.new_code_cell("audit.narrative('load')")
    code.outputs = [
        nbformat.v4.new_output("display_data", {"text/markdown": "**参数**在读取数据之前校验"}),
        nbformat.v4.new_output("display_data", {"text/html": "<table><tr><td>SOD-001</td></tr></table>"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("## 载入与运行"), code]
    path = tmp_path / "report.ipynb"
    nbformat.write(nb, path)
    assert main(["html", str(path)]) == 0
    page = (tmp_path / "report-auditor.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and not re.search(r"(src|href)=[\"']?(https?:)?//", page)
    assert "audit.narrative" in re.sub(r"<[^>]+>", "", page)  # the code, highlighted span by span
    assert "载入与运行" in page and "<strong>参数</strong>" in page
    assert "SOD-001" in page and '<html lang="zh">' in page and "测试机构" in page
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(AuditError, match="not a readable notebook"):
        auditor_html(bad)
