"""The analyst's workplace: the services behind the screens (review, travel, search, transmission) on one
store.

`Workplace.open(settings, clock)` opens the database named by the settings (its schema must be up to
date); the web application holds one from startup to shutdown.
"""

from __future__ import annotations

from openpiu.clock import Clock
from openpiu.services.audit import AuditLog
from openpiu.services.review import Review
from openpiu.services.search import Search
from openpiu.services.transmission import Transmitter
from openpiu.services.travel import Travel
from openpiu.settings import Settings
from openpiu.store import Store, open_store

__all__ = ["Workplace"]


class Workplace:
    """Review, travel and search on one store (thread-safe: the store is, the services keep no state
    but the search's cache of name keys)."""

    def __init__(self, store: Store, clock: Clock, transmitter: Transmitter) -> None:
        self.store = store
        self.clock = clock
        self.review = Review(store)
        self.travel = Travel(store)
        self.search = Search(store)
        self.transmitter = transmitter
        self.audit = AuditLog(store)

    @classmethod
    def open(cls, settings: Settings, clock: Clock) -> Workplace:
        """On the settings' database, transmitting to the settings' allow-list of authorities."""
        store = open_store(settings.database_url, clock=clock)
        try:
            return cls(store, clock, Transmitter.from_settings(store, settings))
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()
