"""The ACC report section (what was required, what was found, ID-number problems by kind) in zh and en."""

import warnings

import pytest

from auditlib.engine import run_audit
from auditlib.fixtures import case_bundle
from auditlib.params import parse_params
from auditlib.report.html import family_section
from auditlib.report.sections import load_all
from auditlib.report.sections.acc import acc_extras, id_kinds

OPEN = "2020-01-01"
TABLES = {
    "customers": [
        {"customer_id": "C1", "name": "张三丰", "id_number": "11010519491231002x", "open_date": OPEN},
        {"customer_id": "C2", "name": "李四光", "id_number": "110105800101001", "open_date": OPEN},
        {"customer_id": "C3", "name": "王五", "id_number": "110105199003071238", "open_date": OPEN},
        {"customer_id": "C4", "name": "赵六", "open_date": OPEN},
        {"customer_id": "C5", "name": "<b>钱七</b>", "id_number": "110105199902290013", "open_date": OPEN},
        # C6 and C7 share a valid number under different names
        {"customer_id": "C6", "name": "孙八", "id_number": "440306198506140020", "open_date": OPEN},
        {"customer_id": "C7", "name": "周九", "id_number": "440306198506140020", "open_date": OPEN},
        {
            "customer_id": "C8",
            "name": "吴十",
            "id_number": "110105199003071239",
            "open_date": "2025-03-01",
            "close_date": "2025-03-20",
        },
    ],
    "transactions": [
        {
            "txn_id": f"T{i}",
            "customer_id": "C8",
            "product_code": "P1",
            "business_code": "022",
            "status": "confirmed",
            "applied_at": at,
            "trade_date": at[:10],
        }
        for i, at in enumerate(
            [
                "2025-02-28 10:00:00",
                "2025-03-01 10:00:00",
                "2025-03-20 10:00:00",
                "2025-03-21 10:00:00",
                "2025-03-24 10:00:00",
            ]
        )
    ],
}
PII = (
    "张三丰",
    "李四光",
    "王五",
    "赵六",
    "钱七",
    "孙八",
    "周九",
    "吴十",
    "11010519491231002",
    "110105800101001",
    "110105199003071238",
    "440306198506140020",
)
CODE_WORDS = ("wrong_length", "bad_check", "after_open", "id_number", "open_date", "before_open", "ID_CARD")


def audit(lang: str, rules=("ACC",), absent=()):
    params = parse_params(
        {
            "institution_id": "acc-test",
            "institution_name": "测试基金销售有限公司",
            "data_dir": ".",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "as_of": "2026-01-31",
            "language": lang,
            "rules": list(rules),
        }
    )
    return run_audit(params, case_bundle(TABLES, absent))


def render(result, lang):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = acc_extras(result, lang)
    assert not [w for w in caught if "glyph" in str(w.message).lower()]
    return html


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "检查要求：个人客户须以有效身份证件开立账户",
                "个人客户 8 名，身份证号码无效 4 名（占 50.00%）",
                "其中 15 位旧号码 1 名",
                "与姓名不同的其他客户登记同一证件号码的客户 2 名，涉及号码 1 个",
                "已确认的交易 5 笔，发生在业务关系存续期之外 3 笔：早于开户日 1 笔，晚于销户日 2 笔",
                "按问题类型统计的无效身份证号码客户数",
                "校验码错误",
            ],
        ),
        (
            "en",
            [
                "what was required and what was found",
                "8 individual customers",
                "4 with an invalid ID number (50.00%)",
                "1 of them have a 15-digit pre-1999 number",
                "2 customers share an ID number with a customer of another name (1 number(s))",
                "5 confirmed transactions in the period, 3 outside",
                "wrong check character",
            ],
        ),
    ],
)
def test_acc_section(lang, expected):
    result = audit(lang)
    html = render(result, lang)
    for text in expected:
        assert text in html, text
    assert html.count("<img") == 1
    for value in PII + CODE_WORDS:
        assert value not in html, value


def test_kinds_counted_from_the_rule():
    counts = id_kinds(audit("zh"))
    assert counts.to_dict() == {
        "missing": 1,
        "wrong_length": 1,
        "non_digit": 0,
        "bad_date": 1,
        "after_open": 0,
        "bad_check": 1,
    }


def test_not_tested_parts_say_why():
    html = render(audit("zh", absent=("transactions",)), "zh")
    assert "交易与业务关系存续期未检查：未提供数据：transactions" in html
    html = render(audit("en", rules=("ACC-001",)), "en")
    assert "Resident ID numbers not checked: disabled in params" in html
    assert "<img" not in html


def test_family_section_has_the_overview_and_masked_findings():
    result = audit("zh")
    html = family_section(result, "ACC", load_all()["ACC"])
    assert "账户与客户身份" in html and "ACC-002" in html and "ACC-003" in html
    for value in PII:
        assert value not in html, value
    assert "110105********1238" in html  # the examiner's copy shows the masked number
