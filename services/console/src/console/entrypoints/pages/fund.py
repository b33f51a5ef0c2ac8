"""The fund pages (issue 15; see templates/fund/)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
