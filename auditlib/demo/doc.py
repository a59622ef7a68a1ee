"""docs/demo-data.md, generated from the profiles and the plants themselves (so it cannot drift).

python -m auditlib.demo.doc > docs/demo-data.md
"""

from __future__ import annotations

from ..rules import FAMILIES, REGISTRY
from .generate import build
from .profiles import PROFILES

HEADER = """# Demo data: three fictitious institutions and their answer key

`auditlib.demo` generates realistic data for three fictitious fund sales institutions, each with
deliberately planted violations (**hits**) and cases that sit just inside a rule (**near-misses**).
The bulk of the data is clean for all 53 rules of catalogue v2; the answer key lists exactly the
findings the rules must produce. All names, ID numbers, phone and card numbers are invented (ID
numbers and cards carry valid check digits so that masking and validation code meets realistic values).

## Generate

```bash
auditlib demo                       # calls write_demo('data'): data/demo-a, data/demo-b, data/demo-c
python -c "from auditlib.demo import write_demo; write_demo('data')"
python -c "from auditlib.demo import write_demo; write_demo('data', names=['demo-b'])"
python -c "from auditlib.demo import write_demo; write_demo('/tmp/big', names=['demo-c'], transactions=10**7)"
```

`write_demo(out_dir, names=None, transactions=None, seed=None) -> list[Path]` writes
`<out_dir>/<institution_id>/<table>.csv|parquet` and returns the folders. `transactions` changes the
size (customers ~10%, operations ~2-3x, complaints ~1% of transactions); `seed` replaces the
institution's fixed seed. The same arguments always give byte-identical files. The planted cases do
not depend on size or seed: their entity ids are the same at any size. `params/demo-*.yaml` point at
`../data/<institution_id>`.

Scale: the bulk is generated vectorized (numpy/Arrow, no per-row Python). Measured on a shared 2-core
machine at `transactions=10**7` (1.0 M customers, 26 M operations, 10.8 M archive records, 2.8 M
transfers): demo-c (Parquet heavy tables) ~67 s CPU to build + ~32 s to write, 1.6 GB on disk;
demo-a (all CSV) ~62 s + ~62 s, 3.9 GB on disk; peak memory ~8 GB (the tables are held in memory).
The default sizes take a few seconds.

Each folder also holds the answer key (not tables of the data contract; the leading underscore keeps
them apart):

- `_expected_findings.csv`: `rule_code, entity_id, status` (`open` or `mitigated`), exactly the findings
  the rules must produce, entity ids formatted as rules.md states.
- `_expected_quarantine.csv`: `table, row, column` of the deliberately bad rows, numbered as a
  spreadsheet shows them (header = row 1, first data row = row 2).

`auditlib.demo.check` is an independent, plain re-reading of every rule; `tests/test_demo.py` asserts
that it finds exactly the planted hits (and none of the near-misses) in the generated data.

## Calendar conventions

Working days come from `chinese_calendar` (statutory holidays and 调休 make-up days); trading days are
weekdays that are not statutory holidays (the exchange stays closed on make-up weekends; this matches
the XSHG calendar for 2025-2026). Working hours are 09:00-17:00 without a lunch break. The 2025 holidays
used by the plants: Spring Festival 28 Jan-4 Feb (make-up Sun 26 Jan, Sat 8 Feb), National Day 1-8 Oct
(make-up Sun 28 Sep, Sat 11 Oct); and 2026-01-04 (Sunday) is a make-up working day after New Year.
"""

#: the profile table, a row per trait: (trait, demo-a, demo-b, demo-c); str.format fields as in PROFILES_TEXT
PROFILES_ROWS = (
    ("name", "{a.name}", "{b.name}", "{c.name}"),
    (
        "profile",
        "fund sales company, medium",
        "fund sales company, small",
        "bank distributing funds, many branches",
    ),
    (
        "staff / branches",
        "~{a.n_staff_hint} / {a.n_branches}",
        "~{b.n_staff_hint} / {b.n_branches}",
        "~{c.n_staff_hint} / {c.n_branches}",
    ),
    ("transactions (default)", "{a.transactions:,}", "{b.transactions:,}", "{c.transactions:,}"),
    ("customers / complaints", "~10% / ~1% of transactions", "same", "same"),
    (
        "files",
        "CSV, UTF-8",
        "CSV in GB18030 (products and risk_assessments UTF-8 with BOM)",
        "transactions, operations as Parquet; the rest CSV UTF-8",
    ),
    (
        "booleans",
        "`true/false`",
        "staff.qualified and account_events flags `是/否`, risk_mismatch_confirmed `Y/N`, "
        "complaints.involves_violation `1/0`",
        "`true/false`",
    ),
    (
        "timestamps",
        "`YYYY-MM-DD HH:MM:SS`",
        "complaints as `YYYY-MM-DD HH:MM`",
        "`YYYY-MM-DD HH:MM:SS` (Parquet: typed)",
    ),
    (
        "optional tables absent",
        "none",
        "backups, training, reconciliations (RET-004..006, STAFF-002/003, REC-001 not tested)",
        "none",
    ),
    (
        "v2 data (`product_ratings`, `data_changes`, `transactions.fee`, `products.max_fee_rate`)",
        "all provided",
        "none: a v1 bundle (SUIT-006, INFO-002, FEE-001 not tested: data not provided; SUIT-001 by "
        "today's rating)",
        "all provided",
    ),
    (
        "sales special accounts (ABN-009)",
        "`3100202501010018`",
        "none given: ABN-009 not tested (parameter not provided)",
        "two: `3100202503030018` and `0755202503030018` (branches alternate)",
    ),
    (
        "suitability scale",
        "C1-C5 / R1-R5",
        "C1-C5 / R1-R5",
        "three levels: 保守型/稳健型/积极型, 低风险/中风险/高风险, mapped in params "
        "(`overrides.SUIT.investor_label_map`, `product_label_map`)",
    ),
    ("report language", "zh", "en", "zh"),
    (
        "params overrides",
        "`ABN-009` special account",
        "`CMP-002: {{general_reply_working_days: 5}}` (the answer key uses 5)",
        "the SUIT label maps; `ABN-009` special accounts; `RET-007: {{archive_grace_days: 60}}`",
    ),
    (
        "rules run (`rules:` in params)",
        "all 53",
        "all 53",
        'all but STAFF-003 (suitability training was examined by a thematic inspection): SU 29 shows "not '
        'tested: rule not run"',
    ),
    (
        "rules with no planted violation",
        "none",
        "{no_hits}: their near-misses only, so the rules are tested and find nothing (CP-8 and CP-10: "
        '"tested: no exception")',
        "none",
    ),
    (
        "mitigations",
        "SOD-001 for staff `{mit}` (valid through the last common day: `mitigated`); SOD-001 for staff "
        "`{exp}` (ended 2025-06-15, before the last common day 2025-06-30: stays `open`); SOD-009 for staff "
        "`{s9}` (valid until 2026-02-20, soon after as_of: `mitigated`); SOD-001 for staff `{unused}` "
        "(matches no finding)",
        "none",
        "none",
    ),
)

PROFILES_TEXT = (
    """
## The three institutions

| | demo-a | demo-b | demo-c |
|---|---|---|---|
"""
    + "".join(f"| {' | '.join(row)} |\n" for row in PROFILES_ROWS)
    + """
Content: Chinese person and company names; 18-digit resident ID numbers and unified social credit codes
with valid check characters; 11-digit mobiles; 19-digit bank cards (Luhn); product codes with leading
zeros (`000128`), staff ids `0001`, customer ids `0000100001`; branches `B01`...; complaint descriptions
in Chinese, a few of them hostile (`<script>alert(1)</script>`, `<b>`, a cell starting with
`=HYPERLINK(`, quotes, commas and a line break, a cell starting with `+`): untrusted text the report must
escape; those complaints are otherwise clean and produce no finding.

## Readings the answer key relies on

Where rules.md could be read two ways, the plants either avoid the edge or follow the reading below.

- Edges avoided: no multi-event window (ABN-001, ABN-002, CMP-010) straddles the period start; no
  working-time deadline ends exactly at 17:00 (where "the instant" could be 17:00 or the next 09:00);
  no missing action is due on 2026-01-30/31 (as_of read as the start of 2026-01-31); no archive record
  is late but present (RET-003 counts existence only); no ABN-004 transfer near the period edges; branch
  sweeps exist also for trade dates in January 2026 (applications after the cut-off on 2025-12-31).
- CMP-010: complaints without a customer_id are never repeats of one another (planted near-miss).
- SOD-007: an operation on the leave_date is allowed; after it, it is a finding even if the role was
  never ended. STAFF-001/002: the population is every staff holding promotion, counter or sales on at
  least one day of the period (no pro-rating of the 15 hours).
- REC-001: a reconciliation row with no performed_at is "not performed"; rows for non-trading days are
  ignored. RET-006: retain_until equal to backup_date + 15 calendar years is enough.
- SUIT-003 and the working-day deadlines are inclusive: equal is on time.
- v2: SOD-008 counts the days after leave_date only (a role ending on the leave date is clean); with
  `product_ratings` a sale is judged by the row with the latest rated_at on or before its day, so the
  same planted sale can be a hit in demo-b (today's rating) and a near-miss in demo-a/c, or the reverse;
  SUIT-004 then reads the latest rated_at up to period_end from the history. ACC-002/003: the scope is
  individuals (or no investor type) whose relationship overlaps the period; ACC-002 tests identity cards
  (a null id_type counts as one), ACC-003 any id_type against the same id_type (a passport shared by two
  names is a finding); numbers are compared trimmed and upper-cased, names trimmed;
  a customer out of scope can make one in scope a finding (ACC-003) but is never one itself. RET-007's
  grace is its own parameter (demo-c: 60 days, so 2025-12-02 + 60 days = as_of is a near-miss there).
  FEE-001 compares exact decimals of the values as written (two-decimal money, the rate as written).
- Quarantine: the duplicate of a primary key is reported in the key column; Parquet tables carry no bad
  rows (their types are enforced by the file).

## How the bulk is kept clean

- Staff hold one role each (all qualified and trained >= 15 h, one course on 适用性, when in
  promotion/counter/sales); a sales leaver left 2025-05-31 and the role ended the same day. Operations are
  derived from the items they act on: the maker of a counter transaction is its counter staff, the checker
  another counter staff of the branch; other items are entered and reviewed by two different back-office
  staff of the authorized role (info_processing, fund_processing, complaint_handling); audit, risk and
  complaint staff `view` and counter staff print statements (`other`): roles with access to customer data
  (INFO-001).
- Customers are assessed at opening and renewed in 2024 (the renewal may change the tolerance: the
  latest one counts); purchases stay at or below the latest tolerance, except ~1% one level above with
  the signed mismatch confirmation. Bulk products were rated in 2025 at the same level as a year
  before (the rating history has both rows: a rating in force every day). Fees are at most the
  contract's rate, rounded down to the cent (money funds: no fee).
- Resident ID numbers are valid (birth date before opening, check character) and unique; companies
  carry unified social credit codes (out of ACC-002/003's scope).
- At most one open and one close event per customer; every bank-account change is verified and flagged.
- A confirmed redemption 0-7 days after a purchase of the same product becomes a conversion (036).
- Trade dates follow the 15:00 cut-off and trading days; failed/rejected transactions are notified
  within hours.
- Payouts, refunds and dividends go to the customer's own name before due_at; each branch's purchase
  collections of a trade date are swept the same evening to a configured special account (also for
  trade dates in January 2026).
- Every customer has an identity record, every confirmed transaction a transaction record, every
  complaint a complaint record and every phone complaint a call-recording record; nothing is disposed
  of. One offsite, immutable, investor-data backup per day with retention to 31 Dec of the 15th
  following year (plus weekly configuration backups without investor data).
- Reconciliations per branch and trading day the same evening, no differences.
- Data changes outside the business flow (~1 per 500 transactions) are approved beforehand by another
  staff.
- Complaints: one per customer (no repeats), registered within 20 minutes, regulator transfers recorded as
  major, forwarded within 25 minutes, replies within the limit
  (40% on the last allowed working day), callbacks within hours, root causes recorded, recordings for
  phone complaints, violations reported within two days.
"""
)


def _bad_rows_text(name: str) -> str:
    d = build(PROFILES[name], transactions=2000)
    lines = [f"- `{b['table']}.{b['column']}`: " + _bad_reason(b) for b in d.bad_rows]
    return "\n".join(lines)


def _bad_reason(b: dict) -> str:
    if callable(b["row"]):
        return "duplicate primary key (the second occurrence is quarantined)"
    v = b["row"].get(b["column"])
    return "empty required value" if v in (None, "") else f"unparsable value `{v}`"


def render() -> str:
    demos = {n: build(p, transactions=2000) for n, p in PROFILES.items()}
    a, b, c = PROFILES["demo-a"], PROFILES["demo-b"], PROFILES["demo-c"]
    da = demos["demo-a"]
    out = [
        HEADER,
        PROFILES_TEXT.format(
            a=a,
            b=b,
            c=c,
            mit=da.mitigation_staff,
            exp=da.expired_mitigation_staff,
            s9=da.sod009_staff,
            unused=da.unused_mitigation_staff,
            no_hits=", ".join(b.no_hits),
        ),
    ]
    out.append("\n## Deliberately bad rows\n\nRow numbers are in each folder's `_expected_quarantine.csv`.\n")
    for n in PROFILES:
        out.append(f"**{n}**\n\n{_bad_rows_text(n)}\n")
    out.append(
        "\n## Planted cases\n\nOne row per case; the entity columns give its `entity_id` in each "
        "institution (— = not planted there; demo-b gets a subset). **hit** = must be a finding, "
        "**near** = must not be one. Rules not tested in an institution (a table, column or parameter "
        "not provided: demo-b) expect no findings there: their cases are marked (not tested); a rule its "
        "params leave out (demo-c: STAFF-003) is not run: its cases are marked (not run).\n"
    )
    counts = {}
    for fam in FAMILIES:
        out.append(
            f"\n### {fam}\n\n| rule | kind | demo-a | demo-b | demo-c | why |\n|---|---|---|---|---|---|"
        )
        rows: dict[tuple, dict] = {}
        for n, d in demos.items():
            for p in d.plants:
                if p.rule.split("-")[0] != fam:
                    continue
                tested = d.rule_tested(p.rule)
                counts.setdefault((p.rule, n), [0, 0])[p.kind == "near"] += tested
                why = p.why.split(" (demo-a:")[0]
                key = (p.rule, p.kind, why)
                ent = f"`{p.entity}`" + (" (mitigated)" if p.status == "mitigated" else "")
                why_not = "not run" if p.rule in d.p.excluded else "not tested"
                rows.setdefault(key, {})[n] = ent if tested else f"{ent} ({why_not})"
        for (rule, kind, why), ents in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            cells = " | ".join(ents.get(n, "—") for n in PROFILES)
            out.append(f"| {rule} | {kind} | {cells} | {why.replace('|', '/')} |")
    out.append(
        "\n## Counts (hits / near-misses per rule and institution)\n\n| rule | demo-a | demo-b | demo-c |"
        "\n|---|---|---|---|"
    )
    for code in REGISTRY:
        cells = " | ".join("{} / {}".format(*counts.get((code, n), [0, 0])) for n in PROFILES)
        out.append(f"| {code} | {cells} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
