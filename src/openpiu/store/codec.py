"""Model records <-> JSON documents, and the split of a booking into public and identifying parts.

The codec is driven by each record's declared field types, over a closed set of value types (str, int,
bool, Decimal, date, datetime, PartialDate, the model's enums, nested model records, tuples of them);
anything else is a ``TypeError``, never a silent ``str()``. A field left at its default is omitted, so
documents stay small and a field added to the model later decodes from old documents.

Values: Decimal as a string (exact), date and datetime as ISO 8601 (an aware datetime keeps its offset,
a naive one - a local schedule time - stays naive), PartialDate as ``YYYY[-MM[-DD]]``, enums by value.

:func:`split_booking` separates what Article 12(2) of the PNR Directive masks after six months (names,
dates of birth, documents, contacts, addresses, payments, frequent-flyer numbers, remarks, history)
from the rest, so the SQL store keeps identifying data in tables of its own that masking can rewrite in
place. :func:`join_booking` puts the parts back together.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from openpiu.model import ApiPerson, Booking, PartialDate, Traveller

__all__ = [
    "API_PERSON_IDENTITY_FIELDS",
    "BOOKING_IDENTITY_FIELDS",
    "TRAVELLER_IDENTITY_FIELDS",
    "SplitBooking",
    "api_person_from_parts",
    "from_json",
    "join_booking",
    "split_api_person",
    "split_booking",
    "to_json",
]

T = TypeVar("T")
Json = dict[str, Any]
_Codec = Callable[[Any], Any]

#: Traveller fields that identify a person (Art 12(2)(a), (b), (c), (d), (e) and (f)).
TRAVELLER_IDENTITY_FIELDS = (
    "surname",
    "given_names",
    "title",
    "unique_id",
    "date_of_birth",
    "documents",
    "contacts",
    "addresses",
    "frequent_flyers",
    "remarks",
    "tickets",  # they carry payments, with payer names and addresses
    "raw_name",
)
#: Booking fields that identify a person: the group name, booking-level contacts, payment, remarks, history.
BOOKING_IDENTITY_FIELDS = ("group_name", "contacts", "addresses", "payments", "remarks", "history")
#: Identifying parts inside segments: check-in names and segment remarks are moved out by position.
_CHECK_IN_NAME_FIELDS = ("surname", "given_names")
#: API person fields masked with the rest of the API data (Art 12(2)(f)): all that identifies the person.
API_PERSON_IDENTITY_FIELDS = (
    "surname",
    "given_names",
    "gender",
    "date_of_birth",
    "nationality",
    "address",
    "residence_country",
    "place_of_birth",
    "documents",
    "unique_id",
    "contacts",
    "references",
)


def to_json(record: object) -> Json:
    """The JSON document (dicts, lists, strings, numbers, booleans) of a model record."""
    return _record_codec(type(record)).encode(record)


def from_json(cls: type[T], document: Mapping[str, Any]) -> T:
    """The record of type ``cls`` that :func:`to_json` turned into ``document``."""
    return typing.cast(T, _record_codec(cls).decode(document))


@dataclasses.dataclass(frozen=True, slots=True)
class SplitBooking:
    """A booking as the store keeps it: public part, identifying part, and each traveller's two parts."""

    public: Json
    identity: Json
    travellers: tuple[tuple[Json, Json], ...]


def split_booking(booking: Booking) -> SplitBooking:
    """Separate the identifying fields of ``booking`` and its travellers from the rest."""
    public = to_json(booking)
    identity = _take(public, BOOKING_IDENTITY_FIELDS)
    # Check-in names and segment remarks are personal data inside otherwise public itineraries.
    check_in_names: list[list[Any]] = []
    segment_remarks: list[list[Any]] = []
    for s, segment in enumerate(public.get("segments", ())):
        if "remarks" in segment:
            segment_remarks.append([s, segment.pop("remarks")])
        for c, check_in in enumerate(segment.get("check_ins", ())):
            names = [check_in.pop(name, None) for name in _CHECK_IN_NAME_FIELDS]
            if any(n is not None for n in names):
                check_in_names.append([s, c, *names])
    if check_in_names:
        identity["check_in_names"] = check_in_names
    if segment_remarks:
        identity["segment_remarks"] = segment_remarks
    travellers = tuple((doc, _take(doc, TRAVELLER_IDENTITY_FIELDS)) for doc in public.pop("travellers", ()))
    return SplitBooking(public=public, identity=identity, travellers=travellers)


def join_booking(
    public: Mapping[str, Any], identity: Mapping[str, Any], travellers: list[tuple[Json, Json]]
) -> Booking:
    """The booking that :func:`split_booking` split into these parts."""
    document: Json = {**public}
    segments = [
        {**s, "check_ins": [{**c} for c in s.get("check_ins", ())]} for s in public.get("segments", ())
    ]
    for s, c, *names in identity.get("check_in_names", ()):
        for name, value in zip(_CHECK_IN_NAME_FIELDS, names, strict=True):
            if value is not None:
                segments[s]["check_ins"][c][name] = value
    for s, remarks in identity.get("segment_remarks", ()):
        segments[s]["remarks"] = remarks
    if segments:
        document["segments"] = segments
    for name in BOOKING_IDENTITY_FIELDS:
        if name in identity:
            document[name] = identity[name]
    if travellers:
        document["travellers"] = [{**p, **i} for p, i in travellers]
    return from_json(Booking, document)


def split_api_person(person: ApiPerson) -> tuple[Json, Json]:
    """The public part (role, ports, seat, bags) and the identifying part of an API person."""
    public = to_json(person)
    return public, _take(public, API_PERSON_IDENTITY_FIELDS)


def api_person_from_parts(public: Mapping[str, Any], identity: Mapping[str, Any]) -> ApiPerson:
    return from_json(ApiPerson, {**public, **identity})


def traveller_from_parts(public: Mapping[str, Any], identity: Mapping[str, Any]) -> Traveller:
    return from_json(Traveller, {**public, **identity})


def _take(document: Json, names: tuple[str, ...]) -> Json:
    return {name: document.pop(name) for name in names if name in document}


# --- the type-driven codec -------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _RecordCodec:
    cls: type
    # (name, encode, decode, default or _REQUIRED)
    fields: list[tuple[str, _Codec, _Codec, Any]]

    def encode(self, record: Any) -> Json:
        if type(record) is not self.cls:
            raise TypeError(f"expected {self.cls.__name__}, got {type(record).__name__}")
        out: Json = {}
        for name, encode, _decode, default in self.fields:
            value = getattr(record, name)
            if default is not _REQUIRED and value == default:
                continue
            out[name] = None if value is None else encode(value)
        return out

    def decode(self, document: Mapping[str, Any]) -> Any:
        if not isinstance(document, Mapping):
            raise TypeError(f"a {self.cls.__name__} document must be an object")
        known = {name for name, *_ in self.fields}
        unknown = set(document) - known
        if unknown:
            raise ValueError(f"unknown fields for {self.cls.__name__}: {', '.join(sorted(unknown))}")
        kwargs = {}
        for name, _encode, decode, _default in self.fields:
            if name in document:
                value = document[name]
                kwargs[name] = None if value is None else decode(value)
        return self.cls(**kwargs)


_REQUIRED = object()
_CODECS: dict[type, _RecordCodec] = {}


def _record_codec(cls: type) -> _RecordCodec:
    codec = _CODECS.get(cls)
    if codec is None:
        if not (dataclasses.is_dataclass(cls) and cls.__module__.startswith("openpiu.model.")):
            raise TypeError(f"not a model record: {cls!r}")
        hints = typing.get_type_hints(cls)
        fields = []
        for f in dataclasses.fields(cls):
            encode, decode = _value_codec(hints[f.name])
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = _REQUIRED
            fields.append((f.name, encode, decode, default))
        codec = _CODECS[cls] = _RecordCodec(cls, fields)
    return codec


def _checked(kind: type) -> _Codec:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return check


def _value_codec(hint: Any) -> tuple[_Codec, _Codec]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"unsupported union {hint!r}")
        return _value_codec(rest[0])  # None is handled by the record codec
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item_encode, item_decode = _value_codec(args[0])
            return (
                lambda v: [item_encode(x) for x in v],
                lambda v: tuple(item_decode(x) for x in v),
            )
        codecs = [_value_codec(a) for a in args]
        return (
            lambda v: [c[0](x) for c, x in zip(codecs, v, strict=True)],
            lambda v: tuple(c[1](x) for c, x in zip(codecs, v, strict=True)),
        )
    if hint in (str, int, bool):
        return _checked(hint), _checked(hint)
    if hint is Decimal:
        return str, Decimal
    if hint is datetime:
        return datetime.isoformat, datetime.fromisoformat
    if hint is date:
        return date.isoformat, date.fromisoformat
    if hint is PartialDate:
        return PartialDate.isoformat, PartialDate.from_iso
    if isinstance(hint, type) and issubclass(hint, Enum):
        return (lambda v: v.value), hint
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        cls = hint
        return (lambda v: _record_codec(cls).encode(v)), (lambda v: _record_codec(cls).decode(v))
    raise TypeError(f"no JSON codec for {hint!r}")
