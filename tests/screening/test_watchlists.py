"""Watchlist files: each reader, its line-numbered errors, and that a bad file imports nothing."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from conftest import require_shared
from openpiu.model import Gender, PartialDate
from openpiu.model.screening import ListKind, Watchlist
from openpiu.screening.watchlists import (
    WatchlistError,
    country_code,
    detect_format,
    read_document_csv,
    read_ftm,
    read_ofac,
    read_person_csv,
    read_watchlist,
)
from openpiu.services.screening import load_watchlists
from openpiu.synth import people, planted
from openpiu.synth import watchlists as synth_watchlists
from openpiu.synth.types import Variation

PERSONS = """id,name,aliases,date_of_birth,nationality,document_numbers,category
W1,"AL-RASHID, Mohammed","Mohamed AL RASHID;Muhammad Al-Rashid",1975-08-21,SYR;IQ,N0123456;X99,terrorism
W2,Anna Maria SCHMIDT,,1980-05,Germany,,annex2-04
W3,Jan van der Berg,,1961,,,
"""


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


# --- the person CSV --------------------------------------------------------------------------------


def test_person_csv_reads_every_column(tmp_path: Path) -> None:
    watchlist, entries = read_person_csv(write(tmp_path / "sought.csv", PERSONS))
    assert [e.entry_id for e in entries] == ["W1", "W2", "W3"]
    first = entries[0]
    assert first.names == ("AL-RASHID, Mohammed", "Mohamed AL RASHID", "Muhammad Al-Rashid")
    assert first.date_of_birth == PartialDate(1975, 8, 21)
    assert first.nationalities == ("SY", "IQ")
    assert first.documents == ("N0123456", "X99")
    assert first.category == "terrorism"
    assert entries[1].date_of_birth == PartialDate(1980, 5)
    assert entries[1].nationalities == ("DE",)
    assert entries[2].date_of_birth == PartialDate(1961)
    assert entries[2].category is None
    assert watchlist.list_id == "sought"
    assert watchlist.kind is ListKind.PERSONS
    assert len(watchlist.version) == 12


def test_the_callers_watchlist_is_returned_as_given(tmp_path: Path) -> None:
    given = Watchlist("eu-terror", "EU terror list", "2026-11", "Council", "Art 6(3)(a)", "terrorism", "PIU")
    watchlist, entries = read_watchlist(write(tmp_path / "x.csv", PERSONS), given)
    assert watchlist is given
    assert len(entries) == 3


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (PERSONS + 'W4,"SMITH, John",,1980-13-01,,,\n', 5, "month out of range"),
        (PERSONS + 'W4,"SMITH, John",,21.08.1975,,,\n', 5, "not a date"),
        (PERSONS + 'W4,"SMITH, John",,,Atlantis,,\n', 5, "not a country"),
        (PERSONS + 'W1,"SMITH, John",,,,,\n', 5, "repeats line 2"),
        (PERSONS + "W4,,,,,,\n", 5, "has no name"),
        (PERSONS + 'W4,"SMITH, John"\n', 5, "2 fields, the header has 7"),
        ("id,nom,aliases\nW1,x,y\n", 1, "bad header"),
        ("", 1, "empty file"),
        (
            PERSONS.replace("W3,Jan van der Berg,", 'W3,"Jan\nvan der Berg",') + 'W4,"SMITH, John"\n',
            6,
            "2 fields",
        ),
    ],
)
def test_person_csv_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(WatchlistError) as caught:
        read_person_csv(path)
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_byte_that_is_not_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.csv", (PERSONS + "W4,MÜLLER,,,,,\n").encode("latin-1"))
    with pytest.raises(WatchlistError, match=r"latin1.csv:5: not UTF-8"):
        read_watchlist(path)


def test_a_bad_file_imports_nothing(tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", PERSONS)
    bad = write(tmp_path / "bad.csv", PERSONS + 'W4,"SMITH, John",,1980-02-30,,,\n')
    loaded: list[object] = []
    with pytest.raises(WatchlistError, match=r"bad\.csv:5"):
        loaded = load_watchlists([good, bad])  # type: ignore[assignment]
    assert loaded == []


def test_countries_by_code_or_name() -> None:
    assert [country_code(v) for v in ("de", "DEU", "D", "Germany", "Korea, North", "Burma", "Kosovo")] == [
        "DE",
        "DE",
        "DE",
        "DE",
        "KP",
        "MM",
        "XK",
    ]
    assert country_code("Atlantis") is None


# --- FollowTheMoney --------------------------------------------------------------------------------


def _ftm(entity: dict[str, object]) -> str:
    return json.dumps(entity) + "\n"


def test_ftm_reads_persons_and_counts_other_schemas(tmp_path: Path) -> None:
    text = (
        _ftm(
            {
                "id": "NK-1",
                "schema": "Person",
                "properties": {
                    "name": ["Ivan PETROV"],
                    "alias": ["Иван Петров"],
                    "birthDate": ["1970-01-02"],
                    "nationality": ["ru"],
                    "passportNumber": ["7512345678"],
                    "idNumber": ["ID-1"],
                    "gender": ["male"],
                    "topics": ["crime.terror"],
                },
            }
        )
        + _ftm({"id": "CO-1", "schema": "Company", "properties": {"name": ["ACME"]}})
        + "\n"
        + _ftm(
            {"id": "NK-2", "schema": "Person", "properties": {"firstName": ["Olga"], "lastName": ["Ivanova"]}}
        )
        + _ftm({"id": "VS-1", "schema": "Vessel", "properties": {"name": ["Sea"]}})
    )
    skipped: Counter[str] = Counter()
    watchlist, entries = read_ftm(write(tmp_path / "list.ftm.jsonl", text), skipped=skipped)
    assert skipped == Counter({"Company": 1, "Vessel": 1})
    assert watchlist.list_id == "list"
    ivan, olga = entries
    assert ivan.names == ("Ivan PETROV", "Иван Петров")
    assert ivan.date_of_birth == PartialDate(1970, 1, 2)
    assert ivan.nationalities == ("RU",)
    assert ivan.documents == ("7512345678", "ID-1")
    assert ivan.gender is Gender.MALE
    assert ivan.category == "terrorism"
    assert olga.names == ("Olga Ivanova",)


@pytest.mark.parametrize(
    ("line_text", "message"),
    [
        ('{"id": "X", "schema": "Person", "properties": {"name": ["A B"]}', "not JSON"),
        ('{"schema": "Person", "properties": {"name": ["A B"]}}', "without an id"),
        ('{"id": "NK-1", "schema": "Person", "properties": {"name": ["A B"]}}', "repeats line 1"),
        (
            '{"id": "X", "schema": "Person", "properties": {"name": ["A B"], "birthDate": ["soon"]}}',
            "not a date",
        ),
        ('{"id": "X", "schema": "Person", "properties": {}}', "neither a name nor a document"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_ftm_errors_name_the_line(tmp_path: Path, line_text: str, message: str) -> None:
    good = _ftm({"id": "NK-1", "schema": "Person", "properties": {"name": ["Ivan PETROV"]}})
    path = write(tmp_path / "bad.jsonl", good + "\n" + line_text + "\n")
    with pytest.raises(WatchlistError) as caught:
        read_ftm(path)
    assert caught.value.line == 3
    assert message in caught.value.message


# --- OFAC ------------------------------------------------------------------------------------------

_SDN = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '2676,"AL ZAWAHIRI, Dr. Ayman","individual","SDGT","Leader",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 19 Jun 1951; alt. DOB 1950; POB Giza, Egypt; citizen Egypt; Passport 1084010 (Egypt); '
    "alt. Passport 19820215; Gender Male; a.k.a. 'ABU MOHAMMED'.\"\r\n"
    '9000,"DOE, Jane","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB circa 1960; nationality '
    'Korea, North; National ID No. 12-345 (Korea, North) issued 2001"\r\n'
    '9001,"ROE, Richard","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    "\x1a\r\n"
)
_ALT = '2676,4760,"aka","AL-ZAWAHIRI, Ayman",-0- \r\n36,12,"aka","AERO-CARIBBEAN",-0- \r\n\x1a\r\n'
_COMMENTS = '9001,"DOB Mar 1970; Passport C765432 (Chile)."\r\n'


def _ofac_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ofac"
    folder.mkdir()
    write(folder / "sdn.csv", _SDN)
    write(folder / "alt.csv", _ALT)
    write(folder / "add.csv", '2676,1834,-0- ,-0- ,"Egypt",-0- \r\n\x1a\r\n')
    write(folder / "sdn_comments.csv", _COMMENTS)
    return folder


def test_ofac_individuals_with_aliases_and_remarks(tmp_path: Path) -> None:
    folder = _ofac_folder(tmp_path)
    skipped: Counter[str] = Counter()
    assert detect_format(folder) == "ofac"
    assert detect_format(folder / "sdn.csv") == "ofac"
    watchlist, entries = read_watchlist(folder, skipped=skipped)
    assert skipped == Counter({"entity": 1})
    assert watchlist.owner == "OFAC"
    zawahiri, doe, roe = entries
    assert zawahiri.entry_id == "2676"
    assert zawahiri.names == ("AL ZAWAHIRI, Dr. Ayman", "AL-ZAWAHIRI, Ayman", "ABU MOHAMMED")
    assert zawahiri.date_of_birth == PartialDate(1951, 6, 19)
    assert zawahiri.nationalities == ("EG",)
    assert zawahiri.documents == ("1084010", "19820215")
    assert zawahiri.gender is Gender.MALE
    assert doe.date_of_birth == PartialDate(1960)
    assert doe.nationalities == ("KP",)
    assert doe.documents == ("12-345",)
    assert roe.date_of_birth == PartialDate(1970, 3)  # from the comments file
    assert roe.documents == ("C765432",)
    # one main file finds its companions too
    _, again = read_ofac(folder / "sdn.csv")
    assert again == entries


def test_ofac_errors_name_the_file_and_line(tmp_path: Path) -> None:
    folder = _ofac_folder(tmp_path)
    write(folder / "alt.csv", _ALT.replace("36,12,", "36,"))
    with pytest.raises(WatchlistError) as caught:
        read_ofac(folder)
    assert caught.value.path.endswith("alt.csv")
    assert caught.value.line == 2
    assert "expected 5" in caught.value.message


@pytest.mark.shared
def test_the_shared_ofac_snapshot_imports() -> None:
    folder = require_shared() / "namedata" / "ofac_sdn"
    skipped: Counter[str] = Counter()
    _watchlist, entries = read_watchlist(folder, skipped=skipped)
    assert len(entries) == 4_620 + 79  # individuals of the SDN and the consolidated list
    assert skipped["vessel"] == 406 + 0
    by_id = {e.entry_id: e for e in entries}
    zawahiri = by_id["2676"]
    assert "AL-ZAWAHIRI, Ayman" in zawahiri.names
    assert zawahiri.date_of_birth == PartialDate(1951, 6, 19)
    assert "1084010" in zawahiri.documents
    assert sum(1 for e in entries if e.date_of_birth) > 4_400
    assert all(e.names for e in entries)


# --- documents -------------------------------------------------------------------------------------


def test_document_list_in_both_layouts(tmp_path: Path) -> None:
    issue = write(
        tmp_path / "sltd.csv",
        "document_number,issuing_country,document_type,reported_on\nC01X00T47,DEU,P,2025-02-01\n",
    )
    synth = write(
        tmp_path / "documents.csv",
        "id,document_number,document_type,issuing_state,reported_on\nL0000001,AWT4RM988,I,NLD,2024-08-31\n",
    )
    assert detect_format(issue) == detect_format(synth) == "documents_csv"
    watchlist, (entry,) = read_watchlist(issue)
    assert watchlist.kind is ListKind.DOCUMENTS
    assert entry.entry_id == "DEU-C01X00T47"
    assert entry.names == ()
    assert entry.documents == ("C01X00T47",)
    assert entry.valid_from == date(2025, 2, 1)
    _, (other,) = read_document_csv(synth)
    assert other.entry_id == "L0000001"
    bad = write(tmp_path / "bad.csv", "document_number,reported_on\nX1,2025-01-01\nX2,yesterday\n")
    with pytest.raises(WatchlistError, match=r"bad.csv:3: .*not a day"):
        read_watchlist(bad)


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="unknown watchlist format"):
        read_watchlist(write(tmp_path / "x.csv", "a,b,c\n1,2,3\n"))
    with pytest.raises(WatchlistError, match="no such file"):
        read_watchlist(tmp_path / "missing.csv")


# --- the synthetic world's files -------------------------------------------------------------------


def test_the_synthetic_worlds_watchlist_files_import(tmp_path: Path) -> None:
    """The writers `openpiu generate` uses for DIR/watchlists, on planted and filler entries."""
    rng = random.Random(5)
    population = people.make_population(3, 60)
    planted_entries = [
        planted.watchlist_entry(p, Variation.EXACT, planted.entry_id(i), "terrorism", rng)
        for i, p in enumerate(population[:10], 1)
    ]
    entries = planted_entries + synth_watchlists.filler_entries(population[10:], 11, rng)
    write(tmp_path / "persons.csv", synth_watchlists.person_watchlist_csv(entries))
    write(tmp_path / "persons.ftm.jsonl", synth_watchlists.person_watchlist_ftm(entries))
    docs = synth_watchlists.lost_documents(30, rng, planted=[population[0].documents[0]])
    write(tmp_path / "documents.csv", synth_watchlists.document_watchlist_csv(docs))

    _, from_csv = read_watchlist(tmp_path / "persons.csv")
    _, from_ftm = read_watchlist(tmp_path / "persons.ftm.jsonl")
    _, lost = read_watchlist(tmp_path / "documents.csv")
    assert [e.entry_id for e in from_csv] == [e.entry_id for e in entries]
    assert [e.entry_id for e in from_ftm] == [e.entry_id for e in entries]
    for ours, theirs, ftm in zip(from_csv, entries, from_ftm, strict=True):
        assert ours.names == (theirs.name, *theirs.aliases)
        assert ours.names == ftm.names
        assert ours.documents == theirs.document_numbers == ftm.documents
        assert (ours.date_of_birth.isoformat() if ours.date_of_birth else None) == theirs.date_of_birth
        assert ours.date_of_birth == ftm.date_of_birth
        if theirs.nationality:
            assert ours.nationalities == (country_code(theirs.nationality),)
    assert len(lost) == 31
    assert population[0].documents[0].number in {e.documents[0] for e in lost}
