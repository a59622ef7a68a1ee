"""The examiner's PDF: report.html paginated by WeasyPrint.

WeasyPrint renders HTML and CSS to PDF with no browser (it lays out with Pango, which these machines
have), so the HTML stays the single source of the report and the PDF needs nothing downloaded at run time.
The page layout is CSS (`html.PRINT_CSS`: A4, page numbers, the running header, bookmarks per section and
rule); the fonts are given by @font-face from files inside installed packages (Noto Sans CJK SC from mplfonts,
DejaVu Sans Mono from matplotlib), so the PDF renders the same on a machine with no CJK font installed, and
WeasyPrint embeds them subset to the glyphs used.
"""

from __future__ import annotations

from pathlib import Path

from .html import PRINT_CSS

#: the report's font stack names Noto Sans CJK SC first; these faces make that name resolve to files we ship
CJK_FONT = ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf")
MONO_FONT = ("matplotlib", "mpl-data/fonts/ttf/DejaVuSansMono.ttf")


def _package_file(package: str, relative: str) -> Path:
    import importlib

    return Path(importlib.import_module(package).__file__).parent / relative


def font_css() -> str:
    """@font-face rules for the report's text and code fonts, pointing at the font files of installed packages
    (one face serves normal and bold: Pango synthesizes the bold the file lacks)."""
    cjk = _package_file(*CJK_FONT).as_uri()
    mono = _package_file(*MONO_FONT).as_uri()
    return (
        f'@font-face{{font-family:"Noto Sans CJK SC";src:url("{cjk}")}}\n'
        f'@font-face{{font-family:"DejaVu Sans Mono";src:url("{mono}")}}\n'
        'html,body,.al{font-family:"Noto Sans CJK SC"}\n'
        '.al code{font-family:"DejaVu Sans Mono","Noto Sans CJK SC"}\n'
    )


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render `html_path` to `pdf_path` with the print layout and the bundled fonts."""
    import gc

    import weasyprint  # imported here: only runs that write a PDF pay for loading it
    from weasyprint.text.fonts import FontConfiguration

    # WeasyPrint builds hundreds of thousands of short-lived boxes with no reference cycles to speak of: the
    # cyclic garbage collector walking them all, again and again, was ~10 % of the PDF's CPU for no memory
    # saved (peak RSS the same with it off), so it is paused while the document renders
    enabled = gc.isenabled()
    gc.disable()
    try:
        fonts = FontConfiguration()
        sheets = [weasyprint.CSS(string=font_css() + PRINT_CSS, font_config=fonts)]
        html = weasyprint.HTML(filename=str(html_path))
        html.write_pdf(str(pdf_path), stylesheets=sheets, font_config=fonts)
    finally:
        if enabled:
            gc.enable()
    return pdf_path


class EarlyPdf:
    """report.pdf rendered in a separate process while the kernel is still busy with the auditor's cells
    (evidence, samples, working papers: seconds on a demo), so that on a machine with a core to spare the PDF
    adds little to an audit's wall time (docs/performance.md).

    The runner calls `start` once the last examiner cell has run, with the report exported from the notebook
    as it stands; at the end it exports the final report and calls `finish`, which keeps the early PDF only
    when that report is byte for byte the one it was rendered from (the later cells are the auditor's, hidden
    from the report, so it is) and otherwise, or when the early rendering failed, renders it again there."""

    def __init__(self) -> None:
        self.proc = None
        self.source: bytes | None = None

    def start(self, html_path: Path, pdf_path: Path) -> None:
        import subprocess
        import sys

        self.source = html_path.read_bytes()
        code = "import sys; from pathlib import Path; from auditlib.report.pdf import write_pdf; "
        code += "write_pdf(Path(sys.argv[1]), Path(sys.argv[2]))"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(html_path), str(pdf_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def finish(self, html_path: Path, pdf_path: Path) -> Path:
        """The final report.pdf: the early one when it fits the final HTML, else rendered now."""
        if self.proc is not None:
            self.proc.communicate()
            ok = self.proc.returncode == 0 and pdf_path.is_file() and html_path.read_bytes() == self.source
            self.proc = None
            if ok:
                return pdf_path
        return write_pdf(html_path, pdf_path)

    def cancel(self) -> None:
        """Stop an early rendering whose audit failed or was interrupted (never raises)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
