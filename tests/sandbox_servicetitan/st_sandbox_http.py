"""HTTP helper for the ServiceTitan sandbox tests (plain httpx, not our client)."""

from __future__ import annotations

from typing import Any

import httpx

from ml_connector.sandbox.servicetitan.server import RunningSandbox


class Api:
    """A thin httpx wrapper that knows the sandbox's URL shape and holds one token."""

    def __init__(self, sb: RunningSandbox) -> None:
        self.sb = sb
        self.http = httpx.Client(timeout=30.0)
        self.token = sb.token()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "ST-App-Key": self.sb.app_key}

    def get(self, module: str, path: str, params: Any = None) -> httpx.Response:
        return self.http.get(self.sb.api_url(module, path), params=params, headers=self.headers())

    def ok(self, module: str, path: str, params: Any = None) -> Any:
        response = self.get(module, path, params)
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, method: str, module: str, path: str, body: Any) -> httpx.Response:
        return self.http.request(
            method, self.sb.api_url(module, path), json=body, headers=self.headers()
        )

    def all_pages(self, module: str, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.ok(module, path, {**params, "page": page})
            records.extend(body["data"])
            if not body["hasMore"]:
                return records
            page += 1

    def close(self) -> None:
        self.http.close()
