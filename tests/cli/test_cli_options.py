"""The command line's own manners, for every command: `-c` wherever a config is taken, help
that shows each docstring and option help as written, `--version`, `-v` anywhere on the
line, and `--help` that does not load the product (checked by the modules a subprocess
imported, not by a timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from cli_world import World
from typer.testing import CliRunner

from ml_connector import __version__
from ml_connector.app.cli import main as cli
from ml_connector.app.cli.options import one_pair
from ml_connector.errors import ConfigError

# What `--help` must not import: the engine, the adapters, the store, the web stack.
HEAVY = (
    "ml_connector.sync",
    "ml_connector.store",
    "ml_connector.sage100",
    "ml_connector.servicetitan",
    "ml_connector.sandbox",
    "ml_connector.app.runtime",
    "sqlalchemy",
    "alembic",
    "httpx",
    "zeep",
    "pydantic",
    "structlog",
    "starlette",
    "uvicorn",
    "rapidfuzz",
    "rich",
)


def _commands() -> Iterator[tuple[list[str], Any]]:
    """(path, click command) for every command and group, the root first."""
    cli.register_all()

    def walk(cmd: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(cli.app), [])


def _words(text: str) -> str:
    """Whitespace collapsed."""
    return " ".join(text.split())


def _letters(text: str) -> str:
    """No whitespace at all: help text wrapped anywhere (inside a long word too) compares
    equal to the text as written."""
    return "".join(text.split())


def test_every_config_option_has_the_short_alias() -> None:
    taking = []
    for path, cmd in _commands():
        for param in cmd.params:
            if "--config" in param.opts:
                taking.append(" ".join(path))
                assert "-c" in param.opts, f"`{' '.join(path)} --config` has no -c"
    assert {"check", "sync", "review list", "audit", "run", "init", "secrets check"} <= set(taking)


def test_help_shows_every_docstring_and_option_help_as_written() -> None:
    runner = CliRunner()
    for path, cmd in _commands():
        result = runner.invoke(cli.app, [*path, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, (path, result.output)
        shown = _letters(result.output)
        assert "╭" not in result.output  # plain text, no rich panels
        if cmd.help:
            assert _letters(cmd.help) in shown, f"{path}: the docstring is not shown whole"
        for param in cmd.params:
            text = getattr(param, "help", None)
            if text:
                assert _letters(text) in shown, f"{path} {param.opts}: help {text!r} is lost"


def test_the_command_list_matches_the_commands_own_help() -> None:
    cli.register_all()
    root = typer.main.get_command(cli.app)
    for name, entry in cli.COMMANDS.items():
        real = root.commands[name]  # type: ignore[attr-defined]
        first = _words(real.help.split("\n\n")[0])
        assert entry.help == first, f"COMMANDS[{name!r}] says {entry.help!r}, the command {first!r}"


def _modules_after(*args: str) -> tuple[str, list[str]]:
    """Run the console entry point in a fresh interpreter; its output and sys.modules."""
    code = (
        "import io, json, sys\n"
        "from contextlib import redirect_stdout\n"
        f"sys.argv = ['ml-connector', *{list(args)!r}]\n"
        "out = io.StringIO()\n"
        "from ml_connector.app.cli.main import main\n"
        "with redirect_stdout(out):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps([out.getvalue(), sorted(sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    output, modules = json.loads(proc.stdout)
    return output, modules


@pytest.mark.parametrize("args", [["--help"], [], ["--version"], ["sync", "--help"]])
def test_help_and_version_do_not_load_the_product(args: list[str]) -> None:
    output, modules = _modules_after(*args)
    # A command's own help: typer validates its parameters with pydantic (typer's cost).
    heavy = [h for h in HEAVY if h != "pydantic"] if args[:1] == ["sync"] else HEAVY
    loaded = [m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy)]
    assert loaded == [], f"{args} imported {loaded[:10]}"
    if args == ["--help"]:
        for name in cli.COMMANDS:
            assert f"  {name} " in output  # every command listed, none imported


def test_version() -> None:
    output, _ = _modules_after("--version")
    assert output.strip() == f"ml-connector {__version__}"


def test_verbose_may_stand_anywhere_before_a_double_dash() -> None:
    assert cli.hoist_global_flags(["sync", "--once", "-v"]) == ["-v", "sync", "--once"]
    assert cli.hoist_global_flags(["--verbose", "audit"]) == ["--verbose", "audit"]
    assert cli.hoist_global_flags(["review", "list", "--", "-v"]) == [
        "review",
        "list",
        "--",
        "-v",
    ]


def test_info_logs_reach_the_terminal_only_with_verbose(world: World) -> None:
    quiet = world.sub("sync", "--once", "-c", str(world.config))
    assert quiet.returncode == 0, quiet.stderr
    assert "[info" not in quiet.stderr
    assert "sage_invoice_written" in world.log_text()  # the log file has them all
    loud = world.sub("sync", "--once", "-c", str(world.config), "-v")
    assert loud.returncode == 0, loud.stderr
    assert "servicetitan.token.issued" in loud.stderr


def test_a_command_for_one_pair_takes_the_named_or_the_only_one() -> None:
    assert one_pair(["main"], None) == "main"
    assert one_pair(["east", "west"], "west") == "west"
    with pytest.raises(ConfigError, match=r"2 pairs; say which one with --pair \(east, west\)"):
        one_pair(["east", "west"], None)
    with pytest.raises(ConfigError, match="no pair named 'north'"):
        one_pair(["east", "west"], "north")
