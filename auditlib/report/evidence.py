"""Each finding's evidence: the source rows it rests on and the values the rule used.

The engine keeps each rule's own findings frame (`AuditResult.rule_frames[code]`): besides `entity_id`,
`occurred_at` and `evidence` ("table row N"), it holds every value the rule compared. These are shown to the
auditor (notebook cell tagged `auditor`, per-rule sheets of the working papers), never in the examiner's HTML.
Personal data is masked per the rule's `pii` declaration (and any column named like a contract PII column)
unless params say `show_personal_data: true`.
"""

from __future__ import annotations

import re

import pandas as pd

from ..mask import column_kinds, mask_series
from ..rules import REGISTRY
from .html import esc

#: frame columns that are the finding itself, not values the rule used
FINDING_PART = ("entity_id", "occurred_at", "evidence", "detail", "detail_full")
_LANG_COL = re.compile(r"(?P<base>.+)_(?P<lang>zh|en)")


def values_frame(result, code: str, personal_data: bool = False) -> pd.DataFrame:
    """The values the rule used, one row per finding, indexed by entity_id.

    Language variants (`what_zh` / `what_en`) are reduced to the report language, under the base name, when
    the frame has no base column of that name."""
    frame = result.rule_frames.get(code)
    if frame is None:
        return pd.DataFrame()
    lang = result.params.language
    cols: dict[str, pd.Series] = {}
    for c in frame.columns:
        if c in FINDING_PART:
            continue
        m = _LANG_COL.fullmatch(c)
        if m:
            if m["lang"] == lang and m["base"] not in frame.columns:
                cols[m["base"]] = frame[c]
            continue
        cols[c] = frame[c]
    out = pd.DataFrame(cols, index=frame.index)
    if not personal_data:
        for c, kind in column_kinds(out.columns, REGISTRY[code].pii).items():
            out[c] = mask_series(out[c], kind)
    out.index = frame["entity_id"].astype("string").to_numpy()
    return out


def _fmt(v) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    return str(v)


def evidence_html(result, personal_data: bool = False) -> str:
    """Per rule, each finding with its source rows and, under it, the values the rule used (auditor only)."""
    from ..i18n import label, t

    lang = result.params.language
    f = result.findings
    detail = "detail_full" if personal_data else "detail"
    parts = ['<div class="al">']
    for code in dict.fromkeys(f["rule_code"]):
        rows = f[f["rule_code"] == code]
        values = values_frame(result, code, personal_data)
        parts.append(
            f"<h3>{esc(code)} {esc(REGISTRY[code].title[lang])}</h3><table><thead><tr>"
            f"<th>{esc(t('entity', lang))}</th><th>{esc(t('status', lang))}</th>"
            f"<th>{esc(t('detail', lang))}</th><th>{esc(t('evidence', lang))}</th></tr></thead><tbody>"
        )
        for r in rows.itertuples(index=False):
            status = label(r.status, lang)
            if getattr(r, "tracking", ""):
                status += f" / {label(r.tracking, lang)}"
            parts.append(
                f"<tr><td>{esc(r.entity_id)}</td><td>{esc(status)}</td><td>{esc(getattr(r, detail))}</td>"
                f"<td>{esc(r.evidence)}</td></tr>"
            )
            if r.entity_id in values.index:
                v = values.loc[r.entity_id]
                v = v.iloc[0] if isinstance(v, pd.DataFrame) else v
                shown = "; ".join(f"{k} = {_fmt(x)}" for k, x in v.items() if _fmt(x) != "")
                parts.append(f'<tr><td></td><td colspan="3" class="muted">{esc(shown)}</td></tr>')
        parts.append("</tbody></table>")
    parts.append("</div>")
    return "".join(parts)
