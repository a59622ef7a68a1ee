"""The rule catalogue: every module of this package (one per family) is imported and registers its rules.

Discovery instead of a hand-kept import list: adding a family adds one module and nothing else.
`REGISTRY` is ordered by family (SOD, SUIT, ABN, RET, CMP, STAFF, REC), then code.
"""

import importlib
import pkgutil

from .base import FAMILIES, REGISTRY, Rule, RuleContext, RuleOutput, rule

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m != "base":
        importlib.import_module(f"{__name__}.{_m}")

_ordered = sorted(REGISTRY.items(), key=lambda kv: (FAMILIES.index(kv[1].family), kv[0]))
REGISTRY.clear()
REGISTRY.update(_ordered)

__all__ = ["REGISTRY", "Rule", "RuleContext", "RuleOutput", "rule"]
