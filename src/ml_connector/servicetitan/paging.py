"""Streaming ServiceTitan lists and export feeds page by page, and validating records.

List endpoints: `page` from 1, `pageSize` (5000 at most here), `hasMore`. Sort order is not
trusted, so every page is read until `hasMore` is false. Export feeds: `from` (a
`continueFrom` token or a date) and `hasMore`; `ExportFeed.continue_from` is the cursor to
keep once its records have been handled.

Only one page is held at a time, so memory does not grow with the number of records.

Records are validated one by one into the pydantic models of `records.py`. A record that
fails does not end the stream: it becomes an `InvalidRecordError` (action SKIP) handed to
the `on_invalid` callback (the client collects them in `client.invalid_records` and logs
them), and the iterator moves on to the next record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ml_connector.servicetitan.errors import InvalidRecordError, MalformedResponseError
from ml_connector.servicetitan.transport import QueryValue

MAX_PAGE_SIZE = 5000

M = TypeVar("M", bound=BaseModel)

Fetch = Callable[[Mapping[str, QueryValue]], Any]


def id_chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    """Distinct ids, sorted, in lists of at most `size` (the `ids` filters take 50)."""
    unique = sorted({int(i) for i in ids})
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def _envelope(body: Any, *, operation: str, keys: tuple[str, ...]) -> tuple[list[Any], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise MalformedResponseError(
            f"the answer to {operation} is not a ServiceTitan page (no 'data' list)",
            operation=operation,
        )
    has_more = body.get("hasMore")
    if not isinstance(has_more, bool):
        raise MalformedResponseError(
            f"the answer to {operation} has no boolean 'hasMore'", operation=operation
        )
    for key in keys:
        if key not in body:
            raise MalformedResponseError(
                f"the answer to {operation} has no '{key}'", operation=operation
            )
    return body["data"], has_more


def iter_pages(
    fetch: Fetch,
    params: Mapping[str, QueryValue],
    *,
    operation: str,
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[list[Any]]:
    """Each page's `data` of a paginated list, from page 1 until `hasMore` is false."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    page = 1
    while True:
        body = fetch({**params, "page": page, "pageSize": page_size})
        data, has_more = _envelope(body, operation=operation, keys=())
        if len(data) > page_size:
            raise MalformedResponseError(
                f"page {page} of {operation} holds {len(data)} records, more than pageSize "
                f"{page_size}",
                operation=operation,
            )
        yield data
        if not has_more:
            return
        if not data:
            raise MalformedResponseError(
                f"page {page} of {operation} is empty but says hasMore", operation=operation
            )
        page += 1


@dataclass(slots=True)
class ExportPage:
    data: list[Any]
    continue_from: str
    has_more: bool


def iter_export(
    fetch: Fetch,
    params: Mapping[str, QueryValue],
    *,
    operation: str,
    start: str | None,
) -> Iterator[ExportPage]:
    """Pages of an export feed from `start` (a continueFrom token, a date, or None for the
    beginning) until the feed says it has caught up."""
    token = start
    while True:
        body = fetch({**params, "from": token})
        data, has_more = _envelope(body, operation=operation, keys=("continueFrom",))
        raw_next = body.get("continueFrom")
        next_token = str(raw_next) if raw_next is not None else (token or "")
        yield ExportPage(data, next_token, has_more)
        if not has_more:
            return
        if next_token == token and not data:
            raise MalformedResponseError(
                f"{operation} says hasMore but neither moves nor returns records",
                operation=operation,
            )
        token = next_token


def validate_records(
    pages: Iterator[list[Any]],
    model: type[M],
    *,
    resource: str,
    operation: str,
    on_invalid: Callable[[InvalidRecordError], None],
) -> Iterator[M]:
    """Records of `model` from raw pages; an invalid one goes to `on_invalid`, not up."""
    for page in pages:
        for index, raw in enumerate(page):
            page[index] = None  # free each raw dict once validated: only models stay alive
            record = validate_one(raw, model, resource=resource, operation=operation)
            del raw
            if isinstance(record, InvalidRecordError):
                on_invalid(record)
            else:
                yield record


def validate_one(
    raw: Any, model: type[M], *, resource: str, operation: str
) -> M | InvalidRecordError:
    """`model` from one raw record, or the InvalidRecordError that says why not."""
    record_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(raw, dict):
        return InvalidRecordError(
            f"a {resource} record is not a JSON object",
            resource=resource,
            record_id=None,
            problems=[f"got {type(raw).__name__}"],
            operation=operation,
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(record)'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        ][:10]
        return InvalidRecordError(
            f"{resource} {record_id} does not validate: {'; '.join(problems)}",
            resource=resource,
            record_id=record_id,
            problems=problems,
            operation=operation,
        )


class ExportFeed(Generic[M]):
    """An export feed as an iterator of records; `continue_from` is the cursor after the
    last page whose records were all handed out (save it once they are processed)."""

    def __init__(
        self,
        pages: Iterator[ExportPage],
        model: type[M],
        *,
        resource: str,
        operation: str,
        start: str | None,
        on_invalid: Callable[[InvalidRecordError], None],
    ) -> None:
        self._pages = pages
        self._model = model
        self._resource = resource
        self._operation = operation
        self._on_invalid = on_invalid
        self.continue_from: str | None = start
        self.caught_up = False
        self._records = self._iterate()

    def __iter__(self) -> Iterator[M]:
        return self

    def __next__(self) -> M:
        return next(self._records)

    def _iterate(self) -> Iterator[M]:
        for page in self._pages:
            for index, raw in enumerate(page.data):
                page.data[index] = None  # free each raw dict once validated
                record = validate_one(
                    raw, self._model, resource=self._resource, operation=self._operation
                )
                if isinstance(record, InvalidRecordError):
                    self._on_invalid(record)
                else:
                    yield record
            self.continue_from = page.continue_from
            self.caught_up = not page.has_more
