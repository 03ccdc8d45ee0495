"""API data merged with the PNR travellers of the same flight: who in the PAXLST is who in the bookings.

Pure: takes the stored persons and travellers of one flight and returns the merges with their confidence
and the features that decided them (never the values). The rules, strongest first:

* the same travel document number (letters and digits compared, case folded): 0.97, raised to 0.995 when
  the surname agrees too and lowered to 0.90 when it does not (a document typed into the wrong booking);
* surname, first given name and date of birth all equal: 0.95;
* surname and first given name equal, date of birth missing on one side, and only one traveller on the
  flight with that name: 0.80.

A date of birth that contradicts (both known, different) rules out a merge by name. Each person and each
traveller is merged at most once, best confidence first; crew are never merged (they have no booking).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii

from openpiu.model import PartialDate, PersonRole
from openpiu.store import ApiMatch, StoredApiPerson, StoredTraveller

__all__ = ["match_api_persons"]

_NOT_LETTERS = re.compile(r"[^A-Z ]+")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_PASSENGERS = {PersonRole.PASSENGER, PersonRole.TRANSIT_PASSENGER}


def _words(text: str | None) -> list[str]:
    return _NOT_LETTERS.sub(" ", anyascii(text or "").upper()).split()


def _surname(text: str | None) -> str:
    return "".join(_words(text))


def _first_given(text: str | None) -> str:
    words = _words(text)
    return words[0] if words else ""


def _document(number: str | None) -> str:
    return _NOT_ALNUM.sub("", (number or "").upper())


def _birth(dates: Iterable[PartialDate | None]) -> PartialDate | None:
    known = [d for d in dates if d is not None]
    return max(known, key=lambda d: (d.month is not None, d.day is not None)) if known else None


def _dates_agree(a: PartialDate | None, b: PartialDate | None) -> bool | None:
    """True equal, False contradicting, None when one is unknown (compared at the shared precision)."""
    if a is None or b is None:
        return None
    if a.year != b.year:
        return False
    if a.month is None or b.month is None:
        return True
    if a.month != b.month:
        return False
    return a.day is None or b.day is None or a.day == b.day


@dataclass(frozen=True, slots=True)
class _Features:
    documents: frozenset[str]
    name: tuple[str, str]  # surname, first given name
    birth: PartialDate | None


def _traveller_features(t: StoredTraveller) -> _Features:
    traveller = t.traveller
    return _Features(
        frozenset(_document(d.number) for d in traveller.documents) - {""},
        (_surname(traveller.surname), _first_given(traveller.given_names)),
        _birth([traveller.date_of_birth, *(d.date_of_birth for d in traveller.documents)]),
    )


def match_api_persons(persons: list[StoredApiPerson], travellers: list[StoredTraveller]) -> list[ApiMatch]:
    """The merges of ``persons`` (not merged yet) with ``travellers`` not merged with anyone yet."""
    features = [_traveller_features(t) for t in travellers]
    by_document: dict[str, list[int]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, f in enumerate(features):
        for number in f.documents:
            by_document[number].append(i)
        by_name[f.name].append(i)
    candidates: list[tuple[float, int, int, ApiMatch]] = []
    for p in persons:
        if p.match is not None or p.person.role not in _PASSENGERS:
            continue
        person = p.person
        p_docs = {_document(d.number) for d in person.documents} - {""}
        p_name = (_surname(person.surname), _first_given(person.given_names))
        p_birth = _birth([person.date_of_birth, *(d.date_of_birth for d in person.documents)])
        by_doc = {i for number in p_docs for i in by_document.get(number, ())}
        for i in sorted(by_doc | set(by_name.get(p_name, ()))):
            t, f = travellers[i], features[i]
            found = _match(p.id, t, p_name, p_birth, f, by_doc=i in by_doc, unique=len(by_name[f.name]) == 1)
            if found is not None:
                candidates.append((found.confidence, p.id, t.id, found))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    merged: list[ApiMatch] = []
    persons_taken: set[int] = set()
    travellers_taken: set[int] = set()
    for _, person_id, traveller_id, match in candidates:
        if person_id in persons_taken or traveller_id in travellers_taken:
            continue
        persons_taken.add(person_id)
        travellers_taken.add(traveller_id)
        merged.append(match)
    return merged


def _match(
    person_id: int,
    t: StoredTraveller,
    p_name: tuple[str, str],
    p_birth: PartialDate | None,
    f: _Features,
    *,
    by_doc: bool,
    unique: bool,
) -> ApiMatch | None:
    if by_doc:
        surname_agrees = p_name[0] == f.name[0] and p_name[0] != ""
        return ApiMatch(
            person_id,
            t.id,
            t.booking_id,
            "document",
            0.995 if surname_agrees else 0.90,
            ("document number equal", "surname equal" if surname_agrees else "surname differs"),
        )
    birth = _dates_agree(p_birth, f.birth)
    if p_name != f.name or not (p_name[0] and p_name[1]) or birth is False:
        return None
    if birth:
        return ApiMatch(
            person_id,
            t.id,
            t.booking_id,
            "name and date of birth",
            0.95,
            ("surname equal", "first given name equal", "date of birth equal"),
        )
    if unique:
        return ApiMatch(
            person_id,
            t.id,
            t.booking_id,
            "name",
            0.80,
            (
                "surname equal",
                "first given name equal",
                "date of birth missing on one side",
                "name unique on the flight",
            ),
        )
    return None
