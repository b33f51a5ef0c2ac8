"""What the consular routers take besides the caller: the service object, typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from consular.bootstrap import Consular
from puebla.http.deps import service

Svc = Annotated[Consular, Depends(service)]
