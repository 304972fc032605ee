"""Topic feeds, API tokens and alerts from the command line. Owner: issue 6 publishing."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
