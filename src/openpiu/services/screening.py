"""Screening travellers from a file against watchlist files: what `openpiu screen` calls.

The travellers CSV has the header `id,surname,given_names,date_of_birth,nationality,document_number,gender`
(only `id` and `surname` are required; names as the airline wrote them, e.g. `SMITH` / `JOHNMR`; dates
`YYYY-MM-DD`, `YYYY-MM` or `YYYY`; nationality ISO alpha-2, alpha-3 or a name; several document numbers
separated by `;`; gender M, F, U or X). A bad line raises `TravellerFileError` with the file and line.

Each traveller's result is one JSON object (`result_json`):
`{"id": ..., "candidates": [{"entry": ..., "score": 0.93, "alert": true,
"explanation": [{"feature": ..., "query": ..., "candidate": ..., "score": ...}]}]}`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpiu.model import Gender, PartialDate
from openpiu.model.screening import Candidate, ScreenedPerson, Watchlist, WatchlistEntry
from openpiu.screening.screen import Screener
from openpiu.screening.watchlists import WatchlistError, country_code, read_watchlist

__all__ = [
    "TRAVELLER_COLUMNS",
    "TravellerFileError",
    "WatchlistError",
    "build_screener",
    "candidate_json",
    "load_watchlists",
    "read_travellers",
    "result_json",
    "screen_travellers",
]

TRAVELLER_COLUMNS = (
    "id",
    "surname",
    "given_names",
    "date_of_birth",
    "nationality",
    "document_number",
    "gender",
)


class TravellerFileError(ValueError):
    """A travellers file that cannot be read: which file, which line (1-based; 0 for the whole file)."""

    def __init__(self, path: str | Path, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}")


def load_watchlists(
    paths: Sequence[str | Path], *, skipped: Counter[str] | None = None
) -> list[tuple[Watchlist, list[WatchlistEntry]]]:
    """Every watchlist file (format detected), whole, or `WatchlistError` for the first bad one."""
    return [read_watchlist(path, skipped=skipped) for path in paths]


def build_screener(
    lists: Sequence[tuple[Watchlist, Sequence[WatchlistEntry]]], *, workers: int = 1
) -> Screener:
    """A screener over the lists, with the default name keys and scorer."""
    return Screener(lists, workers=workers)


_GENDERS = {"M": Gender.MALE, "F": Gender.FEMALE, "U": Gender.UNSPECIFIED, "X": Gender.OTHER}


def _traveller(path: Path, line: int, fields: dict[str, str]) -> ScreenedPerson:
    ref = fields.get("id", "")
    if not ref:
        raise TravellerFileError(path, line, "empty id")
    surname = fields.get("surname", "")
    if not surname:
        raise TravellerFileError(path, line, f"traveller {ref!r} has no surname")
    born: PartialDate | None = None
    if fields.get("date_of_birth"):
        text = fields["date_of_birth"]
        parts = text.split("-")
        if not (len(parts[0]) == 4 and all(p.isdigit() and p for p in parts) and len(parts) <= 3):
            raise TravellerFileError(
                path, line, f"date_of_birth is not YYYY-MM-DD, YYYY-MM or YYYY: {text!r}"
            )
        try:
            born = PartialDate.from_iso(text)
        except ValueError as error:
            raise TravellerFileError(path, line, f"date_of_birth: {error}") from None
    nationality: str | None = None
    if fields.get("nationality"):
        nationality = country_code(fields["nationality"])
        if nationality is None:
            raise TravellerFileError(path, line, f"not a country: {fields['nationality']!r}")
    gender: Gender | None = None
    if fields.get("gender"):
        gender = _GENDERS.get(fields["gender"].upper()[:1])
        if gender is None:
            raise TravellerFileError(path, line, f"gender is not M, F, U or X: {fields['gender']!r}")
    documents = tuple(d.strip() for d in fields.get("document_number", "").split(";") if d.strip())
    return ScreenedPerson(
        ref=ref,
        surname=surname,
        given_names=fields.get("given_names") or None,
        date_of_birth=born,
        nationality=nationality,
        documents=documents,
        gender=gender,
    )


def read_travellers(path: str | Path) -> list[ScreenedPerson]:
    """The travellers CSV (see the module's docstring), whole, or `TravellerFileError`."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise TravellerFileError(path, 0, f"cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise TravellerFileError(path, 0, f"not UTF-8: {error.reason} at byte {error.start}") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    travellers: list[ScreenedPerson] = []
    columns: list[str] | None = None
    line = 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(field.strip() for field in row):
                continue
            if columns is None:
                columns = [c.strip().lower() for c in row]
                unknown = [c for c in columns if c not in TRAVELLER_COLUMNS]
                missing = [c for c in ("id", "surname") if c not in columns]
                if unknown or missing or len(set(columns)) != len(columns):
                    raise TravellerFileError(
                        path,
                        start,
                        f"bad header: expected {','.join(TRAVELLER_COLUMNS)} (id and surname required)",
                    )
                continue
            if len(row) != len(columns):
                raise TravellerFileError(path, start, f"{len(row)} fields, the header has {len(columns)}")
            fields = {name: value.strip() for name, value in zip(columns, row, strict=True)}
            travellers.append(_traveller(path, start, fields))
    except csv.Error as error:
        raise TravellerFileError(path, reader.line_num, f"bad CSV: {error}") from None
    if columns is None:
        raise TravellerFileError(path, 1, f"empty file: expected a header {','.join(TRAVELLER_COLUMNS)}")
    return travellers


def screen_travellers(
    screener: Screener, travellers: Sequence[ScreenedPerson], *, on: date, top: int = 5
) -> Iterator[tuple[ScreenedPerson, list[Candidate]]]:
    """Each traveller with its `top` best candidates, in the travellers' order."""
    for person in travellers:
        yield person, screener.screen(person, on=on, top=top)


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    """One candidate as the `openpiu screen --json` contract has it."""
    return {
        "entry": candidate.entry_id,
        "score": round(candidate.score, 4),
        "alert": candidate.alert,
        "explanation": [
            {"feature": f.feature, "query": f.query, "candidate": f.candidate, "score": round(f.score, 4)}
            for f in candidate.explanation
        ],
    }


def result_json(person: ScreenedPerson, candidates: Sequence[Candidate]) -> dict[str, Any]:
    """One traveller's result as the `openpiu screen --json` contract has it."""
    return {"id": person.ref, "candidates": [candidate_json(c) for c in candidates]}
