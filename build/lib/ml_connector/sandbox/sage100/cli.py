"""`ml-connector sandbox sage100 ...`: create, seed and drive the Sage 100 sandbox."""

from __future__ import annotations

import typer


def register(sandbox_app: typer.Typer) -> None:
    """Add the `sage100` group to the sandbox group (not yet implemented)."""
    del sandbox_app
