"""One entry point for every message format: detect by content, parse, keep what failed.

A file or a received payload may hold several EDIFACT interchanges and messages, or one PNRGOV XML
document. Each message ends either as a typed record (`PnrPush`, `PassengerList`) or as a
`ParseError` that says where and why; one broken message never hides the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from openpiu.formats.edifact import EdifactMessage, Interchange, read_interchanges
from openpiu.formats.errors import ParseError
from openpiu.formats.paxlst import parse_paxlst
from openpiu.formats.pnrgov import parse_pnrgov
from openpiu.formats.pnrgov_xml import parse_pnrgov_xml
from openpiu.model import Message, MessageFormat, ParseWarning

ReadOutcome = Message | ParseError

_XML_MARKERS = ("<?xml", "<")


def sniff_format(data: bytes) -> MessageFormat | None:
    """XML by its first character, EDIFACT by its message type; None when neither shows."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if head.startswith(tuple(m.encode() for m in _XML_MARKERS)):
        return MessageFormat.PNRGOV_XML
    if b"PAXLST" in head:
        return MessageFormat.PAXLST
    if b"PNRGOV" in head or b"UNB" in head or b"UNH" in head:
        return MessageFormat.PNRGOV
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class ReadUnit:
    """One message as read: its outcome and, for EDIFACT, where it sits (for cutting it out of the bytes)."""

    outcome: ReadOutcome
    interchange: Interchange | None = None
    message: EdifactMessage | None = None


def read_messages(
    data: bytes,
    *,
    source: str = "<bytes>",
    card_key: bytes | None = None,
    received_on: date | None = None,
) -> list[ReadOutcome]:
    """Every message in `data`, each parsed or failed, in input order.

    `received_on` is the date the message arrived (from the caller's clock): it resolves two-digit
    years in the rare message that carries no date of its own.
    """
    return [
        unit.outcome for unit in read_units(data, source=source, card_key=card_key, received_on=received_on)
    ]


def read_units(
    data: bytes,
    *,
    source: str = "<bytes>",
    card_key: bytes | None = None,
    received_on: date | None = None,
) -> list[ReadUnit]:
    """As :func:`read_messages`, with each EDIFACT message's interchange and tokens (read once)."""
    if sniff_format(data) is MessageFormat.PNRGOV_XML:
        try:
            return [
                ReadUnit(parse_pnrgov_xml(data, source=source, card_key=card_key, received_on=received_on))
            ]
        except ParseError as error:
            error.file = error.file or source
            return [ReadUnit(error)]
    try:
        interchanges = read_interchanges(data, source=source)
    except ParseError as error:
        error.file = error.file or source
        return [ReadUnit(error)]
    return [
        ReadUnit(_parse_one(interchange, message, source, card_key, received_on), interchange, message)
        for interchange in interchanges
        for message in interchange.messages
    ]


def _parse_one(
    interchange: Interchange,
    message: EdifactMessage,
    source: str,
    card_key: bytes | None,
    received_on: date | None,
) -> ReadOutcome:
    parser: Callable[[EdifactMessage], Message]
    if message.message_type == MessageFormat.PNRGOV:

        def parser(m: EdifactMessage) -> Message:
            return parse_pnrgov(m, card_key=card_key, received_on=received_on)

    elif message.message_type == MessageFormat.PAXLST:

        def parser(m: EdifactMessage) -> Message:
            return parse_paxlst(m, received_on=received_on)

    else:
        return ParseError(
            f"message type {message.message_type or '(none)'!s} is not PNRGOV or PAXLST",
            file=source,
            offset=message.unh.offset,
            segment=message.unh.number,
            text=message.unh.raw,
        )
    try:
        parsed = parser(message)
    except ParseError as error:
        error.file = error.file or source
        return error
    return _with_envelope_warnings(parsed, interchange.warnings, message.warnings)


def _with_envelope_warnings(
    parsed: Message, interchange: list[ParseWarning], message: list[ParseWarning]
) -> Message:
    """Put the reader's envelope warnings in front of the parser's, once each."""
    extra = [w for w in (*interchange, *message) if w not in parsed.warnings]
    if not extra:
        return parsed
    return dataclasses.replace(parsed, warnings=(*extra, *parsed.warnings))
