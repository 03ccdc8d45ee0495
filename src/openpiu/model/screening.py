"""Screening records: watchlists and their entries, the person screened, and explained candidates.

A watchlist is versioned and carries its legal basis; an entry is a person (or, on a document list, only
a document) sought. Screening a person gives candidates, each with a calibrated score in 0..1 and the
features that made it: the query's value, the entry's value, the feature's own score and its contribution
to the total, so an analyst sees why (DESIGN.md, "Explained results").
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from openpiu.model.record import record
from openpiu.model.values import Gender, PartialDate

__all__ = [
    "Candidate",
    "Decision",
    "DecisionOutcome",
    "Feature",
    "Hit",
    "HitKind",
    "ListKind",
    "ScreenedPerson",
    "Watchlist",
    "WatchlistEntry",
]


class ListKind(StrEnum):
    PERSONS = "persons"  # persons sought: names, dates of birth, documents
    DOCUMENTS = "documents"  # lost and stolen travel documents: numbers only


@record
class Watchlist:
    """A list of persons or documents sought, in one version, with why the PIU may screen against it."""

    list_id: str
    name: str
    version: str
    source: str
    legal_basis: str
    category: str  # "terrorism" or an Annex II serious-crime code
    owner: str
    kind: ListKind = ListKind.PERSONS
    valid_from: date | None = None
    valid_until: date | None = None
    alert_threshold: float = 0.75


@record
class WatchlistEntry:
    """One person (or document) on a list. Names as the source wrote them: the first is the main one."""

    entry_id: str
    names: tuple[str, ...] = ()
    date_of_birth: PartialDate | None = None
    nationalities: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    documents: tuple[str, ...] = ()
    gender: Gender | None = None
    category: str | None = None  # overrides the list's
    valid_from: date | None = None
    valid_until: date | None = None  # an expired entry stops matching

    def active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@record
class ScreenedPerson:
    """The person screened: a traveller, an API person or a line of a CSV, names as the airline wrote them."""

    ref: str
    surname: str
    given_names: str | None = None
    date_of_birth: PartialDate | None = None
    nationality: str | None = None
    documents: tuple[str, ...] = ()
    gender: Gender | None = None


@record
class Feature:
    """One piece of evidence: what was compared, the two values, its score and its part of the total."""

    feature: str  # "name", "date_of_birth", "document", "nationality", "gender" ...
    query: str | None
    candidate: str | None
    score: float  # how well the two values agree, 0..1 (or a penalty below 0 for a contradiction)
    contribution: float  # what it added to (or took from) the candidate's score


@record
class Candidate:
    """A watchlist entry that may be the person screened, with its calibrated score and explanation."""

    entry_id: str
    list_id: str
    list_version: str
    score: float  # 0..1, calibrated
    alert: bool  # score at or above the list's alert threshold
    explanation: tuple[Feature, ...] = ()


class HitKind(StrEnum):
    WATCHLIST = "watchlist"
    CRITERION = "criterion"
    FOLLOW = "follow"  # a new occurrence of an identity an analyst follows (model/follows.py)


@record
class Hit:
    """An automated match of a traveller on a flight, for an analyst to decide (never acted on alone).

    One hit per traveller of a booking on a flight and per watchlist entry or criterion: a re-push of the
    booking updates it (score, explanation, the version screened) instead of adding another.

    A person known only from API data (a passenger list no PNR traveller was merged with, or a flight
    without PNR data) is a subject too: such a hit has no booking and no traveller row but the API
    person screened (`api_person_id`), its `traveller_key` stable across re-sent lists, and no flight
    id while no PNR push has made the flight known.

    When the booking arrives later and the API person is merged with its traveller, the traveller's hit
    names the key the person's hits had while alone (`api_key`): it takes over such a hit on the same
    entry (which then leaves the queue, its decisions shown with the traveller's hit), so the analyst
    does not see the same match twice.
    """

    kind: HitKind
    flight_id: int | None
    booking_id: int | None
    traveller_key: str  # the traveller's reference in the booking (or its position), stable across pushes
    traveller_id: int | None  # the traveller row of the booking version screened
    source_id: str  # watchlist entry id, or criterion id
    source_version: str  # the list's version, or the criterion's
    list_id: str | None  # the watchlist (None for a criterion)
    score: float
    priority: int  # 1 highest
    explanation: tuple[Feature, ...] = ()
    api_person_id: int | None = None  # the API person screened (alone, or merged with the traveller)
    api_key: str | None = None  # the merged API person's `traveller_key` from when it was alone


class DecisionOutcome(StrEnum):
    CONFIRMED = "confirmed"  # the analyst holds the match true: it may be transmitted (Art 6(6))
    DISMISSED = "dismissed"  # a false match: nothing follows from it


@record
class Decision:
    """An analyst's decision on a hit, with the reason: kept forever, never changed.

    A later decision on the same hit supersedes it (with its own reason); the earlier one stays.
    """

    hit_id: int
    outcome: DecisionOutcome
    reason: str
    decided_by: str  # the user's name
