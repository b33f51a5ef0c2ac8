"""TRANSITIONAL (issue 17): what repatriation, reserve_fund and child_protection use until they
move onto `puebla.refusals` (consular already has); goes with the last of them.

The answers of POLICY.md's order, for a decision a service has made: a record the caller
may not see is a 404 (its existence does not leak), an action the caller may not take on a
record it does see is a 403. Who sees what is each service's own rule (its domain's
`is_visible_to` or its `service_layer/access.py`)."""

from __future__ import annotations

from puebla.problems import forbidden, not_found


def ensure_visible(condition: bool, what: str = "The resource") -> None:
    """404 unless `condition`: used for 'may the caller know this record exists'."""
    if not condition:
        raise not_found(what)


def ensure_allowed(condition: bool, detail: str) -> None:
    """403 unless `condition`: only after `ensure_visible`, for actions on a visible record."""
    if not condition:
        raise forbidden(detail)
