"""The border pages (built next; see templates/border/)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
