"""The one error a reader raises: a message that cannot be read at all."""

from __future__ import annotations

_TEXT_LIMIT = 80


def shorten(text: str | None, limit: int = _TEXT_LIMIT) -> str | None:
    """Cut a segment's text for an error report; the full text stays in the inbox, not in messages."""
    if text is None:
        return None
    flat = text.replace("\r", " ").replace("\n", " ")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ParseError(Exception):
    """A message that cannot be read at all: where, and why, in words a person understands."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        offset: int | None = None,
        segment: int | None = None,
        text: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.offset = offset
        self.segment = segment
        self.text = shorten(text)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [part for part in (self.file,) if part]
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        if self.segment is not None:
            where.append(f"segment {self.segment}")
        prefix = f"{', '.join(where)}: " if where else ""
        suffix = f" [{self.text}]" if self.text else ""
        return f"{prefix}{self.reason}{suffix}"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "ParseError",
            "offset": self.offset,
            "segment": self.segment,
            "text": self.text,
            "reason": self.reason,
        }
