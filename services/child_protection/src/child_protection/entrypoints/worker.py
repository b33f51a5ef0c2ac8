"""`python -m child_protection.entrypoints.worker`: the outbox relay and the consumers."""

from __future__ import annotations

from child_protection.bootstrap import subscriptions
from child_protection.config import definition
from puebla.worker import main

if __name__ == "__main__":
    main(definition(), subscriptions)
