"""`@record`: a frozen, slotted dataclass whose constructor is about three times faster.

A frozen dataclass assigns each field through `object.__setattr__`, a lookup and a Python-level
call per field; parsing builds millions of records, so that cost adds up. `@record` keeps
everything a frozen slotted dataclass is (fields, defaults, equality, hashing, repr, ordering,
`dataclasses.replace`, and `FrozenInstanceError` on assignment) and replaces only `__init__` with one
that stores each field through its slot descriptor directly, and `__reduce__` so that pickling and
copying go through that constructor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(*, order: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True)
def record(cls: type[_T] | None = None, /, *, order: bool = False) -> Any:
    """Decorate a class as a frozen, slotted dataclass with a fast constructor."""

    def wrap(target: type[_T]) -> type[_T]:
        made = dataclasses.dataclass(frozen=True, slots=True, order=order)(target)
        made.__init__ = _fast_init(made)  # type: ignore[method-assign]
        if "__reduce__" not in target.__dict__:
            reduce = _fast_reduce(made)
            if reduce is not None:
                made.__reduce__ = reduce  # type: ignore[assignment,method-assign]
        return made

    return wrap if cls is None else wrap(cls)


_NO_DEFAULT = object()


def _fast_init(cls: type) -> Callable[..., None]:
    """Generate `__init__(self, a, b=default, ...)` that sets each slot through its descriptor."""
    scope: dict[str, Any] = {"_post_init": getattr(cls, "__post_init__", None)}
    params: list[str] = []
    body: list[str] = []
    for i, field in enumerate(dataclasses.fields(cls)):
        if not field.init:
            raise TypeError(f"{cls.__name__}.{field.name}: init=False fields are not supported by @record")
        scope[f"_set{i}"] = cls.__dict__[field.name].__set__
        name = field.name
        if field.default is not dataclasses.MISSING:
            scope[f"_default{i}"] = field.default
            params.append(f"{name}=_default{i}")
        elif field.default_factory is not dataclasses.MISSING:
            scope[f"_factory{i}"] = field.default_factory
            params.append(f"{name}=_NO_DEFAULT")
            body.append(f"    if {name} is _NO_DEFAULT: {name} = _factory{i}()")
        else:
            params.append(name)
        body.append(f"    _set{i}(self, {name})")
    if scope["_post_init"] is not None:
        body.append("    _post_init(self)")
    scope["_NO_DEFAULT"] = _NO_DEFAULT
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass")
    namespace: dict[str, Any] = {}
    exec(source, scope, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = f"Create a {cls.__name__}."
    return init


def _fast_reduce(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]] | None:
    """Generate `__reduce__`: pickle (and `copy`) as a call of the constructor with the fields in order.

    A frozen slotted dataclass pickles through `__getstate__`/`__setstate__`, which look the fields up
    and set each through `object.__setattr__`, for every object; records cross process boundaries by
    the hundred thousand (the ingest readers), and the constructor is much faster. None (keep those)
    when a field is keyword-only.
    """
    fields = dataclasses.fields(cls)
    if any(field.kw_only for field in fields):
        return None
    values = "".join(f"self.{field.name}, " for field in fields)
    source = f"def __reduce__(self):\n    return (self.__class__, ({values}))"
    namespace: dict[str, Any] = {}
    exec(source, {}, namespace)
    reduce: Callable[[Any], tuple[type, tuple[Any, ...]]] = namespace["__reduce__"]
    reduce.__qualname__ = f"{cls.__qualname__}.__reduce__"
    reduce.__doc__ = f"Pickle a {cls.__name__} as a constructor call."
    return reduce
