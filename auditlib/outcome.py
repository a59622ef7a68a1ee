"""What one audit came to: `Outcome` (a row of batch_summary.csv) and, for a failed audit, `Failure`.

A failure is structured like papermill's exceptions (a kind and the fields that say where and why); the one
sentence a person reads (stderr, the summary's `error`, the first line of `error.txt`) is rendered from it,
and tools read the kind (the summary's `error_kind`, the `kind:` line of `error.txt`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: why an audit failed, as a tool sees it
KINDS = (
    "timeout",  # the whole audit (--timeout) or one cell (--cell-timeout) ran too long
    "interrupted",  # Ctrl-C, SIGTERM, a cancelled batch: before or while it ran
    "kernel_not_started",  # the Jupyter kernel failed to start, every attempt
    "kernel_died",  # the kernel exited while a cell ran (killed, out of memory)
    "out_of_disk",  # the output disk filled up
    "output_error",  # the outputs could not be written for another reason (permissions, a lost mount)
    "cell_error",  # a cell of the notebook raised an error
    "bad_params",  # the params file is wrong (exit 2)
    "bad_data",  # the bundle breaks the data contract
    "worker_lost",  # the pool process or Dask worker running it failed, or the executor was lost
)
RERUN = "rerun (with --resume) to complete it"


@dataclass
class Failure:
    """Why an audit failed: `kind` (one of KINDS) and what locates it; `sentence()` says it in words."""

    kind: str
    detail: str = ""  # the underlying error in one line, e.g. `DataContractError: staff.csv: ...`
    cell: int | None = None  # the notebook cell (1-based) that was running
    code: str = ""  # the first line of that cell's code
    limit: float | None = None  # seconds, for a timeout
    scope: str = ""  # timeout: `audit` or `cell`; interrupted: `before` it started or `while` it ran
    signal: str = ""  # kernel_died: the signal that killed it
    exit_status: int | None = None  # kernel_died: its exit status, when it exited
    attempts: int = 0  # kernel_not_started: how many starts were tried
    path: str = ""  # out_of_disk: where the outputs were being written

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}")

    def _at(self) -> str:
        return f" in cell {self.cell} (`{self.code}`)" if self.cell else ""

    def sentence(self) -> str:
        at = self._at()
        if self.kind == "timeout" and self.scope == "cell":
            return f"timed out: a cell ran longer than {self.limit:g} s (--cell-timeout){at}"
        if self.kind == "timeout":
            return f"timed out: the audit ran longer than its {self.limit:g} s limit (--timeout); stopped{at}"
        if self.kind == "interrupted" and self.scope == "before":
            return f"interrupted before it started; {RERUN}"
        if self.kind == "interrupted":
            return f"interrupted while running{at}; {RERUN}"
        if self.kind == "kernel_not_started":
            return f"the Jupyter kernel failed to start ({self.attempts} attempts): {self.detail}"
        if self.kind == "kernel_died":
            return f"the Jupyter kernel died{at}{self._how()}"
        if self.kind == "out_of_disk":
            return f"output disk full (writing under {self.path}): {self.detail}"
        if self.kind == "bad_params":
            return f"bad params: {self.detail}"
        return self.detail

    def _how(self) -> str:
        if self.signal:
            return f" (killed by {self.signal}" + (
                ", possibly out of memory)" if self.signal == "SIGKILL" else ")"
            )
        return f" (exit status {self.exit_status})" if self.exit_status is not None else ""

    def fields(self) -> dict:
        """The structured part: the kind and every field that is set."""
        return {k: v for k, v in asdict(self).items() if v not in ("", None, 0) or k == "kind"}

    def text(self) -> str:
        """`error.txt`: the sentence, then one `name: value` line per field."""
        lines = [self.sentence(), ""] + [f"{k}: {' '.join(str(v).split())}" for k, v in self.fields().items()]
        return "\n".join(lines) + "\n"


@dataclass
class Outcome:
    institution_id: str
    status: str  # ok | failed
    error: str = ""
    findings: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    seconds: float = 0.0
    report: str = ""
    note: str = ""  # e.g. resumed (complete output kept), kernel restarted after a failed start
    error_kind: str = ""  # a failed audit's Failure.kind
    failure: Failure | None = field(default=None, repr=False, compare=False)

    @classmethod
    def failed(cls, institution_id: str, failure: Failure, **kw) -> Outcome:
        return cls(
            institution_id, "failed", error=failure.sentence(), error_kind=failure.kind, failure=failure, **kw
        )

    def row(self) -> dict:
        row = asdict(self)
        row.pop("failure")
        return row
