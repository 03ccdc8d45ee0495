"""The SQL side of :class:`~openpiu.store.protocols.Identities`: identities, who belongs to which, the index
of evidence keys, and analysts' judgements.

Resolving a message is one transaction (one at a time: PostgreSQL takes an advisory lock, SQLite has one
writer): its travellers' (or persons') keys are looked up in one query per message (``DISTINCT`` digest,
identity and date-of-birth digests, for the linking kinds only), the rule the caller passed decides, and
its plan is written in bulk: new identities, members, merged identities re-pointed and deleted, the keys
not yet in the index. Keys are kept once per booking's traveller (its ``chain``), not once per version,
so a push repeated at T-24h and at closure adds members but next to no keys; a traveller showing exactly
the keys of an earlier version (told by the signature its members keep) is resolved by its chain without
reading them. Then the API merges of the flight (``api_matches``) whose two sides are in different
identities are followed the same way.

A merge keeps the identity with the lowest id and re-points the other's members and keys; its ``anchor``
(the smallest occurrence key of its members) makes an identity recognisable across databases built in a
different order. A split moves whole chains (every version of a booking's traveller) and the API persons
merged with them.

Logs name ids and counts only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

import openpiu.store.sql as _sql
from openpiu.model.identity import (
    API_REASON,
    LINKING_KINDS,
    BookingEvidence,
    EvidenceKey,
    EvidenceKind,
    Holder,
    IdentityLink,
    PersonEvidence,
    ResolutionInput,
    ResolutionPlan,
)
from openpiu.store import schema as t
from openpiu.store.codec import api_person_from_parts
from openpiu.store.protocols import (
    Decide,
    IdentityCounts,
    IdentityExportRow,
    IdentityJudgement,
    IdentityMember,
    InvalidTransition,
    KeyHolders,
    NotFound,
    Occurrence,
    StoredEvidence,
    StoredIdentity,
)
from openpiu.store.sql_base import SqlBase, listed, one_of, rows_in

__all__ = ["IdentitiesMixin"]

_log = logging.getLogger(__name__)

#: PostgreSQL advisory lock of identity resolution: one writer at a time resolves (two messages about the
#: same person resolved at once would each make an identity for it).
_LOCK = 0x6F70656E706975  # "openpiu"
_CHUNK = 2_000  # values per IN list


@dataclass(slots=True)
class _New:
    """An occurrence to resolve: what it is, where, and its keys."""

    traveller_id: int | None
    api_person_id: int | None
    booking_id: int | None
    chain: str | None
    flight_date: date
    anchor: str  # message content hash and positions: unique, and the same in any database
    keys: tuple[EvidenceKey, ...]
    signature: str | None = None
    booking_signature: str | None = None


@dataclass(slots=True)
class _Booking:
    """A booking version of the message: its booking, whether an earlier version was stored, its own keys."""

    booking_id: int
    flight_date: date
    earlier: bool
    keys: tuple[EvidenceKey, ...]
    signature: str


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


#: One statement per query, its IN list bound at execution (not a parameter built per value).
_VALUES: sa.BindParameter[Any] = sa.bindparam("values", expanding=True)
#: By backend (index: PostgreSQL or not), as each takes its list (see `one_of`).
_IDENTITIES_FOR_UPDATE = tuple(
    sa.select(t.identities.c.id, t.identities.c.anchor)
    .where(one_of(t.identities.c.id, "identities", postgres=postgres))
    .with_for_update()
    for postgres in (False, True)
)


def _versions_to_resolve(lateral: bool) -> sa.Select[Any]:
    """The versions of messages (``values``) with their travellers, and whether each is resolved.

    ``lateral`` (PostgreSQL): each version's travellers read through their index, one version at a time.
    Before the server has statistics on a growing table (its first minute, when autovacuum has not looked
    yet), the planner's guess for the versions of a message is hundreds of rows, and it would read every
    traveller stored to join them: a cost that grows with the database, at every push."""
    v, tr, m, im = t.booking_versions, t.travellers, t.messages, t.identity_members
    version = (
        v.c.id,
        v.c.message_id,
        v.c.position,
        v.c.version,
        v.c.booking_id,
        v.c.flight_id,
        v.c.flight_date,
    )
    if not lateral:
        return (
            sa.select(
                *version,
                m.c.content_hash,
                tr.c.id.label("traveller_id"),
                tr.c.position.label("traveller_position"),
                im.c.id.label("member"),
            )
            .select_from(
                v.join(m, m.c.id == v.c.message_id)
                .outerjoin(tr, tr.c.version_id == v.c.id)
                .outerjoin(im, im.c.traveller_id == tr.c.id)
            )
            .where(v.c.message_id.in_(_VALUES))
        )
    member = sa.select(im.c.id).where(im.c.traveller_id == tr.c.id).scalar_subquery()
    travelling = (
        sa.select(tr.c.id, tr.c.position, member.label("member"))
        .where(tr.c.version_id == v.c.id)
        .offset(0)  # kept a subquery: folded into the join, its plan would follow the guess again
        .lateral("travelling")
    )
    return (
        sa.select(
            *version,
            m.c.content_hash,
            travelling.c.id.label("traveller_id"),
            travelling.c.position.label("traveller_position"),
            travelling.c.member,
        )
        .select_from(v.join(m, m.c.id == v.c.message_id).outerjoin(travelling, sa.true()))
        .where(v.c.message_id.in_(_VALUES))
    )


def _api_matches_apart(lateral: bool) -> sa.Select[Any]:
    """The API matches on flights (``values``) whose API person and traveller are in different identities.

    ``lateral`` (PostgreSQL): each booking's matches, and each match's identities, read through their
    indexes (see `_versions_to_resolve`)."""
    am, b, im = t.api_matches, t.bookings, t.identity_members
    if lateral:

        def of(column: sa.Column[Any], where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
            return sa.select(column).where(where).scalar_subquery()

        matched = (
            sa.select(
                of(im.c.id, im.c.api_person_id == am.c.api_person_id).label("member"),
                of(im.c.identity_id, im.c.api_person_id == am.c.api_person_id).label("person_identity"),
                of(im.c.identity_id, im.c.traveller_id == am.c.traveller_id).label("traveller_identity"),
                am.c.method,
                am.c.confidence,
            )
            .where(am.c.booking_id == b.c.id)
            .offset(0)  # kept a subquery, as in `_versions_to_resolve`
            .lateral("matched")
        )
        return (
            sa.select(*matched.c)
            .select_from(b.join(matched, sa.true()))
            .where(b.c.flight_id.in_(_VALUES), matched.c.person_identity != matched.c.traveller_identity)
        )
    person, traveller = im.alias("person"), im.alias("traveller")
    return (
        sa.select(
            person.c.id.label("member"),
            person.c.identity_id.label("person_identity"),
            traveller.c.identity_id.label("traveller_identity"),
            am.c.method,
            am.c.confidence,
        )
        .select_from(
            am.join(b, b.c.id == am.c.booking_id)
            .join(person, person.c.api_person_id == am.c.api_person_id)
            .join(traveller, traveller.c.traveller_id == am.c.traveller_id)
        )
        .where(b.c.flight_id.in_(_VALUES), person.c.identity_id != traveller.c.identity_id)
    )


# By whether the dialect is PostgreSQL (SQLite has no LATERAL, and its planner takes the indexes anyway).
_VERSIONS_TO_RESOLVE = {lateral: _versions_to_resolve(lateral) for lateral in (False, True)}
_API_MATCHES_APART = {lateral: _api_matches_apart(lateral) for lateral in (False, True)}


#: The resolving step's look-ups by a list of values, as SQL text with ``{values}`` where the list goes: run
#: by the driver with the list as one parameter (SQLite: a JSON array read by ``json_each``; PostgreSQL: an
#: array), so neither SQLAlchemy's compiler nor its expansion of thousands of values runs per message.
_MEMBERS_OF_BOOKINGS = (
    "SELECT booking_id, chain, identity_id, signature, booking_signature FROM identity_members"
    " WHERE booking_id {values}"
)
_KEYS_OF_BOOKINGS = "SELECT digest, birth, booking_id, chain FROM identity_keys WHERE booking_id {values}"
_HOLDERS = (
    "SELECT DISTINCT digest, identity_id, birth FROM identity_keys"
    " WHERE digest {values} AND identity_id IS NOT NULL"
)

#: The network's reads (`key_holders`, `travelling`, `booking_keys`), the same way: a network's hop asks
#: for hundreds of values and reads thousands of narrow rows, which SQLAlchemy's row handling made cost
#: more than the queries. ``coalesce(identity_id, 0) = 0`` picks a booking's own keys (contacts, card,
#: agency) in a way no index on the identity serves (SQLite would otherwise walk the millions of booking
#: keys, all "identity IS NULL", through it); the covering index on (digest, identity, booking) answers.
_BOOKING_KEY = "coalesce(identity_id, 0) = 0 AND booking_id IS NOT NULL"
_KEY_COUNTS = (
    f"SELECT digest, count(*) FROM identity_keys WHERE digest {{values}} AND {_BOOKING_KEY} GROUP BY digest"
)
_KEY_HOLDERS = f"SELECT digest, booking_id FROM identity_keys WHERE digest {{values}} AND {_BOOKING_KEY}"
_KEYS_OF_BOOKINGS_OWN = (
    "SELECT DISTINCT booking_id, kind, digest FROM identity_keys"
    f" WHERE booking_id {{values}} AND {_BOOKING_KEY}"
)
_TRAVELLING_IDENTITIES = (
    "SELECT DISTINCT identity_id, booking_id FROM identity_members"
    " WHERE identity_id {values} AND booking_id IS NOT NULL"
)
_TRAVELLING_BOOKINGS = (
    "SELECT DISTINCT identity_id, booking_id FROM identity_members WHERE booking_id {values}"
)


#: Aliases built once: an alias's columns are made on first use, which cost a page a few ms every time.
_FIRST = t.identity_members.alias("first")
_SECOND = t.identity_members.alias("second")


#: The columns of an evidence index row as `_resolve` builds it: the key's (kind, digest, birth) first.
_KEY_COLUMNS = (
    "kind",
    "digest",
    "birth",
    "identity_id",
    "booking_id",
    "chain",
    "api_person_id",
    "flight_date",
)


def _add(a: IdentityCounts, b: IdentityCounts) -> IdentityCounts:
    return IdentityCounts(
        a.occurrences + b.occurrences,
        a.identities + b.identities,
        a.merged + b.merged,
        a.refused + b.refused,
        a.ambiguous + b.ambiguous,
    )


def _occurrence(traveller_id: int | None, api_person_id: int | None) -> Occurrence:
    return (
        Occurrence(traveller_id=traveller_id)
        if api_person_id is None
        else Occurrence(api_person_id=api_person_id)
    )


class IdentitiesMixin(SqlBase):
    """Identities on SqlStore's connections."""

    # --- resolving --------------------------------------------------------------------------------------

    def resolve_push(
        self, parts: Sequence[tuple[int, Sequence[BookingEvidence]]], decide: Decide
    ) -> IdentityCounts:
        message_ids = sorted({mid for mid, _ in parts})
        if not message_ids:
            return IdentityCounts()
        with self._write_derived() as connection:
            self._lock(connection)
            versions: dict[tuple[int, int], Any] = {}
            travellers: dict[tuple[int, int], Any] = {}
            # The message's versions with their travellers (and whether each is resolved already): one query.
            for found in connection.execute(
                _VERSIONS_TO_RESOLVE[connection.dialect.name == "postgresql"], {"values": message_ids}
            ):
                versions[(found.message_id, found.position)] = found
                if found.traveller_id is not None:
                    travellers[(found.id, found.traveller_position)] = found
            new: list[_New] = []
            bookings: list[_Booking] = []
            flights: set[int] = set()
            for mid, pushed in parts:
                for booking in pushed:
                    version = versions.get((mid, booking.position))
                    if version is None:
                        continue  # not stored: nothing to resolve
                    flights.add(version.flight_id)
                    stored = [travellers.get((version.id, x.position)) for x in booking.travellers]
                    if any(row is not None and row.member is not None for row in stored):
                        continue  # resolved before, with its own keys (the step is repeated after a crash)
                    bookings.append(
                        _Booking(
                            version.booking_id,
                            version.flight_date,
                            # an earlier version may have given its own keys (or this step, repeated, for
                            # a booking with no traveller to tell it)
                            version.version > 1 or not booking.travellers,
                            booking.keys,
                            booking.signature,
                        )
                    )
                    for traveller in booking.travellers:
                        row = travellers.get((version.id, traveller.position))
                        if row is None or row.member is not None:
                            continue  # resolved before (the step is repeated after a crash)
                        new.append(
                            _New(
                                traveller_id=row.traveller_id,
                                api_person_id=None,
                                booking_id=version.booking_id,
                                chain=traveller.chain,
                                flight_date=version.flight_date,
                                anchor=f"{version.content_hash}/{booking.position}/{traveller.position}",
                                keys=traveller.keys,
                                signature=traveller.signature,
                                booking_signature=booking.signature,
                            )
                        )
            counts = self._resolve(connection, new, bookings, decide)
            counts = _add(counts, self._follow_api_matches(connection, flights, decide))
        _log.info(
            "identities of message %s: %d occurrences, %d new identities, %d merged, %d links refused, "
            "%d ambiguous",
            "+".join(map(str, message_ids)),
            counts.occurrences,
            counts.identities,
            counts.merged,
            counts.refused,
            counts.ambiguous,
        )
        return counts

    def resolve_list(
        self, message_id: int, persons: Sequence[PersonEvidence], decide: Decide
    ) -> IdentityCounts:
        pl, ap, m, im = t.passenger_lists, t.api_persons, t.messages, t.identity_members
        with self._write_derived() as connection:
            self._lock(connection)
            rows = {
                row.position: row
                for row in connection.execute(
                    sa.select(
                        ap.c.id,
                        ap.c.position,
                        ap.c.flight_date,
                        pl.c.flight_id,
                        m.c.content_hash,
                        im.c.id.label("member"),
                    )
                    .select_from(
                        ap.join(pl, pl.c.id == ap.c.list_id)
                        .join(m, m.c.id == pl.c.message_id)
                        .outerjoin(im, im.c.api_person_id == ap.c.id)
                    )
                    .where(pl.c.message_id == message_id)
                )
            }
            new = [
                _New(
                    traveller_id=None,
                    api_person_id=row.id,
                    booking_id=None,
                    chain=None,
                    flight_date=row.flight_date,
                    anchor=f"{row.content_hash}/a{person.position}",
                    keys=person.keys,
                )
                for person in persons
                if (row := rows.get(person.position)) is not None and row.member is None
            ]
            flights = {row.flight_id for row in rows.values() if row.flight_id is not None}
            counts = self._resolve(connection, new, [], decide)
            counts = _add(counts, self._follow_api_matches(connection, flights, decide))
        _log.info(
            "identities of message %d: %d API persons, %d new identities, %d merged, %d links refused, "
            "%d ambiguous",
            message_id,
            counts.occurrences,
            counts.identities,
            counts.merged,
            counts.refused,
            counts.ambiguous,
        )
        return counts

    def _lock(self, connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))

    def _resolve(
        self, connection: Connection, new: list[_New], bookings: list[_Booking], decide: Decide
    ) -> IdentityCounts:
        """Resolve ``new`` and keep the keys not in the index yet (with the ``bookings``' own).

        What a booking's traveller showed in an earlier version is not looked up again: every link it makes
        was followed when the later of its two ends arrived, so the chain's identity is all it says (given
        to the rule as the holder of its booking key). A traveller showing exactly the keys of an earlier
        version (its signature: most pushes repeat the booking) needs nothing read but its chain's members;
        only keys new to their chain are looked up.
        """
        k = t.identity_keys
        earlier = sorted({b.booking_id for b in bookings if b.earlier})
        chains: dict[tuple[int, str | None], int] = {}
        signatures: set[tuple[int, str | None, str | None]] = set()  # (booking, chain, signature)
        booking_signatures: set[tuple[int, str | None]] = set()
        for booking_id, chain, identity_id, signature, booking_signature in rows_in(
            connection, _MEMBERS_OF_BOOKINGS, earlier
        ):
            chains[(booking_id, chain)] = identity_id
            signatures.add((booking_id, chain, signature))
            booking_signatures.add((booking_id, booking_signature))
        # The bookings whose keys must be read: an earlier version showed other keys than this one.
        reread = {
            b.booking_id
            for b in bookings
            if b.earlier and (b.booking_id, b.signature) not in booking_signatures
        }
        reread |= {
            n.booking_id
            for n in new
            if n.booking_id is not None
            and (n.booking_id, n.chain) in chains
            and (n.booking_id, n.chain, n.signature) not in signatures
        }
        # (digest, birth, booking, chain) of the keys the index holds for those bookings (a digest says its
        # kind).
        known: set[tuple[str, str | None, int, str | None]] = set()
        known.update(rows_in(connection, _KEYS_OF_BOOKINGS, sorted(reread)))
        rows: list[list[Any]] = []  # in the order of _KEY_COLUMNS
        for booking in bookings:
            if booking.earlier and booking.booking_id not in reread:
                continue  # its own keys are those of an earlier version
            for key in booking.keys:
                marker: tuple[str, str | None, int, str | None] = (key[1], key[2], booking.booking_id, None)
                if marker not in known:
                    known.add(marker)
                    rows.append([*key, None, booking.booking_id, None, None, booking.flight_date])
        counts = IdentityCounts()
        if new:
            linking: list[tuple[EvidenceKey, ...]] = []
            novel: set[str] = set()
            local: dict[str, set[Holder]] = defaultdict(set)
            settled: list[bool] = []  # its keys are all in the index already
            for n in new:
                keys = [key for key in n.keys if key[0] in LINKING_KINDS]
                chain_identity = chains.get((n.booking_id, n.chain)) if n.booking_id is not None else None
                if chain_identity is None:
                    novel.update(key[1] for key in keys)
                    linking.append(tuple(keys))
                    settled.append(False)
                    continue
                seen: list[EvidenceKey] = []
                fresh: list[EvidenceKey] = []
                if (n.booking_id, n.chain, n.signature) in signatures:
                    seen = keys
                else:
                    for key in keys:
                        (seen if (key[1], key[2], n.booking_id, n.chain) in known else fresh).append(key)
                settled.append(not fresh)
                # What the chain showed before says one thing, the chain's identity: the booking key (the
                # strongest) says it alone when there is one.
                said = [key for key in seen if key[0] == EvidenceKind.BOOKING] or seen
                for key in said:
                    local[key[1]].add(Holder(chain_identity, key[2]))
                novel.update(key[1] for key in fresh)
                linking.append((*said, *fresh))
            holders = self._holders(connection, sorted(novel))
            for digest, found in local.items():
                holders[digest] = tuple(
                    sorted(set(holders.get(digest, ())) | found, key=lambda h: (h.identity, h.birth or ""))
                )
            batch = ResolutionInput(occurrences=tuple(linking), holders=holders)
            plan = self._plan(connection, batch, decide)
            assigned, counts = self._apply(connection, plan, new)
            for n, identity, done in zip(new, assigned, settled, strict=True):
                if done:
                    continue
                for key in n.keys:
                    if n.booking_id is not None:
                        marker = (key[1], key[2], n.booking_id, n.chain)
                        if marker in known:
                            continue  # an earlier version of the booking's traveller gave it already
                        known.add(marker)
                    rows.append([*key, identity, n.booking_id, n.chain, n.api_person_id, n.flight_date])
        # Their ids are the column's own (nothing refers to them): no round trip to take them first.
        _sql._bulk_insert_values(connection, k, _KEY_COLUMNS, rows)
        return counts

    def _holders(self, connection: Connection, digests: Sequence[str]) -> dict[str, tuple[Holder, ...]]:
        """The identities holding each digest (with the date-of-birth digests they hold it with)."""
        found: dict[str, set[Holder]] = defaultdict(set)
        for digest, identity, birth in rows_in(connection, _HOLDERS, digests):
            found[digest].add(Holder(identity, birth))
        return {
            digest: tuple(sorted(holders, key=lambda h: (h.identity, h.birth or "")))
            for digest, holders in found.items()
        }

    def _plan(self, connection: Connection, batch: ResolutionInput, decide: Decide) -> ResolutionPlan:
        """The plan; when it merges identities, decided again knowing which of them analysts split apart."""
        plan = decide(batch)
        merging = {i for group in plan.groups if len(group.identities) > 1 for i in group.identities}
        if merging:
            apart = self._apart(connection, merging)
            if apart:
                plan = decide(replace(batch, apart=apart))
        return plan

    def _apart(self, connection: Connection, identities: Collection[int]) -> frozenset[frozenset[int]]:
        """Pairs of identities (among or beside ``identities``) whose members an analyst split apart."""
        j = t.identity_judgements
        a, b = _FIRST, _SECOND
        pairs: set[frozenset[int]] = set()
        for chunk in _chunks(sorted(identities)):
            for first, second in connection.execute(
                sa.select(a.c.identity_id, b.c.identity_id)
                .select_from(j.join(a, a.c.id == j.c.first_member_id).join(b, b.c.id == j.c.second_member_id))
                .where(j.c.kind == "split", sa.or_(a.c.identity_id.in_(chunk), b.c.identity_id.in_(chunk)))
            ):
                if first != second:
                    pairs.add(frozenset((first, second)))
        return frozenset(pairs)

    def _apply(
        self, connection: Connection, plan: ResolutionPlan, new: list[_New]
    ) -> tuple[list[int], IdentityCounts]:
        """Write the plan: new identities, merges, anchors, the new members. Returns each new occurrence's
        identity, and the counts."""
        i, im = t.identities, t.identity_members
        now = self._now()
        touched = sorted({x for group in plan.groups for x in group.identities})
        current: dict[int, str] = {}
        query = _IDENTITIES_FOR_UPDATE[connection.dialect.name == "postgresql"]
        for chunk in _chunks(touched):
            current.update(connection.execute(query, {"identities": listed(connection, chunk)}).all())
        assigned = [0] * len(new)
        fresh = [group for group in plan.groups if not group.identities]
        fresh_ids = _sql._new_ids(connection, i, len(fresh))
        identity_rows = []
        for group, identity in zip(fresh, fresh_ids, strict=True):
            identity_rows.append(
                {
                    "id": identity,
                    "anchor": min(new[j.occurrence].anchor for j in group.occurrences),
                    "created_at": now,
                }
            )
            for j in group.occurrences:
                assigned[j.occurrence] = identity
        _sql._bulk_insert(connection, i, identity_rows)
        anchors = []
        merged = 0
        for group in plan.groups:
            if not group.identities:
                continue
            missing = [x for x in group.identities if x not in current]
            if missing:
                raise NotFound(f"no identity {', '.join(map(str, missing))}")
            survivor, *absorbed = group.identities
            for j in group.occurrences:
                assigned[j.occurrence] = survivor
            if absorbed:
                self._merge_into(connection, survivor, absorbed)
                merged += len(absorbed)
            anchor = min(
                [current[x] for x in group.identities] + [new[j.occurrence].anchor for j in group.occurrences]
            )
            if anchor != current[survivor]:
                anchors.append({"id": survivor, "anchor": anchor})
        _sql._bulk_update(connection, i, anchors)  # after the merged ones went: anchors are unique
        by_occurrence = {j.occurrence: j for group in plan.groups for j in group.occurrences}
        member_rows = []
        for index, n in enumerate(new):
            j = by_occurrence[index]
            member_rows.append(
                {
                    "identity_id": assigned[index],
                    "traveller_id": n.traveller_id,
                    "api_person_id": n.api_person_id,
                    "booking_id": n.booking_id,
                    "chain": n.chain,
                    "signature": n.signature,
                    "booking_signature": n.booking_signature,
                    "flight_date": n.flight_date,
                    "score": j.score,
                    "reasons": list(j.reasons),
                    "assigned_at": now,
                }
            )
        # Their ids are the column's own (nothing refers to them yet): no round trip to take them first.
        _sql._bulk_insert(connection, im, member_rows)
        return assigned, IdentityCounts(len(new), len(fresh), merged, plan.refused, plan.ambiguous)

    def _merge_into(self, connection: Connection, survivor: int, absorbed: Sequence[int]) -> None:
        i, im, k = t.identities, t.identity_members, t.identity_keys
        connection.execute(sa.update(im).where(im.c.identity_id.in_(absorbed)).values(identity_id=survivor))
        connection.execute(sa.update(k).where(k.c.identity_id.in_(absorbed)).values(identity_id=survivor))
        connection.execute(sa.delete(i).where(i.c.id.in_(absorbed)))

    def _follow_api_matches(
        self, connection: Connection, flights: Collection[int], decide: Decide
    ) -> IdentityCounts:
        """Merge the identities of API persons and the booking travellers they were matched with, on these
        flights, where they differ (the match was recorded after one side was resolved)."""
        if not flights:
            return IdentityCounts()
        rows = connection.execute(
            _API_MATCHES_APART[connection.dialect.name == "postgresql"], {"values": sorted(flights)}
        ).all()
        if not rows:
            return IdentityCounts()
        best: dict[tuple[int, int], IdentityLink] = {}
        for row in rows:
            pair = (
                min(row.person_identity, row.traveller_identity),
                max(row.person_identity, row.traveller_identity),
            )
            found = IdentityLink(pair[0], pair[1], float(row.confidence), f"{API_REASON}:{row.method}")
            if pair not in best or found.score > best[pair].score:
                best[pair] = found
        plan = self._plan(connection, ResolutionInput(links=tuple(best[p] for p in sorted(best))), decide)
        _, counts = self._apply(connection, plan, [])
        # The API persons whose identity changed now: their reasons say so.
        im = t.identity_members
        merged_into = {x: group.identities[0] for group in plan.groups for x in group.identities}
        followed = {
            row.member: row
            for row in rows
            if merged_into.get(row.person_identity, -1) == merged_into.get(row.traveller_identity, -2)
        }
        for chunk in _chunks(sorted(followed)):
            for member in connection.execute(
                sa.select(im.c.id, im.c.score, im.c.reasons).where(im.c.id.in_(chunk))
            ).all():
                match = followed[member.id]
                reason = f"{API_REASON}:{match.method}"
                reasons = list(member.reasons or [])
                if reason not in reasons:
                    connection.execute(
                        sa.update(im)
                        .where(im.c.id == member.id)
                        .values(
                            score=max(member.score or 0.0, float(match.confidence)),
                            reasons=[reason, *reasons],
                        )
                    )
        return counts

    # --- reading ----------------------------------------------------------------------------------------

    def identity(self, identity_id: int) -> StoredIdentity | None:
        i, im = t.identities, t.identity_members
        with self._read() as connection:
            row = connection.execute(sa.select(i).where(i.c.id == identity_id)).one_or_none()
            if row is None:
                return None
            members = self._traveller_members(connection, im.c.identity_id == identity_id)
            members += self._person_members(connection, im.c.identity_id == identity_id)
            members.sort(key=lambda m: (m.flight_date, m.flight, m.message_id, m.id))
            bookings = sorted({m.booking_id for m in members if m.booking_id is not None})
            k = t.identity_keys
            # The identity's own keys and its bookings' (no identity): asked as two indexed conditions and
            # sorted out here, since "identity_id IS NULL AND booking_id IN" led SQLite to walk every
            # booking key through the identity index.
            where: list[sa.ColumnElement[bool]] = [k.c.identity_id == identity_id]
            where += [k.c.booking_id.in_(chunk) for chunk in _chunks(bookings)]
            evidence = [
                _evidence(r)
                for r in connection.execute(
                    sa.select(k).where(sa.or_(*where)).order_by(k.c.kind, k.c.digest, k.c.id)
                )
                if r.identity_id is None or r.identity_id == identity_id
            ]
            judgements = self._judgements(connection, identity_id)
        return StoredIdentity(
            id=row.id,
            occurrences=len(members),
            created_at=row.created_at,
            members=tuple(members),
            evidence=tuple(evidence),
            judgements=tuple(judgements),
        )

    def _traveller_members(
        self, connection: Connection, where: sa.ColumnElement[bool]
    ) -> list[IdentityMember]:
        im, tr, v, f, ti = (
            t.identity_members,
            t.travellers,
            t.booking_versions,
            t.flights,
            t.traveller_identities,
        )
        query = (
            sa.select(
                im,
                tr.c.ref,
                v.c.locator,
                v.c.message_id,
                f.c.carrier,
                f.c.number,
                f.c.origin,
                f.c.destination,
                ti.c.surname,
                ti.c.given_names,
                ti.c.date_of_birth,
            )
            .select_from(
                im.join(tr, tr.c.id == im.c.traveller_id)
                .join(v, v.c.id == tr.c.version_id)
                .join(f, f.c.id == v.c.flight_id)
                .join(ti, ti.c.traveller_id == tr.c.id)
            )
            .where(where)
        )
        return [
            IdentityMember(
                id=row.id,
                identity_id=row.identity_id,
                occurrence=Occurrence(traveller_id=row.traveller_id),
                flight_date=row.flight_date,
                flight=f"{row.carrier}{row.number}",
                route=f"{row.origin}-{row.destination or ''}",
                message_id=row.message_id,
                booking_id=row.booking_id,
                chain=row.chain,
                locator=row.locator,
                reference=row.ref,
                name=f"{row.surname or ''}/{row.given_names or ''}",
                date_of_birth=row.date_of_birth,
                score=row.score,
                reasons=tuple(row.reasons or ()),
            )
            for row in connection.execute(query)
        ]

    def _person_members(self, connection: Connection, where: sa.ColumnElement[bool]) -> list[IdentityMember]:
        im, ap, pl, ai, f = (
            t.identity_members,
            t.api_persons,
            t.passenger_lists,
            t.api_person_identities,
            t.flights,
        )
        query = (
            sa.select(
                im,
                ap.c.position,
                ap.c.record,
                ai.c.record.label("identity"),
                pl.c.message_id,
                pl.c.carrier,
                pl.c.number,
                pl.c.origin,
                f.c.destination,
            )
            .select_from(
                im.join(ap, ap.c.id == im.c.api_person_id)
                .join(pl, pl.c.id == ap.c.list_id)
                .join(ai, ai.c.api_person_id == ap.c.id)
                .outerjoin(f, f.c.id == pl.c.flight_id)
            )
            .where(where)
        )
        members = []
        for row in connection.execute(query):
            person = api_person_from_parts(row.record, row.identity)
            members.append(
                IdentityMember(
                    id=row.id,
                    identity_id=row.identity_id,
                    occurrence=Occurrence(api_person_id=row.api_person_id),
                    flight_date=row.flight_date,
                    flight=f"{row.carrier}{row.number}",
                    route=f"{row.origin}-{row.destination or person.debarkation or ''}",
                    message_id=row.message_id,
                    booking_id=None,
                    chain=None,
                    locator=person.locator,
                    reference=str(row.position),
                    name=f"{person.surname}/{person.given_names or ''}",
                    date_of_birth=None if person.date_of_birth is None else person.date_of_birth.isoformat(),
                    score=row.score,
                    reasons=tuple(row.reasons or ()),
                )
            )
        return members

    def _judgements(self, connection: Connection, identity_id: int) -> list[IdentityJudgement]:
        j = t.identity_judgements
        a, b = _FIRST, _SECOND
        query = (
            sa.select(
                j,
                a.c.traveller_id.label("a_traveller"),
                a.c.api_person_id.label("a_person"),
                b.c.traveller_id.label("b_traveller"),
                b.c.api_person_id.label("b_person"),
            )
            .select_from(j.join(a, a.c.id == j.c.first_member_id).join(b, b.c.id == j.c.second_member_id))
            .where(
                sa.or_(
                    a.c.identity_id == identity_id,
                    b.c.identity_id == identity_id,
                    j.c.identity_ref == identity_id,
                    j.c.other_ref == identity_id,
                )
            )
            .order_by(j.c.id)
        )
        return [_judgement(row) for row in connection.execute(query)]

    def identity_of(self, occurrence: Occurrence) -> int | None:
        im = t.identity_members
        where = (
            im.c.traveller_id == occurrence.traveller_id
            if occurrence.traveller_id is not None
            else im.c.api_person_id == occurrence.api_person_id
        )
        with self._read() as connection:
            found: int | None = connection.execute(
                sa.select(im.c.identity_id).where(where)
            ).scalar_one_or_none()
        return found

    def identity_export(self) -> Iterator[IdentityExportRow]:
        m, v, tr, im = t.messages, t.booking_versions, t.travellers, t.identity_members
        ap, pl = t.api_persons, t.passenger_lists
        travellers = (
            sa.select(m.c.id, m.c.source, m.c.channel, v.c.locator, tr.c.ref, im.c.identity_id)
            .select_from(
                tr.join(v, v.c.id == tr.c.version_id)
                .join(m, m.c.id == v.c.message_id)
                .outerjoin(im, im.c.traveller_id == tr.c.id)
            )
            .order_by(v.c.message_id, v.c.position, tr.c.position)
        )
        persons = (
            sa.select(m.c.id, m.c.source, m.c.channel, ap.c.position, im.c.identity_id)
            .select_from(
                ap.join(pl, pl.c.id == ap.c.list_id)
                .join(m, m.c.id == pl.c.message_id)
                .outerjoin(im, im.c.api_person_id == ap.c.id)
            )
            .order_by(pl.c.message_id, ap.c.position)
        )
        # A server-side cursor needs a transaction on PostgreSQL: not the autocommit reader of the pages.
        with self.engine.connect() as connection:
            streaming = connection.execution_options(stream_results=True, yield_per=10_000)
            for row in streaming.execute(travellers):
                yield IdentityExportRow(
                    row[0], row.source, row.channel, row.locator, row.ref, None, row.identity_id
                )
            for found in streaming.execute(persons):
                yield IdentityExportRow(
                    found[0], found.source, found.channel, None, None, found.position, found.identity_id
                )

    def evidence(
        self,
        *,
        identity_ids: Collection[int] = (),
        booking_ids: Collection[int] = (),
        digests: Collection[str] = (),
    ) -> list[StoredEvidence]:
        k = t.identity_keys
        where: list[sa.ColumnElement[bool]] = []
        where += [k.c.identity_id.in_(chunk) for chunk in _chunks(sorted(identity_ids))]
        where += [k.c.booking_id.in_(chunk) for chunk in _chunks(sorted(booking_ids))]
        where += [k.c.digest.in_(chunk) for chunk in _chunks(sorted(digests))]
        if not where:
            return []
        with self._read() as connection:
            rows = connection.execute(sa.select(k).where(sa.or_(*where)).order_by(k.c.id)).all()
        return [_evidence(row) for row in rows]

    def key_holders(self, digests: Collection[str], *, most: int) -> KeyHolders:
        counts: dict[str, int] = {}
        held: dict[str, set[int]] = defaultdict(set)
        with self._read() as connection:
            for chunk in _chunks(sorted(digests)):
                counts.update((d, int(n)) for d, n in rows_in(connection, _KEY_COUNTS, chunk))
            few = sorted(digest for digest, held in counts.items() if held <= most)
            for chunk in _chunks(few):
                for digest, booking in rows_in(connection, _KEY_HOLDERS, chunk):
                    held[digest].add(booking)
        crowded = {d: n for d, n in counts.items() if n > most}
        return KeyHolders({d: frozenset(b) for d, b in held.items()}, crowded)

    def travelling(
        self, *, identity_ids: Collection[int] = (), booking_ids: Collection[int] = ()
    ) -> list[tuple[int, int]]:
        found: set[tuple[int, int]] = set()
        with self._read() as connection:
            for statement, values in (
                (_TRAVELLING_IDENTITIES, sorted(identity_ids)),
                (_TRAVELLING_BOOKINGS, sorted(booking_ids)),
            ):
                for chunk in _chunks(values):
                    # the driver's rows are (integer, integer) tuples already: thousands per network
                    found.update(rows_in(connection, statement, chunk))
        return sorted(found)

    def booking_keys(self, booking_ids: Collection[int]) -> list[tuple[int, EvidenceKind, str]]:
        found: set[tuple[int, str, str]] = set()
        with self._read() as connection:
            for chunk in _chunks(sorted(booking_ids)):
                found.update((int(b), k, d) for b, k, d in rows_in(connection, _KEYS_OF_BOOKINGS_OWN, chunk))
        return [(b, EvidenceKind(k), d) for b, k, d in sorted(found)]

    def identity_exists(self, identity_id: int) -> bool:
        with self._read() as connection:
            found = connection.execute(sa.select(t.identities.c.id).where(t.identities.c.id == identity_id))
            return found.first() is not None

    def identity_count(self) -> int:
        with self._read() as connection:
            count: int = connection.execute(sa.select(sa.func.count()).select_from(t.identities)).scalar_one()
        return count

    # --- judgements ---------------------------------------------------------------------------------------

    def link_identities(self, first: int, second: int, *, actor: str, reason: str) -> IdentityJudgement:
        if first == second:
            raise InvalidTransition(f"identity {first} cannot be linked with itself")
        i, j = t.identities, t.identity_judgements

        def work(connection: Connection) -> IdentityJudgement:
            self._lock(connection)
            now = self._now()
            rows = {
                row.id: row
                for row in connection.execute(
                    sa.select(i.c.id, i.c.anchor).where(i.c.id.in_((first, second))).with_for_update()
                )
            }
            missing = [x for x in (first, second) if x not in rows]
            if missing:
                raise NotFound(f"no identity {', '.join(map(str, missing))}")
            ends = [self._first_member(connection, x) for x in (first, second)]
            self._merge_into(connection, first, [second])
            connection.execute(
                sa.update(i)
                .where(i.c.id == first)
                .values(anchor=min(rows[first].anchor, rows[second].anchor))
            )
            judgement_id = connection.execute(
                sa.insert(j)
                .values(
                    kind="link",
                    first_member_id=ends[0].id,
                    second_member_id=ends[1].id,
                    identity_ref=first,
                    other_ref=second,
                    occurrences=[],
                    reason=reason,
                    decided_by=actor,
                    decided_at=now,
                    flight_date=max(ends[0].flight_date, ends[1].flight_date),
                )
                .returning(j.c.id)
            ).scalar_one()
            self._append_event(
                connection,
                actor=actor,
                action="identity.link",
                subject=f"identity {first}",
                reason=reason,
                details={"merged": second, "judgement": judgement_id},
            )
            return IdentityJudgement(
                id=judgement_id,
                kind="link",
                identity_id=first,
                other_id=second,
                first=_occurrence(ends[0].traveller_id, ends[0].api_person_id),
                second=_occurrence(ends[1].traveller_id, ends[1].api_person_id),
                occurrences=(),
                reason=reason,
                decided_by=actor,
                decided_at=now,
            )

        judgement = self._audited(work, "the link of two identities")
        _log.info("identity %d linked with %d by an analyst (judgement %d)", first, second, judgement.id)
        return judgement

    def _first_member(self, connection: Connection, identity_id: int) -> Any:
        im = t.identity_members
        return connection.execute(
            sa.select(im.c.id, im.c.traveller_id, im.c.api_person_id, im.c.flight_date)
            .where(im.c.identity_id == identity_id)
            .order_by(im.c.id)
            .limit(1)
        ).one()

    def split_identity(
        self, identity_id: int, occurrences: Sequence[Occurrence], *, actor: str, reason: str
    ) -> IdentityJudgement:
        if not occurrences:
            raise ValueError("name the occurrences to split off")
        i, im, k, j = t.identities, t.identity_members, t.identity_keys, t.identity_judgements

        def work(connection: Connection) -> IdentityJudgement:
            self._lock(connection)
            now = self._now()
            found = connection.execute(
                sa.select(i.c.id).where(i.c.id == identity_id).with_for_update()
            ).one_or_none()
            if found is None:
                raise NotFound(f"no identity {identity_id}")
            members = connection.execute(
                sa.select(
                    im.c.id,
                    im.c.traveller_id,
                    im.c.api_person_id,
                    im.c.booking_id,
                    im.c.chain,
                    im.c.flight_date,
                )
                .where(im.c.identity_id == identity_id)
                .order_by(im.c.id)
            ).all()
            by_occurrence = {_occurrence(m.traveller_id, m.api_person_id): m for m in members}
            named = [by_occurrence.get(o) for o in occurrences]
            if any(m is None for m in named):
                absent = [str(o) for o, m in zip(occurrences, named, strict=True) if m is None]
                raise NotFound(f"not occurrences of identity {identity_id}: {', '.join(absent)}")
            moving = self._split_side(connection, members, [m for m in named if m is not None])
            staying = [m for m in members if m.id not in moving]
            if not staying:
                raise InvalidTransition(
                    f"splitting these occurrences off would leave identity {identity_id} empty"
                )
            moved = [m for m in members if m.id in moving]
            anchors = self._anchors(connection, members)
            other = _sql._new_ids(connection, i, 1)[0]
            _sql._bulk_insert(
                connection,
                i,
                [
                    {
                        "id": other,
                        "anchor": min(anchors[m.id] for m in moved),
                        "created_at": now,
                    }
                ],
            )
            connection.execute(
                sa.update(i).where(i.c.id == identity_id).values(anchor=min(anchors[m.id] for m in staying))
            )
            for chunk in _chunks(sorted(moving)):
                connection.execute(sa.update(im).where(im.c.id.in_(chunk)).values(identity_id=other))
            chains = sorted({(m.booking_id, m.chain) for m in moved if m.booking_id is not None})
            for booking_id, chain in chains:
                connection.execute(
                    sa.update(k)
                    .where(k.c.identity_id == identity_id, k.c.booking_id == booking_id, k.c.chain == chain)
                    .values(identity_id=other)
                )
            persons = sorted(m.api_person_id for m in moved if m.api_person_id is not None)
            for chunk in _chunks(persons):
                connection.execute(
                    sa.update(k)
                    .where(k.c.identity_id == identity_id, k.c.api_person_id.in_(chunk))
                    .values(identity_id=other)
                )
            labels = [str(_occurrence(m.traveller_id, m.api_person_id)) for m in moved]
            judgement_id = connection.execute(
                sa.insert(j)
                .values(
                    kind="split",
                    first_member_id=moved[0].id,
                    second_member_id=staying[0].id,
                    identity_ref=identity_id,
                    other_ref=other,
                    occurrences=labels,
                    reason=reason,
                    decided_by=actor,
                    decided_at=now,
                    flight_date=max(moved[0].flight_date, staying[0].flight_date),
                )
                .returning(j.c.id)
            ).scalar_one()
            self._append_event(
                connection,
                actor=actor,
                action="identity.split",
                subject=f"identity {identity_id}",
                reason=reason,
                details={"new_identity": other, "occurrences": labels, "judgement": judgement_id},
            )
            return IdentityJudgement(
                id=judgement_id,
                kind="split",
                identity_id=identity_id,
                other_id=other,
                first=_occurrence(moved[0].traveller_id, moved[0].api_person_id),
                second=_occurrence(staying[0].traveller_id, staying[0].api_person_id),
                occurrences=tuple(labels),
                reason=reason,
                decided_by=actor,
                decided_at=now,
            )

        judgement = self._audited(work, "the split of an identity")
        _log.info(
            "identity %d split by an analyst: %d occurrences now identity %d (judgement %d)",
            identity_id,
            len(judgement.occurrences),
            judgement.other_id,
            judgement.id,
        )
        return judgement

    def _split_side(self, connection: Connection, members: Sequence[Any], named: Iterable[Any]) -> set[int]:
        """The members that move with the named ones: every version of the same booking's traveller, and API
        persons merged with a moving traveller (or travellers merged with a moving API person)."""
        am = t.api_matches
        chains = {(m.booking_id, m.chain) for m in named if m.booking_id is not None}
        moving = {m.id for m in named} | {m.id for m in members if (m.booking_id, m.chain) in chains}
        by_traveller = {m.traveller_id: m.id for m in members if m.traveller_id is not None}
        by_person = {m.api_person_id: m.id for m in members if m.api_person_id is not None}
        matches = connection.execute(
            sa.select(am.c.api_person_id, am.c.traveller_id).where(
                am.c.api_person_id.in_(sorted(by_person)) if by_person else sa.false()
            )
        ).all()
        for person_id, traveller_id in matches:
            person, traveller = by_person.get(person_id), by_traveller.get(traveller_id)
            if traveller in moving and person is not None:
                moving.add(person)
        return moving

    def _anchors(self, connection: Connection, members: Sequence[Any]) -> dict[int, str]:
        """Each member's occurrence key (message content hash and positions)."""
        im, tr, v, m = t.identity_members, t.travellers, t.booking_versions, t.messages
        ap, pl = t.api_persons, t.passenger_lists
        ids = sorted(x.id for x in members)
        found: dict[int, str] = {}
        for chunk in _chunks(ids):
            for row in connection.execute(
                sa.select(
                    im.c.id, m.c.content_hash, v.c.position.label("booking"), tr.c.position.label("traveller")
                )
                .select_from(
                    im.join(tr, tr.c.id == im.c.traveller_id)
                    .join(v, v.c.id == tr.c.version_id)
                    .join(m, m.c.id == v.c.message_id)
                )
                .where(im.c.id.in_(chunk))
            ):
                found[row.id] = f"{row.content_hash}/{row.booking}/{row.traveller}"
            for person in connection.execute(
                sa.select(im.c.id, m.c.content_hash, ap.c.position)
                .select_from(
                    im.join(ap, ap.c.id == im.c.api_person_id)
                    .join(pl, pl.c.id == ap.c.list_id)
                    .join(m, m.c.id == pl.c.message_id)
                )
                .where(im.c.id.in_(chunk))
            ):
                found[person.id] = f"{person.content_hash}/a{person.position}"
        return found


def _evidence(row: Row[Any]) -> StoredEvidence:
    return StoredEvidence(
        kind=EvidenceKind(row.kind),
        digest=row.digest,
        birth=row.birth,
        identity_id=row.identity_id,
        booking_id=row.booking_id,
        chain=row.chain,
        api_person_id=row.api_person_id,
        flight_date=row.flight_date,
    )


def _judgement(row: Row[Any]) -> IdentityJudgement:
    return IdentityJudgement(
        id=row.id,
        kind=row.kind,
        identity_id=row.identity_ref,
        other_id=row.other_ref,
        first=_occurrence(row.a_traveller, row.a_person),
        second=_occurrence(row.b_traveller, row.b_person),
        occurrences=tuple(row.occurrences or ()),
        reason=row.reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
