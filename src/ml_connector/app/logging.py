"""Logging: structlog over the standard library, with secrets redacted before anything is
written.

    handle = configure_logging(config.logging, service=True)   # JSON lines
    store = SecretStore(on_resolve=handle.redactor.add_secret)  # resolved values never printed
    ...
    handle.close()

Output: JSON lines in service mode (or `format = "json"`), a readable console otherwise; the
log file (a `RotatingFileHandler`) is always JSON lines. Records from other libraries (httpx,
zeep, uvicorn) go through the same formatter, hence the same redaction. Tracebacks are plain
text (never with local variables) and are redacted like any other text.

Redaction (`Redactor`, also usable alone through `redact_text`, `redact_url`):
- values of keys named like password / passwd / secret / token / authorization / app_key /
  api_key / client_secret / hmac / signature / cookie / credential, at any depth;
- in text: `Bearer ...` / `Basic ...`, `access_token=...` and the like in queries and form
  bodies, "password": "..." in JSON, <Password>...</Password> in XML, `Authorization:` and
  `ST-App-Key:` header lines, user:password@ in URLs;
- every secret value the `SecretStore` resolved (`Redactor.add_secret`).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import structlog
from pydantic import SecretBytes, SecretStr

from ml_connector.app.config.models import LoggingSettings
from ml_connector.errors import ConfigError

MASK = "***"
_OURS = "_ml_connector_handler"

SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|^pwd$|secret|token|authori[sz]ation|app[_-]?key|api[_-]?key"
    r"|hmac|signature|cookie|credential|private[_-]?key",
    re.IGNORECASE,
)
_QUERY_KEYS = (
    r"access_token|refresh_token|id_token|token|client_secret|secret|password|passwd|pwd"
    r"|api_key|apikey|app_key|key|sig|signature"
)
# (cheap substring guards on the lower-cased text, pattern, replacement)
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # Authorization schemes: "Bearer eyJ...", "Basic dXNlcjpwYXNz"
    (
        ("bearer", "basic"),
        re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
        rf"\1 {MASK}",
    ),
    # Header lines: "Authorization: ...", "ST-App-Key: ...", "Cookie: ..."
    (
        ("authorization", "app-key", "api-key", "cookie"),
        re.compile(
            r"\b(authorization|st-app-key|x-api-key|cookie|set-cookie)(\s*[:=]\s*)[^\r\n,}]+",
            re.IGNORECASE,
        ),
        rf"\1\2{MASK}",
    ),
    # user:password@ in URLs (a bare user@ is left alone)
    (
        ("@",),
        re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]*@", re.IGNORECASE),
        rf"\1{MASK}@",
    ),
    # query strings and form bodies: access_token=..., client_secret=...
    (
        ("=",),
        re.compile(rf"([?&;\s]|^)({_QUERY_KEYS})=[^&\s'\"<>]+", re.IGNORECASE),
        rf"\1\2={MASK}",
    ),
    # JSON / Python reprs: "password": "...", 'client_secret': '...'
    (
        ('"', "'"),
        re.compile(
            r"""(["'][\w-]*(?:pass(?:word|wd)?|secret|token|app_?key|api_?key|authori[sz]ation)"""
            r"""[\w-]*["']\s*[:=]\s*)(["'])(?:\\.|(?!\2).)*\2""",
            re.IGNORECASE,
        ),
        rf"\1\2{MASK}\2",
    ),
    # XML elements: <Password>...</Password>, <ns0:Password>...</ns0:Password>
    (
        ("<",),
        re.compile(r"(<(?:[\w-]+:)?(Password|Secret|Token)>)[^<]*(</)", re.IGNORECASE),
        rf"\1{MASK}\3",
    ),
)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with credentials in well-known shapes, and each of `secrets`, masked."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return _redact_shapes(text)


def _redact_shapes(text: str) -> str:
    lowered = text.lower()
    for guards, pattern, replacement in _PATTERNS:
        if any(g in lowered for g in guards):
            text = pattern.sub(replacement, text)
    return text


def redact_url(url: str) -> str:
    """A URL safe to log: no user:password@, and token-like query values masked."""
    return redact_text(url)


@dataclass
class Redactor:
    """A structlog processor that masks secrets in an event, at any depth."""

    secrets: set[str] = field(default_factory=set)
    min_length: int = 4  # shorter values would mask half the log (and are no real secret)
    _known: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def add_secret(self, value: str) -> None:
        if len(value) >= self.min_length and value not in self.secrets:
            self.secrets.add(value)
            self._known = None

    def text(self, value: str) -> str:
        if self.secrets:
            if self._known is None:  # one alternation, longest first, rebuilt on change
                ordered = sorted(self.secrets, key=len, reverse=True)
                self._known = re.compile("|".join(re.escape(s) for s in ordered))
            value = self._known.sub(MASK, value)
        return _redact_shapes(value)

    def value(self, value: Any, *, secret_key: bool = False) -> Any:
        if isinstance(value, SecretStr | SecretBytes):
            return MASK
        if isinstance(value, str | bytes):
            if secret_key:
                return MASK
            text = value if isinstance(value, str) else value.decode("utf-8", "replace")
            return self.text(text)
        if isinstance(value, Mapping):
            return {k: self.value(v, secret_key=_is_secret_key(k)) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v, secret_key=secret_key) for v in value]
        return value  # numbers, booleans, None, datetimes: kept as they are

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event_dict):
            event_dict[key] = self.value(event_dict[key], secret_key=_is_secret_key(key))
        return event_dict


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and bool(SECRET_KEY.search(key))


@dataclass
class LoggingHandle:
    """What `configure_logging` installed; `close()` removes it and closes the log file."""

    redactor: Redactor
    handlers: list[logging.Handler]
    previous_levels: dict[str, int] = field(default_factory=dict)

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        self.handlers.clear()
        for name, level in self.previous_levels.items():
            logging.getLogger(name or None).setLevel(level)
        self.previous_levels.clear()
        structlog.reset_defaults()


def _event_log_handlers(shared: list[Any], renderer: Any) -> list[logging.Handler]:
    """Errors to the Windows Event Log (Application, source "ml-connector"), redacted like
    every other record; none when pywin32's event log support is missing."""
    try:
        handler = logging.handlers.NTEventLogHandler("ml-connector")
    except (ImportError, OSError):  # no pywin32, or no right to register the source
        return []
    handler.setLevel(logging.ERROR)
    handler.setFormatter(_formatter(shared, renderer))
    return [handler]


def configure_logging(
    settings: LoggingSettings,
    *,
    service: bool = False,
    stream: TextIO | None = None,
    redactor: Redactor | None = None,
    console_level: str | None = None,
) -> LoggingHandle:
    """Install structlog + stdlib handlers for the process (replacing any we installed).

    `stream` defaults to stderr (absent under a Windows service: no console handler then).
    `console_level` raises the console's threshold above the config's level (a person's
    terminal: "WARNING"); the log file always gets the config's level.
    """
    redactor = redactor or Redactor()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
        old.close()

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,  # plain text, no locals; then redacted
        structlog.processors.UnicodeDecoder(),
        redactor,
    ]
    json_renderer = structlog.processors.JSONRenderer(sort_keys=False, default=str)
    handlers: list[logging.Handler] = []
    out = stream if stream is not None else sys.stderr
    if out is not None:
        as_json = settings.format == "json" or (settings.format == "auto" and service)
        console = logging.StreamHandler(out)
        console.setFormatter(
            _formatter(
                shared,
                json_renderer
                if as_json
                else structlog.dev.ConsoleRenderer(
                    colors=False, exception_formatter=structlog.dev.plain_traceback
                ),
            )
        )
        if console_level is not None:
            console.setLevel(console_level)
        handlers.append(console)
    if settings.to_file:
        try:  # opened now, so that a bad path stops the start instead of losing every record
            settings.file.parent.mkdir(parents=True, exist_ok=True)
            file_handler = logging.handlers.RotatingFileHandler(
                settings.file,
                maxBytes=settings.max_bytes,
                backupCount=settings.backup_count,
                encoding="utf-8",
            )
        except OSError as exc:
            for handler in handlers:
                handler.close()
            raise ConfigError(
                f"cannot open the log file {settings.file}: {exc.strerror}",
                operation="configure logging",
                hint="Check [logging] file and that this account may write to its folder "
                "(or set to_file = false).",
            ) from exc
        file_handler.setFormatter(_formatter(shared, json_renderer))
        handlers.append(file_handler)
    if service and sys.platform == "win32":
        handlers.extend(_event_log_handlers(shared, json_renderer))

    noisy = ("zeep", "httpx", "httpcore", "urllib3", "alembic")
    previous = {name: logging.getLogger(name or None).level for name in ("", *noisy)}
    for handler in handlers:
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    root.setLevel(settings.level)
    # zeep logs whole envelopes at DEBUG and httpx every request at INFO: keep them quiet.
    for name in noisy:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return LoggingHandle(redactor, handlers, previous)


def _formatter(shared: list[Any], renderer: Any) -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
