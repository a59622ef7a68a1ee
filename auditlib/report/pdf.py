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
        'html,body,.al{font-family:"Noto Sans CJK SC"}\n.al code{font-family:"DejaVu Sans Mono","Noto Sans CJK SC"}\n'
    )


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render `html_path` to `pdf_path` with the print layout and the bundled fonts."""
    import weasyprint  # imported here: only runs that write a PDF pay for loading it
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    sheets = [weasyprint.CSS(string=font_css() + PRINT_CSS, font_config=fonts)]
    weasyprint.HTML(filename=str(html_path)).write_pdf(str(pdf_path), stylesheets=sheets, font_config=fonts)
    return pdf_path
