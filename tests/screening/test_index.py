"""The candidate index: the right entry comes back under every kind of error, and only active entries."""

from __future__ import annotations

import random
import re
from datetime import date
from functools import cache

import numpy as np
import pytest

from openpiu.model import PartialDate
from openpiu.model.screening import ScreenedPerson, WatchlistEntry
from openpiu.screening.index import WatchlistIndex, document_key, person_query_names
from openpiu.screening.names import name_keys
from openpiu.synth import people, planted
from openpiu.synth.watchlists import filler_entries

DAY = date(2026, 11, 30)


def simple_keys(text: str) -> set[str]:
    """A stand-in key function: the name's words, without titles."""
    return {w for w in re.findall(r"[A-Z]+", text.upper()) if len(w) > 1 and w not in {"MR", "MRS"}}


def entry(entry_id: str, *names: str, born: str | None = None, **more: object) -> WatchlistEntry:
    dob = PartialDate.from_iso(born) if born else None
    return WatchlistEntry(entry_id=entry_id, names=names, date_of_birth=dob, **more)  # type: ignore[arg-type]


def person(surname: str, given: str | None = None, born: str | None = None, *docs: str) -> ScreenedPerson:
    dob = PartialDate.from_iso(born) if born else None
    return ScreenedPerson(ref="T1", surname=surname, given_names=given, date_of_birth=dob, documents=docs)


# --- retrieval under each error class, with the real name keys -------------------------------------

TARGETS = [
    entry("T-RASHID", "AL-RASHID, Mohammed Ahmed", "Mohamed AL RASHEED", born="1975-03-07"),
    entry("T-KOWALSKA", "Katarzyna Maria KOWALSKA", born="1988-11-02"),
    entry("T-BOUTEFLIKA", "BENMOUSSA EL OUAZZANI, Abdelkader Mohamed Youssef", born="1969"),
    entry("T-NGUYEN", "NGUYEN, Van Thanh", born="1990-06-15"),
]

CASES = [  # (error class, target, surname, given names, date of birth)
    ("exact", "T-RASHID", "ALRASHID", "MOHAMMED AHMED", "1975-03-07"),
    ("alias", "T-RASHID", "AL RASHEED", "MOHAMED", "1975-03-07"),
    ("spelling", "T-RASHID", "ALRASHEED", "MUHAMMAD AHMAD", "1975-03-07"),
    ("order_swap", "T-RASHID", "MOHAMMED", "AHMED ALRASHID", "1975-03-07"),
    ("missing_middle", "T-KOWALSKA", "KOWALSKA", "KATARZYNA", "1988-11-02"),
    ("title", "T-KOWALSKA", "KOWALSKA", "KATARZYNA MARIA MRS", "1988-11-02"),
    ("title_glued", "T-KOWALSKA", "KOWALSKA", "KATARZYNA MARIAMRS", "1988-11-02"),
    ("truncation", "T-BOUTEFLIKA", "BENMOUSSA EL OUAZZANI", "ABDELKA", "1969-04-04"),
    ("no_spaces", "T-BOUTEFLIKA", "BENMOUSSAELOUAZZANI", "ABDELKADERMOHAMEDYOUSSEF", "1969-04-04"),
    ("typo", "T-KOWALSKA", "KOWALKSA", "KATARZYNA MARIA", "1988-11-02"),
    ("dob_day_month_swapped", "T-RASHID", "ALRASHID", "MOHAMMED AHMED", "1975-07-03"),
    ("dob_year_only", "T-BOUTEFLIKA", "BENMOUSSA EL OUAZZANI", "ABDELKADER MOHAMED YOUSSEF", "1969-04-04"),
    ("no_dob", "T-NGUYEN", "NGUYEN", "VAN THANH", None),
    ("combined", "T-NGUYEN", "THANH", "NGUYENVANMR", "1990-06-15"),
]


@cache
def real_index() -> tuple[WatchlistIndex, list[WatchlistEntry]]:
    rng = random.Random(7)
    filler = filler_entries(people.make_population(11, 400), 100, rng)
    entries = list(TARGETS)
    entries += [entry(f.entry_id, f.name, *f.aliases, born=f.date_of_birth) for f in filler if f.name.strip()]
    # near misses: the same common names, other people
    entries += [
        entry("N1", "AL-RASHID, Omar", born="1975-03-07"),
        entry("N2", "Mohammed AHMED", born="1980-01-01"),
        entry("N3", "NGUYEN, Van Minh", born="1990-06-15"),
        entry("N4", "Maria KOWALSKI", born="1960-01-01"),
    ]
    return WatchlistIndex.build(entries, name_keys), entries


@pytest.mark.parametrize(("kind", "target", "surname", "given", "born"), CASES, ids=[c[0] for c in CASES])
def test_the_listed_person_is_retrieved_under_each_error_class(
    kind: str, target: str, surname: str, given: str, born: str | None
) -> None:
    index, entries = real_index()
    if kind == "truncation":
        assert len(f"{surname}/{given}") == 29  # cut as an airline cuts the name element
    found = [entries[i].entry_id for i in index.candidates(person(surname, given, born), 10, on=DAY)]
    assert target in found, f"{kind}: {target} not among {found}"


def test_a_matching_year_of_birth_ranks_first() -> None:
    index, entries = real_index()
    found = [entries[i].entry_id for i in index.candidates(person("NGUYEN", "VAN", "1990-06-15"), 3)]
    assert found[:2] in (["N3", "T-NGUYEN"], ["T-NGUYEN", "N3"])
    found = [entries[i].entry_id for i in index.candidates(person("NGUYEN", "VAN MINH", "1990-01-01"), 3)]
    assert found[0] == "N3"


def test_the_query_name_is_in_airline_form() -> None:
    assert person_query_names(person("SMITH", "JOHNMR")) == ["SMITH/JOHNMR"]
    assert person_query_names(person("SMITH")) == ["SMITH"]


# --- mechanics, with a stand-in key function -------------------------------------------------------


def test_expired_and_future_entries_are_ignored() -> None:
    entries = [
        entry("OLD", "John SMITH", valid_until=date(2026, 11, 29)),
        entry("LAST-DAY", "John SMITH", valid_until=DAY),
        entry("LATER", "John SMITH", valid_from=date(2026, 12, 1)),
        entry("NOW", "John SMITH", valid_from=DAY),
    ]
    index = WatchlistIndex.build(entries, simple_keys)
    found = {entries[i].entry_id for i in index.candidates(person("SMITH", "JOHN"), 10, on=DAY)}
    assert found == {"LAST-DAY", "NOW"}
    assert len(index.candidates(person("SMITH", "JOHN"), 10)) == 4  # no day: every entry


def test_a_document_only_entry_is_found_by_its_number() -> None:
    entries = [
        entry("P1", "John SMITH", documents=("X1",)),
        WatchlistEntry(entry_id="L1", documents=("C01-X00 T47",)),
        WatchlistEntry(entry_id="L2", documents=("C01X00T48",)),
    ]
    index = WatchlistIndex.build(entries, simple_keys)
    found = index.candidates(person("DOE", "JANE", None, "c01x00t47"), 10, on=DAY)
    assert [entries[i].entry_id for i in found] == ["L1"]
    assert document_key("C01-X00 T47") == "C01X00T47"


def test_a_shared_document_outranks_a_shared_name() -> None:
    entries = [entry("NAME", "John SMITH"), entry("DOC", "Peter MILLER", documents=("AB123",))]
    index = WatchlistIndex.build(entries, simple_keys)
    found = index.candidates(person("SMITH", "JOHN", None, "AB123"), 2)
    assert [entries[i].entry_id for i in found] == ["DOC", "NAME"]


def test_rare_keys_weigh_more_and_very_common_ones_are_not_used() -> None:
    entries = [entry(f"C{i}", f"Mohammed NAME{i}") for i in range(400)]
    entries.append(entry("RARE", "Omar ZAWAHIRI"))
    index = WatchlistIndex.build(entries, simple_keys, max_share=0.1, min_cap=10)
    # MOHAMMED is held by 400 of 401 entries: weight 0, only ZAWAHIRI retrieves
    found = index.candidates(person("ZAWAHIRI", "MOHAMMED"), 5)
    assert [entries[i].entry_id for i in found] == ["RARE"]
    # a name with only a too-common key still gets (capped) candidates
    assert 0 < len(index.candidates(person("MOHAMMED"), 500)) <= index.max_postings
    # the weight order follows rarity
    weights = dict(zip(index.keys.tolist(), index.weights.tolist(), strict=True))
    assert min(weights.values()) == 0.0


def test_entries_sharing_too_little_of_the_best_weight_can_be_left_out() -> None:
    entries = [entry("BOTH", "John SMITH"), entry("ONE", "Peter SMITH"), entry("OTHER", "John DOE")]
    index = WatchlistIndex.build(entries, simple_keys)
    query = person("SMITH", "JOHN")
    assert len(index.candidates(query, 10)) == 3
    assert [entries[i].entry_id for i in index.candidates(query, 10, min_ratio=0.9)] == ["BOTH"]


def test_empty_queries_and_lists() -> None:
    empty = WatchlistIndex.build([], simple_keys)
    assert empty.candidates(person("SMITH", "JOHN"), 5) == []
    index = WatchlistIndex.build([entry("A", "John SMITH")], simple_keys)
    assert index.candidates(person("", None), 5) == []
    assert index.candidates(person("SMITH"), 0) == []


def test_a_build_in_worker_processes_gives_the_same_index() -> None:
    rng = random.Random(3)
    words = [
        "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVZ") for _ in range(rng.randint(3, 7))) for _ in range(3000)
    ]
    entries = [
        entry(f"E{i}", f"{rng.choice(words)} {rng.choice(words)}", born=f"{rng.randint(1940, 2000)}")
        for i in range(20_000)
    ]
    one = WatchlistIndex.build(entries, simple_keys)
    two = WatchlistIndex.build(entries, simple_keys, workers=2)
    for name in ("keys", "offsets", "postings", "weights"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    query = person(entries[123].names[0].split()[1], entries[123].names[0].split()[0], "1950")
    assert 123 in one.candidates(query, 50)
    assert one.nbytes > 0


def test_the_planted_spelling_slips_are_retrieved() -> None:
    """The synthetic world's own transliteration and typing slips, on its own filler names."""
    index, entries = real_index()
    rng = random.Random(1)
    misses = []
    for number, listed in enumerate(entries[len(TARGETS) : len(TARGETS) + 150], len(TARGETS)):
        name = listed.names[0]
        if "," in name:
            surname, given = (part.strip() for part in name.split(",", 1))
        else:
            *given_parts, surname = name.split()
            given = " ".join(given_parts)
        surname = people.airline_form(surname)
        if len(surname.replace(" ", "")) < 2:
            continue
        slipped = planted.spelling_slip(surname, rng)
        born = listed.date_of_birth.isoformat() if listed.date_of_birth else None
        if number not in index.candidates(person(slipped, people.airline_form(given), born), 10):
            misses.append((name, slipped))
    assert len(misses) <= 3, misses
