"""The examiner's PDF: report.html paginated by WeasyPrint.

WeasyPrint renders HTML and CSS to PDF with no browser (it lays out with Pango, which these machines
have), so the HTML stays the single source of the report and the PDF needs nothing downloaded at run time.
The page layout is CSS (`html.PRINT_CSS`: A4, page numbers, the running header, bookmarks per section and
rule); the fonts are given by @font-face from files inside installed packages (Noto Sans CJK SC from mplfonts,
DejaVu Sans Mono from matplotlib), so the PDF renders the same on a machine with no CJK font installed, and
WeasyPrint embeds them subset to the glyphs used.
"""

from __future__ import annotations

import contextlib
import gc
import json
import subprocess
import sys
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


class Renderer:
    """WeasyPrint with the print layout and the bundled fonts loaded, ready to render reports: loading them
    (imports, the 16 MB CJK font, Pango's first layout) takes about a second, which the early PDF's process
    spends while the kernel is still loading the data (`EarlyPdf.prepare`)."""

    def __init__(self, warm: bool = False) -> None:
        import weasyprint  # imported here: only runs that write a PDF pay for loading it
        from weasyprint.text.fonts import FontConfiguration

        self.weasyprint = weasyprint
        with _gc_paused():
            self.fonts = FontConfiguration()
            self.sheets = [weasyprint.CSS(string=font_css() + PRINT_CSS, font_config=self.fonts)]
            if warm:  # Pango, fontconfig and the shaper set up on a line of the report's scripts
                weasyprint.HTML(string='<p class="al">检查结论 Conclusion 2025-12-31</p>').write_pdf(
                    stylesheets=self.sheets, font_config=self.fonts
                )

    def write(self, html_path: Path, pdf_path: Path) -> Path:
        """Render `html_path` to `pdf_path`."""
        with _gc_paused():
            html = self.weasyprint.HTML(filename=str(html_path))
            html.write_pdf(str(pdf_path), stylesheets=self.sheets, font_config=self.fonts)
        return pdf_path


@contextlib.contextmanager
def _gc_paused():
    """WeasyPrint builds hundreds of thousands of short-lived boxes with no reference cycles to speak of: the
    cyclic garbage collector walking them all, again and again, was ~10 % of the PDF's CPU for no memory
    saved (peak RSS the same with it off), so it is paused while a document renders."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render `html_path` to `pdf_path` with the print layout and the bundled fonts."""
    return Renderer().write(html_path, pdf_path)


def _serve() -> None:
    """The early PDF's process (`EarlyPdf`): WeasyPrint loaded first, then one job read from stdin (a JSON
    line; nothing when the run ended without one): the report exported from the notebook, then rendered."""
    from nbconvert import HTMLExporter  # noqa: F401 - loaded (nbformat with it) before the job, as WeasyPrint is

    from .export import export_html

    renderer = Renderer(warm=True)
    line = sys.stdin.readline()
    if not line.strip():
        return
    job = json.loads(line)
    html = Path(job["html"])
    if job.get("notebook"):
        export_html(Path(job["notebook"]), html, job["language"], job["title"])
    renderer.write(html, Path(job["pdf"]))


class EarlyPdf:
    """report.pdf rendered by a separate process, on the second core, while the kernel works
    (docs/performance.md).

    The runner calls `prepare` when the notebook starts: the process loads WeasyPrint and the fonts while the
    kernel loads the data. Once the last examiner cell has run, `start` hands it the notebook as it stands;
    it exports the report from it and renders it while the kernel is busy with the auditor's cells
    (evidence, samples, working papers). At the end the runner exports the final report and calls `finish`,
    which keeps the early PDF only when that report is byte for byte the one it was rendered from (the later
    cells are the auditor's, hidden from the report, so it is) and otherwise, or when the early rendering
    failed, renders it again there."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.html: Path | None = None  # the report the early PDF is rendered from, once started

    def prepare(self) -> None:
        code = "from auditlib.report.pdf import _serve; _serve()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # its failure shows as a PDF rendered again by `finish`
        )

    @property
    def started(self) -> bool:
        return self.html is not None

    def start(self, html_path: Path, pdf_path: Path, notebook: Path | None = None, language="", title=""):
        """Render `html_path` (exported there first from the executed `notebook`, if given) to `pdf_path`."""
        if self.proc is None:
            self.prepare()
        self.html = html_path
        job = {"html": str(html_path), "pdf": str(pdf_path), "language": language, "title": title}
        job["notebook"] = str(notebook) if notebook is not None else ""
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
        finally:
            self._close_stdin()

    def _close_stdin(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:  # the process is gone: `finish` renders the PDF itself
                pass
            self.proc.stdin = None

    def finish(self, html_path: Path, pdf_path: Path) -> Path:
        """The final report.pdf: the early one when it fits the final HTML, else rendered now."""
        if self.proc is not None:
            self._close_stdin()  # a process never given a job ends here
            self.proc.wait()
            ok = self.started and self.proc.returncode == 0 and pdf_path.is_file() and self.html.is_file()
            ok = ok and html_path.read_bytes() == self.html.read_bytes()
            self.proc = None
            if ok:
                return pdf_path
        return write_pdf(html_path, pdf_path)

    def cancel(self) -> None:
        """Stop an early rendering whose audit failed or was interrupted (never raises)."""
        if self.proc is not None:
            self._close_stdin()
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        self.proc = None
