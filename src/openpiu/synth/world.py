"""The synthetic world: travellers on flights, pushed over time as carriers push them, with the truth.

For each day the network (`network.day_schedule`) gives the flights touching the PIU's country; the
population (`people.make_population`) gives the people. Bookings of 1-9 people are made for each
flight (families with children and infants, groups with TBA placeholders, connections that put one
booking on two of the country's flights, returns). Each flight is pushed at T-48h and T-24h (full,
or an update with only what changed) and at closure (full, with check-in, seats and bags; no-shows
stay unchecked); flights from outside the Schengen area also send PAXLST at closure. Planted cases
are woven in: watchlist persons travelling under varied identities, networks of bookings sharing a
phone, e-mail, address or card, broken journeys (an arrival from outside the Schengen area and a
separate booking onwards), and sensitive SSRs. Every delivered message becomes a file, written with
the layout and defects real feeds have (`quirks`), and the ground truth says who is who.

Deterministic: the same `WorldParams` give the same files, byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import random
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpiu.formats.paxlst_writer import write_paxlst
from openpiu.formats.pnrgov_writer import split_push, write_pnrgov
from openpiu.formats.pnrgov_xml import write_pnrgov_xml
from openpiu.model import (
    Address,
    ApiPerson,
    Baggage,
    BagTag,
    Booking,
    BookingOffice,
    CheckIn,
    Contact,
    ContactKind,
    Flight,
    FrequentFlyer,
    Gender,
    MessageFormat,
    MessageHeader,
    Money,
    PartialDate,
    PassengerList,
    Payment,
    PnrPush,
    RecordLocator,
    ScheduledTime,
    Seat,
    Segment,
    ServiceItem,
    Ticket,
    TravelDocument,
    Traveller,
    TravellerType,
)
from openpiu.model.airports import distance_km
from openpiu.synth import network, people, planted, quirks, watchlists
from openpiu.synth.corpus import api_passenger
from openpiu.synth.types import (
    Direction,
    Person,
    PersonDocument,
    QuirkRates,
    ScheduledFlight,
    WatchlistEntry,
    WorldParams,
)

LOAD_FACTOR = 0.8
PUSH_OFFSETS = (timedelta(hours=48), timedelta(hours=24), timedelta(minutes=-10))  # T-48h, T-24h, closure
_LOCATOR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SYSTEMS = ("1A", "1S", "1G", "1V")  # Amadeus, Sabre, Galileo, Apollo: the CRSs carriers push from


# ---------------------------------------------------------------------------------------------
# What the world holds before it is written


@dataclass(slots=True)
class Party:
    """One booking: who is on it (the real person and the identity used), on which flights."""

    locator: str
    flights: list[ScheduledFlight]  # the flights of the PIU's country on this booking, in order
    members: list[tuple[Person, Person]]  # (the real person, how they appear on the booking)
    types: list[TravellerType]
    created: datetime
    office: BookingOffice
    appears: int = 0  # the first push (0, 1, 2) that carries the booking
    cancelled_at: int | None = None  # the push from which the booking is cancelled
    no_shows: frozenset[int] = frozenset()  # member indexes that never check in
    shared: dict[str, str] = field(default_factory=dict)  # network kind -> shared value
    shared_address: Address | None = None  # an address network's address, on this booking
    sensitive: tuple[int, str, str, str] | None = None  # (member, code, text, reason)
    group_name: str | None = None
    placeholders: int = 0  # TBA names in a group booking
    return_after: timedelta | None = None  # a return segment on the same booking
    joins: dict[int, int] = field(default_factory=dict)  # member -> the push that first lists them
    leaves: dict[int, int] = field(default_factory=dict)  # member -> the push that no longer does

    def present(self, member: int, push: int) -> bool:
        """Whether the member is on the booking at that push (travellers join and cancel too)."""
        return self.joins.get(member, 0) <= push < self.leaves.get(member, 99)

    def person_at(self, reference: str | None) -> str | None:
        """The real person behind a traveller reference (None for a TBA placeholder)."""
        index = int(reference) - 1 if reference and reference.isdigit() else -1
        return self.members[index][0].person_id if 0 <= index < len(self.members) else None


@dataclass(slots=True)
class Truth:
    """The ground truth, collected while the world is written."""

    travellers: list[dict[str, Any]] = field(default_factory=list)
    api_persons: list[dict[str, Any]] = field(default_factory=list)
    broken: list[dict[str, Any]] = field(default_factory=list)
    sensitive: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    networks: list[dict[str, Any]] = field(default_factory=list)
    journeys: list[dict[str, Any]] = field(default_factory=list)
    messages: int = 0
    pnrgov_messages: int = 0
    paxlst_messages: int = 0
    booking_occurrences: int = 0
    locators: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Delivery:
    at: datetime  # UTC
    flight: ScheduledFlight
    push: int  # 0, 1, 2; 3 = PAXLST at closure


# ---------------------------------------------------------------------------------------------
# Generation


class WorldBuilder:
    """Builds one world from its parameters and writes it to a folder."""

    def __init__(self, params: WorldParams) -> None:
        self.params = params
        self.rng = random.Random(params.seed)
        self.flights: list[ScheduledFlight] = []
        for offset in range(params.days):
            day = params.start + timedelta(days=offset)
            self.flights.extend(
                network.day_schedule(
                    params.seed * 1000 + offset, day, country=params.country, scale=params.scale
                )
            )
        self.flights.sort(key=lambda f: (_utc(f.departure_local, f.origin), f.designator))
        seats = sum(f.seats for f in self.flights)
        # People fly more than once in a few days (returns, connections): fewer persons than seats.
        count = max(20, int(seats * LOAD_FACTOR * 0.85))
        self.population = people.make_population(params.seed, count, home_country=params.country)
        # About one agency per 250 agency bookings a day (some 400 at scale 1.0), and never fewer than 20.
        self.agencies = _Agencies.make(params.seed, max(20, round(400 * params.scale * params.days)))
        self.parties: list[Party] = []
        self.by_flight: dict[tuple[str, str, date], list[Party]] = {}
        self.truth = Truth()
        self.watchlist: list[WatchlistEntry] = []
        self.lost_planted: list[tuple[str, PersonDocument]] = []
        self._locators: set[str] = set()
        self._sequence = 0
        self._busy: dict[str, list[tuple[datetime, datetime]]] = {}  # person -> flights taken (UTC)

    # -- bookings -----------------------------------------------------------------------------

    def build(self) -> None:
        rng = self.rng
        queue = list(self.population)
        rng.shuffle(queue)
        cursor = 0
        waiting: list[Person] = []  # passed over because they were travelling then: first in line later

        def take(start: datetime, end: datetime) -> Person:
            """The next person in line who is not on another flight around `start`..`end`."""
            nonlocal cursor
            chosen: Person | None = None
            for index, person in enumerate(waiting[:_WAITING_LOOKS]):
                if self._free(person.person_id, start, end):
                    chosen = waiting.pop(index)
                    break
            for _ in range(0 if chosen else _QUEUE_LOOKS):
                person = queue[cursor % len(queue)]
                cursor += 1
                if self._free(person.person_id, start, end):
                    chosen = person
                    break
                waiting.append(person)
            if chosen is None:
                chosen = waiting.pop(0)  # a crowded world: the longest waiting flies anyway
            self._busy.setdefault(chosen.person_id, []).append((start, end))
            return chosen

        departures_from = self._departures_by_airport()
        for flight in self.flights:
            load = int(flight.seats * LOAD_FACTOR * rng.uniform(0.75, 1.1))
            seated = 0
            departs, lands = (
                _utc(flight.departure_local, flight.origin),
                _utc(flight.arrival_local, flight.destination),
            )
            while seated < load:
                size = _party_size(rng)
                party = self._party(flight, [take(departs, lands) for _ in range(size)])
                if flight.direction is Direction.INBOUND and rng.random() < 0.05:
                    onward = self._connection(flight, departures_from)
                    if onward is not None:
                        party.flights.append(onward)
                        self.truth.journeys.append(
                            {
                                "journey_id": f"J{len(self.truth.journeys) + 1:06d}",
                                "person_ids": [m[0].person_id for m in party.members],
                                "locators": [party.locator],
                                "flights": [_flight_key(f) for f in party.flights],
                                "broken": False,
                            }
                        )
                self._register(party)
                self._occupy(party)
                seated += len(party.members)
        self._plant()

    def _free(self, person_id: str, start: datetime, end: datetime) -> bool:
        """Whether the person takes no flight within `_APART` of `start`..`end` (a person is in one place)."""
        return not any(
            begins < end + _APART and start - _APART < ends for begins, ends in self._busy.get(person_id, ())
        )

    def _occupy(self, party: Party) -> None:
        """Mark the party's members as travelling on each of its flights, the return included."""
        legs = [
            (_utc(f.departure_local, f.origin), _utc(f.arrival_local, f.destination)) for f in party.flights
        ]
        if party.return_after is not None:  # as `_return_segment` times it
            last = party.flights[-1]
            back = _utc(last.arrival_local + party.return_after, last.destination)
            legs.append((back, back + last.duration))
        for person, _identity in party.members:
            busy = self._busy.setdefault(person.person_id, [])
            busy.extend(leg for leg in legs if leg not in busy)

    def _party(self, flight: ScheduledFlight, persons: list[Person]) -> Party:
        rng = self.rng
        departure = _utc(flight.departure_local, flight.origin)
        members = [(p, p) for p in persons]
        types = [_traveller_type(p.date_of_birth, flight.departure_local.date()) for p in persons]
        if types and types[0] is not TravellerType.ADULT:
            types[0] = TravellerType.ADULT  # someone of age holds the booking
        # One infant per adult lap: further infants get a seat of their own, as children do.
        adults = types.count(TravellerType.ADULT)
        for i, kind in enumerate(types):
            if kind is TravellerType.INFANT:
                if adults:
                    adults -= 1
                else:
                    types[i] = TravellerType.CHILD
        party = Party(
            locator=self._locator(),
            flights=[flight],
            members=members,
            types=types,
            created=departure - timedelta(days=rng.randint(3, 120), minutes=rng.randint(0, 1439)),
            office=_office(rng, flight.carrier, self.agencies),
        )
        roll = rng.random()
        party.appears = 0 if roll < 0.85 else 1 if roll < 0.95 else 2
        if rng.random() < 0.04:
            party.cancelled_at = rng.choice([c for c in (1, 2) if c > party.appears] or [2])
        party.no_shows = frozenset(i for i in range(len(persons)) if rng.random() < 0.03)
        if len(persons) >= 3 and TravellerType.INFANT not in types and rng.random() < 0.08:
            # Between pushes a traveller is added to the booking, or cancels while the others fly.
            member = rng.randrange(1, len(persons))
            if rng.random() < 0.5:
                party.joins[member] = rng.choice((1, 2))
            else:
                party.leaves[member] = rng.choice((1, 2))
        if len(persons) >= 7 and rng.random() < 0.5:
            party.group_name = f"{persons[0].surname.split()[0]} GROUP"
            party.placeholders = rng.randint(1, 3)
        if rng.random() < 0.3:
            party.return_after = timedelta(days=rng.randint(2, 14), hours=rng.randint(-3, 3))
        if rng.random() < self.params.sensitive_rate:
            code, text, reason = planted.sensitive_item(rng)
            party.sensitive = (rng.randrange(len(persons)), code, text, reason)
        return party

    def _register(self, party: Party) -> None:
        self.parties.append(party)
        for flight in party.flights:
            # A codeshare booking is pushed by the operating carrier, in the operating flight's push.
            self.by_flight.setdefault(_operating_key(flight), []).append(party)

    def _locator(self) -> str:
        while True:
            value = "".join(self.rng.choice(_LOCATOR_ALPHABET) for _ in range(6))
            if value not in self._locators:
                self._locators.add(value)
                return value

    def _departures_by_airport(self) -> dict[str, list[ScheduledFlight]]:
        table: dict[str, list[ScheduledFlight]] = {}
        for flight in self.flights:
            if flight.direction is Direction.OUTBOUND:
                table.setdefault(flight.origin, []).append(flight)
        return table

    def _connection(
        self, inbound: ScheduledFlight, departures: dict[str, list[ScheduledFlight]]
    ) -> ScheduledFlight | None:
        """An outbound flight from the arrival airport 1-6 hours after the inbound one lands."""
        arrival = _utc(inbound.arrival_local, inbound.destination)
        options = [
            f
            for f in departures.get(inbound.destination, ())
            if timedelta(hours=1) <= _utc(f.departure_local, f.origin) - arrival <= timedelta(hours=6)
            and f.destination != inbound.origin
        ]
        return self.rng.choice(options) if options else None

    # -- planted cases ------------------------------------------------------------------------

    def _plant(self) -> None:
        rng = self.rng
        params = self.params
        travelling = [p for party in self.parties for p, _ in party.members]
        candidates = _unique(travelling)
        targets = planted.choose_targets(candidates, params.planted_targets, rng, adult_on=params.start)
        target_ids = {person.person_id: (person, variation) for person, variation in targets}
        for index, (person, variation) in enumerate(targets, 1):
            entry = planted.watchlist_entry(person, variation, planted.entry_id(index), _category(rng), rng)
            self.watchlist.append(entry)
            self.truth.targets.append(
                {"person_id": person.person_id, "entry_id": entry.entry_id, "variation": variation.value}
            )
        for party in self.parties:
            for i, (person, _identity) in enumerate(party.members):
                hit = target_ids.get(person.person_id)
                if hit is not None:
                    identity = planted.booking_identity(person, hit[1], rng, today=params.start)
                    party.members[i] = (person, identity)
        # Travellers carrying a passport reported lost or stolen (the document watchlist's targets).
        others = [p for p in candidates if p.person_id not in target_ids]
        for person in rng.sample(others, min(2, len(others))):
            self.lost_planted.append((person.person_id, person.documents[0]))
        self._plant_networks()
        self._plant_broken_journeys()

    def _plant_networks(self) -> None:
        rng = self.rng
        leads = _unique(party.members[0][0] for party in self.parties)
        groups = planted.network_groups(leads, self.params.networks, rng)
        lead_parties: dict[str, Party] = {}
        for party in self.parties:
            lead_parties.setdefault(party.members[0][0].person_id, party)
        for group in groups:
            locators = []
            # The shared address is the first member's, whole: street, postcode, city and country alike.
            first = lead_parties[group.person_ids[0]].members[0][0].address
            for person_id in group.person_ids:
                party = lead_parties[person_id]
                party.shared[group.kind] = group.value
                if group.kind == "address":
                    party.shared_address = first
                locators.append(party.locator)
            self.truth.networks.append(
                {
                    "network_id": group.network_id,
                    "kind": group.kind,
                    "value": group.value,
                    "person_ids": list(group.person_ids),
                    "locators": locators,
                }
            )

    def _plant_broken_journeys(self) -> None:
        """A journey across the Schengen border split over two bookings, hiding where it began or ends.

        Either an arrival from outside the Schengen area and a separate booking onwards within it
        (Istanbul-Frankfurt, then Frankfurt-Brussels), or the mirror image (Paris-Frankfurt, then
        Frankfurt-Chicago on another booking).
        """
        rng = self.rng
        pairs = self._border_crossing_pairs()
        used: set[str] = set()
        made = 0
        for first, second in pairs:
            if made >= self.params.broken_journeys:
                break
            if first.designator in used or second.designator in used:
                continue  # spread the planted journeys over different flights
            used.update((first.designator, second.designator))
            start = _utc(first.departure_local, first.origin)
            end = _utc(second.arrival_local, second.destination)
            person = rng.choice(self.population)
            for _ in range(_QUEUE_LOOKS):  # someone not flying elsewhere meanwhile
                if self._free(person.person_id, start, end):
                    break
                person = rng.choice(self.population)
            parties = (self._party(first, [person]), self._party(second, [person]))
            for party in parties:
                party.appears, party.cancelled_at, party.no_shows = 0, None, frozenset()
                party.sensitive = None
                party.return_after = None
                self._register(party)
                self._occupy(party)
            made += 1
            self.truth.journeys.append(
                {
                    "journey_id": f"J{len(self.truth.journeys) + 1:06d}",
                    "person_ids": [person.person_id],
                    "locators": [party.locator for party in parties],
                    "flights": [_flight_key(first), _flight_key(second)],
                    "broken": True,
                }
            )

    def _border_crossing_pairs(self) -> list[tuple[ScheduledFlight, ScheduledFlight]]:
        """(inbound, outbound) flight pairs 1-24 hours apart where exactly one leg leaves Schengen.

        The traveller flies on from the airport they landed at, or from another one they can reach by train
        in the time between (at most `_TRANSFER_KM` away, with `_TRANSFER_MINIMUM` plus the distance at
        `_TRANSFER_KMH`): a real journey, which a PIU chaining legs can recognise.
        """
        real = [f for f in self.flights if not f.operating_carrier]
        inbound = [f for f in real if f.direction is Direction.INBOUND]
        outbound = [f for f in real if f.direction is Direction.OUTBOUND]
        pairs = []
        for first in inbound:
            arrival = _utc(first.arrival_local, first.destination)
            from_outside = not network.airport(first.origin).schengen
            for second in outbound:
                gap = _utc(second.departure_local, second.origin) - arrival
                to_outside = not network.airport(second.destination).schengen
                if (
                    timedelta(hours=1) <= gap <= timedelta(hours=24)
                    and from_outside != to_outside
                    and _reachable(first.destination, second.origin, gap)
                ):
                    pairs.append((first, second, gap))
        # Same airport and a short connection first: that is how such journeys usually look; a few
        # random picks among the best keep the planted journeys from always taking the same flights.
        pairs.sort(key=lambda p: (p[0].destination != p[1].origin, p[2], p[0].designator, p[1].designator))
        best = [(first, second) for first, second, _ in pairs[: max(20, 4 * self.params.broken_journeys)]]
        self.rng.shuffle(best)
        return best

    # -- writing ------------------------------------------------------------------------------

    def deliveries(self) -> list[_Delivery]:
        out = []
        for flight in self.flights:
            if flight.operating_carrier:
                continue  # a marketing listing: its bookings travel in the operating flight's pushes
            departure = _utc(flight.departure_local, flight.origin)
            for push, offset in enumerate(PUSH_OFFSETS):
                out.append(_Delivery(departure - offset, flight, push))
            if not network.airport(flight.origin).schengen:
                out.append(_Delivery(departure - PUSH_OFFSETS[2] + timedelta(minutes=2), flight, 3))
        out.sort(key=lambda d: (d.at, d.flight.designator, d.push))
        return out

    def records(self) -> Iterator[tuple[_Delivery, PnrPush | PassengerList]]:
        """Each delivery's record as built, before any writer or quirk: for round-trip tests.

        Call after `build()`, instead of `write()`: it draws from the same random source, so a world
        that yields its records and is then written differs from one written straight away.
        """
        for delivery in self.deliveries():
            if delivery.push == 3:
                plist, _ids = self._passenger_list(delivery.flight, delivery.at)
                if plist.persons:
                    yield delivery, plist
                continue
            push, _occurrences = self._push(delivery)
            if push is not None:
                yield delivery, push

    def write(self, folder: Path, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Write messages, watchlists and truth under `folder`; return the summary."""
        messages = folder / "messages"
        messages.mkdir(parents=True, exist_ok=True)
        deliveries = self.deliveries()
        xml_carriers = self._xml_carriers()
        for done, delivery in enumerate(deliveries, 1):
            for name, data, truth in self._messages(delivery, xml_carriers):
                (messages / name).write_bytes(data)
                self._account(name, data, truth)
            if progress is not None:
                progress(done, len(deliveries))
        self._write_watchlists(folder / "watchlists")
        return self._write_truth(folder / "truth")

    def _xml_carriers(self) -> frozenset[str]:
        carriers = sorted({f.carrier for f in self.flights})
        rng = random.Random(self.params.seed + 7)
        return frozenset(c for c in carriers if rng.random() < self.params.xml_share)

    def _messages(
        self, delivery: _Delivery, xml_carriers: frozenset[str]
    ) -> Iterator[tuple[str, bytes, _MessageTruth]]:
        rng = self.rng
        rates = self.params.quirks
        flight = delivery.flight
        if delivery.push == 3:
            plist, persons = self._passenger_list(flight, delivery.at)
            if not plist.persons:
                return
            options, codes = quirks.writer_options(rng, rates)
            data = write_paxlst(plist, **options)  # type: ignore[arg-type]
            yield from self._finish(delivery, "PAXLST", "edi", [(data, _MessageTruth(api=persons), codes)])
            return
        push, occurrences = self._push(delivery)
        if push is None:
            return
        if flight.carrier in xml_carriers:
            data = write_pnrgov_xml(push)
            truth = _MessageTruth(
                travellers=occurrences, bookings=len(push.bookings), sensitive=self._sensitive(push)
            )
            yield from self._finish(delivery, "PNRGOV_XML", "xml", [(data, truth, ())])
            return
        parts = (
            split_push(push, self.params.split_bookings)
            if len(push.bookings) > self.params.split_bookings
            else (push,)
        )
        written = []
        for part in parts:
            locators = {b.locator for b in part.bookings}
            options, codes = quirks.writer_options(rng, rates)
            data = write_pnrgov(part, **options)  # type: ignore[arg-type]
            truth = _MessageTruth(
                travellers=[o for o in occurrences if o["locator"] in locators],
                bookings=len(part.bookings),
                sensitive=self._sensitive(part),
            )
            written.append((data, truth, codes))
        yield from self._finish(delivery, "PNRGOV", "edi", written)

    def _finish(
        self,
        delivery: _Delivery,
        kind: str,
        extension: str,
        written: list[tuple[bytes, _MessageTruth, tuple[str, ...]]],
    ) -> Iterator[tuple[str, bytes, _MessageTruth]]:
        rng = self.rng
        rates = self.params.quirks
        prepared: list[tuple[bytes, _MessageTruth]] = []
        for data, truth, codes in written:
            final, applied = data, [*codes]
            if extension == "edi":
                final, dirt = quirks.dirty(data, rng, rates)
                applied.extend(dirt)
            outcome = truth
            if rng.random() < rates.broken:
                final, reason = quirks.break_message(final, rng)
                outcome = _MessageTruth(broken=reason)
            outcome.kind = kind
            outcome.quirks = tuple(applied)
            prepared.append((final, outcome))
        # Duplicates are the very same bytes delivered again; out-of-order parts swap places.
        for (data, truth), order_codes in quirks.delivery_order(prepared, rng, rates):
            self._sequence += 1
            label = ["t48", "t24", "closure", "api"][delivery.push]
            name = (
                f"{delivery.at:%Y%m%dT%H%M%S}_{self._sequence:07d}_{delivery.flight.designator}"
                f"_{delivery.flight.departure_local:%Y%m%d}_{label}.{extension}"
            )
            if order_codes:
                truth = dataclasses.replace(truth, quirks=(*truth.quirks, *order_codes))  # noqa: PLW2901
            yield name, data, truth

    def _account(self, name: str, data: bytes, truth: _MessageTruth) -> None:
        t = self.truth
        t.messages += 1
        if truth.broken is not None:
            t.broken.append({"file": name, "reason": truth.broken})
            return
        if truth.kind == "PAXLST":
            t.paxlst_messages += 1
            t.api_persons.extend(
                {"file": name, "index": i, "person_id": pid} for i, pid in enumerate(truth.api)
            )
            return
        t.pnrgov_messages += 1
        t.booking_occurrences += truth.bookings
        for occurrence in truth.travellers:
            t.travellers.append({"file": name, **occurrence})
            t.locators.add(occurrence["locator"])
        t.sensitive.extend({"file": name, **item} for item in truth.sensitive)

    # -- pushes -------------------------------------------------------------------------------

    def _push(self, delivery: _Delivery) -> tuple[PnrPush | None, list[dict[str, Any]]]:
        flight = delivery.flight
        push_index = delivery.push
        parties = self.by_flight.get(_operating_key(flight), [])
        # At T-24h about half the flights' carriers send only what changed (an update push).
        update = push_index == 1 and zlib.crc32(flight.designator.encode()) % 2 == 0
        bookings: list[Booking] = []
        occurrences: list[dict[str, Any]] = []
        for party in parties:
            if party.appears > push_index:
                continue
            cancelled = party.cancelled_at is not None and party.cancelled_at <= push_index
            if cancelled and (not update or party.cancelled_at != push_index):
                # A full push lists only the bookings on the flight; an update announces a
                # cancellation once, as a booking with an empty ORG.
                continue
            changed = (
                cancelled
                or party.appears == push_index
                or push_index in party.joins.values()
                or push_index in party.leaves.values()
            )
            if update and not changed:
                continue  # an update carries only what changed
            booking = self._booking(party, flight, push_index, cancelled)
            bookings.append(booking)
            occurrences.extend(
                {"locator": party.locator, "reference": t.ref, "person_id": party.person_at(t.ref)}
                for t in booking.travellers
            )
        if not bookings and update:
            return None, []
        version = self._version(flight)
        header = MessageHeader(
            format=MessageFormat.PNRGOV,
            version=version,
            message_ref=str(self._sequence + 1),
            common_access_ref=f"{flight.departure_local:%d%m%y}/{flight.departure_local:%H%M}/{flight.carrier}/{flight.number}",
            sender=flight.carrier,
            recipient=f"{self.params.country}PIU",
            prepared_at=delivery.at.replace(second=0, microsecond=0),
        )
        push = PnrPush(
            header=header,
            function="141" if update else "22",
            flight=_flight(flight),
            bookings=tuple(bookings),
            sender_system=BookingOffice(system=flight.carrier, location=flight.origin),
            declared_bookings=len(bookings),
        )
        return push, occurrences

    def _version(self, flight: ScheduledFlight) -> str:
        versions = self.params.pnrgov_versions
        return versions[sum(map(ord, flight.carrier)) % len(versions)]  # a carrier keeps its version

    def _booking(self, party: Party, pushed: ScheduledFlight, push_index: int, cancelled: bool) -> Booking:
        closure = push_index == 2
        travellers: list[Traveller] = []
        contacts: list[Contact] = []
        lead = party.members[0][1]
        phone = party.shared.get("phone", lead.phone)
        email = party.shared.get("email", lead.email)
        contacts = [
            Contact(ContactKind.MOBILE, phone, source="SSR CTCM"),
            Contact(ContactKind.EMAIL, email, source="SSR CTCE"),
        ]
        address = lead.address
        if party.shared_address is not None:
            address = party.shared_address
        laps = _infant_laps(party.types)
        for i, ((_person, identity), kind) in enumerate(zip(party.members, party.types, strict=True)):
            if party.present(i, push_index):
                travellers.append(self._traveller(party, i, identity, kind, infant_of=laps.get(i)))
        for extra in range(party.placeholders):
            ref = str(len(party.members) + extra + 1)
            travellers.append(Traveller(surname="TBA", given_names="TBA", ref=ref, placeholder=True))
        pushed_key = _operating_key(pushed)
        segments = [
            self._segment(party, f, closure and _operating_key(f) == pushed_key, travellers)
            for f in party.flights
        ]
        if party.return_after is not None:
            segments.append(_return_segment(party.flights[-1], party.return_after))
        payment = self._payment(party, lead)
        # The lead's ticket was paid with it too: XML pushes carry payments only under a ticket.
        for i, traveller in enumerate(travellers):
            if traveller.ref == "1" and traveller.tickets:
                ticket = dataclasses.replace(traveller.tickets[0], payments=(payment,))
                travellers[i] = dataclasses.replace(traveller, tickets=(ticket, *traveller.tickets[1:]))
        return Booking(
            locator=party.locator,
            locators=(RecordLocator(party.locator, system=party.office.system, created_at=party.created),),
            created_at=party.created,
            last_changed_at=party.created + timedelta(hours=2),
            office=party.office,
            group_name=party.group_name,
            travellers=tuple(travellers),
            segments=tuple(segments),
            contacts=tuple(contacts),
            addresses=(dataclasses.replace(address, purpose="700", traveller_ref=None, source="ADD"),),
            payments=(payment,),
            cancelled=cancelled,
        )

    def _traveller(
        self, party: Party, index: int, identity: Person, kind: TravellerType, *, infant_of: str | None
    ) -> Traveller:
        ref = str(index + 1)
        identity, documented = self._as_entered(party, index, identity)
        docs = _docs(identity, infant=kind is TravellerType.INFANT, ref=ref)
        services: tuple[ServiceItem, ...] = ()
        if party.sensitive is not None and party.sensitive[0] == index:
            _, code, text, _reason = party.sensitive
            services = (
                ServiceItem(kind="SSR", code=code, status="HK", quantity=1, text=text, traveller_ref=ref),
            )
        title = (
            None if kind is not TravellerType.ADULT else ("MRS" if identity.gender is Gender.FEMALE else "MR")
        )
        return Traveller(
            surname=identity.surname,
            given_names=identity.given_names,
            title=title,
            type=kind,
            ref=ref,
            infant_of=infant_of,
            date_of_birth=PartialDate.of(identity.date_of_birth) if documented else None,
            gender=identity.gender,
            documents=(docs,) if documented else (),
            frequent_flyers=tuple(
                FrequentFlyer(carrier, number, traveller_ref=ref)
                for carrier, number in identity.frequent_flyers
            ),
            services=services,
            tickets=(
                Ticket(
                    number=_ticket_number(flight_carrier_code(party), party.locator, ref),
                    kind="T",
                    issued_on=party.created.date(),
                    traveller_ref=ref,
                ),
            )
            if not identity_is_placeholder(identity)
            else (),
        )

    def _as_entered(self, party: Party, index: int, identity: Person) -> tuple[Person, bool]:
        """How a booking tool entered the traveller (the same in every push of the booking), and whether it
        sent DOCS. Drawn from a random source of its own, so a world without noise is byte for byte the same
        as before the option existed."""
        noise = self.params.identity_noise
        if noise <= 0:
            return identity, True
        rng = random.Random(f"{self.params.seed}/{party.locator}/{index}")
        if rng.random() >= noise:
            return identity, True
        roll = rng.random()
        if roll < 0.4:
            others = [s for s in identity.spellings if s != (identity.surname, identity.given_names) and s[0]]
            if others:
                surname, given_names = rng.choice(others)
            elif len(identity.given_names.split()) > 1:
                surname, given_names = identity.surname, identity.given_names.split()[0]
            else:
                surname, given_names = identity.surname.split()[0], identity.given_names
            return dataclasses.replace(identity, surname=surname, given_names=given_names), True
        if roll < 0.75 or len(identity.documents) < 2:
            return identity, False  # no DOCS: no document, no date of birth
        return dataclasses.replace(identity, documents=(identity.documents[1], identity.documents[0])), True

    def _segment(
        self, party: Party, flight: ScheduledFlight, checked_in: bool, travellers: list[Traveller]
    ) -> Segment:
        check_ins: list[CheckIn] = []
        seats: list[Seat] = []
        if checked_in:
            rng = random.Random(f"{party.locator}{flight.designator}")
            row = rng.randint(3, 40)
            for i, traveller in enumerate(travellers):
                member = int(traveller.ref or "0") - 1
                if traveller.placeholder or member in party.no_shows:
                    continue
                seat = f"{row:02d}{'ABCDEF'[i % 6]}"
                seats.append(Seat(seat, cabin="Y", traveller_ref=traveller.ref, source="SSD"))
                bags = rng.randint(0, 2)
                check_ins.append(
                    CheckIn(
                        traveller_ref=traveller.ref,
                        surname=traveller.surname,
                        given_names=traveller.given_names,
                        sequence=str(rng.randint(1, 400)),
                        seat=seat,
                        cabin="Y",
                        baggage=Baggage(
                            count=bags,
                            weight=bags * rng.randint(12, 23),
                            unit="kg",
                            tags=tuple(
                                BagTag(
                                    f"{rng.randint(0, 999999):06d}",
                                    carrier="220",
                                    consecutive=1,
                                    destination=flight.destination,
                                )
                                for _ in range(bags)
                            ),
                            traveller_ref=traveller.ref,
                        )
                        if bags
                        else None,
                    )
                )
        return Segment(
            flight=_flight(flight),
            booking_class="Y",
            status="HK",
            party_size=len(travellers),
            equipment=flight.equipment,
            seats=tuple(seats),
            check_ins=tuple(check_ins),
        )

    def _payment(self, party: Party, lead: Person) -> Payment:
        invoiced = party.office.agent_type == "T" and zlib.crc32(party.locator.encode()) % 10 < 3
        if invoiced and "card" not in party.shared:  # a card network's bookings are paid with its card
            # Travel agencies often bill the customer and settle with the airline by invoice.
            amount = Money(amount=_price(party.locator), currency="EUR")
            return Payment(form="INV", amount=amount, traveller_ref="1")
        card = party.shared.get("card", lead.card_number)
        if card is None:
            return Payment(form="CA", traveller_ref="1")
        return Payment(
            form="CC",
            vendor=lead.card_vendor or "VI",
            card_last4=card[-4:],
            card_expiry="1229",
            amount=Money(amount=_price(party.locator), currency="EUR"),
            traveller_ref="1",
        )

    def _sensitive(self, push: PnrPush) -> list[dict[str, Any]]:
        parties = {p.locator: p for p in self.by_flight.get(_flight_key_tuple_of(push), [])}
        # (pushes are always for operating flights, so the push's own flight is the operating key)
        items = []
        for booking in push.bookings:
            party = parties.get(booking.locator or "")
            if party is None or party.sensitive is None:
                continue
            member, code, _text, reason = party.sensitive
            if not any(t.ref == str(member + 1) for t in booking.travellers):
                continue  # that traveller is not on the booking in this push
            items.append(
                {"locator": party.locator, "reference": str(member + 1), "code": code, "reason": reason}
            )
        return items

    def _passenger_list(self, flight: ScheduledFlight, at: datetime) -> tuple[PassengerList, list[str]]:
        persons: list[ApiPerson] = []
        ids: list[str] = []
        for party in self.by_flight.get(_operating_key(flight), []):
            if party.cancelled_at is not None:
                continue
            for i, (person, identity) in enumerate(party.members):
                if i in party.no_shows or not party.present(i, 2):
                    continue
                persons.append(api_passenger(_docs(identity), locator=party.locator))
                ids.append(person.person_id)
        header = MessageHeader(
            format=MessageFormat.PAXLST,
            version="D:05B",
            message_ref=str(self._sequence + 1),
            common_access_ref=f"{flight.designator}/{flight.departure_local:%y%m%d}/{flight.departure_local:%H%M}",
            sender=flight.carrier,
            recipient=f"{self.params.country}APIS",
            prepared_at=at.replace(second=0, microsecond=0),
        )
        plist = PassengerList(
            header=header,
            document_code="745",
            reference=f"{flight.designator}{flight.departure_local:%y%m%d}",
            reporting_party=f"{flight.carrier} API",
            legs=(_flight(flight),),
            persons=tuple(persons),
            declared_passengers=len(persons),
        )
        return plist, ids

    # -- watchlists and truth ------------------------------------------------------------------

    def _write_watchlists(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(self.params.seed + 11)
        filler_people = people.make_population(self.params.seed + 101, self.params.watchlist_filler)
        entries = [*self.watchlist, *watchlists.filler_entries(filler_people, len(self.watchlist) + 1, rng)]
        entries.sort(key=lambda e: e.entry_id)
        (folder / "persons.csv").write_bytes(watchlists.person_watchlist_csv(entries))
        (folder / "persons.ftm.jsonl").write_bytes(watchlists.person_watchlist_ftm(entries))
        documents = watchlists.lost_documents(
            max(50, self.params.watchlist_filler // 4),
            rng,
            planted=[document for _, document in self.lost_planted],
            before=self.params.start,
        )
        (folder / "documents.csv").write_bytes(watchlists.document_watchlist_csv(documents))
        by_number = {d.document_number: d.entry_id for d in documents}
        for person_id, document in self.lost_planted:
            self.truth.targets.append(
                {"person_id": person_id, "entry_id": by_number[document.number], "variation": "lost_document"}
            )

    def _write_truth(self, folder: Path) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        t = self.truth
        _jsonl(folder / "travellers.jsonl", t.travellers)
        _jsonl(folder / "api_persons.jsonl", t.api_persons)
        _jsonl(folder / "watchlist_targets.jsonl", t.targets)
        _jsonl(folder / "networks.jsonl", t.networks)
        _jsonl(folder / "journeys.jsonl", t.journeys)
        _jsonl(folder / "broken_messages.jsonl", t.broken)
        _jsonl(folder / "sensitive_items.jsonl", t.sensitive)
        seen = {row["person_id"] for row in t.travellers} | {row["person_id"] for row in t.api_persons}
        seen.discard(None)
        _jsonl(folder / "persons.jsonl", [_person_json(p) for p in self.population if p.person_id in seen])
        summary = {
            "seed": self.params.seed,
            "days": self.params.days,
            "scale": self.params.scale,
            "country": self.params.country,
            "flights": len(self.flights),
            "messages": t.messages,
            "pnrgov_messages": t.pnrgov_messages,
            "paxlst_messages": t.paxlst_messages,
            "broken_messages": len(t.broken),
            "bookings": len(t.locators),
            "booking_occurrences": t.booking_occurrences,
            "traveller_occurrences": len(t.travellers),
            "api_person_occurrences": len(t.api_persons),
            "distinct_persons": len(seen),
        }
        (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
        return summary


@dataclass(slots=True)
class _MessageTruth:
    travellers: list[dict[str, Any]] = field(default_factory=list)
    api: list[str] = field(default_factory=list)
    bookings: int = 0
    sensitive: list[dict[str, Any]] = field(default_factory=list)
    broken: str | None = None
    kind: str = ""
    quirks: tuple[str, ...] = ()


def generate(
    params: WorldParams, folder: Path, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Build the world of `params` and write it under `folder`; returns the summary."""
    builder = WorldBuilder(params)
    builder.build()
    return builder.write(folder, progress)


# ---------------------------------------------------------------------------------------------
# Small pieces


# Nobody takes two flights less than this apart; `take` looks this far down the queue and the waiting list.
_APART = timedelta(hours=12)
_QUEUE_LOOKS = 200
_WAITING_LOOKS = 50

# A broken journey's traveller may change airports by train: this far at most, with this much time.
_TRANSFER_KM = 300.0
_TRANSFER_MINIMUM = timedelta(hours=2)
_TRANSFER_KMH = 80.0


def _reachable(arrival: str, departure: str, gap: timedelta) -> bool:
    """Whether a traveller landing at `arrival` can fly on from `departure` `gap` later."""
    if arrival == departure:
        return True
    km = distance_km(arrival, departure)
    return (
        km is not None
        and km <= _TRANSFER_KM
        and gap >= _TRANSFER_MINIMUM + timedelta(hours=km / _TRANSFER_KMH)
    )


def identity_is_placeholder(person: Person) -> bool:
    return person.surname == "TBA"


def _utc(local: datetime, airport: str) -> datetime:
    zone = network.airport(airport).zone
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _docs(identity: Person, *, infant: bool = False, ref: str | None = None) -> TravelDocument:
    """The DOCS item of the identity a person travels under (their current document)."""
    document = identity.documents[0]
    return TravelDocument(
        source="DOCS",
        document_type=document.document_type,
        number=document.number,
        issuing_state=document.issuing_state,
        nationality=identity.nationality,
        date_of_birth=PartialDate.of(identity.date_of_birth),
        gender=identity.gender,
        infant=infant,
        expiry=document.expiry,
        surname=identity.surname,
        given_names=identity.given_names,
        traveller_ref=ref,
    )


def _flight(flight: ScheduledFlight) -> Flight:
    return Flight(
        carrier=flight.carrier,
        number=flight.number,
        origin=flight.origin,
        destination=flight.destination,
        departure=ScheduledTime.at(flight.origin, flight.departure_local),
        arrival=ScheduledTime.at(flight.destination, flight.arrival_local),
        operating_carrier=flight.operating_carrier,
        operating_number=flight.operating_number,
    )


def _return_segment(outbound: ScheduledFlight, after: timedelta) -> Segment:
    departure = outbound.arrival_local + after
    arrival = departure + outbound.duration
    number = str(int(outbound.number) + 1) if outbound.number.isdigit() else outbound.number
    return Segment(
        flight=Flight(
            carrier=outbound.carrier,
            number=number,
            origin=outbound.destination,
            destination=outbound.origin,
            departure=ScheduledTime.at(outbound.destination, departure.replace(second=0, microsecond=0)),
            arrival=ScheduledTime.at(outbound.origin, arrival.replace(second=0, microsecond=0)),
        ),
        booking_class="Y",
        status="HK",
    )


def _flight_key(flight: ScheduledFlight) -> dict[str, str]:
    return {
        "carrier": flight.carrier,
        "number": flight.number,
        "origin": flight.origin,
        "destination": flight.destination,
        "departure_local": flight.departure_local.strftime("%Y-%m-%dT%H:%M"),
    }


def _operating_key(flight: ScheduledFlight) -> tuple[str, str, date]:
    """The flight that really flies: the operating flight of a codeshare, else the flight itself."""
    if flight.operating_carrier and flight.operating_number:
        return (flight.operating_carrier, flight.operating_number, flight.departure_local.date())
    return (flight.carrier, flight.number, flight.departure_local.date())


def _flight_key_tuple_of(push: PnrPush) -> tuple[str, str, date]:
    flight = push.flight
    assert flight is not None
    assert flight.departure is not None
    return (flight.carrier, flight.number, flight.departure.local.date())


def _infant_laps(types: list[TravellerType]) -> dict[int, str]:
    """Each infant on the lap of its own adult: infant index -> the adult's traveller reference."""
    adults = iter(i for i, t in enumerate(types) if t is TravellerType.ADULT)
    return {i: str(next(adults) + 1) for i, t in enumerate(types) if t is TravellerType.INFANT}


def _party_size(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.55:
        return 1
    if roll < 0.80:
        return 2
    if roll < 0.97:
        return rng.randint(3, 5)
    return rng.randint(6, 9)


def _traveller_type(born: date, on: date) -> TravellerType:
    age = (on - born).days / 365.25
    if age < 2:
        return TravellerType.INFANT
    if age < 12:
        return TravellerType.CHILD
    return TravellerType.ADULT


def _office(rng: random.Random, carrier: str, agencies: _Agencies) -> BookingOffice:
    if rng.random() < 0.5:
        return BookingOffice(system=carrier, location="HDQ", agent_type="A", country="DE", currency="EUR")
    return agencies.draw(rng)


@dataclass(slots=True)
class _Agencies:
    """The travel agencies that book in this world: a few large ones and many small ones.

    Agency sizes follow Zipf's law (the k-th largest books about 1/k as much as the largest), as retail
    markets do; so the largest agencies' numbers are on many unrelated bookings (the hubs a network
    analysis must weigh down) while a small agency's number links a handful.
    """

    offices: list[BookingOffice]
    cumulative: list[float]

    @classmethod
    def make(cls, seed: int, count: int) -> _Agencies:
        rng = random.Random(f"openpiu.synth.world.agencies:{seed}")
        offices: list[BookingOffice] = []
        numbers: set[str] = set()
        while len(offices) < count:
            number = f"{rng.randint(10_000_000, 99_999_999)}"
            if number in numbers:
                continue
            numbers.add(number)
            offices.append(
                BookingOffice(
                    system=rng.choice(_SYSTEMS),
                    location="MUC",
                    iata_number=number,
                    office_id=f"MUC{rng.choice('ABCDEFGH')}{rng.randint(1000, 9999)}",
                    agent_type="T",
                    country="DE",
                    currency="EUR",
                )
            )
        total = 0.0
        cumulative = []
        for rank in range(1, count + 1):
            total += 1.0 / rank
            cumulative.append(total)
        return cls(offices, cumulative)

    def draw(self, rng: random.Random) -> BookingOffice:
        return rng.choices(self.offices, cum_weights=self.cumulative, k=1)[0]


def _category(rng: random.Random) -> str:
    return rng.choice(["terrorism", "terrorism", "trafficking-drugs", "trafficking-human-beings", "murder"])


def _price(locator: str) -> Decimal:
    return Decimal(100 + zlib.crc32(locator.encode()) % 900)


def flight_carrier_code(party: Party) -> str:
    """The validating carrier's three-digit ticketing code stands first in a ticket number."""
    return f"{zlib.crc32(party.flights[0].carrier.encode()) % 1000:03d}"


def _ticket_number(prefix: str, locator: str, ref: str) -> str:
    return f"{prefix}{zlib.crc32(f'{locator}/{ref}'.encode()) % 10**10:010d}"


def _unique(persons: Iterator[Person] | Sequence[Person] | Any) -> list[Person]:
    seen: dict[str, Person] = {}
    for person in persons:
        seen.setdefault(person.person_id, person)
    return list(seen.values())


def _person_json(person: Person) -> dict[str, Any]:
    return {
        "person_id": person.person_id,
        "surname": person.surname,
        "given_names": person.given_names,
        "gender": person.gender.value,
        "date_of_birth": person.date_of_birth.isoformat(),
        "nationality": person.nationality,
        "documents": [
            {
                "type": d.document_type,
                "number": d.number,
                "issuing_state": d.issuing_state,
                "expiry": d.expiry.isoformat(),
            }
            for d in person.documents
        ],
        "phone": person.phone,
        "email": person.email,
        "native_name": person.native_name,
        "spellings": [list(s) for s in person.spellings],
    }


def _jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


__all__ = ["Party", "Truth", "WorldBuilder", "generate"]


def world_params(
    *,
    seed: int = 1,
    days: int = 1,
    scale: float = 0.001,
    country: str = "DE",
    start: str | None = None,
    versions: str = "11.1,13.1,15.1",
    xml_share: float = 0.1,
    quirk_rate: float = 1.0,
    broken_rate: float | None = None,
    identity_noise: float = 0.0,
) -> WorldParams:
    """Parameters from command-line values, checked; ValueError says what is wrong."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    if not 0 < scale <= 10:
        raise ValueError("--scale must be above 0 and at most 10")
    if not 0 <= xml_share <= 1 or quirk_rate < 0:
        raise ValueError("--xml-share must be between 0 and 1, --quirk-rate at least 0")
    if not 0 <= identity_noise <= 1:
        raise ValueError("--identity-noise must be between 0 and 1")
    chosen = tuple(v.strip() for v in versions.split(",") if v.strip())
    for version in chosen:
        major, _, minor = version.partition(".")
        if not (major.isdigit() and minor.isdigit() and 10 <= int(major) <= 18):
            raise ValueError(f"not a PNRGOV version: {version!r} (10.1 to 18.1)")
    if not network.home_airports(country.upper()):
        raise ValueError(f"no airports known for country {country!r}")
    defaults = QuirkRates()
    rates = QuirkRates(
        **{
            f.name: min(1.0, getattr(defaults, f.name) * quirk_rate)
            for f in dataclasses.fields(QuirkRates)
            if f.name != "broken"
        },
        broken=broken_rate if broken_rate is not None else min(1.0, defaults.broken * quirk_rate),
    )
    return WorldParams(
        seed=seed,
        days=days,
        scale=scale,
        country=country.upper(),
        start=date.fromisoformat(start) if start else WorldParams().start,
        pnrgov_versions=chosen or WorldParams().pnrgov_versions,
        xml_share=xml_share,
        quirks=rates,
        identity_noise=identity_noise,
    )
