"""`presswatch serve`: the web app and API. Owner: issue 6 web pages."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
