"""Money helpers. All amounts are EUR Decimals; every stored amount is rounded to cents half-up here."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "EUR"
CENT = Decimal("0.01")


def round_cents(value: Decimal | int | str) -> Decimal:
    """Round to whole cents, halves away from zero (0.005 → 0.01). Never accepts floats."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
