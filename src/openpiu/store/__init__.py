"""Storage: narrow protocols composed into one :class:`Store`, and their SQL implementation.

Open a store with :func:`open_store` after bringing the schema up to date with :func:`upgrade`::

    upgrade(settings.database_url)
    store = open_store(settings.database_url, clock=SystemClock())

SQLite (a file in the data folder) is the embedded default; PostgreSQL (``postgresql+psycopg://...``) is
what a PIU runs in production. Both pass the same contract tests (``tests/store``).
"""

from openpiu.store.protocols import (
    TRANSITIONS,
    ApiCounts,
    ApiMatch,
    Audit,
    AuditCheck,
    AuditEvent,
    BookingCounts,
    Bookings,
    BookingVersion,
    Inbox,
    InboxMessage,
    InvalidTransition,
    MessageCounts,
    MessageState,
    NotFound,
    PassengerLists,
    PushResult,
    PushSeries,
    Receipt,
    SeriesState,
    StateChange,
    Store,
    StoredApiPerson,
    StoredBooking,
    StoredFlight,
    StoredList,
    StoredTraveller,
    StoreError,
    UnstorablePush,
)
from openpiu.store.sql import SqlStore, create_engine, open_store, upgrade

__all__ = [
    "TRANSITIONS",
    "ApiCounts",
    "ApiMatch",
    "Audit",
    "AuditCheck",
    "AuditEvent",
    "BookingCounts",
    "BookingVersion",
    "Bookings",
    "Inbox",
    "InboxMessage",
    "InvalidTransition",
    "MessageCounts",
    "MessageState",
    "NotFound",
    "PassengerLists",
    "PushResult",
    "PushSeries",
    "Receipt",
    "SeriesState",
    "SqlStore",
    "StateChange",
    "Store",
    "StoreError",
    "StoredApiPerson",
    "StoredBooking",
    "StoredFlight",
    "StoredList",
    "StoredTraveller",
    "UnstorablePush",
    "create_engine",
    "open_store",
    "upgrade",
]
