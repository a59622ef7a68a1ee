"""FEE-001's comparison: exact on the decimals the institution wrote, whatever float arithmetic says."""

from decimal import Decimal

import numpy as np
import pytest

from auditlib.rules.fee import above_limit, scaled


def _figures(rng, n: int) -> tuple[list[str], list[str], list[str]]:
    """Amounts (0-4 decimals), contract rates (0-5 decimals) and fees at, a hair off or around the limit."""
    amounts = [
        f"{rng.integers(1, 10**9) / 10 ** int(rng.integers(0, 5)):.{4}f}".rstrip("0").rstrip(".")
        for _ in range(n)
    ]
    rates = [
        str(Decimal(int(rng.integers(0, 3000))) / Decimal(10 ** int(rng.integers(3, 6)))) for _ in range(n)
    ]
    fees = []
    for a, r in zip(amounts, rates, strict=True):
        at = Decimal(a) * (Decimal(r) + Decimal("0.0001"))
        kind = rng.integers(0, 4)
        if kind == 0:
            fees.append(str(at))  # exactly at the limit
        elif kind == 1:
            fees.append(str(at.quantize(Decimal("0.01"))))  # rounded to the cent, either side
        elif kind == 2:
            fees.append(str(at + Decimal("0.000001") * (1 if rng.integers(0, 2) else -1)))
        else:
            fees.append(str(Decimal(int(rng.integers(0, 10**6))) / 100))
    return amounts, rates, fees


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_above_limit_agrees_with_decimal_arithmetic(seed):
    rng = np.random.default_rng(seed)
    amounts, rates, fees = _figures(rng, 3000)
    got = above_limit(
        np.array(fees, dtype=float), np.array(amounts, dtype=float), np.array(rates, dtype=float), 0.0001
    )
    want = [
        Decimal(f) > (Decimal(r) + Decimal("0.0001")) * Decimal(a)
        for f, a, r in zip(fees, amounts, rates, strict=True)
    ]
    assert got.tolist() == want


def test_at_the_limit_where_floats_disagree_and_beyond_the_scaled_integers():
    # 88,330.47 on 5,849,700 at 1.5% + 0.01%: exactly at the limit; float arithmetic says above it
    fee, amount, rate = np.array([88330.47]), np.array([5849700.0]), np.array([0.015])
    assert (fee - (rate + 0.0001) * amount > 0).all() and not above_limit(fee, amount, rate, "0.0001").any()
    # a fee with 13 decimals has no 12-decimal reading: decided by `decimal`, the same way
    f = "0.0000000000015"
    assert scaled(np.array([float(f)]))[1].tolist() == [-1]
    assert not above_limit(np.array([float(f)]), np.array([0.0000000001]), np.array([0.015]), 0).any()
    assert above_limit(np.array([float(f) * 1.0000001]), np.array([0.0000000001]), np.array([0.015]), 0).all()


def test_scaled_reads_the_fewest_decimals():
    x = np.array([15.1, 1000.0, 0.015, -2.5, 123456789.01, 1e15])
    big, d = scaled(x)
    assert big.tolist()[:5] == [151, 1000, 15, -25, 12345678901] and d.tolist() == [1, 0, 3, 1, 2, -1]
