"""`python -m consular.entrypoints.worker`: the outbox relay and the consumers."""

from __future__ import annotations

from puebla.worker import main

from consular.bootstrap import subscriptions
from consular.config import definition

if __name__ == "__main__":
    main(definition(), subscriptions)
