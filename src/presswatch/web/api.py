"""The REST API under /api. Owner: issue 6 API."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
