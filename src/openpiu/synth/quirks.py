"""Messiness at configurable rates: the defects real carrier feeds have, put on generated deliveries.

Real PNRGOV and PAXLST feeds are not what the implementation guides print
(`reference/message-formats.md`, section 5): odd service characters, no or truncated UNA,
69-column telex wraps, one-line messages, CRLF, BOMs, telex and MQ headers, counts that lie,
prose after the trailer, parts of a split push arriving out of order or twice, and now and then
a message nobody can read. This module reproduces them, deterministically from the caller's
`random.Random` and at the rates of a `QuirkRates`:

* `writer_options` - keyword arguments for `write_pnrgov`/`write_paxlst`: what the writers can
  do natively (service characters, UNA, wraps, line layout, UNG) is done there, not by editing
  bytes afterwards;
* `dirty` - byte-level defects that keep the message readable;
* `break_message` - a truly unreadable message and the reason a person would give;
* `delivery_order` - the order deliveries arrive in, with swaps and duplicates.

Every function returns the quirk codes it applied (the `QUIRK_*` names below), so the world can
record them in the ground truth. Pure functions: no I/O, no global state.
"""

from __future__ import annotations

import random
from typing import TypeVar

from openpiu.formats.edifact import (
    EdifactSegment,
    Interchange,
    ServiceChars,
    read_interchanges,
    split_elements,
)
from openpiu.formats.errors import ParseError
from openpiu.formats.reader import sniff_format
from openpiu.model import MessageFormat
from openpiu.synth.types import QuirkRates

__all__ = [
    "BREAK_REASONS",
    "LAYOUT_QUIRKS",
    "ODD_SERVICE_CHARS",
    "ORDER_QUIRKS",
    "TEXT_QUIRKS",
    "break_message",
    "delivery_order",
    "dirty",
    "writer_options",
]

T = TypeVar("T")

# --- quirk codes ------------------------------------------------------------------------------

# writer_options (rate `una_variant` for the envelope, `line_wrap` for the layout)
QUIRK_UNA_ODD = "una-odd"  # unusual but valid service characters (`UNA:*.? $`, `UNA!@#$ ^`, ...)
QUIRK_UNA_BACKSLASH = "una-backslash"  # `\` as release character, as in the IG 11.1 examples
QUIRK_NO_UNA = "no-una"  # no UNA: level-A defaults (most real samples)
QUIRK_UNG = "ung-group"  # a UNG/UNE functional group around the messages
QUIRK_WRAP = "wrap-69"  # hard wraps at the 69-column Type-B line limit
QUIRK_ONE_LINE = "one-line"  # no line breaks at all: the whole interchange on one line
QUIRK_CRLF = "crlf"  # CR LF line ends
LAYOUT_QUIRKS = (
    QUIRK_UNA_ODD,
    QUIRK_UNA_BACKSLASH,
    QUIRK_NO_UNA,
    QUIRK_UNG,
    QUIRK_WRAP,
    QUIRK_ONE_LINE,
    QUIRK_CRLF,
)

# dirty (rates `bom`, `transport_header`, `count_mismatch`, `trailing_text`, `una_variant`)
QUIRK_BOM = "bom"
QUIRK_TELEX = "telex-header"  # `QN GBRRMOK` / `.YOWAAXH KL/041643` lines, SOH/STX markers
QUIRK_MQ = "mq-header"  # a message-queue header line
QUIRK_UNT_COUNT = "unt-count"  # a UNT segment count that lies
QUIRK_UNT_NO_REF = "unt-no-ref"  # `UNT+50'`: no message reference
QUIRK_UNZ_COUNT = "unz-count"  # a UNZ message/group count that lies
QUIRK_TRAILING_PROSE = "trailing-prose"  # English text after UNZ
QUIRK_TRAILING_DATE = "trailing-date"  # a stray date after UNZ
QUIRK_UNA_TRUNCATED = "una-truncated"  # `UNA:+\*'`: five characters, the decimal mark missing
TEXT_QUIRKS = (
    QUIRK_BOM,
    QUIRK_TELEX,
    QUIRK_MQ,
    QUIRK_UNT_COUNT,
    QUIRK_UNT_NO_REF,
    QUIRK_UNZ_COUNT,
    QUIRK_TRAILING_PROSE,
    QUIRK_TRAILING_DATE,
    QUIRK_UNA_TRUNCATED,
)

# delivery_order (rates `out_of_order`, `duplicate_delivery`)
QUIRK_OUT_OF_ORDER = "out-of-order"
QUIRK_DUPLICATE = "duplicate"
ORDER_QUIRKS = (QUIRK_OUT_OF_ORDER, QUIRK_DUPLICATE)

# break_message: the kinds of broken message (the reason text says more)
BREAK_TRUNCATED = "truncated"
BREAK_GARBAGE = "binary-garbage"
BREAK_XML_CUT = "xml-cut"
BREAK_UNKNOWN_TYPE = "unknown-type"
BREAK_EMPTY = "empty"
BREAK_REASONS = (BREAK_TRUNCATED, BREAK_GARBAGE, BREAK_XML_CUT, BREAK_UNKNOWN_TYPE, BREAK_EMPTY)

# --- writer options ---------------------------------------------------------------------------

# Service character sets seen in the wild (section 1.2 and 5 item 3), all distinct and printable
# so a UNA can declare them. The repetition slot is a space as in syntax versions 1-3.
ODD_SERVICE_CHARS: tuple[ServiceChars, ...] = (
    ServiceChars(":", "*", ".", "?", " ", "$"),  # UNA:*.? $ (a US APIS generator)
    ServiceChars(":", "-", ".", "?", " ", "*"),  # UNA:-.? *
    ServiceChars("!", "@", "#", "$", " ", "^"),  # UNA!@#$ ^ (US-CBP/GTAS issue 1742)
    ServiceChars(":", "(", ".", ")", " ", "-"),  # UNA:(.) - (a Type-B-safe set)
)
_BACKSLASH_CHARS = ServiceChars(release="\\", repetition="*")  # UNA:+.\*'


def writer_options(rng: random.Random, rates: QuirkRates) -> tuple[dict[str, object], tuple[str, ...]]:
    """Keyword arguments for `write_pnrgov`/`write_paxlst` with layout quirks, and their codes.

    Rate `una_variant` draws the service characters and, separately, a UNG group (envelope
    variants); rate `line_wrap` draws a 69-column wrap and, separately, a one-line or CRLF
    layout. At rate 0 the options are empty (the writers' defaults). `group=True` is recorded as a quirk
    although UNG is usual in PAXLST: the code says what the bytes hold, not how rare it is.
    """
    options: dict[str, object] = {}
    codes: list[str] = []
    if rng.random() < rates.una_variant:
        kind = rng.choice((QUIRK_UNA_ODD, QUIRK_UNA_BACKSLASH, QUIRK_NO_UNA))
        if kind == QUIRK_UNA_ODD:
            options["chars"] = rng.choice(ODD_SERVICE_CHARS)
        elif kind == QUIRK_UNA_BACKSLASH:
            options["chars"] = _BACKSLASH_CHARS
        else:
            # Without a UNA a reader must assume the defaults, so only default characters go bare.
            options["una"] = False
        codes.append(kind)
    if rng.random() < rates.una_variant:
        options["group"] = True
        codes.append(QUIRK_UNG)
    if rng.random() < rates.line_wrap:
        options["wrap"] = 69
        codes.append(QUIRK_WRAP)
    if rng.random() < rates.line_wrap:
        if rng.random() < 0.5:
            options["line_breaks"] = False
            codes.append(QUIRK_ONE_LINE)
        else:
            options["newline"] = "\r\n"
            codes.append(QUIRK_CRLF)
    return options, tuple(codes)


# --- byte-level defects -----------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
# Header and trailer texts never contain `UNA`/`UNB`/`UNH`: the reader looks for those to find an
# interchange, and a real header that held them would be a different defect.
_TELEX_ADDRESSES = ("QN GBRRMOK", "QU FRAKMXH", "QD MUCAPXS", "QN BRUPIXA")
_TELEX_ORIGINS = (".YOWAAXH", ".FRAAPLH", ".AMSRMKL", ".LHRKKBA")
_TELEX_CARRIERS = ("KL", "LH", "BA", "AF", "TK", "OS")
_PROSE = (
    "END OF TRANSMISSION",
    "THIS MESSAGE WAS GENERATED AUTOMATICALLY. PLEASE DO NOT REPLY.",
    "Message sent via gateway, contact the help desk for resends.",
    "=== END ===",
)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def dirty(data: bytes, rng: random.Random, rates: QuirkRates) -> tuple[bytes, tuple[str, ...]]:
    """Byte-level defects a reader must survive (section 5), applied to one clean delivery.

    Envelope edits (counts, UNT reference, truncated UNA) find their segments by tokenizing, never
    by searching the text. PNRGOV XML gets only the BOM; anything that is not a readable message
    is returned unchanged.
    """
    codes: list[str] = []
    if sniff_format(data) is MessageFormat.PNRGOV_XML:
        if rng.random() < rates.bom and not data.startswith(_BOM):
            return _BOM + data, (QUIRK_BOM,)
        return data, ()
    try:
        interchanges = read_interchanges(data)
    except ParseError:
        return data, ()
    edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement) in `data`
    unts = [(m.unt, ic.chars) for ic in interchanges for m in ic.messages if m.unt is not None]
    unzs = [(s, ic.chars) for ic in interchanges for s in _trailer(data, ic, "UNZ")]
    if rng.random() < rates.count_mismatch:
        kinds = (QUIRK_UNT_COUNT, QUIRK_UNZ_COUNT, QUIRK_UNT_NO_REF)
        chosen = [code for code in kinds if rng.random() < 0.5] or [rng.choice(kinds)]
        if QUIRK_UNT_COUNT in chosen and unts:
            unt, chars = rng.choice(unts)
            edits.extend(_replace_element(data, unt, chars, 0, _wrong_count(rng, unt.get(0))))
            codes.append(QUIRK_UNT_COUNT)
        if QUIRK_UNZ_COUNT in chosen and unzs:
            unz, chars = rng.choice(unzs)
            edits.extend(_replace_element(data, unz, chars, 0, _wrong_count(rng, unz.get(0))))
            codes.append(QUIRK_UNZ_COUNT)
        # A UNT already given a wrong count keeps its reference, so no two edits touch one segment.
        bare = [(u, c) for u, c in unts if u.get(1) and not any(_inside(e, u, data) for e in edits)]
        if QUIRK_UNT_NO_REF in chosen and bare:
            unt, chars = rng.choice(bare)
            edits.extend(_drop_last_element(data, unt, chars))
            codes.append(QUIRK_UNT_NO_REF)
    if rng.random() < rates.una_variant:
        edit = _truncate_una(data, interchanges[0])
        if edit is not None:
            edits.append(edit)
            codes.append(QUIRK_UNA_TRUNCATED)
    out = _apply(data, edits)
    if rng.random() < rates.trailing_text:
        newline = b"\r\n" if b"\r\n" in out else b"\n"
        if rng.random() < 0.5:
            out = out + newline + rng.choice(_PROSE).encode() + newline
            codes.append(QUIRK_TRAILING_PROSE)
        else:
            day = rng.randint(1, 28)
            stamp = (
                f"{day:02d}{rng.choice(_MONTHS)}{rng.randint(24, 27)}"
                if rng.random() < 0.5
                else f"20{rng.randint(24, 27)}-{rng.randint(1, 12):02d}-{day:02d}"
            )
            out = out + newline + stamp.encode() + newline
            codes.append(QUIRK_TRAILING_DATE)
    if rng.random() < rates.transport_header:
        if rng.random() < 0.5:
            out = _telex_header(rng) + out + b"\x03"  # ETX after the text, as the telex line sends it
            codes.append(QUIRK_TELEX)
        else:
            out = _mq_header(rng, len(out)) + out
            codes.append(QUIRK_MQ)
    if rng.random() < rates.bom and not out.startswith(_BOM):
        out = _BOM + out  # last: a BOM is the first thing in a file
        codes.append(QUIRK_BOM)
    return out, tuple(codes)


def _trailer(data: bytes, interchange: Interchange, tag: str) -> list[EdifactSegment]:
    """The UNE/UNZ segment `tag` after the interchange's last UNT, as the tokenizer would see it.

    The reader keeps UNB and the messages but not the trailer, so read the few segments that
    follow the last UNT (located by the tokenizer) with the interchange's own characters.
    """
    last = next((m.unt for m in reversed(interchange.messages) if m.unt is not None), None)
    if last is None or not last.raw.isascii():
        return []
    chars = interchange.chars
    term = chars.terminator.encode("utf-8")
    pos = _segment_end(data, last)
    for _ in range(3):  # UNE, UNZ, and nothing else belongs there
        if not data.startswith(term, pos):
            return []
        pos += len(term)
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        start = pos
        raw: list[str] = []
        while pos < len(data) and not data.startswith(term, pos):
            ch = chr(data[pos])
            if chars.release and ch == chars.release and pos + 1 < len(data):
                raw.append(ch)
                pos += 1
                ch = chr(data[pos])
            if ch not in "\r\n":
                raw.append(ch)
            pos += 1
        text = "".join(raw)
        if text[:3] not in ("UNE", "UNZ") or not text.isascii():
            return []
        if text[:3] == tag:
            segment = EdifactSegment(tag, split_elements(text[3:], chars), 0, start, text)
            return [segment]
        pos = _segment_end(data, EdifactSegment(text[:3], (), 0, start, text))
    return []


def _telex_header(rng: random.Random) -> bytes:
    """SOH, the Type-B address and origin lines, STX: what a telex gateway puts in front."""
    address = rng.choice(_TELEX_ADDRESSES)
    origin = rng.choice(_TELEX_ORIGINS)
    carrier = rng.choice(_TELEX_CARRIERS)
    stamp = f"{rng.randint(1, 28):02d}{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}"
    return f"\x01{address}\n{origin} {carrier}/{stamp}\n\x02".encode("ascii")


def _mq_header(rng: random.Random, length: int) -> bytes:
    """One line of message-queue metadata, as a router's log or MQ bridge prepends it."""
    msg_id = "".join(rng.choice("0123456789ABCDEF") for _ in range(24))
    queue = rng.choice(("PIU.IN.PNR", "GOV.PNR.INBOUND", "API.PNR.Q1"))
    return f"MQMD FORMAT=MQSTR CCSID=1208 QUEUE={queue} MSGID={msg_id} LENGTH={length}\n".encode("ascii")


def _wrong_count(rng: random.Random, declared: str) -> str:
    """A count that differs from the declared one: off by a little, or wildly (UNT+336 for 59)."""
    value = int(declared) if declared.isdigit() else 0
    wrong = value + rng.choice((-2, -1, 1, 2, 3)) if rng.random() < 0.6 else rng.randint(1, 999)
    if wrong == value or wrong < 0:
        wrong = value + 1
    return str(wrong)


# --- edits on tokenized segments --------------------------------------------------------------


def _inside(edit: tuple[int, int, bytes], segment: EdifactSegment, data: bytes) -> bool:
    return segment.offset <= edit[0] <= _segment_end(data, segment)


def _segment_end(data: bytes, segment: EdifactSegment) -> int:
    """Byte position just after the last raw character of `segment` (line breaks skipped)."""
    return _byte_positions(data, segment, len(segment.raw))[-1] + 1


def _byte_positions(data: bytes, segment: EdifactSegment, count: int) -> list[int]:
    """Byte positions of the first `count` raw characters of an ASCII segment.

    The tokenizer removes line breaks from `raw` (a 69-column wrap may fall anywhere, even inside
    the tag), so the walk skips CR and LF in the bytes.
    """
    positions: list[int] = []
    i = segment.offset
    while len(positions) < count and i < len(data):
        if data[i] not in (0x0A, 0x0D):
            positions.append(i)
        i += 1
    return positions


def _element_span(raw: str, chars: ServiceChars, index: int) -> tuple[int, int] | None:
    """Raw positions [start, end) of element `index` (0 = first after the tag), release-aware.

    The start includes the element separator before the element, the end excludes the next one.
    """
    separators: list[int] = []
    i = 3
    while i < len(raw):
        ch = raw[i]
        if chars.release and ch == chars.release:
            i += 2
            continue
        if ch == chars.element:
            separators.append(i)
        i += 1
    if index >= len(separators):
        return None
    end = separators[index + 1] if index + 1 < len(separators) else len(raw)
    return separators[index], end


def _replace_element(
    data: bytes, segment: EdifactSegment, chars: ServiceChars, index: int, value: str
) -> list[tuple[int, int, bytes]]:
    """Edits that replace element `index`'s text by `value`, leaving line breaks where they were."""
    span = _element_span(segment.raw, chars, index)
    if span is None or not segment.raw.isascii():
        return []
    start, end = span[0] + 1, span[1]
    if start >= end:
        return []
    positions = _byte_positions(data, segment, end)[start:end]
    edits = [(positions[0], positions[0] + 1, value.encode("ascii"))]
    edits.extend((p, p + 1, b"") for p in positions[1:])
    return edits


def _drop_last_element(
    data: bytes, segment: EdifactSegment, chars: ServiceChars
) -> list[tuple[int, int, bytes]]:
    """Edits that remove the segment's last element and the separator before it."""
    span = _element_span(segment.raw, chars, len(segment.elements) - 1)
    if span is None or span[1] != len(segment.raw) or not segment.raw.isascii():
        return []
    positions = _byte_positions(data, segment, span[1])[span[0] : span[1]]
    return [(p, p + 1, b"") for p in positions]


def _truncate_una(data: bytes, interchange: Interchange) -> tuple[int, int, bytes] | None:
    """Drop the decimal mark from a UNA, where a reader can still tell what it was.

    A reader given five characters assumes the decimal mark went missing and takes `.` (`,` when
    `.` is among the five), so the truncation keeps the meaning only for such sets.
    """
    chars = interchange.chars
    una = chars.una().encode("utf-8")
    start = data.find(una, 0, 64)
    if start == -1 or data[:start].strip():
        return None
    rest = (chars.component, chars.element, chars.release, chars.repetition, chars.terminator)
    assumed = "," if "." in rest else "."
    if chars.decimal != assumed or len(set(rest)) != 5:
        return None
    at = start + 3 + 2  # U N A, component, element, then the decimal mark
    return at, at + 1, b""


def _apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply non-overlapping single-byte edits, last first so earlier positions stay valid."""
    out = bytearray(data)
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        out[start:end] = replacement
    return bytes(out)


# --- broken messages --------------------------------------------------------------------------

_UNKNOWN_TYPES = ("CUSRES", "IFTMIN", "PNRGOX", "BAPLIE")


def break_message(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A truly unreadable version of `data`, and why, in words a person understands.

    Every result ends as `ParseError` in `read_messages`: nothing in it can be read as a push or a
    passenger list. Which kinds are possible depends on the input (an XML push is cut in half, an
    EDIFACT one truncated before its first message or given an unknown message type).
    """
    is_xml = sniff_format(data) is MessageFormat.PNRGOV_XML
    kinds = [BREAK_GARBAGE, BREAK_EMPTY]
    if is_xml and len(data) > 2:
        kinds.append(BREAK_XML_CUT)
    elif not is_xml:
        kinds.extend((BREAK_TRUNCATED, BREAK_UNKNOWN_TYPE))
    kind = rng.choice(kinds)
    broken: tuple[bytes, str] | None = None
    if kind == BREAK_XML_CUT:
        half = len(data) // 2
        broken = data[:half], f"XML push cut off after {half} of {len(data)} bytes"
    elif kind == BREAK_TRUNCATED:
        broken = _truncated(data, rng)
    elif kind == BREAK_UNKNOWN_TYPE:
        broken = _unknown_type(data, rng)
    elif kind == BREAK_GARBAGE:
        broken = _garbage(rng, len(data))
    if broken is None:  # the input offered no place for the chosen defect
        broken = b"", "empty file: the delivery carried no data"
    return broken


def _truncated(data: bytes, rng: random.Random) -> tuple[bytes, str] | None:
    """Cut the transmission before the first UNH: an envelope with no message in it."""
    try:
        interchanges = read_interchanges(data)
    except ParseError:
        return None
    first = next((m.unh for ic in interchanges for m in ic.messages), None)
    if first is None or first.offset < 2:
        return None
    cut = rng.randint(1, first.offset - 1)
    return data[:cut], f"transmission cut off after {cut} bytes, before the first message began"


def _unknown_type(data: bytes, rng: random.Random) -> tuple[bytes, str] | None:
    """Give every message a message type that is neither PNRGOV nor PAXLST."""
    try:
        interchanges = read_interchanges(data)
    except ParseError:
        return None
    new_type = rng.choice(_UNKNOWN_TYPES)
    edits: list[tuple[int, int, bytes]] = []
    for interchange in interchanges:
        for message in interchange.messages:
            unh = message.unh
            span = _element_span(unh.raw, interchange.chars, 1)
            if span is None or not unh.raw.isascii():
                return None
            start = span[0] + 1
            end = start + len(unh.el(1)[0]) if unh.el(1) else start
            positions = _byte_positions(data, unh, end)[start:end]
            if not positions:
                return None
            edits.append((positions[0], positions[0] + 1, new_type.encode("ascii")))
            edits.extend((p, p + 1, b"") for p in positions[1:])
    if not edits:
        return None
    return _apply(data, edits), f"message type {new_type} in UNH: neither PNRGOV nor PAXLST"


def _garbage(rng: random.Random, size: int) -> tuple[bytes, str]:
    """Binary data where a message should be: a compressed file the router forgot to unpack."""
    length = max(16, min(size, 4096))
    while True:
        body = bytes(rng.getrandbits(8) for _ in range(length))
        data = b"\x1f\x8b\x08\x00" + body  # a gzip header, then noise
        # Noise that happened to hold a message type or a UNH could be read as a message.
        if not any(marker in data for marker in (b"UNH", b"UNA", b"UNB", b"PNRGOV", b"PAXLST")):
            return data, f"binary data ({len(data)} bytes, gzip-compressed?) instead of a message"


# --- delivery order ---------------------------------------------------------------------------


def delivery_order(items: list[T], rng: random.Random, rates: QuirkRates) -> list[tuple[T, tuple[str, ...]]]:
    """The order `items` are delivered in, each with its quirk codes.

    `items` are deliveries in the order they were sent (typically the parts of one split push).
    Mostly as given; with rate `out_of_order` a part and the next one swap places (both marked
    "out-of-order"), and with rate `duplicate_delivery` a delivery arrives once more, right after
    or a little later (the repeat marked "duplicate").
    """
    order: list[tuple[T, tuple[str, ...]]] = [(item, ()) for item in items]
    i = 0
    while i < len(order) - 1:
        if rng.random() < rates.out_of_order:
            (a, _), (b, _) = order[i], order[i + 1]
            order[i], order[i + 1] = (b, (QUIRK_OUT_OF_ORDER,)), (a, (QUIRK_OUT_OF_ORDER,))
            i += 2  # each part moves at most one place: parts run late, not in random order
        else:
            i += 1
    delivered: list[tuple[T, tuple[str, ...]]] = []
    pending: list[tuple[int, tuple[T, tuple[str, ...]]]] = []  # (deliveries still to wait, repeat)
    for item, codes in order:
        delivered.append((item, codes))
        still: list[tuple[int, tuple[T, tuple[str, ...]]]] = []
        for wait, repeat in pending:
            if wait <= 0:
                delivered.append(repeat)
            else:
                still.append((wait - 1, repeat))
        pending = still
        if rng.random() < rates.duplicate_delivery:
            pending.append((rng.randint(0, 2), (item, (*codes, QUIRK_DUPLICATE))))
    delivered.extend(repeat for _, repeat in pending)  # a late repeat still arrives
    return delivered
