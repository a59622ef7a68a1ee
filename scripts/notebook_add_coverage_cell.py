"""Add the clause-coverage cell to the audit notebook, after the data-quality cell (outputs.md report order).

Idempotent: run it again and nothing changes. The notebook is edited with nbformat, never by hand.
"""

from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "institution_audit.ipynb"
SOURCE = "audit.coverage()"


def main() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    if any(c.cell_type == "code" and c.source.strip() == SOURCE for c in nb.cells):
        return
    at = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "audit.data_quality()" in c.source
    )
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(SOURCE))
    nbformat.validate(nb)
    nbformat.write(nb, NOTEBOOK)


if __name__ == "__main__":
    main()
