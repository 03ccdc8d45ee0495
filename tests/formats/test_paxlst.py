"""PAXLST reader: the public samples (counts and values) and every segment and quirk of sections 4 and 5.

Synthetic messages use fictional names. The samples are read from ``../shared`` (skipped on a developer
machine without it, a failure under ``CI=true``).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpiu.formats.edifact import EdifactMessage, read_interchanges
from openpiu.formats.errors import ParseError
from openpiu.formats.paxlst import PERSON_ROLES, parse_paxlst
from openpiu.model import (
    ApiPerson,
    BagTag,
    ContactKind,
    Gender,
    PartialDate,
    PassengerList,
    PersonRole,
)

# --------------------------------------------------------------------------------------------------------
# Helpers

MANIFEST = Path(__file__).resolve().parent / "sample_manifest.json"

#: file -> (NAD+FL, NAD+FM, NAD+MS), from ../shared/samples/README.md (PAXLST tables).
EXPECTED: dict[str, tuple[int, int, int]] = {
    "gtas/Test1.txt": (0, 8, 1),
    "gtas/Test3.txt": (260, 0, 1),
    "gtas/airline2.edi": (10, 0, 1),
    "gtas/apisMessage.txt": (2, 0, 1),
    "gtas/flight1.txt": (10, 0, 1),
    "gtas/flight2.txt": (10, 0, 1),
    "gtas/flight3.txt": (10, 0, 1),
    "gtas/multiple_flight_leg_apis.txt": (2, 0, 1),
    "jetway/paxlst_test_example51_PAXLST_IG_single_sector_D15B.edi": (1, 0, 1),
    "jetway/paxlst_test_example52_PAXLST_IG_crew_D15B.edi": (0, 1, 1),
    "jetway/paxlst_test_example53_PAXLST_IG_progressive_2legs_D15B.edi": (2, 0, 1),
}

EX51 = "jetway/paxlst_test_example51_PAXLST_IG_single_sector_D15B.edi"
EX52 = "jetway/paxlst_test_example52_PAXLST_IG_crew_D15B.edi"
EX53 = "jetway/paxlst_test_example53_PAXLST_IG_progressive_2legs_D15B.edi"


def _manifest_counts() -> dict[str, tuple[int, int, int]] | None:
    """Per-file (FL, FM, MS) of the PAXLST entries in tests/formats/sample_manifest.json, if it exists."""
    if not MANIFEST.is_file():
        return None
    files = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]
    return {
        name: (int(entry["FL"]), int(entry["FM"]), int(entry["MS"]))
        for name, entry in files.items()
        if entry.get("type") == "PAXLST"
    }


def expected_counts() -> dict[str, tuple[int, int, int]]:
    """The manifest's numbers when the manifest is there, else the table above."""
    return _manifest_counts() or EXPECTED


def test_manifest_agrees_with_the_readme_table() -> None:
    manifest = _manifest_counts()
    if manifest is None:
        pytest.skip(f"no {MANIFEST.name}; the table in this module is used")
    assert manifest == EXPECTED


def read_sample(shared: Path, name: str) -> list[PassengerList]:
    data = (shared / "samples" / name).read_bytes()
    return [parse_paxlst(m) for ic in read_interchanges(data, source=name) for m in ic.messages]


def one_sample(shared: Path, name: str) -> PassengerList:
    lists = read_sample(shared, name)
    assert len(lists) == 1
    return lists[0]


def message(
    body: str,
    *,
    una: str = "",
    version: str = "PAXLST:D:05B:UN:IATA",
    status: str = "",
    date_time: str = "200130:0300",
) -> EdifactMessage:
    """One synthetic interchange around `body` (segments written with the default characters)."""
    sep = "+" if not una else una[4]
    term = "'" if not una else una[8]
    unh = f"UNH{sep}1{sep}{version}" + (f"{sep}CAR1{sep}{status}" if status else "")
    text = (
        f"{una}UNB{sep}UNOA:4{sep}ZZAIR{sep}PIU{sep}{date_time}{sep}1{term}"
        f"{unh}{term}{body}UNT{sep}99{sep}1{term}UNZ{sep}1{sep}1{term}"
    )
    interchanges = read_interchanges(text.encode("utf-8"))
    return interchanges[0].messages[0]


def parse(body: str, **kwargs: str) -> PassengerList:
    return parse_paxlst(message(body, **kwargs))


HEADER = "BGM+745'NAD+MS+++EXAMPLE DESK'TDT+20+ZZ123+++ZZ'LOC+125+SYD'DTM+189:2001301000:201'"


def person(body: str) -> ApiPerson:
    plist = parse(HEADER + body)
    assert len(plist.persons) == 1
    return plist.persons[0]


def codes(plist: PassengerList) -> list[str]:
    return [w.code for w in plist.warnings]


# --------------------------------------------------------------------------------------------------------
# The public samples


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(expected_counts()))
def test_sample_counts(shared_dir: Path, name: str) -> None:
    expected = expected_counts()[name]
    lists = read_sample(shared_dir, name)
    qualifiers = Counter(p.qualifier for plist in lists for p in plist.persons)
    parties = sum(1 for plist in lists if plist.reporting_party)
    assert (qualifiers["FL"], qualifiers["FM"], parties) == expected
    roles = Counter(p.role for plist in lists for p in plist.persons)
    assert roles[PersonRole.PASSENGER] == expected[0]
    assert roles[PersonRole.CREW] == expected[1]


@pytest.mark.shared
def test_sample_totals(shared_dir: Path) -> None:
    """README totals: 307 NAD+FL, 9 NAD+FM, 11 NAD+MS in 11 files."""
    counts: Counter[str] = Counter()
    parties = 0
    for name in EXPECTED:
        for plist in read_sample(shared_dir, name):
            counts.update(p.qualifier for p in plist.persons)
            parties += plist.reporting_party is not None
    assert (counts["FL"], counts["FM"], parties) == (307, 9, 11)
    if MANIFEST.is_file():
        totals = json.loads(MANIFEST.read_text(encoding="utf-8"))["totals"]["PAXLST"]
        assert (counts["FL"], counts["FM"], parties) == (
            totals["passengers"],
            totals["crew"],
            totals["reporting_parties"],
        )


@pytest.mark.shared
def test_every_paxlst_sample_is_listed(shared_dir: Path) -> None:
    found = {
        f"{p.parent.name}/{p.name}"
        for p in (shared_dir / "samples").glob("*/*")
        if p.is_file() and b"PAXLST" in p.read_bytes()[:2000] and b"PNRGOV" not in p.read_bytes()[:2000]
    }
    assert found == set(EXPECTED)


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_warnings_carry_no_personal_data(shared_dir: Path, name: str) -> None:
    for plist in read_sample(shared_dir, name):
        secrets = {p.surname for p in plist.persons if len(p.surname) > 3}
        secrets |= {d.number for p in plist.persons for d in p.documents if d.number and len(d.number) > 4}
        for warning in plist.warnings:
            text = str(warning).upper()
            assert not any(s.upper() in text for s in secrets), warning.code


@pytest.mark.shared
def test_example_51_single_sector(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, EX51)
    assert plist.header.version == "D:15B"
    assert (plist.document_code, plist.document_id, plist.reference) == ("745", None, "1234567890")
    assert plist.reporting_party == "DAVIDSON ROBERT"
    kinds = {c.kind: c.value for c in plist.reporting_contacts}
    assert kinds[ContactKind.PHONE] == "2026289292"
    assert kinds[ContactKind.FAX] == "2026284998"
    assert kinds[ContactKind.EMAIL] == "davidsonr@iata.org"  # `DAVIDSONR.AT. IATA.ORG`
    (leg,) = plist.legs
    assert (leg.carrier, leg.number, leg.origin, leg.destination) == ("ZZ", "123", "SYD", "HNL")
    assert leg.departure is not None
    assert leg.arrival is not None
    assert leg.departure.local == datetime(2013, 6, 21, 9, 0)
    assert leg.departure.zone == "Australia/Sydney"
    assert leg.arrival.local == datetime(2013, 6, 21, 22, 0)  # `DTM+232: 1306212200:201`
    assert leg.arrival.zone == "Pacific/Honolulu"
    (pax,) = plist.persons
    assert (pax.role, pax.surname, pax.given_names) == (PersonRole.PASSENGER, "WILLIAMS", "JOHN DONALD")
    assert pax.gender is Gender.MALE
    assert pax.date_of_birth == PartialDate(1972, 9, 7)
    assert pax.nationality == "GBR"
    assert pax.address is not None
    assert (pax.address.street, pax.address.city, pax.address.state) == (
        "235 WESTERN ROAD SUITE 203",
        "SLEAFORD",
        "LINCS",
    )
    assert (pax.address.postcode, pax.address.country) == ("PE224T5", "GBR")
    assert (pax.clearance, pax.residence_country, pax.embarkation, pax.debarkation) == (
        "HNL",
        "GBR",
        "SYD",
        "HNL",
    )
    assert pax.place_of_birth == "AMBER HILL GBR"
    assert pax.verified is False
    assert pax.baggage is not None
    assert pax.baggage.count == 2
    assert pax.baggage.tags == (BagTag("ZZ012345", consecutive=3),)
    assert [(c.kind, c.value) for c in pax.contacts] == [(ContactKind.PHONE, "441888414151")]
    assert (pax.locator, pax.unique_id) == ("TYR123", "ABC123")
    assert pax.references == (("AVF", "TYR123"), ("ABO", "ABC123"))
    (passport,) = pax.documents
    assert (passport.source, passport.document_type, passport.number) == ("PAXLST", "P", "MB140241")
    assert passport.expiry == date(2015, 12, 31)
    assert passport.issuing_state == "GBR"
    assert plist.declared_passengers == 160
    assert "cnt-mismatch" in codes(plist)  # the flight total, one passenger listed


@pytest.mark.shared
def test_example_52_crew(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, EX52)
    assert plist.document_code == "250"
    assert plist.reporting_party == "USD090746"  # profile id in element 1
    (crew,) = plist.persons
    assert (crew.role, crew.qualifier, crew.surname, crew.given_names) == (
        PersonRole.CREW,
        "FM",
        "CLARK",
        "MICHAEL",
    )
    assert crew.address is not None
    assert (crew.address.street, crew.address.state, crew.address.postcode) == (
        "2365 KAANAPALI HIGHWAY",
        "HI",
        "96761",
    )
    assert crew.documents[0].expiry == date(2015, 10, 21)
    assert plist.declared_crew == 8


@pytest.mark.shared
def test_example_53_progressive_two_legs(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, EX53)
    assert plist.reference == "BART34567890:::1"  # with its revision
    assert [(leg.designator, leg.origin, leg.destination) for leg in plist.legs] == [
        ("XZ877", "BCN", "IAD"),
        ("XZ877", "IAD", "SFO"),
    ]
    first, second = plist.legs
    assert first.departure is not None
    assert first.departure.local == datetime(2014, 7, 8, 11, 0)
    assert first.arrival is not None
    assert first.arrival.local == datetime(2014, 7, 8, 17, 0)
    assert second.departure is not None
    assert second.departure.local == datetime(2014, 7, 8, 19, 30)
    assert second.arrival is not None
    assert second.arrival.local == datetime(2014, 7, 8, 23, 30)
    assert second.arrival.zone == "America/Los_Angeles"
    assert "carrier-mismatch" in codes(plist)  # `TDT+20+ZX877+++XZ`
    assert [p.given_names for p in plist.persons] == ["JULIO XAVIER", "SORINA MARIA"]
    assert [p.unique_id for p in plist.persons] == ["XZ877001", "XZ877002"]
    assert plist.persons[1].gender is Gender.FEMALE
    assert plist.persons[1].documents[0].expiry == date(2017, 9, 16)


@pytest.mark.shared
def test_airline2_star_separator_and_last_part(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, "gtas/airline2.edi")
    assert (plist.header.part, plist.header.final_part) == (10, True)
    assert plist.header.common_access_ref == "AA346"
    assert plist.reporting_party == "SABRE CENTRAL"
    (leg,) = plist.legs
    assert (leg.carrier, leg.number, leg.origin, leg.destination) == ("TN", "506", "BRE", "YEU")
    assert len(plist.persons) == 10
    for pax in plist.persons:
        assert pax.surname
        assert pax.given_names
        assert pax.date_of_birth == PartialDate(1954, 10, 16)
        assert pax.nationality == "USA"
        assert pax.locator == "QXGYLO"
        (doc,) = pax.documents
        assert doc.document_type == "P"
        assert doc.number
        assert doc.number.isdigit()
        assert doc.expiry == date(2018, 2, 21)
        assert doc.issuing_state == "USA"
    assert plist.persons[0].surname == "BETTON"
    assert plist.declared_passengers == 136


@pytest.mark.shared
def test_test1_crew_list(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, "gtas/Test1.txt")
    assert (plist.document_code, plist.document_id) == ("250", "C")
    assert [p.role for p in plist.persons] == [PersonRole.CREW] * 8
    assert plist.declared_crew == 8  # `CNT+41+8`
    assert "cnt-form" in codes(plist)
    assert "cnt-mismatch" not in codes(plist)
    first = plist.persons[0]
    assert first.date_of_birth == PartialDate(1978, 7, 6)
    assert first.place_of_birth == "Hartford USA"
    assert first.documents[0].expiry == date(2061, 2, 18)  # expiry window, not the past


@pytest.mark.shared
def test_test3_first_part_and_crew_count_quirk(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, "gtas/Test3.txt")
    assert (plist.header.part, plist.header.final_part) == (1, False)
    assert plist.declared_crew == 206
    assert plist.declared_passengers is None
    assert "cnt-mismatch" in codes(plist)
    assert len(plist.persons) == 260


@pytest.mark.shared
def test_flight1_names_bags_and_documents(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, "gtas/flight1.txt")
    jiang = plist.persons[0]
    assert (jiang.surname, jiang.given_names) == ("JIANG", "HSIUYUAN")  # `JIANG:HSIUYUAN:`
    assert jiang.seat == "056F"
    assert jiang.baggage is not None
    assert (jiang.baggage.count, jiang.baggage.weight, jiang.baggage.unit) == (1, 13, "kg")
    untyped, visa = jiang.documents  # `DOC++433419360`
    assert (untyped.document_type, untyped.number) == (None, "433419360")
    assert visa.document_type == "V"
    cannon = plist.persons[2]
    assert cannon.baggage is not None
    assert len(cannon.baggage.tags) == 4
    assert cannon.documents[0].issuing_state is None  # `LOC+91+'`
    youngest = plist.persons[9]
    assert youngest.date_of_birth == PartialDate(2000, 5, 20)  # `000520`, message of 2020


@pytest.mark.shared
def test_apis_message_and_multiple_legs(shared_dir: Path) -> None:
    plist = one_sample(shared_dir, "gtas/apisMessage.txt")
    assert [(leg.designator, leg.origin, leg.destination) for leg in plist.legs] == [
        ("AA123", "ATL", "ORD"),
        ("AA124", "ORD", "JFK"),
    ]
    assert plist.persons[0].references == (
        ("AVF", "TYR123"),
        ("ABO", "ABC123"),
        ("AEA", "1234567890ABC"),
        ("CR", "20060907NY123"),
    )
    multi = one_sample(shared_dir, "gtas/multiple_flight_leg_apis.txt")
    assert [(leg.designator, leg.origin, leg.destination) for leg in multi.legs] == [
        ("QQ877", "MIA", "IAD"),
        ("QQ827", "IAD", "JFK"),
        ("QQ827", "JFK", "CDG"),
    ]
    assert multi.persons[0].documents[0].expiry == date(2008, 12, 30)


# --------------------------------------------------------------------------------------------------------
# Header, reporting party, legs


def test_header_document_and_reference() -> None:
    plist = parse("BGM+266+CLOB'RFF+TN:TX0001:::3'NAD+MS+++EXAMPLE DESK'")
    assert (plist.document_code, plist.document_id, plist.reference) == ("266", "CLOB", "TX0001:::3")
    assert parse("BGM+745'RFF+TN:TX0002'").reference == "TX0002"


def test_reporting_party_name_profile_and_contacts() -> None:
    plist = parse("BGM+745'NAD+MS+++DOE:JANE'COM+555 0100:TE+555 0101:FX+JDOE//EXAMPLE.ORG:EM'")
    assert plist.reporting_party == "DOE JANE"
    assert [(c.kind, c.value) for c in plist.reporting_contacts] == [
        (ContactKind.PHONE, "5550100"),
        (ContactKind.FAX, "5550101"),
        (ContactKind.EMAIL, "jdoe@example.org"),
    ]
    assert plist.persons == ()  # the reporting party is not a person
    assert parse("BGM+745'NAD+MS+PROFILE77'").reporting_party == "PROFILE77"
    with_cta = parse("BGM+745'NAD+MS'CTA+IC+:DESK OFFICER'COM+555 0102:TE'")
    assert with_cta.reporting_party == "DESK OFFICER"
    assert len(with_cta.reporting_contacts) == 1


@pytest.mark.parametrize(
    ("tdt", "expected"),
    [
        ("TDT+20+ZZ123+++ZZ", ("ZZ", "123")),
        ("TDT+20+TN506", ("TN", "506")),
        ("TDT+20+UA0989+++UA", ("UA", "0989")),
        ("TDT+20+9W123", ("9W", "123")),
        ("TDT+20+ABC4567", ("ABC", "4567")),
        ("TDT+20+877+++QQ", ("QQ", "877")),
    ],
)
def test_flight_identifier(tdt: str, expected: tuple[str, str]) -> None:
    (leg,) = parse(f"BGM+745'{tdt}'").legs
    assert (leg.carrier, leg.number) == expected


def test_leg_times_local_with_zone_and_stray_spaces() -> None:
    plist = parse(
        "BGM+745'TDT+20+ZZ1'LOC+125+CDG'DTM+189:2001301000:201'LOC+87+JFK'DTM+232: 2001301230 :201'"
    )
    (leg,) = plist.legs
    assert leg.departure is not None
    assert leg.arrival is not None
    assert leg.departure.local == datetime(2020, 1, 30, 10, 0)
    assert leg.departure.zone == "Europe/Paris"
    assert leg.departure.utc is not None
    assert leg.departure.utc.hour == 9
    assert leg.arrival.local == datetime(2020, 1, 30, 12, 30)
    assert leg.arrival.airport == "JFK"


def test_leg_date_without_time() -> None:
    (leg,) = parse("BGM+745'TDT+20+ZZ1'LOC+125+CDG'DTM+189:200130:101'").legs
    assert leg.departure is not None
    assert leg.departure.time_known is False
    assert leg.departure.local == datetime(2020, 1, 30)


def test_progressive_flight_in_one_tdt_gives_two_legs() -> None:
    body = (
        "BGM+745'TDT+20+ZZ9+++ZZ'LOC+92+BCN'DTM+189:2001301100:201'LOC+92+IAD'DTM+232:2001301700:201'"
        "LOC+92+SFO'DTM+232:2001302330:201'"
    )
    legs = parse(body).legs
    assert [(leg.origin, leg.destination) for leg in legs] == [("BCN", "IAD"), ("IAD", "SFO")]
    assert legs[1].arrival is not None
    assert legs[1].arrival.local.hour == 23


def test_progressive_legs_with_repeated_intermediate_airport() -> None:
    body = (
        "BGM+745'TDT+20+ZZ9'LOC+92+BCN'DTM+189:2001301100:201'LOC+92+IAD'DTM+232:2001301700:201'"
        "LOC+92+IAD'DTM+189:2001301930:201'LOC+92+SFO'DTM+232:2001302330:201'"
    )
    legs = parse(body).legs
    assert [(leg.origin, leg.destination) for leg in legs] == [("BCN", "IAD"), ("IAD", "SFO")]
    assert legs[1].departure is not None
    assert legs[1].departure.local.hour == 19


def test_final_destination_fills_a_missing_arrival() -> None:
    (leg,) = parse("BGM+745'TDT+20+ZZ1'LOC+125+CDG'LOC+130+JFK'").legs
    assert leg.destination == "JFK"


# --------------------------------------------------------------------------------------------------------
# Persons


@pytest.mark.parametrize(
    ("qualifier", "role"),
    [
        ("FL", PersonRole.PASSENGER),
        ("FM", PersonRole.CREW),
        ("DDU", PersonRole.TRANSIT_PASSENGER),
        ("DDT", PersonRole.TRANSIT_CREW),
        ("VW", PersonRole.DRIVER),
        ("ZZZ", PersonRole.OTHER),
    ],
)
def test_roles_by_party_qualifier(qualifier: str, role: PersonRole) -> None:
    pax = person(f"NAD+{qualifier}+++ROE:RICHARD'")
    assert (pax.role, pax.qualifier) == (role, qualifier)
    assert PERSON_ROLES.get(qualifier, PersonRole.OTHER) is role


@pytest.mark.parametrize(
    ("nad", "surname", "given"),
    [
        ("NAD+FL+++ROE:RICHARD:ALAN'", "ROE", "RICHARD ALAN"),
        ("NAD+FL+++ROE:RICHARD:'", "ROE", "RICHARD"),
        ("NAD+FL+++NOVA EXAMPLE'", "NOVA EXAMPLE", None),
        ("NAD+FL+++O?'NEIL:SEAN'", "O'NEIL", "SEAN"),
        ("NAD+FL+++DU?+PONT:ANNE'", "DU+PONT", "ANNE"),
        ("NAD+FL+++  ROE  :  RICHARD  '", "ROE", "RICHARD"),
    ],
)
def test_name_forms(nad: str, surname: str, given: str | None) -> None:
    pax = person(nad)
    assert (pax.surname, pax.given_names) == (surname, given)


def test_name_with_non_ascii_letters() -> None:
    assert person("NAD+FL+++NOVÁK:JOSÉ'").surname == "NOVÁK"


def test_person_without_name_is_kept_with_a_warning() -> None:
    plist = parse(HEADER + "NAD+FL'NAT+2+FRA'")
    assert plist.persons[0].surname == ""
    assert plist.persons[0].nationality == "FRA"
    assert "person-without-name" in codes(plist)


def test_address() -> None:
    pax = person("NAD+FL+++ROE:RICHARD+1 EXAMPLE STREET+SAMPLETOWN+:::NORTHSHIRE+AB1 2CD+GBR'")
    assert pax.address is not None
    assert (pax.address.street, pax.address.city, pax.address.state) == (
        "1 EXAMPLE STREET",
        "SAMPLETOWN",
        "NORTHSHIRE",
    )
    assert (pax.address.postcode, pax.address.country) == ("AB1 2CD", "GBR")
    assert person("NAD+FL+++ROE:RICHARD'").address is None


@pytest.mark.parametrize(
    ("att", "gender"),
    [
        ("ATT+2++M'", Gender.MALE),
        ("ATT+2++F'", Gender.FEMALE),
        ("ATT+2++U'", Gender.UNSPECIFIED),
        ("ATT+2++X'", Gender.OTHER),
        ("ATT+2++M*M*M*M'", Gender.MALE),  # CBP ACE, repetition separator
    ],
)
def test_gender(att: str, gender: Gender) -> None:
    assert person("NAD+FL+++ROE:RICHARD'" + att).gender is gender


def test_gender_with_declared_repetition_separator() -> None:
    body = HEADER + "NAD+VW+++ROE:RICHARD'ATT+2++F*F*F'"
    plist = parse(body, una="UNA:+.?*'")
    assert plist.persons[0].gender is Gender.FEMALE
    assert plist.persons[0].role is PersonRole.DRIVER


def test_unknown_gender_is_a_warning() -> None:
    plist = parse(HEADER + "NAD+FL+++ROE:RICHARD'ATT+2++Q'")
    assert plist.persons[0].gender is None
    assert "unknown-gender" in codes(plist)


@pytest.mark.parametrize(
    ("dtm", "dob"),
    [
        ("DTM+329:720907'", PartialDate(1972, 9, 7)),
        ("DTM+329:000520'", PartialDate(2000, 5, 20)),  # message of 2020-01-30
        ("DTM+329:200101'", PartialDate(2020, 1, 1)),
        ("DTM+329:200201'", PartialDate(1920, 2, 1)),  # after the message date: a century earlier
        ("DTM+329:19720907:102'", PartialDate(1972, 9, 7)),
        ("DTM+329:720900'", PartialDate(1972, 9)),
        ("DTM+329:720000'", PartialDate(1972)),
        ("DTM+329: 720907 '", PartialDate(1972, 9, 7)),
    ],
)
def test_date_of_birth_in_the_past(dtm: str, dob: PartialDate) -> None:
    assert person("NAD+FL+++ROE:RICHARD'" + dtm).date_of_birth == dob


def test_bad_date_of_birth_is_a_warning() -> None:
    plist = parse(HEADER + "NAD+FL+++ROE:RICHARD'DTM+329:720231'")
    assert plist.persons[0].date_of_birth is None
    assert "bad-date" in codes(plist)


def test_bags_and_verification() -> None:
    pax = person(
        "NAD+FL+++ROE:RICHARD'MEA+CT++:3'MEA+WT++LBR:44'GEI+4+173'FTX+BAG+++ZZ100200:2'FTX+BAG+++ZZ100300'"
    )
    assert pax.baggage is not None
    assert (pax.baggage.count, pax.baggage.weight, pax.baggage.unit) == (3, 44, "lb")
    assert pax.baggage.tags == (BagTag("ZZ100200", consecutive=2), BagTag("ZZ100300"))
    assert pax.verified is True
    assert person("NAD+FL+++ROE:RICHARD'MEA+CT++1'").baggage is not None
    assert person("NAD+FL+++ROE:RICHARD'").baggage is None


def test_places() -> None:
    pax = person(
        "NAD+FL+++ROE:RICHARD'LOC+22+JFK'LOC+174+FRA'LOC+178+CDG'LOC+179+JFK'LOC+180+:::SAMPLEVILLE FRA'"
    )
    assert (pax.clearance, pax.residence_country, pax.embarkation, pax.debarkation) == (
        "JFK",
        "FRA",
        "CDG",
        "JFK",
    )
    assert pax.place_of_birth == "SAMPLEVILLE FRA"
    assert person("NAD+FL+++ROE:RICHARD'LOC+180+FRA'").place_of_birth == "FRA"


def test_contacts_crew_function_nationality() -> None:
    pax = person("NAD+FM+++ROE:RICHARD'COM+555 0199:TE+ROE//EXAMPLE.ORG:EM'EMP+1+CR2:110:111'NAT+2+ITA'")
    assert [(c.kind, c.value) for c in pax.contacts] == [
        (ContactKind.PHONE, "5550199"),
        (ContactKind.EMAIL, "roe@example.org"),
    ]
    assert pax.crew_function == "CR2"
    assert pax.nationality == "ITA"


def test_references() -> None:
    pax = person("NAD+FL+++ROE:RICHARD'RFF+AVF:ABC123'RFF+ABO:UID9'RFF+SEA:12C'RFF+YZY:1234567890123'")
    assert (pax.locator, pax.unique_id, pax.seat) == ("ABC123", "UID9", "12C")
    assert pax.references == (("AVF", "ABC123"), ("ABO", "UID9"), ("SEA", "12C"), ("YZY", "1234567890123"))


@pytest.mark.parametrize("doc_type", ["P", "V", "I", "A", "C", "AC", "IP", "T", "F"])
def test_document_types(doc_type: str) -> None:
    (doc,) = person(f"NAD+FL+++ROE:RICHARD'DOC+{doc_type}:110:111+X1234567'").documents
    assert (doc.document_type, doc.number, doc.source) == (doc_type, "X1234567", "PAXLST")


def test_document_dates_and_issuing_state() -> None:
    pax = person(
        "NAD+FL+++ROE:RICHARD'DOC+P+X1234567'DTM+36:300131'DTM+182:200115'LOC+91+FRA'"
        "DOC+V+V7654321'DTM+36:181231'LOC+91+:::PARIS'"
    )
    passport, visa = pax.documents
    assert (passport.expiry, passport.issued_on, passport.issuing_state) == (
        date(2030, 1, 31),
        date(2020, 1, 15),
        "FRA",
    )
    assert visa.expiry == date(2018, 12, 31)  # an expired document stays in this century
    assert (visa.issuing_state, visa.place_of_issue) == (None, "PARIS")


def test_empty_document_groups_are_dropped() -> None:
    pax = person("NAD+FL+++ROE:RICHARD'DOC++'DTM+36:'LOC+91+'DOC++X1234567'DOC+P+Y7654321'")
    assert [(d.document_type, d.number) for d in pax.documents] == [(None, "X1234567"), ("P", "Y7654321")]
    only_expiry = person("NAD+FL+++ROE:RICHARD'DOC++'DTM+36:300131'")
    assert only_expiry.documents[0].expiry == date(2030, 1, 31)


def test_person_segments_after_documents_still_belong_to_the_person() -> None:
    pax = person("NAD+FL+++ROE:RICHARD'DOC+P+X1234567'NAT+2+FRA'RFF+AVF:ABC123'")
    assert (pax.nationality, pax.locator) == ("FRA", "ABC123")


def test_persons_follow_each_other() -> None:
    plist = parse(
        HEADER + "NAD+FL+++ROE:RICHARD'DOC+P+X1'NAD+FL+++ROE:RITA'ATT+2++F'NAD+DDU+++DOE:JOHN'CNT+42:3'"
    )
    assert [(p.given_names, p.role) for p in plist.persons] == [
        ("RICHARD", PersonRole.PASSENGER),
        ("RITA", PersonRole.PASSENGER),
        ("JOHN", PersonRole.TRANSIT_PASSENGER),
    ]
    assert plist.persons[1].documents == ()
    assert plist.persons[1].gender is Gender.FEMALE
    assert "cnt-mismatch" not in codes(plist)  # transit passengers count as passengers


# --------------------------------------------------------------------------------------------------------
# Counts, parts, versions, errors


@pytest.mark.parametrize(
    ("cnt", "passengers", "crew", "warning"),
    [
        ("CNT+42:1'", 1, None, None),
        ("CNT+41:1'", None, 1, "cnt-mismatch"),
        ("CNT+41+1'", None, 1, "cnt-form"),
        ("CNT+42:160'", 160, None, "cnt-mismatch"),
        ("CNT+42:MANY'", None, None, "bad-number"),
        ("CNT+42:1'CNT+41:0'", 1, 0, None),
    ],
)
def test_counts(cnt: str, passengers: int | None, crew: int | None, warning: str | None) -> None:
    plist = parse(HEADER + "NAD+FL+++ROE:RICHARD'" + cnt)
    assert (plist.declared_passengers, plist.declared_crew) == (passengers, crew)
    if warning is None:
        assert not {"cnt-mismatch", "cnt-form", "bad-number"} & set(codes(plist))
    else:
        assert warning in codes(plist)


@pytest.mark.parametrize(
    ("status", "part", "final"),
    [("01:C", 1, False), ("02", 2, None), ("03:F", 3, True), ("01:F", 1, True)],
)
def test_split_part_flags(status: str, part: int, final: bool | None) -> None:
    plist = parse(HEADER + "NAD+FL+++ROE:RICHARD'", status=status)
    assert (plist.header.part, plist.header.final_part) == (part, final)
    assert plist.header.common_access_ref == "CAR1"


@pytest.mark.parametrize("version", ["PAXLST:D:02B:UN:IATA", "PAXLST:D:05B:UN:IATA", "PAXLST:D:15B:UN:IATA"])
def test_directory_versions(version: str) -> None:
    plist = parse(HEADER + "NAD+FL+++ROE:RICHARD'", version=version)
    assert plist.header.version == version.split(":", 1)[1].removesuffix(":UN:IATA")
    assert len(plist.persons) == 1


def test_other_element_separator_and_terminator() -> None:
    body = "BGM*745$NAD*MS***EXAMPLE DESK$TDT*20*ZZ1$NAD*FL***ROE:RICHARD$ATT*2**M$CNT*42:1$"
    plist = parse(body, una="UNA:*.? $")
    assert plist.persons[0].surname == "ROE"
    assert plist.declared_passengers == 1


def test_not_a_paxlst_message() -> None:
    msg = message("BGM+745'", version="PNRGOV:11:1:IA")
    with pytest.raises(ParseError, match="not a PAXLST"):
        parse_paxlst(msg)


def test_unsupported_version_is_named() -> None:
    with pytest.raises(ParseError, match=r"96\.1"):
        parse("BGM+745'", version="PAXLST:96:1:UN")


def test_nothing_readable() -> None:
    with pytest.raises(ParseError, match="nothing readable"):
        parse("XYZ+1'QQQ+2'")


def test_unknown_and_misplaced_segments_are_warnings() -> None:
    plist = parse("BGM+745'ATT+2++M'XYZ+1'" + "NAD+FL+++ROE:RICHARD'")
    assert "out-of-place" in codes(plist)
    assert "unknown-segment" in codes(plist)
    assert len(plist.persons) == 1


def test_warnings_carry_no_personal_data() -> None:
    body = (
        HEADER + "NAD+FL+++ZYXWVUTS:QWERTY+1 PRIVATE LANE'ATT+2++Q'DTM+329:999999'MEA+CT++LOTS'"
        "DOC+P+SECRET987'DTM+36:BADDAY'XYZ+ZYXWVUTS'CNT+42:9'"
    )
    plist = parse(body)
    assert len(plist.warnings) >= 5
    for warning in plist.warnings:
        text = f"{warning} {warning.code} {warning.tag}"
        for secret in ("ZYXWVUTS", "QWERTY", "PRIVATE", "999999", "SECRET987", "BADDAY", "LOTS"):
            assert secret not in text


def test_explicit_reference_date() -> None:
    msg = message(HEADER + "NAD+FL+++ROE:RICHARD'DTM+329:250101'")
    assert parse_paxlst(msg).persons[0].date_of_birth == PartialDate(1925, 1, 1)
    later = parse_paxlst(msg, reference=date(2030, 6, 1))
    assert later.persons[0].date_of_birth == PartialDate(2025, 1, 1)


def test_legacy_cedipax() -> None:
    text = (
        "UNA:+.? 'UNB+UNOA:1+ZZAIR:NZ+USCS:US+020131:2359+0201312359++CEDIPAX'"
        "UNH+0201312359+PAXLST:001:000:NZ+ZZ812/020131/2300'"
        "CTA+IC+:DESK? OFFICER+1-555-0100:TE+1-555-0101:FX'"
        "TDT++ZZ812+40+ZZ'LOC+005+NZAKL:50'DTM+136+020131+1030+M05'LOC+008+USLAX:50'DTM+132+020131+2200+M05'"
        "UNS+D'"
        "PDT+P/X1234567:060831:IE+O?'ROE:RITA:ANN:331231:F+PAX+NZAKL:USLAX'"
        "PDT+P/X7654321:070101:NZ+DOE:JOHN::620704:M+PAX+NZAKL:USLAX'"
        "UNT+000011+0201312359'UNZ+1+0201312359'"
    )
    (msg,) = read_interchanges(text.encode())[0].messages
    plist = parse_paxlst(msg)
    assert plist.reporting_party == "DESK OFFICER"
    assert len(plist.reporting_contacts) == 2
    (leg,) = plist.legs
    assert (leg.carrier, leg.number, leg.origin, leg.destination) == ("ZZ", "812", "AKL", "LAX")
    assert leg.departure is not None
    assert leg.departure.local == datetime(2002, 1, 31, 10, 30)
    first, second = plist.persons
    assert (first.surname, first.given_names, first.gender) == ("O'ROE", "RITA ANN", Gender.FEMALE)
    assert first.date_of_birth == PartialDate(1933, 12, 31)
    assert (first.embarkation, first.debarkation) == ("AKL", "LAX")
    (doc,) = first.documents
    assert (doc.document_type, doc.number, doc.issuing_state, doc.expiry) == (
        "P",
        "X1234567",
        "IE",
        date(2006, 8, 31),
    )
    assert (second.given_names, second.role) == ("JOHN", PersonRole.PASSENGER)


def test_many_persons_read_quickly() -> None:
    one = "NAD+FL+++ROE:RICHARD:ALAN'ATT+2++M'DTM+329:720907'NAT+2+GBR'RFF+AVF:ABC123'DOC+P+X1'DTM+36:300101'"
    plist = parse(HEADER + one * 2000 + "CNT+42:2000'")
    assert len(plist.persons) == 2000
    assert plist.persons[-1].documents[0].expiry == date(2030, 1, 1)


_FRAGMENTS = [
    "BGM+745",
    "BGM+250+C",
    "RFF+TN:T1:::2",
    "NAD+MS+++DESK",
    "COM+555:TE+A//B.C:EM",
    "TDT+20+ZZ1+++ZZ",
    "TDT+20",
    "LOC+125+CDG",
    "LOC+87+JFK",
    "LOC+92+IAD",
    "LOC+91+:::X",
    "DTM+189:2001301000:201",
    "DTM+232:20013",
    "DTM+329:720231",
    "DTM+329:000000",
    "DTM+36:",
    "NAD+FL+++ROE:RICHARD",
    "NAD+FM",
    "NAD+DDT+++:",
    "ATT+2++M*F",
    "ATT",
    "MEA+WT++KGM:X",
    "MEA+CT",
    "GEI+4+9",
    "FTX+BAG+++:",
    "EMP+1",
    "NAT",
    "RFF+AVF",
    "RFF+SEA:",
    "DOC++",
    "DOC+P+1",
    "CNT+42",
    "CNT+41+X",
    "PDT+P/+::::Q",
    "UNS+D",
    "XYZ+1",
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_segment_order_gives_a_list_or_a_parse_error(fragments: list[str]) -> None:
    body = "".join(f + "'" for f in fragments)
    try:
        plist = parse(body)
    except ParseError as error:
        reason = error.reason
        assert reason
        return
    assert isinstance(plist, PassengerList)
    assert all(isinstance(p, ApiPerson) for p in plist.persons)
