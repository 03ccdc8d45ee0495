"""Small pieces of name comparison shared by screening and identity resolution (both may import only the
model): the consonant skeleton that makes spelling and romanisation variants of a name part meet."""

from __future__ import annotations

__all__ = ["FOLD", "skeleton"]

_VOWELS = frozenset("aeiouy")
#: Consonants written differently for the same sound: `w`->`v`, `z`->`s`, `q` and `c`->`k`.
FOLD = str.maketrans("wzqc", "vskk")


def skeleton(text: str) -> str:
    """The consonant skeleton of a token: consonants folded (`w`->`v`, `z`->`s`, `c` and `q`->`k`,
    `ph`->`f`), without repeats, `h`, vowels and `y` (and a final `j`, as in `Selenskyj`).

    `mohammed`, `muhammad`, `mohamad` -> `mmd`; `osama`, `usama` -> `sm`; `abdul rahman` joined and
    `abdalrahman` -> `bdlrmn`; Arabic written without vowels (`LRSHD`) meets `alrashid` -> `lrsd`;
    `wolodymyr selenskyj` meets `volodymyr zelenskyy`.
    """
    if "ph" in text:
        text = text.replace("ph", "f")
    if text.endswith("j"):
        text = text[:-1]
    out = []
    previous = ""
    for ch in text.translate(FOLD):
        if ch != previous and ch not in _VOWELS and ch != "h":
            out.append(ch)
        previous = ch
    return "".join(out)
