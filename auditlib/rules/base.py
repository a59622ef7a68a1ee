"""Rule declarations, the registry, and what a rule receives and returns.

A rule is one small declared unit (like a sqlfluff or ruff rule): its code, titles, citation,
default severity, parameters with defaults, input tables, entity type, the text of what it
requires, and a pure function from tables to findings. The docstring of the function is the
rule's documentation page (`auditlib rules --docs`).
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..schema import PURCHASE_CODES

SEVERITIES = ("high", "medium", "low")
#: in the order the report shows them (rules.md v2)
FAMILIES = ("SOD", "SUIT", "ABN", "ACC", "RET", "CMP", "STAFF", "REC", "INFO", "FEE")

#: columns every findings frame returned by a rule must have
FINDING_COLUMNS = ("entity_id", "occurred_at")


@dataclass(frozen=True)
class Param:
    """A sample-scope filter value taken from the rule's effective parameters."""

    name: str


@dataclass(frozen=True)
class Scope:
    """The rule's population as a filter of one input table: the rows its audit sample is drawn from
    (report/sample.py; a rule without one samples its first table in the period)."""

    table: str
    #: "period": the table's time column in the period; "overlap": start_date..end_date overlaps the period;
    #: "until": the time column on or before period_end; None: no time test
    when: str | None = "period"
    #: column -> allowed values (or a Param)
    where: dict = field(default_factory=dict)
    #: columns that must be present (not null)
    present: tuple[str, ...] = ()
    column: str | None = None  # the time column, when not the table's own


#: the scope filter of the rules about purchases: confirmed purchase-type transactions
CONFIRMED_PURCHASES = {"business_code": PURCHASE_CODES, "status": ("confirmed",)}


@dataclass(frozen=True)
class Aggregate:
    """A rule's sum-up of a big table per group (sales per product, collections per branch and day),
    combinable: the partitioned engine computes it partition by partition and combines the parts, so that a
    group's rows need not share a partition (one product's sales would fill one). `func(ctx)` returns a frame
    indexed by the group, sorted, whose columns combine as `how` says (sum, min or max); the rule calls the
    aggregate (`sold(ctx)`) and gets the whole tables' frame in either engine (docs/partitioned.md,
    "Aggregates")."""

    func: Callable[[RuleContext], pd.DataFrame]
    how: dict[str, str]

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    def __call__(self, ctx: RuleContext) -> pd.DataFrame:
        done = ctx._aggregates.get(self.name)  # combined over the partitions by the partitioned engine
        return done if done is not None else self.func(ctx)

    def combine(self, parts: list[pd.DataFrame]) -> pd.DataFrame:
        """The parts computed on disjoint row sets, as `func` gives it on their union."""
        full = [p for p in parts if len(p)]
        if len(full) < 2:
            return full[0] if full else parts[0]
        df = pd.concat(full)
        out = df.groupby(level=list(range(df.index.nlevels)), sort=True).agg(self.how)
        return out[list(df.columns)]


def aggregate(**how: str) -> Callable[[Callable], Aggregate]:
    """Declare a function as an `Aggregate` whose columns combine as `how`
    (`@aggregate(first="min", n="sum")`)."""
    assert how and set(how.values()) <= {"sum", "min", "max"}, how

    def wrap(func: Callable) -> Aggregate:
        return Aggregate(func, dict(how))

    return wrap


@dataclass(frozen=True)
class Rule:
    code: str
    family: str
    severity: str
    tables: tuple[str, ...]
    #: the clause ids it tests, as in the clause catalogue (`IC 8(5)`, `SU 21`, `CP-1`)
    cites: tuple[str, ...]
    entity: str
    title: dict[str, str]
    requirement: dict[str, str]  # what is required, a template over the parameters
    detail: dict[str, str]  # one finding's sentence, a template over the finding's columns
    params: dict[str, Any]
    func: Callable[[RuleContext], RuleOutput]
    version: str = "1"
    #: finding columns holding vocabulary values to show in the report language (e.g. roles)
    localize: tuple[str, ...] = ()
    #: finding columns holding personal data, with how to mask them (name, id_number, phone, account)
    pii: dict[str, str] = field(default_factory=dict)
    #: optional columns it needs (`table.column`): when one is not provided the rule is not tested
    columns: tuple[str, ...] = ()
    #: parameters the rule cannot be tested without (an empty list, say), each with what it is in words
    #: per language: while one is empty the rule is *not tested: parameter not provided*, never passed
    needs: dict[str, dict[str, str]] = field(default_factory=dict)
    #: tables it also reads when they are provided (e.g. a rating history); without them it still runs
    optional_tables: tuple[str, ...] = ()
    #: the population its audit sample is drawn from (None: its first table in the period)
    sample: Scope | None = None
    #: the column each table is partitioned on when the audit runs partition by partition (tables not named
    #: are given whole to every partition); None: not partitionable, runs on the whole tables
    #: (docs/partitioned.md)
    partition: dict[str, str] | None = None
    #: the sums-up of big tables the rule reads through (`Aggregate`): with them, only these are computed
    #: per partition and combined, and the rule's body runs once on the combined sums (docs/partitioned.md)
    aggregates: tuple[Aggregate, ...] = ()

    @property
    def citation(self) -> str:
        """The cited clause ids as one line (`IC 8(5); IC 45`)."""
        return "; ".join(self.cites)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.func) or ""

    def requirement_text(self, lang: str, params: dict[str, Any]) -> str:
        return self.requirement[lang].format(**{k: _fmt_param(v) for k, v in params.items()})


def _fmt_param(v: Any) -> str:
    if isinstance(v, list | tuple) and not v:
        return "—"  # an empty list (e.g. no special accounts configured) reads as "none", not as nothing
    if isinstance(v, list | tuple) and v and all(isinstance(x, list | tuple) for x in v):
        return "; ".join(" + ".join(map(str, x)) for x in v)  # pairs: "promotion + counter; ..."
    if isinstance(v, list | tuple):
        return ", ".join(_fmt_param(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_fmt_param(x)}" for k, x in v.items())
    return str(v)


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    *,
    family: str,
    severity: str,
    tables: tuple[str, ...],
    cites: tuple[str, ...],
    entity: str,
    title: dict[str, str],
    requirement: dict[str, str],
    detail: dict[str, str],
    params: dict[str, Any] | None = None,
    version: str = "1",
    localize: tuple[str, ...] = (),
    pii: dict[str, str] | None = None,
    columns: tuple[str, ...] = (),
    optional_tables: tuple[str, ...] = (),
    needs: dict[str, dict[str, str]] | None = None,
    sample: Scope | None = None,
    partition: dict[str, str] | None = None,
    aggregates: tuple[Aggregate, ...] = (),
):
    """Declare and register a rule."""
    assert family in FAMILIES and severity in SEVERITIES and code.startswith(family + "-"), code

    def register(func):
        if code in REGISTRY:
            raise ValueError(f"rule {code} declared twice")
        REGISTRY[code] = Rule(
            code,
            family,
            severity,
            tuple(tables),
            tuple(cites),
            entity,
            title,
            requirement,
            detail,
            dict(params or {}),
            func,
            version,
            localize,
            dict(pii or {}),
            tuple(columns),
            dict(needs or {}),
            tuple(optional_tables),
            sample,
            dict(partition) if partition else None,
            tuple(aggregates),
        )
        return func

    return register


class RuleOutputError(ValueError):
    """A rule returned something other than what a rule must return: that rule's error, in its words."""


def check_output(r: Rule, out: object) -> None:
    """The one check of what a rule returns: a RuleOutput whose population is a count and whose findings
    are a frame with the finding columns (FINDING_COLUMNS), `occurred_at` as timestamps, an `entity_id` in
    every row, and (when it found something) every column its detail templates name (as `<name>` or
    `<name>_<lang>`)."""
    what = f"{r.code} returned"
    if not isinstance(out, RuleOutput):
        raise RuleOutputError(f"{what} a {type(out).__name__}, not a RuleOutput(population, findings)")
    if (
        isinstance(out.population, bool)
        or not isinstance(out.population, int | np.integer)
        or out.population < 0
    ):
        raise RuleOutputError(f"{what} a population of {out.population!r}, not a count of what it tested")
    f = out.findings
    if not isinstance(f, pd.DataFrame):
        raise RuleOutputError(f"{what} findings as a {type(f).__name__}, not a table (DataFrame)")
    named = {n for lang, tpl in r.detail.items() for _, n, _, _ in string.Formatter().parse(tpl) if n}
    missing = [c for c in FINDING_COLUMNS if c not in f.columns]
    missing += sorted(  # an empty frame (no_findings()) renders no sentence
        n
        for n in named
        if len(f) and n not in f.columns and not all(f"{n}_{lang}" in f.columns for lang in r.detail)
    )
    if missing:
        raise RuleOutputError(f"{what} findings without the column(s) {', '.join(missing)}")
    if (
        len(f)
        and not pd.api.types.is_datetime64_any_dtype(f["occurred_at"])
        and f["occurred_at"].notna().any()
    ):
        raise RuleOutputError(f"{what} occurred_at as {f['occurred_at'].dtype}, not timestamps")
    if f["entity_id"].isna().any():
        raise RuleOutputError(f"{what} {int(f['entity_id'].isna().sum())} finding(s) without an entity_id")


@dataclass
class RuleOutput:
    """What a rule found: the population it tested and one row per exception.

    `findings` has `entity_id` (str) and `occurred_at` (timestamp), the columns the detail
    template uses, optionally `staff_id` (for mitigations) and `evidence` (source rows, e.g.
    ``operations row 12``). A column `<name>_zh` / `<name>_en` gives `{name}` per report language.
    Columns with personal data must be declared in the rule's `pii` so the examiner's copy is masked.
    """

    population: int
    findings: pd.DataFrame
    #: rows left out of the population because a value the rule needs is null (rules.md v2: the summary
    #: says so)
    left_out: int = 0
    #: counts the report states beside the verdicts (e.g. SUIT-001: verdicts resting on a later rating)
    notes: dict[str, int] = field(default_factory=dict)


@dataclass
class RuleContext:
    """Everything a rule may read: tables, its effective parameters, the period and calendars."""

    tables: dict[str, pd.DataFrame]
    params: dict[str, Any]
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    as_of: pd.Timestamp
    calendar_params: Any = None
    institution_id: str = ""
    _cache: dict = field(default_factory=dict)
    #: the rule's aggregates combined over the partitions (`Aggregate.name` -> frame), set by the partitioned
    #: engine
    _aggregates: dict = field(default_factory=dict)

    @property
    def period_end_exclusive(self) -> pd.Timestamp:
        return self.period_end + pd.Timedelta(days=1)

    def in_period(self, s: pd.Series) -> pd.Series:
        """True where a date or timestamp falls on a day of the audit period."""
        return (s >= self.period_start) & (s < self.period_end_exclusive)

    @cached_property
    def workdays(self):
        from ..calendar import from_params

        return from_params(self.calendar_params or {})

    @cached_property
    def trading(self):
        from ..calendar import TradingCalendar

        return TradingCalendar()


def lookup(keys: pd.Series, table: pd.DataFrame, key: str, column: str) -> pd.Series:
    """`table[column]` of the first row whose `key` equals each of `keys` (NA where none), aligned with
    `keys`.

    One place for this join because `Series.map` loses the column's dtype when the mapping is empty
    (a header-only table gives float64, which a date column cannot become)."""
    first = table.drop_duplicates(key)
    pos = pd.Index(first[key]).get_indexer(keys)
    out = first[column].reset_index(drop=True).reindex(pos)
    out.index = keys.index
    return out


def no_findings() -> pd.DataFrame:
    return pd.DataFrame(
        {"entity_id": pd.Series(dtype="string"), "occurred_at": pd.Series(dtype="datetime64[ns]")}
    )


def evidence(table: str, rows: pd.Series) -> pd.Series:
    """`table row N` for each source row: where an auditor re-performs the check."""
    return table + " row " + rows.astype("int64").astype(str)


def fmt_day(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d")


def fmt_ts(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d %H:%M:%S")


def join_reasons(parts: list[tuple[np.ndarray, np.ndarray | str]], sep: str) -> np.ndarray:
    """Vectorized: the texts whose mask is true, joined with `sep`, per row (a finding with several
    causes)."""
    out = np.full(len(parts[0][0]), "", dtype=object)
    for mask, text in parts:
        piece = np.where(mask, text, "")
        out = np.where(mask & (out != ""), out + sep + piece, out + piece)
    return out
