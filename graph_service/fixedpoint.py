"""Volumes and money as exact fixed-point integers (ten-thousandths), so sums never drift.

PV and amounts are stored in Neo4j as integers scaled by SCALE; Cypher `sum()` over integers is
exact, and figures are turned back into decimals only at the edge (JSON, tables).
"""

from __future__ import annotations

import re
from decimal import Decimal

SCALE = 10_000
DECIMALS = 4
# one order's volume or amount stays below a billion in absolute value: scaled, 10^13, so the sums
# of a network's orders stay exact 64-bit integers in Neo4j and numpy (a larger value is refused)
MAX_WHOLE_DIGITS = 9
_DECIMAL = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?$")


class NotADecimal(ValueError):
    pass


def parse_scaled(text: str) -> int:
    """`"-12.5"` -> -125000. Plain decimals only (no exponent, no thousands separators)."""
    match = _DECIMAL.match(text.strip())
    if match is None:
        raise NotADecimal(f"{text!r} is not a decimal number")
    sign, whole, frac = match.groups()
    frac = frac or ""
    if not whole and not frac:
        raise NotADecimal(f"{text!r} is not a decimal number")
    frac = frac.rstrip("0")
    if len(frac) > DECIMALS:
        raise NotADecimal(f"{text!r} has more than {DECIMALS} decimal places")
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise NotADecimal(
            f"{text.strip()!r} is too large (at most {10**MAX_WHOLE_DIGITS - 1:,} in absolute value)"
        )
    value = int(whole or "0") * SCALE + int((frac or "0").ljust(DECIMALS, "0"))
    return -value if sign == "-" else value


def to_decimal(scaled: int) -> Decimal:
    return Decimal(scaled).scaleb(-DECIMALS).normalize() if scaled else Decimal(0)


def to_float(scaled: int) -> float:
    """The exact decimal as the nearest float (what JSON carries); 12.5 stays 12.5."""
    return float(to_decimal(scaled))
