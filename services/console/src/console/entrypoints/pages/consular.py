"""The consular pages (built next; see templates/consular/)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
