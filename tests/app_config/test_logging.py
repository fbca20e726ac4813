"""Logging: JSON lines or console, the rotating file, and redaction of every secret shape."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from ml_connector.app.config.models import LoggingSettings
from ml_connector.app.config.secrets import SecretRef, SecretStore
from ml_connector.app.logging import (
    LoggingHandle,
    Redactor,
    configure_logging,
    redact_text,
    redact_url,
)
from ml_connector.errors import ConfigError
from ml_connector.sage100.webservices import SageWebServicesClient, WebServicesSettings
from ml_connector.sandbox.webservices import demo_sandbox, running_webservices


def _settings(tmp_path: Path, **values: object) -> LoggingSettings:
    return LoggingSettings.model_validate(values, context={"base_dir": tmp_path})


@pytest.fixture
def handles() -> Iterator[list[LoggingHandle]]:
    installed: list[LoggingHandle] = []
    yield installed
    for handle in installed:
        handle.close()


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi"),
        ("sent header authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("GET https://api.example.com/v2/x?page=1&access_token=tok123", "tok123"),
        ("grant_type=client_credentials&client_id=cid&client_secret=cs-777", "cs-777"),
        ("connect postgresql+psycopg://mlc:pg-pass-9@db01/mlc", "pg-pass-9"),
        ('{"client_secret": "cs-888", "tenant": 5}', "cs-888"),
        ("{'password': 'pw-999'}", "pw-999"),
        ("<ns0:Logon><ns0:Password>pw-111</ns0:Password></ns0:Logon>", "pw-111"),
        ("headers: ST-App-Key: ak-222", "ak-222"),
        ("callback https://hooks.example.com/x?sig=abcdef123&x=1", "abcdef123"),
    ],
)
def test_redact_text_masks_every_shape(text: str, leak: str) -> None:
    redacted = redact_text(text)
    assert leak not in redacted
    assert "***" in redacted


def test_redaction_keeps_what_is_not_secret() -> None:
    text = "page=2&pageSize=5000 tenant 1234567 vendor FERGUSON https://api.example.com/v2?x=1"
    assert redact_text(text) == text
    assert (
        redact_url("https://u:p@h.example/p?token=t&a=b") == "https://***@h.example/p?token=***&a=b"
    )


@given(st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s and len(s) >= 4))
def test_registered_secret_values_never_survive(secret: str) -> None:
    redactor = Redactor()
    redactor.add_secret(secret)
    event = redactor(None, "info", {"event": f"x {secret} y", "nested": {"a": [secret]}})
    assert secret not in json.dumps(event)


def test_processor_masks_by_key_at_any_depth() -> None:
    redactor = Redactor()
    event = redactor(
        None,
        "info",
        {
            "event": "call",
            "password": "p1",
            "headers": {"Authorization": "Bearer x", "Accept": "application/json"},
            "creds": [{"client_secret": "c1"}],
            "tokens_issued": 4,
            "value": SecretStr("s1"),
        },
    )
    assert event["password"] == "***"
    assert event["headers"] == {"Authorization": "***", "Accept": "application/json"}
    assert event["creds"] == [{"client_secret": "***"}]
    assert event["tokens_issued"] == 4  # numbers under secret-like keys are counts, not secrets
    assert event["value"] == "***"


def test_service_mode_writes_json_lines_to_console_and_file(
    tmp_path: Path, handles: list[LoggingHandle]
) -> None:
    out = io.StringIO()
    settings = _settings(tmp_path, level="debug")
    handles.append(configure_logging(settings, service=True, stream=out))
    structlog.get_logger("ml_connector.test").info("cycle done", pair="main", written=3)
    logging.getLogger("some.library").warning("GET /x?access_token=abc")
    handles[0].close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["event"] == "cycle done"
    assert lines[0]["pair"] == "main"
    assert lines[0]["level"] == "info"
    assert lines[0]["timestamp"].endswith("Z")
    assert lines[1]["event"] == "GET /x?access_token=***"
    file_lines = (tmp_path / "logs" / "ml-connector.log").read_text("utf-8").splitlines()
    assert [json.loads(line)["event"] for line in file_lines] == ["cycle done", lines[1]["event"]]


def test_console_mode_is_readable_and_exceptions_carry_no_locals(
    tmp_path: Path, handles: list[LoggingHandle]
) -> None:
    out = io.StringIO()
    handles.append(configure_logging(_settings(tmp_path, to_file=False), stream=out))
    handles[0].redactor.add_secret("ws-pass-4321")
    log = structlog.get_logger("ml_connector.test")
    try:
        local_password = "local-var-secret"  # noqa: F841  # must not appear: no locals shown
        raise RuntimeError("logon failed for ws-pass-4321")
    except RuntimeError:
        log.exception("check failed", url="https://sage01/x.svc?token=zz")
    text = out.getvalue()
    assert "check failed" in text
    assert not text.lstrip().startswith("{")
    assert "Traceback" in text
    assert "ws-pass-4321" not in text
    assert "local-var-secret" not in text
    assert "token=***" in text
    assert not (tmp_path / "logs").exists()


def test_the_file_rotates(tmp_path: Path, handles: list[LoggingHandle]) -> None:
    settings = _settings(tmp_path, max_bytes=100_000, backup_count=2)
    handles.append(configure_logging(settings, service=True, stream=io.StringIO()))
    log = structlog.get_logger("ml_connector.test")
    for i in range(1500):
        log.info("filler", i=i, text="x" * 100)
    handles[0].close()
    names = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert names == ["ml-connector.log", "ml-connector.log.1", "ml-connector.log.2"]


def test_reconfiguring_replaces_our_handlers(tmp_path: Path, handles: list[LoggingHandle]) -> None:
    first, second = io.StringIO(), io.StringIO()
    settings = _settings(tmp_path, to_file=False)
    handles.append(configure_logging(settings, stream=first))
    handles.append(configure_logging(settings, stream=second))
    structlog.get_logger("t").info("only once")
    assert first.getvalue() == ""
    assert second.getvalue().count("only once") == 1


def test_no_password_reaches_the_log_through_the_webservices_client(
    tmp_path: Path, handles: list[LoggingHandle]
) -> None:
    out = io.StringIO()
    handle = configure_logging(_settings(tmp_path, level="DEBUG", to_file=False), stream=out)
    handles.append(handle)
    logging.getLogger("zeep").setLevel(logging.DEBUG)  # even if someone turns zeep up
    password = "ws-pass-not-in-logs"
    store = SecretStore(environ={"WS_PW": password}, on_resolve=handle.redactor.add_secret)
    sandbox = demo_sandbox()
    sandbox.password = password
    with running_webservices(sandbox) as ws:
        settings = WebServicesSettings(
            url=ws.url,
            company="ABC",
            user="sandbox",
            password=store.resolve(SecretRef.parse("env:WS_PW")),
        )
        with SageWebServicesClient(settings) as client:
            client.ping()
            structlog.get_logger("t").debug("envelopes", history=client.history.dump())
    assert "envelopes" in out.getvalue()
    assert password not in out.getvalue()


def test_an_unwritable_log_file_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        configure_logging(_settings(tmp_path), stream=io.StringIO())
    assert "cannot open the log file" in str(caught.value)
    assert not [h for h in logging.getLogger().handlers if getattr(h, "_ml_connector_handler", 0)]


def test_status_codes_are_not_mistaken_for_secrets() -> None:
    text = "HTTP status code=503 companyCode=ABC page=2"
    assert redact_text(text) == text
