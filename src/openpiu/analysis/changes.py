"""What changed between two versions of a record (a booking pushed again, for example).

`changes(before, after)` walks two records of the same class field by field and returns one `Change` per
leaf that differs, named by its path (``travellers[1].documents[0].number``). Tuples of records are
compared item by item in order; an item present on one side only is reported whole as added or removed.
Values are shown as short text, so a change list can be rendered as it is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

__all__ = ["Change", "changes", "describe"]

_MAX_TEXT = 120  # a value longer than this is cut in the list (the version itself shows it whole)


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    before: str | None  # None: not there before (added)
    after: str | None  # None: gone (removed)


def describe(value: Any) -> str:
    """A value as short text: records by their fields that are set, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = []
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item in (None, (), "", False):
                continue
            parts.append(f"{field.name}={describe(item)}")
        text = f"{type(value).__name__}({', '.join(parts)})"
    elif isinstance(value, tuple):
        text = "[" + "; ".join(describe(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def changes(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every leaf that differs between `before` and `after` (records of the same class)."""
    if before == after:
        return []
    if (
        dataclasses.is_dataclass(before)
        and dataclasses.is_dataclass(after)
        and type(before) is type(after)
        and not isinstance(before, type)
    ):
        found: list[Change] = []
        for field in dataclasses.fields(before):
            name = f"{path}.{field.name}" if path else field.name
            found.extend(changes(getattr(before, field.name), getattr(after, field.name), name))
        return found
    if isinstance(before, tuple) and isinstance(after, tuple) and _records(before + after):
        found = []
        for index in range(max(len(before), len(after))):
            name = f"{path}[{index}]"
            if index >= len(before):
                found.append(Change(name, None, describe(after[index])))
            elif index >= len(after):
                found.append(Change(name, describe(before[index]), None))
            else:
                found.extend(changes(before[index], after[index], name))
        return found
    return [
        Change(
            path,
            None if before in (None, ()) else describe(before),
            None if after in (None, ()) else describe(after),
        )
    ]


def _records(values: tuple[Any, ...]) -> bool:
    return bool(values) and all(dataclasses.is_dataclass(v) and not isinstance(v, type) for v in values)
