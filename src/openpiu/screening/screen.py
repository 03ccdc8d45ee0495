"""Screening a person against watchlists: candidates from each list's index, scored and explained.

`Screener(lists)` builds one `WatchlistIndex` per list. `screen(person, on=day)` asks each index for the
entries sharing the most (rare) keys with the person and active on that day (at most `candidates`, and
only those sharing at least `min_ratio` of the best entry's key weight), scores each with the
calibrated scorer (`openpiu.screening.scoring.score_entry` unless another is given), and returns the
best `top` candidates of all lists, best first, each with its explanation and whether it reaches its
list's alert threshold. Entries of a document list (lost and stolen documents) carry no name: they are
candidates only through a shared document number, which is scored 1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from openpiu.model.screening import (
    Candidate,
    Feature,
    ListKind,
    ScreenedPerson,
    Watchlist,
    WatchlistEntry,
)
from openpiu.screening.index import KeyFunction, WatchlistIndex, document_key
from openpiu.screening.names import name_keys
from openpiu.screening.scoring import score_entry

__all__ = [
    "DEFAULT_CANDIDATES",
    "DEFAULT_MIN_RATIO",
    "Scorer",
    "Screener",
    "default_key_function",
    "default_scorer",
]

Scorer = Callable[[ScreenedPerson, WatchlistEntry], tuple[float, tuple[Feature, ...]]]

#: How many of the index's best entries per list are scored at most (more: recall; fewer: speed) ...
DEFAULT_CANDIDATES = 5
#: ... and only those sharing at least this share of the best entry's key weight.
DEFAULT_MIN_RATIO = 0.5


def default_key_function() -> KeyFunction:
    """`openpiu.screening.names.name_keys`."""
    return name_keys


def default_scorer() -> Scorer:
    """`openpiu.screening.scoring.score_entry`."""
    return score_entry


def document_score(person: ScreenedPerson, entry: WatchlistEntry) -> tuple[float, tuple[Feature, ...]]:
    """A document-list entry against a person: 1.0 when a document number is the same, else 0."""
    numbers = {document_key(number): number for number in person.documents}
    for listed in entry.documents:
        query = numbers.get(document_key(listed))
        if query is not None and document_key(listed):
            return 1.0, (Feature("document", query, listed, 1.0, 1.0),)
    return 0.0, ()


class _List:
    __slots__ = ("entries", "index", "watchlist")

    def __init__(self, watchlist: Watchlist, entries: list[WatchlistEntry], index: WatchlistIndex) -> None:
        self.watchlist = watchlist
        self.entries = entries
        self.index = index


class Screener:
    """Screens persons against a set of watchlists (each with its own index and alert threshold)."""

    def __init__(
        self,
        lists: Sequence[tuple[Watchlist, Sequence[WatchlistEntry]]],
        key_function: KeyFunction | None = None,
        scorer: Scorer | None = None,
        *,
        candidates: int = DEFAULT_CANDIDATES,
        min_ratio: float = DEFAULT_MIN_RATIO,
        workers: int = 1,
    ) -> None:
        self.key_function = key_function if key_function is not None else default_key_function()
        self.scorer = scorer if scorer is not None else default_scorer()
        self.candidate_limit = candidates
        self.min_ratio = min_ratio
        self.lists: list[_List] = []
        for watchlist, entries in lists:
            kept = list(entries)
            index = WatchlistIndex.build(kept, self.key_function, workers=workers)
            self.lists.append(_List(watchlist, kept, index))

    def screen(self, person: ScreenedPerson, *, on: date, top: int = 5) -> list[Candidate]:
        """The `top` best candidates for `person` on the day `on`, best first, alerting or not."""
        found: list[Candidate] = []
        limit = max(top, self.candidate_limit)
        for listed in self.lists:
            watchlist = listed.watchlist
            documents_only = watchlist.kind is ListKind.DOCUMENTS
            for number in listed.index.candidates(person, limit, on=on, min_ratio=self.min_ratio):
                entry = listed.entries[number]
                if documents_only or not entry.names:
                    score, explanation = document_score(person, entry)
                    if score <= 0:
                        continue
                else:
                    score, explanation = self.scorer(person, entry)
                found.append(
                    Candidate(
                        entry_id=entry.entry_id,
                        list_id=watchlist.list_id,
                        list_version=watchlist.version,
                        score=score,
                        alert=score >= watchlist.alert_threshold,
                        explanation=explanation,
                    )
                )
        found.sort(key=lambda c: (-c.score, c.list_id, c.entry_id))
        return found[:top]
