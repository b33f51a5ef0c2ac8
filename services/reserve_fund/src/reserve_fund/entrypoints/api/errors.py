"""Domain refusals → RFC 9457 problems: `invalid` 422 (with field and rule), `conflict` 409,
`forbidden` 403. Every problem carries the domain's `rule` slug so clients can match on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from puebla.http.errors import problem_response
from puebla.problems import Problem, refusal
from reserve_fund.domain.errors import BudgetExhausted, FundError


def to_problem(error: FundError) -> Problem:
    problem = refusal(error.kind, rule=error.rule, message=error.message, field=error.field)
    if isinstance(error, BudgetExhausted):
        problem.extra.update(
            year=error.year, available=str(error.available), requested=str(error.requested)
        )
    return problem


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turns a domain refusal raised inside the block into its problem."""
    try:
        yield
    except FundError as error:
        raise to_problem(error) from error


def install(app: FastAPI) -> None:
    """A fallback for refusals raised outside `domain_errors()`."""

    async def on_fund_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FundError)
        return problem_response(to_problem(exc), request)

    app.add_exception_handler(FundError, on_fund_error)
