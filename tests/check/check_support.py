"""What the check tests share (constants, the config writer, the CLI result); the fixtures
that use them live in conftest.py. A module of its own, with a unique name, so that test
modules import it safely (`from conftest import` is ambiguous across test folders)."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

# Distinctive values: a test fails if any of them shows up in any output.
ST_SECRET = "Qz7-client-SECRET-5521x"
APP_KEY = "ak-Zz91-APPKEY-3370q"
SAGE_PASSWORD = "SagePw-7Q2x-8841k"
TENANT = 4455667
SECRETS = (ST_SECRET, APP_KEY, SAGE_PASSWORD)

KEYRING_ENTRIES = {
    ("ml-connector", "demo.st-client-secret"): ST_SECRET,
    ("ml-connector", "st-app-key"): APP_KEY,
    ("ml-connector", "demo.sage-password"): SAGE_PASSWORD,
}


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ConfigMaker:
    """Writes a config file for both sandboxes, with overrides per section."""

    folder: Path
    st_base_url: str
    sage_root: Path

    def data(self) -> dict[str, Any]:
        """The config as parsed TOML (a fresh copy each time)."""
        return {
            "pairs": {
                "demo": {
                    "servicetitan": {
                        "environment": "custom",
                        "api_base": self.st_base_url,
                        "auth_url": f"{self.st_base_url}/connect/token",
                        "tenant_id": TENANT,
                        "client_id": "sandbox-client",
                        "client_secret": "keyring:ml-connector/demo.st-client-secret",
                        "app_key": "keyring:ml-connector/st-app-key",
                    },
                    "sage100": {
                        "mode": "sandbox",
                        "root": str(self.sage_root),
                        "company": "ABC",
                        "user": "sync",
                        "password": "keyring:ml-connector/demo.sage-password",
                    },
                }
            },
            "logging": {"file": "logs/check.log"},
        }

    def write(
        self,
        *,
        st: dict[str, Any] | None = None,
        sage: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> Path:
        data = copy.deepcopy(self.data())
        pair = data["pairs"]["demo"]
        pair["servicetitan"].update(st or {})
        pair["sage100"].update(sage or {})
        for key in drop:
            pair["sage100"].pop(key, None)
        for key, value in list(pair["sage100"].items()):
            if value is None:
                del pair["sage100"][key]
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "config.toml"
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        return path


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.stdout))

    def rows(self) -> dict[tuple[str, str], dict[str, str]]:
        """(system, name) -> row, from a --json run."""
        return {(r["system"], r["name"]): r for r in self.json()["checks"]}

    def assert_clean(self) -> None:
        """No traceback and no secret anywhere the user sees."""
        for text in (self.stdout, self.stderr):
            assert "Traceback" not in text
            for secret in SECRETS:
                assert secret not in text


Invoke = Callable[..., CliResult]
