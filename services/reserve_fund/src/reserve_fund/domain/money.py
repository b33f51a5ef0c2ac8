"""Exact US-dollar amounts.

The Fund counts cents, so a `Money` is a `Decimal` with exactly two places, never negative and
never built from a float: ``Money.parse("0.10") * 3 == Money.parse("0.30")`` holds, which it
would not with binary floats. ``str(money)`` is the wire form (``"250.00"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from reserve_fund.domain.errors import InvalidMoney

CENT = Decimal("0.01")
# NUMERIC(12, 2) in PostgreSQL; far above any yearly allocation, low enough that a hostile
# "1e999999" is refused as input instead of overflowing the decimal context.
MAX_AMOUNT = Decimal("9999999999.99")

# The only spelling accepted from outside: plain digits, optional fraction. No sign, exponent,
# spaces, underscores or non-ASCII digits, all of which Decimal() would otherwise accept.
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _checked(value: object, field: str | None) -> Decimal:
    if isinstance(value, float):
        raise InvalidMoney(
            "amounts must be decimal strings, not floats",
            rule="money.float_not_allowed",
            field=field,
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidMoney("amount is not a decimal number", rule="money.malformed", field=field)
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidMoney("amount must be a finite number", rule="money.not_finite", field=field)
    if amount < 0:
        raise InvalidMoney("amount cannot be negative", rule="money.negative", field=field)
    if amount > MAX_AMOUNT:
        raise InvalidMoney(
            f"amount cannot exceed {MAX_AMOUNT}", rule="money.too_large", field=field
        )
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise InvalidMoney(
            "amount has more than two decimal places", rule="money.too_many_decimals", field=field
        )
    quantized = amount.quantize(CENT)
    # Decimal("-0") would print as "-0.00"; a cent amount of zero has no sign.
    return quantized if quantized else Decimal("0.00")


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """A non-negative USD amount with exactly two decimal places."""

    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _checked(self.amount, None))

    @classmethod
    def parse(cls, text: str, *, field: str | None = None) -> Money:
        """Parse the wire form (``"250.00"``, ``"250"``, ``"0.5"``); refuse anything else."""
        if not isinstance(text, str):
            return cls.of(text, field=field)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidMoney(
                f"{text!r} is not a decimal amount", rule="money.malformed", field=field
            ) from None
        if not value.is_finite():
            raise InvalidMoney(
                "amount must be a finite number", rule="money.not_finite", field=field
            )
        if text.startswith("-"):
            raise InvalidMoney("amount cannot be negative", rule="money.negative", field=field)
        if not _PLAIN.fullmatch(text):
            raise InvalidMoney(
                f"{text!r} is not a plain decimal amount such as 250.00",
                rule="money.malformed",
                field=field,
            )
        return cls(_checked(value, field))

    @classmethod
    def of(cls, value: str | Decimal | int, *, field: str | None = None) -> Money:
        """Money from a wire string, a Decimal or whole dollars; floats are refused."""
        if isinstance(value, str):
            return cls.parse(value, field=field)
        return cls(_checked(value, field))

    @classmethod
    def total(cls, amounts: Iterable[Money]) -> Money:
        return sum(amounts, ZERO)

    @property
    def is_zero(self) -> bool:
        return not self.amount

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        """Difference; a negative result raises InvalidMoney (money is never below zero)."""
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount - other.amount)

    def __mul__(self, times: int) -> Money:
        if isinstance(times, bool) or not isinstance(times, int):
            return NotImplemented
        return Money(self.amount * times)

    __rmul__ = __mul__

    def __str__(self) -> str:
        return str(self.amount)


ZERO = Money(Decimal("0.00"))
