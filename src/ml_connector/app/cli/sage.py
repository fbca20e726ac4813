"""`ml-connector sage probe` and `ml-connector selftest`: proof on the customer's own server.

    ml-connector sage probe --config FILE [--pair NAME] [-o FILE]
    ml-connector selftest --live --company TST [--force] --config FILE [--pair NAME] [--json]
    ml-connector selftest --servicetitan [--bill ID] [--force] --config FILE [--json]

`sage probe` records, read-only, every fact the BOI adapter depends on into one JSON file
(no password in it) that `check` compares with the adapter's names and an installer sends
to support. `selftest --live` writes, reads back and deletes a test invoice and vendor in a
test company (`sage100/selftest.py`); `selftest --servicetitan` does the same for the
ServiceTitan side in the integration environment (`app/check/selftest_st.py`). Each prints one
line per step (or one JSON object) and exits 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from ml_connector.app.adapters import boi_settings, script_factory
from ml_connector.app.check.probe import probe_path_for
from ml_connector.app.cli.options import one_pair
from ml_connector.app.config.files import default_config_path, load_config
from ml_connector.app.config.models import AppConfig
from ml_connector.app.config.pair import PairSettings
from ml_connector.app.config.secrets import SecretStore
from ml_connector.app.logging import configure_logging
from ml_connector.clock import SystemClock
from ml_connector.errors import ConfigError
from ml_connector.sage100.probe import run_probe
from ml_connector.sage100.selftest import Step, run_sage_selftest

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Config file.")]
PairOpt = Annotated[str | None, typer.Option("--pair", help="The pair (default: the only one).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object instead of lines.")]


@dataclass(frozen=True, slots=True)
class PairContext:
    config: AppConfig
    config_path: Path
    name: str
    pair: PairSettings
    store: SecretStore

    def secret(self, key: str) -> SecretStr:
        """A secret of this pair by its config key below the pair (e.g. sage100.password)."""
        section, _, attr = key.partition(".")
        ref = getattr(getattr(self.pair, section), attr)
        return self.store.resolve(ref, key=f"pairs.{self.name}.{key}")


@contextmanager
def pair_context(config_path: Path | None, pair: str | None) -> Iterator[PairContext]:
    """The config loaded, one pair chosen, logging to the log file only (stdout stays ours),
    every secret resolved taught to the redactor."""
    path = config_path or default_config_path()
    config = load_config(path)
    pair = one_pair(list(config.pairs), pair)
    handle = configure_logging(config.logging, stream=io.StringIO())
    store = SecretStore(on_resolve=handle.redactor.add_secret)
    try:
        yield PairContext(config, path, pair, config.pair(pair), store)
    finally:
        handle.close()


def _mask_for(ctx: PairContext, key: str) -> tuple[str, ...]:
    """The secret's value when it is a real secret (a literal sandbox value is public)."""
    section, _, attr = key.partition(".")
    ref = getattr(getattr(ctx.pair, section), attr)
    return () if ref.is_literal else (ctx.secret(key).get_secret_value(),)


def report(title: str, steps: list[Step], **extra: str) -> dict[str, Any]:
    """One self-test as the JSON object `--json` prints."""
    passed = all(s.verdict != "FAILED" for s in steps)
    return {"selftest": title, "passed": passed, **extra, "steps": [s.to_json() for s in steps]}


def print_reports(reports: list[dict[str, Any]], as_json: bool) -> int:
    """Lines per step (or one JSON object: the report, or {passed, selftests} for two)."""
    passed = all(r["passed"] for r in reports)
    if as_json:
        one = reports[0] if len(reports) == 1 else {"passed": passed, "selftests": reports}
        typer.echo(json.dumps(one, indent=2))
        return 0 if passed else 1
    for r in reports:
        typer.echo(r["selftest"])
        for s in r["steps"]:
            typer.echo(f"  [{s['verdict']:>7}] {s['step']}: {s['detail']}")
        failed = sum(1 for s in r["steps"] if s["verdict"] == "FAILED")
        typer.echo("PASSED" if r["passed"] else f"FAILED ({failed} step(s))")
    return 0 if passed else 1


def register(app: typer.Typer) -> None:
    """Add `sage probe` and `selftest` to `app`."""
    sage = typer.Typer(help="Sage 100 on this server: discovery probe.", no_args_is_help=True)
    app.add_typer(sage, name="sage")

    @sage.command("probe")
    def probe(
        config: ConfigOpt = None,
        pair: PairOpt = None,
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Where to write (default: beside the config)."),
        ] = None,
    ) -> None:
        """Record, read-only, every fact about the Sage company the connector depends on."""
        with pair_context(config, pair) as ctx:
            password = ctx.secret("sage100.password")
            settings = boi_settings(ctx.pair.sage100, password)
            clock = SystemClock()
            report = run_probe(
                settings,
                script_factory(ctx.pair.sage100, clock),
                clock=clock,
                pair=ctx.name,
                mode=ctx.pair.sage100.mode,
                mask=_mask_for(ctx, "sage100.password"),
            )
            target = output or probe_path_for(ctx.config_path, ctx.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(report, indent=2, ensure_ascii=True), encoding="utf-8")
        facts: dict[str, dict[str, Any]] = report["facts"]
        typer.echo(f"Sage probe of company {report['company']} ({ctx.name})")
        for name, fact in facts.items():
            mark = "settled" if fact["settled"] else "UNKNOWN"
            typer.echo(f"  [{mark:>7}] {name}: {fact['conclusion']}")
        typer.echo(f"written to {target}: send this file to support; `check` compares with it")
        if "session" in facts and not facts["session"]["settled"]:
            raise typer.Exit(1)

    @app.command("selftest")
    def selftest(
        config: ConfigOpt = None,
        pair: PairOpt = None,
        live: Annotated[
            bool, typer.Option("--live", help="Sage: write, read back and delete a test invoice.")
        ] = False,
        company: Annotated[
            str | None, typer.Option("--company", help="The Sage TEST company to write in.")
        ] = None,
        servicetitan: Annotated[
            bool,
            typer.Option("--servicetitan", help="ServiceTitan: token, modules, vendor, export."),
        ] = False,
        bill: Annotated[
            int | None, typer.Option("--bill", help="A test AP bill to mark as exported.")
        ] = None,
        force: Annotated[
            bool,
            typer.Option("--force", help="Also in a company with posted invoices / production."),
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Prove the connector on the real systems, with test records it removes again."""
        if not live and not servicetitan:
            raise ConfigError(
                "say what to test: --live --company TST (Sage 100) and/or --servicetitan",
                hint="See the README, 'First run on the Sage server'.",
            )
        if live and not company:
            raise ConfigError(
                "--live needs --company: the code of a Sage TEST company (a copy of the live "
                "one), never the live company",
            )
        reports: list[dict[str, Any]] = []
        with pair_context(config, pair) as ctx:
            if live and company:
                reports.append(_sage_selftest(ctx, company, force))
            if servicetitan:
                from ml_connector.app.check.selftest_st import run_st_selftest

                steps = run_st_selftest(ctx.pair, ctx.secret, bill=bill, force=force)
                tenant = ctx.pair.servicetitan.tenant_id
                reports.append(report(f"ServiceTitan self-test, tenant {tenant}", steps))
        code = print_reports(reports, as_json)
        if code:
            raise typer.Exit(code)


def _sage_selftest(ctx: PairContext, company: str, force: bool) -> dict[str, Any]:
    sage_cfg = ctx.pair.sage100
    settings = boi_settings(sage_cfg, ctx.secret("sage100.password")).model_copy(
        update={"company": company.strip().upper()}
    )
    clock = SystemClock()
    steps = run_sage_selftest(settings, script_factory(sage_cfg, clock), force=force, clock=clock)
    title = f"Sage 100 self-test, company {settings.company}"
    return report(title, steps, company=settings.company)
