"""Serving the sandbox: `serve` (the CLI, foreground) and `running_sandbox` (tests, a thread).

`running_sandbox(state_dir, ...)` seeds the state when it is new, serves the app with uvicorn
in a background thread on a free loopback port, yields a `RunningSandbox` (base URL,
credentials, admin helpers) and shuts the server down cleanly on exit:

    with running_sandbox(tmp_path, size=500) as sb:
        httpx.post(f"{sb.base_url}/connect/token", data={...})
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ml_connector.clock import Clock
from ml_connector.sandbox.servicetitan.app import build_app
from ml_connector.sandbox.servicetitan.faults import Faults
from ml_connector.sandbox.servicetitan.seeding import prepare_state
from ml_connector.sandbox.servicetitan.settings import SandboxSettings
from ml_connector.sandbox.servicetitan.store import RecordStore


@dataclass
class RunningSandbox:
    """A sandbox serving on loopback; the admin helpers call its `/_sandbox/` API."""

    base_url: str
    tenant_id: int
    client_id: str
    client_secret: str
    app_key: str
    state_dir: Path
    seeded: dict[str, Any]

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method, f"{self.base_url}/_sandbox/{path}", json=body, timeout=30.0
        )
        response.raise_for_status()
        return response.json()

    def api_url(self, module: str, path: str) -> str:
        """`{base_url}/{module}/v2/tenant/{tenant}/{path}`."""
        return f"{self.base_url}/{module}/v2/tenant/{self.tenant_id}/{path.lstrip('/')}"

    def stats(self) -> dict[str, Any]:
        return dict(self._admin("GET", "stats"))

    def reset_stats(self) -> None:
        self._admin("POST", "stats/reset")

    def set_faults(self, spec: str | dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
        """Replace the faults: a spec string, a dict, or keywords (`rate429=0.5`); none clears."""
        body: dict[str, Any] = {"spec": spec} if isinstance(spec, str) else dict(spec or {})
        body.update(values)
        if not body:
            body = {"spec": ""}
        return dict(self._admin("PUT", "faults", body))

    def upsert(self, resource: str, records: list[dict[str, Any]]) -> list[int]:
        return list(self._admin("PUT", f"records/{resource}", records)["ids"])

    def revoke_tokens(self) -> None:
        self._admin("POST", "tokens/revoke")

    def token(self) -> str:
        """A fresh access token (counts against the token throttle)."""
        response = httpx.post(
            f"{self.base_url}/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            timeout=30.0,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _free_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it, Nagle + delayed ACK add ~40 ms per call.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def _prepare(state_dir: Path, seed: str, size: int, data_dir: Path | None) -> dict[str, Any]:
    store = RecordStore.open(state_dir)
    try:
        return prepare_state(store, seed=seed, size=size, data_dir=data_dir)
    finally:
        store.close()


@contextlib.contextmanager
def running_sandbox(
    state_dir: Path,
    *,
    seed: str = "demo",
    size: int = 200,
    data_dir: Path | None = None,
    faults: str | None = None,
    token_lifetime: int = 900,
    settings: SandboxSettings | None = None,
    clock: Clock | None = None,
) -> Iterator[RunningSandbox]:
    """Serve the sandbox in a background thread on 127.0.0.1 (free port) until the block ends."""
    settings = dataclasses.replace(settings or SandboxSettings(), token_lifetime=token_lifetime)
    seeded = _prepare(state_dir, seed, size, data_dir)
    app = build_app(state_dir, settings, clock=clock, faults=Faults.parse(faults))
    sock = _free_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="st-sandbox", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the ServiceTitan sandbox did not start")
        time.sleep(0.01)
    port = sock.getsockname()[1]
    try:
        yield RunningSandbox(
            base_url=f"http://127.0.0.1:{port}",
            tenant_id=settings.tenant_id,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            app_key=settings.app_key,
            state_dir=state_dir,
            seeded=seeded,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        app.state.sandbox.store.close()


def serve(
    state_dir: Path,
    *,
    host: str,
    port: int,
    seed: str,
    size: int,
    data_dir: Path | None,
    faults: str | None,
    settings: SandboxSettings,
    announce: Callable[[str, dict[str, Any]], None] | None = None,
) -> None:
    """Seed when new and serve in the foreground until interrupted (the CLI).

    `announce(base_url, seeded)` is called once the socket is bound (the real port when 0).
    """
    seeded = _prepare(state_dir, seed, size, data_dir)
    app = build_app(state_dir, settings, faults=Faults.parse(faults))
    sock = _free_socket(host, port)
    if announce is not None:
        bound_host, bound_port = sock.getsockname()[:2]
        announce(f"http://{bound_host}:{bound_port}", seeded)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        app.state.sandbox.store.close()
