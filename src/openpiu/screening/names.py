"""Person names as airlines and watchlists write them: normalisation, parsing and retrieval keys.

An airline writes `SURNAME/GIVEN NAMES TITLE` in upper-case Latin letters, often without spaces or
hyphens, sometimes with the title glued to the last given name (`SMITH/JOHNMR`) and cut at about 30
characters; a watchlist writes free text in any order and script (`Mohammed al-Rashid`,
`AL-RASHID, Mohammed`, `Мохаммед Аль-Рашид`). `parse_name` turns either into the same shape: a tuple
of `Token`s, each a lower-case ASCII form with its role (family, given or unknown), its kind (a name
part, a particle such as `al` or `van`, an honorific, an initial or noise), whether it may be a
truncated prefix, and the rigour name symbols (Wikidata name ids and nicknames) that link spelling
variants and scripts: `Mohammed`, `Muhammad` and `محمد` share `NAME:Q5837762`.

The rules, in order:
1. Unicode NFKC; apostrophes dropped (`O'NEILL` -> `oneill`); every other character that is not a
   letter, digit or combining mark separates tokens (hyphens, dots, commas, `・`).
2. Airline form: `/` separates the surname from the given names, and leading digits of the surname
   (a PNR name element number) go. Otherwise `SURNAME, Given` with one comma gives the roles; in
   mixed-case text an all-capital token is the family name (`Niels Oscar TROOST`).
3. Titles go: as tokens anywhere (`MR`, `MRS`, `DR`, `PROF`, `MSTR`, `CHD`, `Präsident` ...), and glued
   to the end of the last given name of an airline name (`JOHNMR`, `ANNAMRS`, `ANNAMS`) unless the
   whole token is itself a known name (`WILLIAMS`).
4. Every token is transliterated to ASCII (rigour's `maybe_ascii` for the scripts it admits, its
   `ascii_text` for others, anyascii when that gives nothing), lower-cased, diacritics dropped; digits
   among letters read as the letters they imitate (`Ig0r Sech1n` -> `igor sechin`).
5. Particles (`al`, `el`, `bin`, `ibn`, `van`, `von`, `de`, `da` ...), honorifics (`haji`, `sheikh`) and
   noise (`jr`, `llc`) are kept but marked, so a comparison weighs them lightly.
6. When the whole name reaches `TRUNCATION_LENGTH - TRUNCATION_SLACK` characters, its last token may be
   cut short: it is marked `prefix` and matches any name part it begins.

`name_keys` gives the retrieval keys an index stores per list name and looks up per passenger.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from anyascii import anyascii
from rigour.names import NameTypeTag, analyze_names
from rigour.text.phonetics import metaphone
from rigour.text.translit import ascii_text, maybe_ascii

from openpiu.model.names import FOLD as _FOLD
from openpiu.model.names import skeleton

__all__ = [
    "HONORIFICS",
    "NOISE",
    "PARTICLES",
    "TITLES",
    "TRUNCATION_LENGTH",
    "Kind",
    "ParsedName",
    "Role",
    "Token",
    "comparable_form",
    "is_known_name",
    "joins",
    "keys_of",
    "name_keys",
    "parse_name",
    "skeleton",
]

#: Airline systems cut a name at about this many characters (PNR name element, API, MRZ).
TRUNCATION_LENGTH = 30
#: A name this much shorter than the limit may still have been cut (separators, a dropped title).
TRUNCATION_SLACK = 3

#: Titles removed wherever they stand as a token.
TITLES = frozenset(
    {
        "mr", "mrs", "ms", "mstr", "miss", "mx", "mst", "dr", "prof", "chd", "inf", "sir", "dame", "lord",
        "lady", "rev", "revd", "hon", "capt", "col", "gen", "sgt", "lt", "maj", "herr", "frau", "mme",
        "mlle", "monsieur", "madame", "mister", "doctor", "professor", "president", "presidente",
        "prasident", "praesident", "senor", "senora", "sra", "srta", "excellency", "hrh", "messrs",
    }
)  # fmt: skip
#: Titles an airline glues to the last given name (`JOHNMR`), longest first.
GLUED_TITLES = ("mstr", "miss", "mrs", "mr", "ms")
#: Particles of family names and patronymics: kept, weighed lightly, glued on for variants.
PARTICLES = frozenset(
    {
        "al", "el", "ul", "ur", "ud", "ad", "as", "ash", "bin", "ibn", "ben", "bint", "binti", "bte",
        "van", "von", "der", "den", "de", "del", "della", "dela", "di", "da", "das", "dos", "do", "du",
        "la", "le", "st", "ter", "ten", "y", "na", "zu", "af", "av",
    }
)  # fmt: skip
#: Religious and social honorifics that some lists write as part of a name: kept, weighed lightly.
HONORIFICS = frozenset(
    {
        "haji", "hajji", "hadji", "alhaji", "sheikh", "shaikh", "sheik", "shaykh", "sayed", "sayyid",
        "sayyed", "syed", "mullah", "mulla", "maulana", "maulvi", "mawlawi", "qari", "mufti", "imam",
    }
)  # fmt: skip
#: Tokens that are not names at all (generational suffixes, legal forms some lists leave in).
NOISE = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "junior", "senior", "llc", "ltd", "sa", "inc", "gmbh", "aka"}
)

# Particles that an airline glues to the following part (`ALRASHID`, `ELHASSAN`, `VANDIJK`).
_GLUED_PARTICLES = ("al", "el", "ul", "bin", "ben", "ibn", "van", "von")

_APOSTROPHES = frozenset("'’‘`´ʼʻʹ′")
_ASCII_CLEAN = str.maketrans(
    {chr(i): (None if chr(i) in _APOSTROPHES else " ") for i in range(128) if not chr(i).isalnum()}
)
_LEET = str.maketrans("0134578", "oieastb")
_LEET9 = str.maketrans({"9": "g", "6": "g", "2": "z"})
_SYMBOL_CATEGORIES = frozenset({"NAME", "NICK", "SYMBOL"})


class Role(StrEnum):
    FAMILY = "family"
    GIVEN = "given"
    UNKNOWN = "unknown"


class Kind(StrEnum):
    NAME = "name"
    PARTICLE = "particle"
    HONORIFIC = "honorific"
    INITIAL = "initial"
    NOISE = "noise"


@dataclass(frozen=True, slots=True)
class Token:
    """One part of a name, in lower-case ASCII, with what a comparison needs to know about it."""

    text: str
    role: Role
    kind: Kind
    prefix: bool = False  # may be cut short: matches any part it begins
    symbols: frozenset[str] = frozenset()  # rigour symbols, e.g. "NAME:Q5837762", "NICK:BEN"


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name as tokens, in the order written."""

    original: str
    tokens: tuple[Token, ...]
    structured: bool  # roles come from the text's form (airline slash, comma, capitals)

    @property
    def form(self) -> str:
        """The normalised name: tokens in order, separated by spaces."""
        return " ".join(t.text for t in self.tokens)


# --- characters ------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """NFKC, apostrophes dropped, anything but letters, digits and marks turned into a space."""
    if text.isascii():
        return text.translate(_ASCII_CLEAN)
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        if ch.isalnum():
            out.append(ch)
        elif ch in _APOSTROPHES:
            continue
        elif ch.isascii():
            out.append(" ")
        else:
            out.append(ch if unicodedata.category(ch)[0] == "M" else " ")
    return "".join(out)


@lru_cache(maxsize=65_536)
def _ascii(token: str) -> str:
    """A token in lower-case ASCII letters (and digits only where no letter fits)."""
    if token.isascii():
        text = token.lower()
    else:
        text = maybe_ascii(token)
        if not text.isascii():
            text = ascii_text(token)
        text = "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())
        if not text:
            text = "".join(ch for ch in anyascii(token).lower() if ch.isascii() and ch.isalnum())
    if not text.isalpha() and not text.isdigit():
        text = text.translate(_LEET).translate(_LEET9)
        text = "".join(ch for ch in text if ch.isalpha())
    return text


# --- parsing ---------------------------------------------------------------------------------------


def _kind(text: str) -> Kind:
    if len(text) == 1:
        return Kind.PARTICLE if text == "y" else Kind.INITIAL
    if text in PARTICLES:
        return Kind.PARTICLE
    if text in HONORIFICS:
        return Kind.HONORIFIC
    if text in NOISE:
        return Kind.NOISE
    return Kind.NAME


@lru_cache(maxsize=131_072)
def _token_symbols(raw_token: str) -> frozenset[str]:
    """Rigour's name symbols of one token (`mohammed` -> `NAME:Q5837762` ...), looked up once per token.

    Tokens are looked up alone, not in their name: it is many times faster over a large list (tokens
    repeat, names do not), and phrases (`abdul rahman` as one symbol) are covered by joining parts.
    """
    out = set()
    for name in analyze_names(
        NameTypeTag.PER, [raw_token], consolidate=False, rewrite=False, phonetics=False
    ):
        if len(name.parts) != 1:
            continue
        for span in name.spans:
            category = span.symbol.category.value
            if category in _SYMBOL_CATEGORIES:
                out.add(f"{category}:{span.symbol.id}")
    return frozenset(out)


def is_known_name(text: str) -> bool:
    """Whether rigour knows `text` as a person's name (a Wikidata name id)."""
    return any(s.startswith("NAME:") for s in _token_symbols(text))


def _split_roles(text: str) -> tuple[list[tuple[str, Role]], bool, bool]:
    """Raw tokens with roles; whether the roles are known; whether it is an airline name."""
    if "/" in text:
        surname, _, given = text.partition("/")
        surname = surname.lstrip(" 0123456789")
        given = given.replace("/", " ")
        out = [(t, Role.FAMILY) for t in _clean(surname).split()]
        out += [(t, Role.GIVEN) for t in _clean(given).split()]
        return out, bool(out), True
    if text.count(",") == 1:
        surname, _, given = text.partition(",")
        fam, giv = _clean(surname).split(), _clean(given).split()
        if fam and giv:
            return [(t, Role.FAMILY) for t in fam] + [(t, Role.GIVEN) for t in giv], True, False
    raw = _clean(text).split()
    capitals = [t.isupper() and len(t) > 1 for t in raw]
    if any(capitals) and any(t.islower() or t.istitle() for t in raw if t.isalpha()) and not all(capitals):
        return (
            [(t, Role.FAMILY if cap else Role.GIVEN) for t, cap in zip(raw, capitals, strict=True)],
            True,
            False,
        )
    return [(t, Role.UNKNOWN) for t in raw], False, False


@lru_cache(maxsize=50_000)
def parse_name(text: str) -> ParsedName:
    """Parse a name in airline form (`SURNAME/GIVEN TITLE`) or free text into tokens (see the module)."""
    raw, structured, airline = _split_roles(text)
    pairs = [(_ascii(t), t, r) for t, r in raw]
    kept = [p for p in pairs if p[0] not in TITLES and p[0]]
    if not kept:
        kept = [p for p in pairs if p[0]]  # a name that is only a title word ("Lord") is still a name
    if airline and kept and kept[-1][2] is Role.GIVEN:
        last, raw_last, role = kept[-1]
        for title in GLUED_TITLES:
            if last.endswith(title) and len(last) - len(title) >= 2:
                if title != "ms" or not any(s.startswith("NAME:") for s in _token_symbols(raw_last)):
                    kept[-1] = (last[: -len(title)], last[: -len(title)], role)
                break
    tokens = []
    for ascii_, raw_token, role in kept:
        kind = _kind(ascii_)
        symbols = _token_symbols(raw_token) if kind is Kind.NAME or kind is Kind.HONORIFIC else frozenset()
        tokens.append(Token(ascii_, role, kind, False, symbols))
    # truncation: the last token of a name that reaches the limit may be cut short
    length = sum(len(t) for _, t, _ in kept) + len(kept) - 1
    if len(tokens) > 1 and length >= TRUNCATION_LENGTH - TRUNCATION_SLACK:
        last_token = tokens[-1]
        tokens[-1] = Token(last_token.text, last_token.role, last_token.kind, True, last_token.symbols)
    return ParsedName(text, tuple(tokens), structured)


@lru_cache(maxsize=50_000)
def joins(text: str) -> tuple[tuple[tuple[int, ...], str], ...]:
    """Runs of two or three adjacent parts of `parse_name(text)` (not initials or noise) joined, for a
    missing space: `((indexes), text)`, e.g. `((0, 1), "abdulrahman")` for `Abdul Rahman`."""
    tokens = parse_name(text).tokens
    out: list[tuple[tuple[int, ...], str]] = []
    joinable = [t.kind is not Kind.INITIAL and t.kind is not Kind.NOISE for t in tokens]
    for i in range(len(tokens) - 1):
        if not (joinable[i] and joinable[i + 1]):
            continue
        text = tokens[i].text + tokens[i + 1].text
        out.append(((i, i + 1), text))
        if i + 2 < len(tokens) and joinable[i + 2]:
            out.append(((i, i + 1, i + 2), text + tokens[i + 2].text))
    return tuple(out)


def comparable_form(text: str) -> str:
    """The normalised name as one string: `SMITH/JOHN MR` -> `smith john`, `O'Neill` -> `oneill`."""
    return parse_name(text).form


# --- retrieval keys --------------------------------------------------------------------------------


def _text_keys(text: str) -> tuple[str, ...]:
    if len(text) < 2:
        return ()
    consonants = skeleton(text)
    if len(consonants) < 2:
        return ("m:" + metaphone(text),)
    return ("m:" + metaphone(text), "k:" + consonants)


def _joined_keys(a: Token, b: Token, *more: Token) -> tuple[str, ...]:
    """`_text_keys` of parts joined, the skeleton made from the parts' skeletons (it is the same)."""
    text = a.text + b.text + "".join(t.text for t in more)
    consonants = _joined_skeleton([a, b, *more])
    if len(consonants) < 2:
        return ("m:" + metaphone(text),)
    return ("m:" + metaphone(text), "k:" + consonants)


def _joined_skeleton(tokens: list[Token]) -> str:
    out = ""
    previous = ""
    last = len(tokens) - 1
    for k, token in enumerate(tokens):
        part, first, end = _skeleton_of(token.text, k == last)
        if previous == "p" and token.text[0] == "h" and out.endswith("p"):  # "alp" + "hancer": "alphancer"
            out = out[:-1] + "f"
            previous = "f"
        if part and first == previous and part[0] == first:
            part = part[1:]
        out += part
        previous = end
    return out


@lru_cache(maxsize=131_072)
def _skeleton_of(text: str, final: bool) -> tuple[str, str, str]:
    """A part's skeleton as it is inside a longer text (`final`: at its end, where a `j` drops), and
    its first and last letters as the skeleton sees them."""
    part = skeleton(text + "a") if text.endswith("j") and not final else skeleton(text)
    folded = text.replace("ph", "f").translate(_FOLD)
    return part, folded[:1], folded[-1:]


def _strip_glued_particle(text: str) -> str | None:
    for particle in _GLUED_PARTICLES:
        if text.startswith(particle) and len(text) - len(particle) >= 4:
            return text[len(particle) :]
    return None


@lru_cache(maxsize=131_072)
def _token_keys(text: str, symbols: frozenset[str]) -> tuple[tuple[str, ...], str]:
    """A part's keys, and its skeleton without a glued particle (for the whole-name key)."""
    keys = list(_text_keys(text))
    keys += ["s:" + symbol for symbol in symbols]
    bare = _strip_glued_particle(text)
    if bare is not None:
        keys += _text_keys(bare)
    return tuple(keys), skeleton(bare or text) or text


def name_keys(text: str) -> set[str]:
    """Retrieval keys of a full name: any airline rendering of a list name shares at least one with it.

    Per name part (not particles, initials or noise): its metaphone code (`m:`), its consonant skeleton
    (`k:`) and its rigour name symbols (`s:`, shared by variants and scripts: Mohammed/Muhammad/محمد);
    the same codes for adjacent parts joined, in a circle so that airline and written order give the
    same (missing spaces: `ABDUL RAHMAN` / `ABDULRAHMAN`, a particle glued or not: `AL RASHID` /
    `ALRASHID`, also across a particle: `ABD AL RAHMAN`) and for a part without a glued particle
    (`ALRASHID` -> `RASHID`); one key for the whole name (`f:`, its sorted skeletons), rare and so
    strong. Keys of common parts are many: an index should weigh keys by rarity. Pure and
    deterministic; a new set each call.
    """
    return keys_of(parse_name(text))


def keys_of(name: ParsedName) -> set[str]:
    """`name_keys` of a parsed name."""
    out: set[str] = set()
    tokens = name.tokens
    skeletons = []
    for token in tokens:
        kind = token.kind
        if kind is Kind.NAME or kind is Kind.HONORIFIC:
            keys, bare = _token_keys(token.text, token.symbols)
            out.update(keys)
            if kind is Kind.NAME and len(token.text) > 1:
                skeletons.append(bare)
    # Adjacent parts joined, around the name as around a circle: airline order (SURNAME/GIVEN) is a
    # rotation of written order (Given Surname), so both give the same joins.
    joinable = [t for t in tokens if t.kind is not Kind.INITIAL and t.kind is not Kind.NOISE]
    n = len(joinable)
    if n >= 2:
        for i in range(n if n > 2 else 1):
            a, b = joinable[i], joinable[(i + 1) % n]
            out.update(_joined_keys(a, b))
            if n == 2:
                out.update(_joined_keys(b, a))
            elif a.kind is Kind.PARTICLE or b.kind is Kind.PARTICLE:
                out.update(_joined_keys(a, b, joinable[(i + 2) % n]))
    if skeletons:
        out.add("f:" + " ".join(sorted(skeletons)))
    return out
