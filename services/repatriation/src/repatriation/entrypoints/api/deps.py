"""The dependencies of the repatriation routes: the service object, typed, and the role a
route needs before anything else of the request is read (403 before the body)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from puebla.auth.principal import IMMIGRATION_OFFICER, Principal
from puebla.http.deps import holding, service
from repatriation.bootstrap import Repatriation

Svc = Annotated[Repatriation, Depends(service)]

ImmigrationOfficer = Annotated[
    Principal,
    Depends(holding(IMMIGRATION_OFFICER, message="Only an immigration officer creates manifests.")),
]
