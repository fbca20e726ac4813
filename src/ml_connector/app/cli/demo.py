"""`ml-connector sandbox up` and `ml-connector demo`: both sandboxes, wired to the connector.

`sandbox up --workdir DIR` seeds both sandboxes (ServiceTitan state in `DIR/servicetitan/`,
the Sage 100 sandbox root in `DIR/sage100/` with company ABC), writes `DIR/config.toml`
pointing at them with their documented default credentials, and serves the ServiceTitan
sandbox until stopped. An existing workdir is reused as it is (`--fresh` starts over), so
the sandboxes and the connector's state stay consistent across restarts.

`demo` does the same in-process in a work folder, runs one cycle on the demo data and
prints what a controller wants to know: what was written, what was skipped as already in
Sage, and what went to review and why; then a second cycle, which writes nothing.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ml_connector.app.cli.report import SHORT_ROWS, print_cycle_report
from ml_connector.app.config.files import sandbox_config, write_config
from ml_connector.app.runtime import open_cli_runtime
from ml_connector.clock import Clock
from ml_connector.errors import ConfigError
from ml_connector.sandbox.sage100 import init_root
from ml_connector.sandbox.servicetitan.server import running_sandbox, serve
from ml_connector.sandbox.servicetitan.settings import SandboxSettings
from ml_connector.store.port import PairId, ReviewKind, ReviewStatus, StateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.review import ReviewQueue

COMPANY = "ABC"
PAIR = "demo"
DEMO_WIDTH = 100  # columns of the demo's report
DEMO_SIZE = 200  # the Sage demo company's hand-keyed invoices copy bills of this ServiceTitan seed
# The demo division's sales tax and freight accounts, also named in the config.
DEMO_TAX_ACCOUNT = "5250-00-100"  # Purchase Tax
DEMO_FREIGHT_ACCOUNT = "5200-00-100"  # Freight In
# The demo's GL rules: the default rule, and Job Cost for the demo company's jobs (bills on
# jobs 40007, closed in Sage, and 40011, without Service cost codes, go to review).
DEMO_GL_RULES = """\
# ml-connector demo: GL accounts by the default rule (the ServiceTitan GL account number is
# the Sage account), and Job Cost from ServiceTitan's job and budget code (docs/matching.md).
[job_cost]

[[job_cost.cost_code]]
name = "Materials"
when = { budget_code = "*-100" }
cost_code_from = "budget_code"
cost_type = "M"

[[job_cost.cost_code]]
name = "Equipment"
when = { budget_code = ["*-110", "*-500"] }
cost_code_from = "budget_code"
cost_type = "E"

[[job_cost.cost_code]]
name = "Subcontract"
when = { budget_code = "*-300" }
cost_code_from = "budget_code"
cost_type = "S"

[[job_cost.cost_code]]
name = "Permits and fees"
when = { budget_code = "*-400" }
cost_code_from = "budget_code"
cost_type = "O"
"""


def _prepare_sage(workdir: Path, sage_data: Path | None) -> Path:
    root = workdir / "sage100"
    if not (root / f"{COMPANY}.sqlite").exists():
        init_root(
            root,
            company=COMPANY,
            seed="none" if sage_data else "demo",
            data_dir=sage_data,
        )
    return root


def _clear_workdir(workdir: Path) -> None:
    """Delete an earlier sandbox/demo folder; refuse any other folder with files in it (a
    mistyped `--workdir ~` must not cost a person their files)."""
    if not workdir.exists():
        return
    ours = (workdir / "config.toml").is_file() and (workdir / "sage100").is_dir()
    if not workdir.is_dir() or (any(workdir.iterdir()) and not ours):
        raise ConfigError(
            f"{workdir} is not a folder of an earlier `sandbox up` or `demo`, and not empty: "
            "it is left as it is",
            hint="give a new or empty folder for --workdir",
        )
    shutil.rmtree(workdir)


def _write_config(workdir: Path, base_url: str, sage_root: Path, *, demo_seed: bool) -> Path:
    path = workdir / "config.toml"
    rules: Path | None = None
    if demo_seed:
        rules = workdir / "gl-rules.toml"
        rules.write_text(DEMO_GL_RULES, encoding="utf-8")
    config = sandbox_config(
        base_dir=workdir,
        st_base_url=base_url,
        sage_root=sage_root,
        pair=PAIR,
        tax_account=DEMO_TAX_ACCOUNT if demo_seed else None,
        freight_account=DEMO_FREIGHT_ACCOUNT if demo_seed else None,
        gl_rules=rules,
    )
    write_config(config, path, overwrite=True)
    return path


def sandbox_up(
    workdir: Annotated[Path, typer.Option("--workdir", help="Folder for both sandboxes.")],
    port: Annotated[int, typer.Option(help="ServiceTitan sandbox port (0: any free port).")] = 0,
    size: Annotated[int, typer.Option(help="How many AP bills to seed.")] = DEMO_SIZE,
    servicetitan_data: Annotated[
        Path | None,
        typer.Option(help="Load DIR/<resource>.json instead of the ServiceTitan demo seed."),
    ] = None,
    sage_data: Annotated[
        Path | None, typer.Option(help="Load DIR/ABC/<Table>.json instead of the Sage demo seed.")
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Delete the workdir's state first.")] = False,
) -> None:
    """Seed both sandboxes, write DIR/config.toml, and serve ServiceTitan until Ctrl-C."""
    if fresh:
        _clear_workdir(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sage_root = _prepare_sage(workdir, sage_data)

    def announce(base_url: str, seeded: dict[str, Any]) -> None:
        config = _write_config(workdir, base_url, sage_root, demo_seed=sage_data is None)
        typer.echo(f"ServiceTitan sandbox: {base_url} (tenant 1234567)")
        typer.echo(f"Sage 100 sandbox:     {sage_root} (company {COMPANY}, user sandbox)")
        typer.echo(f"Config:               {config}")
        typer.echo(f"Try: ml-connector sync --once --config {config}")
        typer.echo("Press Ctrl-C to stop.")

    # uvicorn shuts down on Ctrl-C, then passes it on: stopping is the normal end here.
    with contextlib.suppress(KeyboardInterrupt):
        serve(
            workdir / "servicetitan",
            host="127.0.0.1",
            port=port,
            seed="none" if servicetitan_data else "demo",
            size=size,
            data_dir=servicetitan_data,
            faults=None,
            settings=SandboxSettings(),
            announce=announce,
        )
    typer.echo(f"Stopped. The sandboxes' state stays in {workdir}.")


def demo(
    workdir: Annotated[
        Path | None, typer.Option(help="Keep the demo's files here (default: a temp folder).")
    ] = None,
    size: Annotated[int, typer.Option(help="How many AP bills the demo seeds.")] = DEMO_SIZE,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every document in the report (default: a few).")
    ] = False,
) -> None:
    """Run the whole flow once on local sandboxes of both systems and explain the result."""
    # At most 100 columns, whatever the terminal: a summary to read, not a wall of tables.
    console = Console(width=min(Console().width, DEMO_WIDTH))
    max_rows = None if show_all else SHORT_ROWS
    temp = None
    if workdir is None:
        temp = tempfile.TemporaryDirectory(prefix="ml-connector-demo-")
        workdir = Path(temp.name)
    else:
        _clear_workdir(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        sage_root = _prepare_sage(workdir, None)
        with running_sandbox(workdir / "servicetitan", seed="demo", size=size) as sb:
            config_path = _write_config(workdir, sb.base_url, sage_root, demo_seed=True)
            console.print(
                f"[bold]ml-connector demo[/bold]: ServiceTitan sandbox at {sb.base_url} "
                f"({size} AP bills), Sage 100 sandbox company {COMPANY} in {sage_root}"
            )
            # Log records (warnings and up) go to stderr: stdout is the report.
            with open_cli_runtime(config_path) as rt:
                engine = rt.pair(PAIR).engine
                console.print("\n[bold]Cycle 1[/bold]: the first sync")
                print_cycle_report(console, engine.run_cycle(), max_rows=max_rows)
                console.print("\n[bold]Cycle 2[/bold]: nothing new, so nothing is written twice")
                second = engine.run_cycle()
                console.print(
                    f"{second.written} written, {second.already_in_sage} already in Sage, "
                    f"{second.sent_to_review} sent to review"
                )
                _clear_one_vendor_review(console, rt.store, rt.clock, engine)
                with rt.store.transaction() as tx:
                    open_items = tx.list_reviews(PairId(PAIR), ReviewStatus.OPEN)
            if temp is None:
                console.print(
                    f"\n{len(open_items)} item(s) wait in the review queue: "
                    f"`ml-connector review list --config {config_path}`; the audit log: "
                    f"`ml-connector audit --config {config_path}`"
                )
            else:
                console.print(
                    f"\n{len(open_items)} item(s) wait in the review queue. The demo's files "
                    "are removed now; to keep them (and try `review list`, `review resolve`, "
                    "`audit`), run `ml-connector demo --workdir DIR`."
                )
    finally:
        if temp is not None:
            temp.cleanup()


def _clear_one_vendor_review(
    console: Console, store: StateStore, clock: Clock, engine: SyncEngine
) -> None:
    """Cycle 3: a clerk picks the Sage vendor for one ambiguous vendor, as `review resolve
    ID --vendor ...` does, and the next cycle writes that vendor's held bills."""
    queue = ReviewQueue(PairId(PAIR), store, clock)
    for item in queue.items():
        candidates = item.details.get("candidates") or []
        if item.kind is not ReviewKind.AMBIGUOUS_VENDOR or not candidates:
            continue
        vendor = str(candidates[0]["sage_vendor"])
        name = item.details.get("st_vendor_name", "")
        console.print(
            f"\n[bold]Cycle 3[/bold]: a clerk resolves review item {item.id} "
            f"(ServiceTitan vendor {name!r}) with Sage vendor {vendor}"
        )
        queue.resolve(item.id or 0, by="demo clerk", vendor=vendor, note="picked the branch")
        third = engine.run_cycle()
        console.print(
            f"{third.written} written (the bills held for that vendor), "
            f"{third.sent_to_review} sent to review"
        )
        return


def register(app: typer.Typer, sandbox_app: typer.Typer) -> None:
    sandbox_app.command("up")(sandbox_up)
    app.command("demo")(demo)
