"""The rule catalogue: importing this package registers every rule family."""

from . import sod  # noqa: F401  (registers SOD-001..007)
from .base import REGISTRY, Rule, RuleContext, RuleOutput, rule

__all__ = ["REGISTRY", "Rule", "RuleContext", "RuleOutput", "rule"]
