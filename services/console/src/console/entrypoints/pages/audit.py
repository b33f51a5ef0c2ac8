"""The audit pages (issue 15; see templates/audit/)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
