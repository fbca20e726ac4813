"""Options shared by the clerk's commands (`sync`, `review`, `audit`, `status`), and the
pair they name (`pairs_of`; `one_pair` for the commands that act on exactly one). Light on
purpose: importing it loads typer only, so `--help` stays quick."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ml_connector.errors import ConfigError

if TYPE_CHECKING:
    from ml_connector.app.runtime import Runtime

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (default: see `ml-connector init`)."),
]
PairOpt = Annotated[str | None, typer.Option("--pair", help="Only this pair.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def pairs_of(rt: Runtime, only: str | None) -> list[str]:
    """Every pair of the config, or only the one named (a `ConfigError` if none has it)."""
    names = list(rt.config.pairs)
    return names if only is None else [one_pair(names, only)]


def one_pair(names: list[str], only: str | None) -> str:
    """The pair named, or the config's only pair when none is named (a `ConfigError` when
    none has the name, or when there are several and none is named)."""
    if only is None:
        if len(names) != 1:
            raise ConfigError(
                f"the config has {len(names)} pairs; say which one with --pair ({', '.join(names)})"
            )
        return names[0]
    if only not in names:
        raise ConfigError(f"no pair named {only!r} in the config (pairs: {', '.join(names)})")
    return only
