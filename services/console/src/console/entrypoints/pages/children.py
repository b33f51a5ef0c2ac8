"""The children pages (issue 15; see templates/children/)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
