"""The workplace: the services behind the screens (review, travel, search, transmission; the supervisors'
criteria and watchlists; the operators' inbox) on one store.

`Workplace.open(settings, clock)` opens the database named by the settings (its schema must be up to
date); the web application holds one from startup to shutdown.
"""

from __future__ import annotations

from openpiu.clock import Clock
from openpiu.model.follows import DEFAULT_MAX_DAYS
from openpiu.protection import EVERY_FLIGHT, NotifiedScope
from openpiu.services.audit import AuditLog
from openpiu.services.casefile import CaseFileDesk
from openpiu.services.criteria_desk import CriteriaDesk
from openpiu.services.follows import FollowDesk
from openpiu.services.ingest import notified_scope
from openpiu.services.journeys import JourneyDesk
from openpiu.services.network import NetworkDesk
from openpiu.services.operations import Operations
from openpiu.services.review import Review
from openpiu.services.search import Search
from openpiu.services.transmission import Transmitter
from openpiu.services.travel import Travel
from openpiu.services.watchlists import WatchlistDesk
from openpiu.settings import Settings, load_card_hash_key
from openpiu.store import Store, open_store

__all__ = ["Workplace"]


class Workplace:
    """The screens' services on one store (thread-safe: the store is, the services keep no state but the
    search's cache of name keys and the operations' pipeline, which retries take in turn)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        transmitter: Transmitter,
        *,
        card_key: bytes | None = None,
        scope: NotifiedScope = EVERY_FLIGHT,
        follow_max_days: int = DEFAULT_MAX_DAYS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.review = Review(store)
        self.travel = Travel(store)
        self.journeys = JourneyDesk(store)
        self.follows = FollowDesk(store, clock, max_days=follow_max_days)
        self.networks = NetworkDesk(store)
        self.case_files = CaseFileDesk(store, clock)
        self.search = Search(store)
        self.transmitter = transmitter
        self.audit = AuditLog(store)
        self.criteria = CriteriaDesk(store, clock)
        self.watchlists = WatchlistDesk(store)
        self.operations = Operations(store, clock, card_key=card_key, scope=scope)

    @classmethod
    def open(cls, settings: Settings, clock: Clock) -> Workplace:
        """On the settings' database, transmitting to the settings' allow-list of authorities; a message
        retried from the quarantine is read with the settings' card key and notified scope."""
        store = open_store(settings.database_url, clock=clock)
        try:
            return cls(
                store,
                clock,
                Transmitter.from_settings(store, settings),
                card_key=load_card_hash_key(settings),
                scope=notified_scope(settings),
                follow_max_days=settings.follow_max_days,
            )
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()
