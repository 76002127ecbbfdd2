"""Fixed-point volumes: exact parsing, refusal of what is not a plain decimal, exact sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_service.fixedpoint import SCALE, NotADecimal, parse_scaled, to_decimal, to_float


@pytest.mark.parametrize(
    ("text", "scaled"),
    [
        ("120", 1_200_000),
        ("95.5", 955_000),
        ("-60.25", -602_500),
        ("+1.0001", 10_001),
        (".5", 5_000),
        ("7.", 70_000),
        ("0", 0),
        ("-0.00", 0),
        ("12.50000", 125_000),
        (" 3 ", 30_000),
    ],
)
def test_parse_scaled(text: str, scaled: int) -> None:
    assert parse_scaled(text) == scaled


@pytest.mark.parametrize(
    "text", ["", "-", ".", "1e3", "1,5", "12.34567", "abc", "NaN", "inf", "1.2.3", "--1"]
)
def test_refuses_what_is_not_a_plain_decimal(text: str) -> None:
    with pytest.raises(NotADecimal):
        parse_scaled(text)


@given(
    st.decimals(
        min_value=Decimal("-999999999.9999"), max_value=Decimal("999999999.9999"), places=4,
        allow_nan=False, allow_infinity=False,
    )
)  # fmt: skip
def test_round_trip_is_exact(value: Decimal) -> None:
    scaled = parse_scaled(format(value, "f"))
    assert to_decimal(scaled) == value
    assert scaled == int(value * SCALE)


@pytest.mark.parametrize("text", ["1000000000", "-1000000000.5", "99999999999999999999999"])
def test_a_billion_or_more_is_refused(text: str) -> None:
    with pytest.raises(NotADecimal, match="too large"):
        parse_scaled(text)


@given(st.lists(st.decimals(min_value=-1000, max_value=1000, places=2), max_size=200))
def test_integer_sums_are_exact_where_floats_drift(values: list[Decimal]) -> None:
    total = sum(parse_scaled(format(v, "f")) for v in values)
    assert to_decimal(total) == sum(values, Decimal(0))
    assert to_float(total) == float(sum(values, Decimal(0)))
