"""The connectivity check: "add your credentials, ping your real systems, see if we fit".

    report = run_checks(Path("config.toml"), store=SecretStore())
    report.passed            # False when any row is FAILED (warnings allowed)
    report.to_json()         # {"config", "passed", "counts", "checks": [{pair, system, ...}]}

For the config file, every secret reference, and then for each pair: ServiceTitan (token,
app key, tenant id, each API module: `check_st`) and Sage 100 (platform and COM, Home or
sandbox root, login, company, module date, rights, AP division, GL account format, Web
Services: `check_sage`). Every check is independent and yields one row; nothing raises
out of `run_checks`. Rows never hold a secret: the messages are built without them, and
every secret value resolved is masked again before the report is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import SecretStr

from ml_connector.app.check import sage as check_sage
from ml_connector.app.check import servicetitan as check_st
from ml_connector.app.check.probe import adapter_names, load_probe, probe_path_for, probe_rows
from ml_connector.app.check.sage import SageCheckOptions, sage_checks, webservices_row
from ml_connector.app.check.servicetitan import CHECK_RETRY, servicetitan_checks
from ml_connector.app.check.types import CheckReport, CheckResult, Rows
from ml_connector.app.config.credentials import webservices_settings
from ml_connector.app.config.files import load_config
from ml_connector.app.config.models import AppConfig
from ml_connector.app.config.secrets import SecretStore
from ml_connector.clock import Clock, SystemClock
from ml_connector.errors import ConfigError
from ml_connector.servicetitan.retry import RetryPolicy

__all__ = ["CheckOptions", "CheckReport", "CheckResult", "run_checks", "run_checks_on"]


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """Switches for tests and unusual machines; the defaults are what a person runs."""

    st_retry: RetryPolicy = CHECK_RETRY
    st_transport: httpx.BaseTransport | None = None  # an httpx transport, for edge tests
    sage: SageCheckOptions = field(default_factory=SageCheckOptions)
    probe: Path | None = None  # a `sage probe` file; None: sage-probe-<pair>.json if present


def run_checks(
    config_path: Path,
    *,
    store: SecretStore,
    pair: str | None = None,
    clock: Clock | None = None,
    options: CheckOptions | None = None,
) -> CheckReport:
    """Load the config and run every check (of one pair, or of all)."""
    shown = str(config_path)
    config_rows = Rows("", "config")
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return CheckReport(shown, (config_rows.error("config file", exc),))
    except Exception as exc:  # noqa: BLE001 - a row, never a traceback
        return CheckReport(shown, (config_rows.unexpected("config file", exc),))
    return run_checks_on(config, source=shown, store=store, pair=pair, clock=clock, options=options)


def run_checks_on(
    config: AppConfig,
    *,
    source: str,
    store: SecretStore,
    pair: str | None = None,
    clock: Clock | None = None,
    options: CheckOptions | None = None,
    on_secret: Callable[[str], None] | None = None,
) -> CheckReport:
    """Run every check against an already loaded config. `on_secret` is told every secret
    value resolved (e.g. `LoggingHandle.redactor.add_secret`, so the log file masks it)."""
    options = options or CheckOptions()
    clock = clock or SystemClock()
    config_rows = Rows("", "config")
    names = list(config.pairs)
    results: list[CheckResult] = [
        config_rows.ok("config file", f"{source}: {len(names)} pair(s): {', '.join(names)}")
    ]
    if pair is not None:
        if pair not in config.pairs:
            results.append(
                config_rows.failed(
                    "pair",
                    f"the config has no pair named {pair!r}",
                    f"Use one of: {', '.join(names)}.",
                )
            )
            return CheckReport(source, tuple(results))
        names = [pair]
    secrets = _secret_rows(config, store, names)
    if on_secret is not None:
        for value in secrets.values.values():
            on_secret(value.get_secret_value())
    results += secrets.rows
    for name in names:
        results += _pair_rows(config, name, store, secrets.values, clock, options)
        results += _probe_rows(config, name, Path(source), clock, options)
    return CheckReport(source, tuple(r.scrubbed(secrets.to_mask) for r in results))


def _probe_rows(
    config: AppConfig, name: str, config_path: Path, clock: Clock, options: CheckOptions
) -> list[CheckResult]:
    """The probe file's conclusions against the adapter's names (when there is a file)."""
    path = options.probe or probe_path_for(config_path, name)
    rows = Rows(name, "sage100")
    if options.probe is None and not path.is_file():
        return []
    pair = config.pair(name)

    def compare() -> list[CheckResult]:
        probe = load_probe(path)
        return probe_rows(rows, probe, adapter_names(pair), pair, path, clock.now())

    try:
        return compare()
    except ConfigError as exc:
        return [rows.error("probe file", exc)]
    except Exception as exc:  # noqa: BLE001 - a row, never a traceback
        return [rows.unexpected("probe file", exc)]


@dataclass
class _Secrets:
    rows: list[CheckResult] = field(default_factory=list)
    values: dict[str, SecretStr] = field(default_factory=dict)  # config key -> value
    missing: set[str] = field(default_factory=set)
    to_mask: list[str] = field(default_factory=list)  # values of keyring: and env: secrets


def _secret_rows(config: AppConfig, store: SecretStore, pairs: list[str]) -> _Secrets:
    out = _Secrets()
    for key, ref in config.secret_references():
        owner = key.split(".")[1] if key.startswith("pairs.") else ""
        if owner and owner not in pairs:
            continue
        rows = Rows(owner, "config")
        short = key.removeprefix(f"pairs.{owner}.") if owner else key
        name = f"secret {short}"
        try:
            value = store.resolve(ref, key=key)
        except ConfigError as exc:
            out.missing.add(key)
            out.rows.append(rows.error(name, exc))
        except Exception as exc:  # noqa: BLE001 - a row, never a traceback
            out.missing.add(key)
            out.rows.append(rows.unexpected(name, exc))
        else:
            out.values[key] = value
            if not ref.is_literal:  # sandbox: values are public, and words like "sandbox"
                out.to_mask.append(value.get_secret_value())
            out.rows.append(rows.ok(name, f"{ref} resolved"))
    return out


def _pair_rows(
    config: AppConfig,
    name: str,
    store: SecretStore,
    values: dict[str, SecretStr],
    clock: Clock,
    options: CheckOptions,
) -> list[CheckResult]:
    pair = config.pair(name)
    base = f"pairs.{name}"
    st_secret = values.get(f"{base}.servicetitan.client_secret")
    app_key = values.get(f"{base}.servicetitan.app_key")
    results: list[CheckResult] = []
    if st_secret is None or app_key is None:
        rows = Rows(name, "servicetitan")
        why = "a ServiceTitan secret is missing (see above)"
        results += [rows.skipped(n, why) for n in check_st.row_names(pair)]
    else:
        results += servicetitan_checks(
            name,
            pair,
            st_secret,
            app_key,
            clock,
            retry=options.st_retry,
            transport=options.st_transport,
        )
    password = values.get(f"{base}.sage100.password")
    if password is None:
        rows = Rows(name, "sage100")
        why = "the Sage password is missing (see above)"
        names = check_sage.row_names(pair, options.sage.platform)
        results += [rows.skipped(n, why) for n in names]
    else:
        results += sage_checks(name, pair, password, clock, options.sage)
    if pair.sage100.webservices is not None:
        row = webservices_row(name, lambda: webservices_settings(config, name, store))
        if row is not None:
            results.append(row)
    return results
