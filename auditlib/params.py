"""The params file (../shared/spec/outputs.md) -> validated, typed settings.

Everything is checked before any data is read: an unknown key, a wrong type, an unknown rule
code, family or parameter name is an error that names it. Values are data: YAML is read with
`safe_load`, and nothing from a params file is ever evaluated.
"""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import AuditError
from .rules import REGISTRY
from .rules.base import FAMILIES

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class ParamsError(AuditError):
    """Bad params; `problems` names every offending key."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarParams(_Strict):
    extra_holidays: list[dt.date] = []
    extra_workdays: list[dt.date] = []
    #: CSV `date,kind` (kind holiday|workday) for a year the maintained calendar does not know yet
    holiday_file: str | None = None
    work_start: str = Field("09:00", pattern=r"^\d{2}:\d{2}$")
    work_end: str = Field("17:00", pattern=r"^\d{2}:\d{2}$")
    lunch_break: tuple[str, str] | None = None


class Mitigation(_Strict):
    """An approved exception: matching findings are reported as `mitigated`, never dropped."""

    rule: str
    staff_id: str | None = None
    entity_id: str | None = None
    reason: str | None = None
    approved_by: str | None = None
    valid_until: dt.date

    @model_validator(mode="after")
    def _one_target(self):
        if not (self.staff_id or self.entity_id):
            raise ValueError("a mitigation needs staff_id or entity_id")
        # an exception nobody justified or approved is no approved exception (rules.md v2): one message
        # naming both keys, not two "field required" lines
        unset = [k for k in ("reason", "approved_by") if not (getattr(self, k) or "").strip()]
        if unset:
            target = self.staff_id or self.entity_id
            raise ValueError(
                f"the mitigation of {self.rule} for {target} has no {' and no '.join(unset)}: "
                "an approved exception needs both a reason and who approved it (approved_by)"
            )
        return self


class Examiner(_Strict):
    """Who signs the report (the sign-off block)."""

    name: str
    role: str = ""


class AuditParams(_Strict):
    institution_id: str = Field(pattern=ID_PATTERN)
    institution_name: str
    data_dir: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    language: Literal["zh", "en"] = "zh"
    rules: Literal["all"] | list[str] = "all"
    overrides: dict[str, dict[str, Any]] = {}
    calendar: CalendarParams = CalendarParams()
    mitigations: list[Mitigation] = []
    # added in run contract v2 (paths relative to the params file, like data_dir)
    examiners: list[Examiner] = []
    attestations: str | None = None  # the filled manual-procedure checklist (csv or xlsx)
    responses: str | None = None  # the institution's responses to findings (csv or xlsx)
    # extensions to the run contract
    encoding: str | None = None  # CSV encoding when detection should be overridden
    show_personal_data: bool = False  # unmasked PII in the auditor's notebook and Excel only
    sample_size: int = Field(25, ge=0, le=10000)  # per-rule audit sample for manual re-performance
    previous_dir: str | None = None  # last period's output folder, for new/recurring/resolved
    #: in memory, partition by partition (docs/partitioned.md), or chosen by the size of the big tables
    engine: Literal["memory", "partitioned", "auto"] = "auto"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v):
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"unknown encoding {v!r} (e.g. utf-8, utf-8-sig, gbk, gb18030)") from None
        return v

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, v):
        if v == "all":
            return v
        unknown = [c for c in v if c not in REGISTRY and c not in FAMILIES]
        if unknown:
            raise ValueError(f"unknown rule code or family: {', '.join(unknown)}")
        return v

    @model_validator(mode="after")
    def _check(self):
        if self.period_start > self.period_end:
            raise ValueError(f"period_start {self.period_start} is after period_end {self.period_end}")
        if self.as_of < self.period_start:
            raise ValueError(f"as_of {self.as_of} is before period_start {self.period_start}")
        return self

    # ------------------------------------------------------------ derived settings

    def selected(self) -> list[str]:
        """Codes of the rules this audit runs, in catalogue order."""
        if self.rules == "all":
            return list(REGISTRY)
        wanted = set(self.rules)
        return [c for c, r in REGISTRY.items() if c in wanted or r.family in wanted]

    def rule_params(self, code: str) -> dict[str, Any]:
        """Defaults, then family overrides, then rule overrides."""
        r = REGISTRY[code]
        p = dict(r.params)
        for target in (r.family, code):
            p.update({k: v for k, v in self.overrides.get(target, {}).items() if k in r.params})
        return p


def rules_of(target: str):
    if target in REGISTRY:
        return [REGISTRY[target]]
    return [r for r in REGISTRY.values() if r.family == target]


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _unquoted_in_text_list(default: Any, value: Any) -> int | None:
    """The position of the first number in a list parameter of text (a default of text items, or empty, as for
    account numbers): YAML reads `6222...` or `0024` unquoted as a number, and the leading zeros are gone."""
    if not isinstance(default, list) or not isinstance(value, list):
        return None
    if default and not all(isinstance(x, str) for x in default):
        return None
    return next(
        (i for i, x in enumerate(value) if isinstance(x, int | float) and not isinstance(x, bool)), None
    )


def rule_reference_problems(data: dict) -> list[str]:
    """Unknown rule codes, families and parameter names in overrides and mitigations.

    Checked on the raw mapping, beside the model's own validation, so that a typo in a key and an
    unknown parameter are reported together rather than one run at a time."""
    problems = []
    overrides = data.get("overrides") or {}
    for target, values in overrides.items() if isinstance(overrides, dict) else ():
        rules = rules_of(str(target))
        if not rules:
            problems.append(f"overrides.{target}: unknown rule code or family")
            continue
        for name, value in values.items() if isinstance(values, dict) else ():
            owners = [r for r in rules if name in r.params]
            if not owners:
                known = sorted({p for r in rules for p in r.params})
                problems.append(f"overrides.{target}.{name}: unknown parameter (known: {', '.join(known)})")
            elif not _same_type(owners[0].params[name], value):
                problems.append(
                    f"overrides.{target}.{name}: expected {type(owners[0].params[name]).__name__}, "
                    f"got {type(value).__name__}"
                )
            elif (bad := _unquoted_in_text_list(owners[0].params[name], value)) is not None:
                problems.append(
                    f"overrides.{target}.{name}: item {bad + 1} is a number ({value[bad]}), not text: quote "
                    'it ("0024", not 0024), since a number loses its leading zeros'
                )
    mitigations = data.get("mitigations") or []
    for i, m in enumerate(mitigations if isinstance(mitigations, list) else ()):
        if isinstance(m, dict) and m.get("rule") and not rules_of(str(m["rule"])):
            problems.append(f"mitigations.{i}.rule: unknown rule code or family {m['rule']}")
    return problems


def _messages(e: ValidationError) -> list[str]:
    out = []
    for err in e.errors():
        where = ".".join(str(x) for x in err["loc"]) or "params"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        out.append(f"{where}: {msg}")
    return out


def parse_params(data: dict, source: str = "params") -> AuditParams:
    if not isinstance(data, dict):
        raise ParamsError(source, ["the params file must be a YAML mapping"])
    problems = rule_reference_problems(data)
    try:
        params = AuditParams.model_validate(data)
    except ValidationError as e:
        problems = _messages(e) + problems
    if problems:
        raise ParamsError(source, problems)
    return params


class _TextDatesLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text and are validated field by field, so a bad date
    is reported with its key (`as_of: ...`), not as an anonymous YAML error."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_params_file(path: str | Path) -> dict:
    """The raw mapping of a params file; unreadable files and bad YAML are ParamsErrors."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TextDatesLoader)  # noqa: S506 - a SafeLoader
    except OSError as e:
        raise ParamsError(str(path), [f"cannot read: {e.strerror}"]) from None
    except yaml.YAMLError as e:
        raise ParamsError(str(path), [f"not valid YAML: {e}"]) from None
    if not isinstance(data, dict):
        raise ParamsError(str(path), ["the params file must be a YAML mapping"])
    return data


def load_params(path: str | Path, checks: bool = True) -> AuditParams:
    """The params file, validated, and (`checks`) what an audit of it needs (`run_problems`): all before any
    kernel starts. `checks=False`: the settings only (a test that audits other data with them)."""
    params = parse_params(read_params_file(path), str(path))
    problems = run_problems(params, path) if checks else []
    if problems:
        raise ParamsError(str(path), problems)
    return params


def _unreadable(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            f.read(1)
    except OSError as e:
        return e.strerror or str(e)
    return None


def run_problems(params: AuditParams, params_file: str | Path) -> list[str]:
    """Why a params file cannot be audited though its settings are valid (run contract v2): `as_of` before
    `period_end` (the audit looks back on a period that has ended: rule fixtures may look from inside one),
    a data_dir that is not a folder, a holiday_file, attestations or responses file that is missing or
    cannot be read."""
    from .calendar import read_holiday_file

    problems = []
    if params.as_of < params.period_end:
        problems.append(
            f"as_of: {params.as_of} is before period_end {params.period_end} (the audit looks back on the "
            "period from a day at or after its end)"
        )
    data_dir = resolve_relative(params.data_dir, params_file)
    if not data_dir.is_dir():
        what = "is not a folder" if data_dir.exists() else "does not exist"
        problems.append(f"data_dir: {data_dir} {what}")
    files = {"calendar.holiday_file": params.calendar.holiday_file}
    files |= {"attestations": params.attestations, "responses": params.responses}
    for key, value in files.items():
        if value is None:
            continue
        path = resolve_relative(value, params_file)
        if not path.is_file():
            problems.append(f"{key}: {path} {'is not a file' if path.exists() else 'does not exist'}")
        elif (why := _unreadable(path)) is not None:
            problems.append(f"{key}: {path} cannot be read: {why}")
        elif key == "calendar.holiday_file":
            try:
                read_holiday_file(path)
            except UnicodeDecodeError:
                problems.append(f"{key}: {path} cannot be read: not UTF-8 text")
            except ValueError as e:
                problems.append(f"{key}: {' '.join(str(e).split())}")
    return problems


def resolve_relative(value: str | Path, params_file: str | Path | None) -> Path:
    """A path from params (`data_dir`, `previous_dir`, `attestations`, ...) is relative to the params file.
    Run by plain papermill the notebook does not know that file, so it also tries `params/` and the working
    directory, the places a params file lives in this layout; the first that exists wins."""
    d = Path(value)
    if d.is_absolute():
        return d
    bases = [Path(params_file).resolve().parent] if params_file else [Path.cwd() / "params", Path.cwd()]
    for base in bases:
        if (base / d).exists():
            return (base / d).resolve()
    return (bases[0] / d).resolve()


def resolve_data_dir(params: AuditParams, params_file: str | Path | None) -> Path:
    return resolve_relative(params.data_dir, params_file)
