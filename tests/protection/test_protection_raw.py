"""Sensitive segments cut out of the raw EDIFACT bytes: gone from the bytes, the message still reads."""

from __future__ import annotations

import dataclasses

import pytest

from openpiu.formats.edifact import ServiceChars, read_interchanges
from openpiu.formats.pnrgov_writer import write_pnrgov
from openpiu.formats.reader import read_messages
from openpiu.model import (
    Booking,
    Flight,
    MessageFormat,
    MessageHeader,
    PnrPush,
    Remark,
    Segment,
    ServiceItem,
    Traveller,
)
from openpiu.protection import (
    SensitivePolicy,
    blank_segments,
    protect_push,
    segment_removal,
    segment_span,
    sensitive_spans,
)
from openpiu.synth.quirks import ODD_SERVICE_CHARS

POLICY = SensitivePolicy()
FLIGHT = Flight("LH", "400", "FRA", "JFK")


def ssr(code: str, text: str | None = None, ref: str | None = "1") -> ServiceItem:
    return ServiceItem("SSR", code, "HK", 1, "LH", text=text, traveller_ref=ref)


def sample_push() -> PnrPush:
    """A booking with sensitive items at every level, multibyte names and texts, and release-worthy text."""
    first = Traveller(
        "MÜLLER-ŁUKASZEWICZ",
        "JÖRG",
        "MR",
        ref="1",
        services=(
            ssr("DOCS", "/P/DEU/C01X00T47/DEU/12JAN80/M/01JAN30/MÜLLER-ŁUKASZEWICZ/JÖRG"),
            ssr("MOML", "MUSLIM MEAL – BITTE: KEIN SCHWEIN'S+FETT?"),  # separators and releases in the text
            ssr("CTCE", "JOERG//EXAMPLE.COM"),
        ),
        remarks=(Remark("UMNR BRUDER BEGLEITET", "4", "3"),),
    )
    second = Traveller(
        "BLIND",
        "ZOË",
        "MRS",
        ref="2",
        services=(
            ssr("DOCS", "/P/FRA/09AB12345/FRA/02FEB90/F/01JAN31/BLIND/ZOË", "2"),
            ssr("OTHS", "SCHWANGER ~ PREGNANT 30 WEEKS", "2"),
        ),
    )
    segment = Segment(FLIGHT, "Y", "HK", 2, services=(ssr("WCHR", "RAMPE", "2"), ssr("SEAT", None, "1")))
    booking = Booking(
        "ÄBC123",
        travellers=(first, second),
        segments=(segment,),
        services=(ssr("CTCM", "4917012345", None), ssr("KSML", "KOSHER", None)),
        remarks=(Remark("KSML PAX REQUESTS", "4", "28"), Remark("FRA LH NYC 450.00END", "4", "15")),
    )
    return PnrPush(MessageHeader(MessageFormat.PNRGOV, version="15.1"), "22", FLIGHT, (booking,))


def protect_raw(data: bytes, policy: SensitivePolicy = POLICY) -> bytes:
    spans = [
        span
        for ic in read_interchanges(data)
        for message in ic.messages
        for span in sensitive_spans(message.segments, policy, data, ic.chars)
    ]
    return blank_segments(data, spans)


def only_push(data: bytes) -> PnrPush:
    (parsed,) = read_messages(data)
    assert isinstance(parsed, PnrPush)
    return parsed


LAYOUTS: dict[str, dict[str, object]] = {
    "plain": {},
    "one-line": {"line_breaks": False},
    "crlf": {"newline": "\r\n"},
    "wrap-69": {"wrap": 69},
    "cp1252": {"encoding": "cp1252"},
    "no-una": {"una": False},
    **{f"chars-{c.una()}": {"chars": c} for c in ODD_SERVICE_CHARS},
    "backslash": {"chars": ServiceChars(release="\\", repetition="*")},
}


@pytest.mark.parametrize("options", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_blanked_bytes_hold_no_sensitive_item_and_read_as_the_protected_record(
    options: dict[str, object],
) -> None:
    push = sample_push()
    if options.get("encoding") == "cp1252":  # Ł is not in CP1252
        push = _renamed(push)
    data = write_pnrgov(push, **options)  # type: ignore[arg-type]
    before = only_push(data)
    blanked = protect_raw(data)
    after = only_push(blanked)

    flat = blanked.replace(b"\r", b"").replace(b"\n", b"")
    for gone in (b"MOML", b"KSML", b"WCHR", b"MUSLIM", b"PREGNANT", b"KOSHER", b"RAMPE"):
        assert gone not in flat
    assert b"DOCS" in flat
    assert b"UMNR" in flat  # Annex I item 12: the unaccompanied-minor remark stays
    # The blanked message reads to exactly what protect_push makes of the original.
    protected, removals = protect_push(before, POLICY)
    assert after.bookings == protected.bookings
    assert removals == {"OSI KSML": 1, "SSR KSML": 1, "SSR MOML": 1, "SSR WCHR": 1, "TEXT": 1}
    assert [(t.surname, t.given_names, t.ref) for t in after.bookings[0].travellers] == [
        (t.surname, t.given_names, t.ref) for t in before.bookings[0].travellers
    ]
    assert protect_push(after, POLICY) == (after, {})
    assert protect_raw(blanked) == blanked  # idempotent


def _renamed(push: PnrPush) -> PnrPush:
    booking = push.bookings[0]
    first = booking.travellers[0]
    first = dataclasses.replace(
        first,
        surname="MÜLLER",
        services=tuple(
            dataclasses.replace(s, text=s.text.replace("Ł", "L")) if s.text else s for s in first.services
        ),
    )
    return dataclasses.replace(
        push, bookings=(dataclasses.replace(booking, travellers=(first, *booking.travellers[1:])),)
    )


def test_the_unt_count_is_left_as_it_was_and_the_reader_tolerates_it() -> None:
    data = write_pnrgov(sample_push())
    blanked = protect_raw(data)
    after = only_push(blanked)
    assert "unt-count" in {w.code for w in after.warnings}
    assert data.count(b"UNT+") == blanked.count(b"UNT+") == 1
    assert data.split(b"UNT+")[1] == blanked.split(b"UNT+")[1]


def test_a_policy_keeping_general_remarks_keeps_their_segments() -> None:
    push = sample_push()
    booking = push.bookings[0]
    push = dataclasses.replace(
        push, bookings=(dataclasses.replace(booking, remarks=(Remark("VIP GUEST", "4", "28"),)),)
    )
    data = write_pnrgov(push)
    assert b"VIP GUEST" not in protect_raw(data)
    assert b"VIP GUEST" in protect_raw(data, SensitivePolicy(keep_general_remarks=True))


# --- the pieces -------------------------------------------------------------------------------------


def test_segment_span_honours_the_release_character() -> None:
    chars = ServiceChars()
    data = b"SSR+MOML:HK:1:::::::IT?'S?+HALAL'\nTIF+A:B'"
    assert segment_span(data, 0, chars) == (0, data.index(b"TIF"))
    doubled = b"SSR+MOML:HK:1:::::::A??'TIF+A:B'"  # an even run: the terminator is real
    assert segment_span(doubled, 0, chars) == (0, doubled.index(b"TIF"))


def test_segment_span_counts_bytes_not_characters() -> None:
    chars = ServiceChars()
    data = "TIF+MÜLLER:JÖRG'\r\nSSR+KSML:HK:1:::::::KOSHER – ÄÖÜ'\r\nTIF+B:C'".encode()
    start = data.index(b"SSR")
    offset, length = segment_span(data, start, chars)
    assert data[offset : offset + length] == "SSR+KSML:HK:1:::::::KOSHER – ÄÖÜ'\r\n".encode()


def test_segment_span_stops_at_a_glued_next_segment_and_at_the_end() -> None:
    chars = ServiceChars()
    data = b"SSR+MOML:HK:1TIF+A:B'"
    assert segment_span(data, 0, chars, limit=13) == (0, 13)
    assert segment_span(b"SSR+MOML", 0, chars, fallback=8) == (0, 8)
    with pytest.raises(ValueError, match="outside"):
        segment_span(data, 99, chars)


def test_blank_segments_cuts_spans_once_in_any_order() -> None:
    data = b"0123456789"
    assert blank_segments(data, []) is data
    assert blank_segments(data, [(7, 2), (1, 2)]) == b"03456" + b"9"
    assert blank_segments(data, [(1, 3), (2, 4), (2, 1)]) == b"06789"
    assert blank_segments(data, [(0, 10)]) == b""
    for bad in [(-1, 2), (9, 2), (0, -1)]:
        with pytest.raises(ValueError, match="outside"):
            blank_segments(data, [bad])


@pytest.mark.parametrize(
    ("segment", "key"),
    [
        ("SSR+MOML:HK:1:LH+::1'", "SSR MOML"),
        ("SSR+OTHS:HK:1:LH:::::PAX IS PREGNANT'", "TEXT"),
        ("SSR+DOCS:HK:1:LH:::::/P/DEU/1/DEU/01JAN80/M/01JAN30/BLIND/PETER'", None),
        ("SSR+CTCE:HK:1:LH:::::HALAL.SHOP//EXAMPLE.COM'", None),
        ("IFT+4:28::LH+WCHR NEEDED'", "OSI WCHR"),
        ("IFT+4:3+KOSHER+MEAL'", "TEXT"),
        ("IFT+4:3+VIP'", "REMARK"),
        ("IFT+4:3+UMNR 9 YEARS'", None),
        ("IFT+4:43+JOHN PAYER+1 MAIN ST'", None),
        ("LTS+SSR MOML LH HK1'", "SSR MOML"),
        ("LTS+LANG/PETER MR'", None),
        ("TIF+HAJJ PILGRIMS:G'", "GROUP"),
        ("TIF+BLIND:PETER MR:A:1'", None),
        ("TVL+301126:1305::1420+FRA+JFK+LH+400'", None),
    ],
)
def test_segment_removal(segment: str, key: str | None) -> None:
    data = b"UNH+1+PNRGOV:11:1:IA'" + segment.encode() + b"UNT+3+1'"
    (interchange,) = read_interchanges(data)
    (seg,) = interchange.messages[0].segments
    assert segment_removal(seg, POLICY) == key
