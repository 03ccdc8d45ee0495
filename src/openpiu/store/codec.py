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
import functools
import json
import threading
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import orjson

from openpiu.model import ApiPerson, Booking, PartialDate, PnrPush, Segment, Traveller

__all__ = [
    "API_PERSON_IDENTITY_FIELDS",
    "BOOKING_IDENTITY_FIELDS",
    "TRAVELLER_IDENTITY_FIELDS",
    "EncodedBooking",
    "EncodedPush",
    "SplitBooking",
    "api_person_from_parts",
    "dumps",
    "encode_booking",
    "encode_push",
    "from_json",
    "join_booking",
    "loads",
    "segments_from_parts",
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
    # SSR and OSI items: documents (DOCS, DOCO, DOCA: API data, (f)), contacts (CTCE, CTCM), frequent
    # flyer (FQTV) and other remarks ((e)) in their text (migration 0020)
    "services",
    "gender",  # read from the travel document (DOCS): API data, (f)
)
#: Booking fields that identify a person: the group name, booking-level contacts, payment, remarks, history,
#: and the SSR and OSI items (contacts, remarks) given for the whole booking.
BOOKING_IDENTITY_FIELDS = (
    "group_name",
    "contacts",
    "addresses",
    "payments",
    "remarks",
    "history",
    "services",
)
#: Identifying parts inside segments, moved out by position: a check-in's names and free text (DAT
#: qualifier 3, which may name the traveller), and each segment field below (remarks, SSR and OSI items,
#: the number travelling together: Art 12(2)(a)) under the identifying part's key. A check-in's entry in
#: ``check_in_names`` is [segment, check-in, surname, given names, text], without trailing nulls (so
#: entries written before the text moved there, which end at the given names, read the same).
_CHECK_IN_IDENTITY_FIELDS = ("surname", "given_names", "text")
_SEGMENT_IDENTITY_FIELDS = (
    ("remarks", "segment_remarks"),
    ("party_size", "party_sizes"),
    ("services", "segment_services"),
)
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
    codec = _CODECS.get(type(record)) or _record_codec(type(record))
    document: Json = codec.encode(record)
    return document


def from_json(cls: type[T], document: Mapping[str, Any]) -> T:
    """The record of type ``cls`` that :func:`to_json` turned into ``document``."""
    codec = _CODECS.get(cls) or _record_codec(cls)
    return typing.cast(T, codec.decode(document))


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
    # Check-in names, remarks, SSR and OSI items and the number travelling together are personal data
    # inside otherwise public itineraries: kept in the identifying part by position.
    check_in_names: list[list[Any]] = []
    by_position: dict[str, list[list[Any]]] = {kept: [] for _, kept in _SEGMENT_IDENTITY_FIELDS}
    for s, segment in enumerate(public.get("segments", ())):
        for name, kept in _SEGMENT_IDENTITY_FIELDS:
            if name in segment:
                by_position[kept].append([s, segment.pop(name)])
        for c, check_in in enumerate(segment.get("check_ins", ())):
            names = [check_in.pop(name, None) for name in _CHECK_IN_IDENTITY_FIELDS]
            while names and names[-1] is None:
                names.pop()
            if names:
                check_in_names.append([s, c, *names])
    if check_in_names:
        identity["check_in_names"] = check_in_names
    identity.update((kept, found) for kept, found in by_position.items() if found)
    travellers = tuple((doc, _take(doc, TRAVELLER_IDENTITY_FIELDS)) for doc in public.pop("travellers", ()))
    return SplitBooking(public=public, identity=identity, travellers=travellers)


def dumps(document: Json) -> str:
    """A document's JSON text, as the store writes it (orjson: several times faster than json)."""
    return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


def loads(text: str | bytes) -> Any:
    """A JSON document as the store reads it back: orjson (several times faster than json), and json for
    what orjson refuses but json writes (an integer beyond 64 bits, NaN in an audit event's details)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


@dataclasses.dataclass(frozen=True, slots=True)
class EncodedBooking:
    """A booking split by :func:`split_booking`, each part as JSON text (:func:`dumps`)."""

    public: str
    identity: str
    travellers: tuple[tuple[str, str], ...]


def encode_booking(booking: Booking) -> EncodedBooking:
    split = split_booking(booking)
    return EncodedBooking(
        dumps(split.public),
        dumps(split.identity),
        tuple((dumps(public), dumps(identity)) for public, identity in split.travellers),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class EncodedPush:
    """A push's bookings as the store writes them: :func:`encode_booking` of each, in the push's order.

    Encoding is the costliest part of storing a push that needs no database, so it can be done ahead, in
    the process that read the push, leaving the one writing process less to do. JSON text rather than
    documents: a string crosses a process boundary (pickle) far cheaper than nested dicts.
    """

    bookings: tuple[EncodedBooking, ...]


def encode_push(push: PnrPush) -> EncodedPush:
    """The bookings of ``push`` encoded for the store (pass the push as it is to be stored)."""
    return EncodedPush(tuple(encode_booking(booking) for booking in push.bookings))


def join_booking(
    public: Mapping[str, Any], identity: Mapping[str, Any], travellers: list[tuple[Json, Json]]
) -> Booking:
    """The booking that :func:`split_booking` split into these parts."""
    document: Json = {**public}
    segments = _segments_with_names(public.get("segments", ()), identity.get("check_in_names", ()))
    for name, kept in _SEGMENT_IDENTITY_FIELDS:
        for s, value in identity.get(kept, ()):
            segments[s][name] = value
    if segments:
        document["segments"] = segments
    for name in BOOKING_IDENTITY_FIELDS:
        if name in identity:
            document[name] = identity[name]
    if travellers:
        document["travellers"] = [{**p, **i} for p, i in travellers]
    return from_json(Booking, document)


def segments_from_parts(
    segments: Sequence[Json] | None, check_in_names: Sequence[Any] | None
) -> tuple[Segment, ...]:
    """A booking's segments from its public part's ``segments`` and its identity's ``check_in_names``:
    what tells who checked in, without reading the rest of the booking (segment remarks are left out)."""
    joined = _segments_with_names(segments or (), check_in_names or ())
    return tuple(from_json(Segment, segment) for segment in joined)


def _segments_with_names(segments: Sequence[Json], check_in_names: Sequence[Any]) -> list[Json]:
    """Copies of the public segments with the check-ins' names and texts put back where split_booking took
    them."""
    joined = [{**s, "check_ins": [{**c} for c in s.get("check_ins", ())]} for s in segments]
    for s, c, *names in check_in_names:
        for name, value in zip(_CHECK_IN_IDENTITY_FIELDS, names, strict=False):  # shorter: no text
            if value is not None:
                joined[s]["check_ins"][c][name] = value
    return joined


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
#
# Each record class gets one encode and one decode function, generated from its field types the first
# time the class is seen and compiled with ``exec`` (as ``openpiu.model.record`` does for ``__init__``).
# Nested records are written inline, so a whole booking is encoded by one function: straight-line code
# per field, no per-value dispatch, no per-field closure, and a field at its default costs one identity
# test. Decoding calls each record's constructor with positional arguments.


def _pending(value: Any) -> Any:
    raise RuntimeError("a record codec used before it was generated")


@dataclasses.dataclass(slots=True)
class _RecordCodec:
    cls: type
    # Set once the generated functions are compiled; `_pending` while they are being generated (a
    # record type that contains itself refers to its own codec through this object).
    encode: _Codec = _pending
    decode: _Codec = _pending
    # Lines of the generated encoder, to decide whether a record containing this one writes it inline.
    size: int = 0


#: The compiled codecs: only complete ones, so any thread may use what it finds here without a lock.
_CODECS: dict[type, _RecordCodec] = {}
#: Codecs being generated, by the thread holding `_GENERATING_LOCK` (re-entered for nested records).
_GENERATING: dict[type, _RecordCodec] = {}
_GENERATING_LOCK = threading.RLock()
#: A nested record whose own generated function is at most this long is written inline; a longer one
#: (a traveller, a segment) is called: the call costs little beside its work, and sources stay small.
_INLINE_LINES = 150
_MISSING = object()


def _record_codec(cls: type) -> _RecordCodec:
    codec = _CODECS.get(cls)
    if codec is not None:
        return codec
    with _GENERATING_LOCK:
        codec = _CODECS.get(cls) or _GENERATING.get(cls)  # done meanwhile, or a record inside itself
        if codec is not None:
            return codec
        if not (dataclasses.is_dataclass(cls) and cls.__module__.startswith("openpiu.model.")):
            raise TypeError(f"not a model record: {cls!r}")
        codec = _GENERATING[cls] = _RecordCodec(cls)
        try:
            _Generator(cls).compile(codec)
        finally:
            del _GENERATING[cls]
        _CODECS[cls] = codec
    return codec


def _wrong(kind: type, value: Any) -> Any:
    raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")


def _not_a_document(cls: type) -> Any:
    raise TypeError(f"a {cls.__name__} document must be an object")


def _unknown(cls: type, known: frozenset[str], document: Mapping[str, Any]) -> Any:
    unknown = set(document) - known
    raise ValueError(f"unknown fields for {cls.__name__}: {', '.join(sorted(unknown))}")


def _construct(cls: type, names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    """Call ``cls`` with the fields a document had: the constructor says what is missing."""
    return cls(**{n: v for n, v in zip(names, values, strict=True) if v is not _MISSING})


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 1

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)


class _Generator:
    """Writes the source of one record class's encode and decode functions."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.scope: dict[str, Any] = {
            "_type": type,
            "_str": str,
            "_dict": dict,
            "_list": list,
            "_tuple": tuple,
            "_map": map,
            "_isinstance": isinstance,
            "_Mapping": Mapping,
            "_MISSING": _MISSING,
            "_wrong": _wrong,
            "_not_a_document": _not_a_document,
            "_unknown": _unknown,
            "_construct": _construct,
        }
        self.helpers: list[str] = []
        self.names: dict[int, str] = {}
        self.inside: list[type] = []  # the record types being written inline, outermost first

    def bind(self, value: Any, prefix: str) -> str:
        """A name for ``value`` in the generated functions' scope."""
        name = self.names.get(id(value))
        if name is None:
            name = self.names[id(value)] = f"_{prefix}{len(self.names)}"
            self.scope[name] = value
        return name

    def compile(self, codec: _RecordCodec) -> None:
        cls = self.cls
        encode, decode = _Lines(), _Lines()
        self.encode_record(cls, "r", 0, encode)
        self.decode_record(cls, "d", 0, decode)
        source = "\n".join(
            [
                *self.helpers,
                "def encode(r):",
                *encode.lines,
                "    return o0",
                "def decode(d):",
                *decode.lines,
                "    return r0",
            ]
        )
        exec(compile(source + "\n", f"<openpiu codec for {cls.__qualname__}>", "exec"), self.scope)
        codec.encode, codec.decode = self.scope["encode"], self.scope["decode"]
        codec.size = len(encode.lines)

    # --- encoding: each value becomes statements (emitted) and an expression (returned) over plain
    # names; a record at depth n reads its fields into v<n> and fills the dict o<n>.

    def encode_record(self, cls: type, x: str, depth: int, emit: _Lines) -> str:
        c = self.bind(cls, "cls")
        emit(f"if _type({x}) is not {c}:")
        emit(f"    _wrong({c}, {x})")
        out, v = f"o{depth}", f"v{depth}"
        emit(f"{out} = {{}}")
        self.inside.append(cls)
        for f, hint in _fields(cls):
            key = repr(f.name)
            emit(f"{v} = {x}.{f.name}")
            default = _default_of(f)
            if default is None:
                emit(f"if {v} is not None:")
            else:
                if default is not _MISSING:
                    d = self.bind(default, "default")
                    emit(f"if {v} is not {d} and {v} != {d}:")
                    emit.indent += 1
                emit(f"if {v} is None:")
                emit(f"    {out}[{key}] = None")
                emit("else:")
            emit.indent += 1
            value = self.encode_value(hint, v, depth, emit)
            emit(f"{out}[{key}] = {value}")
            emit.indent -= 1 if default is None or default is _MISSING else 2
        self.inside.pop()
        return out

    def encode_value(self, hint: Any, x: str, depth: int, emit: _Lines) -> str:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):
            return self.encode_value(_optional(hint), x, depth, emit)  # None is handled at the field
        if _is_record(hint) and hint not in self.inside:
            codec = _record_codec(hint)  # a model record: checked, and its own codec ready
            if codec.encode is not _pending and codec.size <= _INLINE_LINES:
                return self.encode_record(hint, x, depth + 1, emit)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item, items = f"x{depth}", f"l{depth}"
            body = _Lines()
            body.indent = emit.indent + 1
            value = self.encode_value(args[0], item, depth + 1, body)
            if not body.lines:
                return f"[{value} for {item} in {x}]"
            emit(f"{items} = []")
            emit(f"for {item} in {x}:")
            emit.lines.extend(body.lines)
            emit(f"    {items}.append({value})")
            return items
        return self.encode_expression(hint, x)

    def encode_expression(self, hint: Any, x: str) -> str:
        """The encoding of ``x`` as one expression (nested records through their own functions)."""
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):
            return self.encode_expression(_optional(hint), x)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return f"[{self.encode_expression(args[0], 'y')} for y in {x}]"
            return f"{self.fixed_tuple(args, encode=True)}({x})"
        if hint in (str, int, bool):
            kind = self.bind(hint, "kind")
            return f"({x} if _type({x}) is {kind} else _wrong({kind}, {x}))"
        if hint is float:  # scores and thresholds: an int is a float here too (not a bool)
            return f"{self.bind(_as_float, 'as_float')}({x})"
        if hint is Decimal:
            return f"_str({x})"
        if hint is datetime:
            return f"{self.bind(datetime.isoformat, 'datetime_iso')}({x})"
        if hint is date:
            return f"{self.bind(date.isoformat, 'date_iso')}({x})"
        if hint is PartialDate:
            return f"{self.bind(PartialDate.isoformat, 'partial_iso')}({x})"
        if isinstance(hint, type) and issubclass(hint, Enum):
            # Enum's `value` is a Python-level property that returns `_value_`.
            plain = all("value" not in vars(k) for k in hint.__mro__ if k is not Enum)
            return f"{x}._value_" if plain else f"{x}.value"
        if _is_record(hint):
            codec = _record_codec(hint)
            if codec.encode is _pending:  # a record type inside itself: look it up at call time
                return f"{self.bind(codec, 'codec')}.encode({x})"
            return f"{self.bind(codec.encode, 'encode')}({x})"
        raise TypeError(f"no JSON codec for {hint!r}")

    # --- decoding: a record at depth n reads each field's value into w<n>, decodes it into a<n>_<i>,
    # and calls the constructor into r<n>.

    def decode_record(self, cls: type, x: str, depth: int, emit: _Lines) -> str:
        c = self.bind(cls, "cls")
        known = self.bind(frozenset(f.name for f in dataclasses.fields(cls)), "known")
        emit(f"if _type({x}) is not _dict and not _isinstance({x}, _Mapping):")
        emit(f"    _not_a_document({c})")
        emit(f"if not {known}.issuperset({x}):")
        emit(f"    _unknown({c}, {known}, {x})")
        self.inside.append(cls)
        w = f"w{depth}"
        arguments, required = [], []
        for i, (f, hint) in enumerate(_fields(cls)):
            if not f.init:
                raise TypeError(f"{cls.__name__}.{f.name}: init=False fields are not supported")
            key, a = repr(f.name), f"a{depth}_{i}"
            emit(f"if {key} in {x}:")
            emit(f"    {w} = {x}[{key}]")
            emit(f"    if {w} is None:")
            emit(f"        {a} = None")
            emit("    else:")
            emit.indent += 2
            value = self.decode_value(hint, w, depth, emit)
            emit(f"{a} = {value}")
            emit.indent -= 2
            emit("else:")
            default = _default_of(f)
            if f.default_factory is not dataclasses.MISSING:
                emit(f"    {a} = {self.bind(f.default_factory, 'factory')}()")
            elif default is _MISSING:
                emit(f"    {a} = _MISSING")
                required.append(a)
            else:
                emit(f"    {a} = {self.bind(default, 'default')}")
            arguments.append(f"{f.name}={a}" if f.kw_only else a)
        self.inside.pop()
        result = f"r{depth}"
        if required:
            names = self.bind(tuple(f.name for f in dataclasses.fields(cls)), "names")
            missing = " or ".join(f"{a} is _MISSING" for a in required)
            values = ", ".join(f"a{depth}_{i}" for i in range(len(arguments)))
            emit(f"if {missing}:")
            emit(f"    {result} = _construct({c}, {names}, ({values},))")
            emit("else:")
            emit(f"    {result} = {c}({', '.join(arguments)})")
        else:
            emit(f"{result} = {c}({', '.join(arguments)})")
        return result

    def decode_value(self, hint: Any, x: str, depth: int, emit: _Lines) -> str:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):
            return self.decode_value(_optional(hint), x, depth, emit)
        if _is_record(hint) and hint not in self.inside:
            codec = _record_codec(hint)
            if codec.decode is not _pending and codec.size <= _INLINE_LINES:
                return self.decode_record(hint, x, depth + 1, emit)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item, items = f"y{depth}", f"m{depth}"
            body = _Lines()
            body.indent = emit.indent + 1
            value = self.decode_value(args[0], item, depth + 1, body)
            if not body.lines:
                return f"_tuple([{value} for {item} in {x}])"
            emit(f"{items} = []")
            emit(f"for {item} in {x}:")
            emit.lines.extend(body.lines)
            emit(f"    {items}.append({value})")
            return f"_tuple({items})"
        return self.decode_expression(hint, x)

    def decode_expression(self, hint: Any, x: str) -> str:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):
            return self.decode_expression(_optional(hint), x)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return f"_tuple([{self.decode_expression(args[0], 'y')} for y in {x}])"
            return f"{self.fixed_tuple(args, encode=False)}({x})"
        if hint in (str, int, bool):
            kind = self.bind(hint, "kind")
            return f"({x} if _type({x}) is {kind} else _wrong({kind}, {x}))"
        if hint is float:
            return f"{self.bind(_as_float, 'as_float')}({x})"
        if hint is Decimal:
            return f"{self.bind(Decimal, 'decimal')}({x})"
        if hint is datetime:
            return f"{self.bind(datetime.fromisoformat, 'datetime_from')}({x})"
        if hint is date:
            return f"{self.bind(date.fromisoformat, 'date_from')}({x})"
        if hint is PartialDate:
            return f"{self.bind(PartialDate.from_iso, 'partial_from')}({x})"
        if isinstance(hint, type) and issubclass(hint, Enum):
            # Calling an Enum class goes through Python-level code; a value it has is found in its map.
            enum, members = self.bind(hint, "enum"), self.bind(hint._value2member_map_, "members")
            return f"(({members}.get({x}) if _type({x}) is _str else None) or {enum}({x}))"
        if _is_record(hint):
            codec = _record_codec(hint)
            if codec.decode is _pending:
                return f"{self.bind(codec, 'codec')}.decode({x})"
            return f"{self.bind(codec.decode, 'decode')}({x})"
        raise TypeError(f"no JSON codec for {hint!r}")

    def fixed_tuple(self, args: tuple[Any, ...], *, encode: bool) -> str:
        """A helper function for ``tuple[A, B, ...]``: a wrong length is a ``ValueError``."""
        name = f"_fixed{len(self.helpers)}"
        items = [f"a{i}" for i in range(len(args))]
        code = self.encode_expression if encode else self.decode_expression
        values = "".join(f"{code(hint, item)}, " for hint, item in zip(args, items, strict=True))
        result = f"[{values}]" if encode else f"({values})"
        self.helpers.append(f"def {name}(v):\n    {', '.join(items)}, = v\n    return {result}")
        return name


@functools.cache
def _fields(cls: type) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    """Each field of a record class with its resolved type."""
    hints = typing.get_type_hints(cls)
    return tuple((f, hints[f.name]) for f in dataclasses.fields(cls))


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint is not PartialDate


def _default_of(f: dataclasses.Field[Any]) -> Any:
    """The field's default value (a factory's product), or ``_MISSING`` for a required field."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _MISSING


def _optional(hint: Any) -> Any:
    rest = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(rest) != 1:
        raise TypeError(f"unsupported union {hint!r}")
    return rest[0]


def _as_float(value: Any) -> float:
    if type(value) not in (float, int):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)
