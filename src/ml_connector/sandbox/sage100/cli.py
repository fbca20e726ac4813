"""`ml-connector sandbox sage100 ...`: create, seed and drive the Sage 100 sandbox.

init ROOT [--company ABC] [--user sandbox --password sandbox] [--seed demo|none]
          [--data DIR] [--batches] [--account-format 9999-99-999] [--force]
post-register ROOT --company ABC [--batch 00001] [--posting-date YYYYMMDD]
lock ROOT --company ABC --table AP_Vendor --key 00FERGUS --seconds 30
faults ROOT [--lock-rate 0.1] [--com-error-rate 0.01] [--latency-ms 5] [--seed 1]
show ROOT --company ABC --table AP_InvoiceHeader [--where "VendorNo = 'FERGUS'"] [--limit 20]
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ml_connector.clock import SystemClock
from ml_connector.sandbox.sage100 import database as db
from ml_connector.sandbox.sage100.faults import write_faults
from ml_connector.sandbox.sage100.locks import lock_record, unlock_record
from ml_connector.sandbox.sage100.register import RegisterError, post_register
from ml_connector.sandbox.sage100.root import SandboxSetupError, init_root
from ml_connector.sandbox.sage100.schema import AUDIT_COLUMNS, COMPANY_TABLES

RootArg = Annotated[Path, typer.Argument(help="The sandbox root folder (Sage's MAS90 stand-in).")]
CompanyOpt = Annotated[str, typer.Option("--company", help="3-character company code.")]


def register(sandbox_app: typer.Typer) -> None:
    """Add the `sage100` group to the sandbox group."""
    app = typer.Typer(
        help="The Sage 100 BOI sandbox (SQLite, Sage's table names).", no_args_is_help=True
    )
    app.command("init")(init_command)
    app.command("post-register")(post_register_command)
    app.command("lock")(lock_command)
    app.command("faults")(faults_command)
    app.command("show")(show_command)
    sandbox_app.add_typer(app, name="sage100")


def init_command(  # one option each
    root: RootArg,
    company: CompanyOpt = "ABC",
    user: Annotated[str, typer.Option(help="Sage user logon to create.")] = "sandbox",
    password: Annotated[str, typer.Option(help="Its password.")] = "sandbox",  # noqa: S107  # the documented sandbox default
    seed: Annotated[str, typer.Option(help="demo or none.")] = "demo",
    data: Annotated[
        Path | None, typer.Option(help="DIR with <COMPANY>/<Table>.json files.")
    ] = None,
    batches: Annotated[bool, typer.Option(help="A/P Options: batch entry for invoices.")] = False,
    account_format: Annotated[
        str, typer.Option(help="GL account mask: segments and separator, e.g. 99999.999.")
    ] = "9999-99-999",
    force: Annotated[bool, typer.Option(help="Replace the company if it exists.")] = False,
) -> None:
    """Create a sandbox company (and the system database, user and seed)."""
    try:
        init_root(
            root,
            company=company,
            user=user,
            password=password,
            seed=seed,
            data_dir=data,
            batches=batches,
            account_format=account_format,
            force=force,
        )
    except SandboxSetupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"Sage 100 sandbox company {company.upper()} ready in {root} "
        f"(seed {seed}, user {user}; use Init({str(root)!r}) as the Home path)"
    )


def post_register_command(
    root: RootArg,
    company: CompanyOpt = "ABC",
    batch: Annotated[str | None, typer.Option(help="Post only this batch.")] = None,
    posting_date: Annotated[str | None, typer.Option(help="YYYYMMDD; default today.")] = None,
) -> None:
    """Print and update the A/P Invoice Register: entry -> open invoices and history."""
    path = db.company_db_path(root, company)
    if not path.exists():
        typer.echo(f"error: no company {company.upper()} in {root}", err=True)
        raise typer.Exit(2)
    local = db.server_local(SystemClock().now(), None)
    conn = db.connect(path)
    try:
        count = post_register(
            conn,
            posting_date=posting_date or local.strftime("%Y%m%d"),
            stamp=db.sage_stamp(local),
            user_key="0000000001",
            batch_no=batch.zfill(5) if batch else None,
        )
    except RegisterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        conn.close()
    typer.echo(f"posted {count} invoice(s) in company {company.upper()}")


def lock_command(
    root: RootArg,
    table: Annotated[str, typer.Option(help="Sage table, e.g. AP_Vendor.")],
    key: Annotated[str, typer.Option(help="Key columns concatenated, padded: 00FERGUS.")],
    company: CompanyOpt = "ABC",
    seconds: Annotated[float, typer.Option(help="How long to hold it.")] = 30.0,
) -> None:
    """Hold a record as another user would, then release it."""
    try:
        lock_record(root, company, table, key, seconds=seconds)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    until = datetime.now().astimezone().timestamp() + seconds
    typer.echo(f"holding {table} {key!r} in {company.upper()} for {seconds:g}s", err=False)
    try:
        time.sleep(max(0.0, until - datetime.now().astimezone().timestamp()))
    finally:
        unlock_record(root, company, table, key)
    typer.echo(f"released {table} {key!r}")


def faults_command(
    root: RootArg,
    lock_rate: Annotated[
        float, typer.Option(help="Share of nSetKey/nWrite answering in use.")
    ] = 0.0,
    com_error_rate: Annotated[
        float, typer.Option(help="Share of calls raising a COM error.")
    ] = 0.0,
    latency_ms: Annotated[float, typer.Option(help="Added to every call.")] = 0.0,
    seed: Annotated[int, typer.Option(help="RNG seed.")] = 0,
) -> None:
    """Write ROOT/sandbox.toml (read by each new session)."""
    write_faults(
        root,
        lock_rate=lock_rate,
        com_error_rate=com_error_rate,
        call_latency_ms=latency_ms,
        seed=seed,
    )
    typer.echo(f"faults written to {root / 'sandbox.toml'}")


def show_command(
    root: RootArg,
    table: Annotated[str, typer.Option(help="Sage table, e.g. AP_InvoiceHeader.")],
    company: CompanyOpt = "ABC",
    where: Annotated[str, typer.Option(help="An SQL condition on Sage's columns.")] = "",
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 20,
) -> None:
    """Print rows of a company table (what sqlite3 would show), in key order."""
    spec = COMPANY_TABLES.get(table)
    path = db.company_db_path(root, company)
    if spec is None or not path.exists():
        typer.echo(f"error: no table {table} in company {company.upper()} at {root}", err=True)
        raise typer.Exit(2)
    conn = db.connect(path)
    try:
        rows = conn.execute(
            f"SELECT * FROM {spec.name} WHERE {where or '1'} "  # noqa: S608  # a local sandbox tool
            f"ORDER BY {', '.join(spec.key)} LIMIT ?",
            (limit,),
        ).fetchall()
    except sqlite3.Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        conn.close()
    plain = [c for c in spec.columns if c.name not in AUDIT_COLUMNS]
    shown = [c.name for c in plain[:8]] + [c.name for c in plain[8:] if c.kind == "N"]
    grid = Table(*shown, "DateUpdated", "TimeUpdated", title=f"{company.upper()} {spec.name}")
    for row in rows:
        grid.add_row(*(str(row[c]) for c in [*shown, "DateUpdated", "TimeUpdated"]))
    Console(width=200).print(grid)
