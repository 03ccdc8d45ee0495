"""A tolerant, fast UN/EDIFACT reader for the feeds airlines really send (PNRGOV, PAXLST).

Layer 1 turns bytes into interchanges of segments, layer 2 checks the envelope
(UNB/UNG/UNH/UNT/UNE/UNZ) and groups segments into messages. Nothing here knows PNRGOV or
PAXLST grammar; their parsers walk `EdifactMessage.segments`.

What it survives (see `reference/message-formats.md`, sections 1 and 5): missing, truncated or
odd UNA; a UNA ending in a typographic quote; release characters (an even run of them before a
terminator leaves it real); line breaks between and inside segments (69-column wraps are joined);
BOM, leading junk and transport headers; prose after the last UNZ; several interchanges in one
input, each with its own service characters; wrong UNT/UNE/UNZ counts; a missing terminator
between two segments (repaired where the glued tag is unmistakable). Counts and repairs become
warnings; only an input with no message at all is a `ParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import NamedTuple

from openpiu.formats.errors import ParseError
from openpiu.formats.text import small_int
from openpiu.model import MessageFormat, MessageHeader, ParseWarning, utc

_speedups: ModuleType | None
try:  # the hot loop in C, built at install when a compiler is there; the Python loop is the reference
    from openpiu.formats import _edifact_speedups as _speedups
except ImportError:  # pragma: no cover - depends on the machine that installed openpiu
    _speedups = None

_BOM = "\ufeff"
_TYPOGRAPHIC_QUOTE = "’"
_TAG = re.compile(r"[A-Z][A-Z0-9]{2}")
# Segments whose free text may legitimately end in something that looks like a tag.
_FREE_TEXT_TAGS = frozenset({"IFT", "LTS", "SSR", "FTX", "ADD", "UNA"})


@dataclass(frozen=True, slots=True)
class ServiceChars:
    """The six service characters of an interchange, in UNA order."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str = "?"
    repetition: str = " "
    terminator: str = "'"

    def una(self) -> str:
        return (
            f"UNA{self.component}{self.element}{self.decimal}{self.release}{self.repetition}{self.terminator}"
        )


DEFAULT_CHARS = ServiceChars()


class EdifactSegment(NamedTuple):
    """One segment: tag, unescaped elements (each a tuple of components), and where it was."""

    tag: str
    elements: tuple[tuple[str, ...], ...]
    number: int  # 1-based position among the segments of the input
    offset: int  # byte offset of the tag in the input
    raw: str  # the segment as sent, without its terminator and line breaks

    def el(self, index: int) -> tuple[str, ...]:
        """Element `index` (0 = the first after the tag), or () when absent."""
        return self.elements[index] if index < len(self.elements) else ()

    def get(self, index: int, component: int = 0) -> str:
        """Component `component` of element `index`, stripped; "" when absent."""
        if index >= len(self.elements):
            return ""
        element = self.elements[index]
        return element[component].strip() if component < len(element) else ""


@dataclass(slots=True)
class EdifactMessage:
    """One UNH..UNT message with the envelope facts around it and what the reader noticed."""

    unh: EdifactSegment
    segments: list[EdifactSegment]  # the body, between UNH and UNT
    unt: EdifactSegment | None
    chars: ServiceChars
    message_type: str
    version: str | None
    message_ref: str | None
    common_access_ref: str | None
    part: int | None
    final_part: bool | None
    sender: str | None
    recipient: str | None
    prepared_at: datetime | None
    control_ref: str | None
    syntax: str | None
    group_type: str | None = None
    warnings: list[ParseWarning] = field(default_factory=list)

    @property
    def format(self) -> MessageFormat | None:
        try:
            return MessageFormat(self.message_type)
        except ValueError:
            return None

    def header(self) -> MessageHeader:
        fmt = self.format
        if fmt is None:
            raise ValueError(f"not a PNRGOV or PAXLST message: {self.message_type}")
        return MessageHeader(
            format=fmt,
            version=self.version,
            message_ref=self.message_ref,
            common_access_ref=self.common_access_ref,
            part=self.part,
            final_part=self.final_part,
            sender=self.sender,
            recipient=self.recipient,
            prepared_at=self.prepared_at,
            control_ref=self.control_ref,
            syntax=self.syntax,
            offset=self.unh.offset,
        )


@dataclass(slots=True)
class Interchange:
    """One UNB..UNZ interchange (or a headless run of messages), with what surrounded it."""

    chars: ServiceChars
    unb: EdifactSegment | None
    messages: list[EdifactMessage]
    warnings: list[ParseWarning]
    leading: str = ""  # transport header or junk before UNA/UNB, kept as metadata
    trailing: str = ""  # text after the final UNZ that is not another interchange
    offset: int = 0


# ---------------------------------------------------------------------------------------------
# Layer 1: bytes -> text -> interchanges of segments


def decode(data: bytes) -> tuple[str, str, int]:
    """Decode as UTF-8, else CP1252, else Latin-1. Returns (text, encoding, BOM length in bytes)."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    body = data[bom:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding), encoding, bom
        except UnicodeDecodeError:
            continue
    return body.decode("latin-1"), "latin-1", bom


def _plausible(chars: str) -> bool:
    """UNA characters must be distinct punctuation; the repetition slot may be a space."""
    if len(chars) != 6:
        return False
    significant = [c for i, c in enumerate(chars) if not (i == 4 and c == " ")]
    return len(set(significant)) == len(significant) and not any(c.isalnum() for c in significant)


class _Envelope(NamedTuple):
    chars: ServiceChars
    body_start: int  # where the UNB (or first segment) starts
    warnings: list[ParseWarning]


def _service_chars(text: str, start: int, offset_of: _Offsets) -> _Envelope:
    """Read the UNA at `start` (if any) and decide the service characters of this interchange."""
    warnings: list[ParseWarning] = []
    if text.startswith("UNA", start):
        unb = text.find("UNB", start + 3)
        declared = text[start + 3 : unb] if unb != -1 and unb - start <= 12 else text[start + 3 : start + 9]
        raw_chars = declared.rstrip("\r\n\t ")
        if len(raw_chars) > 6:
            raw_chars = raw_chars[:6]
        chars = _from_una(raw_chars, text, unb if unb != -1 else start + 9, warnings, offset_of(start))
        body = unb if unb != -1 else start + 3 + len(declared)
        return _Envelope(chars, body, warnings)
    return _Envelope(_sniff(text, start, warnings, offset_of(start)), start, warnings)


def _from_una(declared: str, text: str, unb: int, warnings: list[ParseWarning], offset: int) -> ServiceChars:
    if _plausible(declared):
        chars = ServiceChars(*declared)
        if chars.terminator == _TYPOGRAPHIC_QUOTE and "'" in text[unb : unb + 200]:
            # The UNA was typed in a word processor; the body uses the ASCII apostrophe.
            warnings.append(
                ParseWarning(
                    "una-typographic",
                    "UNA declares a typographic quote as terminator; the body uses ' and so does the reader",
                    offset=offset,
                    tag="UNA",
                )
            )
            chars = ServiceChars(
                chars.component, chars.element, chars.decimal, chars.release, chars.repetition
            )
        return chars
    if len(declared) == 5 and len(set(declared)) == 5 and not any(c.isalnum() for c in declared):
        # A truncated UNA (`UNA:+\*'`): the decimal mark is the one that went missing.
        warnings.append(
            ParseWarning(
                "una-truncated",
                "UNA has 5 service characters instead of 6; assumed the decimal mark is missing",
                offset=offset,
                tag="UNA",
            )
        )
        c, e, r, rep, t = list(declared)
        return ServiceChars(c, e, "." if "." not in declared else ",", r, rep, t)
    warnings.append(
        ParseWarning(
            "una-implausible",
            "UNA service characters are not plausible; sniffed them from UNB instead",
            offset=offset,
            tag="UNA",
        )
    )
    return _sniff(text, unb, warnings, offset)


def _sniff(text: str, start: int, warnings: list[ParseWarning], offset: int) -> ServiceChars:
    """Without a usable UNA: the level-A defaults, with the separators UNB actually uses."""
    if not text.startswith("UNB", start) or len(text) < start + 9:
        return DEFAULT_CHARS
    element = text[start + 3]
    component = text[start + 8] if text[start + 4 : start + 8].isalnum() else DEFAULT_CHARS.component
    if element.isalnum() or element.isspace():
        return DEFAULT_CHARS
    if (element, component) == (DEFAULT_CHARS.element, DEFAULT_CHARS.component):
        return DEFAULT_CHARS
    warnings.append(
        ParseWarning(
            "separators-sniffed",
            f"no UNA; UNB uses element separator {element!r} and component separator {component!r}",
            offset=offset,
            tag="UNB",
        )
    )
    terminator = DEFAULT_CHARS.terminator
    if terminator in (element, component):
        terminator = "~"
    return ServiceChars(component, element, DEFAULT_CHARS.decimal, DEFAULT_CHARS.release, " ", terminator)


class _Offsets:
    """Maps text positions to byte offsets; trivial for single-byte text, incremental otherwise."""

    __slots__ = ("_base", "_last_byte", "_last_char", "_multibyte", "_text", "linear")

    def __init__(self, text: str, encoding: str, base: int) -> None:
        self._text = text
        self._base = base
        self._multibyte = encoding == "utf-8" and not text.isascii()
        self._last_char = 0
        self._last_byte = 0
        # For single-byte text the byte offset is the position plus a constant: callers add it inline.
        self.linear: int | None = None if self._multibyte else base

    def __call__(self, position: int) -> int:
        if not self._multibyte:
            return self._base + position
        if position < self._last_char:
            self._last_char = self._last_byte = 0
        self._last_byte += len(self._text[self._last_char : position].encode("utf-8"))
        self._last_char = position
        return self._base + self._last_byte


def _split_released(text: str, separator: str, release: str) -> list[str]:
    """Split on `separator`, honouring the release character, and remove the releases."""
    out: list[str] = []
    buf: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == release:
            if i + 1 < n:
                buf.append(release + text[i + 1])  # keep escaped pairs for the next split level
                i += 2
                continue
            i += 1  # a dangling release at the end of the segment: drop it
            continue
        if ch == separator:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    out.append("".join(buf))
    return out


def _unescape(text: str, release: str) -> str:
    if release not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == release and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        elif ch == release:
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def split_elements(body: str, chars: ServiceChars) -> tuple[tuple[str, ...], ...]:
    """The elements after the tag (`body` starts at the first element separator)."""
    release = chars.release
    if release not in body:
        return tuple([tuple(e.split(chars.component)) for e in body.split(chars.element)[1:]])
    elements = _split_released(body, chars.element, release)[1:]
    return tuple(
        [
            tuple([_unescape(c, release) for c in _split_released(e, chars.component, release)])
            for e in elements
        ]
    )


def _released(text: str, end: int, start: int, release: str) -> bool:
    """True when an odd run of release characters stands before `end` (so the terminator is data)."""
    run = 0
    i = end - 1
    while i >= start and text[i] == release:
        run += 1
        i -= 1
    return run % 2 == 1


class _Tokens(NamedTuple):
    segments: list[EdifactSegment]
    end: int  # text position just after the last segment read (UNZ's terminator)
    warnings: list[ParseWarning]


def _tokenize(
    text: str,
    start: int,
    chars: ServiceChars,
    number: int,
    offset_of: _Offsets,
) -> _Tokens:
    """Read segments from `start` until a UNZ (inclusive), the next interchange, or the end."""
    end = _region_end(text, start, chars)
    region = text[start:end]
    if chars.terminator != "'" or _TYPOGRAPHIC_QUOTE not in region:
        return _tokenize_plain(region, start, chars, number, offset_of)
    return _tokenize_careful(text[:end], start, chars, number, offset_of)


_BLANKS = " \r\n\t\x00\x01\x02\x03"
_BOUNDARIES: dict[tuple[str, str], re.Pattern[str]] = {}
_KNOWN_TAGS: set[str] = set()  # tags already seen to be well formed: a set lookup beats the regex
_new_segment = tuple.__new__  # NamedTuple's own __new__ is a Python function; this is the C one


def _region_end(text: str, start: int, chars: ServiceChars) -> int:
    """Where this interchange's text ends: after UNZ (its terminator or line), or at the next UNA/UNB."""
    key = (chars.terminator, chars.release)
    pattern = _BOUNDARIES.get(key)
    if pattern is None:
        pattern = re.compile(
            # A 69-column wrap may fall inside the UNZ tag itself (`UN` / `Z+1+1'`).
            re.escape(chars.terminator)
            + r"[ \t\r\n]*(U[\r\n]*N[\r\n]*Z(?![A-Za-z0-9])|UNA|UNB(?![A-Za-z0-9]))"
        )
        _BOUNDARIES[key] = pattern
    for match in pattern.finditer(text, start + 3):
        if chars.release and _released(text, match.start(), start, chars.release):
            continue
        if match.group(1) in ("UNA", "UNB"):
            return match.start(1)
        after = match.end()
        term = text.find(chars.terminator, after)
        line = text.find("\n", after)
        if term == -1 and line == -1:
            return len(text)
        if term != -1 and (line == -1 or _unz_body(text[after:term])):
            return term + 1
        return line  # an unterminated UNZ ends with its line; what follows is not the interchange
    return len(text)


def _unz_body(text: str) -> bool:
    """Whether `text` (between UNZ and the next terminator) is UNZ's own elements, maybe wrapped.

    UNZ holds a count and a control reference: short, without spaces. Prose after an unterminated
    UNZ has spaces and runs long, so it is not taken into the interchange.
    """
    flat = text.replace("\r", "").replace("\n", "")
    return len(flat) <= 40 and " " not in flat and "\n\n" not in text.replace("\r", "")


def _pieces(region: str, chars: ServiceChars) -> list[str]:
    """The region split on the terminator, with pieces rejoined where the terminator was released."""
    term = chars.terminator
    release = chars.release
    pieces = region.split(term)
    if not release or release + term not in region:
        return pieces
    merged: list[str] = []
    held: str | None = None
    for piece in pieces:
        if held is not None:
            piece = held + term + piece  # noqa: PLW2901 - rejoining is the point
            held = None
        if piece[-1:] == release and _released(piece, len(piece), 0, release):
            held = piece
        else:
            merged.append(piece)
    if held is not None:
        merged.append(held)
    return merged


def _tokenize_plain(
    region: str,
    start: int,
    chars: ServiceChars,
    number: int,
    offset_of: _Offsets,
) -> _Tokens:
    """One split finds every segment (escaped terminators are rejoined); the hot loop of the reader."""
    linear = offset_of.linear
    if _speedups is not None and linear is not None and len(chars.terminator) == 1:
        found, bad = _speedups.tokenize_plain(
            region,
            start,
            chars.component,
            chars.element,
            chars.release,
            chars.terminator,
            number,
            linear,
            EdifactSegment,
        )
        return _Tokens(found, start + len(region), [_not_a_segment(n, off) for n, off in bad])
    return _tokenize_plain_python(region, start, chars, number, offset_of)


def _tokenize_plain_python(
    region: str,
    start: int,
    chars: ServiceChars,
    number: int,
    offset_of: _Offsets,
) -> _Tokens:
    """The reference implementation of `_tokenize_plain` (and the fallback without the C module)."""
    element = chars.element
    component = chars.component
    release = chars.release
    known = _KNOWN_TAGS
    segments: list[EdifactSegment] = []
    warnings: list[ParseWarning] = []
    append = segments.append
    linear = offset_of.linear
    pos = start
    for piece in _pieces(region, chars):
        here = pos
        pos += len(piece) + 1
        raw = piece
        if raw[:1] in _BLANKS:
            raw = piece.lstrip(_BLANKS)
            here += len(piece) - len(raw)
            if not raw:
                continue
        if "\n" in raw or "\r" in raw:
            raw = raw.replace("\r", "").replace("\n", "")
        tag = raw[:3]
        if raw[3:4] != element and len(raw) != 3:
            if raw[3:4] == " " and raw[3:].lstrip(" ")[:1] == element:
                raw = tag + raw[3:].lstrip(" ")  # `UNG *PAXLST`: a stray space after the tag
            else:
                tag = ""
        if tag and tag not in known and _TAG.fullmatch(tag):
            known.add(tag)
        if tag in known:
            body = raw[3:]
            if release in body:
                elements = split_elements(body, chars)
            else:
                elements = tuple([tuple(e.split(component)) for e in body.split(element)[1:]])
            offset = here + linear if linear is not None else offset_of(here)
            append(_new_segment(EdifactSegment, (tag, elements, number, offset, raw)))
        else:
            offset = offset_of(here)
            warnings.append(_not_a_segment(number, offset))
            append(EdifactSegment("", (), number, offset, raw))
        number += 1
    return _Tokens(segments, start + len(region), warnings)


def _not_a_segment(number: int, offset: int) -> ParseWarning:
    return ParseWarning(
        "not-a-segment", "text that is not a segment was skipped", segment=number, offset=offset
    )


def _tokenize_careful(
    text: str,
    start: int,
    chars: ServiceChars,
    number: int,
    offset_of: _Offsets,
) -> _Tokens:
    """Segment by segment, for text with escaped terminators or typographic quotes."""
    term = chars.terminator
    release = chars.release
    element = chars.element
    segments: list[EdifactSegment] = []
    warnings: list[ParseWarning] = []
    typographic_ok = term == "'"
    pos = start
    n = len(text)
    while pos < n:
        # Skip line breaks and blanks between segments.
        while pos < n and text[pos] in " \r\n\t\x00\x01\x02\x03":
            pos += 1
        if pos >= n:
            break
        end = text.find(term, pos)
        while end != -1 and text[end - 1] == release and _released(text, end, pos, release):
            end = text.find(term, end + 1)
        stop = n if end == -1 else end
        raw = text[pos:stop]
        if typographic_ok and _TYPOGRAPHIC_QUOTE in raw:
            cut = _typographic_cut(raw, element)
            if cut is not None:
                warnings.append(
                    ParseWarning(
                        "typographic-terminator",
                        "segment ended by a typographic quote instead of '",
                        segment=number + len(segments),
                        offset=offset_of(pos),
                        tag=raw[:3],
                    )
                )
                stop = pos + cut
                raw = raw[:cut]
                end = stop
        if "\n" in raw or "\r" in raw:
            raw, rest = _join_wrapped(raw, end == -1)
            if rest is not None:
                stop = pos + rest
                end = stop - 1
        tag = raw[:3]
        if raw.startswith(("UNA", "UNB")) and segments and segments[-1].tag != "UNA":
            # The next interchange begins without a UNZ before it.
            break
        seg_number = number + len(segments)
        if raw[3:4] == " " and raw[3:].lstrip(" ")[:1] == element:
            raw = tag + raw[3:].lstrip(" ")  # `UNG *PAXLST`: a stray space after the tag
        if not _TAG.fullmatch(tag) or (len(raw) > 3 and raw[3] != element):
            warnings.append(_not_a_segment(seg_number, offset_of(pos)))
            segments.append(EdifactSegment("", (), seg_number, offset_of(pos), raw))
        else:
            segments.append(
                EdifactSegment(tag, split_elements(raw[3:], chars), seg_number, offset_of(pos), raw)
            )
        pos = stop + 1 if end != -1 else n
        if tag == "UNZ":
            return _Tokens(segments, min(pos, n), warnings)
    return _Tokens(segments, min(pos, n), warnings)


_TYPO_NEXT = re.compile(r"’[ \t\r\n]*(?=[A-Z]{3}[^A-Za-z0-9]|$)")


def _typographic_cut(raw: str, element: str) -> int | None:
    """Where a typographic quote ends the segment: before a line break and a new tag, or at the end."""
    match = _TYPO_NEXT.search(raw)
    return match.start() if match else None


def _join_wrapped(raw: str, at_end: bool) -> tuple[str, int | None]:
    """Join a segment hard-wrapped across lines; without a terminator, stop at the first line break.

    Returns the joined text and, when the segment was cut, its new length within the original text.
    """
    if at_end:
        # Last segment with no terminator (UNZ at the end of a file, then maybe prose): one line.
        first = re.split(r"[\r\n]", raw, maxsplit=1)[0]
        return first.rstrip(), len(first)
    return raw.replace("\r", "").replace("\n", ""), None


# ---------------------------------------------------------------------------------------------
# Layer 2: envelope


_INTERCHANGE_START = re.compile(r"UNA|UNB")


def read_interchanges(data: bytes, *, source: str = "<bytes>") -> list[Interchange]:
    """Every interchange in `data`, with its messages. Raises ParseError when there is no message."""
    text, encoding, bom = decode(data)
    offset_of = _Offsets(text, encoding, bom)
    interchanges: list[Interchange] = []
    number = 1
    pos = 0
    leading_warnings: list[ParseWarning] = []
    if bom:
        leading_warnings.append(ParseWarning("bom", "byte-order mark skipped", offset=0))
    while True:
        found = _next_start(text, pos)
        if found is None:
            break
        leading = text[pos:found].strip()
        leading_offset = offset_of(pos)
        start_offset = offset_of(found)
        envelope = _service_chars(text, found, offset_of)
        tokens = _tokenize(text, envelope.body_start, envelope.chars, number, offset_of)
        warnings = leading_warnings + envelope.warnings + tokens.warnings
        leading_warnings = []
        if leading:
            warnings.append(
                ParseWarning(
                    "leading-text",
                    f"{len(leading)} characters before the interchange kept as transport metadata",
                    offset=leading_offset,
                )
            )
        interchange = _assemble(tokens.segments, envelope.chars, warnings, leading, start_offset)
        interchanges.append(interchange)
        number += len(tokens.segments)
        if tokens.end <= found:
            break
        pos = tokens.end
    if interchanges:
        trailing = text[pos:].strip()
        if trailing:
            interchanges[-1].trailing = trailing
            interchanges[-1].warnings.append(
                ParseWarning(
                    "trailing-text",
                    f"{len(trailing)} characters after the last interchange ignored",
                    offset=offset_of(pos),
                )
            )
    if not any(ic.messages for ic in interchanges):
        # Perhaps a bare run of messages without UNB: look for UNH.
        headless = _headless(text, offset_of, number)
        if headless is not None:
            interchanges = [headless]
    if not any(ic.messages for ic in interchanges):
        snippet = text.strip()[:80]
        raise ParseError(
            "no EDIFACT message found (no UNH segment)" if text.strip() else "empty input",
            file=source,
            offset=0,
            text=snippet or None,
        )
    return interchanges


def _next_start(text: str, pos: int) -> int | None:
    """Where the next interchange begins: a UNA or UNB at the start of a segment."""
    for match in _INTERCHANGE_START.finditer(text, pos):
        i = match.start()
        before = text[i - 1] if i > 0 else ""
        if match.group() == "UNA":
            return i
        after = text[i + 3] if i + 3 < len(text) else ""
        if (before == "" or not before.isalnum()) and after and not after.isalnum():
            return i
    return None


def _headless(text: str, offset_of: _Offsets, number: int) -> Interchange | None:
    start = text.find("UNH")
    if start == -1:
        return None
    chars = DEFAULT_CHARS
    if start + 3 < len(text) and not text[start + 3].isalnum():
        chars = ServiceChars(element=text[start + 3])
    tokens = _tokenize(text, start, chars, number, offset_of)
    warnings = [
        ParseWarning(
            "no-unb", "no UNB interchange header; read the messages without it", offset=offset_of(start)
        ),
        *tokens.warnings,
    ]
    interchange = _assemble(tokens.segments, chars, warnings, text[:start].strip(), offset_of(start))
    return interchange if interchange.messages else None


def _int(value: str) -> int | None:
    return small_int(value)


def _unb_time(unb: EdifactSegment | None) -> datetime | None:
    if unb is None:
        return None
    day, clock = unb.get(3, 0), unb.get(3, 1)
    try:
        if len(day) == 6 and day.isdigit():
            stamp = datetime.strptime(
                day + (clock if len(clock) == 4 and clock.isdigit() else "0000"), "%y%m%d%H%M"
            )
            return utc(stamp)
        if len(day) == 8 and day.isdigit():
            return utc(datetime.strptime(day + (clock or "0000")[:4], "%Y%m%d%H%M"))
    except ValueError:
        return None
    return None


def _party(segment: EdifactSegment | None, index: int) -> str | None:
    if segment is None:
        return None
    element = segment.el(index)
    value = ":".join(c for c in element if c).strip()
    return value or None


def _version(element: tuple[str, ...]) -> tuple[str, str | None]:
    """Message type and version from UNH S009: PNRGOV:11:1:IA -> 11.1; PAXLST:D:05B:UN -> D:05B."""
    mtype = element[0].strip().upper() if element else ""
    version = element[1].strip() if len(element) > 1 else ""
    release = element[2].strip() if len(element) > 2 else ""
    if not version:
        return mtype, None
    major, minor = small_int(version, 4), small_int(release, 4)
    if major is not None and minor is not None:
        return mtype, f"{major}.{minor}"
    return mtype, f"{version}:{release}" if release else version


def _assemble(
    segments: list[EdifactSegment],
    chars: ServiceChars,
    warnings: list[ParseWarning],
    leading: str,
    offset: int,
) -> Interchange:
    unb: EdifactSegment | None = None
    ung: EdifactSegment | None = None
    unz: EdifactSegment | None = None
    messages: list[EdifactMessage] = []
    current: EdifactMessage | None = None
    group_messages = 0
    groups = 0
    stray = 0

    def close(message: EdifactMessage, unt: EdifactSegment | None) -> None:
        message.unt = unt
        count = len(message.segments) + (2 if unt is not None else 1)
        if unt is None:
            message.warnings.append(
                ParseWarning(
                    "no-unt",
                    "message not closed by UNT; read up to where it ends",
                    segment=message.unh.number,
                    offset=message.unh.offset,
                    tag="UNH",
                )
            )
            return
        declared = _int(unt.get(0))
        if declared != count:
            message.warnings.append(
                ParseWarning(
                    "unt-count",
                    f"UNT declares {unt.get(0) or 'no count'} segments, the message has {count}",
                    segment=unt.number,
                    offset=unt.offset,
                    tag="UNT",
                )
            )
        ref = unt.get(1)
        if ref and message.message_ref and ref.replace(" ", "") != message.message_ref.replace(" ", ""):
            message.warnings.append(
                ParseWarning(
                    "unt-reference",
                    "UNT message reference differs from UNH",
                    segment=unt.number,
                    offset=unt.offset,
                    tag="UNT",
                )
            )

    for segment in segments:
        tag = segment.tag
        if current is not None and tag not in ("UNT", "UNH", "UNE", "UNZ", "UNG", "UNB"):
            current.segments.append(segment)
            continue
        if tag == "UNH":
            if current is not None:
                close(current, None)
            current = _open_message(segment, chars, unb, ung)
            messages.append(current)
            group_messages += 1
        elif tag == "UNT":
            if current is None:
                warnings.append(_stray(segment))
            else:
                close(current, segment)
                current = None
        elif tag == "UNB":
            unb = segment
        elif tag == "UNG":
            ung = segment
            groups += 1
            group_messages = 0
        elif tag == "UNE":
            declared = _int(segment.get(0))
            if declared is not None and declared != group_messages:
                warnings.append(_count_warning("une-count", "UNE", declared, group_messages, segment))
        elif tag == "UNZ":
            unz = segment
        elif tag:
            stray += 1
            warnings.append(_stray(segment))
        else:
            stray += 1
    if current is not None:
        close(current, None)
    if unb is None and messages:
        warnings.append(ParseWarning("no-unb", "no UNB interchange header", offset=offset))
    if unz is None and unb is not None:
        warnings.append(ParseWarning("no-unz", "interchange not closed by UNZ", offset=offset, tag="UNB"))
    elif unz is not None:
        declared = _int(unz.get(0))
        actual = groups if groups else len(messages)
        if declared is not None and declared != actual:
            warnings.append(_count_warning("unz-count", "UNZ", declared, actual, unz))
    return Interchange(chars, unb, messages, warnings, leading=leading, offset=offset)


def _count_warning(code: str, tag: str, declared: int, actual: int, segment: EdifactSegment) -> ParseWarning:
    return ParseWarning(
        code,
        f"{tag} declares {declared}, found {actual}",
        segment=segment.number,
        offset=segment.offset,
        tag=tag,
    )


def _stray(segment: EdifactSegment) -> ParseWarning:
    return ParseWarning(
        "outside-message",
        "segment outside any UNH..UNT message skipped",
        segment=segment.number,
        offset=segment.offset,
        tag=segment.tag,
    )


def _open_message(
    unh: EdifactSegment,
    chars: ServiceChars,
    unb: EdifactSegment | None,
    ung: EdifactSegment | None,
) -> EdifactMessage:
    mtype, version = _version(unh.el(1))
    if ung is not None and not version:
        _, version = _version((mtype, *ung.el(6)))
    status = unh.el(3)
    part = _int(status[0]) if status else None
    flag = status[1].strip().upper() if len(status) > 1 else ""
    final_part: bool | None = True if flag == "F" else False if flag == "C" else None
    if final_part is None and part is not None and flag == "":
        final_part = None
    syntax = ":".join(c for c in unb.el(0) if c) if unb is not None else None
    return EdifactMessage(
        unh=unh,
        segments=[],
        unt=None,
        chars=chars,
        message_type=mtype,
        version=version,
        message_ref=unh.get(0).replace(" ", "") or None,
        common_access_ref=unh.get(2) or None,
        part=part,
        final_part=final_part,
        sender=_party(unb, 1),
        recipient=_party(unb, 2),
        prepared_at=_unb_time(unb),
        control_ref=(unb.get(4) or None) if unb is not None else None,
        syntax=syntax or None,
        group_type=ung.get(0) if ung is not None else None,
    )


def iter_messages(data: bytes, *, source: str = "<bytes>") -> Iterator[tuple[Interchange, EdifactMessage]]:
    """Each message with its interchange, in input order."""
    for interchange in read_interchanges(data, source=source):
        for message in interchange.messages:
            yield interchange, message


def repair_run_together(
    segment: EdifactSegment,
    known_tags: frozenset[str],
    chars: ServiceChars,
) -> list[EdifactSegment] | None:
    """Split a segment that swallowed the next one because a terminator was missing.

    `ORG+...+9TIF+KIM:I+...` becomes `ORG+...+9` and `TIF+KIM:I+...` when the glued tag is one
    the message type knows and the segment is not free text. Returns None when nothing is glued.
    """
    if segment.tag in _FREE_TEXT_TAGS or not segment.elements:
        return None
    for index, element in enumerate(segment.elements[:-1]):
        last = element[-1]
        if len(element) != 1 or len(last) < 3:
            continue
        tag = last[-3:]
        head = last[:-3]
        # Only a tag glued to a value (`9TIF`): a lone `ADD` may be data (Addis Ababa's airport code).
        if tag in known_tags and head and not head[-1].isalpha():
            left = (*segment.elements[:index], (head,))
            right = segment.elements[index + 1 :]
            cut = segment.raw.rfind(tag + chars.element, 0)
            first = EdifactSegment(
                segment.tag, tuple(left), segment.number, segment.offset, segment.raw[:cut]
            )
            second = EdifactSegment(
                tag, tuple(right), segment.number, segment.offset + cut, segment.raw[cut:]
            )
            return [first, second]
    return None
