"""The auditor's own HTML of an executed notebook: code, narrative and auditor cells included, offline.

Default `jupyter nbconvert --to html` loads require.js and MathJax from a CDN, so the page is blank or broken
on a machine without internet. This export uses the kit's template (`templates/auditlib`, the same as the
examiner's report: no script, no external resource, a Content-Security-Policy forbidding both) and keeps every
cell: `auditlib html outputs/<institution_id>/<period_end>/report.ipynb [--out FILE]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AuditError

if TYPE_CHECKING:
    import nbformat

TEMPLATES = Path(__file__).resolve().parent / "templates"
HIDDEN_TAGS = {"auditor", "parameters", "injected-parameters"}  # cells the examiner's report leaves out


def _title_and_lang(nb) -> tuple[str, str]:
    """From the params the notebook ran with (papermill records them), else neutral defaults."""
    given = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    lang, name = given.get("language"), given.get("institution_name")
    if given.get("params_file"):
        from ..params import ParamsError, read_params_file

        try:
            data = read_params_file(given["params_file"])
            lang, name = lang or data.get("language"), name or data.get("institution_name")
        except ParamsError:
            pass
    return str(name or "auditlib"), lang if lang in ("zh", "en") else "zh"


def auditor_html(nb_path: Path, out: Path | None = None) -> Path:
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb_path = Path(nb_path)
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except (OSError, ValueError) as e:
        raise AuditError(f"{nb_path}: not a readable notebook ({e})") from None
    title, lang = _title_and_lang(nb)
    exporter = HTMLExporter(
        template_name="auditlib",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    # a narrative cell's code (`audit.narrative("load")`) is plumbing: its text is what the reader wants
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"narrative"}), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"report_lang": lang, "report_title": title})
    out = Path(out) if out else nb_path.with_name(nb_path.stem + "-auditor.html")
    out.write_text(body, encoding="utf-8")
    return out


def examiner_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook as the examiner sees it: report outputs only, no code, streams or tracebacks."""
    import nbformat

    nb = nbformat.from_dict(nb)
    keep = []
    for cell in nb.cells:
        if cell.cell_type != "code" or HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        cell.outputs = [
            o
            for o in cell.outputs
            if o.output_type in ("display_data", "execute_result") and "text/html" in o.get("data", {})
        ]
        if cell.outputs:
            keep.append(cell)
    nb.cells = keep
    return nb


def export_html(nb_path: Path, html_path: Path, lang: str, title: str) -> Path:
    import nbformat

    return export_notebook(nbformat.read(nb_path, as_version=4), html_path, lang, title)


def export_notebook(nb, html_path: Path, lang: str, title: str) -> Path:
    """The examiner's report.html from an executed notebook (node), its report outputs only."""
    from nbconvert import HTMLExporter

    nb = examiner_notebook(nb)
    exporter = HTMLExporter(
        template_name="auditlib",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"report_lang": lang, "report_title": title})
    html_path.write_text(body, encoding="utf-8")
    return html_path
