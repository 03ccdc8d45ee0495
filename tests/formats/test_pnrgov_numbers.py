"""Numbers in PNRGOV that `int()` cannot read end as unknown (None), never as a crash."""

from __future__ import annotations

import pytest

from openpiu.formats.reader import read_messages
from openpiu.model import PnrPush


def _push(eqn: str, quantity: str) -> PnrPush:
    data = (
        "UNA:+.?*'UNB+IATA:1+DL++101209:2100+020A07'UNH+1+PNRGOV:10:1:IA+F6C2C268'MSG+:22'"
        "ORG+DL:ATL+52519950'TVL+121210:0915+LHR+JFK+DL+324'"
        f"EQN+{eqn}'SRC'RCI+DL:MFN4TI'SSR+AVML:HK:{quantity}:DL'TIF+SMITH+JOHNMR:A:1'"
        "UNT+10+1'UNZ+1+020A07'"
    ).encode()
    (push,) = read_messages(data)
    assert isinstance(push, PnrPush)
    return push


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ("0012", 12), ("9" * 4300, int("9" * 4300)), ("9" * 4301, None), ("²", None), ("1²", None)],
)
def test_counts_and_quantities(text: str, expected: int | None) -> None:
    push = _push(text, text)
    assert push.declared_bookings == expected
    assert push.bookings[0].services[0].quantity == expected
