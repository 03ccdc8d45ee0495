"""Free-text semantics shared by the PNRGOV (EDIFACT and XML) and PAXLST parsers.

Airline messages carry much of their identity data as telex-era free text inside otherwise structured
segments: SSR DOCS/DOCO/DOCA/INFT, CTC contact items, DDMMMYY dates with two-digit years, titles glued to
given names, e-mail addresses spelled with `//` and `..`. This module turns those strings into model records.

Every function is pure and total: bad input never raises, the bad part simply becomes None (the callers keep
the raw text beside the parsed record, so nothing is lost). Regular expressions are compiled once at import,
because these functions run for every traveller of every message. Nothing here logs: the inputs are personal
data (convention 9 of DESIGN.md).

Two-digit years are resolved against a reference date (the message date), never against today's date, so a
message parses the same way whenever it is processed:

* `past=True` (dates of birth, issue dates, history): the latest date on or before the reference.
* `past=False` (expiry, flight dates): the year in the 100-year window reference-45 .. reference+54, which
  puts any sensible expiry (reference-20 .. reference+30) in the right century.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from openpiu.model.travel import Address, Contact, ContactKind, TravelDocument
from openpiu.model.values import Gender, PartialDate

__all__ = [
    "InfantInfo",
    "card_fingerprint",
    "clean",
    "decode_telex_email",
    "find_contacts_in_text",
    "parse_amount",
    "parse_contact",
    "parse_ddmmmyy",
    "parse_ddmmyy",
    "parse_dob",
    "parse_doca",
    "parse_doco",
    "parse_docs",
    "parse_hhmm",
    "parse_inft",
    "parse_yymmdd",
    "resolve_century",
    "split_title",
]

# --------------------------------------------------------------------------------------------------------
# Constants and compiled patterns. re.ASCII everywhere: `\d` must not accept other scripts' digits, which
# int() would then reject.

_MONTHS: dict[str, int] = {
    "JAN": 1,
    "FEB": 2,
    "MAR": 3,
    "APR": 4,
    "MAY": 5,
    "JUN": 6,
    "JUL": 7,
    "AUG": 8,
    "SEP": 9,
    "OCT": 10,
    "NOV": 11,
    "DEC": 12,
}

#: past=False window: reference-45 .. reference+54 years (see the module docstring).
_FUTURE_SPAN = 54

_DDMMMYY_RE = re.compile(r"([0-9]{1,2})([A-Z]{3})([0-9]{4}|[0-9]{2})?", re.ASCII)
# Date of birth: DDMMMYY, DDMMMYYYY, MMMYY, MMMYYYY, YY, YYYY; unknown day as 00/XX/--, unknown month XXX.
_DOB_RE = re.compile(r"(?:([0-9]{1,2}|XX|--)?([A-Z]{3}))?([0-9]{4}|[0-9]{2})", re.ASCII)
_ISO_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", re.ASCII)
_COUNTRY_RE = re.compile(r"[A-Z]{1,3}", re.ASCII)
_DOC_TYPE_RE = re.compile(r"[A-Z0-9]{1,4}", re.ASCII)
_AMOUNT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)

_GENDERS: dict[str, tuple[Gender, bool]] = {
    "M": (Gender.MALE, False),
    "F": (Gender.FEMALE, False),
    "U": (Gender.UNSPECIFIED, False),
    "X": (Gender.OTHER, False),
    "MI": (Gender.MALE, True),
    "FI": (Gender.FEMALE, True),
    "UI": (Gender.UNSPECIFIED, True),
    "XI": (Gender.OTHER, True),
}

# Junk seen at the end of names and contact items: `JOAQUIN*`, `SEJOON’`, `GMAIL.COM*`.
_TRAILING_JUNK = " *’‘'\"`"

# Titles an airline appends to the given name (AIRIMP). CHD/INF are passenger-type markers some systems add
# the same way; they are stripped only as separate words, never when glued.
_TITLES = frozenset(
    {"MR", "MRS", "MS", "MISS", "MSTR", "MASTER", "DR", "PROF", "REV", "SIR", "LADY", "CAPT", "MME", "MLLE"}
)
_WORD_ONLY_TITLES = frozenset({"CHD", "INF"})
_LEADING_TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MSTR", "DR", "PROF", "REV", "CAPT"})
# Titles stripped when glued to the name, with the least number of letters that must remain. DR, SIR,
# PROF, REV, CAPT and LADY are never stripped when glued: ALEXANDR, YASIR and NASIR are names.
_GLUED_TITLES: tuple[tuple[str, int], ...] = (("MSTR", 2), ("MISS", 2), ("MRS", 2), ("MR", 3), ("MS", 3))
# Given names that really end in a glued-title spelling.
_NOT_GLUED = frozenset({"WILLIAMS", "ADAMS", "ABRAMS", "SIMS", "SIMMS", "TIMS", "TOMS", "HELMS", "HOLMS"})
# The last two letters of every glued title: a cheap first test before the endswith loop.
_GLUED_ENDS = frozenset(title[-2:] for title, _ in _GLUED_TITLES)

# CTC items. The letter after CTC says the kind; `CTCBOG 571...` is a CTC glued to a city code.
_CTC_KINDS: dict[str, ContactKind] = {
    "E": ContactKind.EMAIL,
    "M": ContactKind.MOBILE,
    "F": ContactKind.FAX,
    "B": ContactKind.PHONE,  # business
    "H": ContactKind.PHONE,  # home
    "P": ContactKind.PHONE,  # phone, type unknown
    "T": ContactKind.PHONE,  # travel agency
    "A": ContactKind.PHONE,  # agency
    "R": ContactKind.PHONE,  # "refused" in Res. 830d, yet seen carrying a number
    "N": ContactKind.PHONE,
}
_CTC_ITEM = r"CTC(?:\s?([A-Z])(?![A-Z0-9])|([A-Z]{3})(?=\s?[0-9]))"
_CTC_HEAD_RE = re.compile(r"\s*(?:(?:OSI|SSR)\s+)?(?:[A-Z0-9]{2}\s+)?" + _CTC_ITEM, re.ASCII | re.IGNORECASE)
_CTC_SCAN_RE = re.compile(r"(?<![A-Z0-9._@+\-])" + _CTC_ITEM, re.ASCII | re.IGNORECASE)
# SSR prefixes before the item proper: `/KELLY...`, `YY HK1/KELLY...` (but not the `//` of an e-mail).
_SSR_PREFIX_RE = re.compile(
    r"\s*(?:[A-Z0-9]{2}\s*(?:[A-Z]{2}[0-9]{1,3})?)?\s*/(?!/)", re.ASCII | re.IGNORECASE
)
# Passenger association suffix: `-1`, `-1.1`, `-1KELLY/DIASMRS`.
_PAX_SUFFIX_RE = re.compile(r"-[0-9]{1,2}(?:\.[0-9]{1,2})?(?:[A-Z][A-Z /]*)?\s*$", re.ASCII | re.IGNORECASE)
_PHONE_RUN_RE = re.compile(r"\+?[0-9](?:[0-9 \-.()/]*[0-9])?", re.ASCII)
_PHONE_RUN_NON_DIGITS = str.maketrans("", "", "+ -.()/")  # what a _PHONE_RUN_RE match holds beside digits
_EMAIL_MARK_RE = re.compile(r"@|//|\.AT\.", re.ASCII | re.IGNORECASE)
_EMAIL_SPACE_RE = re.compile(r"\s*(@|//|\.AT\.|\.\.|\.)\s*", re.ASCII | re.IGNORECASE)
_AT_WORD_RE = re.compile(r"\.AT\.", re.ASCII | re.IGNORECASE)
_FAX_WORD_RE = re.compile(r"\bFAX\b", re.ASCII | re.IGNORECASE)
_MIN_PHONE_DIGITS = 5

_INFT_DATE_RE = re.compile(r"(?<![A-Z0-9])[0-9]{1,2}[A-Z]{3}(?:[0-9]{4}|[0-9]{2})?(?![A-Z0-9])", re.ASCII)


# --------------------------------------------------------------------------------------------------------
# Small text helpers


def small_int(text: str | None, max_digits: int = 9) -> int | None:
    """An unsigned decimal of at most `max_digits` ASCII digits, else None.

    Counts, references and versions in messages are short; a thousand-digit "count" is damage, and
    converting it would cost time (and Python refuses beyond 4,300 digits).
    """
    if text is None:
        return None
    value = text.strip()
    if not value or len(value) > max_digits or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def clean(text: str | None) -> str | None:
    """Strip, collapse internal whitespace to one space; empty -> None."""
    if text is None:
        return None
    result = " ".join(text.split())
    return result or None


def _squash(text: str) -> str:
    """Remove all whitespace and upper-case: for codes and dates, where PDF copies inject spaces."""
    if text.isalnum() and text.upper() == text:
        return text  # already squashed (nearly always): an alphanumeric string holds no whitespace
    return "".join(text.split()).upper()


def _name(text: str | None) -> str | None:
    if text and text.isalpha():
        return text  # letters only: nothing to collapse or strip (the junk characters are not letters)
    value = clean(text)
    if value is None:
        return None
    return value.strip(_TRAILING_JUNK) or None


def _country(text: str | None) -> str | None:
    """An ISO alpha-2/alpha-3 code (or MRZ `D`) as sent, upper-cased; anything else -> None."""
    if not text:
        return None
    if len(text) <= 3 and text.isascii() and text.isalpha() and text.isupper():
        return text
    value = _squash(text)
    return value if _COUNTRY_RE.fullmatch(value) else None


def _field(parts: list[str], index: int) -> str:
    return parts[index] if 0 <= index < len(parts) else ""


def _slash_fields(text: str) -> list[str]:
    """Split slash-separated SSR text, supplying the leading slash some senders omit."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        stripped = "/" + stripped
    return stripped.split("/")


def _as_date(reference: date) -> date:
    # A datetime is a date, but comparing one with a date raises TypeError.
    return reference.date() if isinstance(reference, datetime) else reference


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------------------------------------
# Dates and times


def resolve_century(yy: int, *, reference: date, past: bool) -> int:
    """The four-digit year for a two-digit `yy`, relative to `reference` (the message date).

    `past=True`: the latest year not after the reference year. `past=False`: the year in the window
    reference-45 .. reference+54. A value outside 0..99 is taken as a full year and returned unchanged.
    """
    if not 0 <= yy <= 99:
        return yy
    top = reference.year if past else reference.year + _FUTURE_SPAN
    return top - ((top - yy) % 100)


def _resolve_day(yy: int, month: int, day: int, reference: date, past: bool) -> date | None:
    year = resolve_century(yy, reference=reference, past=past)
    result = _make_date(year, month, day)
    if result is not None and past and result > reference:
        # Same year as the reference but later in it: a century earlier.
        return _make_date(year - 100, month, day)
    return result


def _nearest_occurrence(month: int, day: int, reference: date, past: bool) -> date | None:
    """`DDMMM` without a year: the occurrence nearest to `reference` (if past: the latest not after it)."""
    spread = 8 if (month, day) == (2, 29) else 1  # 29 FEB recurs every 4 (around 1900/2100: 8) years
    best: date | None = None
    for year in range(reference.year - spread, reference.year + spread + 1):
        candidate = _make_date(year, month, day)
        if candidate is None:
            continue
        if past:
            if candidate <= reference and (best is None or candidate > best):
                best = candidate
        elif best is None or abs((candidate - reference).days) < abs((best - reference).days):
            best = candidate
    return best


# Memos for the DDMMMYY readers, keyed by (text, reference[, past]): the same few expiry dates and dates
# of birth recur across a message, and the values are immutable. Cleared when full, to stay small.
_MEMO_LIMIT = 8192
_ddmmmyy_memo: dict[tuple[str, date, bool], date | None] = {}
_dob_memo: dict[tuple[str, date], PartialDate | None] = {}


def parse_ddmmmyy(text: str, *, reference: date, past: bool) -> date | None:
    """`20SEP12`, `5FEB53`, `20SEP2012`, or `27MAY` (no year: the occurrence nearest to `reference`)."""
    reference = _as_date(reference)
    key = (text, reference, past)
    try:
        return _ddmmmyy_memo[key]
    except KeyError:
        pass
    value = _ddmmmyy(text, reference, past)
    if len(_ddmmmyy_memo) >= _MEMO_LIMIT:
        _ddmmmyy_memo.clear()
    _ddmmmyy_memo[key] = value
    return value


def _ddmmmyy(text: str, reference: date, past: bool) -> date | None:
    match = _DDMMMYY_RE.fullmatch(_squash(text))
    if match is None:
        return None
    day_text, month_text, year_text = match.groups()
    month = _MONTHS.get(month_text)
    if month is None:
        return None
    day = int(day_text)
    if year_text is None:
        return _nearest_occurrence(month, day, reference, past)
    if len(year_text) == 4:
        return _make_date(int(year_text), month, day)
    return _resolve_day(int(year_text), month, day, reference, past)


def _numeric_date(
    year_text: str, month_text: str, day_text: str, reference: date | None, past: bool
) -> date | None:
    month, day = int(month_text), int(day_text)
    if len(year_text) == 4:
        return _make_date(int(year_text), month, day)
    yy = int(year_text)
    if reference is None:
        # POSIX pivot (as strptime %y): 69..99 -> 19xx, 00..68 -> 20xx.
        return _make_date(1900 + yy if yy >= 69 else 2000 + yy, month, day)
    return _resolve_day(yy, month, day, _as_date(reference), past)


def _digits(text: str) -> str | None:
    value = "".join(text.split())
    return value if value.isascii() and value.isdigit() else None


def parse_ddmmyy(text: str, *, reference: date | None = None, past: bool = False) -> date | None:
    """`DDMMYY` (PNRGOV TVL/DAT/RCI) or `DDMMCCYY`.

    Without `reference` a two-digit year follows the POSIX pivot (00-68 -> 20xx); with it, the year is
    resolved by :func:`resolve_century` (`past` as there).
    """
    value = _digits(text)
    if value is None:
        return None
    if len(value) == 6:
        return _numeric_date(value[4:6], value[2:4], value[0:2], reference, past)
    if len(value) == 8:
        return _numeric_date(value[4:8], value[2:4], value[0:2], reference, past)
    return None


def parse_yymmdd(text: str, *, reference: date | None = None, past: bool = False) -> date | None:
    """`YYMMDD` (PAXLST DTM), `CCYYMMDD` (format 102); the date part of `YYMMDDHHMM` / `CCYYMMDDHHMM`.

    Century rules as :func:`parse_ddmmyy`: pass `reference` (and `past=True` for a date of birth).
    """
    value = _digits(text)
    if value is None:
        return None
    if len(value) in (6, 10):
        return _numeric_date(value[0:2], value[2:4], value[4:6], reference, past)
    if len(value) in (8, 12):
        return _numeric_date(value[0:4], value[4:6], value[6:8], reference, past)
    return None


def parse_hhmm(text: str) -> time | None:
    """`HHMM`, `HMM`, `HHMMSS`, `HH:MM`, `HHMMZ`; 2400 and other out-of-range values -> None."""
    value = _squash(text).removesuffix("Z").replace(":", "")
    if not (value.isascii() and value.isdigit()):
        return None
    if len(value) == 3:
        value = "0" + value
    if len(value) not in (4, 6):
        return None
    hour, minute = int(value[0:2]), int(value[2:4])
    second = int(value[4:6]) if len(value) == 6 else 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def parse_dob(text: str | None, *, reference: date) -> PartialDate | None:
    """A date of birth at the precision given, resolved into the past relative to `reference`.

    Accepts `DDMMMYY`, `DDMMMYYYY`, `MMMYY`, `MMMYYYY`, `YY`, `YYYY` (day `00`/`XX` or month `XXX` mean
    unknown) and ISO `YYYY[-MM[-DD]]`.
    """
    if not text:
        return None
    reference = _as_date(reference)
    key = (text, reference)
    try:
        return _dob_memo[key]
    except KeyError:
        pass
    value = _dob(text, reference)
    if len(_dob_memo) >= _MEMO_LIMIT:
        _dob_memo.clear()
    _dob_memo[key] = value
    return value


def _dob(text: str, reference: date) -> PartialDate | None:
    value = _squash(text)
    match = _DOB_RE.fullmatch(value)
    try:
        if match is None:
            iso = _ISO_DATE_RE.fullmatch(value)
            if iso is None:
                return None
            y, m, d = iso.groups()
            return PartialDate(int(y), int(m) if m else None, int(d) if d else None)
        day_text, month_text, year_text = match.groups()
        month: int | None = None
        if month_text is not None and month_text != "XXX":
            month = _MONTHS.get(month_text)
            if month is None:
                return None
        day: int | None = None
        if month is not None and day_text is not None and day_text.isdigit() and int(day_text) != 0:
            day = int(day_text)
        if len(year_text) == 4:
            return PartialDate(int(year_text), month, day)
        yy = int(year_text)
        if month is not None and day is not None:
            resolved = _resolve_day(yy, month, day, reference, past=True)
            return PartialDate.of(resolved) if resolved is not None else None
        year = resolve_century(yy, reference=reference, past=True)
        if month is not None and (year, month) > (reference.year, reference.month):
            year -= 100
        return PartialDate(year, month, None)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------------------
# Names and titles


def _strip_glued(token: str) -> tuple[str, str] | None:
    upper = token.upper()
    if upper in _NOT_GLUED:
        return None
    for title, min_left in _GLUED_TITLES:
        if upper.endswith(title):
            rest = token[: -len(title)]
            letters = sum(1 for c in rest if c.isalpha())
            if letters >= min_left and rest[-1].isalpha():
                return rest, title
            return None  # no other title ends in the same letters
    return None


def split_title(given: str | None) -> tuple[str | None, str | None]:
    """Separate the airline title from given names: `ISABELLE MRS` -> (`ISABELLE`, `MRS`).

    Handles titles as separate words at the end (several allowed: `JOHN MSTR CHD`), at the start
    (`DR JOHN`), glued at the end (`JOHNMR`, `KELLYMRS`, `MOANMISS`), and a title alone (`MSTR` ->
    (None, `MSTR`)). Only MR, MRS, MS, MISS and MSTR are stripped when glued, and only when a plausible
    name remains; `WILLIAMNEVELL` and `ALEXANDR` are left alone. The title comes back upper-case.
    """
    if given and given.isalpha():
        # One word of letters (the usual given name): no spaces, no dots, no leading title to look for.
        word = given.upper()
        if word in _TITLES or word in _WORD_ONLY_TITLES:
            return None, word
        glued = _strip_glued(given) if word[-2:] in _GLUED_ENDS else None
        if glued is None:
            return given, None
        return glued
    value = clean(given)
    if value is None:
        return None, None
    tokens = value.split(" ")
    titles: list[str] = []
    while tokens:
        word = tokens[-1].upper().rstrip(".")
        if word in _TITLES or word in _WORD_ONLY_TITLES:
            titles.insert(0, word)
            tokens.pop()
        else:
            break
    if not titles and tokens:
        glued = _strip_glued(tokens[-1])
        if glued is not None:
            tokens[-1], title = glued
            titles.append(title)
        elif len(tokens) > 1 and tokens[0].upper().rstrip(".") in _LEADING_TITLES:
            titles.append(tokens.pop(0).upper().rstrip("."))
    name = " ".join(tokens) or None
    return name, " ".join(titles) or None


def _given_without_title(given: str | None) -> str | None:
    name, _title = split_title(_name(given))
    return name


def _join_names(*names: str | None) -> str | None:
    present = [n for n in names if n]
    return " ".join(present) or None


# --------------------------------------------------------------------------------------------------------
# SSR DOCS / DOCO / DOCA / INFT


def _gender(text: str) -> tuple[Gender, bool] | None:
    return _GENDERS.get(_squash(text)) if text else None


def _is_ddmmmyy(text: str) -> bool:
    """`07NOV66` exactly (upper-case ASCII, no spaces): a date of birth in the standard DOCS slot."""
    return (
        len(text) == 7
        and text.isascii()
        and text[:2].isdigit()
        and text[2:5].isalpha()
        and text[2:5].isupper()
        and text[5:].isdigit()
    )


def _dob_like(text: str) -> bool:
    value = _squash(text)
    return bool(value) and _DOB_RE.fullmatch(value) is not None


def _plain(text: str) -> bool:
    """Upper-case ASCII letters and digits only: a field no normalisation would change."""
    return text.isascii() and text.isalnum() and (text.isupper() or text.isdigit())


def _standard_docs(
    parts: list[str], text: str, reference: date, traveller_ref: str | None
) -> TravelDocument | None:
    """`/P/GBR/123/GBR/12JUL64/M/23AUG19/SURNAME/GIVEN/MIDDLE` with every field plain, read directly.

    None when a field would need the tolerant reading of `parse_docs` (which gives the same result for
    the fields that pass these checks).
    """
    fields = parts[:11] if len(parts) > 10 else [*parts, ""]  # the middle name is optional; more is ignored
    _, doc_type, issuer, number, nationality, dob, sex, expiry, surname, given, middle = fields
    if not (
        _plain(doc_type)
        and len(doc_type) <= 4
        and _plain(number)
        and len(issuer) == 3
        and len(nationality) == 3
        and issuer.isalpha()
        and nationality.isalpha()
        and _plain(issuer)
        and _plain(nationality)
        and surname.isalpha()
        and given.isalpha()
        and (not middle or middle.isalpha())
    ):
        return None
    gender, infant = _GENDERS[sex]
    first = split_title(given)[0]
    return TravelDocument(
        source="DOCS",
        document_type=doc_type,
        number=number,
        issuing_state=issuer,
        nationality=nationality,
        date_of_birth=parse_dob(dob, reference=reference),
        gender=gender,
        infant=infant,
        expiry=parse_ddmmmyy(expiry, reference=reference, past=False),
        surname=surname,
        given_names=f"{first} {middle}" if first and middle else first or middle or None,
        traveller_ref=traveller_ref,
        raw=text,
    )


def _docs_offset(parts: list[str]) -> int:
    """How far the fields sit from the standard DOCS layout (`//P/GBR...`, `HK1/P/...`, a missing type).

    The standard layout wins whenever its DOB and gender slots are plausible; otherwise the first
    `<date>/<gender>` pair within two places of the standard one anchors the fields.
    """
    dob, gender = _field(parts, 5), _field(parts, 6)
    if (not dob.strip() or _dob_like(dob)) and (not gender.strip() or _gender(gender) is not None):
        return 0
    for index in range(4, min(len(parts), 9)):
        if _gender(parts[index]) is not None and _dob_like(parts[index - 1]):
            return index - 6
    return 0


def parse_docs(text: str, *, reference: date, traveller_ref: str | None = None) -> TravelDocument:
    """SSR DOCS: `/P/GBR/123456789/GBR/12JUL64/M/23AUG19/SMITH/JOHN/ROBERT[/H]`.

    Tolerates Secure-Flight style (`/////05FEB53/F//DORON/NINA`), leading `//`, a missing leading slash,
    empty fields and spaces in names. The date of birth is resolved into the past relative to `reference`
    (the message date), the expiry into reference-45 .. reference+54 years. `MI`/`FI` mean an infant. A
    title glued to the given name (`CHARLIEMR`, a sender error) is dropped; `raw` keeps the text as sent.
    """
    reference = _as_date(reference)
    parts = _slash_fields(text)
    if 10 <= len(parts) <= 12 and parts[6] in _GENDERS and _is_ddmmmyy(parts[5]):
        fast = _standard_docs(parts, text, reference, traveller_ref)
        if fast is not None:
            return fast
    if len(parts) > 6 and parts[6] in _GENDERS and _is_ddmmmyy(parts[5]):
        f = parts  # the standard layout (nearly every DOCS): no offset to look for
    else:
        off = _docs_offset(parts)
        f = [_field(parts, index + off) for index in range(11)]
    if len(f) < 11:
        f = f + [""] * (11 - len(f))
    doc_type = _squash(f[1])
    number = _squash(f[3])
    gender = _gender(f[6])
    return TravelDocument(
        source="DOCS",
        document_type=doc_type if _DOC_TYPE_RE.fullmatch(doc_type) else None,
        number=number or None,
        issuing_state=_country(f[2]),
        nationality=_country(f[4]),
        date_of_birth=parse_dob(f[5], reference=reference),
        gender=gender[0] if gender else None,
        infant=gender[1] if gender else False,
        expiry=parse_ddmmmyy(f[7], reference=reference, past=False),
        surname=_name(f[8]),
        given_names=_join_names(_given_without_title(f[9]), _name(f[10])),
        traveller_ref=traveller_ref,
        raw=text,
    )


def _doco_offset(parts: list[str]) -> int:
    issued = _field(parts, 5)
    if not issued.strip() or _DDMMMYY_RE.fullmatch(_squash(issued)):
        return 0
    for index in (4, 6, 3, 7):
        if index < len(parts) and _DDMMMYY_RE.fullmatch(_squash(parts[index])):
            return index - 5
    return 0


def parse_doco(text: str, *, reference: date, traveller_ref: str | None = None) -> TravelDocument:
    """SSR DOCO: `/<place of birth>/<type>/<number>/<place of issue>/<issue DDMMMYY>/<country>[/I]`.

    The issue date is resolved into the past; a trailing `I` marks an infant's document; further fields
    are ignored.
    """
    reference = _as_date(reference)
    parts = _slash_fields(text)
    off = _doco_offset(parts)

    def f(index: int) -> str:
        return _field(parts, index + off)

    doc_type = _squash(f(2))
    number = _squash(f(3))
    return TravelDocument(
        source="DOCO",
        document_type=doc_type if _DOC_TYPE_RE.fullmatch(doc_type) else None,
        number=number or None,
        issued_on=parse_ddmmmyy(f(5), reference=reference, past=True),
        place_of_issue=_name(f(4)),
        place_of_birth=_name(f(1)),
        applicable_country=_country(f(6)),
        infant=_squash(f(7)) == "I",
        traveller_ref=traveller_ref,
        raw=text,
    )


_DOCA_PURPOSES = {"R": "residence", "D": "destination"}


def parse_doca(text: str, *, traveller_ref: str | None = None) -> Address:
    """SSR DOCA: `/<R|D>/<country>/<street>/<city>/<state>/<postcode>[/I]` -> an Address.

    Purpose is "residence" (R) or "destination" (D), else None.
    """
    parts = _slash_fields(text)
    base = 1
    for index in (1, 2, 0):
        if _squash(_field(parts, index)) in _DOCA_PURPOSES:
            base = index
            break
    return Address(
        purpose=_DOCA_PURPOSES.get(_squash(_field(parts, base))),
        country=_country(_field(parts, base + 1)),
        street=clean(_field(parts, base + 2)),
        city=clean(_field(parts, base + 3)),
        state=clean(_field(parts, base + 4)),
        postcode=clean(_field(parts, base + 5)),
        traveller_ref=traveller_ref,
        source="DOCA",
    )


@dataclass(frozen=True, slots=True)
class InfantInfo:
    """An infant named in an SSR INFT (`BELT/SOPHY 20SEP12`); the title, if any, is dropped."""

    surname: str | None
    given_names: str | None
    date_of_birth: PartialDate | None


def parse_inft(text: str, *, reference: date) -> InfantInfo | None:
    """SSR INFT: `BELT/SOPHY 20SEP12`, `BELT/SOPHY/20SEP12`, `INF/SOPHY/20SEP12`; None when nothing usable.

    Text after the date of birth (history lines carry the flight) is ignored.
    """
    value = clean(text)
    if value is None:
        return None
    value = value.upper()
    match = _INFT_DATE_RE.search(value)
    dob: PartialDate | None = None
    name_part = value
    if match is not None:
        dob = parse_dob(match.group(0), reference=reference)
        before = value[: match.start()]
        # The name precedes the date; a few senders put the date first.
        name_part = before if any(c.isalpha() for c in before) else value[match.end() :]
    fields = [f for f in (p.strip() for p in name_part.strip(" /").split("/")) if f]
    surname: str | None = None
    given: str | None = None
    if fields and fields[0] in ("INF", "INFT") and len(fields) >= 2:
        fields = fields[1:]
        given = _given_without_title(" ".join(fields))
    elif fields:
        surname = _name(fields[0])
        given = _given_without_title(" ".join(fields[1:])) if len(fields) > 1 else None
    if surname is None and given is None and dob is None:
        return None
    return InfantInfo(surname=surname, given_names=given, date_of_birth=dob)


# --------------------------------------------------------------------------------------------------------
# Contacts


def decode_telex_email(text: str) -> str:
    """A telex-spelled e-mail address in normal form: `KELLY..DIAS//GMAIL.COM` -> `kelly_dias@gmail.com`.

    `//` and `.AT.` stand for `@` (`.AT.` only when neither `@` nor `//` is present), `..` for `_`.
    Whitespace (PDF copies: `DAVIDSONR.AT. IATA.ORG`) and junk at either end are removed.
    """
    value = "".join(text.split()).strip(_TRAILING_JUNK + "/,;:")
    if "@" not in value and "//" not in value:
        value = _AT_WORD_RE.sub("@", value, count=1)
    return value.replace("//", "@").replace("..", "_").lower()


def _group1(match: re.Match[str]) -> str:
    return match.group(1)


def _email_value(body: str) -> str | None:
    words = body.split()
    if not words:
        return None
    if len(words) == 1:
        return decode_telex_email(words[0]) or None
    # Re-join `DAVIDSONR.AT. IATA.ORG`, then take the word that carries the address.
    words = _EMAIL_SPACE_RE.sub(_group1, body).split()
    word = next((w for w in words if _EMAIL_MARK_RE.search(w)), words[0])
    return decode_telex_email(word) or None


def _phone_value(body: str) -> str | None:
    """The longest digit run as digits only (with a leading `+` if sent): the key for linking contacts."""
    best = ""
    for match in _PHONE_RUN_RE.finditer(body):
        run = match.group(0)
        digits = run.translate(_PHONE_RUN_NON_DIGITS)
        if len(digits) > len(best.lstrip("+")):
            best = ("+" if run.startswith("+") else "") + digits
    return best if len(best.lstrip("+")) >= _MIN_PHONE_DIGITS else None


def _contact_from(
    letter: str | None, body: str, traveller_ref: str | None, source: str | None
) -> Contact | None:
    if "/" in body:  # an SSR prefix ends in a slash
        prefix = _SSR_PREFIX_RE.match(body)
        if prefix is not None:
            body = body[prefix.end() :]
    body = body.strip().rstrip(_TRAILING_JUNK)
    if not body:
        return None
    kind = _CTC_KINDS.get(letter) if letter else None
    if kind is not ContactKind.EMAIL and body.isdigit() and body.isascii():
        # Digits only (the usual phone item): the digit run is the whole body.
        if len(body) < _MIN_PHONE_DIGITS:
            return None
        return Contact(kind or ContactKind.PHONE, body, traveller_ref, source)
    if kind is ContactKind.EMAIL or (_EMAIL_MARK_RE.search(body) and any(c.isalpha() for c in body)):
        email_body = _PAX_SUFFIX_RE.sub("", body) if "-" in body else body
        value = _email_value(email_body)
        return Contact(ContactKind.EMAIL, value, traveller_ref, source) if value else None
    suffix = _PAX_SUFFIX_RE.search(body)
    # `-1` is a passenger number unless dashes already separate digit groups (`06-12-34-56-78`).
    if suffix is not None and "-" not in body[: suffix.start()]:
        body = body[: suffix.start()]
    phone = _phone_value(body)
    if phone is None:
        return None
    if kind is None or kind is ContactKind.OTHER:
        kind = ContactKind.PHONE
    if kind is ContactKind.PHONE and _FAX_WORD_RE.search(body):
        kind = ContactKind.FAX
    return Contact(kind, phone, traveller_ref, source)


def parse_contact(
    code: str, text: str, *, traveller_ref: str | None = None, source: str | None = None
) -> Contact | None:
    """An SSR/OSI contact item: CTCE e-mail, CTCM mobile, CTCH/CTCB/CTCP/CTCT phone, CTCF fax, CTCR.

    `text` may be the SSR free text (`/KELLY..DIAS//GMAIL.COM-1`, with carrier, slash or passenger
    suffix) or the OSI/IFT form that repeats the code (`CTCM 123456789`, `CTC M 123456789`). Phones come
    back as digits only (with a leading `+` if sent); e-mails decoded and lower-cased. `source` defaults to
    `SSR <code>` for a CTC code, else to the code itself (`OSI`). None when no usable value is left.
    """
    code_norm = _squash(code) if code else ""
    if source is None and code_norm:
        source = f"SSR {code_norm}" if code_norm.startswith("CTC") else code_norm
    body = text or ""
    letter: str | None = None
    head = _CTC_HEAD_RE.match(body)
    if head is not None:
        letter = head.group(1).upper() if head.group(1) else None
        body = body[head.end() :]
    elif code_norm.startswith("CTC") and len(code_norm) >= 4:
        letter = code_norm[3]
    return _contact_from(letter, body, traveller_ref, source)


def find_contacts_in_text(
    text: str, *, traveller_ref: str | None = None, source: str | None = None
) -> tuple[Contact, ...]:
    """Every CTC item in free text (IFT lines, OSI, ADD phone slots such as `EK CTC M 5432109876`).

    Each item runs to the next CTC item or the end of the text. Duplicates are returned once.
    """
    if not text:
        return ()
    matches = list(_CTC_SCAN_RE.finditer(text))
    found: list[Contact] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        letter = match.group(1).upper() if match.group(1) else None
        contact = _contact_from(letter, text[match.end() : end], traveller_ref, source)
        if contact is not None and contact not in found:
            found.append(contact)
    return tuple(found)


# --------------------------------------------------------------------------------------------------------
# Payment and amounts


def card_fingerprint(number: str | None, key: bytes | None) -> tuple[str | None, str | None]:
    """(hex HMAC-SHA256 of the card number, last four digits) so that no card number is ever stored.

    The hash needs a complete number (12-19 digits once spaces and dashes are gone, no `X`/`*` masking)
    and a key; the last four come whenever the number ends in four digits (masked numbers too).
    """
    if not number:
        return None, None
    value = "".join(number.split()).replace("-", "")
    tail = value[-4:]
    last4 = tail if len(tail) == 4 and tail.isascii() and tail.isdigit() else None
    digest: str | None = None
    if key and value.isascii() and value.isdigit() and 12 <= len(value) <= 19:
        digest = hmac.new(key, value.encode("ascii"), hashlib.sha256).hexdigest()
    return digest, last4


def parse_amount(text: str | None, decimal_mark: str = ".") -> Decimal | None:
    """A monetary amount, tolerant of spaces and of the decimal mark the sender declared (UNA).

    With the declared mark present, `.` and `,` other than it are group separators. Without it, a single
    `.` is decimal, a single `,` is decimal unless three digits follow it (`1,234`), and with both the
    last one is decimal.
    """
    if not text:
        return None
    value = "".join(text.split())
    mark = decimal_mark if len(decimal_mark) == 1 else "."
    if mark in value and mark not in ".,":
        value = value.replace(".", "").replace(",", "").replace(mark, ".")
    elif mark in value:
        other = "," if mark == "." else "."
        value = value.replace(other, "").replace(mark, ".")
    else:
        dots, commas = value.count("."), value.count(",")
        if dots and commas:
            last = "." if value.rfind(".") > value.rfind(",") else ","
            value = value.replace("," if last == "." else ".", "").replace(last, ".")
        elif commas == 1 and len(value) - value.index(",") - 1 != 3:
            value = value.replace(",", ".")
        elif commas:
            value = value.replace(",", "")
        elif dots > 1:
            value = value.replace(".", "")
    if _AMOUNT_RE.fullmatch(value) is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None
