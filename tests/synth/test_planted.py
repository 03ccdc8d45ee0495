"""Planted cases and watchlist files of the synthetic world: each variation shows, files read back."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
from datetime import date

import pytest

from openpiu.model import Address, Gender
from openpiu.synth.planted import (
    SENSITIVE_ITEMS,
    NetworkGroup,
    address_line,
    booking_identity,
    choose_targets,
    eligible,
    fake_card_number,
    format_name,
    network_groups,
    sensitive_item,
    spelling_slip,
    watchlist_entry,
)
from openpiu.synth.types import Person, PersonDocument, Variation, WatchlistEntry
from openpiu.synth.watchlists import (
    DOCUMENT_WATCHLIST_HEADER,
    PERSON_WATCHLIST_HEADER,
    document_watchlist_csv,
    filler_entries,
    ftm_nationality,
    lost_documents,
    person_watchlist_csv,
    person_watchlist_ftm,
)


def _passport(number: str, state: str = "DEU", kind: str = "P") -> PersonDocument:
    return PersonDocument(kind, number, state, date(2020, 3, 1), date(2030, 2, 28))


def _person(
    pid: int,
    surname: str,
    given: str,
    born: date,
    *,
    nationality: str = "DEU",
    documents: tuple[PersonDocument, ...] | None = None,
    spellings: tuple[tuple[str, str], ...] = (),
    native: str | None = None,
    card: str | None = None,
) -> Person:
    return Person(
        person_id=f"P{pid:07d}",
        surname=surname,
        given_names=given,
        gender=Gender.MALE,
        date_of_birth=born,
        nationality=nationality,
        residence="DE",
        documents=documents if documents is not None else (_passport(f"C{pid:08d}"),),
        phone=f"+49151{pid:08d}",
        email=f"person{pid}@example.com",
        address=Address(street=f"{pid} HAUPTSTR", city="BERLIN", postcode="10115", country="DE"),
        card_number=card,
        native_name=native,
        spellings=spellings,
    )


SAZONOV = _person(
    1,
    "SAZONOV",
    "ARSENIY",
    date(1985, 4, 9),
    nationality="RUS",
    documents=(_passport("751234567", "RUS"),),
    spellings=(("SAZONOFF", "ARSENII"), ("SASONOW", "ARSENIJ")),
    native="Сазонов Арсений",
)
MUELLER = _person(2, "MUELLER", "HANS PETER KLAUS", date(1979, 11, 11))  # day == month: no DOB swap
HADDAD = _person(
    3,
    "AL HADDAD",
    "MOHAMMED ALI",
    date(1990, 7, 23),
    nationality="SYR",
    documents=(_passport("N01234567", "SYR"),),
)
NOPASS = _person(
    4, "ROSSI", "GIULIA", date(1992, 2, 5), nationality="ITA", documents=(_passport("CA12345AB", "ITA", "I"),)
)


def _population(n: int, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    surnames = (
        "SCHMIDT",
        "KOWALSKI",
        "YILMAZ",
        "PETROV",
        "GARCIA",
        "NGUYEN",
        "OKAFOR",
        "DUBOIS",
        "VAN DER BERG",
    )
    givens = (
        "ANNA",
        "JONAS MARIA",
        "AHMET",
        "IVAN SERGEYEVICH",
        "LUCIA",
        "MINH",
        "CHIDI EMEKA",
        "CLAIRE",
        "PIET",
    )
    people = []
    for i in range(n):
        born = date(rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28))
        card = fake_card_number(rng) if rng.random() < 0.5 else None
        people.append(
            _person(
                100 + i,
                f"{rng.choice(surnames)}{'' if i < 9 else chr(65 + i % 26)}",
                rng.choice(givens),
                born,
                card=card,
            )
        )
    return people


# --- booking identity and entry: every variation shows --------------------------------------------


def _pair(person: Person, variation: Variation, seed: int = 1) -> tuple[Person, WatchlistEntry]:
    rng = random.Random(seed)
    return booking_identity(person, variation, rng), watchlist_entry(
        person, variation, "W0000001", "terrorism", rng
    )


def test_exact_keeps_the_person_and_lists_the_documents() -> None:
    traveller, entry = _pair(SAZONOV, Variation.EXACT)
    assert traveller == SAZONOV
    assert entry.date_of_birth == "1985-04-09"
    assert entry.document_numbers == ("751234567",)
    assert entry.nationality == "RUS"
    assert "Сазонов Арсений" in entry.aliases


@pytest.mark.parametrize("seed", range(10))
def test_spelling_uses_a_known_romanisation_the_list_does_not_have(seed: int) -> None:
    traveller, entry = _pair(SAZONOV, Variation.SPELLING, seed)
    assert traveller.person_id == SAZONOV.person_id
    assert (traveller.surname, traveller.given_names) in SAZONOV.spellings
    listed = " ".join([entry.name, *entry.aliases]).upper()
    assert traveller.surname not in listed  # otherwise it would be an exact alias match
    assert entry.aliases == ("Сазонов Арсений",)


@pytest.mark.parametrize("seed", range(20))
def test_spelling_without_romanisations_is_one_slip(seed: int) -> None:
    traveller, _ = _pair(MUELLER, Variation.SPELLING, seed)
    changed = [
        (a, b)
        for a, b in zip(
            [MUELLER.surname, *MUELLER.given_names.split()],
            [traveller.surname, *traveller.given_names.split()],
            strict=True,
        )
        if a != b
    ]
    assert len(changed) == 1
    before, after = changed[0]
    assert after.replace(" ", "").isalpha()
    assert after.isupper()
    assert abs(len(before) - len(after)) <= 1


@pytest.mark.parametrize(
    ("word", "expected"),
    [("YOUSSEF", {"YUSSEF", "YOUSEF"}), ("JOSEPH", {"JOSEF", "DJOSEPH"}), ("DJAMILA", {"JAMILA"})],
)
def test_spelling_slip_knows_transliteration_alternatives(word: str, expected: set[str]) -> None:
    seen = {spelling_slip(word, random.Random(seed)) for seed in range(60)}
    assert expected <= seen
    assert word not in seen


def test_spelling_slip_always_differs() -> None:
    for word in ("LI", "WU", "O", "AI", "XU XU", "BA"):
        for seed in range(20):
            assert spelling_slip(word, random.Random(seed)) != word


def test_swapped_order_exchanges_surname_and_first_given_name() -> None:
    traveller, entry = _pair(HADDAD, Variation.SWAPPED_ORDER)
    assert traveller.surname == "MOHAMMED"
    assert traveller.given_names == "AL HADDAD ALI"
    assert "HADDAD" in entry.name.upper()
    assert entry.date_of_birth == "1990-07-23"


def test_missing_middle_keeps_only_the_first_given_name() -> None:
    traveller, entry = _pair(MUELLER, Variation.MISSING_MIDDLE)
    assert traveller.given_names == "HANS"
    assert traveller.surname == "MUELLER"
    assert "peter klaus" in entry.name.lower()
    assert not eligible(SAZONOV, Variation.MISSING_MIDDLE)
    with pytest.raises(ValueError, match="missing_middle"):
        booking_identity(SAZONOV, Variation.MISSING_MIDDLE, random.Random(1))


def test_dob_day_month_swapped_only_when_valid() -> None:
    traveller, entry = _pair(SAZONOV, Variation.DOB_DAY_MONTH_SWAPPED)
    assert traveller.date_of_birth == date(1985, 4, 9)
    assert entry.date_of_birth == "1985-09-04"
    assert entry.document_numbers == ()
    assert not eligible(MUELLER, Variation.DOB_DAY_MONTH_SWAPPED)  # 11 November
    assert not eligible(HADDAD, Variation.DOB_DAY_MONTH_SWAPPED)  # 23 July
    with pytest.raises(ValueError, match="dob_day_month_swapped"):
        watchlist_entry(HADDAD, Variation.DOB_DAY_MONTH_SWAPPED, "W1", "terrorism", random.Random(1))


def test_dob_year_only() -> None:
    traveller, entry = _pair(HADDAD, Variation.DOB_YEAR_ONLY)
    assert traveller == HADDAD
    assert entry.date_of_birth == "1990"


def test_new_passport_travels_on_a_number_the_list_does_not_know() -> None:
    traveller, entry = _pair(HADDAD, Variation.NEW_PASSPORT)
    old = HADDAD.documents[0]
    new = traveller.documents[0]
    assert entry.document_numbers == (old.number,)
    assert new.number != old.number
    assert old.number not in {doc.number for doc in traveller.documents}
    assert (new.document_type, new.issuing_state, len(new.number)) == ("P", "SYR", len(old.number))
    assert new.issued_on > old.issued_on
    assert new.expiry > new.issued_on
    capped = booking_identity(HADDAD, Variation.NEW_PASSPORT, random.Random(3), today=date(2021, 1, 1))
    assert old.issued_on < capped.documents[0].issued_on <= date(2021, 1, 1)
    assert not eligible(NOPASS, Variation.NEW_PASSPORT)


def test_entry_names_use_the_forms_sources_use() -> None:
    assert format_name("SAZONOV", "ARSENIY", "surname_comma_given") == "SAZONOV, Arseniy"
    assert format_name("SAZONOV", "ARSENIY", "given_surname") == "Arseniy SAZONOV"
    assert format_name("SAZONOV", "ARSENIY", "given_surname", upper=True) == "ARSENIY SAZONOV"
    assert format_name("VAN DER BERG", "JAN PIET", "natural") == "Jan Piet van der Berg"
    assert format_name("MADONNA", "", "surname_comma_given") == "MADONNA"
    names = {
        watchlist_entry(SAZONOV, Variation.EXACT, "W1", "terrorism", random.Random(s)).name for s in range(40)
    }
    assert {"SAZONOV, Arseniy", "Arseniy SAZONOV", "SAZONOV, ARSENIY"} <= names


def test_planted_cases_are_deterministic() -> None:
    people = _population(200)
    for variation in Variation:
        person = next(p for p in people if eligible(p, variation))
        assert _pair(person, variation, 5) == _pair(person, variation, 5)
    assert choose_targets(people, 12, random.Random(9)) == choose_targets(people, 12, random.Random(9))
    assert network_groups(people, 6, random.Random(9)) == network_groups(people, 6, random.Random(9))


# --- choosing targets ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_choose_targets_covers_every_variation_with_eligible_people(seed: int) -> None:
    people = _population(300, seed)
    targets = choose_targets(people, 12, random.Random(seed), adult_on=date(2026, 11, 30))
    assert len(targets) == 12
    assert {variation for _, variation in targets} == set(Variation)
    assert len({person.person_id for person, _ in targets}) == 12
    for person, variation in targets:
        assert eligible(person, variation)
        assert person.date_of_birth <= date(2008, 11, 30)


def test_choose_targets_with_few_slots_or_people() -> None:
    people = _population(50)
    few = choose_targets(people, 3, random.Random(1))
    assert len({variation for _, variation in few}) == 3
    assert choose_targets(people, 0, random.Random(1)) == []
    assert len(choose_targets(people[:4], 10, random.Random(1))) == 4
    # Nobody has a passport or several given names: those variations are replaced, not forced.
    plain = [dataclasses.replace(NOPASS, person_id=f"P9{i:06d}") for i in range(8)]
    for person, variation in choose_targets(plain, 8, random.Random(2)):
        assert eligible(person, variation)


# --- networks --------------------------------------------------------------------------------------


def test_network_groups_are_distinct_unrelated_people_of_every_kind() -> None:
    people = _population(300)
    by_id = {person.person_id: person for person in people}
    groups = network_groups(people, 8, random.Random(4))
    assert len(groups) == 8
    assert {group.kind for group in groups} == {"phone", "email", "address", "card"}
    assert len({group.network_id for group in groups}) == 8
    everyone = [pid for group in groups for pid in group.person_ids]
    assert len(everyone) == len(set(everyone))
    for group in groups:
        assert isinstance(group, NetworkGroup)
        assert 3 <= len(group.person_ids) <= 6
        members = [by_id[pid] for pid in group.person_ids]
        assert len({member.surname for member in members}) == len(members)
        first = members[0]
        own = {
            "phone": first.phone,
            "email": first.email,
            "address": address_line(first.address),
            "card": first.card_number,
        }[group.kind]
        if own is not None:
            assert group.value == own
        if group.kind == "card":
            digits = [int(d) for d in group.value]
            checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
            assert checksum % 10 == 0


def test_network_groups_stop_when_people_run_out() -> None:
    assert len(network_groups(_population(10), 5, random.Random(1))) <= 3


def test_fake_card_numbers_are_luhn_valid_test_numbers() -> None:
    for seed in range(50):
        number = fake_card_number(random.Random(seed))
        assert len(number) == 16
        assert number.startswith("400000")
        digits = [int(d) for d in number]
        assert (sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])) % 10 == 0


# --- sensitive items -------------------------------------------------------------------------------


def test_sensitive_items_are_religious_meals_and_medical_codes() -> None:
    codes = {item.code for item in SENSITIVE_ITEMS}
    assert {"MOML", "KSML", "HNML", "WCHR", "MEDA", "BLND", "DEAF"} <= codes
    assert "VGML" not in codes
    drawn = {sensitive_item(random.Random(seed)) for seed in range(300)}
    assert {reason for _, _, reason in drawn} == {"religion or belief", "health", "racial or ethnic origin"}
    for code, text, _ in drawn:
        assert len(code) == 4
        assert code.isupper()
        assert text
    assert sensitive_item(random.Random(3)) == sensitive_item(random.Random(3))


# --- watchlist files -------------------------------------------------------------------------------


def _entries() -> list[WatchlistEntry]:
    rng = random.Random(11)
    planted = [
        watchlist_entry(person, variation, f"W{i:07d}", "terrorism" if i % 2 else "annex2-04", rng)
        for i, (person, variation) in enumerate(
            [
                (SAZONOV, Variation.EXACT),
                (HADDAD, Variation.NEW_PASSPORT),
                (MUELLER, Variation.DOB_YEAR_ONLY),
            ],
            1,
        )
    ]
    tricky = WatchlistEntry(
        "W0000099", 'O\'BRIEN, Seán "Red"', ("Шон О'Брайен", "SEAN, OBRIEN"), "1970-05", None
    )
    return [*planted, tricky, *filler_entries(_population(60), 100, rng)]


def test_person_csv_reads_back_into_the_same_values() -> None:
    entries = _entries()
    rows = list(csv.reader(io.StringIO(person_watchlist_csv(entries).decode("utf-8"))))
    assert tuple(rows[0]) == PERSON_WATCHLIST_HEADER
    assert len(rows) == len(entries) + 1
    for entry, row in zip(entries, rows[1:], strict=True):
        ident, name, aliases, born, nationality, documents, category = row
        assert ident == entry.entry_id
        assert name == entry.name
        assert tuple(a for a in aliases.split(";") if a) == entry.aliases
        assert (born or None) == entry.date_of_birth
        assert (nationality or None) == entry.nationality
        assert tuple(d for d in documents.split(";") if d) == entry.document_numbers
        assert category == entry.category


def test_ftm_lines_are_person_entities() -> None:
    entries = _entries()
    lines = person_watchlist_ftm(entries).decode("utf-8").splitlines()
    assert len(lines) == len(entries)
    for entry, line in zip(entries, lines, strict=True):
        entity = json.loads(line)
        assert line == json.dumps(entity, ensure_ascii=False, sort_keys=True)
        assert entity["id"] == entry.entry_id
        assert entity["schema"] == "Person"
        props = entity["properties"]
        assert props["name"] == [entry.name]
        assert props.get("alias", []) == list(entry.aliases)
        assert props.get("birthDate", []) == ([entry.date_of_birth] if entry.date_of_birth else [])
        assert props.get("passportNumber", []) == list(entry.document_numbers)
        assert props["topics"] == (["crime.terror"] if entry.category == "terrorism" else ["crime"])
        for values in props.values():
            assert values
            assert all(isinstance(value, str) for value in values)
    first = json.loads(lines[0])["properties"]
    assert first["nationality"] == ["ru"]
    assert ftm_nationality("DEU") == "de"
    assert ftm_nationality("D") == "de"
    assert ftm_nationality("XXX") is None


def test_filler_entries_are_varied_and_numbered() -> None:
    people = _population(400)
    entries = filler_entries(people, 2001, random.Random(5))
    assert [e.entry_id for e in entries[:2]] == ["W0002001", "W0002002"]
    assert len({e.entry_id for e in entries}) == len(people)
    precisions = {len(e.date_of_birth) if e.date_of_birth else 0 for e in entries}
    assert precisions == {0, 4, 7, 10}
    assert any(e.document_numbers for e in entries)
    assert any(not e.document_numbers for e in entries)
    assert any(e.category == "terrorism" for e in entries)
    assert any(e.category.startswith("annex2-") for e in entries)
    assert entries == filler_entries(people, 2001, random.Random(5))


def test_lost_documents_include_the_planted_ones_and_read_back() -> None:
    planted = [HADDAD.documents[0], SAZONOV.documents[0]]
    docs = lost_documents(200, random.Random(8), planted=planted, before=date(2026, 11, 30))
    assert len(docs) == 202
    assert len({(d.issuing_state, d.document_number) for d in docs}) == 202
    assert len({d.entry_id for d in docs}) == 202
    by_number = {d.document_number: d for d in docs}
    for doc in planted:
        listed = by_number[doc.number]
        assert (listed.document_type, listed.issuing_state) == (doc.document_type, doc.issuing_state)
        assert doc.issued_on < listed.reported_on < date(2026, 11, 30)
    assert {d.document_type for d in docs} == {"P", "I"}
    assert all(date(2021, 11, 29) <= d.reported_on < date(2026, 11, 30) for d in docs)
    assert docs == lost_documents(200, random.Random(8), planted=planted, before=date(2026, 11, 30))

    rows = list(csv.reader(io.StringIO(document_watchlist_csv(docs).decode("utf-8"))))
    assert tuple(rows[0]) == DOCUMENT_WATCHLIST_HEADER
    back = [(r[0], r[1], r[2], r[3], date.fromisoformat(r[4])) for r in rows[1:]]
    assert back == [
        (d.entry_id, d.document_number, d.document_type, d.issuing_state, d.reported_on) for d in docs
    ]
