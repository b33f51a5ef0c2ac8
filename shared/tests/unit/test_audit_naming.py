"""One audit-naming rule for every service: `<aggregate type>.<event in snake case>`, without
a leading repeat of the aggregate's word."""

from __future__ import annotations

import pytest

from puebla.db.unit_of_work import audit_action


class ReturneeAdded: ...


class ManifestSubmitted: ...


class CaseOpened: ...


class ApplicationApproved: ...


class DeliveryFailed: ...


class Manifest: ...


@pytest.mark.parametrize(
    ("aggregate", "event", "action"),
    [
        ("manifest", ReturneeAdded(), "manifest.returnee_added"),
        ("manifest", ManifestSubmitted(), "manifest.submitted"),
        ("child_case", CaseOpened(), "child_case.opened"),
        ("application", ApplicationApproved(), "application.approved"),
        ("notification", DeliveryFailed(), "notification.delivery_failed"),
        ("manifest", Manifest(), "manifest.manifest"),
    ],
)
def test_the_action_of_an_event(aggregate: str, event: object, action: str) -> None:
    assert audit_action(aggregate, event) == action
