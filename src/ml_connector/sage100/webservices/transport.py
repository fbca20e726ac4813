"""How the eBusiness Web Services client touches the outside world, and nothing more.

- `LocalWsdlTransport`: a zeep transport that loads the WSDL and its XSDs only from one folder
  on disk (never over the network, never outside that folder) and posts envelopes only to the
  configured service origin (`OriginBoundSession`), without zeep's debug log of the envelope
  (which would hold the password).
- `EnvelopeHistory`: a zeep plugin keeping the last few envelopes sent and received, with the
  password element and any known secret redacted, for `ml-connector check --verbose` and
  error reports.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs
from zeep import Plugin
from zeep.exceptions import TransportError
from zeep.transports import Transport

from ml_connector.sage100.errors import SageUnavailableError
from ml_connector.sage100.webservices.errors import safe_url, scrub

_XML_MEDIA_TYPES = frozenset(
    {"text/xml", "application/xml", "application/soap+xml", "multipart/related"}
)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# Elements whose text is a secret wherever they appear in an envelope.
SECRET_ELEMENTS = frozenset({"password", "creditcardno", "cardnumber", "cvv", "cvv2"})


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)


class OriginBoundSession(requests.Session):
    """A requests session that refuses any request to another origin than the service's.

    Redirects are followed only within that origin. Proxies and .netrc from the environment are
    ignored for a loopback service, so that tests and the sandbox never leave the machine.
    """

    def __init__(self, service_url: str) -> None:
        super().__init__()
        self._origin = _origin(service_url)
        if is_loopback(service_url):
            self.trust_env = False

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if _origin(url) != self._origin:
            raise SageUnavailableError(
                f"refused to contact {safe_url(url)}: the Web Services client talks only to "
                "the configured service URL",
                hint="Check the Web Services URL; the WSDL must not point elsewhere.",
            )
        return super().send(request, **kwargs)


class LocalWsdlTransport(Transport):
    """Loads WSDL/XSD documents from `wsdl_dir` only; posts only to the service origin."""

    def __init__(self, *, service_url: str, wsdl_dir: Path, timeout: float) -> None:
        super().__init__(  # type: ignore[no-untyped-call]  # zeep is not annotated
            timeout=timeout, operation_timeout=timeout, session=OriginBoundSession(service_url)
        )
        self._wsdl_dir = wsdl_dir.resolve()
        self.session.headers["User-Agent"] = "ml-connector (zeep)"
        self.session.adapters.pop("file://", None)  # zeep mounts a file adapter; we read files

    def load(self, url: str) -> bytes:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(url2pathname(parts.path))
        elif parts.scheme == "" or (len(parts.scheme) == 1 and url[1:3] in (":\\", ":/")):
            path = Path(url)  # a plain path (or a Windows drive path)
        else:
            raise SageUnavailableError(
                f"refused to fetch {safe_url(url)}: WSDL and XSD documents are read from disk only",
                hint="Save the document next to the WSDL and refer to it by a relative path.",
            )
        resolved = path.resolve()
        if not resolved.is_relative_to(self._wsdl_dir):
            raise SageUnavailableError(
                f"refused to read {resolved}: outside the WSDL folder {self._wsdl_dir}",
                hint="Keep the WSDL and the XSDs it imports in one folder.",
            )
        try:
            return resolved.read_bytes()
        except OSError as exc:
            raise SageUnavailableError(
                f"cannot read the Web Services WSDL/XSD {resolved}: {exc.strerror}",
                hint="Check the `wsdl` path in the config, or remove it to use the built-in one.",
            ) from exc

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        # Same as zeep's, minus its DEBUG log of the whole envelope (it holds the password),
        # plus a check that the answer is XML at all (IIS error pages are HTML; zeep would
        # stumble over them with an AttributeError).
        response = self.session.post(
            address, data=message, headers=headers, timeout=self.operation_timeout
        )
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media not in _XML_MEDIA_TYPES:
            raise TransportError(  # type: ignore[no-untyped-call]  # zeep is not annotated
                f"HTTP {response.status_code} with content type {media or '(none)'}",
                status_code=response.status_code,
            )
        return response


@dataclass(frozen=True, slots=True)
class Exchange:
    """One envelope, already redacted."""

    direction: str  # "sent" or "received"
    operation: str
    xml: str


class EnvelopeHistory(Plugin):
    """The last `maxlen` envelopes sent and received, redacted when they are recorded."""

    def __init__(self, maxlen: int = 6, secrets: Iterable[str] = ()) -> None:
        self._items: deque[Exchange] = deque(maxlen=maxlen)
        self._secrets = tuple(s for s in secrets if s)

    def egress(
        self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any
    ) -> tuple[Any, Any]:
        self._record("sent", operation, envelope)
        return envelope, http_headers

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        self._record("received", operation, envelope)
        return envelope, http_headers

    def _record(self, direction: str, operation: Any, envelope: Any) -> None:
        doc = copy.deepcopy(envelope)  # never touch the envelope that goes on the wire
        for element in doc.iter():
            if not isinstance(element.tag, str):
                continue  # comments and processing instructions
            if etree.QName(element).localname.lower() in SECRET_ELEMENTS and element.text:
                element.text = "***"
        text = etree.tostring(doc, pretty_print=True, encoding="unicode")
        name = getattr(operation, "name", str(operation))
        self._items.append(Exchange(direction, name, scrub(text, self._secrets)))

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(self._items)

    def dump(self) -> str:
        """The recorded envelopes, oldest first, as text for a person or a support ticket."""
        return "\n".join(f"--- {e.direction} {e.operation}\n{e.xml}" for e in self._items)

    def clear(self) -> None:
        self._items.clear()
