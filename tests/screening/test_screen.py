"""Screening: candidates scored and explained, alerts by the list's threshold, the CLI contract, and the
planted targets of a generated world."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from openpiu.cli import main
from openpiu.formats.reader import read_messages
from openpiu.model import ApiPerson, PartialDate, PassengerList, PnrPush, Traveller
from openpiu.model.screening import Feature, ListKind, ScreenedPerson, Watchlist, WatchlistEntry
from openpiu.screening.screen import Screener, document_score
from openpiu.screening.watchlists import country_code, read_watchlist

DAY = date(2026, 11, 30)


def simple_keys(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Z]+", text.upper()) if len(w) > 1 and w not in {"MR", "MRS"}}


def jaccard_scorer(person: ScreenedPerson, entry: WatchlistEntry) -> tuple[float, tuple[Feature, ...]]:
    """A stand-in scorer: the best share of words a name of the entry has in common with the person's."""
    query = simple_keys(f"{person.surname} {person.given_names or ''}")
    best, name = 0.0, ""
    for candidate in entry.names:
        words = simple_keys(candidate)
        score = len(query & words) / len(query | words) if query | words else 0.0
        if score > best:
            best, name = score, candidate
    return best, (Feature("name", f"{person.surname}/{person.given_names}", name, best, best),)


def watchlist(list_id: str, threshold: float = 0.75, kind: ListKind = ListKind.PERSONS) -> Watchlist:
    return Watchlist(
        list_id, list_id, "v7", "test", "Art 6(3)(a)", "terrorism", "PIU", kind, None, None, threshold
    )


def person(surname: str, given: str | None = None, *docs: str) -> ScreenedPerson:
    return ScreenedPerson(ref="T1", surname=surname, given_names=given, documents=docs)


ENTRIES = [
    WatchlistEntry("E1", ("John SMITH",)),
    WatchlistEntry("E2", ("John Peter SMITH",)),
    WatchlistEntry("E3", ("Anna SMITH",)),
    WatchlistEntry("E4", ("John SMITH",), valid_until=date(2026, 1, 1)),
]


def test_candidates_are_scored_best_first_with_alerts_by_threshold() -> None:
    screener = Screener(
        [(watchlist("L1", 0.6), ENTRIES)], key_function=simple_keys, scorer=jaccard_scorer, min_ratio=0.0
    )
    found = screener.screen(person("SMITH", "JOHN"), on=DAY, top=5)
    assert [c.entry_id for c in found] == ["E1", "E2", "E3"]  # E4 has expired
    assert [round(c.score, 2) for c in found] == [1.0, 0.67, 0.33]
    assert [c.alert for c in found] == [True, True, False]
    assert {(c.list_id, c.list_version) for c in found} == {("L1", "v7")}
    assert found[0].explanation == (Feature("name", "SMITH/JOHN", "John SMITH", 1.0, 1.0),)
    assert len(screener.screen(person("SMITH", "JOHN"), on=DAY, top=1)) == 1
    assert [c.entry_id for c in screener.screen(person("SMITH", "JOHN"), on=date(2025, 1, 1))][:2] == [
        "E1",
        "E4",
    ]


def test_several_lists_each_with_its_threshold_and_a_document_list() -> None:
    lost = [WatchlistEntry("L-1", documents=("C01X00T47",)), WatchlistEntry("L-2", documents=("X1",))]
    screener = Screener(
        [
            (watchlist("strict", 0.99), ENTRIES[1:2]),
            (watchlist("loose", 0.5), ENTRIES[1:2]),
            (watchlist("sltd", kind=ListKind.DOCUMENTS), lost),
        ],
        key_function=simple_keys,
        scorer=jaccard_scorer,
    )
    found = screener.screen(person("SMITH", "JOHN", "C01-X00-T47"), on=DAY)
    assert [(c.list_id, c.entry_id, c.alert) for c in found] == [
        ("sltd", "L-1", True),
        ("loose", "E2", True),
        ("strict", "E2", False),
    ]
    assert found[0].explanation == (Feature("document", "C01-X00-T47", "C01X00T47", 1.0, 1.0),)
    assert document_score(person("X"), lost[0]) == (0.0, ())


def test_a_person_list_entry_known_only_by_a_document_is_scored_on_it() -> None:
    entries = [*ENTRIES, WatchlistEntry("DOC-ONLY", documents=("P1234567",))]
    screener = Screener([(watchlist("L1"), entries)], key_function=simple_keys, scorer=jaccard_scorer)
    (found,) = screener.screen(person("MUELLER", "HANS", "p1234567"), on=DAY)
    assert (found.entry_id, found.score, found.alert) == ("DOC-ONLY", 1.0, True)


def test_a_person_with_nothing_in_common_has_no_candidate() -> None:
    screener = Screener([(watchlist("L1"), ENTRIES)], key_function=simple_keys, scorer=jaccard_scorer)
    assert screener.screen(person("MUELLER", "HANS"), on=DAY) == []


# --- the command line ------------------------------------------------------------------------------

PERSONS_CSV = """id,name,aliases,date_of_birth,nationality,document_numbers,category
W1,"AL-RASHID, Mohammed Ahmed",Mohamed AL RASHEED,1975-03-07,SYR,N0123456,terrorism
W2,Katarzyna Maria KOWALSKA,,1988-11-02,POL,,annex2-04
"""
TRAVELLERS_CSV = """id,surname,given_names,date_of_birth,nationality,document_number,gender
T1,ALRASHID,MOHAMMEDMR,1975-03-07,SYR,,M
T2,KOWALSKA,KATARZYNA MARIA MRS,1988-11-02,PL,,F
T3,ZZYZX,QWERTY,2001-01-01,,,
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    lists = tmp_path / "persons.csv"
    lists.write_text(PERSONS_CSV)
    travellers = tmp_path / "travellers.csv"
    travellers.write_text(TRAVELLERS_CSV)
    return lists, travellers


def test_cli_screen_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lists, travellers = _files(tmp_path)
    code = main(
        ["screen", "--watchlist", str(lists), "--travellers", str(travellers), "--json", "--top", "2"]
    )
    out = capsys.readouterr().out
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["T1", "T2", "T3"]
    for result in results:
        assert set(result) == {"id", "candidates"}
        assert len(result["candidates"]) <= 2
        scores = [c["score"] for c in result["candidates"]]
        assert scores == sorted(scores, reverse=True)
        for candidate in result["candidates"]:
            assert set(candidate) == {"entry", "score", "alert", "explanation"}
            assert isinstance(candidate["score"], float)
            assert 0.0 <= candidate["score"] <= 1.0
            assert isinstance(candidate["alert"], bool)
            assert candidate["explanation"]
            for feature in candidate["explanation"]:
                assert set(feature) == {"feature", "query", "candidate", "score"}
    assert results[0]["candidates"][0]["entry"] == "W1"
    assert results[0]["candidates"][0]["alert"] is True
    assert results[1]["candidates"][0]["entry"] == "W2"
    assert results[1]["candidates"][0]["alert"] is True
    assert not any(c["alert"] for c in results[2]["candidates"])


def test_cli_screen_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lists, travellers = _files(tmp_path)
    assert main(["screen", "--watchlist", str(lists), "--travellers", str(travellers)]) == 0
    out = capsys.readouterr().out
    assert "W1" in out
    assert "ALERT" in out


def test_cli_screen_bad_files_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lists, travellers = _files(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(PERSONS_CSV + "W3,SMITH,,1980-02-30,,,\n")
    assert main(["screen", "--watchlist", str(bad), "--travellers", str(travellers), "--json"]) == 1
    assert f"{bad}:4:" in capsys.readouterr().err
    bad_travellers = tmp_path / "bad_travellers.csv"
    bad_travellers.write_text(TRAVELLERS_CSV + "T4,SMITH,JOHN,yesterday,,,\n")
    assert main(["screen", "--watchlist", str(lists), "--travellers", str(bad_travellers), "--json"]) == 1
    assert f"{bad_travellers}:5:" in capsys.readouterr().err
    assert main(["screen", "--watchlist", str(lists), "--travellers", str(travellers), "--top", "0"]) == 2
    assert main(["screen", "--watchlist", str(lists)]) == 2
    assert main(["screen", "--watchlist", str(lists), "--travellers", str(travellers), "--on", "today"]) == 2


# --- the planted targets of a generated world ------------------------------------------------------


def _screened(ref: str, who: Traveller | ApiPerson) -> ScreenedPerson:
    born: PartialDate | None = who.date_of_birth
    nationality = getattr(who, "nationality", None)
    gender = who.gender
    for document in who.documents:
        born = born or document.date_of_birth
        nationality = nationality or document.nationality or document.issuing_state
        gender = gender or document.gender
    return ScreenedPerson(
        ref=ref,
        surname=who.surname,
        given_names=who.given_names,
        date_of_birth=born,
        nationality=country_code(nationality) if nationality else None,
        documents=tuple(d.number for d in who.documents if d.number),
        gender=gender,
    )


@cache
def world(folder: Path) -> dict[str, list[ScreenedPerson]]:
    """person_id -> every occurrence of that person in the world's messages, as screened."""
    from openpiu.synth.world import generate, world_params

    generate(world_params(scale=0.002), folder)
    truth = folder / "truth"
    pnr: dict[tuple[str, str | None, str | None], str] = {}
    for line in (truth / "travellers.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["person_id"]:
            pnr[(row["file"], row["locator"], row["reference"])] = row["person_id"]
    api: dict[tuple[str, int], str] = {}
    for line in (truth / "api_persons.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["person_id"]:
            api[(row["file"], row["index"])] = row["person_id"]
    occurrences: dict[str, list[ScreenedPerson]] = defaultdict(list)
    for path in sorted((folder / "messages").iterdir()):
        for outcome in read_messages(path.read_bytes(), source=path.name, received_on=DAY):
            if isinstance(outcome, PnrPush):
                for booking in outcome.bookings:
                    for traveller in booking.travellers:
                        person_id = pnr.get((path.name, booking.locator, traveller.ref))
                        if person_id:
                            occurrences[person_id].append(_screened(person_id, traveller))
            elif isinstance(outcome, PassengerList):
                for index, api_person in enumerate(outcome.persons):
                    person_id = api.get((path.name, index))
                    if person_id:
                        occurrences[person_id].append(_screened(person_id, api_person))
    return occurrences


def test_every_planted_target_of_a_generated_world_alerts(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("world")
    occurrences = world(folder)
    lists = [read_watchlist(folder / "watchlists" / name) for name in ("persons.csv", "documents.csv")]
    screener = Screener(lists)
    targets = [
        json.loads(line) for line in (folder / "truth" / "watchlist_targets.jsonl").read_text().splitlines()
    ]
    assert len(targets) >= 10
    missed = []
    for target in targets:
        seen = occurrences[target["person_id"]]
        assert seen, f"{target} never travels"
        alerting = {
            (c.entry_id, c.alert) for occurrence in seen for c in screener.screen(occurrence, on=DAY, top=5)
        }
        if (target["entry_id"], True) not in alerting:
            best = [(c.entry_id, round(c.score, 3)) for c in screener.screen(seen[-1], on=DAY, top=3)]
            missed.append((target["variation"], target["entry_id"], seen[-1], best))
    assert not missed, "\n".join(map(str, missed))
