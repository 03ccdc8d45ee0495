"""What every EDIFACT writer shares: release escaping, segment assembly, the envelope, line layout.

The PNRGOV and PAXLST writers build each message as a list of segment strings (already escaped,
without terminators) through `SegmentBuffer`, then `interchange` wraps them in UNA/UNB/UNG and
UNE/UNZ and lays out the text (one segment per line, optional 69-column Type-B wraps).

Speed matters (the parsing benchmark writes hundreds of megabytes), so escaping is a closure built
once per set of service characters, and segments are joined from plain lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from openpiu.formats.edifact import DEFAULT_CHARS, ServiceChars

__all__ = [
    "DEFAULT_CHARS",
    "Element",
    "Group",
    "SegmentBuffer",
    "SentinelClash",
    "amount",
    "ddmmmyy",
    "ddmmyy",
    "escape",
    "escaper",
    "hhmm",
    "interchange",
    "month_name",
    "s010",
    "split_default_syntax",
    "utc_naive",
    "wrap_lines",
    "yymmdd",
]

Element = str | None | Sequence[str | None]
"""One data element: a single value, None (empty), or its components in order."""

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@lru_cache(maxsize=32)
def escaper(chars: ServiceChars = DEFAULT_CHARS) -> Callable[[str], str]:
    """A fast `escape` for one set of service characters.

    Releases the release character itself first (so `?` becomes `??` before `+` becomes `?+`),
    then the component, element, repetition and segment separators. The decimal mark is never
    released, and a space repetition "separator" (syntax versions 1-3: reserved) is not either.
    """
    release = chars.release
    specials: list[str] = [release]
    for ch in (chars.component, chars.element, chars.repetition, chars.terminator):
        if ch and ch != " " and ch not in specials:
            specials.append(ch)
    pairs = tuple((ch, release + ch) for ch in specials)
    # str.isalnum() is a C-speed fast path for codes and numbers, valid because no service
    # character is alphanumeric in any plausible UNA.
    alnum_safe = not any(ch.isalnum() for ch in specials)

    def escape_value(value: str) -> str:
        if alnum_safe and value.isalnum():
            return value
        for ch, released in pairs:
            if ch in value:
                value = value.replace(ch, released)
        return value

    return escape_value


def escape(value: str, chars: ServiceChars | None = None) -> str:
    """Release every service character in `value` (`O'NEIL` -> `O?'NEIL`, `?` -> `??`)."""
    return escaper(chars or DEFAULT_CHARS)(value)


class SentinelClash(Exception):
    """The data contained a sentinel character of the fast path; callers retry with `fast=False`."""


# Fast path: separators are written as lone surrogates (never valid text, so never in sane data),
# the whole message is escaped with a few C-speed str.replace calls, then the sentinels become the
# real separators. Counting the sentinels we wrote proves the data held none; if it did,
# `render` raises SentinelClash and the writer redoes the message with per-value escaping.
_E = "\ud800"
_C = "\ud801"
_T = "\ud802"


class SegmentBuffer:
    """Collects the segments of one message; `count` is the UNT count so far (UNH included)."""

    __slots__ = ("_components", "_elements", "_esc", "_segments", "chars", "fast")

    def __init__(self, chars: ServiceChars, *, fast: bool = True) -> None:
        self.chars = chars
        self.fast = fast
        self._esc = escaper(chars)
        self._segments: list[str] = []
        self._elements = 0  # element separators written (fast path check)
        self._components = 0

    @property
    def count(self) -> int:
        return len(self._segments)

    def add(self, tag: str, *elements: Element) -> None:
        """Append a segment. Trailing empty components and elements are dropped, inner ones kept."""
        if not self.fast:
            self._add_escaped(tag, elements)
            return
        # Hot path: no escaping here; `render` escapes the whole message at once.
        parts = [tag]
        components = 0
        for element in elements:
            if element.__class__ is str:
                parts.append(element)
            elif element:
                comps = [c or "" for c in element]
                if not comps[-1]:
                    while comps and not comps[-1]:
                        comps.pop()
                    if not comps:
                        parts.append("")
                        continue
                components += len(comps) - 1
                parts.append(_C.join(comps))
            else:
                parts.append("")
        if not parts[-1]:
            while len(parts) > 1 and not parts[-1]:
                parts.pop()
        self._elements += len(parts) - 1
        self._components += components
        self._segments.append(_E.join(parts))

    def _add_escaped(self, tag: str, elements: tuple[Element, ...]) -> None:
        esc = self._esc
        parts = [tag]
        for element in elements:
            if not element:
                parts.append("")
            elif isinstance(element, str):
                parts.append(esc(element))
            else:
                comps = [esc(c) if c else "" for c in element]
                while comps and not comps[-1]:
                    comps.pop()
                parts.append(self.chars.component.join(comps))
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        self._segments.append(self.chars.element.join(parts))

    def render(self, joiner: str) -> str:
        """The escaped segments joined by `joiner` (terminator plus any line break), no final one."""
        if not self.fast:
            return joiner.join(self._segments)
        text = _T.join(self._segments)
        if (
            text.count(_E) != self._elements
            or text.count(_C) != self._components
            or text.count(_T) != max(len(self._segments) - 1, 0)
        ):
            raise SentinelClash
        chars = self.chars
        release = chars.release
        if release in text:
            text = text.replace(release, release + release)
        for ch in (chars.component, chars.element, chars.repetition, chars.terminator):
            if ch not in (" ", release) and ch in text:
                text = text.replace(ch, release + ch)
        return text.replace(_E, chars.element).replace(_C, chars.component).replace(_T, joiner)


@dataclass(frozen=True, slots=True)
class Group:
    """A UNG functional group: group id (PNRGOV, PAXLST), agency (IA, UN) and version (13:1, D:05B)."""

    group_id: str
    agency: str
    version: tuple[str, ...]
    reference: str


def s010(part: int | None, final_part: bool | None) -> tuple[str, ...] | None:
    """UNH status of the transfer: `01:C` first of several, `02` middle, `03:F` last, `01:F` only."""
    if part is None and final_part is None:
        return None
    number = part if part is not None else 1
    if final_part:
        return (f"{number:02d}", "F")
    if final_part is False and number == 1:
        return (f"{number:02d}", "C")
    return (f"{number:02d}",)


def interchange(
    messages: Sequence[SegmentBuffer],
    *,
    chars: ServiceChars,
    una: bool,
    syntax: str,
    sender: str,
    recipient: str,
    prepared_at: datetime | None,
    control_ref: str,
    group: Group | None,
    line_breaks: bool,
    newline: str,
    wrap: int | None,
    encoding: str,
    application_ref: str | None = None,
) -> bytes:
    """Envelope messages (each a buffer of segments from UNH to UNT) into one interchange.

    Raises SentinelClash when a fast-path buffer met data holding a sentinel character.
    """
    fast = all(m.fast for m in messages)
    head = SegmentBuffer(chars, fast=fast)
    stamp = utc_naive(prepared_at) if prepared_at is not None else datetime(2000, 1, 1)
    when = (yymmdd(stamp), hhmm(stamp))
    head.add(
        "UNB",
        tuple(syntax.split(":")),
        tuple(sender.split(":")),
        tuple(recipient.split(":")),
        when,
        control_ref,
        None,
        application_ref,
    )
    tail = SegmentBuffer(chars, fast=fast)
    if group is not None:
        head.add(
            "UNG",
            group.group_id,
            tuple(sender.split(":")),
            tuple(recipient.split(":")),
            when,
            group.reference,
            group.agency,
            group.version,
        )
        tail.add("UNE", str(len(messages)), group.reference)
    tail.add("UNZ", "1" if group is not None else str(len(messages)), control_ref)
    term = chars.terminator
    nl = newline if line_breaks else ""
    joiner = term + nl
    parts = [head.render(joiner)]
    parts.extend(m.render(joiner) for m in messages)
    parts.append(tail.render(joiner))
    text = (chars.una() + nl if una else "") + joiner.join(parts) + joiner
    if wrap:
        text = wrap_lines(text, wrap, chars.release, newline)
    return text.encode(encoding)


def wrap_lines(text: str, width: int, release: str = "?", newline: str = "\n") -> str:
    """Hard-wrap every line longer than `width`, as Type-B feeds do at 69 columns.

    A break never separates a release character from the character it releases (a line never
    ends in an odd run of release characters), so a reader that joins wrapped lines is safe.
    """
    if width < 2:
        raise ValueError("wrap width must be at least 2")
    out: list[str] = []
    for line in text.split(newline):
        rest = line
        while len(rest) > width:
            head = rest[:width]
            if (len(head) - len(head.rstrip(release))) % 2 == 1:
                head = head[:-1]
            out.append(head)
            rest = rest[len(head) :]
        out.append(rest)
    return newline.join(out)


# --- values -------------------------------------------------------------------------------------


def utc_naive(value: datetime) -> datetime:
    """An instant as naive UTC for DDMMYY/HHMM fields (DAT, RCI, UNB are UTC by convention)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def ddmmyy(value: date) -> str:
    return f"{value.day:02d}{value.month:02d}{value.year % 100:02d}"


def yymmdd(value: date) -> str:
    return f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"


def hhmm(value: datetime) -> str:
    return f"{value.hour:02d}{value.minute:02d}"


def ddmmmyy(value: date) -> str:
    """SSR free-text date: 12JUL64."""
    return f"{value.day:02d}{_MONTHS[value.month - 1]}{value.year % 100:02d}"


def month_name(month: int) -> str:
    return _MONTHS[month - 1]


def amount(value: Decimal, chars: ServiceChars) -> str:
    """A decimal amount with the interchange's decimal mark."""
    text = format(value, "f")
    return text if chars.decimal == "." else text.replace(".", chars.decimal)


_DEFAULT_SPLIT = re.compile(r"(\?.)|([+:])", re.DOTALL)


def split_default_syntax(text: str) -> tuple[str, list[list[str]]] | None:
    """Split a segment written in the default syntax (`SSR+AVML:HK:2:DL`) into tag and elements.

    Used for history items, which the model keeps as segment text. Returns None when `text` does
    not start with a segment tag.
    """
    if len(text) < 3 or not (text[:3].isalpha() and text[:3].isupper()) or text[3:4] not in ("", "+"):
        return None
    elements: list[list[str]] = []
    current: list[str] = []
    buf: list[str] = []
    body = text[4:]
    if not body:
        return text[:3], []
    pos = 0
    for match in _DEFAULT_SPLIT.finditer(body):
        buf.append(body[pos : match.start()])
        pos = match.end()
        if match.group(1):
            buf.append(match.group(1)[1])
        elif match.group(2) == ":":
            current.append("".join(buf))
            buf = []
        else:
            current.append("".join(buf))
            elements.append(current)
            current, buf = [], []
    buf.append(body[pos:])
    current.append("".join(buf))
    elements.append(current)
    return text[:3], elements
