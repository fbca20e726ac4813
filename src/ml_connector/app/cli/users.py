"""`ml-connector users add|list|password|disable`: the web app's accounts.

Run on the server by whoever installs or administers the connector. A password is asked
twice without echo (or read from stdin with `--password-stdin`, for scripts), stored only
as a salted scrypt hash in the state database, and never printed. Every change is audited
with the name of the account that ran the command.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from ml_connector.app.runtime import Runtime, open_cli_runtime
from ml_connector.app.web.passwords import MIN_LENGTH, WeakPasswordError, hash_password
from ml_connector.errors import ConfigError
from ml_connector.store.browse import Role, User
from ml_connector.store.port import AuditEvent, PairId

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (default: see `ml-connector init`)."),
]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
]

users_app = typer.Typer(help="Accounts of the web app (clerks and admins).", no_args_is_help=True)


def _operator() -> str:
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"


def _ask_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(
            f"Password (at least {MIN_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    try:
        return hash_password(password)
    except WeakPasswordError as exc:
        raise ConfigError(str(exc), hint="choose a longer password") from None


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="The login name (case does not matter).")],
    role: Annotated[
        Role, typer.Option(help="clerk: works the review queue; admin: also saves GL rules.")
    ] = Role.CLERK,
    config: ConfigOpt = None,
    password_stdin: StdinOpt = False,
) -> None:
    """Create a web app account."""
    name = username.strip().lower()
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        raise ConfigError(f"{username!r} is not a usable user name (no spaces, 1-128 characters)")
    password_hash = _ask_password(password_stdin)
    with open_cli_runtime(config) as rt:
        now = rt.clock.now()
        with rt.store.browse() as browse:
            browse.add_user(
                User(
                    username=name,
                    password_hash=password_hash,
                    role=role,
                    created_at=now,
                    created_by=_operator(),
                    updated_at=now,
                )
            )
        _record(rt, "user_added", f"web app user {name!r} ({role}) added by {_operator()}")
    typer.echo(f"user {name} ({role}) added; they log in to the web app with this password")


@users_app.command("list")
def list_users(config: ConfigOpt = None) -> None:
    """The accounts, their roles and last logins."""
    with open_cli_runtime(config) as rt, rt.store.browse() as browse:
        found = browse.list_users()
    if not found:
        typer.echo("no users yet: `ml-connector users add NAME`")
    for u in found:
        last = u.last_login_at.isoformat() if u.last_login_at else "never"
        state = "" if u.active else " (disabled)"
        typer.echo(f"{u.username}\t{u.role}{state}\tlast login {last}")


@users_app.command("password")
def password(username: str, config: ConfigOpt = None, password_stdin: StdinOpt = False) -> None:
    """Set a new password for an account."""
    password_hash = _ask_password(password_stdin)
    with open_cli_runtime(config) as rt:
        with rt.store.browse() as browse:
            browse.update_user(username, rt.clock.now(), password_hash=password_hash)
        _record(rt, "user_password_set", f"password of {username!r} set by {_operator()}")
    typer.echo(f"password of {username.strip().lower()} changed")


@users_app.command("disable")
def disable(username: str, config: ConfigOpt = None) -> None:
    """Stop an account from logging in (its sessions end at their next request)."""
    with open_cli_runtime(config) as rt:
        with rt.store.browse() as browse:
            browse.update_user(username, rt.clock.now(), active=False)
        _record(rt, "user_disabled", f"web app user {username!r} disabled by {_operator()}")
    typer.echo(f"user {username.strip().lower()} disabled")


def _record(rt: Runtime, action: str, message: str) -> None:
    with rt.store.transaction() as tx:
        tx.append_audit(
            AuditEvent(
                at=rt.clock.now(),
                pair=PairId(""),
                action=action,
                actor=_operator(),
                message=message,
            )
        )


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
