"""What the person at the terminal asked to see: the `-v` / `--verbose` switch.

Kept apart from `app.logging` (structlog, pydantic) so that the command line can set it
without importing the logging stack. `open_cli_runtime` reads it: by default the terminal
gets warnings and errors only, verbose brings the INFO records back; the log file keeps the
config's level either way.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

_verbose: ContextVar[bool] = ContextVar("ml_connector_console_verbose", default=False)


def set_console_verbose(on: bool) -> Callable[[], None]:
    """Switch verbose on or off for this context; returns the function that undoes it."""
    token = _verbose.set(on)
    return lambda: _verbose.reset(token)


def console_verbose() -> bool:
    return _verbose.get()
