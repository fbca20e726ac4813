"""`ml-connector run`: the scheduler, the dashboard and the optional webhook receiver.

One process serves every pair of the config. Each cycle goes through `Runtime` (the same
objects as `sync --once`); its result feeds `/healthz`, `/metrics` and the dashboard. A
stop (Ctrl-C, SIGTERM, or the Windows service's stop) lets the cycle in flight finish or
safely abandon its document, then closes everything.
"""

from __future__ import annotations

import signal
import socket
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
import uvicorn
from starlette.types import ASGIApp

from ml_connector.app.config.files import load_config
from ml_connector.app.logging import LoggingHandle, configure_logging
from ml_connector.app.runtime import Runtime, open_runtime
from ml_connector.app.service.scheduler import CycleOutcome, Schedule, Scheduler
from ml_connector.app.web.dashboard import create_dashboard_app, create_webhook_app
from ml_connector.app.web.health import RuntimeStatus
from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import Action, ConfigError, ConnectorError
from ml_connector.servicetitan.webhooks import WebhookVerifier

log = structlog.get_logger(__name__)


class _Server:
    """A uvicorn server on a background thread, on a socket bound at once (port 0: a free
    port, read back from `port`; a port in use is a clear error before anything runs)."""

    def __init__(self, app: ASGIApp, host: str, port: int, name: str) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.sock.listen(128)
        except OSError as exc:
            self.sock.close()
            raise ConfigError(
                f"the {name} cannot listen on {host}:{port}: {exc.strerror}",
                operation=f"start the {name}",
                hint="another program (or another ml-connector) uses that port: choose "
                "another one in the config",
            ) from None
        self.host = host
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=5
        )
        self.server = uvicorn.Server(config)
        # uvicorn's own SIGINT/SIGTERM handling only works on the main thread; the runner's
        # handlers stop everything.
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name=name, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.sock.close()


class Runner:
    """Everything `run` starts, and how to stop it."""

    def __init__(
        self,
        config_path: Path | None,
        *,
        service_mode: bool = False,
        clock: Clock | None = None,
        interval: timedelta | None = None,
        dashboard_port: int | None = None,
    ) -> None:
        """`interval` overrides the config's schedule (testing, troubleshooting);
        `dashboard_port` its `[dashboard] port` (0: a free port, see `dashboard_url`)."""
        self.config_path = config_path
        self.service_mode = service_mode
        self.clock = clock or SystemClock()
        self.interval = interval
        self.dashboard_port = dashboard_port
        self.dashboard_url: str | None = None  # set once the dashboard listens
        self._stop = threading.Event()
        self.scheduler: Scheduler | None = None
        self.status: RuntimeStatus | None = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self.scheduler is not None:
                self.scheduler.stop()

    def run(self) -> None:
        config = load_config(self.config_path)
        logging_handle: LoggingHandle = configure_logging(config.logging, service=self.service_mode)
        servers: list[_Server] = []
        try:
            with open_runtime(
                self.config_path, clock=self.clock, redactor=logging_handle.redactor, config=config
            ) as rt:
                self.status = RuntimeStatus(list(rt.config.pairs))
                schedule = self._schedule(rt)
                scheduler = Scheduler(
                    dict.fromkeys(rt.config.pairs, schedule),
                    lambda pair, stop_requested: self._cycle(rt, pair, stop_requested),
                    self.clock,
                )
                with self._lock:
                    self.scheduler = scheduler
                    if self._stop.is_set():
                        scheduler.stop()
                self._servers(rt, scheduler, servers)
                for server in servers:
                    server.start()
                log.info(
                    "ml-connector running",
                    pairs=list(rt.config.pairs),
                    dashboard=self.dashboard_url,
                )
                scheduler.run()
        finally:
            for server in servers:
                server.stop()
            log.info("ml-connector stopped")
            logging_handle.close()

    def _schedule(self, rt: Runtime) -> Schedule:
        if self.interval is not None:
            # A short interval also means a short back-off while a system is down.
            start = min(timedelta(seconds=30), self.interval)
            return Schedule(interval=self.interval, down_backoff_start=start)
        sched = rt.config.schedule
        return Schedule(
            interval=None if sched.cron else timedelta(minutes=sched.interval_minutes),
            cron=sched.cron,
            jitter=timedelta(seconds=sched.jitter_seconds),
        )

    def _servers(self, rt: Runtime, scheduler: Scheduler, servers: list[_Server]) -> None:
        """Bind the dashboard and the webhook receiver (into `servers`, so that a failure
        half-way still closes what was bound)."""
        assert self.status is not None
        if rt.config.dashboard.enabled:
            app = create_dashboard_app(self.status, rt.store)
            port = rt.config.dashboard.port if self.dashboard_port is None else self.dashboard_port
            dashboard = _Server(app, "127.0.0.1", port, "dashboard")
            servers.append(dashboard)
            self.dashboard_url = dashboard.url
        hooks = rt.config.webhooks
        if hooks is not None and hooks.enabled:
            if hooks.hmac_key is None:
                raise ConfigError("[webhooks] needs hmac_key (the key set on the app)")
            key = rt.secrets.resolve(hooks.hmac_key, key="webhooks.hmac_key")
            verifier = WebhookVerifier(
                key, headers=tuple(hooks.signature_headers), encoding=hooks.encoding
            )
            tenants = {p.servicetitan.tenant_id: name for name, p in rt.config.pairs.items()}
            app = create_webhook_app(
                path=hooks.path, verifier=verifier, tenants=tenants, wake=scheduler.wake
            )
            servers.append(_Server(app, hooks.host, hooks.port, "webhook receiver"))

    def _cycle(self, rt: Runtime, pair: str, stop_requested: Any) -> CycleOutcome:
        assert self.status is not None
        try:
            runtime = rt.pair(pair)
            runtime.check_connections()
            summary = runtime.engine.run_cycle(should_stop=stop_requested)
        except ConnectorError as exc:
            # The pair could not even start (a system down, a setup problem): drop its
            # connections so the next attempt starts clean.
            broken = rt.pairs.pop(pair, None)
            if broken is not None:
                broken.close()
            outcome = CycleOutcome.DOWN if exc.action is Action.RETRY else CycleOutcome.FAILED
            log.error("cycle could not run", pair=pair, error=exc.describe())
            self.status.record_cycle(pair, outcome.value, self.clock.now(), error=exc.describe())
            return outcome
        counts = {
            "written": summary.written,
            "already_in_sage": summary.already_in_sage,
            "sent_to_review": summary.sent_to_review,
            "failed": summary.failed,
            "skipped": summary.skipped,
        }
        # A stop asked for by the person or the service is no failure of the pair: only
        # the other errors (a STOP error, a stream it could not read) are.
        errors = [e for e in summary.errors if e not in summary.interruptions]
        if summary.stopped or errors:
            error = "; ".join(errors or summary.errors)
            self.status.record_cycle(
                pair, "failed", summary.finished_at, counts=counts, error=error
            )
            return CycleOutcome.FAILED
        self.status.record_cycle(pair, "ok", summary.finished_at, counts=counts)
        log.info("cycle done", pair=pair, run_id=summary.run_id, **counts)
        return CycleOutcome.OK


def build_service_runner(config_path: Path, *, service_mode: bool) -> Runner:
    """For the Windows service host."""
    return Runner(config_path, service_mode=service_mode)


def run(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file.")] = None,
    json_logs: Annotated[
        bool, typer.Option("--json-logs", help="JSON log lines (as under a service).")
    ] = False,
    interval_seconds: Annotated[
        int | None,
        typer.Option(
            "--interval-seconds",
            min=1,
            help="For testing and troubleshooting: a cycle every N seconds for every pair, "
            "overriding the config's [schedule].",
        ),
    ] = None,
    dashboard_port: Annotated[
        int | None,
        typer.Option(
            "--dashboard-port",
            min=0,
            max=65535,
            help="Serve the dashboard (/healthz, /metrics) on this port of 127.0.0.1 instead "
            "of the config's [dashboard] port (0: any free port, logged at start).",
        ),
    ] = None,
) -> None:
    """Run on the schedule until stopped (Ctrl-C or SIGTERM): every pair, dashboard, webhooks."""
    runner = Runner(
        config,
        service_mode=json_logs,
        interval=timedelta(seconds=interval_seconds) if interval_seconds else None,
        dashboard_port=dashboard_port,
    )

    def on_signal(signum: int, frame: object) -> None:
        runner.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    runner.run()


def register(app: typer.Typer) -> None:
    app.command("run")(run)
