"""Types of the C speed-up (`_edifact_speedups.c`); `edifact._tokenize_plain_python` is the reference."""

from typing import Any

def tokenize_plain(
    region: str,
    start: int,
    component: str,
    element: str,
    release: str,
    terminator: str,
    number: int,
    base: int,
    segment_type: type[Any],
    /,
) -> tuple[list[Any], list[tuple[int, int]]]: ...
