"""`ml-connector sandbox servicetitan`: serve the ServiceTitan sandbox."""

from __future__ import annotations

import typer


def register(sandbox_app: typer.Typer) -> None:
    """Add the `servicetitan` command to the sandbox group (not yet implemented)."""
    del sandbox_app
