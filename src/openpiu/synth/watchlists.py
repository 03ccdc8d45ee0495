"""Watchlist files of the synthetic world: person lists (CSV, FollowTheMoney) and lost documents.

Writers return bytes; the caller writes them. The person-watchlist CSV has the columns of the
screening issue (`id,name,aliases,date_of_birth,nationality,document_numbers,category`, lists joined
with `;`); the FollowTheMoney file has one `Person` entity per line with sorted keys; the document
watchlist CSV has `id,document_number,document_type,issuing_state,reported_on`.

`filler_entries` turns people who do not travel into realistic entries, so the planted targets hide
among them; `lost_documents` makes the lost and stolen documents list, with planted documents in it.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

import pycountry

from openpiu.synth.planted import entry_id, format_name
from openpiu.synth.types import LostDocument, Person, PersonDocument, WatchlistEntry

__all__ = [
    "ANNEX_II",
    "DOCUMENT_WATCHLIST_HEADER",
    "PERSON_WATCHLIST_HEADER",
    "TERRORISM",
    "document_watchlist_csv",
    "filler_entries",
    "ftm_nationality",
    "lost_document_id",
    "lost_documents",
    "person_watchlist_csv",
    "person_watchlist_ftm",
]

PERSON_WATCHLIST_HEADER = (
    "id",
    "name",
    "aliases",
    "date_of_birth",
    "nationality",
    "document_numbers",
    "category",
)
DOCUMENT_WATCHLIST_HEADER = ("id", "document_number", "document_type", "issuing_state", "reported_on")

TERRORISM = "terrorism"
# Annex II of Directive 2016/681: the serious crimes a category may name, as "annex2-NN".
ANNEX_II: dict[str, str] = {
    f"annex2-{number:02d}": label
    for number, label in enumerate(
        (
            "participation in a criminal organisation",
            "trafficking in human beings",
            "sexual exploitation of children and child pornography",
            "illicit trafficking in narcotic drugs and psychotropic substances",
            "illicit trafficking in weapons, munitions and explosives",
            "corruption",
            "fraud, including fraud against the financial interests of the Union",
            "laundering of the proceeds of crime and counterfeiting of currency",
            "computer-related crime/cybercrime",
            "environmental crime",
            "facilitation of unauthorised entry and residence",
            "murder, grievous bodily injury",
            "illicit trade in human organs and tissue",
            "kidnapping, illegal restraint and hostage-taking",
            "organised and armed robbery",
            "illicit trafficking in cultural goods",
            "counterfeiting and piracy of products",
            "forgery of administrative documents and trafficking therein",
            "illicit trafficking in hormonal substances and other growth promoters",
            "illicit trafficking in nuclear or radioactive materials",
            "rape",
            "crimes within the jurisdiction of the International Criminal Court",
            "unlawful seizure of aircraft or ships",
            "sabotage",
            "trafficking in stolen vehicles",
            "industrial espionage",
        ),
        start=1,
    )
}
# The crimes watchlists name most often, more often than the rest.
_FREQUENT = ("annex2-01", "annex2-02", "annex2-04", "annex2-05", "annex2-08", "annex2-11", "annex2-18")


# --- person watchlists -----------------------------------------------------------------------------


def person_watchlist_csv(entries: Sequence[WatchlistEntry]) -> bytes:
    """The person watchlist as UTF-8 CSV with a header; aliases and document numbers joined by `;`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PERSON_WATCHLIST_HEADER)
    for entry in entries:
        writer.writerow(
            (
                entry.entry_id,
                entry.name,
                ";".join(entry.aliases),
                entry.date_of_birth or "",
                entry.nationality or "",
                ";".join(entry.document_numbers),
                entry.category,
            )
        )
    return out.getvalue().encode("utf-8")


_ICAO_ONLY = {"D": "de", "GBD": "gb", "GBN": "gb", "GBO": "gb", "GBP": "gb", "GBS": "gb", "RKS": "xk"}


@cache
def ftm_nationality(alpha3: str) -> str | None:
    """The FollowTheMoney country code (ISO alpha-2, lower case) for an alpha-3 or ICAO code, if any."""
    code = alpha3.strip().upper()
    if code in _ICAO_ONLY:
        return _ICAO_ONLY[code]
    country = pycountry.countries.get(alpha_3=code)
    return None if country is None else str(country.alpha_2).lower()


def _topics(category: str) -> list[str]:
    return ["crime.terror"] if category == TERRORISM else ["crime"]


def person_watchlist_ftm(entries: Sequence[WatchlistEntry]) -> bytes:
    """The person watchlist as FollowTheMoney JSON lines: one `Person` entity per line, keys sorted.

    Properties left empty are left out, as FollowTheMoney does; all document numbers go to
    `passportNumber` (the entry does not say which kind of document each one is).
    """
    lines: list[str] = []
    for entry in entries:
        properties: dict[str, list[str]] = {"name": [entry.name], "topics": _topics(entry.category)}
        if entry.aliases:
            properties["alias"] = list(entry.aliases)
        if entry.date_of_birth:
            properties["birthDate"] = [entry.date_of_birth]
        if entry.nationality:
            country = ftm_nationality(entry.nationality)
            if country is not None:
                properties["nationality"] = [country]
        if entry.document_numbers:
            properties["passportNumber"] = list(entry.document_numbers)
        entity: dict[str, Any] = {"id": entry.entry_id, "schema": "Person", "properties": properties}
        lines.append(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
    return "".join(lines).encode("utf-8")


def _filler_dob(born: date, rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.74:
        return born.isoformat()
    if roll < 0.86:
        return f"{born.year:04d}"
    if roll < 0.91:
        return f"{born.year:04d}-{born.month:02d}"
    if roll < 0.94 and born.day <= 12 and born.day != born.month:  # recorded the other way round
        return date(born.year, born.day, born.month).isoformat()
    return None


def _category(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return TERRORISM
    if roll < 0.75:
        return rng.choice(_FREQUENT)
    return rng.choice(sorted(ANNEX_II))


def filler_entries(persons: Sequence[Person], start_id: int, rng: random.Random) -> list[WatchlistEntry]:
    """One watchlist entry per person (people who do not travel), numbered from `start_id` ("W0002001").

    Filler is as uneven as real lists: names in the usual forms, aliases sometimes (other
    romanisations, the native-script name), dates of birth full, year-only, month-only or missing,
    a nationality mostly, document numbers sometimes, and terrorism or an Annex II category.
    """
    forms: tuple[Callable[[str, str], str], ...] = (
        lambda s, g: format_name(s, g, "surname_comma_given"),
        lambda s, g: format_name(s, g, "surname_comma_given", upper=True),
        lambda s, g: format_name(s, g, "given_surname"),
        lambda s, g: format_name(s, g, "given_surname", upper=True),
        lambda s, g: format_name(s, g, "natural"),
    )
    entries: list[WatchlistEntry] = []
    for offset, person in enumerate(persons):
        form = rng.choices(forms, weights=(30, 20, 25, 10, 15))[0]
        name = form(person.surname, person.given_names)
        aliases: list[str] = []
        for surname, given in person.spellings:
            alias = form(surname, given)
            if alias != name and alias not in aliases and rng.random() < 0.6:
                aliases.append(alias)
        if person.native_name and rng.random() < 0.5:
            aliases.append(person.native_name)
        given_names = person.given_names.split()
        if len(given_names) >= 2 and rng.random() < 0.15:  # known without the middle names too
            aliases.append(form(person.surname, given_names[0]))
        documents = tuple(doc.number for doc in person.documents if rng.random() < 0.35)
        entries.append(
            WatchlistEntry(
                entry_id=entry_id(start_id + offset),
                name=name,
                aliases=tuple(dict.fromkeys(aliases)),
                date_of_birth=_filler_dob(person.date_of_birth, rng),
                nationality=person.nationality if rng.random() < 0.9 else None,
                document_numbers=documents,
                category=_category(rng),
            )
        )
    return entries


# --- lost and stolen documents ---------------------------------------------------------------------

_DIGITS = "0123456789"
_OCR_SAFE = "CFGHJKLMNPRTVWXYZ"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# issuing state -> shapes of its document numbers: "L" a letter, "S" an OCR-safe letter, "9" a digit,
# "A" an OCR-safe letter or a digit; any other character is literal.
_SHAPES: dict[str, tuple[str, ...]] = {
    "DEU": ("SAAAAAAAA",),
    "FRA": ("99LL99999",),
    "GBR": ("999999999",),
    "USA": ("999999999", "L99999999"),
    "ITA": ("LL9999999",),
    "ESP": ("LLL999999",),
    "NLD": ("LLAAAAAA9",),
    "POL": ("LL9999999",),
    "AUT": ("L9999999",),
    "BEL": ("LL999999",),
    "TUR": ("U99999999",),
    "RUS": ("999999999",),
    "UKR": ("LL999999",),
    "ROU": ("99999999",),
    "GRC": ("LL9999999",),
    "IND": ("L9999999",),
    "CHN": ("E99999999",),
    "NGA": ("L99999999",),
    "SYR": ("N99999999",),
    "IRQ": ("L9999999",),
}
_STATES = tuple(_SHAPES)
_STATE_WEIGHTS = (14, 8, 8, 6, 7, 6, 5, 6, 3, 3, 8, 4, 4, 4, 3, 3, 2, 2, 2, 2)


def _document_number(state: str, rng: random.Random) -> str:
    shape = rng.choice(_SHAPES[state])
    chars: list[str] = []
    for ch in shape:
        if ch == "9":
            chars.append(rng.choice(_DIGITS))
        elif ch == "L":
            chars.append(rng.choice(_LETTERS))
        elif ch == "S":
            chars.append(rng.choice(_OCR_SAFE))
        elif ch == "A":
            chars.append(rng.choice(_OCR_SAFE + _DIGITS))
        else:
            chars.append(ch)
    return "".join(chars)


def lost_document_id(number: int) -> str:
    """The id of the `number`th lost or stolen document entry: "L0000001"."""
    return f"L{number:07d}"


def _reported_on(rng: random.Random, earliest: date, latest: date) -> date:
    if latest < earliest:
        return latest
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def lost_documents(
    count: int,
    rng: random.Random,
    *,
    planted: Sequence[PersonDocument] = (),
    before: date = date(2026, 11, 30),
) -> list[LostDocument]:
    """`count` lost or stolen documents, plus every `planted` document, in a random order.

    Filler numbers follow the issuing states' formats (about a third are identity cards); all are
    reported within five years before `before`. A planted document is reported after it was issued
    (within the two years before `before` where possible), so a traveller carrying it can be
    planted. Numbers are unique within the list; ids are "L0000001" onwards in list order.
    """
    latest = before - timedelta(days=1)
    taken = {(doc.issuing_state, doc.number) for doc in planted}
    rows: list[tuple[str, str, str, date]] = []
    for doc in planted:
        earliest = max(doc.issued_on + timedelta(days=1), before - timedelta(days=730))
        rows.append((doc.number, doc.document_type, doc.issuing_state, _reported_on(rng, earliest, latest)))
    while len(rows) < count + len(planted):
        state = rng.choices(_STATES, weights=_STATE_WEIGHTS)[0]
        number = _document_number(state, rng)
        if (state, number) in taken:
            continue
        taken.add((state, number))
        kind = "I" if rng.random() < 0.3 else "P"
        rows.append((number, kind, state, _reported_on(rng, before - timedelta(days=1826), latest)))
    rng.shuffle(rows)
    return [
        LostDocument(
            entry_id=lost_document_id(i + 1),
            document_number=number,
            document_type=kind,
            issuing_state=state,
            reported_on=reported,
        )
        for i, (number, kind, state, reported) in enumerate(rows)
    ]


def document_watchlist_csv(docs: Sequence[LostDocument]) -> bytes:
    """The lost and stolen documents as UTF-8 CSV with a header (`reported_on` as YYYY-MM-DD)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DOCUMENT_WATCHLIST_HEADER)
    for doc in docs:
        writer.writerow(
            (
                doc.entry_id,
                doc.document_number,
                doc.document_type,
                doc.issuing_state,
                doc.reported_on.isoformat(),
            )
        )
    return out.getvalue().encode("utf-8")
