"""DOMAIN.md §4 as pure functions: what may be told to which consulate.

`suppression_reason` is the whole decision for one nationality; everything else in the domain
only records its answer. The order of the checks is the order of precedence, so that the
reason recorded is the strongest one (the reason is shown to the reporting side only).
"""

from __future__ import annotations

from enum import StrEnum


class NotificationKind(StrEnum):
    DETENTION = "detention"  # VCCR art. 36(1)(b)
    DEATH = "death"  # art. 37(a)
    MINOR_GUARDIANSHIP = "minor_guardianship"  # art. 37(b): a minor or incapable national
    ACCIDENT = "accident"  # art. 37(c): wreck or air accident
    REPATRIATION_NOTICE = "repatriation_notice"  # Memorandum: a submitted or amended manifest
    REPATRIATION_CANCELLATION = "repatriation_cancellation"  # the manifest was cancelled
    CHILD_CASE = "child_case"  # Guidelines: an unaccompanied child case was opened
    RESERVE_FUND_RETURN = "reserve_fund_return"  # IOM approved an assisted return (Reserve Fund)


# What a host authority reports over the API; the other kinds come from other services' events.
REPORTABLE_KINDS = frozenset(
    {
        NotificationKind.DETENTION,
        NotificationKind.DEATH,
        NotificationKind.MINOR_GUARDIANSHIP,
        NotificationKind.ACCIDENT,
    }
)


class SuppressionReason(StrEnum):
    PROTECTION_NEED = "protection_need"  # asylum, refugee status, fear of return
    HOST_NATIONAL = "host_national"  # the person holds the host state's nationality
    CONSULAR_CONTACT_BLOCKED = "consular_contact_blocked"  # child case blocked (trafficking...)
    NOT_REQUESTED = "not_requested"  # detention, not asked for, not mandatory


def suppression_reason(
    *,
    kind: NotificationKind,
    nationality: str,
    host_country: str,
    holds_host_nationality: bool,
    protection_need: bool,
    consular_contact_blocked: bool = False,
    person_requests_notification: bool | None = None,
    mandatory: bool = False,
) -> SuppressionReason | None:
    """Why the notification to `nationality` must not be sent, or `None` if it must be.

    - A protection need blocks every disclosure, whatever else holds (protection exception).
    - A host national is never notified about. A dual national who also holds the host
      nationality counts as a host national for every nationality (VCCR practice: the host
      treats its own national as its own; US CNA manual), so `holds_host_nationality`
      suppresses all of them; a dual national of two foreign states is assessed per nationality.
    - A child case stays unsent while a host supervisor has not allowed consular contact.
    - A detention is notified if the person asks or the host's table makes it mandatory; deaths,
      minors needing a guardian, accidents and the Memorandum's notices always are.
    """
    if protection_need:
        return SuppressionReason.PROTECTION_NEED
    if holds_host_nationality or nationality == host_country:
        return SuppressionReason.HOST_NATIONAL
    if kind is NotificationKind.CHILD_CASE and consular_contact_blocked:
        return SuppressionReason.CONSULAR_CONTACT_BLOCKED
    if kind is NotificationKind.DETENTION and not (person_requests_notification or mandatory):
        return SuppressionReason.NOT_REQUESTED
    return None
