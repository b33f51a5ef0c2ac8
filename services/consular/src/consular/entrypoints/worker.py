"""`python -m consular.entrypoints.worker`: the outbox relay and the consumers."""

from __future__ import annotations

from consular.bootstrap import subscriptions
from consular.config import definition
from puebla.worker import main

if __name__ == "__main__":
    main(definition(), subscriptions)
