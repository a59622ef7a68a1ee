"""The examiner's PDF: report.html paginated by WeasyPrint.

WeasyPrint renders HTML and CSS to PDF with no browser (it lays out with Pango, which these machines
have), so the HTML stays the single source of the report and the PDF needs nothing downloaded at run time.
"""

from __future__ import annotations

from pathlib import Path


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render `html_path` to `pdf_path`; the HTML's own print stylesheet sets the page layout."""
    import weasyprint  # imported here: only runs that write a PDF pay for loading it

    weasyprint.HTML(filename=str(html_path)).write_pdf(str(pdf_path))
    return pdf_path
