"""`python -m child_protection.entrypoints.reseal`: after putting a new key first in
CHILD_PROTECTION_ENCRYPTION_KEYS (and restarting the API and worker), re-encrypt every case
still sealed with an older key; then the older keys may be removed from the setting."""

from __future__ import annotations

import asyncio

from child_protection.bootstrap import ChildProtection
from child_protection.config import definition
from child_protection.service_layer import handlers
from puebla.observability import configure_logging, get_logger
from puebla.runtime import Runtime

log = get_logger(__name__)

# Who the audit trail names for each case resealed.
ROTATION = "system"


async def run() -> int:
    runtime = await Runtime.start(definition(), with_nats=False)
    try:
        svc = ChildProtection(runtime)
        count = await handlers.reseal_sensitive_sections(svc.uow(actor=ROTATION))
        log.info(
            "child_protection.encryption.resealed",
            cases=count,
            key_id=svc.keyring.current_key_id,
        )
        return count
    finally:
        await runtime.close()


def main() -> None:
    service = definition()
    configure_logging(service.name, level=service.platform.log_level, json=False)
    asyncio.run(run())


if __name__ == "__main__":
    main()
