"""The SQL side of what the analyst's screens show about flights: every push of a flight, and the board of
a day's flights with their pushes and the hits waiting on each (no personal data: ids, counts, schedules).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from openpiu.model import Flight
from openpiu.model.journeys import designator
from openpiu.store import schema as t
from openpiu.store.codec import from_json, segments_from_parts, traveller_from_parts
from openpiu.store.protocols import (
    BookingSummary,
    FlightManifest,
    FlightPush,
    FlightStatus,
    FlightTogether,
    ManifestBooking,
    ManifestTraveller,
    StoredFlight,
    StoredTraveller,
)
from openpiu.store.sql_base import SqlBase, rows_in

__all__ = ["ViewsMixin", "stored_flight"]

_IN_CHUNK = 2_000  # values per IN list


def stored_flight(row: Row[Any]) -> StoredFlight:
    """A flights row (all columns) as a StoredFlight."""
    m = row._mapping  # see sql_review.stored_hit
    return StoredFlight(
        id=m["id"],
        flight_date=m["flight_date"],
        flight=from_json(Flight, m["record"]),
        push_count=m["push_count"],
        first_message_id=m["first_message_id"],
        last_message_id=m["last_message_id"],
        last_pushed_at=m["last_pushed_at"],
    )


def _push(row: Row[Any]) -> FlightPush:
    m = row._mapping  # see sql_review.stored_hit
    return FlightPush(
        message_id=m["message_id"],
        function=m["function"],
        parts=m["parts"],
        sender=m["sender"],
        pushed_at=m["pushed_at"],
        stored_at=m["stored_at"],
        bookings=m["bookings"],
    )


#: `flights_together`'s reads, as SQL text run by the driver (see `sql_base.rows_in`).
_OWN_FLIGHTS = (
    "SELECT DISTINCT m.identity_id, m.booking_id, b.flight_id FROM identity_members m"
    " JOIN bookings b ON b.id = m.booking_id WHERE m.identity_id {values} AND NOT b.cancelled"
)
_ON_FLIGHTS = (
    "SELECT DISTINCT m.identity_id, m.booking_id, b.flight_id FROM bookings b"
    " JOIN identity_members m ON m.booking_id = b.id WHERE b.flight_id {values} AND NOT b.cancelled"
)
_FLIGHT_NAMES = "SELECT id, carrier, number, flight_date FROM flights WHERE id {values}"


class ViewsMixin(SqlBase):
    """Flight pushes and the day's board, for :class:`~openpiu.store.sql.SqlStore`."""

    def flight_pushes(self, flight_id: int) -> list[FlightPush]:
        fp = t.flight_pushes
        query = sa.select(fp).where(fp.c.flight_id == flight_id).order_by(fp.c.pushed_at, fp.c.id)
        with self._read() as connection:
            return [_push(row) for row in connection.execute(query)]

    def flights_together(self, identity_ids: Collection[int], *, at_least: int) -> list[FlightTogether]:
        if not identity_ids:
            return []
        # Two narrow reads through the driver (the identities' bookings and flights; everyone with an
        # identity on a booking of those flights, each once per booking whatever its versions) and the
        # pairing here: a network's first hop pairs a traveller with every fellow passenger of a few
        # flights, and one statement that paired and grouped them in the database cost more than both reads
        # at ten million rows (its joins of materialised sets, then the rows through SQLAlchemy).
        with self._read() as connection:
            own = rows_in(connection, _OWN_FLIGHTS, sorted(set(identity_ids)))
            on_flights: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for identity, booking, flight in rows_in(connection, _ON_FLIGHTS, sorted({r[2] for r in own})):
                on_flights[flight].append((identity, booking))
            # each pair's rows (one per flight and pair of bookings), kept if on enough flights together
            paired: dict[tuple[int, int], list[tuple[int, int, int, int, int]]] = defaultdict(list)
            for identity, booking, flight in own:
                for other, other_booking in on_flights[flight]:
                    if other_booking != booking and other != identity:
                        paired[(identity, other)].append((identity, booking, other, other_booking, flight))
            rows = [
                row
                for found in paired.values()
                if len({row[4] for row in found}) >= at_least
                for row in found
            ]
            names = {
                flight: (carrier, number, day if isinstance(day, date) else date.fromisoformat(day))
                for flight, carrier, number, day in rows_in(
                    connection, _FLIGHT_NAMES, sorted({row[4] for row in rows})
                )
            }
        return [FlightTogether(*row, *names[row[4]]) for row in sorted(rows)]

    def flight_board(self, flight_dates: Sequence[date]) -> list[FlightStatus]:
        f, fp, h, b = t.flights, t.flight_pushes, t.hits, t.bookings
        days = sorted(set(flight_dates))
        if not days:
            return []
        with self._read() as connection:
            flights = [
                stored_flight(row)
                for row in connection.execute(
                    sa.select(f).where(f.c.flight_date.in_(days)).order_by(f.c.departure_utc, f.c.id)
                )
            ]
            ids = [flight.id for flight in flights]
            pushes: dict[int, list[FlightPush]] = defaultdict(list)
            for row in connection.execute(
                sa.select(fp).where(fp.c.flight_id.in_(ids)).order_by(fp.c.pushed_at, fp.c.id)
            ):
                pushes[row.flight_id].append(_push(row))
            waiting: dict[int, Counter[int]] = defaultdict(Counter)
            decided: Counter[int] = Counter()
            for row in connection.execute(
                sa.select(h.c.flight_id, h.c.priority, h.c.outcome.is_(None).label("open"), sa.func.count())
                .where(h.c.flight_id.in_(ids), h.c.superseded_by.is_(None))  # each match once
                .group_by(h.c.flight_id, h.c.priority, h.c.outcome.is_(None))
            ):
                if row.open:
                    waiting[row.flight_id][row.priority] += row[3]
                else:
                    decided[row.flight_id] += row[3]
            bookings: dict[int, int] = dict(
                connection.execute(
                    sa.select(b.c.flight_id, sa.func.count())
                    .where(b.c.flight_id.in_(ids), sa.not_(b.c.cancelled))
                    .group_by(b.c.flight_id)
                ).all()
            )
        return [
            FlightStatus(
                flight=flight,
                pushes=tuple(pushes.get(flight.id, ())),
                hits_waiting=dict(sorted(waiting.get(flight.id, Counter()).items())),
                hits_decided=decided.get(flight.id, 0),
                bookings=int(bookings.get(flight.id, 0)),
            )
            for flight in flights
        ]

    def surnames(self, from_date: date, to_date: date) -> list[str]:
        ti = t.traveller_identities
        query = (
            sa.select(ti.c.surname_key)
            .where(ti.c.flight_date >= from_date, ti.c.flight_date <= to_date, ti.c.surname_key.is_not(None))
            .distinct()
        )
        with self._read() as connection:
            return sorted(connection.execute(query).scalars())

    def travellers_by_surname(
        self, surname_keys: Sequence[str], from_date: date, to_date: date
    ) -> list[StoredTraveller]:
        tr, ti, b = t.travellers, t.traveller_identities, t.bookings
        if not surname_keys:
            return []
        query = (
            sa.select(tr, ti.c.record.label("identity"))
            .select_from(
                tr.join(ti, ti.c.traveller_id == tr.c.id).join(b, b.c.current_version_id == tr.c.version_id)
            )
            .where(
                ti.c.surname_key.in_(sorted(set(surname_keys))),
                ti.c.flight_date >= from_date,
                ti.c.flight_date <= to_date,
            )
            .order_by(tr.c.flight_date, tr.c.id)
        )
        with self._read() as connection:
            return [
                StoredTraveller(
                    id=row.id,
                    version_id=row.version_id,
                    booking_id=row.booking_id,
                    flight_date=row.flight_date,
                    position=row.position,
                    traveller=traveller_from_parts(row.record, row.identity),
                )
                for row in connection.execute(query)
            ]

    def booking_summaries(self, booking_ids: Sequence[int]) -> list[BookingSummary]:
        b, f = t.bookings, t.flights
        if not booking_ids:
            return []
        query = (
            sa.select(
                b.c.id, b.c.flight_id, b.c.flight_date, b.c.locator, b.c.cancelled, f.c.carrier, f.c.number
            )
            .select_from(b.join(f, f.c.id == b.c.flight_id))
            .where(b.c.id.in_(sorted(set(booking_ids))))
            .order_by(b.c.id)
        )
        with self._read() as connection:
            return [
                BookingSummary(
                    row.id,
                    row.flight_id,
                    row.flight_date,
                    row.locator,
                    bool(row.cancelled),
                    designator(row.carrier, row.number) or "",
                )
                for row in connection.execute(query)
            ]

    def flight_manifest(self, flight_id: int) -> FlightManifest:
        b, v, i = t.bookings, t.booking_versions, t.booking_identities
        tr, ti = t.travellers, t.traveller_identities
        current = sa.and_(b.c.flight_id == flight_id, sa.not_(b.c.cancelled))
        travellers = (
            sa.select(tr.c.id, tr.c.booking_id, tr.c.position, tr.c.ref, ti.c.surname, ti.c.given_names)
            .select_from(
                tr.join(ti, ti.c.traveller_id == tr.c.id).join(b, b.c.current_version_id == tr.c.version_id)
            )
            .where(current)
            .order_by(tr.c.booking_id, tr.c.position)
        )
        cancelled = sa.select(sa.func.count()).select_from(b).where(b.c.flight_id == flight_id, b.c.cancelled)
        with self._read() as connection:  # rows as mappings: see sql_review.stored_hit
            # Of each booking only what tells who checked in: the segments and the check-in names. The
            # documents are JSON text on both backends (parsing them here with orjson is faster than the
            # database's taking a part of the text), so each comes whole and the parts are taken here.
            bookings = (
                sa.select(b.c.id, b.c.locator, v.c.record.label("public"), i.c.record.label("identity"))
                .select_from(
                    b.join(v, v.c.id == b.c.current_version_id).outerjoin(i, i.c.version_id == v.c.id)
                )
                .where(current)
                .order_by(b.c.id)
            )
            booking_rows = connection.execute(bookings).mappings().all()
            traveller_rows = connection.execute(travellers).mappings().all()
            cancelled_count = int(connection.execute(cancelled).scalar_one())
        return FlightManifest(
            bookings=[
                ManifestBooking(
                    row["id"],
                    row["locator"],
                    segments_from_parts(
                        (row["public"] or {}).get("segments"),
                        (row["identity"] or {}).get("check_in_names"),
                    ),
                )
                for row in booking_rows
            ],
            travellers=[
                ManifestTraveller(
                    id=row["id"],
                    booking_id=row["booking_id"],
                    position=row["position"],
                    ref=row["ref"],
                    surname=row["surname"],
                    given_names=row["given_names"],
                )
                for row in traveller_rows
            ],
            cancelled_bookings=cancelled_count,
        )
