"""Charts as self-contained HTML (<img> with a base64 PNG), with Chinese labels that render.

The CJK font comes from mplfonts (Noto Sans CJK SC, bundled in the wheel) and is registered with
matplotlib's font manager on first use, so a machine without Chinese fonts draws no empty boxes
and no "missing glyph" warning leaks into the report.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FONT_FILE = "NotoSansCJKsc-Regular.otf"
#: figures are laid out at SCREEN_DPI (their size in the HTML) and saved at PRINT_DPI: printed on A4 (a chart
#: 7.5 in wide at 110 px/in shrinks to the 7 in of text width) they render at ~170 dpi, sharp on paper, and a
#: demo report stays well under 1.5 MB (docs/report.md)
SCREEN_DPI = 110
PRINT_DPI = 165


@lru_cache(maxsize=1)
def setup_fonts() -> str:
    """Register Noto Sans CJK SC and make it matplotlib's sans-serif font; returns the family name."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212 minus
    matplotlib.rcParams["svg.fonttype"] = "none"
    return name


def new_figure(width: float = 7.5, height: float = 3.2):
    """A figure and axes with the report's style and the CJK font set up."""
    setup_fonts()
    # a bare Figure on an Agg canvas, not pyplot: no global figure registry to close it from, no GUI
    # backend machinery, the same pixels
    fig = Figure(figsize=(width, height), dpi=SCREEN_DPI)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def figure_html(fig, alt: str = "") -> str:
    """The figure as an inline <img>; `alt` is escaped by the caller's helper."""
    from .html import esc

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=PRINT_DPI, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    width = round(fig.get_figwidth() * SCREEN_DPI)  # shown at its screen size; the extra pixels are for print
    return f'<img class="chart" alt="{esc(alt)}" width="{width}" src="data:image/png;base64,{data}">'
