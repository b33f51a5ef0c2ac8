from decimal import Decimal

import pytest

from reserve_fund.domain.errors import InvalidMoney
from reserve_fund.domain.money import Money


class TestParse:
    @pytest.mark.parametrize(
        ("text", "wire"),
        [
            ("250.00", "250.00"),
            ("250", "250.00"),
            ("0.5", "0.50"),
            ("0", "0.00"),
            ("1000.01", "1000.01"),
        ],
    )
    def test_reads_plain_decimal_strings_to_two_places(self, text, wire):
        assert str(Money.parse(text)) == wire

    @pytest.mark.parametrize(
        ("text", "rule"),
        [
            ("NaN", "money.not_finite"),
            ("Infinity", "money.not_finite"),
            ("-1.00", "money.negative"),
            ("-0.00", "money.negative"),
            ("1.001", "money.too_many_decimals"),
            ("1.000", "money.too_many_decimals"),
            ("1e3", "money.malformed"),
            (" 1.00", "money.malformed"),
            ("1_000.00", "money.malformed"),
            ("+1.00", "money.malformed"),
            ("", "money.malformed"),
            ("ten", "money.malformed"),
            ("1e999999", "money.malformed"),
            ("10000000000.00", "money.too_large"),
        ],
    )
    def test_refuses_anything_else_with_its_rule(self, text, rule):
        with pytest.raises(InvalidMoney) as refused:
            Money.parse(text, field="items[0].amount")
        assert refused.value.rule == rule
        assert refused.value.field == "items[0].amount"
        assert refused.value.kind == "invalid"


class TestNoFloat:
    def test_refuses_a_float_in_the_constructor(self):
        with pytest.raises(InvalidMoney) as refused:
            Money(0.1)  # type: ignore[arg-type]
        assert refused.value.rule == "money.float_not_allowed"

    def test_refuses_a_float_through_of(self):
        with pytest.raises(InvalidMoney) as refused:
            Money.of(250.0)  # type: ignore[arg-type]
        assert refused.value.rule == "money.float_not_allowed"

    def test_refuses_multiplying_by_a_float(self):
        with pytest.raises(TypeError):
            Money.parse("0.10") * 3.0  # type: ignore[operator]

    def test_accepts_decimal_and_whole_dollars(self):
        assert Money.of(Decimal("0.1")) == Money.parse("0.10")
        assert str(Money.of(7)) == "7.00"


class TestArithmetic:
    def test_ten_cents_three_times_is_exactly_thirty_cents(self):
        assert Money.parse("0.10") * 3 == Money.parse("0.30")
        assert str(Money.parse("0.10") * 3) == "0.30"

    def test_adding_ten_cents_three_times_is_exactly_thirty_cents(self):
        ten = Money.parse("0.10")
        assert str(ten + ten + ten) == "0.30"
        assert str(Money.total([ten, ten, ten])) == "0.30"

    def test_subtraction_below_zero_is_refused(self):
        with pytest.raises(InvalidMoney) as refused:
            Money.parse("1.00") - Money.parse("1.01")
        assert refused.value.rule == "money.negative"

    def test_zero_has_no_sign(self):
        assert str(Money(Decimal("-0"))) == "0.00"

    def test_amounts_compare_by_value(self):
        assert Money.parse("1000.00") < Money.parse("1000.01")
        assert Money.parse("500") == Money.parse("500.00")
