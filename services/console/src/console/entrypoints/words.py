"""Every domain code the APIs answer, as words (English msgids; the catalogs translate them).

Pages never show `not_presented` or `pending`: they show `word("outcome", code)`. A code with
no words here is shown as itself, and a unit test fails for every code of the contracts that
has none. A part of the console with codes of its own adds its table here, under its kind.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for the catalogs; translated where it is shown."""
    return message


WORDS: dict[str, dict[str, str]] = {
    "role": {
        "immigration_officer": N_("Immigration officer"),
        "border_officer": N_("Border officer"),
        "consular_officer": N_("Consular officer"),
        "child_protection_officer": N_("Child-protection caseworker"),
        "child_protection_supervisor": N_("Child-protection supervisor"),
        "fund_officer": N_("Reserve Fund officer"),
        "fund_approver": N_("Reserve Fund approver"),
        "secretariat": N_("RCM Secretariat"),
        "auditor": N_("Auditor"),
    },
    "manifest_status": {
        "draft": N_("Draft"),
        "submitted": N_("Submitted"),
        "dispatched": N_("Dispatched"),
        "arrived": N_("Arrived"),
        "closed": N_("Closed"),
        "cancelled": N_("Cancelled"),
    },
    "outcome": {
        "received": N_("Received"),
        "not_presented": N_("Not presented"),
        "refused": N_("Refused"),
        "arrived_not_listed": N_("Arrived, not on the manifest"),
    },
    "refusal_reason": {
        "not_a_national": N_("Not a national"),
        "identity_mismatch": N_("Identity does not match"),
        "not_on_manifest": N_("Not on the manifest"),
        "medically_unfit": N_("Medically unfit to travel"),
        "outside_window": N_("Outside the reception window"),
        "returned_to_station": N_("Returned to the migration station"),
        "other": N_("Other reason"),
    },
    "sex": {"F": N_("Female"), "M": N_("Male"), "X": N_("Other / not stated")},
    "nationality_status": {
        "pending": N_("Awaiting the consulate"),
        "confirmed": N_("Nationality confirmed"),
        "rejected": N_("Nationality rejected"),
    },
    "protection_kind": {
        "asylum": N_("Asylum claim"),
        "fear_of_return": N_("Fear of return"),
        "refugee": N_("Recognised refugee"),
        "trafficking": N_("Victim of trafficking"),
    },
    "protection_family": {
        "stay": N_("The family stays with them"),
        "leave_with": N_("The family travels on"),
    },
    "notification_status": {
        "pending": N_("Pending"),
        "acknowledged": N_("Acknowledged"),
        "overdue": N_("Overdue"),
        "suppressed": N_("Not sent (the person objected)"),
        "unroutable": N_("No consulate to send it to"),
        "withdrawn": N_("Withdrawn"),
    },
    "withdrawn_reason": {
        "protection": N_("A protection need was recorded"),
        "removed": N_("Removed from the manifest"),
        "cancelled": N_("The return was cancelled"),
    },
    "verification_status": {
        "pending": N_("Pending"),
        "confirmed": N_("Confirmed"),
        "rejected": N_("Rejected"),
        "withdrawn": N_("Withdrawn"),
    },
    "action_kind": {
        "access": N_("Consular access"),
        "interview": N_("Interview"),
        "visit": N_("Visit"),
    },
    "delivery_status": {
        "pending": N_("Waiting to be sent"),
        "sent": N_("Sent"),
        "failed": N_("Failed"),
        "cancelled": N_("Cancelled"),
    },
    "channel": {"in_app": N_("In the console"), "email": N_("E-mail")},
    "post_kind": {
        "consulate": N_("Consulate"),
        "embassy": N_("Embassy"),
        "concurrent_accreditation": N_("Concurrent accreditation"),
    },
}

# The rules of the APIs' refusals (`errors[].rule`, a 409's `rule`), as the sentence shown
# next to the field. Pydantic's own rule names come first; then the services' rules.
RULES: dict[str, str] = {
    "missing": N_("This field is required."),
    "required": N_("This field is required."),
    "blank_value": N_("This field cannot be blank."),
    "string_too_short": N_("This is too short."),
    "string_too_long": N_("This is too long."),
    "too_long": N_("This is too long."),
    "length": N_("This has the wrong length."),
    "string_pattern_mismatch": N_("This is not in the expected format."),
    "string_type": N_("This must be text."),
    "int_parsing": N_("This must be a whole number."),
    "int_type": N_("This must be a whole number."),
    "greater_than": N_("This number is too small."),
    "greater_than_equal": N_("This number is too small."),
    "less_than": N_("This number is too large."),
    "less_than_equal": N_("This number is too large."),
    "date_from_datetime_parsing": N_("This is not a valid date (dd/mm/yyyy)."),
    "date_parsing": N_("This is not a valid date (dd/mm/yyyy)."),
    "date_type": N_("This is not a valid date (dd/mm/yyyy)."),
    "datetime_parsing": N_("This is not a valid date and time."),
    "datetime_from_date_parsing": N_("This is not a valid date and time."),
    "timezone_aware": N_("The time needs its time zone."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "value_error": N_("This value is not accepted."),
    "extra_forbidden": N_("This field is not expected here."),
    "control_character": N_("This contains characters that cannot be stored."),
    "text_nul": N_("This contains characters that cannot be stored."),
    "country_code": N_("Choose a country."),
    "same_country": N_("The sending and receiving countries must differ."),
    "arrival_before_departure": N_("The arrival must come after the departure."),
    "arrival_in_past": N_("The arrival cannot be in the past."),
    "unknown_reception_point": N_("This reception point is not known."),
    "reception_point_not_in_service": N_("This reception point is not in service on that date."),
    "reception_point_not_in_receiving_country": N_(
        "This reception point is not in the receiving country."
    ),
    "seats_must_be_positive": N_("The bus needs at least one seat."),
    "plate_required": N_("The bus's plate is required."),
    "officer_required": N_("The escorting officer is required."),
    "nationality_required": N_("The nationality is required."),
    "duplicate_nationality": N_("This nationality is listed twice."),
    "date_of_birth_after_departure": N_("The date of birth is after the departure."),
    "departure_country": N_("The departure must be from the sending country."),
    "refusal_reason_required": N_("Choose the reason for the refusal."),
    "reason_only_for_refusal": N_("A reason is given only for a refusal."),
    "handover_at_another_post": N_("This bus is received at another border post."),
    "host_national": N_("A national of the host country is not notified to a consulate."),
    "host_country": N_("This is the host country."),
    "concurrent_change": N_("Someone else changed this meanwhile. Look again and retry."),
    "reused_with_different_request": N_(
        "This form was already sent with other values. Reload the page and try again."
    ),
    "duplicate_item": N_("This is listed twice."),
    "invalid_cursor": N_("This page of the list is no longer valid; start again."),
}
UNKNOWN_RULE = N_("This value was not accepted (rule: %(rule)s).")


def add_words(kind: str, table: dict[str, str]) -> None:
    """A part of the console with codes of its own registers their words (marked with `N_`
    in its own module, so they land in its own catalog) when it is imported."""
    WORDS.setdefault(kind, {}).update(table)


def add_rules(table: dict[str, str]) -> None:
    """The sentences for the rules a part of the console's API refuses with."""
    RULES.update(table)
