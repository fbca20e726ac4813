"""From a loaded config to running parts: the state store, and for each pair its
ServiceTitan client, its Sage 100 adapter and its engine.

Every CLI command that touches the systems goes through here, so `sync --once`, `run`,
the Windows service and the demo build exactly the same objects.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from ml_connector.app.adapters import build_sage, build_servicetitan
from ml_connector.app.config.credentials import resolve_pair
from ml_connector.app.config.files import load_config
from ml_connector.app.config.models import AppConfig
from ml_connector.app.config.pair import InvoiceRoute as ConfigRoute
from ml_connector.app.config.pair import PairSettings
from ml_connector.app.config.secrets import SecretStore
from ml_connector.app.console import console_verbose
from ml_connector.app.logging import Redactor, configure_logging
from ml_connector.clock import Clock, SystemClock
from ml_connector.sage100.boi import BoiSage100
from ml_connector.servicetitan.client import ServiceTitanClient
from ml_connector.servicetitan.retry import RetryPolicy
from ml_connector.store.lease import held_lease
from ml_connector.store.port import PairId
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.engine import SyncEngine
from ml_connector.sync.settings import (
    BillTypeName,
    InvoiceRoute,
    InvoiceVendorSource,
    SyncSettings,
)
from ml_connector.sync.shared_loads import retried


def _route(route: ConfigRoute) -> InvoiceRoute:
    how, _, value = route.vendor.partition(":")
    field = None
    if route.custom_field is not None:
        name, _, expected = route.custom_field.partition("=")
        field = (name.strip(), expected.strip())
    return InvoiceRoute(
        name=route.name,
        vendor=InvoiceVendorSource(how, value),  # type: ignore[arg-type]  # checked by config
        business_units=frozenset(route.business_units),
        invoice_types=frozenset(route.invoice_types),
        custom_field=field,
    )


def engine_settings(pair: PairSettings) -> SyncSettings:
    """The engine's settings for one pair of the config file."""
    sync = pair.sync
    routes: tuple[InvoiceRoute, ...] = ()
    if sync.invoices:
        routes = tuple(_route(r) for r in sync.invoice_routes)
    bill_types: tuple[BillTypeName, ...] = ("Procurement", "ApBill") if sync.ap_bills else ()
    return SyncSettings(
        division=pair.sage100.ap_division,
        bill_types=bill_types,
        create_missing_vendors=sync.create_missing_vendors,
        tax_account=sync.tax_account,
        freight_account=sync.freight_account,
        tax_freight=sync.tax_freight,
        non_taxing_tax_schedules=tuple(sync.non_taxing_tax_schedules),
        fallback_gl_account=sync.fallback_account,
        gl_rules_path=sync.gl_rules,
        vendor_aliases_path=sync.vendor_aliases,
        mark_exported=sync.mark_exported,
        invoice_routes=routes,
        look_back=timedelta(minutes=sync.look_back_minutes),
        sage_look_back=timedelta(hours=sync.sage_vendor_look_back_hours),
        application_guid=sync.application_guid,
        vendor_sync=sync.vendor_sync,
        create_vendors_in_servicetitan=sync.create_vendors_in_servicetitan,
        write_vendor_number_to_st=sync.write_vendor_number_to_st,
        vendor_field_owner={str(k): v for k, v in sync.vendor_field_owner.items()},
    )


@dataclass
class PairRuntime:
    """One pair's connected parts. Close it when done."""

    pair: PairId
    settings: PairSettings
    source: ServiceTitanClient
    sage: BoiSage100
    engine: SyncEngine
    probe: ServiceTitanClient  # the same tenant with few retries: for `check_connections`

    def check_connections(self) -> None:
        """Before a cycle: get a ServiceTitan token and read one GL account (a few quick
        retries, not the minutes a cycle would spend on a system that is down), then log on
        to Sage 100: a session that fails in COM (dropped by the adapter) is tried again on
        a new one, as the cycle's shared reads are (`SHARED_LOAD_TRIES` in all). Raises the
        `ConnectorError` a person needs to see (for Sage: the last try's). Writes nothing."""
        self.probe.check_connection()
        retried(self.sage.ping)

    def close(self) -> None:
        try:
            self.source.close()
            self.probe.close()
        finally:
            self.sage.close()


@dataclass
class Runtime:
    """The config, the secrets, the state store and lazily built pairs.

    `pair` and `drop_pair` may be called from several threads (in `run`: the scheduler's
    cycles and the web app's actions): one build per pair, never two."""

    config: AppConfig
    config_path: Path
    secrets: SecretStore
    store: SqlStateStore
    clock: Clock
    pairs: dict[str, PairRuntime] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def pair(self, name: str) -> PairRuntime:
        with self._lock:
            if name not in self.pairs:
                self.pairs[name] = build_pair(self, name)
            return self.pairs[name]

    def drop_pair(self, name: str) -> None:
        """Close a pair's connections (a system went down): the next `pair` builds anew."""
        with self._lock:
            broken = self.pairs.pop(name, None)
        if broken is not None:
            broken.close()

    @contextmanager
    def pair_lease(
        self, name: str, *, command: str, dry_run: bool = False
    ) -> Iterator[Callable[[], bool]]:
        """Hold the pair's lease for one cycle (one writer per pair across processes);
        yields `lost`, true once another process took the pair over. Raises
        `PairBusyError` naming the holder. A dry run writes nothing and takes none."""
        if dry_run:
            yield lambda: False
            return
        ttl = timedelta(seconds=self.config.state.lease_seconds)
        with held_lease(
            self.store, PairId(name), command=command, clock=self.clock, ttl=ttl
        ) as lease:
            yield lease.lost

    def close(self) -> None:
        for runtime in self.pairs.values():
            runtime.close()
        self.pairs.clear()
        self.store.close()


# What a person's terminal shows of the log without -v: the log file has the rest.
CLERK_CONSOLE_LEVEL = "WARNING"

# A connection check gives up after a few seconds: a system that is down is reported at once.
PROBE_RETRY = RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=1.0, total_cap=5.0)


def build_pair(rt: Runtime, name: str) -> PairRuntime:
    settings = rt.config.pair(name)
    creds = resolve_pair(rt.config, name, rt.secrets)
    source = build_servicetitan(settings, creds.st_client_secret, creds.st_app_key, rt.clock)
    probe = build_servicetitan(
        settings, creds.st_client_secret, creds.st_app_key, rt.clock, retry=PROBE_RETRY
    )
    try:
        sage = build_sage(settings, creds.sage_password, rt.clock)
    except BaseException:
        source.close()
        probe.close()
        raise
    engine = SyncEngine(PairId(name), source, sage, rt.store, engine_settings(settings), rt.clock)
    return PairRuntime(PairId(name), settings, source, sage, engine, probe)


def open_store(config: AppConfig, secrets: SecretStore, clock: Clock) -> SqlStateStore:
    password = None
    if config.state.password is not None:
        password = secrets.resolve(config.state.password, key="state.password")
    return SqlStateStore.open(config.state.url_with_password(password), clock=clock)


@contextmanager
def open_runtime(
    config_path: Path | None,
    *,
    clock: Clock | None = None,
    secrets: SecretStore | None = None,
    redactor: Redactor | None = None,
    config: AppConfig | None = None,
) -> Iterator[Runtime]:
    """Load the config (unless the caller already did), open the state store; close
    everything on the way out."""
    if config is None:
        config = load_config(config_path)
    store_of_secrets = secrets or SecretStore(
        on_resolve=redactor.add_secret if redactor is not None else None
    )
    the_clock = clock or SystemClock()
    store = open_store(config, store_of_secrets, the_clock)
    rt = Runtime(
        config=config,
        config_path=config_path or Path("config.toml"),
        secrets=store_of_secrets,
        store=store,
        clock=the_clock,
    )
    try:
        yield rt
    finally:
        rt.close()


@contextmanager
def open_cli_runtime(config_path: Path | None) -> Iterator[Runtime]:
    """`open_runtime` for a command a person runs: log records go to the log file at the
    config's level and, warnings and errors only, to stderr (stdout is the command's own
    output: a report, or one JSON object); with `-v` / `--verbose` stderr gets the
    config's level too. Every secret resolved on the way is redacted."""
    config = load_config(config_path)
    console_level = None if console_verbose() else CLERK_CONSOLE_LEVEL
    handle = configure_logging(config.logging, stream=sys.stderr, console_level=console_level)
    try:
        with open_runtime(config_path, redactor=handle.redactor, config=config) as rt:
            yield rt
    finally:
        handle.close()
