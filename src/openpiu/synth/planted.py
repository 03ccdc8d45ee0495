"""Planted cases: watchlist persons who travel under a variation, networks, and sensitive items.

Everything here is a pure function of its arguments and a seeded `random.Random`: the same inputs
and the same random state give the same result.

- `choose_targets` picks the travellers who are on a watchlist and the `Variation` each one shows;
  `booking_identity` says how such a person appears on a booking and `watchlist_entry` how the list
  knows them. The variation is always the difference between the two.
- `network_groups` picks groups of otherwise unrelated people whose bookings will share a phone,
  an e-mail address, a postal address or a payment card.
- `SENSITIVE_ITEMS` and `sensitive_item` give SSR items that reveal religion or belief, health or
  ethnic origin, which the ingest filter must remove (Directive 2016/681 Art 13(4)).
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Literal

from openpiu.model import Address
from openpiu.model.record import record
from openpiu.synth.types import Person, PersonDocument, Variation, WatchlistEntry

__all__ = [
    "SENSITIVE_ITEMS",
    "NameForm",
    "NetworkGroup",
    "NetworkKind",
    "SensitiveItem",
    "address_line",
    "booking_identity",
    "choose_targets",
    "eligible",
    "entry_id",
    "fake_card_number",
    "format_name",
    "network_groups",
    "sensitive_item",
    "spelling_slip",
    "watchlist_entry",
]


# --- identifiers -----------------------------------------------------------------------------------


def entry_id(number: int) -> str:
    """The id of the `number`th person-watchlist entry: "W0000001" (as person ids are "P0000001")."""
    return f"W{number:07d}"


# --- preconditions ---------------------------------------------------------------------------------


def _passport(person: Person) -> PersonDocument | None:
    return next((doc for doc in person.documents if doc.document_type == "P"), None)


def eligible(person: Person, variation: Variation) -> bool:
    """Whether `variation` can be shown by `person` (its effect would be visible)."""
    given = person.given_names.split()
    if variation is Variation.SWAPPED_ORDER:
        return bool(given) and given[0] != person.surname
    if variation is Variation.MISSING_MIDDLE:
        return len(given) >= 2
    if variation is Variation.DOB_DAY_MONTH_SWAPPED:
        dob = person.date_of_birth
        return dob.day <= 12 and dob.day != dob.month
    if variation is Variation.NEW_PASSPORT:
        return _passport(person) is not None
    if variation is Variation.SPELLING:
        return len(person.surname.replace(" ", "")) >= 2
    return True


def _require(person: Person, variation: Variation) -> None:
    if not eligible(person, variation):
        raise ValueError(f"{person.person_id} cannot show the variation {variation.value}")


# --- spelling slips --------------------------------------------------------------------------------

_VOWEL = "AEIOUY"
# (pattern, replacement): transliteration alternatives and typing slips real bookings show.
_SLIPS: tuple[tuple[str, str], ...] = (
    ("OU", "U"),
    ("UE", "U"),  # umlauts transcribed or dropped: MUELLER / MULLER
    ("OE", "O"),
    ("AE", "A"),
    (r"(?<=[^AEIOUY ])U", "OU"),
    ("PH", "F"),
    (r"(?<!^)F", "PH"),
    ("IE", "Y"),
    ("IY", "Y"),
    (r"Y(?=[AEOU])", "I"),
    (r"(?<=[AEOU])Y", "I"),
    (r"I(?=[AEOU])", "Y"),
    ("CK", "K"),
    (r"(?<=[AEIOU])K", "CK"),
    ("DJ", "J"),
    (r"^J", "DJ"),
    ("KH", "H"),
    ("SCH", "SH"),
    (r"SH", "SCH"),
    ("TH", "T"),
    ("EI", "EY"),
    ("AI", "AY"),
    ("W", "V"),
    (r"(?<!^)V", "W"),
    ("KS", "X"),
    ("X", "KS"),
    (r"C(?=[AOU])", "K"),
    ("TS", "C"),
    ("EE", "I"),
    ("OO", "U"),
)
_DOUBLED = re.compile(r"([B-DF-HJ-NP-TV-Z])\1")
_SINGLE_BETWEEN_VOWELS = re.compile(r"(?<=[AEIOUY])([BDFGKLMNPRSTZ])(?=[AEIOUY])")


def _slip_candidates(word: str) -> list[str]:
    found: list[str] = []
    for pattern, replacement in _SLIPS:
        for match in re.finditer(pattern, word):
            found.append(word[: match.start()] + replacement + word[match.end() :])
    for match in _DOUBLED.finditer(word):  # a doubled letter written once
        found.append(word[: match.start()] + match.group(1) + word[match.end() :])
    for match in _SINGLE_BETWEEN_VOWELS.finditer(word):  # a letter doubled
        found.append(word[: match.end()] + match.group(1) + word[match.end() :])
    return [candidate for candidate in found if candidate != word]


def spelling_slip(word: str, rng: random.Random) -> str:
    """`word` (airline form) with one realistic transliteration or typing slip; always differs.

    Known alternatives (OU/U, PH/F, IE/Y, I/Y, CK/K, DJ/J, KH/H, SH/SCH, W/V, ...) and doubled or
    single letters come first; a dropped letter, two exchanged letters or a doubled letter otherwise.
    """
    letters = [i for i, ch in enumerate(word) if ch != " "]
    if not letters:
        raise ValueError("cannot misspell an empty name")
    candidates = _slip_candidates(word)
    if candidates:
        return rng.choice(candidates)
    inner = [i for i in letters[1:] if word[i] != word[i - 1]]
    fallbacks: list[str] = []
    if len(letters) >= 4:  # drop an inner letter
        fallbacks.extend(word[:i] + word[i + 1 :] for i in inner if i != letters[-1])
        fallbacks.extend(  # two neighbouring letters exchanged
            word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
            for i in inner
            if word[i - 1] != " " and word[i] != word[i - 1]
        )
    fallbacks = [candidate for candidate in fallbacks if candidate != word and candidate.strip()]
    if fallbacks:
        return rng.choice(fallbacks)
    i = rng.choice(letters)
    return word[: i + 1] + word[i] + word[i + 1 :]


# --- how the traveller appears ---------------------------------------------------------------------

_PASSPORT_LETTERS = "CFGHJKLMNPRTVWXYZ"  # letters unambiguous to OCR, as several states use


def _new_number(old: str, rng: random.Random) -> str:
    """A number of the same shape as `old` (letters where it has letters, digits where digits)."""
    for _ in range(100):
        chars = [old[0]]
        for ch in old[1:]:
            if ch.isdigit():
                chars.append(str(rng.randrange(10)))
            elif ch.isalpha():
                chars.append(rng.choice(_PASSPORT_LETTERS))
            else:
                chars.append(ch)
        new = "".join(chars)
        if new != old:
            return new
    raise ValueError(f"cannot vary the document number {old!r}")  # pragma: no cover - 1-char numbers


def _replacement_passport(old: PersonDocument, rng: random.Random, today: date | None) -> PersonDocument:
    latest = today if today is not None else old.issued_on + timedelta(days=730)
    span = max(1, (latest - old.issued_on).days)
    issued = old.issued_on + timedelta(days=rng.randint(min(span, 30), span))
    validity = old.expiry - old.issued_on
    if validity.days < 365:
        validity = timedelta(days=3652)
    return PersonDocument(
        document_type="P",
        number=_new_number(old.number, rng),
        issuing_state=old.issuing_state,
        issued_on=issued,
        expiry=issued + validity,
    )


def booking_identity(
    person: Person, variation: Variation, rng: random.Random, *, today: date | None = None
) -> Person:
    """How `person` appears when travelling, given that the watchlist knows them as `watchlist_entry` does.

    EXACT and the date-of-birth variations leave the person as they are (the entry differs, not the
    traveller). SPELLING uses one of `person.spellings`, or else a `spelling_slip` in the surname or the
    first given name; SWAPPED_ORDER exchanges the surname and the first given name; MISSING_MIDDLE keeps
    only the first given name; NEW_PASSPORT replaces the passport with a new one of the same issuing
    state and number shape (issued after the old one and, when `today` is given, not after it).
    Raises `ValueError` when the person cannot show the variation (see `eligible`).
    """
    _require(person, variation)
    if variation is Variation.SPELLING:
        current = (person.surname, person.given_names)
        spellings = [spelling for spelling in person.spellings if spelling != current and spelling[0]]
        if spellings:
            surname, given = rng.choice(spellings)
            return dataclasses.replace(person, surname=surname, given_names=given)
        parts = person.given_names.split()
        if parts and rng.random() < 0.35 and len(parts[0]) >= 3:
            parts[0] = spelling_slip(parts[0], rng)
            return dataclasses.replace(person, given_names=" ".join(parts))
        return dataclasses.replace(person, surname=spelling_slip(person.surname, rng))
    if variation is Variation.SWAPPED_ORDER:
        first, *rest = person.given_names.split()
        return dataclasses.replace(person, surname=first, given_names=" ".join([person.surname, *rest]))
    if variation is Variation.MISSING_MIDDLE:
        return dataclasses.replace(person, given_names=person.given_names.split()[0])
    if variation is Variation.NEW_PASSPORT:
        old = _passport(person)
        assert old is not None  # checked by _require
        new = _replacement_passport(old, rng, today)
        others = tuple(doc for doc in person.documents if doc is not old)
        return dataclasses.replace(person, documents=(new, *others))
    return person


# --- how the list knows them -----------------------------------------------------------------------

NameForm = Literal["surname_comma_given", "given_surname", "natural"]
_PARTICLES = frozenset(
    {"VAN", "DER", "DEN", "DE", "DA", "DI", "DEL", "DELLA", "DOS", "DAS", "DU", "VON", "ZU"}
)


def _natural(name: str, *, particles: bool = False) -> str:
    """ "HANS PETER" -> "Hans Peter"; with `particles`, "VAN DER BERG" -> "van der Berg"."""
    parts = name.split()
    return " ".join(
        word.lower() if particles and word in _PARTICLES and i < len(parts) - 1 else word.capitalize()
        for i, word in enumerate(parts)
    )


def format_name(surname: str, given_names: str, form: NameForm, *, upper: bool = False) -> str:
    """A name as watchlist sources write it.

    "surname_comma_given" gives "SAZONOV, Arseniy"; "given_surname" gives "Arseniy SAZONOV";
    "natural" gives "Arseniy Sazonov" (particles in lower case: "Jan van der Berg"). With `upper`, all
    capitals ("SAZONOV, ARSENIY"). A person without given names is written as the surname alone.
    """
    if upper:
        given, family = given_names.upper(), surname.upper()
    else:
        given = _natural(given_names)
        family = _natural(surname, particles=True) if form == "natural" else surname.upper()
    if not given:
        return family
    if form == "surname_comma_given":
        return f"{family}, {given}"
    return f"{given} {family}"


_FORMS: tuple[tuple[NameForm, bool], ...] = (
    ("surname_comma_given", False),
    ("surname_comma_given", True),
    ("given_surname", False),
    ("given_surname", True),
    ("natural", False),
)
_FORM_WEIGHTS = (30, 20, 25, 10, 15)


def _pick_form(rng: random.Random) -> tuple[NameForm, bool]:
    return rng.choices(_FORMS, weights=_FORM_WEIGHTS)[0]


def watchlist_entry(
    person: Person, variation: Variation, entry_id: str, category: str, rng: random.Random
) -> WatchlistEntry:
    """How the watchlist knows `person`, who travels showing `variation` (see `booking_identity`).

    The name is in one of the forms sources use ("SAZONOV, Arseniy", "Arseniy SAZONOV", all capitals,
    "Arseniy Sazonov"); aliases are the person's other romanisations in the same form and the
    native-script name where known. For SPELLING the other romanisations are left out, since the
    traveller uses one of them and the case would otherwise be an exact alias match. The date of
    birth is full, with day and month exchanged for DOB_DAY_MONTH_SWAPPED, or the year only for
    DOB_YEAR_ONLY. Document numbers are given only where they are part of the case: the current
    ones for EXACT, the old passport for NEW_PASSPORT; the other variations must be found on the
    name and date of birth. Raises `ValueError` when the person cannot show the variation.
    """
    _require(person, variation)
    form, upper = _pick_form(rng)
    name = format_name(person.surname, person.given_names, form, upper=upper)
    aliases: list[str] = []
    if variation is not Variation.SPELLING:
        for surname, given in person.spellings:
            alias = format_name(surname, given, form, upper=upper)
            if alias != name and alias not in aliases:
                aliases.append(alias)
    if person.native_name and person.native_name not in aliases:
        aliases.append(person.native_name)
    dob = person.date_of_birth
    if variation is Variation.DOB_DAY_MONTH_SWAPPED:
        birth = date(dob.year, dob.day, dob.month).isoformat()
    elif variation is Variation.DOB_YEAR_ONLY:
        birth = f"{dob.year:04d}"
    else:
        birth = dob.isoformat()
    documents: tuple[str, ...] = ()
    if variation is Variation.EXACT:
        documents = tuple(doc.number for doc in person.documents)
    elif variation is Variation.NEW_PASSPORT:
        old = _passport(person)
        assert old is not None
        documents = (old.number,)
    return WatchlistEntry(
        entry_id=entry_id,
        name=name,
        aliases=tuple(aliases),
        date_of_birth=birth,
        nationality=person.nationality,
        document_numbers=documents,
        category=category,
    )


# --- choosing targets ------------------------------------------------------------------------------


def _random_order(n: int, rng: random.Random) -> Iterator[int]:
    """0..n-1 in a random order, drawn lazily (a sparse Fisher-Yates shuffle): O(k) for k drawn."""
    moved: dict[int, int] = {}
    for i in range(n):
        j = rng.randrange(i, n)
        yield moved.get(j, j)
        moved[j] = moved.get(i, i)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def choose_targets(
    persons: Sequence[Person], count: int, rng: random.Random, *, adult_on: date | None = None
) -> list[tuple[Person, Variation]]:
    """Pick `count` distinct planted targets among `persons`, each with the variation they show.

    With `count >= len(Variation)` every variation occurs at least once (the rest are drawn at random);
    with fewer, `count` different variations are drawn. Each person is eligible for their variation
    (several given names for MISSING_MIDDLE, day <= 12 and day != month for DOB_DAY_MONTH_SWAPPED, a
    passport for NEW_PASSPORT, ...). With `adult_on`, only people aged 18 or more on that day are picked.
    Returns fewer pairs when the people run out; a variation no remaining person can show is
    replaced by one that some person can.
    """
    if count <= 0:
        return []
    every = list(Variation)
    if count >= len(every):
        wanted = every + [rng.choice(every) for _ in range(count - len(every))]
    else:
        wanted = rng.sample(every, count)
    order = _random_order(len(persons), rng)
    pool: list[Person] = []  # drawn, adult, not yet used

    def take(variation: Variation) -> Person | None:
        for i, person in enumerate(pool):
            if eligible(person, variation):
                return pool.pop(i)
        for index in order:
            person = persons[index]
            if adult_on is not None and _age_on(person.date_of_birth, adult_on) < 18:
                continue
            if eligible(person, variation):
                return person
            pool.append(person)
        return None

    # The most demanding variations pick first, so the others do not use up their people.
    demanding = (Variation.MISSING_MIDDLE, Variation.DOB_DAY_MONTH_SWAPPED, Variation.NEW_PASSPORT)
    slots = sorted(range(len(wanted)), key=lambda i: wanted[i] not in demanding)
    chosen: dict[int, tuple[Person, Variation]] = {}
    for slot in slots:
        variation = wanted[slot]
        person = take(variation)
        if person is None:
            # Nobody left can show it: any variation someone left can show (EXACT needs nothing).
            person = take(Variation.EXACT)
            if person is None:
                break
            variation = rng.choice([v for v in every if v is not Variation.EXACT and eligible(person, v)])
        chosen[slot] = (person, variation)
    return [chosen[slot] for slot in sorted(chosen)]


# --- networks --------------------------------------------------------------------------------------

NetworkKind = Literal["phone", "email", "address", "card"]
_KINDS: tuple[NetworkKind, ...] = ("phone", "email", "address", "card")


@record
class NetworkGroup:
    """People with nothing else in common whose bookings share one phone, e-mail, address or card."""

    network_id: str  # "N0001"
    kind: NetworkKind
    value: str  # the shared phone (E.164), e-mail, address line or card number
    person_ids: tuple[str, ...]


def address_line(address: Address) -> str:
    """An address on one line: "12 HAUPTSTR, 10115 BERLIN, DE" (missing parts left out)."""
    town = " ".join(part for part in (address.postcode, address.city) if part)
    return ", ".join(part for part in (address.street, town, address.state, address.country) if part)


_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its two digits added


def fake_card_number(rng: random.Random) -> str:
    """A 16-digit, Luhn-valid card number in the 400000 test range (never a real card)."""
    digits = [4, 0, 0, 0, 0, 0] + [rng.randrange(10) for _ in range(9)]
    # Once the check digit is appended, the payload's last digit and every second one before it double.
    total = sum(_LUHN_DOUBLE[d] if i % 2 == 0 else d for i, d in enumerate(reversed(digits)))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _value(person: Person, kind: NetworkKind) -> str | None:
    if kind == "phone":
        return person.phone or None
    if kind == "email":
        return person.email or None
    if kind == "address":
        return address_line(person.address) or None
    return person.card_number


def network_groups(persons: Sequence[Person], groups: int, rng: random.Random) -> list[NetworkGroup]:
    """`groups` groups of 3-6 otherwise unrelated people whose bookings will share one value.

    Kinds go round phone, e-mail, address and card (in a random order), so four groups or more cover
    every kind. The shared value is the first member's own phone, e-mail, address or card (a fresh
    test card number when that member has none); within a group the surnames and the members' own
    values of that kind all differ, and nobody is in two groups. Returns fewer groups when the
    people run out.
    """
    kinds = list(_KINDS)
    rng.shuffle(kinds)
    order = _random_order(len(persons), rng)
    used: set[str] = set()
    spare: list[Person] = []  # drawn but unfit for an earlier group
    result: list[NetworkGroup] = []
    for number in range(groups):
        kind = kinds[number % len(kinds)]
        members = _draw_group(persons, order, spare=spare, used=used, kind=kind, size=rng.randint(3, 6))
        if len(members) < 3:
            break
        used.update(member.person_id for member in members)
        result.append(
            NetworkGroup(
                network_id=f"N{number + 1:04d}",
                kind=kind,
                value=_value(members[0], kind) or fake_card_number(rng),
                person_ids=tuple(member.person_id for member in members),
            )
        )
    return result


def _draw_group(
    persons: Sequence[Person],
    order: Iterator[int],
    *,
    spare: list[Person],
    used: set[str],
    kind: NetworkKind,
    size: int,
) -> list[Person]:
    members: list[Person] = []
    surnames: set[str] = set()
    values: set[str] = set()

    def offer(person: Person) -> bool:
        value = _value(person, kind)
        if person.person_id in used or person.surname in surnames or (value is not None and value in values):
            return False
        members.append(person)
        surnames.add(person.surname)
        if value is not None:
            values.add(value)
        return True

    for person in list(spare):
        if len(members) == size:
            return members
        if offer(person):
            spare.remove(person)
    while len(members) < size:
        index = next(order, None)
        if index is None:
            break
        person = persons[index]
        if not offer(person):
            spare.append(person)
    return members


# --- sensitive items -------------------------------------------------------------------------------


@record
class SensitiveItem:
    """An SSR code that reveals a special category of data, with free text as bookings carry it."""

    code: str
    text: str
    reason: str  # "religion or belief", "health", "racial or ethnic origin"
    weight: int = 1  # how often it is drawn, relative to the others


_RELIGION = "religion or belief"
_HEALTH = "health"
_ETHNIC = "racial or ethnic origin"

# Codes from the sensitive-code list of reference/eu-pnr-requirements.md (section 4). Vegetarian meals
# (VGML, VLML) are left out: they reveal nothing reliably and are not what the filter must catch.
SENSITIVE_ITEMS: tuple[SensitiveItem, ...] = (
    SensitiveItem("MOML", "MUSLIM MEAL", _RELIGION, 10),
    SensitiveItem("KSML", "KOSHER MEAL", _RELIGION, 6),
    SensitiveItem("HNML", "HINDU MEAL NON VEG NO BEEF", _RELIGION, 5),
    SensitiveItem("VJML", "JAIN VEGETARIAN MEAL", _RELIGION, 2),
    SensitiveItem("AVML", "ASIAN VEGETARIAN MEAL HINDU", _RELIGION, 3),
    SensitiveItem("WCHR", "WHEELCHAIR CAN CLIMB STAIRS", _HEALTH, 8),
    SensitiveItem("WCHS", "WHEELCHAIR CANNOT CLIMB STAIRS", _HEALTH, 4),
    SensitiveItem("WCHC", "WHEELCHAIR IMMOBILE CARRY TO SEAT", _HEALTH, 2),
    SensitiveItem("WCMP", "OWN MANUAL WHEELCHAIR 14KG", _HEALTH, 2),
    SensitiveItem("BLND", "BLIND PAX WITH GUIDE DOG", _HEALTH, 2),
    SensitiveItem("DEAF", "DEAF PAX TRAVELLING ALONE", _HEALTH, 2),
    SensitiveItem("MEDA", "MEDICAL CASE MEDIF CLEARED", _HEALTH, 2),
    SensitiveItem("STCR", "STRETCHER WITH MEDICAL ESCORT", _HEALTH, 1),
    SensitiveItem("AOXY", "OWN OXYGEN CONCENTRATOR APPROVED", _HEALTH, 1),
    SensitiveItem("DPNA", "INTELLECTUAL DISABILITY NEEDS ASSISTANCE", _HEALTH, 1),
    SensitiveItem("DBML", "DIABETIC MEAL", _HEALTH, 4),
    SensitiveItem("GFML", "GLUTEN FREE MEAL COELIAC", _HEALTH, 3),
    SensitiveItem("LANG", "SPEAKS ONLY ARABIC", _ETHNIC, 1),
)
_WEIGHTS = tuple(item.weight for item in SENSITIVE_ITEMS)


def sensitive_item(rng: random.Random) -> tuple[str, str, str]:
    """One sensitive SSR item (code, free text, the special category it reveals), drawn by weight."""
    item = rng.choices(SENSITIVE_ITEMS, weights=_WEIGHTS)[0]
    return item.code, item.text, item.reason
