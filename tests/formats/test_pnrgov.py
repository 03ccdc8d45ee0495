"""PNRGOV (EDIFACT) parser: sample corpus counts and every segment and quirk of message-formats.md 2 and 5.

Synthetic snippets use fictional names. The sample corpus counts come from sample_manifest.json (the
samples README's tables).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from openpiu.formats.edifact import read_interchanges
from openpiu.formats.errors import ParseError
from openpiu.formats.pnrgov import parse_pnrgov
from openpiu.model import ContactKind, Gender, PartialDate, PnrPush, TravellerType

MANIFEST = json.loads((Path(__file__).resolve().parent / "sample_manifest.json").read_text(encoding="utf-8"))
PNRGOV_FILES = sorted(name for name, entry in MANIFEST["files"].items() if entry["type"] == "PNRGOV")
IG_EXAMPLE = "jetway/pnrgov_test_guideExample1_IG14.1_AppendixB_ex1.edi"

HEAD = "MSG+:22'ORG+XX:AAA'TVL+010625:1000:010625:1200+LHR+JFK+XX+100'EQN+1'"


def push(body: str, *, head: str = HEAD, card_key: bytes | None = None, una: str = "") -> PnrPush:
    """Wrap `body` (segments after the level-0 head) in an interchange and parse its one message."""
    text = f"{una}UNB+IATA:1+XX+ZZ+250520:0900+1'UNH+1+PNRGOV:13:1:IA+REF1'{head}{body}UNT+99+1'UNZ+1+1'"
    messages = [m for ic in read_interchanges(text.encode()) for m in ic.messages]
    assert len(messages) == 1
    return parse_pnrgov(messages[0], card_key=card_key)


def sample_pushes(shared_dir: Path, name: str) -> list[PnrPush]:
    data = (shared_dir / "samples" / name).read_bytes()
    return [parse_pnrgov(m) for ic in read_interchanges(data, source=name) for m in ic.messages]


# --------------------------------------------------------------------------------------------------------
# The sample corpus


@pytest.mark.shared
@pytest.mark.parametrize("name", PNRGOV_FILES)
def test_sample_counts(shared_dir: Path, name: str) -> None:
    expected = MANIFEST["files"][name]
    pushes = sample_pushes(shared_dir, name)
    bookings = [b for p in pushes for b in p.bookings]
    travellers = [t for b in bookings for t in b.travellers]
    assert len(bookings) == expected["bookings"]
    assert len(travellers) == expected["travellers"]
    assert sum(t.type is TravellerType.INFANT for t in travellers) == expected["infants"]
    assert sum(t.placeholder for t in travellers) == expected["placeholders"]
    assert sum(b.group_name is not None for b in bookings) == expected["group_names"]


@pytest.mark.shared
def test_sample_totals(shared_dir: Path) -> None:
    assert len(PNRGOV_FILES) == 34
    assert len(MANIFEST["files"]) == 45
    bookings = [b for name in PNRGOV_FILES for p in sample_pushes(shared_dir, name) for b in p.bookings]
    travellers = [t for b in bookings for t in b.travellers]
    assert (len(bookings), len(travellers)) == (214, 435)
    assert sum(t.type is TravellerType.INFANT for t in travellers) == 4
    assert sum(t.placeholder for t in travellers) == 6
    assert sum(b.group_name is not None for b in bookings) == 1
    # nobody is dropped for lacking a document, and every traveller has a surname
    assert all(t.surname for t in travellers)


@pytest.mark.shared
def test_ig_example_values(shared_dir: Path) -> None:
    (p,) = sample_pushes(shared_dir, IG_EXAMPLE)
    assert p.function == "22"
    assert p.flight is not None
    assert p.flight.designator == "SQ602"
    assert p.flight.departure is not None
    assert p.flight.departure.local == datetime(2013, 5, 27, 14, 30)
    assert p.flight.departure.zone == "Asia/Singapore"
    assert p.sender_system is not None
    assert p.sender_system.system == "1A"
    (b,) = p.bookings
    assert b.locator == "3PGZOV"
    assert b.created_at == datetime(2013, 3, 19, 13, 54, tzinfo=UTC)
    assert b.last_changed_at == datetime(2013, 5, 27, 5, 59, tzinfo=UTC)
    assert b.office is not None
    assert b.office.office_id == "SINSQ08AA"
    assert b.office.agent_type == "A"
    adult, infant = b.travellers
    assert (adult.surname, adult.given_names, adult.title) == ("BELT", "ISABELLE", "MRS")
    assert (adult.type, adult.ref, adult.accompanied_by_infant) == (TravellerType.ADULT, "2", True)
    assert adult.unique_id == "001C451486DFF0CC"
    assert adult.date_of_birth == PartialDate(1978, 7, 1)
    assert adult.gender is Gender.FEMALE
    assert [d.number for d in adult.documents] == ["509229987"]
    assert adult.frequent_flyers[0].number == "8794285757"
    assert (infant.given_names, infant.type, infant.ref, infant.infant_of) == (
        "SOPHY",
        TravellerType.INFANT,
        "3",
        "2",
    )
    assert infant.date_of_birth == PartialDate(2012, 9, 20)
    assert [d.number for d in infant.documents] == ["512731999"]  # seen in Gr.2 and Gr.5, kept once
    assert infant.documents[0].infant
    assert infant.gender is Gender.FEMALE
    (segment,) = b.segments
    assert segment.booking_class == "D"
    assert segment.status == "HK"
    assert segment.equipment == "333"
    first, second = segment.check_ins
    assert (first.traveller_ref, first.sequence, first.seat, first.cabin) == ("2", "SIN-168", "011D", "J")
    assert first.agent == "SQ"
    assert first.baggage is not None
    assert (first.baggage.count, first.baggage.weight, first.baggage.unit) == (3, 33, "kg")
    assert first.baggage.pool == "HP"
    assert [t.tag for t in first.baggage.tags] == ["0123456789", "0123456788", "0123456787"]
    assert first.baggage.tags[0].carrier == "618"
    assert first.baggage.tags[0].destination == "ICN"
    assert (second.traveller_ref, second.sequence, second.seat) == ("3", "SIN-169", "011D")
    assert [h.source for h in b.history] == ["LTS"]


@pytest.mark.shared
def test_missing_terminator_sample(shared_dir: Path) -> None:
    (p,) = sample_pushes(shared_dir, "gtas/pnrMessagePg75.txt")
    assert [len(b.travellers) for b in p.bookings] == [1, 1]
    kim = p.bookings[1].travellers[0]
    assert (kim.surname, kim.title, kim.ref) == ("KIM", "MRS", "3")
    assert p.bookings[1].office is not None
    assert p.bookings[1].office.agent_sign == "HJGS"
    assert any(w.code == "missing-terminator" for w in p.warnings)


@pytest.mark.shared
def test_no_level0_msg_or_org(shared_dir: Path) -> None:
    (p,) = sample_pushes(shared_dir, "gtas/pnrNoOrgMsg.txt")
    assert p.function is None
    assert p.sender_system is None
    assert p.flight is not None
    assert p.flight.origin == "FRA"
    assert len(p.bookings[0].travellers) == 1


@pytest.mark.shared
def test_bags_sample_checkins_are_not_travellers(shared_dir: Path) -> None:
    (p,) = sample_pushes(shared_dir, "gtas/pnrWithBags.txt")
    assert sum(len(b.travellers) for b in p.bookings) == 268
    checkins = [c for b in p.bookings for s in b.segments for c in s.check_ins]
    assert len(checkins) > 268
    assert all(c.traveller_ref for c in checkins)
    assert p.declared_bookings == 1
    assert any(w.code == "eqn-count" for w in p.warnings)


# --------------------------------------------------------------------------------------------------------
# Level 0, bookings, functions


def test_level0_and_booking_basics() -> None:
    p = push(
        "SRC'RCI+XX:ABC123::120525:1530+YY:DEF456'DAT+700:150525:2140+710:160525:1200'"
        "ORG+1A:MUC+12345678:OFFICE1+MUC+XX:MUC+T+DE:EUR+AGT1'"
        "TIF+TESTER+ANNA MS:A:1'"
    )
    assert p.function == "22"
    assert p.declared_bookings == 1
    assert p.flight is not None
    assert p.flight.designator == "XX100"
    assert p.flight.arrival is not None
    assert p.flight.arrival.local == datetime(2025, 6, 1, 12, 0)
    (b,) = p.bookings
    assert b.locator == "ABC123"
    assert [(loc.system, loc.locator) for loc in b.locators] == [("XX", "ABC123"), ("YY", "DEF456")]
    assert b.created_at == datetime(2025, 5, 12, 15, 30, tzinfo=UTC)
    assert b.last_changed_at == datetime(2025, 5, 15, 21, 40, tzinfo=UTC)
    assert b.ticketed_at == datetime(2025, 5, 16, 12, 0, tzinfo=UTC)
    assert b.office is not None
    assert (b.office.iata_number, b.office.office_id, b.office.agent_type) == ("12345678", "OFFICE1", "T")
    assert (b.office.country, b.office.currency, b.office.agent_sign) == ("DE", "EUR", "AGT1")
    (t,) = b.travellers
    assert (t.surname, t.given_names, t.title, t.ref) == ("TESTER", "ANNA", "MS", "1")


def test_update_push_with_empty_org_is_cancelled() -> None:
    head = HEAD.replace("MSG+:22", "MSG+:141")
    p = push("SRC'RCI+XX:AAA111'ORG'TIF+TESTER+ANNA:A:1'SRC'RCI+XX:BBB222'ORG+XX:LON'", head=head)
    assert p.function == "141"
    assert [b.cancelled for b in p.bookings] == [True, False]
    full = push("SRC'RCI+XX:AAA111'ORG'")
    assert full.bookings[0].cancelled is False


def test_rci_date_in_wrong_component() -> None:
    p = push("SRC'RCI+UA:7C789A:230818:1220'")
    (loc,) = p.bookings[0].locators
    assert loc.locator == "7C789A"
    assert loc.kind is None
    assert loc.created_at == datetime(2018, 8, 23, 12, 20, tzinfo=UTC)
    assert any(w.code == "rci-date-position" for w in p.warnings)


def test_rci_time_with_seconds() -> None:
    p = push("SRC'RCI+TZ:W9TEND::230525:181348'")
    assert p.bookings[0].created_at == datetime(2025, 5, 23, 18, 13, 48, tzinfo=UTC)


def test_empty_push_and_not_pnrgov() -> None:
    p = push("", head="MSG+:22'ORG+XX'TVL+010625:1000+LHR+JFK+XX+100'EQN+0'")
    assert p.bookings == ()
    assert p.declared_bookings == 0
    data = b"UNB+UNOA:4+X+Y+250101:1000+1'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'UNT+3+1'UNZ+1+1'"
    message = read_interchanges(data)[0].messages[0]
    with pytest.raises(ParseError):
        parse_pnrgov(message)


# --------------------------------------------------------------------------------------------------------
# Travellers


def test_glued_titles_and_types() -> None:
    p = push(
        "SRC'TIF+TESTERA+YORDAMRS:A:1'TIF+TESTERB+JOHNMR:A:2'TIF+TESTERB+KID:C:3'"
        "TIF+YY+MOANMISS:A:4'TIF+PARKS:I+SEJOONMR::5'"
    )
    travellers = p.bookings[0].travellers
    assert [(t.given_names, t.title) for t in travellers] == [
        ("YORDA", "MRS"),
        ("JOHN", "MR"),
        ("KID", None),
        ("MOAN", "MISS"),
        ("SEJOON", "MR"),
    ]
    assert [t.type for t in travellers] == [
        TravellerType.ADULT,
        TravellerType.ADULT,
        TravellerType.CHILD,
        TravellerType.ADULT,
        TravellerType.ADULT,
    ]
    assert travellers[0].raw_name == "TESTERA/YORDAMRS"


def test_group_name_and_tba_placeholders() -> None:
    p = push(
        "SRC'RCI+XX:GRP001'TIF+FICTION TEAM PARTY:G'TIF+TESTER+ANNA MS:A:1'"
        "TIF+TBA+A:A:2'TIF+TBA+B:A:3'TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'RPI+9+HK'"
    )
    (b,) = p.bookings
    assert b.group_name == "FICTION TEAM PARTY"
    assert [t.surname for t in b.travellers] == ["TESTER", "TBA", "TBA"]
    assert [t.placeholder for t in b.travellers] == [False, True, True]
    assert b.segments[0].party_size == 9  # RPI counts seats, not named people


def test_infant_by_reference_suffix() -> None:
    p = push(
        "SRC'TIF+TESTER+MARIAMS:A:43578:1'TIF+TESTER+ARCHIE:IN:43578I'"
        "SSR+DOCS:HK:1:XX:::::/P/USA/654321987/USA/15APR24/MI/31DEC29/TESTER/ARCHIE+::43578I'"
    )
    adult, infant = p.bookings[0].travellers
    assert adult.accompanied_by_infant
    assert infant.infant_of == "43578"
    assert infant.date_of_birth == PartialDate(2024, 4, 15)
    assert infant.gender is Gender.MALE


def test_infant_by_inft_and_flag_with_docs_under_adult() -> None:
    p = push(
        "SRC'TIF+TESTER+LINA MRS:A:2:1'"
        "SSR+DOCS:HK:1:XX:::::/P/GBR/500000001/GBR/20SEP24/FI/25OCT29/TESTER/NORA MAE/'"
        "SSR+DOCS:HK:1:XX:::::/P/GBR/500000002/GBR/01JUL88/F/12NOV29/TESTER/LINA/'"
        "TIF+TESTER+NORA:IN:3'"
        "TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'"
        "SSR+INFT:HK:1:XX:::LHR:JFK:TESTER/NORA 20SEP24+::2'"
    )
    adult, infant = p.bookings[0].travellers
    assert infant.infant_of == "2"
    assert [d.number for d in adult.documents] == ["500000002"]
    assert [d.number for d in infant.documents] == ["500000001"]
    assert infant.date_of_birth == PartialDate(2024, 9, 20)
    assert adult.date_of_birth == PartialDate(1988, 7, 1)


def test_infant_dob_from_inft_when_no_docs() -> None:
    p = push(
        "SRC'TIF+TESTER+LINA:A:1:1'TIF+TESTER+NORA:IN:2'"
        "TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'SSR+INFT:HK:1:XX:::LHR:JFK:TESTER/NORA 03JAN25+::1'"
    )
    infant = p.bookings[0].travellers[1]
    assert infant.infant_of == "1"
    assert infant.date_of_birth == PartialDate(2025, 1, 3)


def test_traveller_items() -> None:
    p = push(
        "SRC'TIF+TESTER+ANNA MS:A:1'FTI+XX:123456789:::GOLD'IFT+4:28::XX+CTCE ANNA..TESTER//EXAMPLE.COM'"
        "REF+:UID0001'EBD+EUR:50.00+1::N'FAR+N+++++YFLEX'"
        "SSR+DOCA:HK:1:XX:::::/R/DEU/1 TESTSTRASSE/BERLIN//10115+::1'"
        "SSR+DOCO:HK:1:XX:::::/BERLIN/V/VIS12345/BERLIN/01JAN24/USA+::1'"
        "SSR+CTCM:HK:1:XX:::::/491701234567-1+::1'SSR+FQTV:HK:1:XX:::::/XX987654321-TESTER/ANNA+::1'"
        "ADD++702:2 TEST ROAD:LONDON::::SW1A1AA'"
    )
    (t,) = p.bookings[0].travellers
    assert t.unique_id == "UID0001"
    assert t.fare_basis == ("YFLEX",)
    assert t.frequent_flyers[0].tier == "GOLD"
    assert {f.number for f in t.frequent_flyers} == {"123456789", "987654321"}
    assert t.excess_baggage[0].amount is not None
    assert t.excess_baggage[0].amount.amount == Decimal("50.00")
    assert t.excess_baggage[0].pieces == 1
    kinds = {(c.kind, c.value) for c in t.contacts}
    assert (ContactKind.EMAIL, "anna_tester@example.com") in kinds
    assert (ContactKind.MOBILE, "491701234567") in kinds
    assert {a.purpose for a in t.addresses} == {"residence", "702"}
    assert [d.source for d in t.documents] == ["DOCO"]
    assert t.documents[0].number == "VIS12345"
    assert t.documents[0].applicable_country == "USA"
    assert {s.code for s in t.services} == {"DOCA", "DOCO", "CTCM", "FQTV"}
    assert t.remarks[0].kind == "28"
    assert t.remarks[0].carrier == "XX"


def test_ticket_and_payment() -> None:
    key = b"secret"
    p = push(
        "SRC'TIF+TESTER+ANNA:A:1'TKT+1251234567890:T:1'MON+B:100.00:EUR+T:130.50:EUR'"
        "PTK+NR++150625:2200+XX+125+LON'TXD++10.25:::GB+20.25:::UB'DAT+710:150525:1000'"
        "FOP+CC::130.50:VI:4111111111111111:1228'IFT+4:43+ANNA TESTER+1 TEST ROAD LONDON+441234567890'",
        card_key=key,
    )
    (b,) = p.bookings
    (tk,) = b.travellers[0].tickets
    assert (tk.number, tk.kind, tk.booklets) == ("1251234567890", "T", 1)
    assert tk.issued_on == date(2025, 5, 15)
    assert tk.base_fare is not None
    assert tk.base_fare.amount == Decimal("100.00")
    assert tk.total_fare is not None
    assert tk.total_fare.currency == "EUR"
    assert [t.code for t in tk.taxes] == ["GB", "UB"]
    assert tk.non_refundable
    assert tk.validating_carrier == "XX"
    assert tk.issue_location == "LON"
    (pay,) = tk.payments
    assert b.payments == (pay,)
    assert (pay.form, pay.vendor, pay.card_last4, pay.card_expiry) == ("CC", "VI", "1111", "1228")
    assert pay.card_hash is not None
    assert "4111111111111111" not in repr(p)
    assert pay.payer_name == "ANNA TESTER"
    assert pay.payer_phone == "441234567890"
    assert pay.traveller_ref == "1"


def test_masked_card_keeps_last4_only() -> None:
    p = push("SRC'TIF+TESTER+ANNA:A:1'TKT+123:T'FOP+CC::10.00:AX:XXXXXXXXXXX1234:0827'")
    (pay,) = p.bookings[0].payments
    assert pay.card_hash is None
    assert pay.card_last4 == "1234"


# --------------------------------------------------------------------------------------------------------
# DOCS at every level


def test_docs_at_three_levels_linked_and_deduplicated() -> None:
    docs_a = "/P/FRA/11AA22BB3/FRA/02FEB90/F/03MAR30/TESTER/ANNA"
    docs_b = "/P/ITA/YA0000001/ITA/04APR85/M/05MAY31/TESTER/BRUNO"
    p = push(
        f"SRC'SSR+DOCS:HK:1:XX:::::{docs_b}+::2'"
        f"TIF+TESTER+ANNA:A:1'SSR+DOCS:HK:1:XX:::::{docs_a}'TIF+TESTER+BRUNO:A:2'"
        f"TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'SSR+DOCS:HK:1:XX:::LHR:JFK:{docs_a}+::1'"
    )
    anna, bruno = p.bookings[0].travellers
    assert [d.number for d in anna.documents] == ["11AA22BB3"]
    assert [d.number for d in bruno.documents] == ["YA0000001"]
    assert bruno.documents[0].traveller_ref == "2"
    assert bruno.date_of_birth == PartialDate(1985, 4, 4)
    assert bruno.gender is Gender.MALE


def test_docs_without_reference_linked_by_name() -> None:
    p = push(
        "SRC'SSR+DOCS:HK:1:XX:::::/P/FRA/123/FRA/02FEB90/F/03MAR30/TESTER/CLARA MARIE'"
        "TIF+TESTER+CLARA:A:1'TIF+OTHERNAME+DAN:A:2'"
    )
    clara, dan = p.bookings[0].travellers
    assert [d.number for d in clara.documents] == ["123"]
    assert dan.documents == ()


def test_unlinkable_docs_stay_on_booking_with_warning() -> None:
    p = push("SRC'SSR+DOCS:HK:1:XX:::::/P/FRA/123/FRA/02FEB90/F/03MAR30/NOBODY/KNOWN'TIF+TESTER+ANNA:A:1'")
    (b,) = p.bookings
    assert b.travellers[0].documents == ()
    assert [s.code for s in b.services] == ["DOCS"]
    warning = next(w for w in p.warnings if w.code == "unlinked-document")
    assert "NOBODY" not in str(warning)
    assert warning.segment is not None


def test_secure_flight_docs() -> None:
    p = push("SRC'TIF+TESTER+NINA MS:A:1'SSR+DOCS:HK:1:XX::::://///05FEB53/F//TESTER/NINA+::1'")
    (t,) = p.bookings[0].travellers
    assert t.date_of_birth == PartialDate(1953, 2, 5)
    assert t.gender is Gender.FEMALE
    assert t.documents[0].number is None
    assert t.documents[0].surname == "TESTER"


def test_traveller_without_document_is_kept() -> None:
    p = push("SRC'TIF+TESTER+ANNA:A:1'TIF+TESTER+BEN:A:2'")
    assert len(p.bookings[0].travellers) == 2


# --------------------------------------------------------------------------------------------------------
# Segments


def test_codeshare_by_second_tvl() -> None:
    p = push(
        "SRC'TIF+TESTER+ANNA:A:1'"
        "TVL+010410:2235:020410:1200+ATL+AMS+DL:KL+9362:K'TVL+++++972:M'RPI+1+HK'"
        "TVL+050410:1000:050410:1400+AMS+ATL+KL+601:K'"
    )
    first, second = p.bookings[0].segments
    assert first.flight is not None
    assert (first.flight.carrier, first.flight.number) == ("DL", "9362")
    assert (first.flight.operating_carrier, first.flight.operating_number) == ("KL", "972")
    assert first.booking_class == "K"
    assert first.status == "HK"
    assert second.flight is not None
    assert second.flight.operating_carrier is None


def test_codeshare_by_tra() -> None:
    p = push("SRC'TIF+TESTER+ANNA:A:1'TVL+121210:0915::1230+LHR+JFK+DL+324:B'TRA+KL+8734:B'")
    (s,) = p.bookings[0].segments
    assert s.flight is not None
    assert (s.flight.operating_carrier, s.flight.operating_number) == ("KL", "8734")


def test_tvl_time_forms() -> None:
    p = push(
        "SRC'TIF+TESTER+ANNA:A:1'"
        "TVL+280918:1220:1505+FRA+IAD+UA+988'"  # three components: the third is the arrival time
        "TVL+220119:2220::0505+FRA+IAD+UA+989'"  # empty arrival date, earlier time: next day
        "TVL+200418:1740:180421:0850+JFK+HEL+AY+6:B'",  # YYMMDD in a DDMMYY slot
        head="MSG+:22'ORG+XX'TVL+280918:1220:1505+FRA+IAD+UA+988'EQN+1'",
    )
    assert p.flight is not None
    assert p.flight.arrival is not None
    assert p.flight.arrival.local == datetime(2018, 9, 28, 15, 5)
    a, b, c = (s.flight for s in p.bookings[0].segments)
    assert a is not None
    assert a.arrival is not None
    assert a.arrival.local == datetime(2018, 9, 28, 15, 5)
    assert a.departure is not None
    assert a.departure.utc == datetime(2018, 9, 28, 10, 20, tzinfo=UTC)
    assert b is not None
    assert b.arrival is not None
    assert b.arrival.local == datetime(2019, 1, 23, 5, 5)
    assert c is not None
    assert c.arrival is not None
    assert c.arrival.local.date() == date(2018, 4, 21)
    assert any(w.code == "date-order" for w in p.warnings)


def test_open_segment() -> None:
    p = push("SRC'TIF+TESTER+ANNA:A:1'TVL++LHR+JFK++OPEN'")
    (s,) = p.bookings[0].segments
    assert s.open
    assert s.flight is None


def test_seat_formats() -> None:
    p = push(
        "SRC'TIF+TESTER+ANNA:A:1'TIF+TESTER+BEN:A:2'TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'"
        "SSR+SEAT:HK:1:UA:::FRA:IAD+36K::1'"
        "SSR+NSST:HK:001:YY:::SFO:IAD:UA 0226 +074E::1'"
        "SSR+SEAT:HK:2:DL:::LHR:JFK+15A::1+15B::2'"
        "SSR+SEAT:HK:1:UA:::FRA:IAD++22J::2'"
    )
    (s,) = p.bookings[0].segments
    assert [(x.number, x.traveller_ref) for x in s.seats] == [
        ("36K", "1"),
        ("074E", "1"),
        ("15A", "1"),
        ("15B", "2"),
        ("22J", "2"),
    ]
    assert s.seats[1].source == "SSR NSST"
    assert [x.seat for x in s.services] == ["36K", "074E", "15A", "15B", "22J"]


def test_segment_items_and_non_air() -> None:
    p = push(
        "SRC'TIF+TESTER+ANNA:A:1'TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'RPI+2+HK'APD+777'"
        "RCI+XX:SEG001'IFT+4:28+SEGMENT NOTE'SSR+VGML:HK:1:XX:::LHR:JFK+::1'MSG+8'TVL+010625+JFK'"
    )
    air, hotel = p.bookings[0].segments
    assert (air.party_size, air.status, air.equipment) == (2, "HK", "777")
    assert air.locators[0].locator == "SEG001"
    assert air.remarks[0].text == "SEGMENT NOTE"
    assert air.services[0].code == "VGML"
    assert air.services[0].traveller_ref == "1"
    assert hotel.flight is None
    assert hotel.non_air_kind == "8"


# --------------------------------------------------------------------------------------------------------
# Depth: check-in, history, split


def test_checkin_depth_tif_is_not_a_traveller() -> None:
    p = push(
        "SRC'TIF+TESTER+ANNA MRS:A:1'TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'"
        "DAT+2:010625:0800'ORG+XX++++A'TRI++LHR-042:::1'TIF+TESTER+ANNA MRS:A:1'SSD+24A++++Y'"
        "TBD++2:40:701++MP:LHR-042+XX:1234567:2:JFK'"
        "DAT+3:CHECKED IN AT KIOSK'TRI++LHR-043:::1'"
    )
    (b,) = p.bookings
    assert len(b.travellers) == 1
    first, second = b.segments[0].check_ins
    assert first.checked_in_at == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert first.agent == "XX"
    assert (first.surname, first.given_names, first.seat, first.cabin) == ("TESTER", "ANNA", "24A", "Y")
    assert first.baggage is not None
    assert (first.baggage.unit, first.baggage.pool) == ("lb", "MP")
    assert first.baggage.tags[0].consecutive == 2
    assert second.text == "CHECKED IN AT KIOSK"
    assert second.sequence == "LHR-043"


def test_history_depth_is_kept_apart() -> None:
    p = push(
        "SRC'TIF+TESTER+ANNA:A:1'TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'"
        "ABI+4+AGENT1:GS+LON++XX'DAT+T:200525:1813'SAC+++X'TIF+OLDNAME+GONE:A:9'"
        "SSR+DOCS:HK:1:XX:::::/P/GBR/999/GBR/01JAN80/M/01JAN30/OLDNAME/GONE'"
        "TVL+280525::290525+LHR+JFK+XX+100:Y'RPI+1+HK'SAC+++A'IFT+4:19+ADDED SOMETHING'"
        "LTS+0/O/NM/TESTER/ANNA'"
    )
    (b,) = p.bookings
    assert [t.surname for t in b.travellers] == ["TESTER"]
    assert len(b.segments) == 1
    assert b.travellers[0].documents == ()
    abi = [h for h in b.history if h.source == "ABI"]
    assert [(h.action, h.item) for h in abi] == [
        ("X", "TIF"),
        ("X", "SSR DOCS"),
        ("X", "TVL"),
        ("X", "RPI"),
        ("A", "IFT"),
    ]
    assert all(h.at == datetime(2025, 5, 20, 18, 13, tzinfo=UTC) for h in abi)
    assert abi[0].who is not None
    assert "AGENT1" in abi[0].who
    assert b.history[-1].source == "LTS"
    assert b.history[-1].text == "0/O/NM/TESTER/ANNA"


def test_split_group() -> None:
    p = push(
        "SRC'RCI+XX:MAIN01'TIF+TESTER+ANNA:A:1'TVL+010625:1000:010625:1200+LHR+JFK+XX+100'EQN+1'RCI+XX:SPLT01'"
    )
    (b,) = p.bookings
    assert b.split_count == 1
    assert [loc.locator for loc in b.split_locators] == ["SPLT01"]
    assert [loc.locator for loc in b.locators] == ["MAIN01"]
    assert p.declared_bookings == 1


# --------------------------------------------------------------------------------------------------------
# Contacts, addresses, free text


def test_phone_inside_add() -> None:
    p = push("SRC'ADD++700:::::::EK CTC M 5432109876'ADD++702:9 TEST AVENUE:PARIS:::FR::8675309'")
    (b,) = p.bookings
    values = {(c.kind, c.value) for c in b.contacts}
    assert (ContactKind.MOBILE, "5432109876") in values
    assert (ContactKind.PHONE, "8675309") in values
    assert b.addresses[-1].city == "PARIS"
    assert b.addresses[-1].country == "FR"


def test_ctc_in_ift_and_released_plus() -> None:
    p = push(
        "SRC'IFT+4:28+CTCM 123456789'IFT+4:28+CTC M 987654321'"
        "TIF+TESTER+MOLLY:A:1'IFT+4:28::YY+CTCE MOLLY..TESTUNT?+50BB//EXAMPLE.COM'"
    )
    (b,) = p.bookings
    assert {c.value for c in b.contacts} == {"123456789", "987654321"}
    assert {c.kind for c in b.contacts} == {ContactKind.MOBILE}
    (t,) = b.travellers
    assert t.contacts[0].value == "molly_testunt+50bb@example.com"
    assert t.contacts[0].traveller_ref == "1"


def test_other_service_characters() -> None:
    body = "SRC*RCI-XX:ABC123*TIF-TESTER-ANNA:A:1*IFT-4:28-CALL 866 746-4647*"
    text = (
        "UNA:-.? *UNB-IATA:1-XX-ZZ-250520:0900-1*UNH-1-PNRGOV:13:1:IA-REF1*"
        "MSG-:22*ORG-XX*TVL-010625:1000-LHR-JFK-XX-100*EQN-1*" + body + "UNT-9-1*UNZ-1-1*"
    )
    message = read_interchanges(text.encode())[0].messages[0]
    p = parse_pnrgov(message)
    (b,) = p.bookings
    assert b.travellers[0].surname == "TESTER"
    assert "866 746" in b.travellers[0].remarks[0].text  # an unescaped `-` shifts elements, text kept


# --------------------------------------------------------------------------------------------------------
# Permissiveness and grammar drift


def test_grammar_drift() -> None:
    p = push(
        "SRC'IFT+4:28+EARLY REMARK'RCI+XX:DRIFT1'"
        "TVL+010625:1000:010625:1200+LHR+JFK+XX+100:Y'"
        "TIF+TESTER+LATE:A:1'SSR+DOCS:HK:1:XX:::::/P/GBR/777/GBR/01JAN90/M/01JAN30/TESTER/LATE'"
    )
    (b,) = p.bookings
    assert b.locator == "DRIFT1"
    assert b.remarks[0].text == "EARLY REMARK"
    (t,) = b.travellers
    assert t.given_names == "LATE"
    assert t.documents[0].number == "777"


def test_unknown_and_out_of_place_segments_warn_without_personal_data() -> None:
    p = push("TIF+SECRETNAME+HIDDEN:A:1'SRC'TIF+TESTER+ANNA:A:1'ZZZ+SECRETNAME'FOP+CA::10'")
    codes = [w.code for w in p.warnings]
    assert "no-src" in codes
    assert "unknown-segment" in codes
    assert all("SECRETNAME" not in str(w) and "HIDDEN" not in str(w) for w in p.warnings)
    unknown = next(w for w in p.warnings if w.code == "unknown-segment")
    assert unknown.tag == "ZZZ"
    assert unknown.segment is not None
    assert unknown.offset is not None
    assert sum(len(b.travellers) for b in p.bookings) == 2


def test_missing_terminator_is_repaired() -> None:
    p = push("SRC'RCI+XX:AAA111'ORG+XX:LON+1234:OFF++XX:LON+A+GB+SIGN+ID01+9TIF+TESTER:I+ANNA MRS:A:3'")
    (b,) = p.bookings
    assert [t.given_names for t in b.travellers] == ["ANNA"]
    assert b.office is not None
    assert b.office.agent_sign == "SIGN"


def test_airport_named_like_a_tag_is_not_split() -> None:
    p = push("SRC'TIF+TESTER+ANNA:A:1'TVL+270918:1420::2120+WDH+ADD+ET+834:B'")
    (s,) = p.bookings[0].segments
    assert s.flight is not None
    assert s.flight.destination == "ADD"
