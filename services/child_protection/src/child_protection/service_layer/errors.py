"""Refusals decided by the service layer (not by the aggregate), in the domain's error shape:
each has `kind`, `rule` and `field`, so the API maps them like every domain error."""

from __future__ import annotations

from child_protection.domain.errors import ActionForbidden, CaseNotVisible, InvalidCaseInput


class CaseNotFound(CaseNotVisible):
    """No such case. Deliberately answered exactly like a case the caller may not see."""


class UnknownReceptionPoint(InvalidCaseInput):
    default_rule = "unknown_reception_point"
    default_field = "reception_point"


# The sensitive sections' stated purpose travels in this request header, never in the URL
# (access logs hold URLs). RFC 6648: no `X-` prefix. Errors name it in lower case, as every
# header field of a 422 is named.
PURPOSE_HEADER = "Puebla-Purpose"


class PurposeRequired(InvalidCaseInput):
    default_rule = "purpose_required"
    default_field = PURPOSE_HEADER.lower()


class PurposeMissing(PurposeRequired):
    default_rule = "missing"


class PurposeNotUtf8(PurposeRequired):
    default_rule = "not_utf8"


class PurposeInQuery(InvalidCaseInput):
    """`?purpose=` as before: refused, so a client that still sends it learns where it goes."""

    default_rule = "purpose_not_in_query"
    default_field = "purpose"


class SensitiveReadForbidden(ActionForbidden):
    """Visible case, but the caller's role may not read the sensitive sections (consuls)."""

    default_rule = "sensitive_sections_child_protection_only"


class AuditReadForbidden(ActionForbidden):
    default_rule = "case_audit_host_supervisor_only"


class StepUpRequired(Exception):
    """The caller may read the sections but did not sign in strongly or recently enough: a
    second factor (`acr` at least `level`) within the last `max_age_s` seconds. Not a domain
    refusal: the API answers it with RFC 9470's 401 challenge, so the client signs in again."""

    rule = "second_factor_required"

    def __init__(self, message: str, *, level: int, max_age_s: int) -> None:
        self.message = message
        self.level = level
        self.max_age_s = max_age_s
        super().__init__(message)
