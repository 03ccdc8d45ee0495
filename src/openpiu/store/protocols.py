"""The storage contract: narrow protocols, the records they return, and their errors.

Each protocol is what one part of the system needs and nothing more: the pipeline's inbox needs
:class:`Inbox`, reconciliation needs :class:`Bookings`, every use case appends to :class:`Audit`.
:class:`Store` composes them for the one SQL implementation (``openpiu.store.sql``); the contract
tests in ``tests/store`` hold every implementation to the same behaviour.

Everything returned is a frozen record; instants are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from openpiu.model import (
    ApiPerson,
    Booking,
    Decision,
    DecisionOutcome,
    Flight,
    Hit,
    HitKind,
    PartialDate,
    PassengerList,
    PnrPush,
    Segment,
    Transmission,
    TransmissionContent,
    TransmissionEvent,
    TransmissionState,
    Traveller,
    Watchlist,
    WatchlistEntry,
)
from openpiu.model.access import Role
from openpiu.model.follows import Follow, FollowEvent
from openpiu.model.identity import (
    BookingEvidence,
    EvidenceKind,
    PersonEvidence,
    ResolutionInput,
    ResolutionPlan,
)
from openpiu.store.codec import EncodedPush

__all__ = [
    "TRANSITIONS",
    "Accounts",
    "AlreadyExists",
    "ApiCounts",
    "ApiMatch",
    "Audit",
    "AuditCheck",
    "AuditEvent",
    "AuditQuery",
    "BookingCounts",
    "BookingSummary",
    "BookingVersion",
    "Bookings",
    "Criteria",
    "CriteriaDraft",
    "CriteriaDrafts",
    "CriterionSpec",
    "Decide",
    "Decisions",
    "DraftBacktest",
    "FlightManifest",
    "FlightPush",
    "FlightStatus",
    "FollowedOccurrence",
    "Follows",
    "HitCounts",
    "HitQuery",
    "HitState",
    "Hits",
    "Identities",
    "IdentityBooking",
    "IdentityCounts",
    "IdentityExportRow",
    "IdentityJudgement",
    "IdentityMember",
    "Inbox",
    "InboxHour",
    "InboxMessage",
    "Integrity",
    "InvalidTransition",
    "KeyHolders",
    "LoginThrottle",
    "ManifestBooking",
    "ManifestTraveller",
    "MessageCounts",
    "MessageState",
    "NotFound",
    "Occurrence",
    "PassengerLists",
    "PushResult",
    "PushSeries",
    "QueueItem",
    "Reads",
    "Receipt",
    "SeriesState",
    "StateChange",
    "Store",
    "StoreError",
    "StoredApiPerson",
    "StoredBooking",
    "StoredDecision",
    "StoredEvidence",
    "StoredFlight",
    "StoredHit",
    "StoredIdentity",
    "StoredList",
    "StoredSession",
    "StoredTraveller",
    "StoredUser",
    "StoredWatchlist",
    "TransmissionQuery",
    "Transmissions",
    "TravelHistories",
    "UnstorablePush",
    "Watchlists",
]


class StoreError(Exception):
    """Base of the store's errors. Messages name ids and codes, never personal data."""


class NotFound(StoreError):
    """The message, booking or event asked for does not exist."""


class AlreadyExists(StoreError):
    """A record with the same unique name exists already (e.g. a user name)."""


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
    source: str | None = None  # the name it arrived under (see Inbox.receive)


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
class InboxHour:
    """What the inbox did in one hour (UTC) for one sender: messages received new, stored, quarantined.

    A message is received once (a re-delivery is not counted again); stored and quarantined count the
    moves into those states, so a message quarantined, retried and stored counts in both."""

    hour: datetime  # the hour's start, UTC
    sender: str
    received: int
    stored: int
    quarantined: int


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
    flight: tuple[str, str, str] = ("", "", "")  # the list's flight as sent: carrier, number, origin


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
class DraftBacktest:
    """The back-test kept with a draft: the flight dates it covered, who ran it and when, and its counts
    (per criterion and per day; never who matched)."""

    start: date
    end: date
    at: datetime
    by: str
    summary: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CriteriaDraft:
    """Criteria text as a supervisor saved it: never changed; a revision is a new draft ``based_on`` it."""

    id: int
    text: str
    author: str
    created_at: datetime
    based_on: int | None = None
    backtest: DraftBacktest | None = None  # the latest back-test of this text
    approved_by: str | None = None
    approved_at: datetime | None = None

    @property
    def state(self) -> str:
        """approved, back-tested or draft."""
        if self.approved_at is not None:
            return "approved"
        return "back-tested" if self.backtest is not None else "draft"


@dataclass(frozen=True, slots=True)
class StoredHit:
    id: int
    flight_date: date
    hit: Hit
    first_seen_at: datetime
    last_seen_at: datetime
    screenings: int
    outcome: DecisionOutcome | None = None  # the latest decision's; None while it waits for an analyst
    decided_at: datetime | None = None
    # An API person's hit taken over by the hit of the traveller the person was merged with (see Hit)
    superseded_by: int | None = None
    superseded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FlightPush:
    """One push of a flight as stored (the first message of a split push names it)."""

    message_id: int
    function: str | None  # "22" full, "141" update ...
    parts: int
    sender: str | None
    pushed_at: datetime  # when the carrier prepared it (else when it arrived)
    stored_at: datetime
    bookings: int


@dataclass(frozen=True, slots=True)
class BookingSummary:
    """A booking named in a list: which it is and on which flight, without its content."""

    id: int
    flight_id: int
    flight_date: date
    locator: str | None
    cancelled: bool
    flight: str = ""  # the flight's designator, e.g. "LH400"


@dataclass(frozen=True, slots=True)
class ManifestBooking:
    """A current booking of a flight as its manifest needs it: which it is, and its itinerary's segments
    with their check-ins (names included) to tell who checked in; segment remarks are not read."""

    id: int
    locator: str | None
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class ManifestTraveller:
    """A traveller of a booking's current version by the columns a list shows (no record decoded)."""

    id: int
    booking_id: int
    position: int
    ref: str | None
    surname: str | None
    given_names: str | None

    @property
    def key(self) -> str:
        """The traveller's key in the booking, as hits name it: the reference, else the position."""
        return self.ref or f"#{self.position}"


@dataclass(frozen=True, slots=True)
class FlightManifest:
    """Who is on a flight now: its current bookings not cancelled and their travellers."""

    bookings: list[ManifestBooking]  # by id
    travellers: list[ManifestTraveller]  # by booking, then position
    cancelled_bookings: int  # cancelled, or removed by a full push


@dataclass(frozen=True, slots=True)
class FlightStatus:
    """A flight on the day's board: its pushes and the hits on it (no personal data)."""

    flight: StoredFlight
    pushes: tuple[FlightPush, ...]
    hits_waiting: dict[int, int]  # priority -> hits without a decision
    hits_decided: int
    bookings: int  # current, not cancelled


@dataclass(frozen=True, slots=True)
class StoredDecision:
    id: int
    decision: Decision
    decided_at: datetime
    supersedes: int | None  # the decision this one replaced (kept)


class HitState(StrEnum):
    """Which hits a queue shows."""

    OPEN = "open"  # no decision yet
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    DECIDED = "decided"  # confirmed or dismissed
    ALL = "all"


@dataclass(frozen=True, slots=True)
class HitQuery:
    """A hit queue: which hits, in the order an analyst works them (soonest flight, priority, score)."""

    state: HitState = HitState.OPEN
    priority: int | None = None
    kind: HitKind | None = None
    list_id: str | None = None
    flight_id: int | None = None
    from_date: date | None = None  # flight dates, inclusive
    to_date: date | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A hit as the queue lists it: the hit, its flight and who it is about (personal data: audit it)."""

    hit: StoredHit
    flight: str  # designator and route, e.g. "LH 0400 FRA-JFK"; "" when no PNR push named the flight
    departure_utc: datetime | None
    locator: str | None
    traveller_name: str  # SURNAME/GIVEN NAMES as received


@dataclass(frozen=True, slots=True)
class HitCounts:
    new: int
    updated: int


@dataclass(frozen=True, slots=True)
class TransmissionQuery:
    """Which transmissions to list (newest first)."""

    state: TransmissionState | None = None
    hit_id: int | None = None
    authority_id: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """A search of the audit log: by who, what (an action or its start, e.g. "search."), about what
    (a subject or its start, e.g. "hit:12"), and when (UTC instants, inclusive)."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


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


# --- traveller identities ----------------------------------------------------------------------------

#: The rule that decides a batch (openpiu.analysis.identity.resolve), run by the store inside the
#: transaction that writes its plan.
Decide = Callable[[ResolutionInput], ResolutionPlan]


@dataclass(frozen=True, slots=True)
class IdentityCounts:
    """What resolving a message did: occurrences newly resolved, identities made, identities merged into
    others, links not followed because an analyst's split keeps their identities apart, and links not
    followed because they would have joined people whose dates of birth differ."""

    occurrences: int = 0
    identities: int = 0
    merged: int = 0
    refused: int = 0
    ambiguous: int = 0


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A traveller of one booking version, or an API person: ``traveller:ID`` or ``api:ID``."""

    traveller_id: int | None = None
    api_person_id: int | None = None

    def __post_init__(self) -> None:
        if (self.traveller_id is None) == (self.api_person_id is None):
            raise ValueError("an occurrence is a traveller or an API person")

    def __str__(self) -> str:
        return f"traveller:{self.traveller_id}" if self.api_person_id is None else f"api:{self.api_person_id}"

    @classmethod
    def parse(cls, text: str) -> Occurrence:
        """``traveller:123`` or ``api:45`` (ValueError otherwise)."""
        kind, _, number = text.strip().partition(":")
        if not number.isdigit() or kind not in ("traveller", "api") or not 0 < int(number) < 2**63:
            raise ValueError(f"not an occurrence: {text!r} (traveller:ID or api:ID)")
        return cls(traveller_id=int(number)) if kind == "traveller" else cls(api_person_id=int(number))


@dataclass(frozen=True, slots=True)
class IdentityMember:
    """An occurrence of an identity: where it was seen, and why it joined (personal data: audit it)."""

    id: int
    identity_id: int
    occurrence: Occurrence
    flight_date: date
    flight: str  # designator, e.g. "LH0400" ("" for API data of a flight no push named)
    route: str  # e.g. "FRA-JFK"
    message_id: int
    booking_id: int | None
    chain: str | None
    locator: str | None
    reference: str | None  # the traveller reference; for an API person its position in the list
    name: str  # SURNAME/GIVEN NAMES as received
    date_of_birth: str | None
    score: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    """A row of the evidence index: a key of a booking's traveller (``chain``), of an API person, or of a
    booking itself (``identity_id`` and ``chain`` None)."""

    kind: EvidenceKind
    digest: str
    birth: str | None
    identity_id: int | None
    booking_id: int | None
    chain: str | None
    api_person_id: int | None
    flight_date: date


@dataclass(frozen=True, slots=True)
class KeyHolders:
    """The bookings holding some values (`Identities.key_holders`): which bookings, for the values held by
    few, and only how many, for the others."""

    held: dict[str, frozenset[int]]  # digest -> the bookings holding it, for the values held by few
    crowded: dict[str, int]  # digest -> bookings holding it, for the values held by more than asked


@dataclass(frozen=True, slots=True)
class FlightTogether:
    """Two identities on one stored flight on separate bookings (co-travel), with the flight's name."""

    identity_id: int
    booking_id: int
    other_id: int
    other_booking_id: int
    flight_id: int
    carrier: str
    number: str
    flight_date: date


@dataclass(frozen=True, slots=True)
class IdentityJudgement:
    """An analyst's judgement: ``link`` (two identities are one person) or ``split`` (these occurrences are
    someone else). Appended, never changed."""

    id: int
    kind: str
    identity_id: int  # the identity judged, as it was numbered then
    other_id: int  # the identity linked to it, or made of the occurrences split off
    first: Occurrence
    second: Occurrence
    occurrences: tuple[str, ...]  # what a split moved
    reason: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class StoredIdentity:
    id: int
    occurrences: int
    created_at: datetime
    members: tuple[IdentityMember, ...]
    #: Its keys, and the keys of the bookings its travellers are on.
    evidence: tuple[StoredEvidence, ...]
    #: Judgements that concern its occurrences, oldest first.
    judgements: tuple[IdentityJudgement, ...]


@dataclass(frozen=True, slots=True)
class IdentityExportRow:
    """One occurrence and its identity (None: a placeholder, or not resolved yet)."""

    message_id: int
    source: str | None
    channel: str
    locator: str | None
    reference: str | None  # traveller reference (booking travellers)
    index: int | None  # position in the list (API persons)
    identity: int | None


@dataclass(frozen=True, slots=True)
class StoredUser:
    """An account of a person who signs in to the web application (never a carrier)."""

    id: int
    username: str
    role: Role
    password_hash: str = field(repr=False)  # an argon2id hash, never the password
    disabled: bool
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None = None
    last_login_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A signed-in session, known by the SHA-256 of its token (the token itself is never stored)."""

    token_hash: str
    user_id: int
    csrf_token: str = field(repr=False)
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the absolute end, whatever the activity


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    """Failed sign-ins counted for one key (a user name or a client address) in the current window."""

    key: str
    failures: int
    window_started_at: datetime
    locked_until: datetime | None = None


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
        source: str | None = None,
    ) -> Receipt:
        """Keep ``raw`` (or count one more delivery when the same bytes were received before).

        ``removals`` (code -> count) says what protection took out of the message before it came here
        under the sensitive-data ``policy`` version; both are kept with the message in the same
        transaction, so a crash cannot lose the count. ``source``: the name it arrived under (a file's);
        when the same bytes arrive under several names the first in name order is kept, so the name
        does not depend on the order of delivery.
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

    def inbox_hours(self, since: datetime, until: datetime) -> list[InboxHour]:
        """Per hour and sender, what the inbox received, stored and quarantined from ``since`` (inclusive)
        to ``until`` (exclusive), by hour then sender; an hour and sender with nothing is left out."""
        ...

    def count_discarded(self, reason: str, *, day: date) -> None:
        """Count one message that is not kept at all (e.g. outside the notified scope)."""
        ...

    def processing(self) -> AbstractContextManager[None]:
        """Inside the block, this thread's store calls are one transaction, committed when the block ends
        and undone as a whole when it ends by an exception: the steps of one kept message (parsed, stored,
        merged, resolved, stored state) commit together, so a crash leaves the message as it was received
        and it is processed again from its kept bytes. Only for steps whose writes the kept message gives
        again (not `receive`, whose commit must be durable at once). Nested blocks join the outer one."""
        ...

    def receiving(self) -> AbstractContextManager[None]:
        """Inside the block, this thread's `receive` (and `count_discarded`) calls are one transaction,
        durable when the block ends (a batch of messages received together: one wait for the disk, not
        one per message); nothing is received if it ends by an exception. Nothing is acknowledged to a
        sender before the block ends."""
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

    def list_persons(self, list_id: int) -> list[StoredApiPerson]:
        """The persons of one stored list, with their merge."""
        ...

    def unlinked_lists(self, flight_date: date) -> list[int]:
        """The lists of flights departing that day that no PNR push has made known (yet)."""
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


class CriteriaDrafts(Protocol):
    """Drafts of criteria, their back-tests and their approval (which activates them, four eyes)."""

    def save_draft(self, text: str, *, author: str, based_on: int | None = None) -> CriteriaDraft:
        """Keep a new draft (NotFound when ``based_on`` names no draft); audited in the same transaction."""
        ...

    def draft(self, draft_id: int) -> CriteriaDraft | None: ...

    def drafts(self, *, limit: int = 100) -> list[CriteriaDraft]:
        """The newest drafts first."""
        ...

    def record_backtest(
        self,
        draft_id: int,
        *,
        actor: str,
        start: date,
        end: date,
        summary: Mapping[str, Any],
        criteria: Sequence[str],
    ) -> CriteriaDraft:
        """Keep a back-test's counts with the draft, and the audit event of the read of the stored travel
        data it made, together. InvalidTransition once the draft is approved."""
        ...

    def approve_draft(self, draft_id: int, specs: Sequence[CriterionSpec], *, actor: str) -> CriteriaDraft:
        """Approve the draft and activate its criteria as ``specs``, in one transaction with their audit
        events. InvalidTransition when it is approved already, was not back-tested, was written by
        ``actor`` (four eyes), or a criterion's version exists already (versions are never rewritten)."""
        ...


class Hits(Protocol):
    """Automated matches waiting for an analyst; a re-push updates a traveller's hit, never doubles it."""

    def record_hits(self, hits: list[Hit]) -> HitCounts:
        """Add or update each hit. A traveller's hit naming an ``api_key`` takes over the open hit of the
        API person alone under that key on the same entry or criterion: that hit is marked superseded by
        it (and leaves the queue), and its latest decision, when later than any of this hit's, becomes
        this hit's outcome (the decisions themselves stay where they were made)."""
        ...

    def hits(
        self, *, flight_id: int | None = None, booking_id: int | None = None, limit: int = 1000
    ) -> list[StoredHit]:
        """Hits (of the flight, of the booking), by priority then score."""
        ...

    def hit_count(self) -> int:
        """How many hits are stored."""
        ...


class Decisions(Protocol):
    """Analysts' decisions on hits: appended, never changed; the queue of hits in working order."""

    def decide(self, decision: Decision) -> StoredDecision:
        """Append a decision (superseding the hit's latest, which is kept, or the latest on a hit it took
        over) and its audit event, in one transaction; NotFound for no such hit, InvalidTransition for a
        hit taken over by another (decide that one)."""
        ...

    def decisions(self, hit_id: int) -> list[StoredDecision]:
        """Every decision on the hit and on the hits it took over, oldest first (each names its hit)."""
        ...

    def taken_over(self, hit_id: int) -> list[StoredHit]:
        """The hits this hit took over (an API person's, from before the booking arrived), oldest first."""
        ...

    def hit(self, hit_id: int) -> StoredHit | None: ...

    def traveller(self, traveller_id: int) -> StoredTraveller | None:
        """One traveller row (of whichever booking version), whole."""
        ...

    def api_person(self, api_person_id: int) -> StoredApiPerson | None: ...

    def watchlist_entry(self, list_id: str, version: str, entry_id: str) -> WatchlistEntry | None:
        """The entry as it was in that version of the list."""
        ...

    def criterion(self, criterion_id: str, version: str) -> CriterionSpec | None:
        """That version of the criterion, active or not."""
        ...

    def hit_queue(self, query: HitQuery) -> list[QueueItem]:
        """Hits in working order: the soonest flight first, then priority, then score (never one taken
        over by another hit)."""
        ...

    def count_hits(self, query: HitQuery) -> int:
        """How many hits the query finds (without its limit and offset)."""
        ...


class Transmissions(Protocol):
    """Transmissions of confirmed hits to competent authorities: requested by one person, approved or
    rejected by another, then marked sent or failed by each delivery attempt.

    Every state change is written with its history row and its audit event in one transaction, and
    checked there: a transmission is requested and approved only while its hit's latest decision is
    confirmed, and only a person other than the requester approves it (four eyes). Moves out of order
    raise InvalidTransition; a missing transmission or hit raises NotFound.
    """

    def request_transmission(
        self,
        *,
        hit_id: int,
        authority_id: str,
        action: str,
        purpose: str,
        content: TransmissionContent,
        requested_by: str,
    ) -> Transmission:
        """Keep a new transmission in state requested."""
        ...

    def approve_transmission(self, transmission_id: int, *, actor: str, reason: str) -> Transmission:
        """Requested -> approved, by someone other than the requester (ValueError otherwise)."""
        ...

    def reject_transmission(self, transmission_id: int, *, actor: str, reason: str) -> Transmission:
        """Requested (or failed: given up) -> rejected; it is never sent."""
        ...

    def retry_transmission(self, transmission_id: int, *, actor: str) -> Transmission:
        """Failed -> approved again, to be sent once more: one of two concurrent retries wins."""
        ...

    def mark_sent(self, transmission_id: int, *, actor: str, reference: str) -> Transmission:
        """Approved -> sent, with the delivery's reference; counts the attempt."""
        ...

    def mark_failed(self, transmission_id: int, *, actor: str, error: str) -> Transmission:
        """Approved -> failed, with the error; counts the attempt."""
        ...

    def transmission(self, transmission_id: int) -> Transmission | None: ...

    def transmissions(self, query: TransmissionQuery) -> list[Transmission]:
        """Transmissions the query finds, newest first."""
        ...

    def transmission_history(self, transmission_id: int) -> list[TransmissionEvent]:
        """Every state the transmission was in, oldest first."""
        ...


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

    def flight_pushes(self, flight_id: int) -> list[FlightPush]:
        """Every push of the flight, in the order the carrier made them."""
        ...

    def flight_board(self, flight_dates: Sequence[date]) -> list[FlightStatus]:
        """The flights of those dates (by departure), each with its pushes and hit counts."""
        ...

    def booking_summaries(self, booking_ids: Sequence[int]) -> list[BookingSummary]:
        """Those bookings, by id, without their content."""
        ...

    def flight_manifest(self, flight_id: int) -> FlightManifest:
        """The flight's current travellers and bookings by the columns a manifest shows (empty for no
        such flight): a few set-based queries, no booking or traveller record read whole."""
        ...

    def surnames(self, from_date: date, to_date: date) -> list[str]:
        """The distinct surnames (upper case, as kept for search) of travellers of those flight dates."""
        ...

    def travellers_by_surname(
        self, surname_keys: Sequence[str], from_date: date, to_date: date
    ) -> list[StoredTraveller]:
        """Current travellers of those flight dates with one of those surnames."""
        ...

    def find_flights(
        self, *, flight_date: date, carrier: str | None = None, number: str | None = None
    ) -> list[StoredFlight]: ...

    def current_bookings(self, flight_id: int, *, include_cancelled: bool = True) -> list[StoredBooking]: ...

    def booking(self, booking_id: int) -> StoredBooking | None: ...

    def bookings_by_ids(self, booking_ids: Sequence[int]) -> list[StoredBooking]:
        """Those bookings in their current versions, in one query (unknown ids are left out), by id."""
        ...

    def bookings_by_locator(self, locator: str) -> list[StoredBooking]: ...

    def versions(self, booking_id: int) -> list[BookingVersion]:
        """Every version of the booking, oldest first."""
        ...

    def travellers_named(
        self,
        surname: str,
        *,
        current_only: bool = True,
        given_names: str | None = None,
        date_of_birth: PartialDate | None = None,
        exact: bool = False,
        limit: int | None = None,
    ) -> list[StoredTraveller]:
        """Travellers whose surname is ``surname`` (case-insensitive, exact), oldest first; with
        ``given_names`` or ``date_of_birth``, only those with exactly these too; with ``exact``, both are
        matched as given, ``None`` matching only travellers without them (a traveller's namesakes); with
        ``limit``, only that many, the most recent flights (still oldest first)."""
        ...

    def booking_counts(self) -> BookingCounts: ...


class Identities(Protocol):
    """Traveller identities: resolved as each message is stored, read, judged by analysts."""

    def resolve_push(
        self, parts: Sequence[tuple[int, Sequence[BookingEvidence]]], decide: Decide
    ) -> IdentityCounts:
        """Resolve the travellers of a stored push (its messages with their bookings' evidence): keep the
        keys, run ``decide`` on the new occurrences and the identities holding their keys, write its plan,
        and follow the API merges of the flight; one transaction. Travellers resolved before are left as
        they are (a repeated step changes nothing)."""
        ...

    def resolve_list(
        self, message_id: int, persons: Sequence[PersonEvidence], decide: Decide
    ) -> IdentityCounts:
        """The same for the persons of a stored PAXLST list."""
        ...

    def identity(self, identity_id: int) -> StoredIdentity | None: ...

    def identity_of(self, occurrence: Occurrence) -> int | None: ...

    def link_identities(self, first: int, second: int, *, actor: str, reason: str) -> IdentityJudgement:
        """An analyst's link: ``second`` is merged into ``first``; the judgement and its audit event are
        written with it (NotFound for an identity that does not exist)."""
        ...

    def split_identity(
        self, identity_id: int, occurrences: Sequence[Occurrence], *, actor: str, reason: str
    ) -> IdentityJudgement:
        """An analyst's split: the occurrences (with the other versions of the same booking's traveller, and
        the API data merged with them) become a new identity, kept apart from the rest from then on.
        NotFound when one is not part of the identity; InvalidTransition when nothing would stay."""
        ...

    def identity_export(self) -> Iterator[IdentityExportRow]:
        """Every booking traveller (by message, booking and traveller position), then every API person (by
        message and position), with its identity; read as it goes."""
        ...

    def evidence(
        self,
        *,
        identity_ids: Collection[int] = (),
        booking_ids: Collection[int] = (),
        digests: Collection[str] = (),
    ) -> list[StoredEvidence]:
        """Rows of the evidence index held by those identities, about those bookings, or with those
        digests (for networks of shared contacts, payments and agencies)."""
        ...

    def key_holders(self, digests: Collection[str], *, most: int) -> KeyHolders:
        """The bookings' own keys (contacts, card, agency: no identity) with those digests. A value held by
        more than `most` bookings is only counted: a travel agency on thousands of bookings is a hub
        whatever they are, and reading them all would cost what a page may not."""
        ...

    def travelling(
        self, *, identity_ids: Collection[int] = (), booking_ids: Collection[int] = ()
    ) -> list[tuple[int, int]]:
        """(identity, booking) for every booking those identities travel on and every traveller of those
        bookings: who is on which booking, without their keys (for networks)."""
        ...

    def booking_keys(self, booking_ids: Collection[int]) -> list[tuple[int, EvidenceKind, str]]:
        """(booking, kind, digest) of those bookings' own keys: contacts, card, agency (no identity)."""
        ...

    def identity_exists(self, identity_id: int) -> bool: ...

    def flights_together(self, identity_ids: Collection[int], *, at_least: int) -> list[FlightTogether]:
        """Who else was on the flights of those identities, on another booking: one row per (identity,
        other identity, flight) for pairs on at least ``at_least`` flights together (cancelled bookings
        left out). One query, for co-travel in networks."""
        ...

    def identity_count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class FollowedOccurrence:
    """An occurrence of an identity under an active follow, and why it joined that identity (the kinds of
    the links it made when it arrived, after those its booking traveller's first version made; and how
    sure)."""

    follow: Follow
    occurrence: Occurrence
    reasons: tuple[str, ...]
    score: float | None


@dataclass(frozen=True, slots=True)
class IdentityBooking:
    """A booking of the identity a traveller was resolved into, and the occurrence on it."""

    traveller_id: int  # the traveller asked about
    identity_id: int
    booking_id: int
    occurrence: Occurrence


class Follows(Protocol):
    """Analysts' follows on confirmed identities (openpiu.model.follows): started, reviewed and ended with
    their audit events; the follow's events appended, never changed."""

    def follow_grounds(self, identity_id: int) -> str | None:
        """How the identity was confirmed: an analyst's link judgement among its occurrences, else a hit on
        one of them an analyst confirmed (None: neither). NotFound when there is no such identity."""
        ...

    def start_follow(
        self,
        identity_id: int,
        *,
        actor: str,
        legal_basis: str,
        reason: str,
        expires_at: datetime,
        review_at: datetime,
        grounds: str,
    ) -> Follow:
        """Keep a follow of the identity (NotFound when it does not exist), with its event and audit entry."""
        ...

    def review_follow(
        self, follow_id: int, *, actor: str, reason: str, expires_at: datetime, review_at: datetime
    ) -> Follow:
        """A review that sets a new end (an expired follow is active again); InvalidTransition once ended."""
        ...

    def end_follow(self, follow_id: int, *, actor: str, reason: str) -> Follow:
        """End the follow (InvalidTransition when it ended already)."""
        ...

    def follow(self, follow_id: int) -> Follow | None: ...

    def follows(self, *, followed_by: str | None = None, include_ended: bool = False) -> list[Follow]:
        """Follows (of one follower, or all), soonest review first."""
        ...

    def follow_events(self, follow_id: int) -> list[FollowEvent]: ...

    def followed_occurrences(
        self, *, traveller_ids: Collection[int] = (), api_person_ids: Collection[int] = (), now: datetime
    ) -> list[FollowedOccurrence]:
        """Those of the occurrences that belong to an identity followed at ``now`` (not ended, not expired):
        one row per occurrence and follow, in one query."""
        ...


class TravelHistories(Protocol):
    """What the journey features need at screening time, set-based."""

    def identity_bookings(self, traveller_ids: Collection[int]) -> list[IdentityBooking]:
        """For each traveller resolved into an identity, every booking any occurrence of that identity is on
        (one query, whatever the number of travellers)."""
        ...


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

    def find_events(self, query: AuditQuery) -> list[AuditEvent]:
        """Events matching the query, newest first."""
        ...


class Accounts(Protocol):
    """Users of the web application, their sessions, and failed sign-ins counted for throttling."""

    def add_user(self, username: str, role: Role, password_hash: str) -> StoredUser:
        """Keep a new user; a name taken already raises :class:`AlreadyExists`."""
        ...

    def user(self, user_id: int) -> StoredUser | None: ...

    def user_named(self, username: str) -> StoredUser | None:
        """The user with exactly this (already normalised) name."""
        ...

    def users(self) -> list[StoredUser]:
        """Every user, by name."""
        ...

    def set_role(self, user_id: int, role: Role) -> StoredUser:
        """Give the user another role (NotFound when there is no such user)."""
        ...

    def disable_user(self, user_id: int) -> StoredUser:
        """Refuse the user from now on: marked disabled and every session of theirs deleted, together."""
        ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the user's password hash (a new password, or the same one hashed with new parameters)."""
        ...

    def mark_login(self, user_id: int) -> None:
        """Note a successful sign-in (its time)."""
        ...

    def record_login_failure(
        self, key: str, *, limit: int, window: timedelta, lockout: timedelta
    ) -> LoginThrottle:
        """Count one failed sign-in for ``key``; the ``limit``-th failure within ``window`` locks the key
        for ``lockout`` (and starts counting afresh). A failure after the window starts a new window."""
        ...

    def login_throttle(self, key: str) -> LoginThrottle | None:
        """The failures counted for ``key``, if any."""
        ...

    def clear_login_failures(self, key: str) -> None:
        """Forget the failures of ``key`` (after a successful sign-in)."""
        ...

    def create_session(
        self, token_hash: str, user_id: int, *, csrf_token: str, expires_at: datetime
    ) -> StoredSession: ...

    def session(self, token_hash: str) -> StoredSession | None: ...

    def touch_session(self, token_hash: str) -> None:
        """Note activity on the session now (its idle time starts again)."""
        ...

    def delete_session(self, token_hash: str) -> bool:
        """Delete the session; whether there was one."""
        ...

    def delete_user_sessions(self, user_id: int) -> int:
        """Delete every session of the user; how many there were."""
        ...

    def purge_sessions(self, *, idle_since: datetime) -> int:
        """Delete sessions past their absolute end or not used since ``idle_since``, and failure counts
        whose window and lockout are over; returns how many sessions were deleted."""
        ...


class Integrity(Protocol):
    """What the database does not check itself, checked on demand (`openpiu db check`)."""

    def dangling_references(self) -> dict[str, int]:
        """For each reference the database does not check itself (the evidence index's, and on PostgreSQL
        those of the rows written per booking record, traveller and API person: see the schema's
        ``REFERENCES_CHECKED_BY_THE_STORE``), named ``table.column -> referenced table``: how many rows
        point at no row. All zero in a sound database. Reads each table once: minutes on a large one."""
        ...


class Reads(Protocol):
    """Several reads taken together: what one page shows, read on one connection in one transaction."""

    def reading(self) -> AbstractContextManager[None]:
        """Inside the block, this thread's reads share one connection (its checkout and check are paid
        once, not per read; on SQLite they also share one read transaction, one view of the database).
        Nothing may be written inside: a write raises StoreError (it would hold a second connection
        while this one waits)."""
        ...

    def prewarm(self) -> list[tuple[str, float]]:
        """Read the indexes every network and journey page walks into memory (the operating system's
        file cache), each in one pass: what a server's first minutes would otherwise read page by page,
        at random, from the disk. Returns each index read with the seconds it took; nothing where the
        backend keeps its own cache (PostgreSQL without the pg_prewarm extension)."""
        ...


class Store(
    Reads,
    Integrity,
    Inbox,
    PushSeries,
    Bookings,
    PassengerLists,
    Watchlists,
    Criteria,
    CriteriaDrafts,
    Hits,
    Decisions,
    Transmissions,
    Audit,
    Accounts,
    Identities,
    Follows,
    TravelHistories,
    Protocol,
):
    """All of the storage contract, as one object."""

    def close(self) -> None: ...
