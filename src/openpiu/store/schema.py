"""The SQL schema (SQLAlchemy Core tables), shared by the queries and checked against the migrations.

Designed for the lifecycle jobs to come:

- **Deletion by age** is a range delete: every row about a flight carries its ``flight_date`` (the local
  departure date at the origin), indexed, so "everything before D" is ``WHERE flight_date < D`` on each
  table, children first; messages also carry ``received_at`` for what never became a flight.
- **Masking** replaces identifying data in place: traveller and booking identities (names, dates of birth,
  documents, contacts, addresses, payments, frequent flyer, remarks) live in ``traveller_identities`` and
  ``booking_identities``, one row per traveller or booking version, keyed by its id, with a ``masked_at``
  mark; the raw bytes of each message live in ``message_bodies`` so they can be rewritten too. The public
  rows (itinerary, booking times, traveller type) are never touched by masking.
- **Provenance:** every booking version names its message, the message part and its position in it.

Typed columns hold what is queried (locator, flight, dates, surnames for search); a JSON column holds the
full record part (see :mod:`openpiu.store.codec`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

__all__ = [
    "GENESIS_HASH",
    "UtcDateTime",
    "api_matches",
    "api_person_identities",
    "api_persons",
    "audit_events",
    "audit_head",
    "booking_identities",
    "booking_removals",
    "booking_versions",
    "bookings",
    "criteria",
    "criteria_drafts",
    "decisions",
    "discarded_messages",
    "flight_designators",
    "flight_pushes",
    "flights",
    "follow_events",
    "follows",
    "hits",
    "identities",
    "identity_judgements",
    "identity_keys",
    "identity_members",
    "login_throttles",
    "message_bodies",
    "message_states",
    "messages",
    "metadata",
    "passenger_lists",
    "push_parts",
    "push_series",
    "transmission_events",
    "transmissions",
    "traveller_identities",
    "travellers",
    "user_sessions",
    "users",
    "watchlist_entries",
    "watchlists",
]

#: The ``prev_hash`` of the first audit event.
GENESIS_HASH = "0" * 64


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An instant: aware UTC in and out; naive values are refused (SQLite stores naive UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a naive datetime cannot be stored as an instant: {value.isoformat()}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: Integer keys: 64-bit on PostgreSQL; SQLite autoincrements only an exact INTEGER PRIMARY KEY.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: JSON documents: JSONB on PostgreSQL (compact, indexable), JSON text on SQLite.
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: The documents written for every booking record, traveller and API person: JSON text on both backends
#: (PostgreSQL's ``json`` checks the text is JSON and keeps it as it is). Storing them as JSONB took the
#: server twice the CPU (parsing each into its binary form, 50,000 documents a minute), and reading them
#: back turned the binary form into text again; no query looks inside them (migration 0023).
RecordText = sa.JSON()

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


def _id() -> sa.Column[Any]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


# --- inbox ---------------------------------------------------------------------------------------

messages = sa.Table(
    "messages",
    metadata,
    _id(),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex of the raw bytes
    sa.Column("sender", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False, index=True),
    sa.Column("last_received_at", UtcDateTime, nullable=False),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("reason", sa.Text),
    sa.Column("state_changed_at", UtcDateTime, nullable=False),
    sa.Column("flight_date", sa.Date, index=True),  # known once stored
    # What protection removed before the message was kept, written with it (codes and counts only).
    sa.Column("removed_items", sa.Integer, nullable=False, server_default="0"),
    sa.Column("removals", Document),
    # The name it arrived under: the file's for folder and command-line ingest (the first in name order
    # when the same bytes came under several names), the transport's for HTTP and AMQP.
    sa.Column("source", sa.Text),
)

message_bodies = sa.Table(
    "message_bodies",
    metadata,
    sa.Column(
        "message_id",
        Id,
        sa.ForeignKey("messages.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("masked_at", UtcDateTime),
)

message_states = sa.Table(
    "message_states",
    metadata,
    _id(),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", UtcDateTime, nullable=False, index=True),  # the operations page's last 24 hours
)

# --- flights and bookings ------------------------------------------------------------------------

flights = sa.Table(
    "flights",
    metadata,
    _id(),
    sa.Column("carrier", sa.Text, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),  # "" when the push did not say
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("destination", sa.Text),
    sa.Column("departure_utc", UtcDateTime),
    sa.Column("record", Document, nullable=False),
    sa.Column("push_count", sa.Integer, nullable=False),
    sa.Column("first_message_id", Id, sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("last_message_id", Id, sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("last_pushed_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("carrier", "number", "flight_date", "origin"),
)

bookings = sa.Table(
    "bookings",
    metadata,
    _id(),
    sa.Column("flight_id", Id, sa.ForeignKey("flights.id"), nullable=False),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    # The locator, or for a booking without one a key unique to its message and position.
    sa.Column("booking_key", sa.Text, nullable=False),
    sa.Column("locator", sa.Text, index=True),
    # No foreign key (versions point here already); indexed: a flight's or a name's current travellers
    # are found by joining their version to it.
    sa.Column("current_version_id", Id, index=True),
    sa.Column("current_pushed_at", UtcDateTime),
    sa.Column("version_count", sa.Integer, nullable=False),
    sa.Column("cancelled", sa.Boolean, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("flight_id", "booking_key"),
)

booking_versions = sa.Table(
    "booking_versions",
    metadata,
    _id(),
    sa.Column("booking_id", Id, sa.ForeignKey("bookings.id"), nullable=False),
    sa.Column("flight_id", Id, sa.ForeignKey("flights.id"), nullable=False),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("part", sa.Integer),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("function", sa.Text),
    sa.Column("cancelled", sa.Boolean, nullable=False),
    sa.Column("locator", sa.Text),
    sa.Column("pushed_at", UtcDateTime, nullable=False),
    sa.Column("stored_at", UtcDateTime, nullable=False),
    sa.Column("record", RecordText, nullable=False),  # the booking without its identifying fields
    sa.UniqueConstraint("booking_id", "version"),
    sa.UniqueConstraint("message_id", "position"),  # storing a message twice adds nothing
)

booking_identities = sa.Table(
    "booking_identities",
    metadata,
    sa.Column(
        "version_id",
        Id,
        sa.ForeignKey("booking_versions.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("record", RecordText, nullable=False),  # group name, contacts, addresses, payments, remarks ...
    sa.Column("masked_at", UtcDateTime),
)

travellers = sa.Table(
    "travellers",
    metadata,
    _id(),
    # Found by version through the unique index below (its first column): no index of its own (0019).
    sa.Column("version_id", Id, sa.ForeignKey("booking_versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("booking_id", Id, sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("ref", sa.Text),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("record", RecordText, nullable=False),  # the traveller without identifying fields
    sa.UniqueConstraint("version_id", "position"),
)

traveller_identities = sa.Table(
    "traveller_identities",
    metadata,
    sa.Column(
        "traveller_id",
        Id,
        sa.ForeignKey("travellers.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("surname", sa.Text),
    sa.Column("given_names", sa.Text),
    sa.Column("surname_key", sa.Text),  # upper-cased surname, for search
    sa.Column("date_of_birth", sa.Text),  # YYYY[-MM[-DD]]
    sa.Column("record", RecordText, nullable=False),  # names, documents, contacts, addresses, tickets ...
    sa.Column("masked_at", UtcDateTime),
    # By surname (search), and by surname, given names and date of birth, newest flights first (a
    # traveller's other bookings: a common surname has thousands of rows, a frequent traveller hundreds).
    sa.Index(
        "ix_traveller_identities_name_date",
        "surname_key",
        "given_names",
        "date_of_birth",
        "flight_date",
        "traveller_id",
    ),
)

# --- split pushes ----------------------------------------------------------------------------------

push_series = sa.Table(
    "push_series",
    metadata,
    _id(),
    # sender, flight, common access reference and function: the parts of one push share it
    sa.Column("series_key", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # open, stored, quarantined
    sa.Column("opened_at", UtcDateTime, nullable=False, index=True),
    sa.Column("closed_at", UtcDateTime),
    sa.Column("reason", sa.Text),
    sa.Index("ix_push_series_key_state", "series_key", "state"),
)

push_parts = sa.Table(
    "push_parts",
    metadata,
    sa.Column(
        "message_id",
        Id,
        sa.ForeignKey("messages.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("series_id", Id, sa.ForeignKey("push_series.id"), nullable=False, index=True),
    sa.Column("part", sa.Integer, nullable=False),
    sa.Column("final", sa.Boolean, nullable=False),
    sa.Column("added_at", UtcDateTime, nullable=False),
)

# --- reconciliation ------------------------------------------------------------------------------

flight_designators = sa.Table(
    "flight_designators",
    metadata,
    _id(),
    sa.Column("flight_id", Id, sa.ForeignKey("flights.id"), nullable=False, index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("carrier", sa.Text, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("operating", sa.Boolean, nullable=False),  # the operating carrier's own designator
    sa.UniqueConstraint("flight_id", "carrier", "number"),
)

flight_pushes = sa.Table(
    "flight_pushes",
    metadata,
    _id(),
    sa.Column("flight_id", Id, sa.ForeignKey("flights.id"), nullable=False, index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), nullable=False, unique=True),  # first part
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("function", sa.Text),
    sa.Column("sender", sa.Text),  # UNB sender (or the transport's): pushes per carrier
    sa.Column("pushed_at", UtcDateTime, nullable=False),
    sa.Column("bookings", sa.Integer, nullable=False),
    sa.Column("stored_at", UtcDateTime, nullable=False),
)

booking_removals = sa.Table(
    "booking_removals",
    metadata,
    _id(),
    sa.Column("booking_id", Id, sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("flight_id", Id, sa.ForeignKey("flights.id"), nullable=False),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), nullable=False),  # the full push without it
    sa.Column("pushed_at", UtcDateTime, nullable=False),
    sa.Column("stored_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("booking_id", "message_id"),
)

# --- API data (PAXLST) ---------------------------------------------------------------------------

passenger_lists = sa.Table(
    "passenger_lists",
    metadata,
    _id(),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), nullable=False, unique=True),
    sa.Column("flight_id", Id, sa.ForeignKey("flights.id"), index=True),  # once a PNR push names it
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("carrier", sa.Text, nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("crew", sa.Boolean, nullable=False),
    sa.Column("record", Document, nullable=False),  # header and legs, without the persons
    sa.Column("stored_at", UtcDateTime, nullable=False),
)

api_persons = sa.Table(
    "api_persons",
    metadata,
    _id(),
    sa.Column("list_id", Id, sa.ForeignKey("passenger_lists.id"), nullable=False, index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("record", RecordText, nullable=False),  # the person without identifying fields
    sa.UniqueConstraint("list_id", "position"),
)

api_person_identities = sa.Table(
    "api_person_identities",
    metadata,
    sa.Column(
        "api_person_id",
        Id,
        sa.ForeignKey("api_persons.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("surname_key", sa.Text, index=True),
    sa.Column("record", RecordText, nullable=False),  # names, documents, address, contacts (Art 12(2)(f))
    sa.Column("masked_at", UtcDateTime),
)

api_matches = sa.Table(
    "api_matches",
    metadata,
    _id(),
    sa.Column("api_person_id", Id, sa.ForeignKey("api_persons.id"), nullable=False, unique=True),
    sa.Column("booking_id", Id, sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("traveller_id", Id, sa.ForeignKey("travellers.id"), nullable=False),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("explanation", Document, nullable=False),  # features that agreed, never their values
    sa.Column("matched_at", UtcDateTime, nullable=False),
)

# --- traveller identities ------------------------------------------------------------------------
#
# Every traveller of every booking version and every API person (an occurrence) belongs to one identity
# (openpiu.analysis.identity). Nothing here is clear text: the keys are keyed digests of identifying values.
# Rows about an occurrence carry its flight date, so deletion by age removes them with it; an identity left
# without occurrences goes with them.

identities = sa.Table(
    "identities",
    metadata,
    _id(),
    # The smallest occurrence key of its members (message content hash and positions): the same identity
    # in two databases built from the same messages, whatever order they arrived in.
    sa.Column("anchor", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

identity_members = sa.Table(
    "identity_members",
    metadata,
    _id(),
    sa.Column("identity_id", Id, sa.ForeignKey("identities.id"), nullable=False),
    # The occurrence: a traveller of a booking version, or an API person.
    sa.Column("traveller_id", Id, sa.ForeignKey("travellers.id"), unique=True),
    sa.Column("api_person_id", Id, sa.ForeignKey("api_persons.id"), unique=True),
    sa.Column("booking_id", Id, sa.ForeignKey("bookings.id")),
    # The same in every version of one booking's traveller (digest of its reference and name).
    sa.Column("chain", sa.String(32)),
    # Digests of the keys it showed and of its booking's own: a later version showing the same keys (most
    # pushes repeat the booking) is resolved without reading them again.
    sa.Column("signature", sa.String(16)),
    sa.Column("booking_signature", sa.String(16)),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    # Why it joined its identity when it arrived (the kinds of its links) and how sure (None: the first).
    sa.Column("score", sa.Float),
    sa.Column("reasons", Document, nullable=False),
    sa.Column("assigned_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("(traveller_id IS NULL) <> (api_person_id IS NULL)", name="one_occurrence"),
    # Both ways between identities and bookings, covering: who travels on which booking is read from the
    # index alone (a network's every hop asks it).
    sa.Index(None, "identity_id", "booking_id"),
    sa.Index(None, "booking_id", "identity_id"),
)

identity_keys = sa.Table(
    "identity_keys",
    metadata,
    # The evidence index: one row per key of a booking's traveller (whatever its number of versions), of an
    # API person, or of a booking itself (contacts, card, agency: identity and chain empty).
    _id(),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("digest", sa.String(32), nullable=False),
    sa.Column("birth", sa.String(17)),  # digests of the date of birth, for the kinds that compare it
    # No foreign keys: the index is derived, and checking its eight rows per traveller one by one was a
    # third of PostgreSQL's work at ingest (migration 0018). Merges, splits and deletion by age rewrite
    # it by these columns; the contract suite checks that no row points at nothing.
    sa.Column("identity_id", Id, index=True),
    sa.Column("booking_id", Id, index=True),
    sa.Column("chain", sa.String(32)),
    sa.Column("api_person_id", Id),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    # Covering: a value's holders (bookings, identities) are counted and read from the index alone.
    sa.Index(None, "digest", "identity_id", "booking_id"),
)

identity_judgements = sa.Table(
    "identity_judgements",
    metadata,
    # Append-only: an analyst's link (two identities are one person) or split (these occurrences are
    # someone else), with who, when and why. A split keeps its two sides apart from then on: resolution
    # never merges the identities of its two members again (a later link by an analyst does).
    _id(),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("first_member_id", Id, sa.ForeignKey("identity_members.id"), nullable=False, index=True),
    sa.Column("second_member_id", Id, sa.ForeignKey("identity_members.id"), nullable=False, index=True),
    sa.Column("identity_ref", sa.BigInteger, nullable=False),  # the identity judged (its id then)
    sa.Column("other_ref", sa.BigInteger, nullable=False),  # the one linked to it, or split from it
    sa.Column("occurrences", Document, nullable=False),  # the occurrences a split moved
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),  # the later of its two members'
)

# --- follows ---------------------------------------------------------------------------------------
#
# An analyst's follow on a confirmed identity (openpiu.model.follows). The identity followed is the one its
# anchor member belongs to now, so a follow stays with its person when resolution or an analyst merges the
# identity into another. The row holds the follow as it stands; what happened to it is in follow_events.

follows = sa.Table(
    "follows",
    metadata,
    _id(),
    sa.Column("member_id", Id, sa.ForeignKey("identity_members.id"), nullable=False, index=True),
    sa.Column("identity_ref", sa.BigInteger, nullable=False),  # the identity followed (its id then)
    sa.Column("followed_by", sa.Text, nullable=False, index=True),
    sa.Column("legal_basis", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("grounds", sa.Text, nullable=False),  # how the identity was confirmed
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
    sa.Column("review_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime),
    sa.Column("end_reason", sa.Text),
)

follow_events = sa.Table(
    "follow_events",
    metadata,
    # Append-only: started, reviewed (extended) or ended, with who, when and why.
    _id(),
    sa.Column("follow_id", Id, sa.ForeignKey("follows.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
)

# --- screening ---------------------------------------------------------------------------------

watchlists = sa.Table(
    "watchlists",
    metadata,
    _id(),
    sa.Column("list_id", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("record", Document, nullable=False),  # the Watchlist: name, source, legal basis, owner ...
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),  # the version screened against (one per list)
    sa.Column("imported_at", UtcDateTime, nullable=False),
    sa.Column("imported_by", sa.Text, nullable=False),
    sa.UniqueConstraint("list_id", "version"),
)

watchlist_entries = sa.Table(
    "watchlist_entries",
    metadata,
    _id(),
    sa.Column(
        "watchlist_id", Id, sa.ForeignKey("watchlists.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("entry_id", sa.Text, nullable=False),
    sa.Column("record", Document, nullable=False),  # the WatchlistEntry
    sa.UniqueConstraint("watchlist_id", "entry_id"),
)

criteria = sa.Table(
    "criteria",
    metadata,
    _id(),
    sa.Column("criterion_id", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("record", Document, nullable=False),  # title, owner, purpose, approval, review, expiry
    sa.Column("source", sa.Text, nullable=False),  # the criterion as written (YAML)
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("activated_at", UtcDateTime, nullable=False),
    sa.Column("activated_by", sa.Text, nullable=False),
    sa.UniqueConstraint("criterion_id", "version"),
)

#: Criteria as supervisors draft them on the criteria pages: each save is a new row (the text never changes,
#: so a back-test and an approval always concern exactly the text shown); only the back-test's counts and
#: the approval are written later.
criteria_drafts = sa.Table(
    "criteria_drafts",
    metadata,
    _id(),
    sa.Column("text", sa.Text, nullable=False),  # the criteria YAML as written
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("based_on", Id, sa.ForeignKey("criteria_drafts.id")),  # the draft this one revises
    sa.Column("backtest_from", sa.Date),
    sa.Column("backtest_to", sa.Date),
    sa.Column("backtest", Document),  # counts per criterion and day only: no personal data
    sa.Column("backtested_at", UtcDateTime),
    sa.Column("backtested_by", sa.Text),
    sa.Column("approved_by", sa.Text),
    sa.Column("approved_at", UtcDateTime),
)

hits = sa.Table(
    "hits",
    metadata,
    _id(),
    sa.Column("kind", sa.String(16), nullable=False),
    # No flight while only API data made it known; no booking nor traveller row for an API person alone.
    sa.Column("flight_id", Id, sa.ForeignKey("flights.id"), index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("booking_id", Id, sa.ForeignKey("bookings.id"), index=True),
    sa.Column("traveller_key", sa.Text, nullable=False),
    sa.Column("traveller_id", Id, sa.ForeignKey("travellers.id")),
    sa.Column("api_person_id", Id, sa.ForeignKey("api_persons.id")),
    sa.Column("source_id", sa.Text, nullable=False),
    sa.Column("source_version", sa.Text, nullable=False),
    sa.Column("list_id", sa.Text),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("explanation", Document, nullable=False),
    sa.Column("first_seen_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("screenings", sa.Integer, nullable=False),  # how many pushes raised it again
    # The latest decision's outcome (None: waiting for an analyst), kept beside the append-only
    # decisions so the queue is one indexed query.
    sa.Column("outcome", sa.String(16)),
    sa.Column("decided_at", UtcDateTime),
    # A hit of an API person alone, taken over by the hit of the traveller the person was merged with
    # later (the same entry): it leaves the queue, its decisions are shown with that hit. No foreign key
    # (SQLite adds one only by copying the table, which decisions and transmissions point at).
    sa.Column("superseded_by", Id),
    sa.Column("superseded_at", UtcDateTime),
    # A re-push updates the traveller's hit for the same entry or criterion instead of adding one.
    sa.UniqueConstraint("kind", "booking_id", "traveller_key", "source_id"),
    # The same for a person known from API data alone (no booking: its key names the flight and person).
    sa.Index(
        "ix_hits_api_subject",
        "kind",
        "traveller_key",
        "source_id",
        unique=True,
        sqlite_where=sa.text("booking_id IS NULL"),
        postgresql_where=sa.text("booking_id IS NULL"),
    ),
)

# The queue: hits by outcome (none: waiting) and flight date, of those not taken over by another hit.
sa.Index(
    "ix_hits_queue",
    hits.c.outcome,
    hits.c.flight_date,
    sqlite_where=sa.text("superseded_by IS NULL"),
    postgresql_where=sa.text("superseded_by IS NULL"),
)
# The hits a hit took over. Partial: almost every hit has none, and a full index would tempt SQLite's
# planner into reading the queue ("superseded_by IS NULL") through it.
sa.Index(
    "ix_hits_superseded_by",
    hits.c.superseded_by,
    sqlite_where=sa.text("superseded_by IS NOT NULL"),
    postgresql_where=sa.text("superseded_by IS NOT NULL"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    # Append-only: a decision is never changed; a later one on the same hit supersedes it.
    _id(),
    sa.Column("hit_id", Id, sa.ForeignKey("hits.id"), nullable=False, index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("supersedes_id", Id, sa.ForeignKey("decisions.id")),
)

# --- transmissions to competent authorities --------------------------------------------------------

transmissions = sa.Table(
    "transmissions",
    metadata,
    _id(),
    sa.Column("hit_id", Id, sa.ForeignKey("hits.id"), nullable=False, index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),  # the hit's: masked and deleted with it
    sa.Column("authority_id", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("content", Document, nullable=False),  # the TransmissionContent: all that leaves
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("decided_by", sa.Text),  # the second person: approved or rejected
    sa.Column("decided_at", UtcDateTime),
    sa.Column("decision_reason", sa.Text),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("delivery_ref", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_attempt_at", UtcDateTime),
    sa.Column("masked_at", UtcDateTime),
)

transmission_events = sa.Table(
    "transmission_events",
    metadata,
    # Append-only: every state change of a transmission, with who, when and why.
    _id(),
    sa.Column("transmission_id", Id, sa.ForeignKey("transmissions.id"), nullable=False, index=True),
    sa.Column("flight_date", sa.Date, nullable=False, index=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text),  # why; for sent the delivery reference, for failed the error
    sa.Column("attempt", sa.Integer),
)

# --- messages not kept ---------------------------------------------------------------------------

discarded_messages = sa.Table(
    "discarded_messages",
    metadata,
    # Only a count per day and reason: a message outside the notified scope leaves nothing else.
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("reason", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

# --- audit ---------------------------------------------------------------------------------------

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", Id, primary_key=True, autoincrement=False),  # chosen by the writer: 1, 2, 3 ...
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("details", Document, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),  # a fork is a constraint violation
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
)

audit_head = sa.Table(
    "audit_head",
    metadata,
    # The chain's last event, in one row. Appending updates it first: concurrent appenders wait for its
    # row lock, and each then reads the head the one before it wrote (the chain never forks, no retry).
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
    sa.Column("seq", Id, nullable=False),  # 0 before the first event
    sa.Column("hash", sa.String(64), nullable=False),  # GENESIS_HASH before the first event
    sa.CheckConstraint("id = 1", name="one_row"),
)

# --- accounts ------------------------------------------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("username", sa.Text, nullable=False, unique=True),  # normalised (lower case) by the service
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, never the password
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("password_changed_at", UtcDateTime, nullable=False),
    sa.Column("disabled_at", UtcDateTime),
    sa.Column("last_login_at", UtcDateTime),
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    # SHA-256 of the cookie's token: a copy of the table does not let anyone sign in.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)

login_throttles = sa.Table(
    "login_throttles",
    metadata,
    # "user:<name>" or "address:<client address>": names that do not exist are counted alike.
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_started_at", UtcDateTime, nullable=False),
    sa.Column("locked_until", UtcDateTime),
)

#: References the store checks itself, (table, column, referenced table): the evidence index's everywhere
#: (migration 0018), and on PostgreSQL those of the rows written for every booking record, traveller and
#: API person (migration 0022), where the server's checks (a trigger, a look-up and a row lock per
#: reference and row) were a quarter of its work at ingest. The store writes these rows with their parents
#: in one transaction; `Store.dangling_references` (`openpiu db check`) counts any that points at nothing.
#: SQLite checks the latter itself, cheaply; the metadata above keeps their foreign keys, as SQLite has them.
REFERENCES_CHECKED_BY_THE_STORE: tuple[tuple[str, str, str], ...] = (
    ("identity_keys", "identity_id", "identities"),
    ("identity_keys", "booking_id", "bookings"),
    ("identity_keys", "api_person_id", "api_persons"),
    ("booking_versions", "booking_id", "bookings"),
    ("booking_versions", "flight_id", "flights"),
    ("booking_versions", "message_id", "messages"),
    ("booking_identities", "version_id", "booking_versions"),
    ("travellers", "booking_id", "bookings"),
    ("travellers", "version_id", "booking_versions"),
    ("traveller_identities", "traveller_id", "travellers"),
    ("identity_members", "identity_id", "identities"),
    ("identity_members", "traveller_id", "travellers"),
    ("identity_members", "api_person_id", "api_persons"),
    ("identity_members", "booking_id", "bookings"),
    ("api_persons", "list_id", "passenger_lists"),
    ("api_person_identities", "api_person_id", "api_persons"),
    ("api_matches", "api_person_id", "api_persons"),
    ("api_matches", "booking_id", "bookings"),
    ("api_matches", "traveller_id", "travellers"),
)
#: Of those, the ones PostgreSQL no longer checks (migration 0022): the metadata's foreign keys it lacks.
UNCHECKED_ON_POSTGRESQL: frozenset[tuple[str, str]] = frozenset(
    (table, column) for table, column, _ in REFERENCES_CHECKED_BY_THE_STORE if table != "identity_keys"
)
