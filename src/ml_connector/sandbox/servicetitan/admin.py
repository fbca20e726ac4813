"""The admin API under `/_sandbox/` (no auth; the sandbox binds loopback):

- `GET /_sandbox/stats`, `POST /_sandbox/stats/reset`: tokens issued, requests per path,
  responses per status, 429s and 5xx sent.
- `GET /_sandbox/faults`; `PUT /_sandbox/faults` with `{"spec": "rate429=0.2,..."}` or a JSON
  object of the same names (`{"rate5xx": 0.1, "unlicensed": ["inventory"]}`), replacing the
  faults in force.
- `PUT /_sandbox/records/{resource}` with a JSON array: each record is merged over the stored
  one with the same `id` (or added), and gets a fresh `modifiedOn`. Answers `{"ids": [...]}`.
  A vendor's external data per application goes in `"_external": {"<guid>": [{key, value}]}`.
- `POST /_sandbox/tokens/revoke`: every token issued so far answers 401 from now on.
- `POST /_sandbox/webhooks/send` with `{url, type, data, hmacKey, header, encoding}`: sends one
  CloudEvents 1.0 delivery to `url`, signed with HMAC-SHA256 of the raw body (`encoding` hex,
  the default, or base64) in `header` (default `X-ServiceTitan-Signature`). Optional `id` and
  `userassignedid` let a test replay the same occurrence. Answers the receiver's status.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ml_connector.sandbox.servicetitan.app import SandboxState
from ml_connector.sandbox.servicetitan.faults import Faults, FaultSpecError
from ml_connector.sandbox.servicetitan.problems import ApiProblem, validation_problem
from ml_connector.sandbox.servicetitan.store import RESOURCES, format_instant

DEFAULT_SIGNATURE_HEADER = "X-ServiceTitan-Signature"


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError as exc:
        raise validation_problem({"body": [f"The body is not valid JSON: {exc}"]}) from exc


def _problem_safe(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiProblem as problem:
            return problem.response()

    return endpoint


async def stats(request: Request) -> Response:
    return JSONResponse(_state(request).stats.snapshot())


async def reset_stats(request: Request) -> Response:
    _state(request).stats.reset()
    return JSONResponse({"reset": True})


async def get_faults(request: Request) -> Response:
    return JSONResponse(_state(request).faults.current.as_json())


async def put_faults(request: Request) -> Response:
    body = await _body(request)
    try:
        if isinstance(body, dict) and set(body) == {"spec"}:
            faults = Faults.parse(str(body["spec"]))
        elif isinstance(body, dict):
            faults = Faults()
            for name, value in body.items():
                faults = faults.with_value(name, value)
        else:
            raise FaultSpecError('send {"spec": "..."} or an object of fault values')
    except FaultSpecError as exc:
        raise validation_problem({"faults": [str(exc)]}) from exc
    _state(request).faults.set(faults)
    return JSONResponse(faults.as_json())


async def put_records(request: Request) -> Response:
    state = _state(request)
    resource = request.path_params["resource"]
    if resource not in RESOURCES:
        raise ApiProblem(404, f"Unknown resource '{resource}'; known: {', '.join(RESOURCES)}")
    body = await _body(request)
    if not isinstance(body, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), int) for r in body
    ):
        raise validation_problem({"body": ["Send a JSON array of records, each with an int id."]})
    merged = []
    for record in body:
        current = state.store.get(resource, record["id"]) or {}
        current.update(record)
        if resource == "vendors":
            current.setdefault("externalData", [])
            external = current.get("_external")
            if isinstance(external, dict):  # {guid: [{key, value}]}, GUIDs kept lower case
                current["_external"] = {str(k).lower(): v for k, v in external.items()}
        merged.append(current)
    ids = state.store.save(resource, merged, state.clock.now())
    return JSONResponse({"ids": ids})


async def revoke_tokens(request: Request) -> Response:
    _state(request).issuer.revoke_all()
    return JSONResponse({"revoked": True})


async def send_webhook(request: Request) -> Response:
    state = _state(request)
    body = await _body(request)
    if not isinstance(body, dict) or not isinstance(body.get("url"), str):
        raise validation_problem({"url": ["The url field is required."]})
    encoding = body.get("encoding") or "hex"
    if encoding not in ("hex", "base64"):
        raise validation_problem({"encoding": ["Use hex or base64."]})
    event = {
        "specversion": "1.0",
        "id": body.get("id") or str(uuid.uuid4()),
        "type": body.get("type") or "tn.acc.invoice-posted",
        "time": format_instant(state.clock.now()),
        "source": "https://webhooks.servicetitan.io",
        "userassignedid": body.get("userassignedid") or str(uuid.uuid4()),
        "datacontenttype": "application/json",
        "data": body.get("data") or {},
    }
    raw = json.dumps(event, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/cloudevents+json; charset=utf-8"}
    key = body.get("hmacKey")
    if key:
        digest = hmac.new(str(key).encode(), raw, hashlib.sha256).digest()
        signature = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
        headers[str(body.get("header") or DEFAULT_SIGNATURE_HEADER)] = signature
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            answer = await client.post(body["url"], content=raw, headers=headers)
    except httpx.HTTPError as exc:
        return JSONResponse(
            {
                "delivered": False,
                "error": type(exc).__name__,
                "id": event["id"],
                "userassignedid": event["userassignedid"],
            },
            status_code=502,
        )
    return JSONResponse(
        {
            "delivered": 200 <= answer.status_code < 300,
            "status": answer.status_code,
            "id": event["id"],
            "userassignedid": event["userassignedid"],
        }
    )


def admin_routes() -> list[Route]:
    return [
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/stats/reset", reset_stats, methods=["POST"]),
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", _problem_safe(put_faults), methods=["PUT"]),
        Route("/_sandbox/records/{resource}", _problem_safe(put_records), methods=["PUT"]),
        Route("/_sandbox/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route("/_sandbox/webhooks/send", _problem_safe(send_webhook), methods=["POST"]),
    ]
