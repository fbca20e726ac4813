"""Secret references and how they are resolved: the config file never holds a secret.

A secret reference is one of

    keyring:<service>/<name>   the operating system's credential store through `keyring`
                               (Windows Credential Manager on Windows); <service> is a word
                               such as "ml-connector", <name> anything, e.g. "main/st-secret"
    env:<VAR>                  the environment variable VAR (e.g. set by systemd's
                               EnvironmentFile= or a container)
    sandbox:<value>            a literal value, accepted only for a loopback sandbox endpoint
                               (the sandboxes' default credentials are public); the config
                               refuses it anywhere else

`SecretStore` resolves references to pydantic `SecretStr`s and stores keyring secrets. A
missing secret is a `ConfigError` that names the reference and the Windows/Unix account the
process runs as (credential stores are per account: a secret stored by an administrator is
invisible to a service running as LocalSystem), never a value. `MemoryKeyring` is an
in-memory keyring backend for tests and the demo.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.compat import properties
from pydantic import SecretStr

from ml_connector.errors import ConfigError

SecretKind = Literal["keyring", "env", "sandbox"]

_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

REFERENCE_FORMS = "keyring:<service>/<name> or env:<VAR>"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret lives. `str()` is safe to show; `to_config()` is what the file holds."""

    kind: SecretKind
    service: str = ""  # keyring service
    name: str = ""  # keyring user name, or the environment variable
    literal: SecretStr | None = None  # sandbox only (SecretStr compares by value)

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        """Parse a reference; the message of the ValueError never quotes the text."""
        if not isinstance(text, str):
            raise ValueError(f"a secret reference is a string: {REFERENCE_FORMS}")
        kind, sep, rest = text.partition(":")
        if not sep or kind not in ("keyring", "env", "sandbox"):
            raise ValueError(
                f"not a secret reference (secrets are never written in the config file): "
                f"write {REFERENCE_FORMS}"
            )
        if kind == "keyring":
            service, slash, name = rest.partition("/")
            if not slash or not _SERVICE.match(service) or not name or _CONTROL.search(name):
                raise ValueError(
                    "a keyring reference is keyring:<service>/<name>, e.g. "
                    "keyring:ml-connector/main.st-client-secret"
                )
            return cls("keyring", service=service, name=name)
        if kind == "env":
            if not _ENV_VAR.match(rest):
                raise ValueError("an environment reference is env:<VAR>, e.g. env:ST_SECRET")
            return cls("env", name=rest)
        if not rest:
            raise ValueError("a sandbox reference is sandbox:<value>")
        return cls("sandbox", literal=SecretStr(rest))

    @classmethod
    def sandbox(cls, value: str) -> SecretRef:
        return cls("sandbox", literal=SecretStr(value))

    @property
    def is_literal(self) -> bool:
        return self.kind == "sandbox"

    def to_config(self) -> str:
        """The text written to the config file (the literal itself for a sandbox value)."""
        if self.kind == "keyring":
            return f"keyring:{self.service}/{self.name}"
        if self.kind == "env":
            return f"env:{self.name}"
        return f"sandbox:{self._literal_value()}"

    def _literal_value(self) -> str:
        if self.literal is None:
            raise ValueError("a sandbox reference without a value")
        return self.literal.get_secret_value()

    def __str__(self) -> str:
        return "sandbox:***" if self.kind == "sandbox" else self.to_config()

    def __repr__(self) -> str:
        return f"SecretRef({str(self)!r})"


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps secrets in a dict: for tests and the demo.

    Never chosen by keyring's automatic detection (it is not "viable"); pass it explicitly:
    `SecretStore(keyring_backend=MemoryKeyring())`.
    """

    def __init__(self, entries: Mapping[tuple[str, str], str] | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring: unannotated
        self.entries: dict[tuple[str, str], str] = dict(entries or {})

    @properties.classproperty
    def priority(cls) -> float:
        # Raising makes the backend "not viable": keyring never picks it by itself.
        raise RuntimeError("MemoryKeyring is only used when passed explicitly")

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such secret")


def current_identity() -> str:
    """The account this process runs as, e.g. 'CONTOSO\\svc-mlc' or 'root'."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    domain = os.environ.get("USERDOMAIN", "") if sys.platform == "win32" else ""
    return f"{domain}\\{user}" if domain else user


def _store_hint(ref: SecretRef) -> str:
    who = current_identity()
    hint = (
        f"Store it with `ml-connector secrets set {ref}` run as {who} (the account that runs "
        "the connector). Credential stores are per account: a secret stored by another user "
        "is invisible here."
    )
    if sys.platform == "win32":
        hint += (
            " For a Windows service running as LocalSystem, store it from a SYSTEM prompt "
            "(`ml-connector secrets set --for-service-account` prints how), or run the service "
            "as a dedicated account and store the secret as that account."
        )
    return hint


class SecretStore:
    """Resolves secret references; stores and deletes keyring secrets.

    `environ` defaults to `os.environ`; `keyring_backend` to keyring's own choice (Windows
    Credential Manager, macOS Keychain, Secret Service...). `on_resolve` is called with every
    value resolved, e.g. to teach the log redactor the values it must never print.
    """

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        keyring_backend: KeyringBackend | None = None,
        on_resolve: Callable[[str], None] | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._backend = keyring_backend
        self._on_resolve = on_resolve

    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    def describe_backend(self) -> str:
        backend = self.backend
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def resolve(self, ref: SecretRef, *, key: str | None = None) -> SecretStr:
        """The secret's value. `key` (the config key, e.g. pairs.main.sage100.password) is
        only used in error messages."""
        where = f"{key} = {ref}" if key else str(ref)
        if ref.kind == "sandbox":
            value = ref._literal_value()
        elif ref.kind == "env":
            value = self._environ.get(ref.name, "")
            if not value:
                raise ConfigError(
                    f"secret {where}: the environment variable {ref.name} is not set or empty",
                    hint=(
                        f"Set {ref.name} in the environment of the connector (for a systemd "
                        "unit: EnvironmentFile=; for a Windows service: the service's "
                        "environment), or use a keyring: reference instead."
                    ),
                )
        else:
            value = self._keyring_get(ref, where)
        if self._on_resolve is not None:
            self._on_resolve(value)
        return SecretStr(value)

    def _keyring_get(self, ref: SecretRef, where: str) -> str:
        backend = self.backend
        try:
            value = backend.get_password(ref.service, ref.name)
        except keyring.errors.KeyringLocked as exc:
            raise ConfigError(
                f"secret {where}: the credential store is locked",
                hint="Unlock the keyring for this account, or use an env: reference.",
            ) from exc
        except keyring.errors.KeyringError as exc:  # NoKeyringError, InitError, ...
            raise ConfigError(
                f"secret {where}: no usable credential store on this machine "
                f"({self.describe_backend()}: {type(exc).__name__})",
                hint=(
                    "On a server without a desktop keyring, use env:<VAR> references, or "
                    "configure a keyring backend (see docs/soap-config.md, 'Secrets')."
                ),
            ) from exc
        if not value:
            raise ConfigError(
                f"secret {where} is not in the credential store of {current_identity()} "
                f"({self.describe_backend()})",
                hint=_store_hint(ref),
            )
        return value

    def store(self, ref: SecretRef, value: SecretStr) -> None:
        """Put a keyring secret; only keyring: references can be stored."""
        if ref.kind != "keyring":
            raise ConfigError(
                f"{ref} cannot be stored: only keyring: references live in a credential store",
                hint="Set environment variables where the connector runs; sandbox: values "
                "live in the config itself.",
            )
        if not value.get_secret_value():
            raise ConfigError(f"refusing to store an empty secret for {ref}")
        try:
            self.backend.set_password(ref.service, ref.name, value.get_secret_value())
        except keyring.errors.KeyringError as exc:
            raise ConfigError(
                f"cannot store {ref} in {self.describe_backend()}: {type(exc).__name__}",
                hint="Check that this account has a usable credential store.",
            ) from exc

    def delete(self, ref: SecretRef) -> None:
        if ref.kind != "keyring":
            raise ConfigError(f"{ref} is not a keyring: reference")
        try:
            self.backend.delete_password(ref.service, ref.name)
        except keyring.errors.PasswordDeleteError as exc:
            raise ConfigError(f"{ref} is not in the credential store") from exc
        except keyring.errors.KeyringError as exc:
            raise ConfigError(f"cannot delete {ref}: {type(exc).__name__}") from exc
