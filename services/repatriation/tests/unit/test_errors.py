"""The kind and rule of each error are part of the contract the API layer maps to HTTP."""

from __future__ import annotations

import uuid

import pytest

from repatriation.domain import errors


class TestErrorKinds:
    @pytest.mark.parametrize(
        ("error", "kind", "rule"),
        [
            (errors.ReturneeHasProtectionNeed(), "invalid", "protection_need"),
            (errors.ReturneeIsUnaccompaniedMinor(), "invalid", "unaccompanied_minor"),
            (errors.ChildHasTraffickingIndicator(), "invalid", "child_trafficking_indicator"),
            (errors.VulnerabilityNotAnswered(), "invalid", "vulnerability_flag_required"),
            (errors.ProtectionScreenNotAnswered(), "invalid", "protection_need_required"),
            (
                errors.NationalityIsNotReceivingCountry(),
                "invalid",
                "nationality_not_receiving_country",
            ),
            (errors.SameCountry(), "invalid", "same_country"),
            (
                errors.AgreementNotInForce("GT", "2026-12-01", field="receiving_country"),
                "invalid",
                "agreement_not_in_force",
            ),
            (errors.OutsideReceptionWindow("x"), "invalid", "outside_reception_window"),
            (errors.AdvanceNoticeTooShort("x"), "invalid", "advance_notice_too_short"),
            (errors.FamilyWouldBeSeparated(), "invalid", "family_separation_needs_reason"),
            (errors.RemovalReasonRequired(), "invalid", "removal_reason_required"),
            (errors.CancellationReasonRequired(), "invalid", "cancellation_reason_required"),
            (
                errors.InvalidTransition("submit", "closed", ["draft"]),
                "conflict",
                "invalid_transition",
            ),
            (errors.EmptyManifest("submit"), "conflict", "empty_manifest"),
            (errors.ChildWouldBeLeftUnaccompanied(), "conflict", "child_would_be_unaccompanied"),
            (errors.NationalityNotConfirmed([]), "conflict", "nationality_not_confirmed"),
            (errors.RejectedReturneeOnManifest([]), "conflict", "nationality_rejected"),
            (errors.NotEnoughSeats(2, 3), "conflict", "not_enough_seats"),
            (errors.HandoverAlreadyRecorded(), "conflict", "handover_already_recorded"),
            (errors.NationalityAlreadyDecided(), "conflict", "nationality_already_decided"),
            (errors.DuplicateReturnee(), "conflict", "duplicate_returnee"),
            (errors.ReturneeNotFound(uuid.UUID(int=1)), "not_found", "returnee_not_found"),
        ],
    )
    def test_kind_and_rule(self, error, kind, rule):
        assert isinstance(error, errors.ManifestError)
        assert error.kind == kind
        assert error.rule == rule
        assert str(error) == error.message

    def test_invalid_transition_says_what_is_allowed(self):
        error = errors.InvalidTransition("dispatch", "draft", ["submitted"])

        assert (
            error.message == "Cannot dispatch a manifest that is draft: only when it is submitted."
        )
