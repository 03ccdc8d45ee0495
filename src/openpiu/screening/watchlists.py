"""Watchlist files: person lists (CSV, FollowTheMoney JSON lines, OFAC's legacy CSV) and document lists.

Each reader returns `(watchlist, entries)`: the `Watchlist` the caller gave (or, without one, metadata
made from the file: its stem as id, a hash of its bytes as version) and every entry of the file. A file
with any bad line raises `WatchlistError` naming the file and the line, and nothing of it is returned:
a list is imported whole or not at all.

Formats:
- the person CSV `id,name,aliases,date_of_birth,nationality,document_numbers,category` (optional
  `gender,valid_from,valid_until`); aliases and document numbers separated by `;`; dates `YYYY-MM-DD`,
  `YYYY-MM` or `YYYY`; nationalities ISO alpha-2, alpha-3 or a country name, several separated by `;`;
- FollowTheMoney entities, one JSON object per line: `Person` entities become entries (`name`, `alias`,
  `birthDate`, `nationality`/`citizenship`, `passportNumber`/`idNumber`, `gender`); other schemas are
  skipped and counted;
- OFAC's legacy CSV (`sdn.csv` or `cons_prim.csv`, with `alt.csv`, `add.csv` and the comments file
  beside it; no header, `-0-` for empty): individuals only, aliases from the alternate names and the
  remarks' `a.k.a.`, date of birth, nationality, passport and identity numbers, gender from the remarks;
- the document list CSV `document_number,issuing_country,document_type,reported_on` (or the synthetic
  world's `id,document_number,document_type,issuing_state,reported_on`): entries with a document only,
  active from the day the document was reported.

`detect_format` tells them apart by extension and content; `read_watchlist` reads any of them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pycountry
from rigour.territories import lookup_territory

from openpiu.model import Gender, PartialDate
from openpiu.model.screening import ListKind, Watchlist, WatchlistEntry

__all__ = [
    "DOCUMENT_COLUMNS",
    "PERSON_COLUMNS",
    "WatchlistError",
    "WatchlistFormat",
    "country_code",
    "detect_format",
    "read_document_csv",
    "read_ftm",
    "read_ofac",
    "read_person_csv",
    "read_watchlist",
]

WatchlistFormat = Literal["persons_csv", "documents_csv", "ftm", "ofac"]

PERSON_COLUMNS = ("id", "name", "aliases", "date_of_birth", "nationality", "document_numbers", "category")
_PERSON_OPTIONAL = ("gender", "valid_from", "valid_until")
DOCUMENT_COLUMNS = ("document_number", "issuing_country", "document_type", "reported_on")
_DOCUMENT_OPTIONAL = ("id", "issuing_state")


class WatchlistError(ValueError):
    """A watchlist file that cannot be imported: which file, which line (1-based; 0 for the whole file)."""

    def __init__(self, path: str | Path, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


# --- values ----------------------------------------------------------------------------------------

# ICAO Doc 9303 codes that are not ISO 3166 alpha-3 codes.
_ICAO_ONLY = {"D": "DE", "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB", "RKS": "XK"}
_EXTRA_ALPHA = {"XK": "XK", "XKX": "XK", "UNK": "XK", "EU": "EU"}
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN"), 1)} | {
    m: i for i, m in enumerate(("JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 7)
}


@cache
def country_code(text: str) -> str | None:
    """ISO 3166-1 alpha-2 (upper case) of an alpha-2, alpha-3 or ICAO code or a country name, or None.

    pycountry first (codes, official and common names), then rigour's territory names (which know
    "Korea, North", "Burma", "Palestinian" and the like).
    """
    value = text.strip().strip(".").strip()
    if not value:
        return None
    upper = value.upper()
    if upper in _ICAO_ONLY:
        return _ICAO_ONLY[upper]
    if upper in _EXTRA_ALPHA:
        return _EXTRA_ALPHA[upper]
    try:
        found = pycountry.countries.lookup(value)
    except LookupError:
        found = None
    if found is not None:
        return str(found.alpha_2).upper()
    territory = lookup_territory(value)
    if territory is not None and len(territory.code) == 2 and territory.code.isalpha():
        return territory.code.upper()
    return None


def _partial_date(text: str) -> PartialDate:
    value = text.strip()
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise ValueError(f"not a date (YYYY-MM-DD, YYYY-MM or YYYY): {value!r}")
    return PartialDate.from_iso(value)


def _day(text: str) -> date:
    value = text.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a day (YYYY-MM-DD): {value!r}") from None


_GENDERS = {
    "M": Gender.MALE,
    "MALE": Gender.MALE,
    "F": Gender.FEMALE,
    "FEMALE": Gender.FEMALE,
    "U": Gender.UNSPECIFIED,
    "UNKNOWN": Gender.UNSPECIFIED,
    "X": Gender.OTHER,
    "OTHER": Gender.OTHER,
}


def _gender(text: str) -> Gender | None:
    value = text.strip().upper()
    if not value:
        return None
    if value not in _GENDERS:
        raise ValueError(f"not a gender (M, F, U, X, male, female, other): {text.strip()!r}")
    return _GENDERS[value]


def _split(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


def _nationalities(text: str) -> tuple[str, ...]:
    codes: list[str] = []
    for part in _split(text):
        code = country_code(part)
        if code is None:
            raise ValueError(f"not a country (ISO alpha-2, alpha-3 or a name): {part!r}")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


# --- files -----------------------------------------------------------------------------------------


def _read_text(path: Path, *, legacy: bool = False) -> str:
    """The file's text (UTF-8, a BOM ignored); a byte that is not UTF-8 is reported with its line.

    `legacy` files (OFAC's) fall back to Windows-1252, as the US Treasury writes them.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WatchlistError(path, 0, f"cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if legacy:
            return data.decode("cp1252", errors="replace")
        line = data.count(b"\n", 0, error.start) + 1
        raise WatchlistError(path, line, f"not UTF-8 (byte {data[error.start]:#04x})") from None


def _version(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _default_watchlist(path: Path, kind: ListKind, *extra: Path) -> Watchlist:
    return Watchlist(
        list_id=path.name.split(".")[0] if path.is_file() else path.name,
        name=path.name,
        version=_version(*(p for p in (path, *extra) if p.is_file())),
        source=str(path),
        legal_basis="",
        category="",
        owner="",
        kind=kind,
    )


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, fields) for each non-empty row."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for row in reader:
            if any(field.strip() for field in row):
                yield line, row
            line = reader.line_num + 1
    except csv.Error as error:
        raise WatchlistError(path, reader.line_num or line, f"bad CSV: {error}") from None


def _header(
    path: Path, rows: Iterator[tuple[int, list[str]]], known: Sequence[str], required: Sequence[str]
) -> list[str]:
    first = next(rows, None)
    if first is None:
        raise WatchlistError(path, 1, "empty file: expected a header " + ",".join(known))
    line, header = first
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in known]
    missing = [name for name in required if name not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        what = [
            f"unknown columns {unknown}" if unknown else "",
            f"missing columns {missing}" if missing else "",
        ]
        if len(set(columns)) != len(columns):
            what.append("repeated columns")
        raise WatchlistError(
            path, line, "bad header (" + "; ".join(w for w in what if w) + "); expected " + ",".join(known)
        )
    return columns


def _fields(path: Path, line: int, columns: list[str], row: list[str]) -> dict[str, str]:
    if len(row) != len(columns):
        raise WatchlistError(path, line, f"{len(row)} fields, the header has {len(columns)}")
    return {name: value.strip() for name, value in zip(columns, row, strict=True)}


def read_person_csv(
    path: str | Path, watchlist: Watchlist | None = None
) -> tuple[Watchlist, list[WatchlistEntry]]:
    """The person watchlist CSV (see the module's docstring)."""
    path = Path(path)
    rows = _csv_rows(path, _read_text(path))
    columns = _header(path, rows, (*PERSON_COLUMNS, *_PERSON_OPTIONAL), ("id", "name"))
    entries: list[WatchlistEntry] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        fields = _fields(path, line, columns, row)
        entry_id = fields["id"]
        if not entry_id:
            raise WatchlistError(path, line, "empty id")
        if entry_id in seen:
            raise WatchlistError(path, line, f"id {entry_id!r} repeats line {seen[entry_id]}")
        seen[entry_id] = line
        name = fields["name"]
        if not name:
            raise WatchlistError(path, line, f"entry {entry_id!r} has no name")
        try:
            entry = WatchlistEntry(
                entry_id=entry_id,
                names=tuple(dict.fromkeys((name, *_split(fields.get("aliases", ""))))),
                date_of_birth=_partial_date(fields["date_of_birth"]) if fields.get("date_of_birth") else None,
                nationalities=_nationalities(fields.get("nationality", "")),
                documents=_split(fields.get("document_numbers", "")),
                gender=_gender(fields.get("gender", "")),
                category=fields.get("category") or None,
                valid_from=_day(fields["valid_from"]) if fields.get("valid_from") else None,
                valid_until=_day(fields["valid_until"]) if fields.get("valid_until") else None,
            )
        except ValueError as error:
            raise WatchlistError(path, line, f"entry {entry_id!r}: {error}") from None
        entries.append(entry)
    return watchlist or _default_watchlist(path, ListKind.PERSONS), entries


def read_document_csv(
    path: str | Path, watchlist: Watchlist | None = None
) -> tuple[Watchlist, list[WatchlistEntry]]:
    """The lost and stolen documents CSV: one entry per document, with the document number only."""
    path = Path(path)
    rows = _csv_rows(path, _read_text(path))
    columns = _header(path, rows, (*DOCUMENT_COLUMNS, *_DOCUMENT_OPTIONAL), ("document_number",))
    entries: list[WatchlistEntry] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        fields = _fields(path, line, columns, row)
        number = fields["document_number"]
        if not number:
            raise WatchlistError(path, line, "empty document_number")
        issuer = fields.get("issuing_country") or fields.get("issuing_state") or ""
        if issuer and country_code(issuer) is None:
            raise WatchlistError(path, line, f"not a country (ISO alpha-2, alpha-3 or a name): {issuer!r}")
        entry_id = fields.get("id") or (f"{issuer.upper()}-{number}" if issuer else number)
        if entry_id in seen:
            raise WatchlistError(path, line, f"id {entry_id!r} repeats line {seen[entry_id]}")
        seen[entry_id] = line
        try:
            reported = _day(fields["reported_on"]) if fields.get("reported_on") else None
        except ValueError as error:
            raise WatchlistError(path, line, f"document {entry_id!r}: {error}") from None
        entries.append(WatchlistEntry(entry_id=entry_id, documents=(number,), valid_from=reported))
    return watchlist or _default_watchlist(path, ListKind.DOCUMENTS), entries


# --- FollowTheMoney --------------------------------------------------------------------------------


def _ftm_values(properties: dict[str, Any], name: str) -> list[str]:
    values = properties.get(name, [])
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"property {name!r} is not a list of strings")
    return [v.strip() for v in values if v.strip()]


def _ftm_date(values: list[str]) -> PartialDate | None:
    for value in values:
        match = re.match(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
        if match:
            year, month, day = (int(g) if g else None for g in match.groups())
            assert year is not None
            try:
                return PartialDate(year, month, day)
            except ValueError:
                continue
    if values:
        raise ValueError(f"not a date: {values[0]!r}")
    return None


def read_ftm(
    path: str | Path, watchlist: Watchlist | None = None, *, skipped: Counter[str] | None = None
) -> tuple[Watchlist, list[WatchlistEntry]]:
    """FollowTheMoney JSON lines: one entry per `Person`; other schemas are counted in `skipped`."""
    path = Path(path)
    text = _read_text(path)
    entries: list[WatchlistEntry] = []
    seen: dict[str, int] = {}
    passed: Counter[str] = Counter()
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            entity = json.loads(raw)
        except json.JSONDecodeError as error:
            raise WatchlistError(path, line, f"not JSON: {error.msg} at column {error.colno}") from None
        if not isinstance(entity, dict):
            raise WatchlistError(path, line, "not a JSON object")
        schema = entity.get("schema")
        if not isinstance(schema, str):
            raise WatchlistError(path, line, "no schema")
        if schema != "Person":
            passed[schema] += 1
            continue
        entity_id = entity.get("id")
        if not isinstance(entity_id, str) or not entity_id.strip():
            raise WatchlistError(path, line, "a Person without an id")
        if entity_id in seen:
            raise WatchlistError(path, line, f"id {entity_id!r} repeats line {seen[entity_id]}")
        seen[entity_id] = line
        properties = entity.get("properties", {})
        if not isinstance(properties, dict):
            raise WatchlistError(path, line, "properties is not an object")
        try:
            names = _ftm_values(properties, "name") + _ftm_values(properties, "alias")
            if not names:  # the parts of the name, where the source gives only those
                parts = [
                    " ".join(_ftm_values(properties, prop))
                    for prop in ("firstName", "secondName", "middleName", "fatherName", "lastName")
                ]
                whole = " ".join(p for p in parts if p)
                names = [whole] if whole else []
            documents = _ftm_values(properties, "passportNumber") + _ftm_values(properties, "idNumber")
            if not names and not documents:
                raise ValueError("neither a name nor a document number")
            countries: list[str] = []
            for value in _ftm_values(properties, "nationality") + _ftm_values(properties, "citizenship"):
                code = country_code(value)
                if code is None:
                    passed["unknown country code"] += 1  # FtM has historic codes (suhh, csxx)
                else:
                    countries.append(code)
            genders = _ftm_values(properties, "gender")
            entry = WatchlistEntry(
                entry_id=entity_id,
                names=tuple(dict.fromkeys(names)),
                date_of_birth=_ftm_date(_ftm_values(properties, "birthDate")),
                nationalities=tuple(dict.fromkeys(countries)),
                documents=tuple(dict.fromkeys(documents)),
                gender=_gender(genders[0]) if genders else None,
                category=_ftm_category(_ftm_values(properties, "topics")),
            )
        except ValueError as error:
            raise WatchlistError(path, line, f"Person {entity_id!r}: {error}") from None
        entries.append(entry)
    if skipped is not None:
        skipped.update(passed)
    return watchlist or _default_watchlist(path, ListKind.PERSONS), entries


def _ftm_category(topics: list[str]) -> str | None:
    if "crime.terror" in topics:
        return "terrorism"
    return None


# --- OFAC legacy CSV -------------------------------------------------------------------------------

_OFAC_EMPTY = "-0-"
_DOB = re.compile(r"(?:^|;)\s*(alt\.\s+)?DOB\s+([^;]+)")
_NATIONALITY = re.compile(r"(?:^|;)\s*(?:alt\.\s+)?(?:nationality|citizen)\s+([^;]+)")
_DOCUMENT = re.compile(
    r"(?:^|;)\s*(?:alt\.\s+)?(?:Passport|National ID No\.|Identification Number|Cedula No\.|D\.N\.I\.)"
    r"\s+([^;(]+)"
)
_DOCUMENT_END = re.compile(r"\s+(?:issued|expires|Issue Date|Expire Date)\b.*$")
_GENDER = re.compile(r"(?:^|;)\s*Gender\s+(Male|Female)")
_AKA = re.compile(r"a\.k\.a\.\s+'([^']+)'")


def _ofac_dob(text: str) -> PartialDate | None:
    """The first date of an OFAC `DOB`: "10 Dec 1948", "Dec 1948", "1948", "circa 1948", "1960 to 1962"."""
    value = text.strip().rstrip(".").removeprefix("circa").strip()
    circa = text.strip().startswith("circa")
    value = re.split(r"\s+to\s+|-(?=\d{4})", value)[0].strip()
    match = re.fullmatch(r"(?:(\d{1,2})\s+)?(?:([A-Za-z]{3})[a-z]*\s+)?(\d{4})", value)
    if not match:
        return None
    day, month, year = match.groups()
    month_number = _MONTHS.get(month.upper()) if month else None
    try:
        if circa or month_number is None:
            return PartialDate(int(year))
        return PartialDate(int(year), month_number, int(day) if day else None)
    except ValueError:
        return None


def _ofac_rows(path: Path, width: int) -> Iterator[tuple[int, list[str]]]:
    text = _read_text(path, legacy=True)
    for line, row in _csv_rows(path, text):
        if len(row) == 1 and row[0].strip() in ("\x1a", ""):
            continue  # the DOS end-of-file byte on its own line
        if len(row) != width:
            raise WatchlistError(path, line, f"{len(row)} fields, expected {width} (OFAC legacy CSV)")
        values = ["" if v.strip() == _OFAC_EMPTY else v.strip() for v in row]
        if not values[0].isdigit():
            raise WatchlistError(path, line, f"ent_num is not a number: {values[0]!r}")
        yield line, values


def _ofac_companions(main: Path) -> tuple[Path | None, Path | None, Path | None]:
    """The alternate names, addresses and comments files beside an OFAC main file, where present."""
    stem = main.stem
    prefix = stem[: -len("prim")] if stem.endswith("prim") else stem[: -len("sdn")]

    def find(*names: str) -> Path | None:
        for name in names:
            candidate = main.with_name(name + main.suffix)
            if candidate.is_file():
                return candidate
        return None

    return (
        find(prefix + "alt"),
        find(prefix + "add"),
        find(stem + "_comments", prefix + "comments", prefix + "sdn_comments"),
    )


def _ofac_main_files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.glob("*.csv") if p.stem.endswith("sdn") or p.stem.endswith("prim"))
        if not found:
            raise WatchlistError(path, 0, "no OFAC main file (…sdn.csv or …prim.csv) in the folder")
        return found
    return [path]


def read_ofac(
    path: str | Path, watchlist: Watchlist | None = None, *, skipped: Counter[str] | None = None
) -> tuple[Watchlist, list[WatchlistEntry]]:
    """OFAC's legacy CSV: a folder (every `…sdn.csv` and `…prim.csv` in it) or one main file.

    Individuals only (other types are counted in `skipped`); entry ids are the `ent_num`, prefixed
    with "cons-" for the consolidated (non-SDN) list, whose numbers can repeat the SDN list's.
    """
    path = Path(path)
    if not path.exists():
        raise WatchlistError(path, 0, "no such file or folder")
    entries: list[WatchlistEntry] = []
    used: list[Path] = []
    passed: Counter[str] = Counter()
    for main in _ofac_main_files(path):
        alt, add, comments = _ofac_companions(main)
        used += [p for p in (main, alt, add, comments) if p is not None]
        prefix = "cons-" if main.stem.endswith("prim") else ""
        extra_remarks: dict[str, str] = {}
        if comments is not None:
            for _line, (ent, more) in _ofac_rows(comments, 2):
                extra_remarks[ent] = extra_remarks.get(ent, "") + more
        aliases: dict[str, list[str]] = {}
        if alt is not None:
            for _line, values in _ofac_rows(alt, 5):
                if values[3]:
                    aliases.setdefault(values[0], []).append(values[3])
        if add is not None:
            for _line, _values in _ofac_rows(add, 6):
                pass  # read for its errors only: addresses say where, not who (no nationality)
        seen: dict[str, int] = {}
        for line, values in _ofac_rows(main, 12):
            ent_num, name, sdn_type = values[0], values[1], values[2]
            if ent_num in seen:
                raise WatchlistError(main, line, f"ent_num {ent_num} repeats line {seen[ent_num]}")
            seen[ent_num] = line
            if sdn_type.lower() != "individual":
                passed[sdn_type.lower() or "entity"] += 1
                continue
            if not name:
                raise WatchlistError(main, line, f"individual {ent_num} has no name")
            entries.append(
                _ofac_entry(
                    prefix + ent_num,
                    name,
                    aliases.get(ent_num, []),
                    values[11] + extra_remarks.get(ent_num, ""),
                    passed,
                )
            )
    if skipped is not None:
        skipped.update(passed)
    if watchlist is None:
        watchlist = Watchlist(
            list_id=path.name.split(".")[0],
            name=path.name,
            version=_version(*used),
            source=str(path),
            legal_basis="",
            category="",
            owner="OFAC",
        )
    return watchlist, entries


def _ofac_entry(
    entry_id: str, name: str, alt_names: list[str], remarks: str, passed: Counter[str]
) -> WatchlistEntry:
    # The first primary date of birth, else the first alternative one.
    dobs = [(m.group(1) is not None, _ofac_dob(m.group(2))) for m in _DOB.finditer(remarks)]
    dob = min((d for d in dobs if d[1] is not None), key=lambda d: d[0], default=(False, None))[1]
    countries: list[str] = []
    for match in _NATIONALITY.finditer(remarks):
        code = country_code(match.group(1).removeprefix("possibly").strip())
        if code is None:
            passed["unknown country"] += 1
        else:
            countries.append(code)
    documents: list[str] = []
    for match in _DOCUMENT.finditer(remarks):
        number = _DOCUMENT_END.sub("", match.group(1)).strip().rstrip(".").strip()
        if any(ch.isdigit() for ch in number):
            documents.append(number)
    gender_match = _GENDER.search(remarks)
    names = [name, *alt_names, *(m.group(1).strip() for m in _AKA.finditer(remarks))]
    return WatchlistEntry(
        entry_id=entry_id,
        names=tuple(dict.fromkeys(n for n in names if n)),
        date_of_birth=dob,
        nationalities=tuple(dict.fromkeys(countries)),
        documents=tuple(dict.fromkeys(documents)),
        gender=(Gender.MALE if gender_match.group(1) == "Male" else Gender.FEMALE) if gender_match else None,
    )


# --- any of them -----------------------------------------------------------------------------------


def detect_format(path: str | Path) -> WatchlistFormat:
    """The format of a watchlist file (or OFAC folder), by extension and content."""
    path = Path(path)
    if path.is_dir():
        return "ofac"
    if not path.is_file():
        raise WatchlistError(path, 0, "no such file or folder")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise WatchlistError(path, 0, f"cannot read: {error.strerror or error}") from None
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    first = text.splitlines()[0].strip() if text else ""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or first.startswith("{"):
        return "ftm"
    columns = {c.strip().strip('"').lower() for c in first.split(",")}
    if "document_number" in columns:
        return "documents_csv"
    if {"id", "name"} <= columns:
        return "persons_csv"
    if re.match(r'^\d+,"', first) and "-0-" in first:
        return "ofac"
    raise WatchlistError(
        path,
        1,
        "unknown watchlist format: expected a person CSV (id,name,...), a document CSV "
        "(document_number,...), FollowTheMoney JSON lines or OFAC's legacy CSV",
    )


def read_watchlist(
    path: str | Path, watchlist: Watchlist | None = None, *, skipped: Counter[str] | None = None
) -> tuple[Watchlist, list[WatchlistEntry]]:
    """Read a watchlist file of any supported format (`detect_format`)."""
    kind = detect_format(path)
    if kind == "persons_csv":
        return read_person_csv(path, watchlist)
    if kind == "documents_csv":
        return read_document_csv(path, watchlist)
    if kind == "ftm":
        return read_ftm(path, watchlist, skipped=skipped)
    return read_ofac(path, watchlist, skipped=skipped)
