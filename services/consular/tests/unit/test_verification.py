from datetime import UTC, date, datetime
from typing import Any

import pytest

from consular.domain.commands import RequestVerification
from consular.domain.errors import (
    DisclosureForbidden,
    InvalidInput,
    NotConsulOfNationality,
    ReasonRequired,
    VerificationAlreadyDecided,
)
from consular.domain.events import NationalityConfirmed, NationalityRejected, VerificationRequested
from consular.domain.model import NationalityVerification
from consular.domain.states import Decision, VerificationStatus
from consular.domain.triggers import request_verification
from consular.domain.values import Actor, Person, Related, Sex

CONSUL_GT = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
CONSUL_HN = Actor("consul.hn.tapachula", frozenset({"consular_officer"}), "HN")
INM_MX = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")
REQUESTED_AT = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
DECIDED_AT = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
RETURNEE = Related("repatriation", "m-1", "r-9")


def _request(new_id, **overrides):
    fields: dict[str, Any] = {
        "person": Person("María José", "Ajú Tzul", Sex.F, date(1998, 11, 23)),
        "claimed_nationality": "GT",
        "host_country": "MX",
        "related": RETURNEE,
        "requested_at": REQUESTED_AT,
    }
    fields.update(overrides)
    return request_verification(RequestVerification(**fields), new_id())


def _pending(new_id):
    verification = _request(new_id)
    verification.events.clear()
    return verification


class TestRequestVerification:
    def test_a_request_is_pending_for_the_claimed_nationality(self, new_id):
        verification = _request(new_id)
        assert verification.status is VerificationStatus.PENDING
        assert verification.source_key == "repatriation:m-1:r-9"
        assert verification.events == [
            VerificationRequested(
                verification_id=verification.id,
                claimed_nationality="GT",
                host_country="MX",
                related=RETURNEE,
                requested_at=REQUESTED_AT,
                version=1,
            )
        ]

    def test_only_the_claimed_nationality_and_the_host_see_it(self, new_id):
        verification = _request(new_id)
        assert verification.is_visible_to(CONSUL_GT)
        assert verification.is_visible_to(INM_MX)
        assert not verification.is_visible_to(CONSUL_HN)

    def test_nobody_is_asked_about_a_person_with_a_protection_need(self, new_id):
        with pytest.raises(DisclosureForbidden) as refused:
            _request(new_id, protection_need=True)
        assert refused.value.kind == "conflict"

    def test_the_host_does_not_ask_about_its_own_nationals(self, new_id):
        with pytest.raises(InvalidInput) as refused:
            _request(new_id, claimed_nationality="MX")
        assert (refused.value.rule, refused.value.field) == ("host_national", "claimed_nationality")

    def test_a_child_case_request_has_its_own_key(self):
        assert NationalityVerification.key_for(Related("child_protection", "case-7")) == (
            "child_protection:case-7:-"
        )


class TestDecideVerification:
    def test_the_consul_of_the_claimed_nationality_confirms(self, new_id):
        verification = _pending(new_id)
        verification.decide(CONSUL_GT, Decision.CONFIRMED, None, DECIDED_AT)
        assert verification.status is VerificationStatus.CONFIRMED
        assert (verification.decided_by, verification.decided_at) == (
            "consul.gt.tapachula",
            DECIDED_AT,
        )
        assert verification.events == [
            NationalityConfirmed(
                verification_id=verification.id,
                related=RETURNEE,
                claimed_nationality="GT",
                decided_by="consul.gt.tapachula",
                decided_at=DECIDED_AT,
                reason=None,
                version=2,
            )
        ]

    def test_a_rejection_carries_its_reason(self, new_id):
        verification = _pending(new_id)
        verification.decide(CONSUL_GT, Decision.REJECTED, "Registro RENAP no coincide", DECIDED_AT)
        assert verification.status is VerificationStatus.REJECTED
        (rejected,) = verification.events
        assert isinstance(rejected, NationalityRejected)
        assert rejected.reason == "Registro RENAP no coincide"

    @pytest.mark.parametrize("reason", [None, "", "   "])
    def test_a_rejection_without_reason_is_refused(self, new_id, reason):
        verification = _pending(new_id)
        with pytest.raises(ReasonRequired) as refused:
            verification.decide(CONSUL_GT, Decision.REJECTED, reason, DECIDED_AT)
        assert (refused.value.kind, refused.value.field) == ("invalid", "reason")
        assert verification.status is VerificationStatus.PENDING

    def test_the_same_decision_again_is_a_no_op(self, new_id):
        verification = _pending(new_id)
        verification.decide(CONSUL_GT, Decision.CONFIRMED, None, DECIDED_AT)
        verification.decide(
            CONSUL_GT, Decision.CONFIRMED, "again", datetime(2026, 3, 12, tzinfo=UTC)
        )
        assert verification.decided_at == DECIDED_AT
        assert verification.reason is None
        assert verification.version == 2
        assert len(verification.events) == 1

    def test_a_different_decision_after_one_is_a_conflict(self, new_id):
        verification = _pending(new_id)
        verification.decide(CONSUL_GT, Decision.CONFIRMED, None, DECIDED_AT)
        with pytest.raises(VerificationAlreadyDecided) as refused:
            verification.decide(CONSUL_GT, Decision.REJECTED, "error", DECIDED_AT)
        assert refused.value.kind == "conflict"
        assert refused.value.rule == "verification_already_decided"
        assert verification.status is VerificationStatus.CONFIRMED

    @pytest.mark.parametrize("actor", [CONSUL_HN, INM_MX])
    def test_only_a_consul_of_the_claimed_nationality_decides(self, new_id, actor):
        verification = _pending(new_id)
        with pytest.raises(NotConsulOfNationality) as refused:
            verification.decide(actor, Decision.CONFIRMED, None, DECIDED_AT)
        assert refused.value.kind == "forbidden"
        assert verification.status is VerificationStatus.PENDING
        assert verification.events == []
