from __future__ import annotations

import uuid
from datetime import date

import pytest

from repatriation.domain.errors import ProtectionScreenNotAnswered, VulnerabilityNotAnswered
from repatriation.domain.events import ReturneeSummary
from repatriation.domain.returnee import Returnee, ReturneeData, Sex, Vulnerabilities


class TestIsChild:
    def test_is_a_child_the_day_before_the_18th_birthday(self, build):
        returnee = build.returnee(date_of_birth=date(2008, 12, 1))

        assert returnee.is_child(date(2026, 11, 30)) is True

    def test_is_an_adult_on_the_18th_birthday(self, build):
        returnee = build.returnee(date_of_birth=date(2008, 12, 1))

        assert returnee.is_child(date(2026, 12, 1)) is False

    def test_born_on_29_february_comes_of_age_on_1_march_in_a_common_year(self, build):
        returnee = build.returnee(date_of_birth=date(2008, 2, 29))

        assert returnee.is_child(date(2026, 2, 28)) is True
        assert returnee.is_child(date(2026, 3, 1)) is False

    def test_disputed_age_is_treated_as_a_child_whatever_the_date_of_birth(self, build):
        returnee = build.returnee(date_of_birth=date(1990, 5, 17), age_disputed=True)

        assert returnee.is_child(date(2026, 12, 1)) is True


class TestAged60OrOver:
    def test_not_the_day_before_the_60th_birthday(self, build):
        returnee = build.returnee(date_of_birth=date(1966, 12, 1))

        assert returnee.aged_60_or_over(date(2026, 11, 30)) is False

    def test_on_the_60th_birthday(self, build):
        returnee = build.returnee(date_of_birth=date(1966, 12, 1))

        assert returnee.aged_60_or_over(date(2026, 12, 1)) is True


class TestVulnerable:
    def test_adult_under_60_without_flags_is_not_vulnerable(self, build):
        returnee = build.returnee(date_of_birth=date(1990, 5, 17))

        assert returnee.vulnerable(date(2026, 12, 1)) is False

    @pytest.mark.parametrize(
        "flag", ["pregnant", "disability", "illness_or_injury", "trafficking_indicator"]
    )
    def test_each_flag_makes_a_person_vulnerable(self, build, flag):
        returnee = build.returnee(vulnerabilities=build.flags(**{flag: True}))

        assert returnee.vulnerable(date(2026, 12, 1)) is True

    def test_turning_60_makes_a_person_vulnerable(self, build):
        returnee = build.returnee(date_of_birth=date(1966, 12, 1))

        assert returnee.vulnerable(date(2026, 11, 30)) is False
        assert returnee.vulnerable(date(2026, 12, 1)) is True


class TestVulnerabilityFlags:
    def test_flags_have_no_default(self):
        with pytest.raises(TypeError):
            Vulnerabilities(pregnant=False)  # type: ignore[call-arg]

    def test_an_unanswered_flag_is_refused_not_read_as_false(self):
        with pytest.raises(VulnerabilityNotAnswered) as caught:
            Vulnerabilities(
                pregnant=None,  # type: ignore[arg-type]
                disability=False,
                illness_or_injury=False,
                trafficking_indicator=False,
            )

        assert caught.value.field == "vulnerabilities.pregnant"
        assert caught.value.rule == "vulnerability_flag_required"
        assert caught.value.kind == "invalid"

    def test_returnee_without_vulnerabilities_is_refused(self, build):
        with pytest.raises(VulnerabilityNotAnswered):
            build.returnee(vulnerabilities=None)


class TestProtectionNeedAnswer:
    def test_protection_need_has_no_default(self, build):
        with pytest.raises(TypeError):
            ReturneeData(  # type: ignore[call-arg]
                given_names="Ana",
                surnames="López",
                sex=Sex.F,
                date_of_birth=date(1990, 5, 17),
                nationality="GT",
                place_of_origin="Quetzaltenango",
                vulnerabilities=build.flags(),
            )

    def test_an_unanswered_protection_need_is_refused(self, build):
        with pytest.raises(ProtectionScreenNotAnswered) as caught:
            build.returnee(protection_need=None)

        assert caught.value.rule == "protection_need_required"


class TestReturneeData:
    def test_from_data_keeps_every_declared_field_and_starts_pending(self, build):
        data = ReturneeData(
            given_names="Ana",
            surnames="López",
            sex=Sex.F,
            date_of_birth=date(1990, 5, 17),
            nationality="GT",
            place_of_origin="Quetzaltenango",
            vulnerabilities=build.flags(pregnant=True),
            protection_need=False,
            family_group="F1",
        )

        returnee = Returnee.from_data(uuid.UUID(int=7), data)

        assert returnee.id == uuid.UUID(int=7)
        assert (returnee.given_names, returnee.surnames) == ("Ana", "López")
        assert returnee.vulnerabilities.pregnant is True
        assert returnee.family_group == "F1"
        assert returnee.age_disputed is False
        assert returnee.nationality_status == "pending"
        assert returnee.handover is None

    def test_reprs_keep_personal_data_out_of_logs(self, build):
        returnee = build.returnee(given_names="Ana María", surnames="López Pérez")

        assert "Ana" not in repr(returnee)
        assert "López" not in repr(returnee)
        assert repr(returnee) == "Returnee(id=00000000-0000-0000-0000-000000000001)"

    def test_declared_data_and_event_summaries_keep_names_out_of_logs_too(self, build):
        data = ReturneeData(
            given_names="Ana",
            surnames="López",
            sex=Sex.F,
            date_of_birth=date(1990, 5, 17),
            nationality="GT",
            place_of_origin="Quetzaltenango",
            vulnerabilities=build.flags(),
            protection_need=False,
        )
        summary = ReturneeSummary.of(Returnee.from_data(uuid.UUID(int=7), data))

        assert repr(data) == "ReturneeData(…)"
        assert repr(summary) == "ReturneeSummary(id=00000000-0000-0000-0000-000000000007)"
