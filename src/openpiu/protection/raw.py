"""Protection at the door, on the raw bytes: cut sensitive EDIFACT segments out of the stored message.

The pipeline keeps every received message as bytes, and those bytes must not keep what the records
lost (Art 13(4): sensitive data deleted immediately). The caller tokenizes the message with the EDIFACT
reader and passes its segments here (anything with `.tag`, `.elements`, `.offset`, `.raw`; this package
does not import `formats`); `sensitive_spans` says which byte spans to remove and `blank_segments`
removes them.

A segment cannot in general be replaced by a neutral one of the same length, so a removed segment is cut
out, terminator and the line break after it included, and nothing else is touched. The UNT segment count
is then too high by the number of segments cut: the reader already tolerates a wrong UNT count (it
becomes an `unt-count` warning), so the blanked message stays readable and parses to the same bookings
and travellers, minus the removed items.

All positions are byte offsets into the message as received (BOM and transport header included), so
multibyte UTF-8 text before or inside a segment needs no special care: the end of a segment is found
in the bytes, at the first terminator after its offset that no release character escapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from openpiu.protection.filter import remark_removal
from openpiu.protection.policy import SensitivePolicy

__all__ = [
    "SegmentLike",
    "ServiceCharsLike",
    "blank_segments",
    "segment_removal",
    "segment_span",
    "sensitive_spans",
]

_LINE_BREAKS = b"\r\n"


class SegmentLike(Protocol):
    """What this package needs of an EDIFACT segment (the reader's `EdifactSegment` is one)."""

    @property
    def tag(self) -> str: ...

    @property
    def elements(self) -> Sequence[Sequence[str]]: ...

    @property
    def offset(self) -> int: ...

    @property
    def raw(self) -> str: ...


class ServiceCharsLike(Protocol):
    """The service characters of the interchange the segments come from (the reader's `ServiceChars`)."""

    @property
    def release(self) -> str: ...

    @property
    def terminator(self) -> str: ...


def segment_removal(segment: SegmentLike, policy: SensitivePolicy) -> str | None:
    """Why a PNRGOV segment must be cut (the same keys as `protect_push`), or None to keep it.

    SSR: a sensitive code, or a term in the free text of an SSR that is not structured data.
    IFT: the remark rule of `protect_push` (terms, OSI codes, general remarks outside Annex I).
    LTS: a history line with a term or an `SSR <code>` mention. TIF: a group name with a term.
    """
    tag = segment.tag
    elements = segment.elements
    head: Sequence[str] = elements[0] if elements else ()
    if tag == "SSR":
        code = head[0].strip().upper() if head else ""
        if code in policy.codes:
            return f"SSR {code}"
        if code not in policy.structured_codes and policy.term_in(" ".join(head[8:])):
            return "TEXT"
        return None
    if tag == "IFT":
        kind = head[1].strip() if len(head) > 1 else ""
        text = " ".join(" ".join(e) for e in elements[1:]).strip()
        return remark_removal(text, kind or None, policy)
    if tag == "LTS":
        text = " ".join(" ".join(e) for e in elements)
        if policy.term_in(text):
            return "TEXT"
        return policy.code_mentioned(text)
    if tag == "TIF" and len(head) > 1 and head[1].strip().upper() == "G" and policy.term_in(head[0]):
        return "GROUP"
    return None


def segment_span(
    data: bytes, offset: int, chars: ServiceCharsLike, *, limit: int | None = None, fallback: int = 0
) -> tuple[int, int]:
    """(offset, length) in bytes of the segment starting at `offset`: through its terminator and any line
    break right after it.

    The terminator is the first one after `offset` not escaped by an odd run of release characters. The
    span never reaches `limit` (the next segment's offset, for a segment glued to the next one without a
    terminator); with neither a terminator nor a limit it is `fallback` bytes long.
    """
    if not 0 <= offset <= len(data):
        raise ValueError(f"offset {offset} is outside the data ({len(data)} bytes)")
    end_limit = len(data) if limit is None or limit <= offset else min(limit, len(data))
    term = chars.terminator.encode("utf-8")
    release = chars.release.encode("utf-8") if chars.release else b""
    pos = offset
    end: int | None = None
    while term:
        found = data.find(term, pos, end_limit)
        if found == -1:
            break
        if release and _escaped(data, found, offset, release):
            pos = found + len(term)
            continue
        end = found + len(term)
        while end < end_limit and data[end] in _LINE_BREAKS:
            end += 1
        break
    if end is None:
        end = end_limit if limit is not None and limit > offset else min(offset + fallback, len(data))
    return offset, end - offset


def sensitive_spans(
    segments: Iterable[SegmentLike],
    policy: SensitivePolicy,
    data: bytes,
    chars: ServiceCharsLike,
) -> list[tuple[int, int]]:
    """(offset, length) in `data` of every segment `segment_removal` says to cut, in byte order.

    Pass the segments of one interchange (or one message) in the order read, with that interchange's
    service characters; each segment's successor bounds its span.
    """
    ordered = sorted(segments, key=lambda s: s.offset)
    spans: list[tuple[int, int]] = []
    for i, segment in enumerate(ordered):
        if segment_removal(segment, policy) is None:
            continue
        limit = ordered[i + 1].offset if i + 1 < len(ordered) else None
        fallback = len(segment.raw.encode("utf-8")) + len(chars.terminator.encode("utf-8"))
        spans.append(segment_span(data, segment.offset, chars, limit=limit, fallback=fallback))
    return spans


def blank_segments(raw: bytes, spans: Sequence[tuple[int, int]]) -> bytes:
    """`raw` with the byte spans (offset, length) cut out; overlapping or repeated spans are cut once."""
    cuts: list[tuple[int, int]] = []
    for offset, length in sorted(spans):
        if offset < 0 or length < 0 or offset + length > len(raw):
            raise ValueError(f"span ({offset}, {length}) is outside the data ({len(raw)} bytes)")
        end = offset + length
        if cuts and offset <= cuts[-1][1]:
            cuts[-1] = (cuts[-1][0], max(cuts[-1][1], end))
        else:
            cuts.append((offset, end))
    if not cuts:
        return raw
    out = bytearray()
    pos = 0
    for start, end in cuts:
        out += raw[pos:start]
        pos = end
    out += raw[pos:]
    return bytes(out)


def _escaped(data: bytes, at: int, start: int, release: bytes) -> bool:
    """True when an odd run of `release` stands just before `at` (so the terminator there is data)."""
    run = 0
    i = at
    step = len(release)
    while i - step >= start and data[i - step : i] == release:
        run += 1
        i -= step
    return run % 2 == 1
