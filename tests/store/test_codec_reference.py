"""The store codec's generated encoders and decoders against the type-driven codec they replaced.

The reference below is the earlier codec (a recursive encoder dispatching on each field's type), kept
as the specification: for every record the generated functions must give the same document, with the
same keys in the same order, and decode documents to the same record.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import types
import typing
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpiu.model import (
    ApiPerson,
    Booking,
    Flight,
    MessageHeader,
    PartialDate,
    PassengerList,
    Traveller,
)
from openpiu.store import codec
from openpiu.store.codec import from_json, to_json
from openpiu.synth.corpus import demo_push

Json = dict[str, Any]
_Codec = Callable[[Any], Any]


# --- the reference: the type-driven codec as it was ---------------------------------------------------


@dataclasses.dataclass(slots=True)
class _ReferenceCodec:
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
_CODECS: dict[type, _ReferenceCodec] = {}


def _record_codec(cls: type) -> _ReferenceCodec:
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
        codec = _CODECS[cls] = _ReferenceCodec(cls, fields)
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


def reference_to_json(record: object) -> Json:
    return _record_codec(type(record)).encode(record)


def reference_from_json(cls: type, document: Mapping[str, Any]) -> Any:
    return _record_codec(cls).decode(document)


# --- the generated codec gives the same documents ----------------------------------------------------


def _same_document(record: object) -> Json:
    """Encode with both codecs; the documents are equal, key order included. Returns the document."""
    expected = reference_to_json(record)
    document = to_json(record)
    assert json.dumps(document) == json.dumps(expected)
    assert document == expected
    return document


def _same_record(cls: type, document: Json) -> None:
    loaded = json.loads(json.dumps(document))
    assert from_json(cls, loaded) == reference_from_json(cls, loaded)


@settings(max_examples=20)  # each example is a generated push of 8 varied bookings
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_pushes_encode_as_before(seed: int) -> None:
    push = demo_push(seed, bookings=8)
    _same_record(type(push), _same_document(push))
    for booking in push.bookings:
        _same_record(Booking, _same_document(booking))
        for traveller in booking.travellers:
            _same_record(Traveller, _same_document(traveller))


_instants = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1))
st.register_type_strategy(datetime, _instants)
st.register_type_strategy(Decimal, st.decimals(allow_nan=False, allow_infinity=False, places=2))
st.register_type_strategy(
    PartialDate,
    st.dates(min_value=date(1900, 1, 1)).flatmap(
        lambda d: st.sampled_from(
            [PartialDate(d.year), PartialDate(d.year, d.month), PartialDate(d.year, d.month, d.day)]
        )
    ),
)


@given(st.from_type(Traveller))
def test_any_traveller_encodes_as_before(traveller: Traveller) -> None:
    _same_record(Traveller, _same_document(traveller))


@settings(max_examples=50)
@given(st.from_type(ApiPerson), st.from_type(Flight), st.from_type(MessageHeader))
def test_any_api_person_flight_and_header_encode_as_before(
    person: ApiPerson, flight: Flight, header: MessageHeader
) -> None:
    for cls, record in ((ApiPerson, person), (Flight, flight), (MessageHeader, header)):
        _same_record(cls, _same_document(record))
    plist = PassengerList(header=header, document_code="745", legs=(flight,), persons=(person,))
    _same_record(PassengerList, _same_document(plist))


@pytest.mark.parametrize(
    "record",
    [
        Traveller(surname="DOE", placeholder=0),  # type: ignore[arg-type]  # equal to the default: left out
        Traveller(surname="DOE", type="adult"),  # type: ignore[arg-type]  # equal to the default enum
        Traveller(surname="DOE", documents=None),  # type: ignore[arg-type]  # None where a default is ()
        Traveller(surname="DOE", fare_basis=["Y", "M"]),  # type: ignore[arg-type]  # a list, not a tuple
        Traveller(surname=None),  # type: ignore[arg-type]  # None in a required field
    ],
)
def test_unusual_values_encode_as_before(record: object) -> None:
    _same_document(record)


@pytest.mark.parametrize(
    "record",
    [
        Traveller(surname=42),  # type: ignore[arg-type]
        Traveller(surname="DOE", placeholder=1),  # type: ignore[arg-type]
        Traveller(surname="DOE", fare_basis=("Y", 3)),  # type: ignore[arg-type]
        ApiPerson(role="crew", qualifier="FM", surname="DOE", references=(("A", "B", "C"),)),  # type: ignore[arg-type]
        Booking(locator="ABC123", travellers=(Flight("LH", "400"),)),  # type: ignore[arg-type]
        ApiPerson(role="crew", qualifier="FM", surname="DOE"),  # type: ignore[arg-type]
    ],
)
def test_wrong_values_fail_as_before(record: object) -> None:
    with pytest.raises((TypeError, ValueError, AttributeError)) as expected:
        reference_to_json(record)
    with pytest.raises(expected.type) as actual:
        to_json(record)
    if isinstance(expected.value, TypeError):
        assert str(actual.value) == str(expected.value)


@pytest.mark.parametrize(
    ("cls", "document"),
    [
        (Traveller, {"surname": "DOE", "religion": "x"}),
        (Traveller, {"surname": 42}),
        (Traveller, ["surname"]),
        (Booking, {"locator": "ABC123", "travellers": [None]}),
        (ApiPerson, {"role": "crew", "qualifier": "FM", "surname": "DOE", "references": [["A"]]}),
        (Traveller, {"surname": "DOE", "date_of_birth": "1980-13"}),
    ],
)
def test_wrong_documents_fail_as_before(cls: type, document: Any) -> None:
    with pytest.raises((TypeError, ValueError, AttributeError)) as expected:
        reference_from_json(cls, document)
    with pytest.raises(expected.type) as actual:
        from_json(cls, document)
    if not isinstance(expected.value, ValueError) or "unknown fields" in str(expected.value):
        assert str(actual.value) == str(expected.value)  # the codec's own messages, not unpacking's


def test_a_record_type_inside_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model has no recursive record today; the generated codec still handles one."""
    module = types.ModuleType("openpiu.model._recursive_for_test")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    source = (
        "from __future__ import annotations\n"
        "from openpiu.model.record import record\n"
        "@record\n"
        "class Node:\n"
        "    label: str\n"
        "    children: tuple[Node, ...] = ()\n"
        "    parent: Node | None = None\n"
    )
    exec(source, module.__dict__)
    node_cls = module.Node
    tree = node_cls("a", (node_cls("b"), node_cls("c", (node_cls("d"),))), parent=node_cls("root"))
    document = _same_document(tree)
    assert document == {
        "label": "a",
        "children": [{"label": "b"}, {"label": "c", "children": [{"label": "d"}]}],
        "parent": {"label": "root"},
    }
    assert from_json(node_cls, document) == tree


def test_first_use_from_many_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Codecs are generated on first use; a thread never sees one half made (the web app has several)."""
    monkeypatch.setattr(codec, "_CODECS", {})
    bookings = demo_push(3, bookings=8).bookings
    expected = [reference_to_json(b) for b in bookings]
    start = threading.Barrier(6)

    def work(_: int) -> list[Json]:
        start.wait()
        return [to_json(b) for b in bookings]

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(work, range(6)))
    assert all(result == expected for result in results)
