"""Dispatches a command to its handler with a fresh unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from puebla.auth.principal import Principal
from reserve_fund.service_layer.handlers import HANDLERS
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork


class MessageBus:
    def __init__(self, uow_factory: Callable[[], FundUnitOfWork]) -> None:
        self.uow_factory = uow_factory

    async def handle(self, command: Any, caller: Principal) -> Any:
        handler = HANDLERS[type(command)]
        return await handler(command, self.uow_factory(), caller)
