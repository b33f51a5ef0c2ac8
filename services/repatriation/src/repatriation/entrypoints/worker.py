"""`python -m repatriation.entrypoints.worker`: the outbox relay and the consumers."""

from __future__ import annotations

from puebla.worker import main
from repatriation.bootstrap import subscriptions
from repatriation.config import definition

if __name__ == "__main__":
    main(definition(), subscriptions)
