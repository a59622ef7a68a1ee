"""The examiner's report as filed: both demo reports (zh and en) read without a code word, and report.pdf
carries the same sections and findings as the HTML, with bookmarks, no personal data and its fonts embedded.

Each demo institution is generated (demo-a smaller) and audited end to end (papermill, nbconvert, WeasyPrint).
The wording scan reads the HTML's visible text outside <code> elements (codes such as file and table names and
evidence references are set as code on purpose). The font test renders the zh HTML again in a process whose
fontconfig knows no font at all: the PDF must still show the Chinese text, from the embedded Noto Sans CJK.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
import yaml
from helpers import personal_data

from auditlib.demo import write_demo
from auditlib.runner import run_one

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
DEMOS = {"demo-a": 2000, "demo-b": None}  # transactions (None: the demo's own size)

#: what must not appear in the report's prose: identifiers (snake_case), Python literals, raw timedeltas,
#: unresolved plurals, codes in parentheses after a label (高(high)), half-width punctuation beside Chinese
CODE_WORDS = re.compile(
    r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b"
    r"|\b(?:True|False|None|NaN|nan|NaT)\b"
    r"|\bdays? \d\d:\d\d:\d\d|天 \d\d:\d\d:\d\d|\d+ days?, \d+:\d\d"
    r"|[a-z]\(s\)"
    r"|\((?:high|medium|low|open|mitigated|promotion|counter|sales)\)"
)
HALF_WIDTH_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:?!]|[,;:?!][\u4e00-\u9fff]")


@pytest.fixture(scope="module", params=list(DEMOS))
def demo(request, tmp_path_factory):
    inst = request.param
    root = tmp_path_factory.mktemp(inst)
    write_demo(root / "data", names=[inst], transactions=DEMOS[inst])
    params = yaml.safe_load((ROOT / "params" / f"{inst}.yaml").read_text(encoding="utf-8"))
    params["data_dir"] = str(root / "data" / inst)
    for key in ("attestations", "responses"):  # relative to the params file, which moves to root
        if params.get(key):
            params[key] = str(ROOT / "params" / params[key])
    params["examiners"] = [
        {"name": "检查人甲", "role": "检查组组长"},
        {"name": "Reviewer B", "role": "复核人"},
    ]
    params_file = root / f"{inst}.yaml"
    params_file.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    outcome = run_one(params_file, root / "out", pdf=True)
    assert outcome.status == "ok", outcome.error
    folder = Path(outcome.report).parent
    return inst, root, folder


def prose(page: str) -> str:
    """The visible text of a report outside <code> (and <head>, <style>), one line per element."""
    page = re.sub(r"<(head|style|code)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(path).pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def headings(page: str, level: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", h)).strip()
        for h in re.findall(rf"<{level}\b[^>]*>(.*?)</{level}>", page, flags=re.S)
    ]


def outline_titles(reader: pypdf.PdfReader) -> list[str]:
    out = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                out.append(item.title)

    walk(reader.outline)
    return out


def test_scanner_catches_each_kind_of_code_word():
    """The scan is not vacuous: each leak the issue found is caught, and plain report prose is not."""
    for leak in (
        "若参数 basis_year_counts 为 true",
        "（本次取值：False）",
        "仅 30 天 00:00:00",
        "came 30 days 00:00:00 after",
        "within 1 working day(s)",
        "严重程度 高(high)",
        "每日备份状态（按 backup_date）",
    ):
        assert CODE_WORDS.search(leak), leak
    assert HALF_WIDTH_IN_CHINESE.search("授权表:柜面操作")
    for fine in (
        "检查期间：2025-01-01 至 2025-12-31",
        "within 30 minutes of working time",
        "SHA-256 c6fc330d",
    ):
        assert not CODE_WORDS.search(fine) and not HALF_WIDTH_IN_CHINESE.search(fine), fine


def test_report_prose_has_no_code_words(demo):
    inst, _, folder = demo
    text = prose((folder / "report.html").read_text(encoding="utf-8"))
    leaks = sorted({m.group(0) for m in CODE_WORDS.finditer(text)})
    assert leaks == [], leaks
    if inst == "demo-a":  # the zh report: full-width punctuation in Chinese sentences
        assert HALF_WIDTH_IN_CHINESE.findall(text) == []
        assert "检查结论" in text and "签署" in text and "检查人甲" in text


def test_report_sections_in_the_contract_order_with_finding_ids_and_evidence(demo):
    inst, _, folder = demo
    page = (folder / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'<h2 id="([^"]+)"', page)
    core = ["conclusion", "key-findings", "scope", "methodology"]
    assert ids[:4] == core and ids[-2:] == ["appendix", "sign-off"], ids
    assert ids.index("data-quality") > max(i for i, x in enumerate(ids) if x.startswith("family-"))
    findings = (folder / "findings.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    shown = set(re.findall(r"<code>([0-9a-f]{16})</code>", page))
    high = {line.split(",")[0] for line in findings if line.split(",")[2] == "high"}
    assert high and high <= shown  # every high-severity finding, by its id
    assert "row" in page and ("第" in page if inst == "demo-a" else True)  # evidence references


def test_pdf_is_in_the_manifest_with_a_bookmark_per_section(demo):
    _, _, folder = demo
    pdf = folder / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "report.pdf" in manifest["outputs"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    reader = pypdf.PdfReader(pdf)
    titles = outline_titles(reader)
    assert headings(page, "h2") and set(headings(page, "h2")) <= set(titles)
    rules = [h for h in headings(page, "h3") if re.match(r"[A-Z]+-\d{3} ", h)]
    assert rules and set(rules) <= set(titles)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points


def test_pdf_has_the_htmls_headings_and_finding_ids_and_page_numbers(demo):
    inst, _, folder = demo
    page = (folder / "report.html").read_text(encoding="utf-8")
    text = pdf_text(folder / "report.pdf")
    flat = squeeze(text)
    for h in headings(page, "h2") + headings(page, "h3"):
        assert squeeze(h) in flat, h
    ids = set(re.findall(r"<code>([0-9a-f]{16})</code>", page))
    assert ids and {i for i in ids if i not in text} == set()
    pages = len(pypdf.PdfReader(folder / "report.pdf").pages)
    assert f"1 / {pages}" in text and f"{pages} / {pages}" in text  # page numbers
    run_id = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    assert text.count(run_id) >= pages - 1  # the running header on every page but the cover


def test_charts_print_at_150_dpi_or_more_and_the_html_stays_light(demo):
    _, _, folder = demo
    assert (folder / "report.html").stat().st_size < 1_500_000
    if not shutil.which("pdfimages"):
        pytest.skip("pdfimages (poppler-utils) not installed")
    listing = subprocess.run(
        ["pdfimages", "-list", str(folder / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    ppi = [int(line.split()[12]) for line in listing if line.split()[2] == "image"]
    assert ppi and min(ppi) >= 150, ppi


def test_pdf_has_no_personal_data(demo):
    inst, root, folder = demo
    flat = squeeze(pdf_text(folder / "report.pdf"))
    pii = personal_data(root / "data" / inst)
    assert len(pii) > 500
    assert sorted(v for v in pii if squeeze(v) in flat) == []


def _glyph_ids(reader: pypdf.PdfReader) -> set[str]:
    """Every glyph id the pages draw (WeasyPrint writes glyph ids as 4-hex-digit groups in TJ strings)."""
    out: set[str] = set()
    for p in reader.pages:
        content = p.get_contents().get_data().decode("latin-1")
        for arr in re.findall(r"\[(.*?)\]\s*TJ", content, flags=re.S):
            for hexs in re.findall(r"<([0-9a-fA-F]+)>", arr):
                out |= {hexs[i : i + 4].lower() for i in range(0, len(hexs), 4)}
    return out


def test_pdf_embeds_its_fonts_and_renders_chinese_with_no_font_installed(demo, tmp_path):
    inst, _, folder = demo
    if inst != "demo-a":
        pytest.skip("the zh report")
    conf = tmp_path / "fonts.conf"  # a fontconfig that knows no font: only the report's @font-face remain
    conf.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    out = tmp_path / "report.pdf"
    code = (
        "import sys; from pathlib import Path; from auditlib.report.pdf import write_pdf; "
        "write_pdf(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code, str(folder / "report.html"), str(out)], check=True, env=env)
    reader = pypdf.PdfReader(out)
    fonts = {}
    for p in reader.pages:
        for f in p["/Resources"]["/Font"].values():
            f = f.get_object()
            d = f["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(f["/BaseFont"])] = any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts  # every font embedded
    assert all("Noto-Sans-CJK-SC" in n or "DejaVu-Sans-Mono" in n for n in fonts), fonts
    assert "0000" not in _glyph_ids(reader)  # no .notdef box drawn anywhere
    assert "基金销售机构监督检查报告" in squeeze(reader.pages[0].extract_text())
    assert "0000" not in _glyph_ids(pypdf.PdfReader(folder / "report.pdf"))
    # and the font has every character the report's text uses (a missing one would be a .notdef box)
    from fontTools.ttLib import TTFont

    from auditlib.report.pdf import CJK_FONT, _package_file

    cmap = TTFont(_package_file(*CJK_FONT), lazy=True).getBestCmap()
    visible = prose((folder / "report.html").read_text(encoding="utf-8"))
    assert sorted({ch for ch in visible if not ch.isspace() and ord(ch) not in cmap}) == []


def test_no_pdf_flag_writes_no_pdf(tmp_path, monkeypatch):
    from helpers import MINIMAL, bundle_dir, write_params

    from auditlib import cli
    from auditlib.runner import NO_PDF_ENV

    monkeypatch.delenv(NO_PDF_ENV, raising=False)
    bundle_dir(tmp_path / "data", MINIMAL)
    params = write_params(tmp_path / "p" / "inst.yaml", "../data")
    try:
        assert cli.main(["run", str(params), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    finally:
        os.environ.pop(NO_PDF_ENV, None)  # set by the CLI for the audits it starts
    folder = next((tmp_path / "out").glob("*/*"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert not (folder / "report.pdf").exists() and "report.pdf" not in manifest["outputs"]
    assert (folder / "report.html").is_file()


def test_early_pdf_is_kept_only_for_the_html_it_was_rendered_from(tmp_path, monkeypatch):
    from auditlib.report import pdf

    html = tmp_path / "report.html"
    html.write_text(
        "<!DOCTYPE html><html><body><h2>检查结论</h2><p>early</p></body></html>", encoding="utf-8"
    )
    early_html = tmp_path / "report.early.html"
    early_html.write_bytes(html.read_bytes())
    rendered = []
    monkeypatch.setattr(pdf, "write_pdf", lambda h, p: rendered.append(h) or p)

    same = pdf.EarlyPdf()
    same.start(early_html, tmp_path / "report.pdf")
    assert same.finish(html, tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert rendered == []  # the early PDF, rendered in its own process, is kept

    changed = pdf.EarlyPdf()
    changed.start(early_html, tmp_path / "other.pdf")
    html.write_text("<!DOCTYPE html><html><body><p>final differs</p></body></html>", encoding="utf-8")
    changed.finish(html, tmp_path / "other.pdf")
    assert rendered == [html]  # rendered again from the final report

    stopped = pdf.EarlyPdf()
    stopped.start(early_html, tmp_path / "stopped.pdf")
    stopped.cancel()
    assert stopped.proc is None


def test_early_pdf_process_exports_the_report_the_run_writes(demo, tmp_path, monkeypatch):
    """The early PDF's process exports the report from the executed notebook itself (with nbconvert loaded
    while the kernel worked): byte for byte the run's report.html, so its PDF is the one kept."""
    from auditlib.params import load_params
    from auditlib.report import pdf

    inst, root, folder = demo
    if inst != "demo-b":
        pytest.skip("one report is enough (a PDF rendered once more)")
    p = load_params(root / f"{inst}.yaml")
    rendered = []
    monkeypatch.setattr(pdf, "write_pdf", lambda h, o: rendered.append(h) or o)
    early = pdf.EarlyPdf()
    early.prepare()
    early.start(
        tmp_path / "early.html",
        tmp_path / "early.pdf",
        folder / "report.ipynb",
        p.language,
        f"{p.institution_name} {p.period_end}",
    )
    assert early.finish(folder / "report.html", tmp_path / "early.pdf").read_bytes()[:5] == b"%PDF-"
    assert rendered == []
    assert (tmp_path / "early.html").read_bytes() == (folder / "report.html").read_bytes()


def test_resume_reruns_an_output_written_without_the_pdf_when_the_pdf_is_wanted(tmp_path, monkeypatch):
    """--resume keeps a complete output only if it has what this batch writes: one written with --no-pdf is
    audited again by a batch that wants report.pdf; a --no-pdf batch keeps it (and one with the PDF)."""
    from helpers import MINIMAL, bundle_dir, write_params

    from auditlib.batch import plan
    from auditlib.runner import NO_PDF_ENV

    monkeypatch.delenv(NO_PDF_ENV, raising=False)
    bundle_dir(tmp_path / "data", MINIMAL)
    params = write_params(tmp_path / "p" / "inst.yaml", "../data")
    out = (tmp_path / "out").resolve()
    assert run_one(params, out, pdf=False).status == "ok"
    folder = next(out.glob("*/*"))
    assert not (folder / "report.pdf").exists()

    def kept() -> list[str]:
        jobs, known, bad = plan([params], out, resume=True)
        assert bad == 0 and len(jobs) + len(known) == 1
        return [o.institution_id for o in known]

    assert kept() == []  # the PDF is wanted (the default): audited again
    monkeypatch.setenv(NO_PDF_ENV, "1")
    assert kept() == ["test-inst"]  # --no-pdf: the output is complete for it
    monkeypatch.delenv(NO_PDF_ENV)

    assert run_one(params, out).status == "ok"  # what the rerun writes: the same output with report.pdf
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert (folder / "report.pdf").is_file() and "report.pdf" in manifest["outputs"]
    assert kept() == ["test-inst"]
    monkeypatch.setenv(NO_PDF_ENV, "1")
    assert kept() == ["test-inst"]


def test_findings_and_coverage_tables_print_with_fixed_columns_and_nothing_runs_over(tmp_path):
    """On paper the findings tables (5 or 6 columns), a chapter's coverage table, the parameters and the
    clause texts have fixed column widths
    (no min-content measuring of every cell: docs/performance.md); a long identifier breaks inside its cell
    instead of running over the next one, and the description column takes the rest of the page."""
    import weasyprint
    from weasyprint.formatting_structure import boxes
    from weasyprint.text.fonts import FontConfiguration

    from auditlib.report.html import CSS, PRINT_CSS
    from auditlib.report.pdf import font_css

    long_id = "B03:2025-11-20:" + "9" * 30
    text = "客户 0009000030 的银行账户变更未核实申请人身份" * 3
    row6 = '<tr><td class="nw"><code>18d2bed91e84db55</code></td>'
    row6 += f"<td>ABN-003 变更银行账户</td><td>{long_id}</td>"
    row6 += f'<td>2025-02-18 10:00:00</td><td class="nw">已批准例外</td><td>{text}</td></tr>'
    row5 = row6.replace("<td>ABN-003 变更银行账户</td>", "")
    head = "".join(f"<th>{h}</th>" for h in ("发现编号", "规则", "对象", "发生时间", "状态", "说明"))
    page = (
        f'<html><head><style>{CSS}</style></head><body><div class="al">'
        f'<table class="findings"><thead><tr>{head}</tr></thead><tbody>{row6 * 3}</tbody></table>'
        f'<table class="findings"><thead><tr>{head.replace("<th>规则</th>", "")}</tr></thead>'
        f"<tbody>{row5 * 3}</tbody></table><h4>第一章 总则</h4>"
        '<table class="coverage"><thead><tr><th>条款</th><th>要求</th><th>检查方式</th><th>状态</th>'
        "<th>说明</th></tr></thead><tbody><tr><td>IC 24(2)</td>"
        f"<td>{text}</td><td>人工检查程序</td><td>数据检查：发现例外</td><td>{text}</td></tr></tbody></table>"
        '<table class="params"><thead><tr><th>规则</th><th>检查要求</th><th>版本</th><th>参数</th>'
        "</tr></thead>"
        f'<tbody><tr><td class="nw"><a href="#r">SUIT-004</a></td><td>{text}</td><td class="nw">2</td>'
        '<td class="nw">已调整</td></tr></tbody></table>'
        '<table class="texts"><thead><tr><th>条款</th><th>条文</th><th>引用规则</th></tr></thead>'
        f'<tbody><tr><td class="nw">CP-10</td><td>{text}</td><td><a href="#a">RET-004</a> '
        '<a href="#b">RET-005</a></td></tr></tbody></table></div></body></html>'
    )
    fonts = FontConfiguration()
    sheets = [weasyprint.CSS(string=font_css() + PRINT_CSS, font_config=fonts)]
    doc = weasyprint.HTML(string=page).render(stylesheets=sheets, font_config=fonts)
    tables, over = [], []

    def walk(box, cell=None):
        if isinstance(box, boxes.TableBox):
            tables.append(box)
        if isinstance(box, boxes.TableCellBox):
            cell = box
        elif cell is not None and isinstance(box, boxes.TextBox):
            if box.position_x + box.width > cell.position_x + cell.border_width() + 0.5:
                over.append(box.text)
        for child in getattr(box, "children", []):
            walk(child, cell)

    for p in doc.pages:
        walk(p._page_box)
    assert [t.style["table_layout"] for t in tables] == ["fixed"] * 5
    assert over == []
    pt = 4 / 3  # CSS px per pt
    for t, first in zip(tables, (82, 82, 28, 50, 64), strict=True):
        assert abs(t.column_widths[0] - (first + 12) * pt) < 2  # the set width plus the cell's padding
        if first == 82:  # a findings table: the description gets the most room
            assert t.column_widths[-1] == max(t.column_widths)
        if first in (50, 64):  # parameters, clause texts: the sentence gets the most room
            assert t.column_widths[1] == max(t.column_widths)
