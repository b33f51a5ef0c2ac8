"""Who may do what to a consular record, decided from the verified token alone.

The aggregates say what a viewer may see (`Notification.is_visible_to`,
`NationalityVerification.is_visible_to`); here those answers become refusals in POLICY's order:
a record the caller may not know of is `NotVisible` (404, the same answer as for no record at
all), then a visible record the caller may not act on is `NotAllowed` (403) — both before the
record's state (409) and the request's input (422) are looked at.
"""

from __future__ import annotations

from consular.domain.model import NationalityVerification, Notification
from consular.domain.values import Actor
from puebla.auth.principal import Principal
from puebla.refusals import ensure_allowed, ensure_visible

THE_NOTIFICATION = "The notification"
THE_VERIFICATION = "The verification request"

CONSUL_OF_NATIONALITY_ONLY = "consul_of_nationality_only"


def actor_of(principal: Principal) -> Actor:
    """The verified caller as the domain's `Actor` (username, realm roles, country)."""
    return Actor(principal.username, principal.roles, principal.country)


def visible_notification(found: Notification | None, viewer: Actor) -> Notification:
    ensure_visible(found is not None and found.is_visible_to(viewer), THE_NOTIFICATION)
    assert found is not None
    return found


def consul_may_act(found: Notification | None, actor: Actor) -> Notification:
    """Acknowledging a notice and recording consular actions on it: a consular officer of the
    person's nationality, on a notice sent to the consulate."""
    n = visible_notification(found, actor)
    ensure_allowed(
        actor.is_consul_of(n.nationality),
        "Only a consular officer of the person's nationality acts on this notification.",
        rule=CONSUL_OF_NATIONALITY_ONLY,
    )
    return n


def visible_verification(
    found: NationalityVerification | None, viewer: Actor
) -> NationalityVerification:
    ensure_visible(found is not None and found.is_visible_to(viewer), THE_VERIFICATION)
    assert found is not None
    return found


def consul_may_decide(
    found: NationalityVerification | None, actor: Actor
) -> NationalityVerification:
    """A nationality is confirmed or rejected by a consular officer of that nationality."""
    v = visible_verification(found, actor)
    ensure_allowed(
        v.may_decide(actor),
        "Only a consular officer of the claimed nationality decides.",
        rule=CONSUL_OF_NATIONALITY_ONLY,
    )
    return v
