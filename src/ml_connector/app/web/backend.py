"""What the web app needs from the running connector, in one object.

`WebBackend` gives the pairs (from the config), the state store, the clock, each pair's
Sage 100 adapter (through `sage_of`: in `run`, the same adapter the scheduler's cycles
use, whose BOI calls are serialised on its own thread), each pair's GL rules file, and
`wake(pair)` to ask the scheduler for a cycle now, and a ServiceTitan vendor's record
and what a vendor action needs of ServiceTitan (`st_side`: the pair's sync settings and
its source, to create a vendor with its address and keep the Sage number in its
externalData, as the engine does). `from_runtime` builds it from the app's `Runtime`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ml_connector.app.config.models import AppConfig
from ml_connector.app.runtime import Runtime
from ml_connector.clock import Clock
from ml_connector.sage100.port import Sage100
from ml_connector.servicetitan.port import ServiceTitanSource
from ml_connector.servicetitan.records import Vendor
from ml_connector.store.port import PairId
from ml_connector.store.sql import SqlStateStore
from ml_connector.sync.review_actions import StSide
from ml_connector.sync.settings import SyncSettings


@dataclass(frozen=True, slots=True)
class PairFacts:
    name: PairId
    division: str
    company: str
    gl_rules: Path | None


class WebBackend:
    def __init__(
        self,
        config: AppConfig,
        store: SqlStateStore,
        clock: Clock,
        sage_of: Callable[[str], Sage100],
        wake: Callable[[str], None] | None = None,
        source_of: Callable[[str], ServiceTitanSource] | None = None,
        settings_of: Callable[[str], SyncSettings] | None = None,
    ) -> None:
        self._config = config
        self.store = store
        self.clock = clock
        self._sage_of = sage_of
        self._wake = wake
        self._source_of = source_of
        self._settings_of = settings_of
        self._lock = threading.Lock()

    @classmethod
    def from_runtime(cls, rt: Runtime, wake: Callable[[str], None] | None = None) -> WebBackend:
        return cls(
            rt.config,
            rt.store,
            rt.clock,
            lambda name: rt.pair(name).sage,
            wake,
            lambda name: rt.pair(name).source,
            lambda name: rt.pair(name).engine.settings,
        )

    def pairs(self) -> list[PairFacts]:
        return [self.pair(name) for name in self._config.pairs]

    def pair(self, name: str) -> PairFacts:
        settings = self._config.pair(name)
        return PairFacts(
            PairId(name),
            settings.sage100.ap_division,
            settings.sage100.company,
            settings.sync.gl_rules,
        )

    def sage(self, name: str) -> Sage100:
        with self._lock:  # one build per pair, whichever thread asks first
            return self._sage_of(name)

    def st_vendor(self, name: str, st_vendor_id: int) -> Vendor | None:
        """The ServiceTitan vendor record (None when this backend has no ServiceTitan)."""
        if self._source_of is None:
            return None
        with self._lock:
            source = self._source_of(name)
        guid = self._config.pair(name).sync.application_guid
        return source.vendor(st_vendor_id, external_data_application_guid=guid)

    def st_side(self, name: str) -> StSide | None:
        """The pair's sync settings and ServiceTitan source (None without them)."""
        if self._source_of is None or self._settings_of is None:
            return None
        with self._lock:
            return StSide(self._settings_of(name), self._source_of(name))

    def can_wake(self) -> bool:
        return self._wake is not None

    def wake(self, name: str) -> None:
        if self._wake is not None:
            self._wake(name)
