"""The manifests pages (built next; see templates/manifests/)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
