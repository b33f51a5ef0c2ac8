"""The statistics pages (issue 15; see templates/statistics/)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
