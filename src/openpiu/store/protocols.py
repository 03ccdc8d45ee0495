"""The storage contract: narrow protocols, the records they return, and their errors.

Each protocol is what one part of the system needs and nothing more: the pipeline's inbox needs
:class:`Inbox`, reconciliation needs :class:`Bookings`, every use case appends to :class:`Audit`.
:class:`Store` composes them for the one SQL implementation (``openpiu.store.sql``); the contract
tests in ``tests/store`` hold every implementation to the same behaviour.

Everything returned is a frozen record; instants are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from openpiu.model import (
    ApiPerson,
    Booking,
    Flight,
    Hit,
    PassengerList,
    PnrPush,
    Traveller,
    Watchlist,
    WatchlistEntry,
)
from openpiu.store.codec import EncodedPush

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
    "Criteria",
    "CriterionSpec",
    "HitCounts",
    "Hits",
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
    "StateChange",
    "Store",
    "StoreError",
    "StoredApiPerson",
    "StoredBooking",
    "StoredFlight",
    "StoredHit",
    "StoredList",
    "StoredTraveller",
    "StoredWatchlist",
    "UnstorablePush",
    "Watchlists",
]


class StoreError(Exception):
    """Base of the store's errors. Messages name ids and codes, never personal data."""


class NotFound(StoreError):
    """The message, booking or event asked for does not exist."""


class InvalidTransition(StoreError):
    """A message cannot move from its state to the one asked for."""


class UnstorablePush(StoreError):
    """A push cannot become booking versions (no flight, or no departure date); quarantine it."""


class MessageState(StrEnum):
    """Where a received message is in the pipeline."""

    RECEIVED = "received"
    PARSED = "parsed"
    STORED = "stored"
    SCREENED = "screened"
    QUARANTINED = "quarantined"


#: Allowed moves. A quarantined message can be retried (back to received); screened is final.
TRANSITIONS: Mapping[MessageState, frozenset[MessageState]] = {
    MessageState.RECEIVED: frozenset({MessageState.PARSED, MessageState.QUARANTINED}),
    MessageState.PARSED: frozenset({MessageState.STORED, MessageState.QUARANTINED}),
    MessageState.STORED: frozenset({MessageState.SCREENED, MessageState.QUARANTINED}),
    MessageState.SCREENED: frozenset(),
    MessageState.QUARANTINED: frozenset({MessageState.RECEIVED}),
}


@dataclass(frozen=True, slots=True)
class Receipt:
    """What :meth:`Inbox.receive` did: a new message, or one more delivery of a known one."""

    message_id: int
    content_hash: str
    duplicate: bool
    deliveries: int
    state: MessageState


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """A received message's envelope (the raw bytes are read separately with :meth:`Inbox.raw`)."""

    id: int
    content_hash: str
    sender: str
    channel: str
    size: int
    received_at: datetime
    last_received_at: datetime
    deliveries: int
    state: MessageState
    reason: str | None
    state_changed_at: datetime
    flight_date: date | None


@dataclass(frozen=True, slots=True)
class StateChange:
    state: MessageState
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class MessageCounts:
    """Messages by state; ``duplicates`` counts re-deliveries recognised and not stored again."""

    by_state: Mapping[MessageState, int]
    duplicates: int
    #: Messages not kept at all, by reason (e.g. outside the notified scope): only counted.
    discarded: Mapping[str, int] = field(default_factory=dict)
    #: Items protection removed from the messages kept (sensitive or outside Annex I), summed.
    removed_items: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass(frozen=True, slots=True)
class PushResult:
    """What :meth:`Bookings.store_push` stored (or found already stored, when storing is repeated)."""

    message_id: int
    flight_id: int
    flight_date: date
    versions: int
    new_bookings: int
    cancelled: int
    already_stored: bool = False
    #: Bookings this push showed to have left the flight (a full push no longer lists them, and no
    #: newer push does): marked cancelled, versions kept.
    removed: int = 0
    #: The inbox messages of the push (several for a split push, in part order).
    message_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredFlight:
    """A flight's current state: its latest schedule and how often it was pushed."""

    id: int
    flight_date: date
    flight: Flight
    push_count: int
    first_message_id: int
    last_message_id: int
    last_pushed_at: datetime


@dataclass(frozen=True, slots=True)
class StoredBooking:
    """A booking on a flight in its current version."""

    id: int
    flight_id: int
    flight_date: date
    locator: str | None
    version: int
    version_id: int
    versions: int
    cancelled: bool
    message_id: int
    part: int | None
    booking: Booking
    #: When a full push no longer listed the booking: that push's message (the booking is cancelled).
    removed_by: int | None = None


@dataclass(frozen=True, slots=True)
class BookingVersion:
    """One version of a booking, with the message and part (and position in it) it came from."""

    id: int
    booking_id: int
    version: int
    message_id: int
    part: int | None
    position: int
    function: str | None
    cancelled: bool
    pushed_at: datetime
    stored_at: datetime
    booking: Booking


@dataclass(frozen=True, slots=True)
class StoredTraveller:
    """A traveller of one booking version."""

    id: int
    version_id: int
    booking_id: int
    flight_date: date
    position: int
    traveller: Traveller


@dataclass(frozen=True, slots=True)
class BookingCounts:
    flights: int
    bookings: int
    booking_versions: int
    travellers: int


@dataclass(frozen=True, slots=True)
class SeriesState:
    """The parts of one split push received so far, and whether they make the whole push."""

    id: int
    key: str
    state: str  # open, stored, quarantined
    parts: Mapping[int, int]  # part number -> inbox message id
    final_part: int | None  # the number of the part marked last, once it arrived
    opened_at: datetime

    @property
    def complete(self) -> bool:
        return self.final_part is not None and set(self.parts) == set(range(1, self.final_part + 1))

    @property
    def missing(self) -> list[int]:
        """Part numbers not received yet (up to the last part, or the highest one seen)."""
        last = self.final_part or max(self.parts, default=0)
        return [n for n in range(1, last + 1) if n not in self.parts]


@dataclass(frozen=True, slots=True)
class StoredList:
    """What :meth:`PassengerLists.store_passenger_list` stored (or found stored before)."""

    id: int
    message_id: int
    flight_id: int | None  # None until a PNR push names the flight
    flight_date: date
    persons: int
    already_stored: bool = False


@dataclass(frozen=True, slots=True)
class ApiMatch:
    """An API person recognised as a traveller of a booking on the same flight, and why."""

    api_person_id: int
    traveller_id: int
    booking_id: int
    method: str  # e.g. "document", "name and date of birth"
    confidence: float  # 0..1
    explanation: tuple[str, ...]  # the features that agreed (or disagreed), never their values


@dataclass(frozen=True, slots=True)
class StoredApiPerson:
    """A person of a stored passenger list, with the traveller it was merged with, if any."""

    id: int
    list_id: int
    flight_id: int | None
    flight_date: date
    position: int
    person: ApiPerson
    match: ApiMatch | None = None


@dataclass(frozen=True, slots=True)
class ApiCounts:
    lists: int
    persons: int
    matched: int


@dataclass(frozen=True, slots=True)
class StoredWatchlist:
    """A version of a watchlist as imported: its metadata, size, and whether it is the one screened."""

    id: int
    watchlist: Watchlist
    entries: int
    active: bool
    imported_at: datetime
    imported_by: str


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """A pre-determined criterion as activated: its text as written and who approved and activated it."""

    criterion_id: str
    version: str
    title: str
    owner: str
    purpose: str
    source: str  # the criterion as written (YAML), read by openpiu.screening.criteria
    approved_by: str | None = None
    approved_on: date | None = None
    review_date: date | None = None
    expires_on: date | None = None
    activated_at: datetime | None = None
    activated_by: str | None = None


@dataclass(frozen=True, slots=True)
class StoredHit:
    id: int
    flight_date: date
    hit: Hit
    first_seen_at: datetime
    last_seen_at: datetime
    screenings: int


@dataclass(frozen=True, slots=True)
class HitCounts:
    new: int
    updated: int


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Who did what to what, why and when; chained to the event before by ``prev_hash``."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    reason: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The result of :meth:`Audit.verify`: whether the chain holds, and where it breaks if not."""

    ok: bool
    events: int
    broken_at: int | None = None
    problem: str | None = None


class Inbox(Protocol):
    """Every received message, durable before it is acknowledged, and where it is in the pipeline."""

    def receive(
        self,
        raw: bytes,
        *,
        sender: str,
        channel: str,
        removals: Mapping[str, int] | None = None,
        policy: str | None = None,
    ) -> Receipt:
        """Keep ``raw`` (or count one more delivery when the same bytes were received before).

        ``removals`` (code -> count) says what protection took out of the message before it came here
        under the sensitive-data ``policy`` version; both are kept with the message in the same
        transaction, so a crash cannot lose the count.
        """
        ...

    def message(self, message_id: int) -> InboxMessage | None: ...

    def raw(self, message_id: int) -> bytes | None: ...

    def messages(self, state: MessageState, *, after: int = 0, limit: int = 100) -> list[InboxMessage]:
        """Messages in ``state`` with an id above ``after``, oldest first (page with the last id)."""
        ...

    def history(self, message_id: int) -> list[StateChange]:
        """Every state the message was in, oldest first."""
        ...

    def advance(self, message_id: int, state: MessageState, *, reason: str | None = None) -> InboxMessage:
        """Move the message to ``state`` (see :data:`TRANSITIONS`); quarantine needs a ``reason``.

        Moving a message to the state it is in already does nothing, so a repeated step is harmless.
        """
        ...

    def message_counts(self) -> MessageCounts: ...

    def count_discarded(self, reason: str, *, day: date) -> None:
        """Count one message that is not kept at all (e.g. outside the notified scope)."""
        ...


class PushSeries(Protocol):
    """The parts of split pushes, held until the whole push is there (reassembly)."""

    def add_part(self, message_id: int, *, key: str, part: int, final: bool) -> SeriesState:
        """Add the message as part ``part`` of the open series ``key`` (opened when there is none).

        Adding a part again changes nothing. A part number the open series already holds from another
        message starts a new series: the old one waits for its missing parts until it expires. A part of
        a closed series (quarantined, then retried) joins the open series of its key.
        """
        ...

    def series_of(self, message_id: int) -> SeriesState | None: ...

    def open_series(self, *, opened_before: datetime) -> list[SeriesState]:
        """Series still waiting for parts that were opened before ``opened_before``, oldest first."""
        ...

    def close_series(self, series_id: int, state: str, *, reason: str | None = None) -> None:
        """Mark the series stored or quarantined (it no longer takes parts)."""
        ...


class PassengerLists(Protocol):
    """API data (PAXLST) and its merge with the PNR travellers of the same flight."""

    def store_passenger_list(self, message_id: int, plist: PassengerList) -> StoredList:
        """Keep the list's persons; storing the same message again changes nothing."""
        ...

    def api_persons(self, flight_id: int, *, unmatched_only: bool = False) -> list[StoredApiPerson]:
        """The persons of every list of the flight, with their merge."""
        ...

    def current_travellers(self, flight_id: int) -> list[StoredTraveller]:
        """Travellers of the flight's current bookings that are not cancelled."""
        ...

    def record_api_matches(self, matches: list[ApiMatch]) -> int:
        """Keep the merges; a person merged before keeps its first merge. Returns how many were added."""
        ...

    def api_counts(self) -> ApiCounts: ...


class Watchlists(Protocol):
    """Watchlists in versions: importing a version makes it the one screened against."""

    def import_watchlist(
        self, watchlist: Watchlist, entries: list[WatchlistEntry], *, actor: str
    ) -> StoredWatchlist:
        """Keep a new version of the list (all its entries in one transaction) and make it active.

        A version imported before raises StoreError: versions are never changed in place.
        """
        ...

    def watchlists(self, *, active_only: bool = False) -> list[StoredWatchlist]: ...

    def watchlist_entries(self, stored_id: int) -> list[WatchlistEntry]: ...


class Criteria(Protocol):
    """Pre-determined criteria in versions; activating a version replaces the criterion's active one."""

    def activate_criterion(self, spec: CriterionSpec, *, actor: str) -> CriterionSpec: ...

    def deactivate_criterion(self, criterion_id: str, *, actor: str) -> bool: ...

    def active_criteria(self) -> list[CriterionSpec]: ...


class Hits(Protocol):
    """Automated matches waiting for an analyst; a re-push updates a traveller's hit, never doubles it."""

    def record_hits(self, hits: list[Hit]) -> HitCounts: ...

    def hits(self, *, flight_id: int | None = None, limit: int = 1000) -> list[StoredHit]: ...


class Bookings(Protocol):
    """Flights and bookings as pushed: every version kept, the current state of each at hand."""

    def store_push(self, message_id: int, push: PnrPush) -> PushResult:
        """Add a version of each booking in ``push`` (from inbox message ``message_id``).

        Storing the same message again changes nothing. A version older than the current one (by the
        push's preparation time) is kept but does not become current. A full push (function 22)
        replaces: a booking whose latest version is older than a full push is marked cancelled
        (``removed_by`` the first such push), whatever order the pushes arrived in. A codeshare push is
        stored on the operating flight. API lists of the flight received before are linked to it.
        """
        ...

    def store_parts(
        self, parts: list[tuple[int, PnrPush]], *, encoded: Mapping[int, EncodedPush] | None = None
    ) -> PushResult:
        """Store one push delivered in several messages (the parts in order) as one push.

        ``encoded``: by message id, parts already encoded with :func:`~openpiu.store.codec.encode_push`
        (in a reader process, say); the others are encoded here.
        """
        ...

    def flight(self, flight_id: int) -> StoredFlight | None: ...

    def find_flights(
        self, *, flight_date: date, carrier: str | None = None, number: str | None = None
    ) -> list[StoredFlight]: ...

    def current_bookings(self, flight_id: int, *, include_cancelled: bool = True) -> list[StoredBooking]: ...

    def booking(self, booking_id: int) -> StoredBooking | None: ...

    def bookings_by_locator(self, locator: str) -> list[StoredBooking]: ...

    def versions(self, booking_id: int) -> list[BookingVersion]:
        """Every version of the booking, oldest first."""
        ...

    def travellers_named(self, surname: str, *, current_only: bool = True) -> list[StoredTraveller]:
        """Travellers whose surname is ``surname`` (case-insensitive, exact)."""
        ...

    def booking_counts(self) -> BookingCounts: ...


class Audit(Protocol):
    """An append-only, hash-chained log of who did what, why and when."""

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent: ...

    def events(self, *, after: int = 0, limit: int = 100) -> list[AuditEvent]: ...

    def verify(self) -> AuditCheck:
        """Recompute every hash and link; report the first event where the chain breaks."""
        ...


class Store(Inbox, PushSeries, Bookings, PassengerLists, Watchlists, Criteria, Hits, Audit, Protocol):
    """All of the storage contract, as one object."""

    def close(self) -> None: ...
