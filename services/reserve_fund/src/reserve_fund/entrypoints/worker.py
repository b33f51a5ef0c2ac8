"""`python -m reserve_fund.entrypoints.worker`: the outbox relay and the consumers."""

from __future__ import annotations

from puebla.worker import main
from reserve_fund.config import definition
from reserve_fund.entrypoints.consumers import subscriptions

if __name__ == "__main__":
    main(definition(), subscriptions)
