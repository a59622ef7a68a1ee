"""STAFF: qualification and training of the people who sell funds (IC 10; SU 29)."""

from __future__ import annotations

import pandas as pd

from ..i18n import label
from .base import Param, RuleContext, RuleOutput, Scope, evidence, fmt_day, no_findings, rule
from .intervals import role_intervals

SALES_ROLES = ["promotion", "counter", "sales"]


def sales_staff(ctx: RuleContext) -> pd.DataFrame:
    """One row per staff holding a sales-facing role on at least one day of the period: the roles held
    (per language), the first such day in the period and the staff_roles row that shows it."""
    iv = role_intervals(ctx, clip=True)
    iv = iv[iv["role"].isin(ctx.params["roles"]).fillna(False).to_numpy()].sort_values(
        ["staff_id", "start", "_row"]
    )
    if iv.empty:
        return pd.DataFrame(columns=["staff_id", "first_day", "_row", "roles_zh", "roles_en"])
    roles = iv[["staff_id", "role"]].drop_duplicates().sort_values(["staff_id", "role"])
    names = {lang: roles["role"].map(lambda r, lang=lang: label(r, lang)) for lang in ("zh", "en")}
    joined = {
        lang: names[lang].groupby(roles["staff_id"]).agg(("、" if lang == "zh" else ", ").join)
        for lang in ("zh", "en")
    }
    first = iv.drop_duplicates("staff_id").rename(columns={"start": "first_day"})[
        ["staff_id", "first_day", "_row"]
    ]
    for lang in ("zh", "en"):
        first[f"roles_{lang}"] = first["staff_id"].map(joined[lang])
    return first.reset_index(drop=True)


_COMMON = dict(family="STAFF", entity="staff_id")


def sales_staff_findings(hit: pd.DataFrame, where: pd.Series, **columns) -> pd.DataFrame:
    """One finding per sales staff in `hit` (rows of `sales_staff`): the roles held, the first such day,
    then the rule's own `columns`, and `where` to re-perform the check (the evidence)."""
    return pd.DataFrame(
        {
            "entity_id": hit["staff_id"],
            "occurred_at": hit["first_day"],
            "staff_id": hit["staff_id"],
            "first_day": fmt_day(hit["first_day"]),
            "roles_zh": hit["roles_zh"],
            "roles_en": hit["roles_en"],
            **columns,
            "evidence": where,
        }
    )


def untrained_findings(hit: pd.DataFrame, **columns) -> pd.DataFrame:
    """The sales staff in `hit` short of the training a rule requires (STAFF-002, STAFF-003), their
    training rows as the evidence."""
    where = evidence("staff_roles", hit["_row"]) + "; training rows of the staff dated in the period"
    return sales_staff_findings(hit, where, **columns)


@rule(
    "STAFF-001",
    severity="medium",
    tables=("staff_roles", "staff"),
    sample=Scope("staff_roles", "overlap", {"role": Param("roles")}),
    cites=("IC 10(1)",),
    params={"roles": SALES_ROLES},
    **_COMMON,
    title={
        "zh": "从事基金销售的人员未取得基金从业资格",
        "en": "Sales staff without the fund practitioner qualification",
    },
    requirement={
        "zh": "检查期间内担任以下岗位的员工须取得基金从业资格：{roles}",
        "en": "Staff holding any of these roles in the period must hold the fund practitioner "
        "qualification: {roles}",
    },
    detail={
        "zh": "员工 {staff_id} 自 {first_day} 起担任{roles}，{what}",
        "en": "Staff {staff_id} held {roles} from {first_day}: {what}",
    },
)
def staff_001(ctx: RuleContext) -> RuleOutput:
    """People who promote or sell funds, or work the counter, must be qualified (基金从业资格; IC 10, SU 29):
    a staff holding such a role on any day of the period whose `qualified` is not true (null is not true;
    a staff missing from the staff table cannot show the qualification either)."""
    st = sales_staff(ctx)
    staff = ctx.tables["staff"].drop_duplicates("staff_id").set_index("staff_id")
    qualified = st["staff_id"].map(staff["qualified"]).fillna(False).astype(bool).to_numpy()
    known = st["staff_id"].isin(staff.index).to_numpy()
    hit, hit_known = st[~qualified], known[~qualified]
    if hit.empty:
        return RuleOutput(len(st), no_findings())
    staff_row = hit["staff_id"].map(staff["_row"])
    ev = evidence("staff_roles", hit["_row"])
    ev = ev.where(~hit_known, ev + "; " + evidence("staff", staff_row.fillna(0)))
    what_zh = pd.Series("未取得基金从业资格", index=hit.index).where(
        hit_known, "员工表中无此员工，无法证明取得基金从业资格"
    )
    what_en = pd.Series("not qualified", index=hit.index).where(
        hit_known, "not in the staff table, so no qualification can be shown"
    )
    return RuleOutput(len(st), sales_staff_findings(hit, ev, what_zh=what_zh, what_en=what_en))


@rule(
    "STAFF-002",
    severity="low",
    tables=("staff_roles", "training"),
    sample=Scope("staff_roles", "overlap", {"role": Param("roles")}),
    cites=("IC 10(2)",),
    params={"roles": SALES_ROLES, "min_training_hours": 15},
    **_COMMON,
    title={"zh": "销售人员后续培训学时不足", "en": "Sales staff with too few training hours"},
    requirement={
        "zh": "检查期间内担任以下岗位的员工，期间内的培训学时合计不少于 {min_training_hours} 小时：{roles}",
        "en": "Staff holding any of these roles in the period must have at least {min_training_hours} "
        "training hours dated in the period: {roles}",
    },
    detail={
        "zh": "员工 {staff_id} 自 {first_day} 起担任{roles}，期间内培训 {hours} 小时，少于 {min_hours} 小时",
        "en": "Staff {staff_id} held {roles} from {first_day} and had {hours} training hour(s) in the "
        "period, fewer than {min_hours}",
    },
)
def staff_002(ctx: RuleContext) -> RuleOutput:
    """Sales staff must be trained continuously (IC 10(2)): a staff holding a sales-facing role in the period
    with fewer than `min_training_hours` training hours dated in the period (no training at all is 0 hours).
    Hours are not pro-rated for a role held only part of the period."""
    st = sales_staff(ctx)
    tr = ctx.tables["training"]
    tr = tr[ctx.in_period(tr["date"]).to_numpy(dtype=bool)]
    hours = tr.groupby("staff_id")["hours"].sum()
    h = st["staff_id"].map(hours).fillna(0.0).astype("float64")
    minimum = float(ctx.params["min_training_hours"])
    short = (h < minimum).to_numpy()
    hit = st[short]
    if hit.empty:
        return RuleOutput(len(st), no_findings())
    hours_text = h[short].map(lambda x: f"{x:g}")
    return RuleOutput(len(st), untrained_findings(hit, hours=hours_text, min_hours=f"{minimum:g}"))


SUITABILITY_KEYWORDS = ["适用性", "适当性", "suitability"]


def keyword_training(ctx: RuleContext, keywords: list[str]) -> pd.Series:
    """Staff ids with a training dated in the period whose course contains one of `keywords` (literally,
    case-insensitively)."""
    tr = ctx.tables["training"]
    tr = tr[ctx.in_period(tr["date"]).to_numpy(dtype=bool)]
    course = tr["course"].astype("string").str.casefold()
    match = pd.Series(False, index=tr.index)
    for kw in keywords:
        match |= course.str.contains(str(kw).casefold(), regex=False).fillna(False)
    return tr.loc[match.to_numpy(dtype=bool), "staff_id"].drop_duplicates()


@rule(
    "STAFF-003",
    severity="low",
    tables=("staff_roles", "training"),
    sample=Scope("staff_roles", "overlap", {"role": Param("roles")}),
    cites=("SU 29",),
    params={"roles": SALES_ROLES, "suitability_course_keywords": SUITABILITY_KEYWORDS},
    version="2",
    **_COMMON,
    title={"zh": "销售人员未接受适用性培训", "en": "Sales staff without suitability training"},
    requirement={
        "zh": "检查期间内担任以下岗位的员工，"
        "期间内须接受过课程名称含下列关键词之一（不区分大小写）的适用性培训：岗位 {roles}；关键词 "
        "{suitability_course_keywords}",
        "en": "Staff holding any of these roles in the period must have a training dated in the period whose "
        "course name contains one of these keywords (case-insensitive): roles {roles}; keywords "
        "{suitability_course_keywords}",
    },
    detail={
        "zh": "员工 {staff_id} 自 {first_day} 起担任{roles}，期间内无适用性培训记录",
        "en": "Staff {staff_id} held {roles} from {first_day} and had no suitability training in the period",
    },
)
def staff_003(ctx: RuleContext) -> RuleOutput:
    """Sales staff must be trained in suitability (SU 29): a staff holding a sales-facing role on a day of the
    period with no training dated in the period whose course contains one of `suitability_course_keywords`
    (a literal, case-insensitive match: `Suitability 2025` counts). Hours do not matter here (STAFF-002)."""
    st = sales_staff(ctx)
    trained = st["staff_id"].isin(keyword_training(ctx, list(ctx.params["suitability_course_keywords"])))
    hit = st[~trained.fillna(False).to_numpy(dtype=bool)]
    if hit.empty:
        return RuleOutput(len(st), no_findings())
    return RuleOutput(len(st), untrained_findings(hit))
