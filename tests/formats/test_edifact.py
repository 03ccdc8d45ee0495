"""The EDIFACT reader on every syntax quirk of reference/message-formats.md sections 1 and 5."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import require
from openpiu.formats import edifact
from openpiu.formats.edifact import (
    DEFAULT_CHARS,
    EdifactSegment,
    ServiceChars,
    read_interchanges,
    repair_run_together,
    split_elements,
)
from openpiu.formats.errors import ParseError

BODY = (
    "MSG+:22'ORG+XX:AAA'TVL+010125:1000:010125:1200+AAA+BBB+XX+100'EQN+1'SRC'RCI+XX:ABC123'TIF+DOE+JANE:A:1'"
)


def interchange(body: str = BODY, *, una: str = "", count: int | None = None, chars: str = "+:'") -> bytes:
    element, component, term = chars
    segments = body.count(term) + 2
    unt = count if count is not None else segments
    text = (
        f"{una}UNB{element}IATA{component}1{element}XX{element}ZZ{element}250101{component}0900{element}1{term}"
        f"UNH{element}1{element}PNRGOV{component}13{component}1{component}IA{element}REF1{term}"
        f"{body}UNT{element}{unt}{element}1{term}UNZ{element}1{element}1{term}"
    )
    return text.encode()


def only_message(data: bytes):  # type: ignore[no-untyped-def]
    interchanges = read_interchanges(data)
    assert len(interchanges) == 1
    assert len(interchanges[0].messages) == 1
    return interchanges[0], interchanges[0].messages[0]


def tags(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.tag for s in message.segments]


def codes(interchange, message) -> set[str]:  # type: ignore[no-untyped-def]
    return {w.code for w in (*interchange.warnings, *message.warnings)}


def test_plain_interchange_reads_envelope_and_body() -> None:
    ic, msg = only_message(interchange())
    assert tags(msg) == ["MSG", "ORG", "TVL", "EQN", "SRC", "RCI", "TIF"]
    assert msg.message_type == "PNRGOV"
    assert msg.version == "13.1"
    assert msg.common_access_ref == "REF1"
    assert msg.sender == "XX"
    assert msg.prepared_at is not None
    assert msg.prepared_at.isoformat() == "2025-01-01T09:00:00+00:00"
    assert codes(ic, msg) == set()
    assert msg.segments[2].get(1) == "AAA"
    assert msg.segments[2].get(0, 3) == "1200"
    assert msg.segments[2].get(9) == ""


def test_offsets_and_numbers_point_at_the_segment() -> None:
    data = interchange()
    _, msg = only_message(data)
    for segment in msg.segments:
        assert data[segment.offset : segment.offset + 3].decode() == segment.tag
    assert [s.number for s in msg.segments] == list(range(3, 10))


def test_offsets_are_bytes_with_multibyte_text() -> None:
    data = interchange(BODY.replace("DOE", "DÖÉ"))
    _, msg = only_message(data)
    for segment in msg.segments:
        assert data[segment.offset : segment.offset + 3].decode() == segment.tag
    assert msg.segments[-1].get(0) == "DÖÉ"


@pytest.mark.parametrize(
    ("una", "expected"),
    [
        ("UNA:+.? '", ServiceChars()),
        ("UNA:+.?*'", ServiceChars(repetition="*")),
        ("UNA:+.\\*'", ServiceChars(release="\\", repetition="*")),
        ("UNA!@#$ ^", ServiceChars("!", "@", "#", "$", " ", "^")),
    ],
)
def test_una_variants(una: str, expected: ServiceChars) -> None:
    chars = f"{expected.element}{expected.component}{expected.terminator}"
    body = (
        BODY.replace("+", expected.element).replace(":", expected.component).replace("'", expected.terminator)
    )
    _, msg = only_message(interchange(body, una=una, chars=chars))
    assert msg.chars == expected
    assert tags(msg)[-1] == "TIF"
    assert msg.segments[-1].get(1) == "JANE"


def test_truncated_una_assumes_missing_decimal_mark() -> None:
    ic, msg = only_message(interchange(una="UNA:+\\*'\n"))
    assert msg.chars.release == "\\"
    assert msg.chars.terminator == "'"
    assert "una-truncated" in codes(ic, msg)


def test_typographic_una_with_ascii_body() -> None:
    ic, msg = only_message(interchange(una="UNA:+.\\*’ "))
    assert msg.chars.terminator == "'"
    assert "una-typographic" in codes(ic, msg)
    assert tags(msg)[-1] == "TIF"


def test_typographic_terminator_inside_body_is_repaired() -> None:
    body = BODY.replace("RCI+XX:ABC123'", "RCI+XX:ABC123’\n")
    ic, msg = only_message(interchange(body))
    assert tags(msg)[-2:] == ["RCI", "TIF"]
    assert msg.segments[-2].get(0, 1) == "ABC123"
    assert "typographic-terminator" in codes(ic, msg)


def test_no_una_sniffs_star_separator_from_unb() -> None:
    body = BODY.replace("+", "*")
    ic, msg = only_message(interchange(body, chars="*:'"))
    assert msg.chars.element == "*"
    assert msg.segments[-1].get(1) == "JANE"
    assert "separators-sniffed" in codes(ic, msg)


def test_release_characters() -> None:
    body = "IFT+4:28+O?'NEIL?+SON ??X?:Y'TIF+A??'"
    _, msg = only_message(interchange(body))
    assert msg.segments[0].get(1) == "O'NEIL+SON ?X:Y"
    # An escaped release at the very end leaves the terminator real.
    assert msg.segments[1].tag == "TIF"
    assert msg.segments[1].get(0) == "A?"


def test_empty_positions_and_trailing_separators_keep_positions() -> None:
    _, msg = only_message(interchange("SSR+DOCS:HK:1:SQ:::::/P/X+::2'FAR+N+++++'"))
    ssr, far = msg.segments
    assert ssr.get(0, 7) == ""
    assert ssr.get(0, 8) == "/P/X"
    assert ssr.get(1, 2) == "2"
    assert len(far.elements) == 6


def test_line_breaks_between_and_inside_segments() -> None:
    body = "MSG+:22'\r\n\r\n  ORG+XX:AAA'\nADD++702:45 HIGH\nSTREET:SLOUGH'\n TIF+VANDENBE\nRG+JAN:A:1'\n"
    _, msg = only_message(interchange(body))
    assert tags(msg) == ["MSG", "ORG", "ADD", "TIF"]
    assert msg.segments[2].get(1, 1) == "45 HIGHSTREET"
    assert msg.segments[3].get(0) == "VANDENBERG"


def test_bom_leading_junk_and_trailing_prose() -> None:
    data = b"\xef\xbb\xbfQN GBRRMOK\r\n.YOWAAXH KL/041643\r\n" + interchange() + b"\nModify above message.\n"
    ic, msg = only_message(data)
    assert tags(msg)[-1] == "TIF"
    assert {"bom", "leading-text", "trailing-text"} <= codes(ic, msg)
    assert ic.leading.startswith("QN GBRRMOK")
    assert ic.trailing == "Modify above message."
    assert data[msg.unh.offset : msg.unh.offset + 3] == b"UNH"


def test_unz_without_terminator_followed_by_prose() -> None:
    data = interchange()[:-1] + b"\nThis is not EDIFACT at all\n"
    ic, msg = only_message(data)
    assert tags(msg)[-1] == "TIF"
    assert ic.trailing.startswith("This is not")


def test_several_interchanges_each_with_own_service_characters() -> None:
    first = interchange(una="UNA:+.? '")
    second_body = BODY.replace("+", "*").replace("'", "$")
    second = interchange(second_body, una="UNA:*.? $", chars="*:$")
    interchanges = read_interchanges(first + b"\n" + second + first)
    assert len(interchanges) == 3
    assert [ic.chars.terminator for ic in interchanges] == ["'", "$", "'"]
    assert all(ic.messages[0].segments[-1].get(1) == "JANE" for ic in interchanges)


def test_count_mismatches_are_warnings_not_failures() -> None:
    ic, msg = only_message(interchange(count=336))
    assert "unt-count" in codes(ic, msg)
    assert tags(msg)[-1] == "TIF"


def test_missing_unt_and_unz() -> None:
    data = interchange().split(b"UNT+")[0]
    ic, msg = only_message(data)
    assert {"no-unt", "no-unz"} <= codes(ic, msg)
    assert tags(msg)[-1] == "TIF"


def test_split_status_and_group() -> None:
    data = interchange().replace(b"+REF1'", b"+REF1+02:F'")
    data = data.replace(b"UNH", b"UNG+PNRGOV+XX+ZZ+250101:0900+1+IA+13:1'UNH", 1)
    _, msg = only_message(data)
    assert (msg.part, msg.final_part, msg.group_type) == (2, True, "PNRGOV")


def test_paxlst_version() -> None:
    data = interchange().replace(b"PNRGOV:13:1:IA", b"PAXLST:D:05B:UN:IATA")
    _, msg = only_message(data)
    assert (msg.message_type, msg.version) == ("PAXLST", "D:05B")


def test_junk_segments_are_warned_and_kept_out_of_tags() -> None:
    ic, msg = only_message(interchange(BODY + "L'LT'"))
    assert "not-a-segment" in codes(ic, msg)
    assert [s.tag for s in msg.segments][-2:] == ["", ""]


def test_headless_message_without_unb() -> None:
    data = b"UNH+1+PNRGOV:11:1:IA+X'" + BODY.encode() + b"UNT+9+1'"
    ic, msg = only_message(data)
    assert "no-unb" in codes(ic, msg)
    assert tags(msg)[-1] == "TIF"


@pytest.mark.parametrize("data", [b"", b"   \n", b"hello world", b"\x00\xff\xfe" * 10])
def test_no_message_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        read_interchanges(data, source="x.edi")
    assert caught.value.file == "x.edi"
    assert caught.value.reason


def test_latin1_bytes_are_decoded() -> None:
    data = interchange(BODY.replace("DOE", "D\xd6E").encode("latin-1").decode("latin-1"))
    data = data.decode().encode("latin-1")
    _, msg = only_message(data)
    assert msg.segments[-1].get(0) == "DÖE"


def test_run_together_segments_are_split() -> None:
    _, msg = only_message(
        interchange("ORG+1A:MUC+32393340:AA+NCE+SQ:NCE+A+SG+HJGS+CFDEA9+9TIF+KIM:I+KONG:A:3'")
    )
    (glued,) = msg.segments
    parts = repair_run_together(glued, frozenset({"TIF", "SRC"}), DEFAULT_CHARS)
    assert parts is not None
    first, second = parts
    assert first.tag == "ORG"
    assert first.elements[-1] == ("9",)
    assert second.tag == "TIF"
    assert second.get(0) == "KIM"
    assert second.get(1, 2) == "3"
    assert repair_run_together(first, frozenset({"TIF"}), DEFAULT_CHARS) is None


_SPECIALS = st.text(alphabet=st.sampled_from("AB ?:+'*\\"), max_size=30)


@given(st.lists(st.lists(_SPECIALS, min_size=1, max_size=4), min_size=1, max_size=5))
def test_escaped_values_round_trip(elements: list[list[str]]) -> None:
    chars = DEFAULT_CHARS

    def esc(value: str) -> str:
        for ch in (chars.release, chars.component, chars.element, chars.terminator):
            value = (
                value.replace(ch, chars.release + ch) if ch != chars.release else value.replace(ch, ch * 2)
            )
        return value

    body = "".join("+" + ":".join(esc(c) for c in element) for element in elements)
    assert split_elements(body, chars) == tuple(tuple(e) for e in elements)
    _, msg = only_message(interchange(f"FTX{body}'"))
    assert msg.segments[0].elements == tuple(tuple(e) for e in elements)


_TOKEN_TEXT = st.text(alphabet=st.sampled_from("AUNBTIF0 ?:+'*\\\n\r\t’É"), max_size=200)


@given(
    _TOKEN_TEXT,
    st.sampled_from([DEFAULT_CHARS, ServiceChars(release="\\", repetition="*"), ServiceChars(release="")]),
)
def test_c_tokenizer_equals_the_python_reference(region: str, chars: ServiceChars) -> None:
    """The C loop is a speed-up only: for any text it gives exactly what the Python loop gives."""
    require("the C speed-up", edifact._speedups is not None, "install gcc and reinstall openpiu (make sync)")
    offsets = edifact._Offsets(region, "latin-1", 3)
    assert edifact._speedups is not None
    found, bad = edifact._speedups.tokenize_plain(
        region, 5, chars.component, chars.element, chars.release, chars.terminator, 7, 3, EdifactSegment
    )
    reference = edifact._tokenize_plain_python(region, 5, chars, 7, offsets)
    assert found == reference.segments
    assert all(type(s) is EdifactSegment for s in found)
    assert [(w.segment, w.offset) for w in reference.warnings] == bad


def test_a_lone_tag_like_value_is_data_not_a_glued_segment() -> None:
    _, msg = only_message(interchange("TVL+010125:1000+WDH+ADD+ET+834'"))
    (tvl,) = msg.segments
    assert repair_run_together(tvl, frozenset({"ADD", "TIF"}), DEFAULT_CHARS) is None


@pytest.mark.parametrize(
    ("unz", "trailing"),
    [("UNZ\n+1+1'", ""), ("UNZ+1+00\n1'", ""), ("UN\nZ+1+1'\nEND OF TRANSMISSION\n", "END OF TRANSMISSION")],
)
def test_a_wrap_inside_unz_keeps_it_whole(unz: str, trailing: str) -> None:
    data = interchange().rsplit(b"UNZ", 1)[0] + unz.encode()
    ic, msg = only_message(data)
    assert tags(msg)[-1] == "TIF"
    assert ic.trailing == trailing
    assert "not-a-segment" not in codes(ic, msg)
