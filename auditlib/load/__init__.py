"""Read an institution's data bundle into typed tables, quarantining bad rows.

Nothing is dropped silently: every row read is either loaded or quarantined with table, row, column and
reason, and counted (loaded + quarantined = rows read). Row numbers are spreadsheet rows: the header is
row 1, the first data row is row 2 (for Parquet, record i is row i + 2 too, so one convention serves every
format). Rows that load but look wrong are reported as warnings (`action=kept`).

The steps, one module each: `reading` (find the files, detect the encoding, read the cells), `typed`
(type the columns, quarantine bad rows), `checks` (warnings, references between tables), `bundle` (the
pipeline over the contract's tables), with `quality` (the records of what went wrong) and `hashing`.
"""

from .bundle import Bundle, FileInfo, load_bundle
from .checks import CELL_LIMIT, table_warnings
from .hashing import sha256_file
from .quality import QUALITY_COLUMNS, ROW, DataContractError, Problem
from .reading import detect_encoding, read_raw
from .typed import type_table, vocabulary_dtype

__all__ = [
    "CELL_LIMIT",
    "QUALITY_COLUMNS",
    "ROW",
    "Bundle",
    "DataContractError",
    "FileInfo",
    "Problem",
    "detect_encoding",
    "load_bundle",
    "read_raw",
    "sha256_file",
    "table_warnings",
    "type_table",
    "vocabulary_dtype",
]
