"""Name comparison and the entry score: each name rule and each evidence rule, table-driven; properties
over generated names and entries; and the labelled-pair evaluation (F1 on nomenklatura's name_bench)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO_ROOT, require_shared
from openpiu.model import Gender, PartialDate
from openpiu.model.screening import ScreenedPerson, WatchlistEntry
from openpiu.screening.scoring import (
    EVIDENCE_COLUMNS,
    EVIDENCE_WEIGHTS,
    Dob,
    Doc,
    compare_names,
    country,
    date_of_birth_evidence,
    document_evidence,
    score_entry,
)

ALERT = 0.75  # a watchlist's default alert threshold (Watchlist.alert_threshold)
NAME_THRESHOLD = 0.5  # where compare_names says "the same name" (bench/screening_pairs.py)

# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "candidate", "at_least"),
    [
        ("SMITH/JOHN MR", "John Smith", 0.95),  # title, order
        ("SMITH/JOHNMR", "John Smith", 0.95),  # glued title
        ("JOHN/SMITH", "John Smith", 0.95),  # surname and given name swapped
        ("ALRASHID/MUHAMMAD", "Mohammed Al-Rashid", 0.85),  # variant (rigour symbol), particle glued
        ("RASHID/MOHAMMED", "Mohammed al-Rashid", 0.85),  # particle dropped
        ("IVANOV/IWAN", "Ivan Ivanov", 0.85),  # variant
        ("PUTIN/VLADIMIR", "Владимир Путин", 0.95),  # another script
        ("ABDULRAHMAN/ALI", "Ali Abdul Rahman", 0.95),  # missing space
        ("USMANOVALISHER", "Alisher Usmanov", 0.9),  # no space at all
        ("SMITH/JOHNPAUL", "John Paul Smith", 0.95),  # given names glued
        ("SMITH/JOHNPAUL", "John Smith", 0.85),  # given names glued, one not listed
        ("SMITH/JOHN", "John William Smith", 0.85),  # missing middle name
        ("SMITH/J", "John Smith", 0.7),  # initial
        ("SMIHT/JOHN", "John Smith", 0.6),  # transposition typo
        ("SCHULZE/OLAF", "Olaf Scholz", 0.6),  # same sound
        ("ONEILL/SEAN", "Sean O'Neill", 0.95),  # apostrophe
        ("ALRASHIDABDULRAHMAN/MOHAMMEDIBR", "Mohammed Ibrahim Al-Rashid Abdulrahman", 0.85),  # cut at 30
        ("OKAFOR/CHIBUZOR EMMANUEL OBINNA", "Chibuzor Emmanuel Obinna Okafor", 0.95),  # cut, at the limit
        ("SHOIGU/SERGEY SERGEY", "Sergey Shoigu", 0.9),  # a part written twice
    ],
)
def test_the_same_person_s_names_score_high(query: str, candidate: str, at_least: float) -> None:
    score, features = compare_names(query, candidate)
    assert score >= at_least, features


@pytest.mark.parametrize(
    ("query", "candidate"),
    [
        ("TUSK/DANIEL", "Donald Tusk"),  # another given name
        ("CASTILLO/RAUL", "Raul Castro"),  # another family name, partly alike
        ("SMITH/JOHN", "Maria Garcia"),
        ("ALDURI/SADDAM HUSSEIN", "Saddam Hussein al-Tikriti"),  # another nisbah
        ("SMITH/JOHNPAUL", "John Peter Smith"),  # the glued second given name contradicts
        ("FRIEDRICH/HANS O", "Hans Joachim Friedrich"),  # another initial
        ("MAKKI/ZAKIURREHMAN", "Zaki-ur-Rehman Lakhvi"),  # same given names, another family name
    ],
)
def test_different_persons_names_score_low(query: str, candidate: str) -> None:
    score, features = compare_names(query, candidate)
    assert score < NAME_THRESHOLD, features


def test_family_names_weigh_more_than_given_names() -> None:
    given_missing, _ = compare_names("SMITH/JOHN", "John William Smith")
    assert compare_names("SMITH/JOHN WILLIAM", "John William Smith")[0] > given_missing
    family_vs_given = compare_names("SMITH/JOHN PETER", "John Paul Smith")[0]
    given_vs_family = compare_names("JONES/JOHN PAUL", "John Paul Smith")[0]
    assert family_vs_given > given_vs_family


def test_the_name_features_explain_each_part() -> None:
    score, features = compare_names("ALRASHID/MUHAMMAD SAMI", "Mohammed Al-Rashid")
    by_how = {f.feature: f for f in features}
    assert by_how["name_part:joined"].query == "alrashid"
    assert by_how["name_part:joined"].candidate == "al rashid"
    assert by_how["name_part:variant"].query == "muhammad"
    assert by_how["name_part:variant"].candidate == "mohammed"
    assert by_how["name_part:unmatched"].query == "sami"
    assert by_how["name_part:unmatched"].candidate is None
    assert 0 < score < 1


# --- evidence --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "candidate", "relation"),
    [
        ("1980-05-04", "1980-05-04", Dob.EXACT),
        ("1980-05-04", "1980-04-05", Dob.SWAPPED),
        ("1980-05-04", "1980-05", Dob.MONTH),
        ("1980-05-04", "1980", Dob.YEAR),
        ("1980", "1980-05-04", Dob.YEAR),
        ("1980-05-04", "1981-05-04", Dob.YEAR_OFF),
        ("1980-05-04", "1979", Dob.YEAR_OFF),
        ("1980-05-04", "1980-05-20", Dob.SAME_YEAR),
        ("1980-05-04", "1980-11-04", Dob.SAME_YEAR),
        ("1980-05-04", "1981-06-04", Dob.CONTRADICTING),
        ("1980-05-04", "1990-05-04", Dob.CONTRADICTING),
        ("1980", "1975", Dob.CONTRADICTING),
        ("1980-05-04", None, None),
        (None, "1980", None),
    ],
)
def test_date_of_birth_relations(query: str | None, candidate: str | None, relation: Dob | None) -> None:
    q = PartialDate.from_iso(query) if query else None
    c = PartialDate.from_iso(candidate) if candidate else None
    assert date_of_birth_evidence(q, c) is relation


@pytest.mark.parametrize(
    ("query", "candidate", "relation"),
    [
        (("P1234567",), ("P1234567",), Doc.EXACT),
        (("p 123-4567",), ("P1234567",), Doc.EXACT),  # separators and case
        (("AB123O56",), ("AB123056",), Doc.OCR),  # O / 0
        (("AB1234I6",), ("AB123416",), Doc.OCR),  # I / 1
        (("AS123456",), ("A5123456",), Doc.OCR),  # S / 5
        (("AB123456",), ("A8123456",), Doc.OCR),  # B / 8
        (("AB123456",), ("AB123457",), Doc.NEAR),  # one digit off
        (("AB123456",), ("AB124356",), Doc.NEAR),  # two digits swapped
        (("AB123456",), ("ZZ987654",), Doc.DIFFERENT),
        (("X1", "AB123456"), ("OLD99999", "AB123456"), Doc.EXACT),  # any pair
        (("1234",), ("1234",), None),  # too short to tell
        ((), ("AB123456",), None),
    ],
)
def test_document_relations(query: tuple[str, ...], candidate: tuple[str, ...], relation: Doc | None) -> None:
    assert document_evidence(query, candidate)[0] is relation


@pytest.mark.parametrize(
    ("code", "alpha2"), [("DE", "DE"), ("DEU", "DE"), ("D", "DE"), ("GBD", "GB"), ("fra", "FR"), ("", None)]
)
def test_nationality_codes(code: str, alpha2: str | None) -> None:
    assert country(code) == alpha2


ENTRY = WatchlistEntry(
    entry_id="W0000001",
    names=("Mohammed Al-Rashid", "Abu Omar"),
    date_of_birth=PartialDate(1980, 5, 4),
    nationalities=("SY",),
    documents=("N1234567",),
    gender=Gender.MALE,
)


def person(  # noqa: PLR0917
    surname: str = "ALRASHID",
    given: str | None = "MOHAMMED MR",
    born: PartialDate | None = None,
    nationality: str | None = None,
    documents: tuple[str, ...] = (),
    gender: Gender | None = None,
) -> ScreenedPerson:
    return ScreenedPerson("T1", surname, given, born, nationality, documents, gender)


def entry(**changes: object) -> WatchlistEntry:
    values: dict[str, object] = {
        "entry_id": "W1",
        "names": ("Mohammed Al-Rashid",),
        "date_of_birth": None,
        "nationalities": (),
        "documents": (),
        "gender": None,
    }
    values.update(changes)
    return WatchlistEntry(**values)  # type: ignore[arg-type]


def test_a_strong_document_match_alone_alerts() -> None:
    stolen = entry(names=(), documents=("N1234567",))
    assert score_entry(person("DOE", "JANE", documents=("N1234567",)), stolen)[0] >= ALERT
    # even when the carrier's name is another one: a listed document alerts whoever carries it
    assert score_entry(person("DOE", "JANE", documents=("N1234567",)), ENTRY)[0] >= ALERT
    # an OCR confusion still alerts; one digit off (sequential issuance) does not
    assert score_entry(person("DOE", "JANE", documents=("N12345G7",)), stolen)[0] >= ALERT
    assert score_entry(person("DOE", "JANE", documents=("N1234568",)), stolen)[0] < ALERT


def test_a_common_name_with_a_contradicting_date_of_birth_does_not_alert() -> None:
    smith = entry(names=("John Smith",), date_of_birth=PartialDate(1980, 5, 4))
    assert score_entry(person("SMITH", "JOHN MR"), entry(names=("John Smith",)))[0] >= ALERT  # name alone
    assert score_entry(person("SMITH", "JOHN MR", PartialDate(1962, 11, 23)), smith)[0] < ALERT
    assert score_entry(person("SMITH", "JOHN MR", PartialDate(1980, 5, 4)), smith)[0] >= 0.95


def test_an_exact_name_with_a_matching_date_of_birth_scores_high() -> None:
    listed = entry(date_of_birth=PartialDate(1980, 5, 4))
    assert score_entry(person(born=PartialDate(1980, 5, 4)), listed)[0] >= 0.99


def test_a_matching_date_of_birth_does_not_make_a_match_of_another_name() -> None:
    listed = entry(date_of_birth=PartialDate(1980, 5, 4))
    assert score_entry(person("SMITH", "JOHN", PartialDate(1980, 5, 4)), listed)[0] < 0.1


def test_dates_of_birth_rank_by_precision() -> None:
    born = PartialDate(1980, 5, 4)
    weaker_name = person("RASHID", "MUHAMAD")  # a name that alone is not certain

    def score(listed: PartialDate | None, passenger: PartialDate = born) -> float:
        p = ScreenedPerson("T", weaker_name.surname, weaker_name.given_names, passenger)
        return score_entry(p, entry(date_of_birth=listed))[0]

    exact = score(born)
    swapped = score(PartialDate(1980, 4, 5))
    year = score(PartialDate(1980))
    year_off = score(PartialDate(1981, 5, 4))
    unknown = score(None)
    contradicting = score(PartialDate(1965, 1, 1))
    assert exact > swapped >= year > year_off > unknown > contradicting
    assert year_off >= ALERT > contradicting


def test_nationality_and_gender_confirm_or_refute() -> None:
    base = score_entry(person(), entry())[0]
    same = score_entry(
        person(nationality="SYR", gender=Gender.MALE), entry(nationalities=("SY",), gender=Gender.MALE)
    )
    other = score_entry(
        person(nationality="FRA", gender=Gender.FEMALE), entry(nationalities=("SY",), gender=Gender.MALE)
    )
    assert same[0] > base > other[0]
    features = {f.feature: f for f in same[1]}
    assert features["nationality:same"].query == "SY"
    assert features["nationality:same"].contribution > 0
    assert {f.feature: f for f in other[1]}["gender:different"].contribution < 0


def test_each_feature_says_what_was_compared_and_the_contributions_add_up() -> None:
    passenger = person("ALRASHID", "MUHAMMAD MR", PartialDate(1980, 4, 5), "SYR", ("N1234567",), Gender.MALE)
    score, features = score_entry(passenger, ENTRY)
    by_name = {f.feature: f for f in features}
    assert by_name["name"].query == "ALRASHID/MUHAMMAD MR"
    assert by_name["name"].candidate == "Mohammed Al-Rashid"
    assert by_name["date_of_birth:swapped"].query == "1980-04-05"
    assert by_name["date_of_birth:swapped"].candidate == "1980-05-04"
    assert by_name["document:exact"].candidate == "N1234567"
    assert by_name["gender:same"].candidate == "M"
    assert math.isclose(sum(f.contribution for f in features), score, abs_tol=1e-3)
    assert all(0.0 <= f.score <= 1.0 or f.feature.startswith("date_of_birth") for f in features)


def test_the_best_of_the_entry_s_names_counts() -> None:
    alias = score_entry(person("OMAR", "ABU"), ENTRY)
    assert alias[0] >= ALERT
    assert {f.feature: f for f in alias[1]}["name"].candidate == "Abu Omar"


def test_nothing_to_compare_scores_zero() -> None:
    assert score_entry(person("", None), entry(names=())) == (0.0, ())


def test_every_evidence_column_has_a_weight() -> None:
    assert set(EVIDENCE_WEIGHTS) == set(EVIDENCE_COLUMNS)
    assert EVIDENCE_WEIGHTS["dob:contradicting"] < 0 < EVIDENCE_WEIGHTS["dob:exact"]
    assert (
        EVIDENCE_WEIGHTS["document:exact"]
        > EVIDENCE_WEIGHTS["document:ocr"]
        > EVIDENCE_WEIGHTS["document:near"]
    )


# --- properties ------------------------------------------------------------------------------------

GIVEN = ["JOHN", "MARIA", "AHMED", "OLGA", "WEI", "FATIMA", "PIERRE", "SVETLANA", "DIEGO", "AMARA", "KENJI"]
SURNAMES = ["SMITH", "IVANOVA", "HASSAN", "MUELLER", "NGUYEN", "OKAFOR", "BERGSTROM", "KOWALSKI", "TANAKA"]
TITLES = ["MR", "MRS", "MS", "DR", "MSTR", "MISS"]

names = st.tuples(
    st.sampled_from(SURNAMES), st.lists(st.sampled_from(GIVEN), min_size=1, max_size=3, unique=True)
)
dates = st.builds(
    PartialDate,
    st.integers(1930, 2020),
    st.one_of(st.none(), st.integers(1, 12)),
).flatmap(
    lambda d: (
        st.just(d)
        if d.month is None
        else st.one_of(
            st.just(d), st.builds(PartialDate, st.just(d.year), st.just(d.month), st.integers(1, 28))
        )
    )
)
entries = st.builds(
    WatchlistEntry,
    entry_id=st.just("W1"),
    names=st.lists(
        names.map(lambda n: f"{' '.join(n[1]).title()} {n[0].title()}"), min_size=1, max_size=3
    ).map(tuple),
    date_of_birth=st.one_of(st.none(), dates),
    nationalities=st.lists(st.sampled_from(["DE", "SY", "FR", "NG"]), max_size=2).map(tuple),
    documents=st.lists(st.from_regex(r"[A-Z]{2}[0-9]{7}", fullmatch=True), max_size=2).map(tuple),
    gender=st.one_of(st.none(), st.sampled_from(list(Gender))),
)


@given(st.text(max_size=40), st.text(max_size=40))
def test_name_scores_are_in_bounds(a: str, b: str) -> None:
    score, features = compare_names(a, b)
    assert 0.0 <= score <= 1.0
    assert all(0.0 <= f.score <= 1.0 for f in features)


@given(names, names)
def test_name_scores_are_nearly_symmetric(a: tuple[str, list[str]], b: tuple[str, list[str]]) -> None:
    x, y = f"{' '.join(a[1])} {a[0]}", f"{' '.join(b[1])} {b[0]}"
    assert abs(compare_names(x, y)[0] - compare_names(y, x)[0]) <= 0.25


@given(names)
def test_a_name_matches_itself(name: tuple[str, list[str]]) -> None:
    surname, given_names = name
    written = f"{' '.join(given_names)} {surname}"
    assert compare_names(written, written)[0] >= 0.95
    assert compare_names(f"{surname}/{' '.join(given_names)}", written)[0] >= 0.95


@given(names, st.sampled_from(TITLES), st.booleans())
def test_a_title_never_lowers_the_name_score(name: tuple[str, list[str]], title: str, glued: bool) -> None:
    surname, given_names = name
    listed = f"{' '.join(given_names)} {surname}"
    plain = f"{surname}/{' '.join(given_names)}"
    glued = glued and title != "DR"
    assert (
        compare_names(plain + ("" if glued else " ") + title, listed)[0]
        >= compare_names(plain, listed)[0] - 0.02
    )


@given(names, st.integers(0, 2))
def test_removing_spaces_never_lowers_the_name_score_much(name: tuple[str, list[str]], drop: int) -> None:
    surname, given_names = name
    listed = f"{' '.join(given_names)} {surname}"
    spaced = f"{surname}/{' '.join(given_names)}"
    joined = f"{surname}/{''.join(given_names)}"
    assert compare_names(joined, listed)[0] >= compare_names(spaced, listed)[0] - 0.05
    if drop and len(given_names) > 1:  # a given name the list does not have, glued to one it has
        shorter = f"{' '.join(given_names[:-1])} {surname}"
        assert compare_names(joined, shorter)[0] >= compare_names(spaced, shorter)[0] - 0.1


@given(entries)
def test_an_entry_always_matches_itself(listed: WatchlistEntry) -> None:
    *given_names, surname = listed.names[0].split()
    traveller = ScreenedPerson(
        ref="T1",
        surname=surname.upper(),
        given_names=" ".join(given_names).upper() or None,
        date_of_birth=listed.date_of_birth,
        nationality=listed.nationalities[0] if listed.nationalities else None,
        documents=listed.documents,
        gender=listed.gender,
    )
    score, features = score_entry(traveller, listed)
    assert score >= 0.95, features


@given(
    entries,
    names,
    st.one_of(st.none(), dates),
    st.lists(st.from_regex(r"[A-Z0-9]{6,9}", fullmatch=True), max_size=2),
)
def test_entry_scores_are_in_bounds(
    listed: WatchlistEntry, name: tuple[str, list[str]], born: PartialDate | None, documents: list[str]
) -> None:
    traveller = ScreenedPerson("T1", name[0], " ".join(name[1]), born, None, tuple(documents), None)
    score, features = score_entry(traveller, listed)
    assert 0.0 <= score <= 1.0
    assert math.isclose(sum(f.contribution for f in features), score, abs_tol=1e-3)


# --- the labelled pairs ----------------------------------------------------------------------------


def _bench() -> ModuleType:
    path = REPO_ROOT / "bench" / "screening_pairs.py"
    spec = importlib.util.spec_from_file_location("screening_pairs_bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_f1_on_the_labelled_person_pairs() -> None:
    shared = require_shared()
    bench = _bench()
    folder = Path(shared) / "namedata" / "opensanctions"
    pairs = bench.load_pairs(folder)
    assert len(pairs) == 548
    evaluation = bench.evaluate(pairs, bench.load_logic_v2(folder), NAME_THRESHOLD)
    assert evaluation.ours.f1 >= 0.80
    assert evaluation.ours_on_joined.f1 > evaluation.logic_v2_on_joined.f1
