"""The HTML pages. Owner: issue 6 web pages."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
