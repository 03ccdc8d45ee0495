"""Screening in the pipeline: every stored push's travellers against the active watchlists and criteria.

The stage keeps one `Screener` (the watchlists' indexes) and the parsed active criteria, and rebuilds them
when a list or a criterion changes (`refresh`); a change also re-screens the flights not departed yet
(`rescreen`). A traveller who belongs to an identity an analyst follows raises a follow hit (one per follow
and booking, for the follower; see openpiu.model.follows). Each traveller's travel history (their
identity's bookings, chained into journeys) is read for the whole push in two queries and fed to the
criteria's journey features. A traveller's hits are stored through the store's `Hits`: one per traveller,
booking and entry or criterion, updated by a re-push instead of doubled. A traveller merged with an API
person who was screened alone before (the passenger list came first) names that person's key, so the
store lets the traveller's hit take over the API-only one on the same entry. Nothing here decides
anything: hits wait for an analyst (Directive Art 6(5)-(6)).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol

from openpiu.analysis.identity import reason_text
from openpiu.analysis.journeys import JourneySettings, TravelSegment, chain, segments_of
from openpiu.clock import Clock
from openpiu.model import (
    ApiPerson,
    Candidate,
    Feature,
    Flight,
    Hit,
    HitKind,
    PersonRole,
    ScreenedPerson,
    Traveller,
    Watchlist,
)
from openpiu.model.journeys import TravelHistory
from openpiu.screening.criteria import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Criterion,
    Not,
    evaluate,
    parse_criteria,
)
from openpiu.screening.features import TRAVEL_FEATURES, booking_features
from openpiu.screening.screen import Screener
from openpiu.store import (
    Bookings,
    Criteria,
    FollowedOccurrence,
    Follows,
    Hits,
    PassengerLists,
    StoredApiPerson,
    StoredBooking,
    StoredTraveller,
    TravelHistories,
    Watchlists,
)

__all__ = [
    "ScreeningStage",
    "ScreeningStore",
    "api_screened_person",
    "api_subject_key",
    "follow_explanation",
    "reads_travel",
    "screened_person",
]

_log = logging.getLogger(__name__)

#: Hits on lists of this category come first in the queue (an Annex II list is 2, a criterion its own).
_TERRORISM = "terrorism"
#: API persons screened: passengers (the Directive's subjects); crew lists are kept, not screened.
_SCREENED_ROLES = frozenset({PersonRole.PASSENGER, PersonRole.TRANSIT_PASSENGER})


class ScreeningStore(
    Bookings, PassengerLists, Watchlists, Criteria, Hits, Follows, TravelHistories, Protocol
):
    """What screening needs of the store."""


def screened_person(key: str, traveller: Traveller, api: ApiPerson | None = None) -> ScreenedPerson:
    """A traveller as the screener sees it: names as sent, and what the documents add.

    With the API person merged with the traveller, what the passport gave (read at check-in, often from
    its machine-readable zone) comes first: date of birth, nationality, gender and document numbers.
    """
    documents = traveller.documents + (api.documents if api is not None else ())
    birth = (api.date_of_birth if api is not None else None) or traveller.date_of_birth
    birth = birth or next((d.date_of_birth for d in documents if d.date_of_birth), None)
    nationality = (api.nationality if api is not None else None) or next(
        (d.nationality for d in documents if d.nationality), None
    )
    gender = (api.gender if api is not None else None) or traveller.gender
    gender = gender or next((d.gender for d in documents if d.gender), None)
    return ScreenedPerson(
        ref=key,
        surname=traveller.surname,
        given_names=traveller.given_names,
        date_of_birth=birth,
        nationality=nationality,
        documents=tuple(dict.fromkeys(d.number for d in documents if d.number)),
        gender=gender,
    )


def api_screened_person(key: str, person: ApiPerson) -> ScreenedPerson:
    """A person of a passenger list as the screener sees it."""
    documents = person.documents
    return ScreenedPerson(
        ref=key,
        surname=person.surname,
        given_names=person.given_names,
        date_of_birth=person.date_of_birth
        or next((d.date_of_birth for d in documents if d.date_of_birth), None),
        nationality=person.nationality or next((d.nationality for d in documents if d.nationality), None),
        documents=tuple(dict.fromkeys(d.number for d in documents if d.number)),
        gender=person.gender or next((d.gender for d in documents if d.gender), None),
    )


def api_subject_key(stored: StoredApiPerson) -> str:
    """A stable, pseudonymous key for a person known from API data alone: the same person on the same
    flight in a list sent again gets the same key (so its hit is updated, not doubled)."""
    person = stored.person
    carrier, number, origin = stored.flight
    document = next((d.number for d in person.documents if d.number), "")
    birth = person.date_of_birth.isoformat() if person.date_of_birth is not None else ""
    text = "\x1f".join(
        (
            carrier,
            number,
            origin,
            stored.flight_date.isoformat(),
            person.surname,
            person.given_names or "",
            birth,
            document,
        )
    )
    return "api:" + hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def follow_explanation(key: str, found: FollowedOccurrence) -> tuple[Feature, ...]:
    """Why a follow hit was raised: the identity followed, the evidence that put this occurrence in it,
    who follows it and on what legal basis (the hit's reasons, as the review page shows them)."""
    follow = found.follow
    sure = 1.0 if found.score is None else found.score
    linked = "; ".join(reason_text(r) for r in found.reasons) or "the identity's first occurrence"
    return (
        Feature("identity", key, f"identity {follow.identity_id}", sure, sure),
        Feature("linked_by", linked, f"identity {follow.identity_id}", sure, 0.0),
        Feature("followed_by", None, follow.followed_by, 1.0, 0.0),
        Feature("legal_basis", None, follow.legal_basis, 1.0, 0.0),
        Feature("follow_reason", None, follow.reason, 1.0, 0.0),
        Feature("follow_grounds", None, follow.grounds, 1.0, 0.0),
        Feature("follow_expires", None, follow.expires_at.isoformat(), 1.0, 0.0),
    )


def reads_travel(condition: Condition) -> bool:
    """Whether a condition reads a journey feature (then the travellers' histories are worth reading)."""
    if isinstance(condition, Comparison):
        return condition.feature in TRAVEL_FEATURES
    if isinstance(condition, Not):
        return reads_travel(condition.condition)
    assert isinstance(condition, AllOf | AnyOf)
    return any(reads_travel(c) for c in condition.conditions)


def _surname_key(surname: str | None) -> str:
    return "".join(ch for ch in (surname or "").upper() if ch.isalpha())


@dataclass(slots=True)
class ScreeningStage:
    store: ScreeningStore
    clock: Clock
    top: int = 5
    #: Follow hits come first in the queue: an analyst asked to see this person's every booking.
    follow_priority: int = 1
    journeys: JourneySettings = field(default_factory=JourneySettings)
    _signature: tuple[object, ...] | None = None
    _screener: Screener | None = None
    _lists: dict[str, Watchlist] = field(default_factory=dict)
    _criteria: tuple[Criterion, ...] = ()
    _travel: bool = False  # an active criterion reads a journey feature
    _held: bool | None = None  # inside `holding`: whether a follow was active when the block began

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Screen every flight of the block against the lists, criteria and follows in force when it
        began: read once for a batch of messages, not again for each. What an analyst activates
        meanwhile is screened from the next batch, seconds later (and `rescreen` covers stored flights)."""
        if self._held is not None:
            yield  # nested: the outer block holds them
            return
        self.refresh()
        self._held = self._following_now()
        try:
            yield
        finally:
            self._held = None

    def refresh(self) -> bool:
        """Rebuild the indexes and criteria when the active lists or criteria changed; True if they did."""
        lists = self.store.watchlists(active_only=True)
        specs = self.store.active_criteria()
        signature = (
            tuple(w.id for w in lists),
            tuple((c.criterion_id, c.version, c.activated_at) for c in specs),
        )
        if signature == self._signature:
            return False
        self._screener = Screener([(w.watchlist, self.store.watchlist_entries(w.id)) for w in lists])
        self._lists = {w.watchlist.list_id: w.watchlist for w in lists}
        criteria: list[Criterion] = []
        for spec in specs:
            criteria.extend(parse_criteria(spec.source, source=f"criterion {spec.criterion_id}"))
        self._criteria = tuple(criteria)
        self._travel = any(reads_travel(c.condition) for c in criteria)
        changed = self._signature is not None
        self._signature = signature
        _log.info("screening with %d watchlists and %d criteria", len(lists), len(criteria))
        return changed

    def screen_flight(self, flight_id: int, booking_ids: Iterable[int] | None = None) -> int:
        """Screen the flight's current travellers (of the given bookings, or all); the hits recorded."""
        following = self._current()
        if not following and not self._criteria and (self._screener is None or not self._screener.lists):
            return 0  # nothing to screen against: the bookings are not even read
        stored = self.store.flight(flight_id)
        if stored is None:
            return 0
        wanted = None if booking_ids is None else set(booking_ids)
        bookings = {
            b.id: b
            for b in self.store.current_bookings(flight_id, include_cancelled=False)
            if wanted is None or b.id in wanted
        }
        travellers: dict[int, list[StoredTraveller]] = {}
        current = self.store.current_travellers(flight_id)
        for traveller in current:
            if traveller.booking_id in bookings:
                travellers.setdefault(traveller.booking_id, []).append(traveller)
        merged, alone = self._api_data(self.store.api_persons(flight_id), current)
        screened = [row for rows in travellers.values() for row in rows]
        histories = self._histories(screened)
        hits: list[Hit] = []
        for booking_id, stored_booking in bookings.items():
            rows = travellers.get(booking_id, [])
            hits.extend(self._watchlist_hits(flight_id, booking_id, rows, merged, stored.flight_date))
            hits.extend(self._criteria_hits(stored.flight, flight_id, stored_booking, rows, histories))
        if following:
            hits.extend(self._follow_hits(flight_id, screened, merged, alone if wanted is None else []))
        if wanted is None:  # the whole flight: its API persons no traveller was merged with too
            hits.extend(self._api_hits(flight_id, alone))
        return self._record(f"flight {flight_id}", hits)

    def _current(self) -> bool:
        """The lists and criteria brought up to date (unless held); whether any follow is active."""
        if self._held is not None:
            return self._held
        self.refresh()
        return self._following_now()

    def _following_now(self) -> bool:
        """Whether any follow is active now (few are: one small query spares the rest when none is)."""
        now = self.clock.now()
        return any(f.active(now) for f in self.store.follows())

    def _follow_hits(
        self,
        flight_id: int | None,
        rows: list[StoredTraveller],
        merged: Mapping[int, StoredApiPerson],
        alone: list[StoredApiPerson],
    ) -> list[Hit]:
        """A hit per traveller (or API person alone) of a followed identity and per follow; one query."""
        by_traveller = {row.id: row for row in rows}
        by_person = {p.id: p for p in alone}
        found = self.store.followed_occurrences(
            traveller_ids=list(by_traveller), api_person_ids=list(by_person), now=self.clock.now()
        )
        hits = []
        for occurrence in found:
            follow = occurrence.follow
            base = Hit(
                kind=HitKind.FOLLOW,
                flight_id=flight_id,
                booking_id=None,
                traveller_key="",
                traveller_id=None,
                source_id=follow.source_id,
                source_version=follow.expires_at.date().isoformat(),  # a review extends it: a new version
                list_id=None,
                score=1.0 if occurrence.score is None else occurrence.score,
                priority=self.follow_priority,
            )
            traveller_id = occurrence.occurrence.traveller_id
            if traveller_id is not None and traveller_id in by_traveller:
                row = by_traveller[traveller_id]
                key = row.traveller.ref or f"#{row.position}"
                api = merged.get(row.id)
                hits.append(
                    replace(
                        base,
                        booking_id=row.booking_id,
                        traveller_key=key,
                        traveller_id=row.id,
                        explanation=follow_explanation(key, occurrence),
                        api_person_id=api.id if api is not None else None,
                        api_key=api_subject_key(api) if api is not None else None,
                    )
                )
            person_id = occurrence.occurrence.api_person_id
            if person_id is not None and person_id in by_person:
                key = api_subject_key(by_person[person_id])
                hits.append(
                    replace(
                        base,
                        traveller_key=key,
                        api_person_id=person_id,
                        explanation=follow_explanation(key, occurrence),
                    )
                )
        return hits

    def _histories(self, rows: list[StoredTraveller]) -> dict[int, TravelHistory]:
        """Each traveller's travel history from the store, by traveller row: the bookings of their
        identity's occurrences (one query), read in their current versions (one query), chained."""
        if not self._travel or not rows:
            return {}
        found = self.store.identity_bookings([row.id for row in rows])
        if not found:
            return {}
        stored = {b.id: b for b in self.store.bookings_by_ids(sorted({x.booking_id for x in found}))}
        segments: dict[int, list[TravelSegment]] = {}
        made: dict[tuple[int, str], tuple[TravelSegment, ...]] = {}  # one booking's occurrence, once
        for item in found:
            booking = stored.get(item.booking_id)
            if booking is None:
                continue
            occurrence = str(item.occurrence)
            key = (item.booking_id, occurrence)
            if key not in made:
                record = booking.booking
                if booking.cancelled and not record.cancelled:  # a full push no longer listed it
                    record = dataclasses.replace(record, cancelled=True)
                made[key] = segments_of(
                    record, booking_id=booking.locator or f"#{booking.id}", occurrence=occurrence
                )
            segments.setdefault(item.traveller_id, []).extend(made[key])
        return {
            traveller: chain(found_segments, self.journeys) for traveller, found_segments in segments.items()
        }

    def screen_list(self, list_id: int) -> int:
        """Screen the persons of a passenger list whose flight no PNR push has made known (yet)."""
        following = self._current()
        if not following and (self._screener is None or not self._screener.lists):
            return 0
        persons = self.store.list_persons(list_id)
        flight_id = next((p.flight_id for p in persons if p.flight_id is not None), None)
        if flight_id is not None:
            return self.screen_flight(flight_id)
        _, alone = self._api_data(persons, [])
        hits = self._api_hits(None, alone)
        if following:
            hits.extend(self._follow_hits(None, [], {}, alone))
        return self._record(f"passenger list {list_id}", hits)

    def _record(self, what: str, hits: list[Hit]) -> int:
        if hits:
            counts = self.store.record_hits(hits)
            _log.info("%s: %d hits (%d new)", what, len(hits), counts.new)
        return len(hits)

    @staticmethod
    def _api_data(
        persons: list[StoredApiPerson], current: list[StoredTraveller]
    ) -> tuple[dict[int, StoredApiPerson], list[StoredApiPerson]]:
        """The flight's API passengers: by the current traveller each was merged with, and those alone.

        A merge names the traveller row of the version it was made on; after a re-push of the booking
        the same person is the booking's current traveller of the same surname.
        """
        ids = {row.id for row in current}
        by_surname = {(row.booking_id, _surname_key(row.traveller.surname)): row.id for row in current}
        merged: dict[int, StoredApiPerson] = {}
        alone: dict[str, StoredApiPerson] = {}
        for stored in persons:  # in list order: a later list's person replaces an earlier one
            if stored.person.role not in _SCREENED_ROLES:
                continue
            match = stored.match
            if match is None:
                alone[api_subject_key(stored)] = stored
                continue
            traveller_id = match.traveller_id
            if traveller_id not in ids:
                traveller_id = by_surname.get((match.booking_id, _surname_key(stored.person.surname)), -1)
            if traveller_id in ids:
                merged[traveller_id] = stored
        return merged, list(alone.values())

    def _candidates(self, people: list[ScreenedPerson], day: date) -> list[Candidate]:
        """The best candidates of all the forms a person was screened in (each entry once, its best)."""
        screener = self._screener
        assert screener is not None
        best: dict[tuple[str, str], Candidate] = {}
        for person in people:
            for candidate in screener.screen(person, on=day, top=self.top):
                key = (candidate.list_id, candidate.entry_id)
                if key not in best or candidate.score > best[key].score:
                    best[key] = candidate
        return sorted(best.values(), key=lambda c: (-c.score, c.list_id, c.entry_id))[: self.top]

    def _hit(
        self,
        candidate: Candidate,
        *,
        flight_id: int | None,
        booking_id: int | None,
        key: str,
        traveller_id: int | None,
        api_person_id: int | None,
        api_key: str | None = None,
    ) -> Hit:
        listed = self._lists.get(candidate.list_id)
        return Hit(
            kind=HitKind.WATCHLIST,
            flight_id=flight_id,
            booking_id=booking_id,
            traveller_key=key,
            traveller_id=traveller_id,
            source_id=candidate.entry_id,
            source_version=candidate.list_version,
            list_id=candidate.list_id,
            score=candidate.score,
            priority=1 if listed is not None and listed.category == _TERRORISM else 2,
            explanation=candidate.explanation,
            api_person_id=api_person_id,
            api_key=api_key,
        )

    def _watchlist_hits(
        self,
        flight_id: int,
        booking_id: int,
        rows: list[StoredTraveller],
        merged: dict[int, StoredApiPerson],
        day: date,
    ) -> list[Hit]:
        if self._screener is None or not self._screener.lists:
            return []
        hits = []
        for row in rows:
            key = row.traveller.ref or f"#{row.position}"
            api = merged.get(row.id)
            people = [screened_person(key, row.traveller, api.person if api is not None else None)]
            if api is not None and _surname_key(api.person.surname + (api.person.given_names or "")) != (
                _surname_key(row.traveller.surname + (row.traveller.given_names or ""))
            ):  # the passport's spelling may differ from the booking's: screen both
                people.append(
                    replace(people[0], surname=api.person.surname, given_names=api.person.given_names)
                )
            for candidate in self._candidates(people, day):
                if candidate.alert:
                    hits.append(
                        self._hit(
                            candidate,
                            flight_id=flight_id,
                            booking_id=booking_id,
                            key=key,
                            traveller_id=row.id,
                            api_person_id=api.id if api is not None else None,
                            api_key=api_subject_key(api) if api is not None else None,
                        )
                    )
        return hits

    def _api_hits(self, flight_id: int | None, persons: list[StoredApiPerson]) -> list[Hit]:
        if self._screener is None or not self._screener.lists:
            return []
        hits = []
        for stored in persons:
            key = api_subject_key(stored)
            person = api_screened_person(key, stored.person)
            for candidate in self._candidates([person], stored.flight_date):
                if candidate.alert:
                    hits.append(
                        self._hit(
                            candidate,
                            flight_id=flight_id,
                            booking_id=None,
                            key=key,
                            traveller_id=None,
                            api_person_id=stored.id,
                        )
                    )
        return hits

    def _criteria_hits(
        self,
        flight: Flight,
        flight_id: int,
        stored_booking: StoredBooking,
        rows: list[StoredTraveller],
        histories: Mapping[int, TravelHistory],
    ) -> list[Hit]:
        if not self._criteria or not rows:
            return []
        # one feature record per traveller, in the booking's order (a stored traveller's position); the
        # travel histories by the traveller's reference in the booking, as the features take them
        by_ref = {
            row.traveller.ref: histories[row.id] for row in rows if row.traveller.ref and row.id in histories
        }
        features = booking_features(flight, stored_booking.booking, self.clock.now().date(), histories=by_ref)
        hits = []
        for row in rows:
            if row.position >= len(features):
                continue
            key = row.traveller.ref or f"#{row.position}"
            for criterion in self._criteria:
                result = evaluate(criterion, features[row.position])
                if not result.matched:
                    continue
                hits.append(
                    Hit(
                        kind=HitKind.CRITERION,
                        flight_id=flight_id,
                        booking_id=stored_booking.id,
                        traveller_key=key,
                        traveller_id=row.id,
                        source_id=criterion.id,
                        source_version=criterion.version,
                        list_id=None,
                        score=1.0,
                        priority=criterion.priority,
                        explanation=result.evidence(),
                    )
                )
        return hits

    def rescreen(self, *, from_day: date) -> int:
        """Screen again every flight from ``from_day`` on (after a list or criterion changed)."""
        total = 0
        day = from_day
        for offset in range(3):  # the flights a PIU holds pushes for ahead: up to two days out
            flight_date = date.fromordinal(day.toordinal() + offset)
            for stored in self.store.find_flights(flight_date=flight_date):
                total += self.screen_flight(stored.id)
            for list_id in self.store.unlinked_lists(flight_date):
                total += self.screen_list(list_id)
        return total
