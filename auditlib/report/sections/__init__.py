"""Family sections of the report beyond the rule-by-rule blocks (charts, overviews).

Each module here registers functions with `@family_extra("CMP")`; they take the `AuditResult`
and the language and return an HTML fragment in which every value from the data is escaped
(use `auditlib.report.html.esc` / `table_html`) and personal data is masked.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

EXTRAS: dict[str, list[Callable]] = {}


def family_extra(family: str):
    def register(func):
        EXTRAS.setdefault(family, []).append(func)
        return func

    return register


def load_all() -> dict[str, list[Callable]]:
    for m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{m}")
    return EXTRAS
