"""Who sees a case (POLICY.md "Unaccompanied-child cases" and the protection exception)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from child_protection.domain import Acting, Actor, MeasureKind
from child_protection.domain import errors as e


class TestVisibility:
    @pytest.mark.parametrize("who", ["dif", "supervisor", "dinaf", "dinaf_supervisor", "consul"])
    def test_host_and_nationality_see_the_summary(self, build, who):
        assert build.open().is_visible_to(getattr(build, who)) is True

    @pytest.mark.parametrize("who", ["sbs", "inm"])
    def test_others_do_not_see_it(self, build, who):
        assert build.open().is_visible_to(getattr(build, who)) is False

    def test_consul_of_another_country_does_not_see_it(self, build):
        consul_gt = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")

        assert build.open().is_visible_to(consul_gt) is False

    def test_actor_without_country_sees_nothing(self, build):
        iom = Actor("iom.officer", frozenset({"child_protection_officer"}), None)

        assert build.open().is_visible_to(iom) is False

    @pytest.mark.parametrize("who", ["dinaf", "dinaf_supervisor", "consul"])
    def test_nationality_sees_nothing_while_blocked(self, build, who):
        case = build.open(protection_need=True)

        assert case.is_visible_to(getattr(build, who)) is False

    @pytest.mark.parametrize("who", ["dif", "supervisor"])
    def test_host_still_sees_a_blocked_case(self, build, who):
        assert build.open(protection_need=True).is_visible_to(getattr(build, who)) is True


class TestSensitiveAccess:
    @pytest.mark.parametrize("who", ["dif", "supervisor", "dinaf", "dinaf_supervisor"])
    def test_child_protection_of_both_countries_reads_sensitive(self, build, who):
        assert build.open().may_read_sensitive(getattr(build, who)) is True

    def test_consul_never_reads_sensitive(self, build):
        assert build.open().may_read_sensitive(build.consul) is False

    def test_nationality_reads_no_sensitive_while_blocked(self, build):
        assert build.open(trafficking_indicator=True).may_read_sensitive(build.dinaf) is False


class TestAuditAccess:
    def test_only_the_host_supervisor_reads_the_audit_trail(self, build):
        case = build.open()

        assert case.may_read_audit(build.supervisor) is True
        assert case.may_read_audit(build.dif) is False
        assert case.may_read_audit(build.dinaf_supervisor) is False


class TestCaseNotVisible:
    def test_nationality_officer_writing_on_a_blocked_case_gets_not_found(self, build):
        case = build.open(protection_need=True)

        with pytest.raises(e.CaseNotVisible) as raised:
            build.write_origin(case)

        assert raised.value.kind == "not_found"
        assert case.sensitive.origin_assessment is None

    def test_officer_of_a_third_country_gets_not_found_not_forbidden(self, build):
        case = build.open()

        with pytest.raises(e.CaseNotVisible):
            case.record_protection_measure(
                build.sbs,
                kind=MeasureKind.SHELTER,
                description="x",
                taken_at=datetime(2026, 12, 1, 16, tzinfo=UTC),
            )

    def test_consul_who_sees_the_case_gets_forbidden_when_writing(self, build):
        case = build.open()

        with pytest.raises(e.OnlyHostOfficer) as raised:
            build.write_bia(case, actor=build.consul)

        assert raised.value.kind == "forbidden"


class TestMayAct:
    """`check_may_act`: 404 before 403, on plain attributes (what the API decides first)."""

    ALLOWED = {
        Acting.HOST_OFFICER: {"dif"},
        Acting.NATIONALITY_OFFICER: {"dinaf"},
        Acting.HOST_SUPERVISOR: {"supervisor"},
        Acting.CLOSING_AUTHORITY: {"dif", "supervisor"},
    }
    EVERYONE = ("dif", "supervisor", "dinaf", "dinaf_supervisor", "consul", "sbs", "inm")

    @pytest.mark.parametrize("acting", list(Acting))
    def test_each_act_on_an_open_case(self, build, acting):
        case = build.open()
        for who in self.EVERYONE:
            actor = getattr(build, who)
            if who in self.ALLOWED[acting]:
                case.check_may_act(actor, acting)
            elif who in ("sbs", "inm"):
                with pytest.raises(e.CaseNotVisible):
                    case.check_may_act(actor, acting)
            else:
                with pytest.raises(e.ActionForbidden):
                    case.check_may_act(actor, acting)

    @pytest.mark.parametrize("acting", list(Acting))
    def test_the_nationality_is_not_found_on_a_blocked_case(self, build, acting):
        case = build.open(trafficking_indicator=True)
        for who in ("dinaf", "dinaf_supervisor", "consul"):
            with pytest.raises(e.CaseNotVisible):
                case.check_may_act(getattr(build, who), acting)

    def test_after_the_return_the_nationality_closes(self, build):
        case = build.handed_over()

        case.check_may_act(build.dinaf, Acting.CLOSING_AUTHORITY)
        with pytest.raises(e.OnlyClosingAuthorityCloses):
            case.check_may_act(build.dif, Acting.CLOSING_AUTHORITY)
