"""ACC plants: the account relationship (ACC-001) and identity numbers (ACC-002 invalid, ACC-003 shared).

Scope (rules.md): individuals or no investor type, relationship overlapping the period; ACC-002 tests
identity cards (or no id_type) within it, ACC-003 any id_type compared with the same id_type.

Identity numbers are built here from a birth date and a sequence number with `pii.resident_id` (valid
check character), then spoiled one way at a time. The planted numbers use a region code the bulk never
draws, so only the planted pairs share a number.
"""

from __future__ import annotations

from . import pii
from .base import Demo


def _with_x(born: str) -> str:
    """A valid number for the birth date whose check character is X."""
    return next(n for n in (pii.resident_id(born, s) for s in range(500, 1000)) if n.endswith("X"))


def _wrong_check(n: str) -> str:
    return n[:17] + ("0" if n[17] != "0" else "1")


def plant(d: Demo) -> None:
    small = d.p.institution_id == "demo-b"
    hi = d.levels[-1]
    pa = d.product_of_risk(d.levels[0])

    def cust(**kw) -> str:
        kw.setdefault("assessed", "2024-06-03 10:00:00")
        return d.new_customer(tol=hi, **kw)

    # -------------------------------------------------------------- ACC-001 (trades outside the relationship)
    c = cust(opened="2025-03-10 10:00:00", assessed="2025-03-09 15:00:00")
    x = d.new_txn(c, pa, "022", "2025-03-09 15:30:00", amount=8000.0)
    d.hit("ACC-001", x, "purchase applied 2025-03-09, the day before the account was opened")
    x = d.new_txn(c, pa, "022", "2025-03-10 16:00:00", amount=8000.0)
    d.near("ACC-001", x, "purchase on the opening day")
    c = cust(closed="2025-08-29 15:00:00")
    x = d.new_txn(c, pa, "024", "2025-08-29 11:00:00", shares=4000.0)
    d.near("ACC-001", x, "redemption on the closing day")
    x = d.new_txn(c, pa, "024", "2025-09-01 10:00:00", shares=2500.0)
    d.hit("ACC-001", x, "redemption confirmed 2025-09-01, after the account was closed on 2025-08-29")
    x = d.new_txn(c, pa, "022", "2025-09-02 10:00:00", status="failed", amount=3000.0)
    d.near("ACC-001", x, "after closing, but failed (only confirmed transactions count)")
    if not small:
        c = cust(opened="2025-01-06 10:00:00", assessed="2024-12-30 09:00:00")
        x = d.new_txn(c, pa, "022", "2024-12-30 10:00:00", trade_date="2024-12-30", amount=5000.0)
        d.near("ACC-001", x, "before opening, but applied 2024-12-30, before the period")

    # ------------------------------------------------------------------ ACC-002 (invalid identity numbers)
    shared_card = pii.resident_id("1970-04-04", 144)
    shared_card_holder = cust(id_number=shared_card)
    good = pii.resident_id("1986-07-14", 31)
    c = cust(id_number=_wrong_check(good))
    d.hit("ACC-002", c, "check character wrong (last character changed)")
    c = cust(id_number="110102860714031")
    d.hit("ACC-002", c, "15-digit number of the pre-1999 kind: not valid")
    c = cust(id_number=None)
    d.hit("ACC-002", c, "identity card with no number")
    null_id = c
    first17 = "11010219990230052"
    c = cust(id_number=first17 + pii.id_check_char(first17))
    d.hit("ACC-002", c, "birth date 1999-02-30 does not exist (check character correct)")
    c = cust(opened="2025-03-03 10:00:00", id_number=pii.resident_id("2025-05-01", 12))
    d.hit("ACC-002", c, "born 2025-05-01, after the account was opened on 2025-03-03")
    c = cust(
        opened="2025-06-18 10:00:00",
        assessed="2025-06-18 10:20:00",
        id_number=pii.resident_id("2025-06-18", 14),
    )
    d.near("ACC-002", c, "born on the day the account was opened (a guardian's account for a newborn)")
    c = cust(id_number=_with_x("1979-11-02").lower())
    d.near("ACC-002", c, "valid number ending in a lower-case x")
    c = cust(id_number=f"  {pii.resident_id('1990-01-15', 77)} ")
    d.near("ACC-002", c, "valid number with spaces around it")
    c = cust(id_type=None, id_number=pii.resident_id("1972-09-30", 81))
    d.near("ACC-002", c, "id_type empty (counts as an identity card), number valid")
    c = cust(id_type=None, id_number=pii.resident_id("1972-09-30", 82)[:17])
    d.hit("ACC-002", c, "id_type empty (counts as an identity card), number 17 characters long")
    c = cust(investor_type=None, id_number=pii.resident_id("1968-12-01", 90))
    d.near("ACC-002", c, "investor_type empty (in scope), number valid")
    c = cust(id_type="PASSPORT", id_number="E51234567")
    d.near("ACC-002", c, "a passport: not an identity card")
    passport = c
    if not small:
        c = cust(id_number="1101021980O101123" + "4")
        d.hit("ACC-002", c, "a letter O among the first 17 characters")
        c = cust(
            opened="2016-03-01 10:00:00",
            closed="2024-06-28 15:00:00",
            id_number=_wrong_check(pii.resident_id("1961-02-11", 5)),
        )
        d.near("ACC-002", c, "invalid number, but the relationship ended 2024-06-28, before the period")

    # ------------------------------------------------------------------ ACC-003 (one number, two people)
    shared = pii.resident_id("1983-05-20", 140)
    a = cust(name="陈志强", id_number=shared)
    b = cust(name="陈志刚", id_number=shared)
    d.hit("ACC-003", a, f"the same number as customer {b}, another name")
    d.hit("ACC-003", b, f"the same number as customer {a}, another name")
    same = pii.resident_id("1975-10-08", 141)
    a = cust(name="王芳", id_number=same)
    b = cust(name=" 王芳 ", id_number=same)
    d.near("ACC-003", a, "the same number twice, the same person (names equal once trimmed)")
    d.near("ACC-003", b, "the same number twice, the same person (names equal once trimmed)")
    old = pii.resident_id("1958-01-23", 142)
    a = cust(name="刘桂英", id_number=old)
    b = cust(name="刘桂兰", opened="2009-04-01 10:00:00", closed="2020-11-30 15:00:00", id_number=old)
    d.hit("ACC-003", a, f"shares its number with customer {b} (closed in 2020), another name")
    d.near("ACC-003", b, "closed in 2020: not in scope itself (the customer in scope is the finding)")
    c = cust(id_type="PASSPORT", id_number="E51234567", name="赵敏")
    d.hit("ACC-003", c, f"the same passport number as customer {passport}, another name")
    d.hit("ACC-003", passport, f"the same passport number as customer {c}, another name")
    c = cust(id_type="PASSPORT", id_number=shared_card)
    d.near("ACC-003", c, f"a passport whose number is customer {shared_card_holder}'s identity card number")
    d.near("ACC-003", shared_card_holder, f"its identity card number is also customer {c}'s passport number")
    c = cust(id_number=None)
    d.near("ACC-003", c, f"no number, like customer {null_id}: an empty number is shared by nobody")
    d.hit("ACC-002", c, "identity card with no number")
    if not small:
        x_upper = _with_x("1988-03-27")
        a = cust(name="孙丽", id_number=x_upper)
        b = cust(name="孙莉", id_number=x_upper.lower())
        d.hit("ACC-003", a, f"the same number as customer {b} (written with a lower-case x), another name")
        d.hit("ACC-003", b, f"the same number as customer {a}, another name")
        d.near("ACC-002", b, "valid number ending in a lower-case x")
        n = pii.resident_id("1992-08-08", 143)
        a = cust(name="周杰", id_type=None, id_number=n)
        b = cust(name="周洁", id_number=n)
        d.hit("ACC-003", a, f"id_type empty (an identity card), the same number as customer {b}")
        d.hit("ACC-003", b, f"the same number as customer {a} (whose id_type is empty), another name")
