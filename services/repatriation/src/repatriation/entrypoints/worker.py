"""`python -m repatriation.entrypoints.worker`: the outbox relay and the consumers."""

from __future__ import annotations

from puebla.worker import main
from repatriation.config import definition
from repatriation.entrypoints.consumers import subscriptions

if __name__ == "__main__":
    main(definition(), subscriptions)
