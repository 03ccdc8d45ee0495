"""Free-text semantics: SSR DOCS/DOCO/DOCA/INFT, contacts, titles, dates, amounts, card fingerprints."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openpiu.formats.text import (
    InfantInfo,
    card_fingerprint,
    clean,
    decode_telex_email,
    find_contacts_in_text,
    parse_amount,
    parse_contact,
    parse_ddmmmyy,
    parse_ddmmyy,
    parse_dob,
    parse_doca,
    parse_doco,
    parse_docs,
    parse_hhmm,
    parse_inft,
    parse_yymmdd,
    resolve_century,
    split_title,
)
from openpiu.model import Address, Contact, ContactKind, Gender, PartialDate

MSG_DATE = date(2013, 5, 20)  # the IG example messages are from May 2013
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def ddmmmyy(value: date) -> str:
    return f"{value.day:02d}{MONTHS[value.month - 1]}{value.year % 100:02d}"


# ------------------------------------------------------------------------------------------------------
# SSR DOCS

DOCS_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "/P/GBR/509229987/GBR/01JUL78/F/12NOV22/BELT/ISABELLE RUTH/",
        {
            "document_type": "P",
            "issuing_state": "GBR",
            "number": "509229987",
            "nationality": "GBR",
            "date_of_birth": PartialDate(1978, 7, 1),
            "gender": Gender.FEMALE,
            "infant": False,
            "expiry": date(2022, 11, 12),
            "surname": "BELT",
            "given_names": "ISABELLE RUTH",
        },
    ),
    (  # infant born in the year before the message; FI = female infant
        "/P/GBR/512731999/GBR/20SEP12/FI/25OCT17/BELT/SOPHY OLIVIA/",
        {"date_of_birth": PartialDate(2012, 9, 20), "gender": Gender.FEMALE, "infant": True},
    ),
    (
        "/P/USA/654321987/USA/15APR12/MI/31DEC19/DYE/ARCHER",
        {"gender": Gender.MALE, "infant": True, "given_names": "ARCHER"},
    ),
    (  # given + middle are joined
        "/P/GBR/123456789/GBR/12JUL64/M/23AUG19/SMITHJR/JONATHON/ROBERT",
        {"date_of_birth": PartialDate(1964, 7, 12), "surname": "SMITHJR", "given_names": "JONATHON ROBERT"},
    ),
    (  # Secure Flight: DOB, gender, names only
        "/////05FEB53/F//DORON/NINA",
        {
            "document_type": None,
            "number": None,
            "issuing_state": None,
            "nationality": None,
            "date_of_birth": PartialDate(1953, 2, 5),
            "gender": Gender.FEMALE,
            "expiry": None,
            "surname": "DORON",
            "given_names": "NINA",
        },
    ),
    (  # leading // (no document type); nationality "0" is not a country
        "//GBR/600634785/0/19JUN59/F/19NOV22/EMMANUEL/LEAH/BRIDGETT",
        {"document_type": None, "issuing_state": "GBR", "number": "600634785", "nationality": None},
    ),
    (
        "////GBR/12JUL64/M//JONES/WILLIAMNEVELL",
        {"nationality": "GBR", "date_of_birth": PartialDate(1964, 7, 12), "given_names": "WILLIAMNEVELL"},
    ),
    (  # a glued title in the DOCS given name is a sender error: dropped
        "//CHN/271351116//26AUG60/F/27MAR17/MUSTAFA/ARIAMMRS/ASMARINA",
        {"issuing_state": "CHN", "nationality": None, "given_names": "ARIAM ASMARINA"},
    ),
    (
        "/P/CO/52263000/CO/30MAY76/F/31OCT15/TESTSURNA MEONE/TESTNAMEONE MRS",
        {"issuing_state": "CO", "surname": "TESTSURNA MEONE", "given_names": "TESTNAMEONE"},
    ),
    (  # missing leading slash
        "P/GBR/1/GBR/01JUL78/F/12NOV22/BELT/ISABELLE",
        {"document_type": "P", "number": "1", "date_of_birth": PartialDate(1978, 7, 1), "surname": "BELT"},
    ),
    (  # broken leading // before the type: fields shifted by one
        "//P/GBR/1/GBR/01JUL78/F/12NOV22/BELT/ISABELLE",
        {"document_type": "P", "issuing_state": "GBR", "gender": Gender.FEMALE, "surname": "BELT"},
    ),
    (  # status and count left in front of the text
        "HK1/P/GBR/1/GBR/01JUL78/F/12NOV22/BELT/ISABELLE",
        {"document_type": "P", "expiry": date(2022, 11, 12), "given_names": "ISABELLE"},
    ),
    (  # type left out without its slash
        "/GBR/1/GBR/01JUL78/F/12NOV22/BELT/ISABELLE",
        {"document_type": None, "issuing_state": "GBR", "number": "1", "surname": "BELT"},
    ),
    (  # trailing junk, lower case codes, spaces in names
        "/p/kr/JR3364288/kr/10SEP72/m/05JUL16/PARK/SE  JOON*",
        {"issuing_state": "KR", "gender": Gender.MALE, "given_names": "SE JOON"},
    ),
    (  # partial DOB (month and year), multi-passenger holder flag
        "/P/GBR/1/GBR/JUL78/M/12NOV22/A/B/C/H",
        {"date_of_birth": PartialDate(1978, 7), "surname": "A", "given_names": "B C"},
    ),
    ("/P/DEU/1/D/1980/X/01JAN20/MUSTER/ERIKA", {"nationality": "D", "date_of_birth": PartialDate(1980)}),
    (
        "/P/GBR/1/GBR/00JUL78/U/12NOV22/A/B",
        {"date_of_birth": PartialDate(1978, 7), "gender": Gender.UNSPECIFIED},
    ),
    (  # bad parts become None
        "/P/GBR/1/GBR/31FEB78/Q/99XYZ99/A/B",
        {"date_of_birth": None, "gender": None, "expiry": None, "surname": "A"},
    ),
    ("", {"surname": None, "date_of_birth": None, "document_type": None}),
    ("garbage without slashes", {"document_type": None, "surname": None}),
]


@pytest.mark.parametrize(("text", "expected"), DOCS_CASES)
def test_parse_docs(text: str, expected: dict[str, Any]) -> None:
    doc = parse_docs(text, reference=MSG_DATE, traveller_ref="2")
    assert doc.source == "DOCS"
    assert doc.raw == text
    assert doc.traveller_ref == "2"
    assert {key: getattr(doc, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("dob", "reference", "expected"),
    [
        ("20SEP12", date(2013, 5, 20), PartialDate(2012, 9, 20)),  # infant: last year, not 1912
        ("12JUL64", date(2013, 5, 20), PartialDate(1964, 7, 12)),
        ("20MAY13", date(2013, 5, 20), PartialDate(2013, 5, 20)),  # born on the message date
        ("21MAY13", date(2013, 5, 20), PartialDate(1913, 5, 21)),  # never in the future
        ("01JAN00", date(2013, 5, 20), PartialDate(2000, 1, 1)),
        ("29FEB00", date(2013, 5, 20), PartialDate(2000, 2, 29)),
        ("05FEB1953", date(2013, 5, 20), PartialDate(1953, 2, 5)),
        ("SEP12", date(2013, 5, 20), PartialDate(2012, 9)),
        ("JUN13", date(2013, 5, 20), PartialDate(1913, 6)),
        ("XXJUN80", date(2013, 5, 20), PartialDate(1980, 6)),
        ("XXXXX80", date(2013, 5, 20), PartialDate(1980)),
        ("64", date(2013, 5, 20), PartialDate(1964)),
        ("1964", date(2013, 5, 20), PartialDate(1964)),
        ("1964-07-12", date(2013, 5, 20), PartialDate(1964, 7, 12)),
        (" 12 JUL 64 ", date(2013, 5, 20), PartialDate(1964, 7, 12)),
        ("32JUL64", date(2013, 5, 20), None),
        ("12ABC64", date(2013, 5, 20), None),
        ("", date(2013, 5, 20), None),
    ],
)
def test_parse_dob(dob: str, reference: date, expected: PartialDate | None) -> None:
    assert parse_dob(dob, reference=reference) == expected


# ------------------------------------------------------------------------------------------------------
# SSR DOCO, DOCA, INFT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            " HERE VA/V/8675309/OTHER PLACE/22DEC06/LI",
            {
                "place_of_birth": "HERE VA",
                "document_type": "V",
                "number": "8675309",
                "place_of_issue": "OTHER PLACE",
                "issued_on": date(2006, 12, 22),
                "applicable_country": "LI",
                "infant": False,
            },
        ),
        (
            "/LONDON GBR/V/ABC 123/WASHINGTON/10JUN13/USA/I",
            {"number": "ABC123", "issued_on": date(1913, 6, 10), "applicable_country": "USA", "infant": True},
        ),
        (
            "//K/123456789///US/extra/fields",
            {"place_of_birth": None, "document_type": "K", "issued_on": None, "applicable_country": "US"},
        ),
        ("", {"document_type": None, "number": None}),
    ],
)
def test_parse_doco(text: str, expected: dict[str, Any]) -> None:
    doc = parse_doco(text, reference=MSG_DATE, traveller_ref="1")
    assert (doc.source, doc.raw, doc.traveller_ref) == ("DOCO", text, "1")
    assert {key: getattr(doc, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/D/AUS/13 SHORE AVENUE/BROADBEACH/QLD/4215",
            Address(
                purpose="destination",
                country="AUS",
                street="13 SHORE AVENUE",
                city="BROADBEACH",
                state="QLD",
                postcode="4215",
                traveller_ref="43577",
                source="DOCA",
            ),
        ),
        (
            "R/US/1 MAIN  ST/BOSTON/MA/02110/I",
            Address(
                purpose="residence",
                country="US",
                street="1 MAIN ST",
                city="BOSTON",
                state="MA",
                postcode="02110",
                traveller_ref="43577",
                source="DOCA",
            ),
        ),
        (
            "//D/AUS//SYDNEY",
            Address(
                purpose="destination", country="AUS", city="SYDNEY", traveller_ref="43577", source="DOCA"
            ),
        ),
        ("", Address(traveller_ref="43577", source="DOCA")),
    ],
)
def test_parse_doca(text: str, expected: Address) -> None:
    assert parse_doca(text, traveller_ref="43577") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BELT/SOPHY 20SEP12", InfantInfo("BELT", "SOPHY", PartialDate(2012, 9, 20))),
        ("DYE/ARCHER 15APR12", InfantInfo("DYE", "ARCHER", PartialDate(2012, 4, 15))),
        (
            "TESTSURNAMETWO/TESTNAMETWO/10AUG11",
            InfantInfo("TESTSURNAMETWO", "TESTNAMETWO", PartialDate(2011, 8, 10)),
        ),
        ("BELT/SOPHY OLIVIA MISS 20SEP12", InfantInfo("BELT", "SOPHY OLIVIA", PartialDate(2012, 9, 20))),
        ("INF/SOPHY/20SEP12", InfantInfo(None, "SOPHY", PartialDate(2012, 9, 20))),
        ("20SEP12 BELT/SOPHY", InfantInfo("BELT", "SOPHY", PartialDate(2012, 9, 20))),
        ("BELT/SOPHY", InfantInfo("BELT", "SOPHY", None)),
        ("BELT/SOPHY 31SEP12", InfantInfo("BELT", "SOPHY", None)),
        ("", None),
        ("   ", None),
        ("/", None),
    ],
)
def test_parse_inft(text: str, expected: InfantInfo | None) -> None:
    assert parse_inft(text, reference=MSG_DATE) == expected


# ------------------------------------------------------------------------------------------------------
# Contacts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KELLY..DIAS//GMAIL.COM", "kelly_dias@gmail.com"),
        ("DAVIDSONR.AT.IATA.ORG", "davidsonr@iata.org"),
        ("DAVIDSONR.AT. IATA.ORG", "davidsonr@iata.org"),
        ("  MOLLY..LOUUNT+50BB//GMAIL.COM  ", "molly_louunt+50bb@gmail.com"),
        ("REUBEN..SERIO//GMAIL.COM*", "reuben_serio@gmail.com"),
        ("kelly.dias@gmail.com", "kelly.dias@gmail.com"),
        ("JOHN.ATKINS//X.COM", "john.atkins@x.com"),  # .AT without the second dot is not @
        ("A.AT.B//C.COM", "a.at.b@c.com"),  # // wins over .AT.
        ("", ""),
    ],
)
def test_decode_telex_email(text: str, expected: str) -> None:
    assert decode_telex_email(text) == expected


def _c(kind: ContactKind, value: str, source: str) -> Contact:
    return Contact(kind, value, "1", source)


@pytest.mark.parametrize(
    ("code", "text", "source", "expected"),
    [
        ("CTCE", "KELLY..DIAS//GMAIL.COM", None, _c(ContactKind.EMAIL, "kelly_dias@gmail.com", "SSR CTCE")),
        (
            "CTCE",
            "/KELLY..DIAS//GMAIL.COM-1",
            None,
            _c(ContactKind.EMAIL, "kelly_dias@gmail.com", "SSR CTCE"),
        ),
        ("CTCE", "YY HK1/KELLY//GMAIL.COM-1.1", None, _c(ContactKind.EMAIL, "kelly@gmail.com", "SSR CTCE")),
        (
            "CTCE",
            "KUAN-YIN..SUI//GMAIL.COM",
            None,
            _c(ContactKind.EMAIL, "kuan-yin_sui@gmail.com", "SSR CTCE"),
        ),
        ("CTCM", "/447777123456-1SMITH/JOHNMR", None, _c(ContactKind.MOBILE, "447777123456", "SSR CTCM")),
        ("CTCM", "+44 7777 123456", None, _c(ContactKind.MOBILE, "+447777123456", "SSR CTCM")),
        ("CTCH", "1234536789*", None, _c(ContactKind.PHONE, "1234536789", "SSR CTCH")),
        ("CTCB", "06-12-34-56-78", None, _c(ContactKind.PHONE, "0612345678", "SSR CTCB")),
        ("CTCP", "MEX52 55 4446 0000 FAX", None, _c(ContactKind.FAX, "525544460000", "SSR CTCP")),
        ("CTCT", "SEA 866 746-4647 CARLSON WAGONLIT", None, _c(ContactKind.PHONE, "8667464647", "SSR CTCT")),
        ("CTCR", "KELLY//GMAIL.COM", None, _c(ContactKind.EMAIL, "kelly@gmail.com", "SSR CTCR")),
        # OSI / IFT forms that repeat the code
        ("OSI", "CTCM 123456789", None, _c(ContactKind.MOBILE, "123456789", "OSI")),
        ("OSI", "CTC M 123456789", None, _c(ContactKind.MOBILE, "123456789", "OSI")),
        ("OSI", "YY CTCM 123456789", "OSI YY", _c(ContactKind.MOBILE, "123456789", "OSI YY")),
        (
            "IFT",
            "CTCE MOLLY..LOUUNT+50BB//GMAIL.COM",
            "IFT",
            _c(ContactKind.EMAIL, "molly_louunt+50bb@gmail.com", "IFT"),
        ),
        ("IFT", "CTCR 00115555555555", "IFT", _c(ContactKind.PHONE, "00115555555555", "IFT")),
        ("IFT", "AM CTCBOG 571-600 5820-A-COTOURIST", "IFT", _c(ContactKind.PHONE, "5716005820", "IFT")),
        ("CTCE", "", None, None),
        ("CTCM", "NONE", None, None),
        ("CTCM", "123", None, None),  # too short for a phone number
        ("CTCR", "PASSENGER REFUSED", None, None),
    ],
)
def test_parse_contact(code: str, text: str, source: str | None, expected: Contact | None) -> None:
    assert parse_contact(code, text, traveller_ref="1", source=source) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EK CTC M 5432109876", (Contact(ContactKind.MOBILE, "5432109876", "3", "ADD"),)),
        ("YY CTCM 123456789", (Contact(ContactKind.MOBILE, "123456789", "3", "ADD"),)),
        (
            "AM CTCH MEX01 81 8336 6900 H CTCE A..B//X.COM ctcm 0044 1234 5678 CTCM 0044 1234 5678",
            (
                Contact(ContactKind.PHONE, "018183366900", "3", "ADD"),
                Contact(ContactKind.EMAIL, "a_b@x.com", "3", "ADD"),
                Contact(ContactKind.MOBILE, "004412345678", "3", "ADD"),
            ),
        ),
        ("THIS PASSENGER IS A VIP", ()),
        ("DISCOUNT CTCX", ()),
        ("JOHN.CTCM//X.COM", ()),  # CTC inside an e-mail address is not an item
        ("", ()),
    ],
)
def test_find_contacts_in_text(text: str, expected: tuple[Contact, ...]) -> None:
    assert find_contacts_in_text(text, traveller_ref="3", source="ADD") == expected


# ------------------------------------------------------------------------------------------------------
# Titles


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ISABELLE MRS", ("ISABELLE", "MRS")),
        ("JOHNMR", ("JOHN", "MR")),
        ("KELLYMRS", ("KELLY", "MRS")),
        ("YORDAMRS", ("YORDA", "MRS")),
        ("NINA MS", ("NINA", "MS")),
        ("LISALMS", ("LISAL", "MS")),
        ("MOANMISS", ("MOAN", "MISS")),
        ("JOHNMSTR", ("JOHN", "MSTR")),
        ("KUAN-YINMR", ("KUAN-YIN", "MR")),
        ("JOHN PAULMR", ("JOHN PAUL", "MR")),
        ("JOHN  MSTR CHD", ("JOHN", "MSTR CHD")),
        ("ISABELLE MRS.", ("ISABELLE", "MRS")),
        ("DR JOHN", ("JOHN", "DR")),
        ("JOHN DR", ("JOHN", "DR")),
        ("JOHN PROF", ("JOHN", "PROF")),
        ("isabelle mrs", ("isabelle", "MRS")),
        ("MSTR", (None, "MSTR")),
        ("DR", (None, "DR")),
        ("PROF", (None, "PROF")),
        ("CHD", (None, "CHD")),
        ("MISS", (None, "MISS")),
        # no title: unchanged
        ("WILLIAMNEVELL", ("WILLIAMNEVELL", None)),
        ("WILLIAMS", ("WILLIAMS", None)),
        ("ALEXANDR", ("ALEXANDR", None)),  # glued DR is never stripped
        ("YASIR", ("YASIR", None)),  # nor SIR
        ("AMR", ("AMR", None)),  # too little left for MR
        ("SEMS", ("SEMS", None)),  # too little left for MS
        ("XMRS", ("XMRS", None)),
        ("SE JOON", ("SE JOON", None)),
        ("  ", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_title(given: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_title(given) == expected


# ------------------------------------------------------------------------------------------------------
# Dates and times


@pytest.mark.parametrize(
    ("yy", "reference", "past", "expected"),
    [
        (12, date(2013, 5, 20), True, 2012),
        (13, date(2013, 5, 20), True, 2013),
        (14, date(2013, 5, 20), True, 1914),
        (64, date(2013, 5, 20), True, 1964),
        (17, date(2013, 5, 20), False, 2017),
        (43, date(2013, 5, 20), False, 2043),
        (93, date(2013, 5, 20), False, 1993),  # expired twenty years ago
        (0, date(2099, 1, 1), False, 2100),
        (1999, date(2013, 5, 20), True, 1999),  # already a full year
    ],
)
def test_resolve_century(yy: int, reference: date, past: bool, expected: int) -> None:
    assert resolve_century(yy, reference=reference, past=past) == expected


@pytest.mark.parametrize(
    ("text", "past", "expected"),
    [
        ("25OCT17", False, date(2017, 10, 25)),
        ("22DEC06", True, date(2006, 12, 22)),
        ("5FEB53", True, date(1953, 2, 5)),
        ("20SEP2012", True, date(2012, 9, 20)),
        (" 20 sep 12 ", True, date(2012, 9, 20)),
        ("27MAY", False, date(2013, 5, 27)),
        ("02JAN", False, date(2013, 1, 2)),  # nearest: 138 days back, not 227 ahead
        ("27MAY", True, date(2012, 5, 27)),  # past: the last occurrence not after the reference
        ("29FEB", False, date(2012, 2, 29)),
        ("31FEB13", False, None),
        ("20XYZ12", False, None),
        ("2013-05-20", False, None),
        ("", False, None),
    ],
)
def test_parse_ddmmmyy(text: str, past: bool, expected: date | None) -> None:
    assert parse_ddmmmyy(text, reference=MSG_DATE, past=past) == expected


def test_ddmmm_without_year_can_be_next_year() -> None:
    assert parse_ddmmmyy("02JAN", reference=date(2013, 12, 20), past=False) == date(2014, 1, 2)
    assert parse_ddmmmyy("02JAN", reference=date(2013, 12, 20), past=True) == date(2013, 1, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("270513", date(2013, 5, 27)),
        (" 061210 ", date(2010, 12, 6)),
        ("27052013", date(2013, 5, 27)),
        ("010170", date(1970, 1, 1)),  # POSIX pivot without a reference
        ("320513", None),
        ("2705", None),
        ("27O513", None),
        ("٢٧٠٥١٣", None),  # other scripts' digits are not digits here
        ("", None),
    ],
)
def test_parse_ddmmyy(text: str, expected: date | None) -> None:
    assert parse_ddmmyy(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("130621", date(2013, 6, 21)),
        (" 1306212200", date(2013, 6, 21)),  # IG copy with a stray space; date part of YYMMDDHHMM
        ("20130621", date(2013, 6, 21)),
        ("201306212200", date(2013, 6, 21)),
        ("131321", None),
        ("1306", None),
    ],
)
def test_parse_yymmdd(text: str, expected: date | None) -> None:
    assert parse_yymmdd(text) == expected


def test_numeric_dates_with_reference() -> None:
    assert parse_yymmdd("640712") == date(2064, 7, 12)  # pivot: fine for flights, wrong for a DOB ...
    assert parse_yymmdd("640712", reference=MSG_DATE, past=True) == date(1964, 7, 12)  # ... so pass one
    assert parse_yymmdd("120920", reference=MSG_DATE, past=True) == date(2012, 9, 20)
    assert parse_yymmdd("250101", reference=MSG_DATE, past=False) == date(2025, 1, 1)
    assert parse_ddmmyy("120764", reference=MSG_DATE, past=True) == date(1964, 7, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1430", time(14, 30)),
        (" 0439", time(4, 39)),
        ("0439Z", time(4, 39)),
        ("14:30", time(14, 30)),
        ("930", time(9, 30)),
        ("143015", time(14, 30, 15)),
        ("2400", None),
        ("1260", None),
        ("14", None),
        ("", None),
        ("AB12", None),
    ],
)
def test_parse_hhmm(text: str, expected: time | None) -> None:
    assert parse_hhmm(text) == expected


# ------------------------------------------------------------------------------------------------------
# Payment, amounts, clean


def test_card_fingerprint_hashes_complete_numbers_only() -> None:
    key = b"secret"
    expected = hmac.new(key, b"373212341234123", hashlib.sha256).hexdigest()
    assert card_fingerprint("373212341234123", key) == (expected, "4123")
    assert card_fingerprint("3732 1234-1234 123", key) == (expected, "4123")
    assert card_fingerprint("370266XXXXX0074", key) == (None, "0074")  # masked
    assert card_fingerprint("3717********0276", key) == (None, "0276")
    assert card_fingerprint("373212341234123", None) == (None, "4123")  # no key
    assert card_fingerprint("373212341234123", b"") == (None, "4123")
    assert card_fingerprint("12341234123", key) == (None, "4123")  # 11 digits: not a card number
    assert card_fingerprint("37321234123412X", key) == (None, None)
    assert card_fingerprint("", key) == (None, None)
    assert card_fingerprint(None, key) == (None, None)
    assert card_fingerprint("373212341234123", b"other")[0] != expected


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("416.00", ".", Decimal("416.00")),
        (" 1 999.99 ", ".", Decimal("1999.99")),
        ("416,00", ".", Decimal("416.00")),  # undeclared comma as decimal mark
        ("1,234", ".", Decimal("1234")),
        ("1,234.50", ".", Decimal("1234.50")),
        ("1.234,50", ",", Decimal("1234.50")),
        ("416,00", ",", Decimal("416.00")),
        ("100#00", "#", Decimal("100.00")),
        ("-3.10", ".", Decimal("-3.10")),
        (".5", ".", Decimal("0.5")),
        ("NaN", ".", None),
        ("Infinity", ".", None),
        ("1.2.3", ".", None),
        ("USD", ".", None),
        ("", ".", None),
        (None, ".", None),
    ],
)
def test_parse_amount(text: str | None, mark: str, expected: Decimal | None) -> None:
    assert parse_amount(text, decimal_mark=mark) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("  A   B  ", "A B"), ("A\tB\nC", "A B C"), ("", None), ("   ", None), (None, None), ("X", "X")],
)
def test_clean(text: str | None, expected: str | None) -> None:
    assert clean(text) == expected


# ------------------------------------------------------------------------------------------------------
# Real sample messages


@pytest.mark.shared
def test_every_sample_docs_yields_a_name_and_a_date_of_birth(shared_dir: Path) -> None:
    """Every SSR DOCS in the public samples gives at least a surname and a date of birth."""
    pattern = re.compile(r"SSR\+DOCS(?::[^:+'\n]*){7}:([^+'\n]*)")
    texts = {
        match.group(1)
        for path in sorted((shared_dir / "samples").rglob("*"))
        if path.is_file() and path.suffix in {".edi", ".txt"}
        for match in pattern.finditer(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert len(texts) > 100
    for text in texts:
        doc = parse_docs(text, reference=MSG_DATE)
        assert doc.surname, text
        assert doc.date_of_birth is not None, text
        assert doc.gender is not None, text


# ------------------------------------------------------------------------------------------------------
# Properties

TELEX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/ .-+*:@'?MIFX"
texts = st.one_of(st.text(max_size=80), st.text(alphabet=TELEX, max_size=80))
references = st.dates()


@given(text=texts, reference=references, key=st.one_of(st.none(), st.binary(max_size=8)))
def test_no_function_raises_on_arbitrary_text(text: str, reference: date, key: bytes | None) -> None:
    parse_docs(text, reference=reference)
    parse_doco(text, reference=reference)
    parse_doca(text)
    parse_inft(text, reference=reference)
    parse_dob(text, reference=reference)
    decode_telex_email(text)
    for code in ("CTCE", "CTCM", "CTCH", "CTCR", "OSI", "", text[:4]):
        parse_contact(code, text)
    find_contacts_in_text(text)
    split_title(text)
    parse_ddmmyy(text)
    parse_ddmmyy(text, reference=reference, past=True)
    parse_yymmdd(text)
    parse_yymmdd(text, reference=reference, past=False)
    parse_hhmm(text)
    parse_ddmmmyy(text, reference=reference, past=True)
    parse_ddmmmyy(text, reference=reference, past=False)
    card_fingerprint(text, key)
    parse_amount(text)
    parse_amount(text, decimal_mark=",")
    clean(text)


@given(day=st.dates(min_value=date(1, 1, 1)))
def test_dates_round_trip_against_their_own_date(day: date) -> None:
    yy = f"{day.year % 100:02d}"
    assert parse_ddmmyy(f"{day.day:02d}{day.month:02d}{yy}", reference=day, past=True) == day
    assert parse_yymmdd(f"{yy}{day.month:02d}{day.day:02d}", reference=day, past=False) == day
    assert parse_ddmmmyy(ddmmmyy(day), reference=day, past=True) == day
    assert parse_ddmmmyy(ddmmmyy(day), reference=day, past=False) == day
    assert parse_yymmdd(f"{day.year:04d}{day.month:02d}{day.day:02d}") == day
    assert parse_ddmmyy(f"{day.day:02d}{day.month:02d}{day.year:04d}") == day


@given(
    born=st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)),
    days_later=st.integers(min_value=0, max_value=36_000),  # under 100 years
)
def test_date_of_birth_resolves_into_the_century_before_the_message(born: date, days_later: int) -> None:
    reference = born + timedelta(days=days_later)
    assert parse_dob(ddmmmyy(born), reference=reference) == PartialDate.of(born)
    assert parse_yymmdd(born.strftime("%y%m%d"), reference=reference, past=True) == born


@given(
    reference=st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31)),
    years=st.integers(min_value=-20, max_value=30),
    day_of_year=st.integers(min_value=0, max_value=364),
)
def test_expiry_resolves_near_the_message(reference: date, years: int, day_of_year: int) -> None:
    expiry = date(reference.year + years, 1, 1) + timedelta(days=day_of_year)
    assert parse_ddmmmyy(ddmmmyy(expiry), reference=reference, past=False) == expiry


# Without D F M P R S no name ends in a title spelling or is a title itself (DR, INF, CAPT ...).
names = st.text(alphabet="ABCEGHIJKLNOQTUVWXYZ", min_size=2, max_size=12)
countries = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=3)


docs_fields = st.fixed_dictionaries(
    {
        "doc_type": st.sampled_from(["P", "I", "A", "C", "IP"]),
        "issuing": countries,
        "number": st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=1, max_size=12),
        "nationality": countries,
        "born": st.dates(min_value=date(1914, 1, 1), max_value=MSG_DATE),
        "gender": st.sampled_from(["M", "F", "U", "X", "MI", "FI"]),
        "expiry": st.dates(min_value=date(1994, 1, 1), max_value=date(2043, 12, 31)),
        "surname": names,
        "given": names,
        "middle": st.one_of(st.just(""), names),
    }
)


@given(fields=docs_fields)
def test_docs_round_trip(fields: dict[str, Any]) -> None:
    f = fields
    text = (
        f"/{f['doc_type']}/{f['issuing']}/{f['number']}/{f['nationality']}/{ddmmmyy(f['born'])}/{f['gender']}"
        f"/{ddmmmyy(f['expiry'])}/{f['surname']}/{f['given']}/{f['middle']}"
    )
    doc = parse_docs(text, reference=MSG_DATE)
    assert (doc.document_type, doc.issuing_state, doc.number, doc.nationality) == (
        f["doc_type"],
        f["issuing"],
        f["number"],
        f["nationality"],
    )
    assert doc.date_of_birth == PartialDate.of(f["born"])
    assert doc.gender == Gender(f["gender"][0])
    assert doc.infant is f["gender"].endswith("I")
    assert doc.expiry == f["expiry"]
    assert doc.surname == f["surname"]
    assert doc.given_names == (f"{f['given']} {f['middle']}" if f["middle"] else f["given"])


@given(name=names, title=st.sampled_from(["MR", "MRS", "MS", "MISS", "MSTR", "DR", "PROF", "CAPT"]))
def test_split_title_separates_what_was_joined(name: str, title: str) -> None:
    assert split_title(f"{name} {title}") == (name, title)
    if title in ("MRS", "MISS", "MSTR") or (title in ("MR", "MS") and len(name) >= 3):
        assert split_title(f"{name}{title}") == (name, title)
    assert split_title(name) == (name, None)


@given(text=texts)
def test_split_title_loses_no_letters(text: str) -> None:
    name, title = split_title(text)
    before = sorted((clean(text) or "").upper().replace(" ", "").replace(".", ""))
    after = sorted(((name or "") + (title or "")).upper().replace(" ", "").replace(".", ""))
    assert after == before


@given(text=texts)
def test_decoded_email_is_normal_and_stable(text: str) -> None:
    decoded = decode_telex_email(text)
    assert decoded == decoded.lower()
    assert "//" not in decoded
    assert not any(c.isspace() for c in decoded)
    assert decode_telex_email(decoded) == decoded


@given(digits=st.text(alphabet="0123456789", min_size=4, max_size=19), key=st.binary(min_size=1, max_size=16))
def test_card_fingerprint_ignores_formatting(digits: str, key: bytes) -> None:
    digest, last4 = card_fingerprint(digits, key)
    assert last4 == digits[-4:]
    assert (digest is not None) is (12 <= len(digits) <= 19)
    spaced = " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    assert card_fingerprint(spaced, key) == (digest, last4)
    assert card_fingerprint("XXXX" + digits, key) == (None, last4)


@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9)
)
def test_amount_round_trips(amount: Decimal) -> None:
    text = format(amount, "f")
    assert parse_amount(text) == amount
    assert parse_amount(text.replace(".", ","), decimal_mark=",") == amount


@given(moment=st.times())
def test_hhmm_round_trips(moment: time) -> None:
    assert parse_hhmm(moment.strftime("%H%M")) == moment.replace(second=0, microsecond=0)


@given(text=texts)
def test_clean_is_idempotent(text: str) -> None:
    once = clean(text)
    assert clean(once) == once
    assert once is None or ("  " not in once and once == once.strip())
