"""Searching the stored travel data: by name (with the screening's own matcher), by booking locator, by
flight. Only with a stated purpose, and every search is recorded in the audit log with its terms, its
purpose and how many results it gave, before the results are returned (Art 13).

A name search looks at the travellers of a range of flight dates (at most `MAX_DAYS`). Candidates are the
travellers whose surname shares a retrieval key with the one asked for (metaphone, consonant skeleton,
name symbols: `openpiu.screening.names.name_keys`, so Mohammed finds Muhammad), and each is scored as
screening scores a traveller against a list entry (`openpiu.screening.scoring.score_entry`), with the
same explanation. Results at or above `min_score` come back, best first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openpiu.model import Feature, PartialDate, WatchlistEntry
from openpiu.pipeline.screening import screened_person
from openpiu.screening.names import name_keys
from openpiu.screening.scoring import score_entry
from openpiu.store import Store, StoredBooking, StoredFlight, StoredTraveller

__all__ = ["MAX_DAYS", "MIN_PURPOSE", "NameMatch", "Search", "SearchRefused"]

#: The widest range of flight dates a name search covers.
MAX_DAYS = 62
#: A purpose shorter than this says nothing a DPO could check.
MIN_PURPOSE = 10
_KEY_KINDS = ("m:", "k:", "s:")  # per-part keys; joined and whole-name keys are for full names
_CACHE_LIMIT = 500_000  # surnames whose keys are remembered between searches


class SearchRefused(ValueError):
    """The search cannot be made as asked (no purpose, no name, a range too wide)."""


@dataclass(frozen=True, slots=True)
class NameMatch:
    traveller: StoredTraveller
    score: float
    explanation: tuple[Feature, ...]


def _surname_keys(surname: str) -> frozenset[str]:
    return frozenset(k for k in name_keys(surname) if k.startswith(_KEY_KINDS))


class Search:
    """Searches on one store; remembers the retrieval keys of surnames it has seen."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._keys: dict[str, frozenset[str]] = {}

    def _audit(self, actor: str, purpose: str, kind: str, terms: dict[str, object], results: int) -> None:
        self.store.record(
            actor=actor,
            action=f"search.{kind}",
            subject="travellers",
            reason=purpose,
            details={"terms": terms, "results": results},
        )

    @staticmethod
    def _check_purpose(purpose: str) -> str:
        purpose = " ".join(purpose.split())
        if len(purpose) < MIN_PURPOSE:
            raise SearchRefused("say why you search (a purpose of a few words, kept in the audit log)")
        return purpose

    def by_name(
        self,
        actor: str,
        purpose: str,
        *,
        surname: str,
        given_names: str | None = None,
        date_of_birth: PartialDate | None = None,
        from_date: date,
        to_date: date,
        min_score: float = 0.5,
        limit: int = 100,
    ) -> list[NameMatch]:
        purpose = self._check_purpose(purpose)
        surname = " ".join(surname.split()).upper()
        if not surname:
            raise SearchRefused("a name search needs a surname")
        if to_date < from_date or (to_date - from_date).days >= MAX_DAYS:
            raise SearchRefused(f"search a range of 1 to {MAX_DAYS} flight dates")
        wanted = _surname_keys(surname)
        keys = self._keys
        if len(keys) > _CACHE_LIMIT:
            keys.clear()
        candidates = []
        for known in self.store.surnames(from_date, to_date):
            found = keys.get(known)
            if found is None:
                found = keys[known] = _surname_keys(known)
            if known == surname or found & wanted:
                candidates.append(known)
        query = WatchlistEntry(
            entry_id="search",
            names=(f"{given_names} {surname}" if given_names else surname,),
            date_of_birth=date_of_birth,
        )
        matches = []
        for traveller in self.store.travellers_by_surname(candidates, from_date, to_date):
            person = screened_person(str(traveller.id), traveller.traveller)
            score, explanation = score_entry(person, query)
            if score >= min_score:
                matches.append(NameMatch(traveller, score, explanation))
        matches.sort(key=lambda m: (-m.score, m.traveller.flight_date, m.traveller.id))
        matches = matches[:limit]
        terms: dict[str, object] = {
            "surname": surname,
            "given_names": given_names,
            "date_of_birth": None if date_of_birth is None else date_of_birth.isoformat(),
            "from": from_date.isoformat(),
            "to": to_date.isoformat(),
        }
        self._audit(actor, purpose, "name", terms, len(matches))
        return matches

    def by_locator(self, actor: str, purpose: str, locator: str) -> list[StoredBooking]:
        purpose = self._check_purpose(purpose)
        locator = locator.strip().upper()
        if not locator:
            raise SearchRefused("a locator search needs a locator")
        found = self.store.bookings_by_locator(locator)
        self._audit(actor, purpose, "locator", {"locator": locator}, len(found))
        return found

    def by_flight(
        self, actor: str, purpose: str, *, flight_date: date, carrier: str, number: str | None = None
    ) -> list[StoredFlight]:
        purpose = self._check_purpose(purpose)
        carrier = carrier.strip().upper()
        if not carrier:
            raise SearchRefused("a flight search needs the carrier")
        found = self.store.find_flights(flight_date=flight_date, carrier=carrier, number=number or None)
        terms: dict[str, object] = {"carrier": carrier, "number": number, "date": flight_date.isoformat()}
        self._audit(actor, purpose, "flight", terms, len(found))
        return found
