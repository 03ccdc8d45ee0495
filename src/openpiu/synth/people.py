"""A deterministic synthetic population: the people who travel through a PIU's airports.

`make_population(seed, count, home_country="DE")` gives `count` `Person`s, the same ones for the
same arguments. The mix is what a PIU in `home_country` sees: about 60 % home-country residents and
nationals, the rest from the neighbours and the frequent origins of travellers and residents
(Turkish, Polish, Italian, French, Spanish, Dutch, Greek, Romanian, Russian, Ukrainian, Bulgarian,
Arabic-speaking, Indian, Chinese, American, British ...), part of them living in the home country.

What comes from data packages
  * Names: Faker's per-locale person providers (with their frequency weights), drawn once per locale
    into pools. Non-Latin scripts come from Faker in their own script (`ru_RU`, `uk_UA`, `bg_BG`,
    `el_GR`, `zh_CN`) and are kept as `native_name`. Arabic-origin names come from `fr_DZ`, the one
    Faker locale that writes them in Latin script (Arabic-script locales give no vowels, and a
    romanisation without vowels is useless to airlines and to screening).
  * Addresses: Faker's address provider of the residence country's locale, made ASCII by `anyascii`.
  * Country codes: `pycountry` (alpha-2 to alpha-3).
  * Chinese romanisation: `anyascii` gives Hanyu Pinyin per character, as PRC passports write it.

What comes from published rules (small per-character tables below)
  * ICAO Doc 9303 Part 3 transliteration: Latin letters with diacritics (Ä→AE, Ø→OE, ß→SS ...) for
    German and Nordic names as their passports write them, and Cyrillic (Щ→SHCH, Я→IA, Й→I).
  * National passport systems: Ukraine's 2010 system (КМУ 55: Г→H, initial Я→YA), Bulgaria's 2009
    Streamlined System (Щ→SHT, Ъ→A), Greece's ELOT 743 (ΟΥ→OU, ΑΥ→AV/AF, Χ→CH).
  * German Duden-style Cyrillic (Щ→SCHTSCH, В→W, Ж→SCH), seen on German-issued documents.
  * A phonetic Greek spelling (Η, Υ, ΟΙ→I, Χ→H, initial ΜΠ→B) common on non-Greek records.
  * `anyascii`'s own scheme, what a booking tool typing from the native script produces.
  * Arabic-origin names: the documented alternations between French and English romanisations of
    the same Arabic sounds (ou/u, ch/sh, dj/j, ee/i, oo/u, kh/h, q/k, -a/-ah for ta marbuta, el-/al-,
    Abdel/Abd el/Abdul, Ben+name joined or not) and the most frequent names written several ways
    (Mohamed/Mohammed/Muhammad ...). Mashriq persons may carry a patronymic or `AL` family name, as
    Arabic naming does.
  * Naming customs: two Spanish/Portuguese surnames (and bookings that keep only the first), German
    double surnames, Dutch particles written apart or joined.

Documents, phones, e-mails, frequent-flyer numbers and cards follow small per-country tables of
formats (approximations of the real formats, never real numbers); card numbers are Luhn-valid and
only in the well-known public test ranges. Phones, e-mails, addresses, document and card numbers are
unique in one population, so only planted networks share them.

Not covered: Persian- and Hebrew-script names. The locked packages give them only in their own
script, and their romanisation needs the vowels the script leaves out.

Everything is a pure function of the arguments: one `random.Random(seed)` drives all draws, and the
Faker name and address pools are drawn once per locale from Faker instances seeded from the locale
name alone (so they are cached, and shared by every population).
"""

from __future__ import annotations

import random
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, partial

import pycountry
from anyascii import anyascii
from faker import Faker
from faker.config import AVAILABLE_LOCALES

from openpiu.model import Address, Gender
from openpiu.synth.types import Person, PersonDocument

__all__ = [
    "AS_OF",
    "airline_form",
    "arabic_variants",
    "is_luhn_valid",
    "luhn_check_digit",
    "make_population",
    "transliterate",
]

AS_OF = date(2026, 11, 30)  # the default "today" of the world (WorldParams.start)

# ---------------------------------------------------------------------------------------------------
# Airline form
# ---------------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans("", "", "'’ʼ`´‘ʻ")


def airline_form(text: str) -> str:
    """The name as airlines write it: upper-case ASCII letters and single spaces.

    Diacritics are stripped and other scripts romanised by `anyascii`, apostrophes dropped (O'Brien →
    OBRIEN), hyphens and any other separator turned into spaces.
    """
    ascii_text = anyascii(text.translate(_APOSTROPHES)).upper().translate(_APOSTROPHES)
    letters = "".join(ch if "A" <= ch <= "Z" else " " for ch in ascii_text)
    return " ".join(letters.split())


# ICAO Doc 9303 Part 3, Latin-1 letters that passports expand rather than strip.
_ICAO_LATIN = {"Ä": "AE", "Å": "AA", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Ü": "UE", "ß": "SS", "Þ": "TH"}


def _icao_latin(text: str) -> str:
    upper = text.upper().replace("ẞ", "ß")
    return "".join(_ICAO_LATIN.get(ch, ch) for ch in upper)


# ---------------------------------------------------------------------------------------------------
# Cyrillic and Greek transliteration tables
# ---------------------------------------------------------------------------------------------------

_TableValue = str | tuple[str, str]  # one spelling, or (word-initial, elsewhere)

_ICAO_CYRILLIC: dict[str, _TableValue] = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Ѓ": "G", "Ђ": "D", "Е": "E",
    "Ё": "E", "Є": "IE", "Ж": "ZH", "З": "Z", "Ѕ": "DZ", "И": "I", "І": "I", "Ї": "I", "Й": "I",
    "Ј": "J", "К": "K", "Л": "L", "Љ": "LJ", "М": "M", "Н": "N", "Њ": "NJ", "О": "O", "П": "P",
    "Р": "R", "С": "S", "Т": "T", "Ћ": "C", "Ќ": "K", "У": "U", "Ў": "U", "Ф": "F", "Х": "KH",
    "Ц": "TS", "Ч": "CH", "Џ": "DZ", "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "",
    "Э": "E", "Ю": "IU", "Я": "IA",
}  # fmt: skip

# Ukraine, Cabinet of Ministers resolution 55 (2010); first value word-initially, second elsewhere.
_UKRAINIAN_2010: dict[str, _TableValue] = {
    **_ICAO_CYRILLIC,
    "Г": "H", "И": "Y", "Є": ("YE", "IE"), "Ї": ("YI", "I"), "Й": ("Y", "I"), "Ю": ("YU", "IU"),
    "Я": ("YA", "IA"), "Ь": "",
}  # fmt: skip

# Bulgaria, Transliteration Act 2009 (the Streamlined System).
_BULGARIAN_2009: dict[str, _TableValue] = {
    **_ICAO_CYRILLIC,
    "Х": "H", "Й": "Y", "Щ": "SHT", "Ъ": "A", "Ь": "Y", "Ю": "YU", "Я": "YA",
}  # fmt: skip

# German Duden-style transcription of Russian.
_DUDEN: dict[str, _TableValue] = {
    **_ICAO_CYRILLIC,
    "В": "W", "Ё": "JO", "Ж": "SCH", "З": "S", "Й": "J", "Х": "CH", "Ц": "Z", "Ч": "TSCH",
    "Ш": "SCH", "Щ": "SCHTSCH", "Ъ": "", "Ы": "Y", "Ю": "JU", "Я": "JA",
}  # fmt: skip
_CYR_VOWELS = set("АЕЁИОУЫЭЮЯІЇЄ")


def _cyrillic(word: str, table: dict[str, _TableValue], scheme: str) -> str:
    word = word.upper()
    out: list[str] = []
    for i, ch in enumerate(word):
        prev = word[i - 1] if i else ""
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if scheme == "duden":
            if ch == "Й" and prev in ("И", "Ы"):
                continue  # Дмитрий → DMITRI, not DMITRIJ
            if ch == "Е" and (not prev or prev in _CYR_VOWELS or prev in "ЪЬ"):
                out.append("JE")
                continue
            if ch == "С" and prev in _CYR_VOWELS and nxt in _CYR_VOWELS:
                out.append("SS")
                continue
        if scheme == "uk2010" and ch == "Г" and prev == "З":
            out.append("GH")  # зг → zgh, to tell it from ж
            continue
        if scheme == "bg2009" and ch == "Я" and prev == "И" and not nxt:
            out.append("A")  # final -ия → -IA
            continue
        value = table.get(ch, ch)
        if isinstance(value, tuple):
            value = value[0] if i == 0 else value[1]
        out.append(value)
    return "".join(out)


_GREEK = {
    "Α": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Ζ": "Z", "Η": "I", "Θ": "TH", "Ι": "I",
    "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O", "Π": "P", "Ρ": "R", "Σ": "S",
    "Τ": "T", "Υ": "Y", "Φ": "F", "Χ": "CH", "Ψ": "PS", "Ω": "O",
}  # fmt: skip
_GREEK_VOICELESS = set("ΘΚΞΠΣΤΦΧΨ")
# ELOT 743 digraphs (Greek passports); the phonetic spelling differs where noted in _GREEK_PHONETIC.
_ELOT_DIGRAPHS = {"ΟΥ": "OU", "ΓΓ": "NG", "ΓΞ": "NX", "ΓΧ": "NCH", "ΓΚ": "GK", "ΜΠ": "MP", "ΝΤ": "NT"}
_GREEK_PHONETIC = {
    "ΟΥ": "OU", "ΑΙ": "E", "ΕΙ": "I", "ΟΙ": "I", "ΥΙ": "I", "ΓΓ": "NG", "ΓΚ": "NG", "ΜΠ": "MB",
    "ΝΤ": "ND", "ΤΖ": "TZ",
}  # fmt: skip
_GREEK_PHONETIC_INITIAL = {"ΜΠ": "B", "ΝΤ": "D", "ΓΚ": "G"}
_GREEK_PHONETIC_SINGLE = {**_GREEK, "Υ": "I", "Χ": "H"}


def _greek(word: str, scheme: str) -> str:
    # Upper case, accents off; a diaeresis keeps two vowels apart (ΑΫ is A-Y, not AV).
    decomposed = unicodedata.normalize("NFD", word.upper())
    letters: list[str] = []
    split_before: set[int] = set()
    for ch in decomposed:
        if ch == "\u0308":
            split_before.add(len(letters) - 1)
        elif not unicodedata.combining(ch):
            letters.append(ch)
    out: list[str] = []
    i = 0
    while i < len(letters):
        pair = "".join(letters[i : i + 2]) if i + 1 not in split_before else letters[i]
        nxt = letters[i + 2] if i + 2 < len(letters) else ""
        if len(pair) == 2 and pair[0] in "ΑΕΗ" and pair[1] == "Υ":
            out.append(_GREEK[pair[0]] + ("F" if not nxt or nxt in _GREEK_VOICELESS else "V"))
            i += 2
            continue
        if scheme == "phonetic":
            if i == 0 and pair in _GREEK_PHONETIC_INITIAL:
                out.append(_GREEK_PHONETIC_INITIAL[pair])
                i += 2
                continue
            if pair in _GREEK_PHONETIC:
                out.append(_GREEK_PHONETIC[pair])
                i += 2
                continue
            out.append(_GREEK_PHONETIC_SINGLE.get(letters[i], letters[i]))
        else:
            if pair in _ELOT_DIGRAPHS:
                out.append(_ELOT_DIGRAPHS[pair])
                i += 2
                continue
            out.append(_GREEK.get(letters[i], letters[i]))
        i += 1
    return "".join(out)


_SCHEMES: dict[str, Callable[[str], str]] = {
    "icao": lambda w: _cyrillic(w, _ICAO_CYRILLIC, "icao"),
    "uk2010": lambda w: _cyrillic(w, _UKRAINIAN_2010, "uk2010"),
    "bg2009": lambda w: _cyrillic(w, _BULGARIAN_2009, "bg2009"),
    "duden": lambda w: _cyrillic(w, _DUDEN, "duden"),
    "elot743": lambda w: _greek(w, "elot743"),
    "greek_phonetic": lambda w: _greek(w, "phonetic"),
    "anyascii": anyascii,
    "pinyin": lambda w: "".join(anyascii(ch) for ch in w),
}


def transliterate(text: str, scheme: str) -> str:
    """`text` romanised by `scheme`, in airline form.

    Schemes: "icao" (ICAO Doc 9303 Cyrillic), "uk2010" (Ukrainian passports), "bg2009" (Bulgarian
    passports), "duden" (German), "elot743" (Greek passports, ICAO Greek), "greek_phonetic",
    "anyascii", "pinyin". Words are romanised one by one so word-initial rules apply.
    """
    convert = _SCHEMES[scheme]
    words = text.replace("-", " ").split()
    return airline_form(" ".join(convert(w) for w in words))


# ---------------------------------------------------------------------------------------------------
# Arabic-origin romanisation alternations
# ---------------------------------------------------------------------------------------------------

# The same frequent names written several ways (each tuple is one name).
_ARABIC_SAME_NAME = (
    ("MOHAMED", "MOHAMMED", "MUHAMMAD", "MOHAMMAD", "MOHAMAD"),
    ("AHMED", "AHMAD"),
    ("MAHMOUD", "MAHMUD"),
    ("YOUSSEF", "YOUSEF", "YUSUF", "YOUSSOUF"),
    ("HUSSEIN", "HUSSAIN", "HUSEIN", "HOUSSEIN"),
    ("HASSAN", "HASAN"),
    ("KHALED", "KHALID"),
    ("OMAR", "UMAR"),
    ("FATIMA", "FATMA", "FATIMAH"),
    ("MUSTAPHA", "MUSTAFA", "MOSTAFA"),
    ("ABDELKADER", "ABD EL KADER", "ABDUL QADIR", "ABDELKADIR"),
)
_SAME_NAME_INDEX = {spelling: group for group in _ARABIC_SAME_NAME for spelling in group}

# French ↔ English renderings of the same Arabic sound, applied to a whole word.
_ARABIC_ALTERNATIONS: tuple[tuple[str, str], ...] = (
    ("OU", "U"),  # و /u:/: Youssef / Yusuf
    ("CH", "SH"),  # ش: Chaoui / Shawi
    ("DJ", "J"),  # ج: Djamel / Jamal
    ("EE", "I"),  # ي /i:/: Sameer / Samir
    ("OO", "U"),
    ("KH", "H"),  # خ written h by some
    ("Q", "K"),  # ق: Qasim / Kasim
    ("ABDEL", "ABD EL"),
    ("ABDEL", "ABDUL"),
)


def _word_variants(word: str) -> list[str]:
    variants: list[str] = []
    if word in _SAME_NAME_INDEX:
        variants.extend(w for w in _SAME_NAME_INDEX[word] if w != word)
    for old, new in _ARABIC_ALTERNATIONS:
        if old in word:
            variants.append(word.replace(old, new))
    if word.endswith("A") and not word.endswith("AA") and len(word) > 3:
        variants.append(word + "H")  # ة ta marbuta: Fatima / Fatimah
    if word.startswith("BEN") and len(word) > 5 and word[3] != "N":
        variants.append("BEN " + word[3:])  # Benaissa / Ben Aissa (written joined or apart)
    return variants


def arabic_variants(name: str) -> list[str]:
    """Other romanisations of an Arabic-origin name in airline form (first the English-style one)."""
    words = name.split()
    found: list[str] = []
    english = " ".join(_english_style(w) for w in words)
    if english != name:
        found.append(english)
    for i, word in enumerate(words):
        if word in ("AL", "EL"):
            found.append(" ".join([*words[:i], "EL" if word == "AL" else "AL", *words[i + 1 :]]))
            continue
        for variant in _word_variants(word):
            found.append(" ".join([*words[:i], variant, *words[i + 1 :]]))
    seen: set[str] = {name}
    unique: list[str] = []
    for candidate in found:
        if candidate not in seen:
            seen.add(candidate)
            unique.append(candidate)
    return unique


def _english_style(word: str) -> str:
    # The English-language romanisation used in the Mashriq, from the French one of the Maghreb.
    for old, new in (("OU", "U"), ("CH", "SH"), ("DJ", "J")):
        word = word.replace(old, new)
    return word


# ---------------------------------------------------------------------------------------------------
# Origins: who travels, with which names, where they live
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Origin:
    label: str  # Person.origin
    locale: str  # Faker locale of the names
    weight: float  # share among foreign origins (the home origin gets _HOME_SHARE)
    countries: tuple[tuple[str, float], ...]  # alpha-2 of nationality/residence, with weights
    diaspora: float = 0.3  # share living in the PIU's country
    naturalised: float = 0.3  # share of the diaspora holding the home nationality
    middle: float = 0.15  # share with more than one given name
    script: str = "latin"  # latin, umlaut (ICAO expansion), cyrillic-ru/-uk/-bg, greek, han, arabic
    custom: str = ""  # naming custom: "iberian", "dutch", "german", "mashriq"


_ORIGINS: tuple[_Origin, ...] = (
    _Origin("de_DE", "de_DE", 6.0, (("DE", 1.0),), 0.0, 0.0, 0.25, "umlaut", "german"),
    _Origin("de_AT", "de_AT", 2.5, (("AT", 1.0),), 0.15, 0.1, 0.2, "umlaut", "german"),
    _Origin("de_CH", "de_CH", 2.0, (("CH", 1.0),), 0.1, 0.1, 0.2, "umlaut", "german"),
    _Origin("tr_TR", "tr_TR", 7.0, (("TR", 1.0),), 0.55, 0.45, 0.15),
    _Origin("pl_PL", "pl_PL", 4.0, (("PL", 1.0),), 0.45, 0.2, 0.1),
    _Origin("it_IT", "it_IT", 3.5, (("IT", 1.0),), 0.35, 0.15, 0.15),
    _Origin("fr_FR", "fr_FR", 3.5, (("FR", 0.85), ("BE", 0.1), ("LU", 0.05)), 0.15, 0.1, 0.3),
    _Origin("es_ES", "es_ES", 3.0, (("ES", 1.0),), 0.15, 0.1, 0.3, "latin", "iberian"),
    _Origin("pt_PT", "pt_PT", 1.0, (("PT", 1.0),), 0.2, 0.1, 0.35, "latin", "iberian"),
    _Origin("pt_BR", "pt_BR", 1.0, (("BR", 1.0),), 0.2, 0.1, 0.35, "latin", "iberian"),
    _Origin("nl_NL", "nl_NL", 3.0, (("NL", 1.0),), 0.1, 0.1, 0.2, "latin", "dutch"),
    _Origin("nl_BE", "nl_BE", 1.0, (("BE", 1.0),), 0.1, 0.1, 0.2, "latin", "dutch"),
    _Origin("el_GR", "el_GR", 2.5, (("GR", 0.9), ("CY", 0.1)), 0.4, 0.3, 0.0, "greek"),
    _Origin("ro_RO", "ro_RO", 2.5, (("RO", 1.0),), 0.45, 0.15, 0.1),
    _Origin("ru_RU", "ru_RU", 2.0, (("RU", 0.7), ("KZ", 0.15), ("BY", 0.15)), 0.55, 0.5, 0.0, "cyrillic-ru"),
    _Origin("uk_UA", "uk_UA", 2.5, (("UA", 1.0),), 0.6, 0.15, 0.0, "cyrillic-uk"),
    _Origin("bg_BG", "bg_BG", 1.0, (("BG", 1.0),), 0.4, 0.15, 0.0, "cyrillic-bg"),
    _Origin("hr_HR", "hr_HR", 1.0, (("HR", 1.0),), 0.4, 0.3, 0.05),
    _Origin("cs_CZ", "cs_CZ", 1.0, (("CZ", 1.0),), 0.2, 0.1, 0.05),
    _Origin("hu_HU", "hu_HU", 1.0, (("HU", 1.0),), 0.25, 0.1, 0.1),
    _Origin("sv_SE", "sv_SE", 0.8, (("SE", 1.0),), 0.1, 0.1, 0.3, "umlaut"),
    _Origin("da_DK", "da_DK", 0.7, (("DK", 1.0),), 0.1, 0.1, 0.3, "umlaut"),
    _Origin("no_NO", "no_NO", 0.5, (("NO", 1.0),), 0.1, 0.1, 0.3, "umlaut"),
    _Origin("fi_FI", "fi_FI", 0.5, (("FI", 1.0),), 0.1, 0.1, 0.3, "umlaut"),
    _Origin("fr_DZ", "fr_DZ", 2.0, (("DZ", 0.4), ("MA", 0.4), ("TN", 0.2)), 0.5, 0.4, 0.2, "arabic"),
    _Origin(
        "ar",
        "fr_DZ",
        3.5,
        (("SY", 0.4), ("IQ", 0.2), ("LB", 0.1), ("EG", 0.1), ("JO", 0.1), ("AE", 0.1)),
        0.8,
        0.3,
        0.35,
        "arabic",
        "mashriq",
    ),
    _Origin("en_IN", "en_IN", 2.0, (("IN", 1.0),), 0.35, 0.1, 0.2),
    _Origin("zh_CN", "zh_CN", 2.0, (("CN", 0.9), ("SG", 0.1)), 0.25, 0.05, 0.0, "han"),
    _Origin("en_US", "en_US", 3.5, (("US", 1.0),), 0.1, 0.05, 0.5),
    _Origin("en_GB", "en_GB", 3.0, (("GB", 1.0),), 0.1, 0.05, 0.45),
    _Origin("en_IE", "en_IE", 0.5, (("IE", 1.0),), 0.1, 0.05, 0.4),
    _Origin("en_CA", "en_CA", 0.7, (("CA", 1.0),), 0.05, 0.05, 0.4),
    _Origin("az_AZ", "az_AZ", 0.4, (("AZ", 1.0),), 0.3, 0.2, 0.05),
    _Origin("vi_VN", "vi_VN", 0.6, (("VN", 1.0),), 0.5, 0.4, 0.3),
    _Origin("en_NG", "en_NG", 0.5, (("NG", 1.0),), 0.3, 0.2, 0.3),
)
_HOME_SHARE = 0.6

# The address locale for a residence country (the name locale unless listed).
_ADDRESS_LOCALE = {
    "LU": "fr_FR", "CY": "el_GR", "KZ": "ru_RU", "BY": "ru_RU", "MA": "fr_DZ", "TN": "fr_DZ",
    "DZ": "fr_DZ", "SY": "ar_AE", "IQ": "ar_AE", "LB": "ar_AE", "EG": "ar_EG", "JO": "ar_JO",
    "AE": "ar_AE", "SG": "en_US", "BE": "nl_BE",
}  # fmt: skip

# E.164 calling code, mobile prefixes and the number of digits after the prefix.
_PHONE: dict[str, tuple[str, tuple[str, ...], int]] = {
    "DE": ("49", ("151", "152", "157", "160", "162", "170", "171", "172", "175", "176", "177", "179"), 8),
    "AT": ("43", ("650", "660", "664", "676", "680", "699"), 7),
    "CH": ("41", ("76", "77", "78", "79"), 7),
    "FR": ("33", ("6", "7"), 8),
    "BE": ("32", ("470", "472", "475", "476", "478", "484", "486", "495", "498"), 6),
    "LU": ("352", ("621", "661", "691"), 6),
    "IT": ("39", ("320", "328", "333", "340", "347", "380", "393"), 7),
    "ES": ("34", ("6", "7"), 8),
    "PT": ("351", ("91", "92", "93", "96"), 7),
    "NL": ("31", ("6",), 8),
    "PL": ("48", ("50", "51", "53", "60", "66", "69", "72", "78", "79", "88"), 7),
    "GB": ("44", ("7",), 9),
    "IE": ("353", ("83", "85", "86", "87", "89"), 7),
    "US": ("1", ("201", "212", "305", "312", "415", "617", "646", "713", "917"), 7),
    "CA": ("1", ("416", "514", "604", "613", "647"), 7),
    "TR": ("90", ("530", "532", "533", "535", "541", "542", "505", "506", "551", "552", "555"), 7),
    "GR": ("30", ("69",), 8),
    "CY": ("357", ("96", "97", "99"), 6),
    "RO": ("40", ("72", "74", "75", "76", "78"), 7),
    "RU": ("7", ("9",), 9),
    "KZ": ("7", ("70", "77"), 8),
    "BY": ("375", ("25", "29", "33", "44"), 7),
    "UA": ("380", ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"), 7),
    "BG": ("359", ("87", "88", "89"), 7),
    "HR": ("385", ("91", "92", "95", "98", "99"), 7),
    "CZ": ("420", ("60", "72", "73", "77"), 7),
    "HU": ("36", ("20", "30", "70"), 7),
    "SE": ("46", ("70", "72", "73", "76", "79"), 7),
    "DK": ("45", ("2", "3", "4", "5", "6"), 7),
    "NO": ("47", ("4", "9"), 7),
    "FI": ("358", ("40", "41", "44", "45", "50"), 7),
    "DZ": ("213", ("5", "6", "7"), 8),
    "MA": ("212", ("6", "7"), 8),
    "TN": ("216", ("2", "5", "9"), 7),
    "SY": ("963", ("9",), 8),
    "IQ": ("964", ("75", "77", "78", "79"), 8),
    "LB": ("961", ("3", "70", "71", "76", "81"), 6),
    "EG": ("20", ("10", "11", "12", "15"), 8),
    "JO": ("962", ("77", "78", "79"), 7),
    "AE": ("971", ("50", "52", "54", "55", "56", "58"), 7),
    "IN": ("91", ("7", "8", "9"), 9),
    "CN": ("86", ("13", "15", "18"), 9),
    "SG": ("65", ("8", "9"), 7),
    "BR": ("55", ("119", "219", "319", "619"), 8),
    "AZ": ("994", ("50", "51", "55", "70", "77"), 7),
    "VN": ("84", ("3", "8", "9"), 8),
    "NG": ("234", ("70", "80", "81", "90"), 8),
}

_MAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "DE": ("gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de", "yahoo.de", "posteo.de"),
    "AT": ("gmx.at", "aon.at", "gmail.com", "chello.at"),
    "CH": ("bluewin.ch", "gmx.ch", "gmail.com"),
    "FR": ("orange.fr", "free.fr", "laposte.net", "gmail.com", "sfr.fr"),
    "IT": ("libero.it", "virgilio.it", "gmail.com", "alice.it"),
    "ES": ("telefonica.net", "gmail.com", "hotmail.es"),
    "NL": ("ziggo.nl", "kpnmail.nl", "gmail.com", "hotmail.nl"),
    "PL": ("wp.pl", "onet.pl", "o2.pl", "gmail.com"),
    "TR": ("gmail.com", "hotmail.com", "yandex.com.tr"),
    "RU": ("mail.ru", "yandex.ru", "gmail.com"),
    "UA": ("ukr.net", "gmail.com", "i.ua"),
    "GB": ("gmail.com", "btinternet.com", "yahoo.co.uk", "outlook.com"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com"),
    "CN": ("qq.com", "163.com", "126.com"),
    "IN": ("gmail.com", "rediffmail.com", "yahoo.co.in"),
}
_MAIL_DEFAULT = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com")

# ---------------------------------------------------------------------------------------------------
# Documents, frequent flyers, cards
# ---------------------------------------------------------------------------------------------------

# Number templates: l letter, d digit, a letter or digit, g the German document alphabet, and any
# upper-case letter or digit stands for itself.
_CLASSES = {
    "l": "ABCDEFGHIJKLMNPRSTUVWXYZ",
    "d": "0123456789",
    "a": "ABCDEFGHJKLMNPRSTUVWXYZ0123456789",
    "g": "CFGHJKLMNPRTVWXYZ0123456789",  # German passports and ID cards (no vowels, no look-alikes)
    "c": "CFGHJK",  # first character of a German passport number
    "i": "LMNPRTVWXY",  # first character of a German ID card number
}
_PASSPORT_FORMATS = {
    "DEU": "cgggggggg", "AUT": "lddddddd", "CHE": "Xddddddd", "FRA": "ddllddddd",
    "ITA": "llddddddd", "ESP": "llldddddd", "PRT": "ldddddd", "NLD": "llaaaaaad",
    "BEL": "lldddddd", "POL": "llddddddd", "GBR": "ddddddddd", "IRL": "llddddddd",
    "USA": "ddddddddd", "CAN": "lldddddd", "TUR": "Udddddddd", "RUS": "7dddddddd",
    "UKR": "lldddddd", "GRC": "llddddddd", "ROU": "dddddddd", "BGR": "ddddddddd",
    "CHN": "Edddddddd", "IND": "lddddddd", "SWE": "dddddddd", "DNK": "ddddddddd",
    "NOR": "ddddddddd", "FIN": "llddddddd", "HRV": "ddddddddd", "CZE": "dddddddd",
    "HUN": "lldddddd", "BRA": "lldddddd", "SYR": "Ndddddddd", "IRQ": "lddddddd",
    "EGY": "Addddddd", "MAR": "llddddddd", "DZA": "ddddddddd", "TUN": "lddddddd",
}  # fmt: skip
_PASSPORT_DEFAULT = "llddddddd"
_ID_CARD_FORMATS = {"DEU": "igggggggg", "FRA": "aaaaaaaaa", "ITA": "CAdddddll", "ESP": "ddddddddl"}
_EEA_ID_CARDS = frozenset(
    ("DEU", "AUT", "CHE", "FRA", "BEL", "LUX", "ITA", "ESP", "PRT", "NLD", "POL", "GRC", "CYP", "ROU",
     "BGR", "HRV", "CZE", "HUN", "SWE", "DNK", "NOR", "FIN")
)  # fmt: skip

_FF_FORMATS = {
    "LH": "99200dddddddddd", "OS": "99200dddddddddd", "LX": "99200dddddddddd",
    "LO": "99200dddddddddd", "TK": "TKddddddddd", "AF": "dddddddddd", "KL": "dddddddddd",
    "BA": "dddddddd", "EK": "EKddddddddd", "QR": "ddddddddd", "SK": "EBSddddddddd",
    "AY": "ddddddddd", "IB": "dddddddd", "AZ": "ddddddddd", "TP": "ddddddddd", "A3": "ddddddddd",
    "UA": "llldddddd", "DL": "dddddddddd", "AA": "aaaaaaa", "SN": "99200dddddddddd",
    "AC": "ddddddddd",
}  # fmt: skip
_HOME_CARRIER = {
    "DE": "LH", "AT": "OS", "CH": "LX", "FR": "AF", "NL": "KL", "BE": "SN", "GB": "BA",
    "IE": "BA", "TR": "TK", "PL": "LO", "IT": "AZ", "ES": "IB", "PT": "TP", "SE": "SK",
    "DK": "SK", "NO": "SK", "FI": "AY", "GR": "A3", "CY": "A3", "AE": "EK", "US": "UA",
    "CA": "AC", "BR": "TP", "MA": "AF", "DZ": "AF", "TN": "AF",
}  # fmt: skip
_GLOBAL_CARRIERS = ("LH", "LH", "LH", "TK", "TK", "AF", "KL", "BA", "EK", "QR", "OS", "LX", "SK", "AY",
                    "IB", "AZ", "TP", "LO", "DL", "AA")  # fmt: skip

# Public test ranges only (processor documentation test numbers), never a real card.
_CARD_PREFIXES = (
    ("VI", ("411111", "401288", "400000"), 16, 0.55),
    ("CA", ("555555", "510510", "222300"), 16, 0.35),
    ("AX", ("378282", "371449"), 15, 0.10),
)


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit to append to `digits`."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """Whether `number` (digits only) passes the Luhn check."""
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]


# ---------------------------------------------------------------------------------------------------
# Pools drawn from Faker once per locale
# ---------------------------------------------------------------------------------------------------

_POOL_SIZE = 1500


@dataclass(frozen=True, slots=True)
class _NamePools:
    first_male: tuple[str, ...]
    first_female: tuple[str, ...]
    last_male: tuple[str, ...]
    last_female: tuple[str, ...]


def _faker(locale: str) -> Faker:
    fake = Faker(locale)
    for provider in fake.get_providers():
        # it_IT builds its city list from a set, so its order follows PYTHONHASHSEED: sort it.
        cities = getattr(provider, "cities", None)
        if isinstance(cities, list):
            provider.cities = sorted(cities)
    fake.seed_instance(zlib.crc32(locale.encode()))  # the pools depend on the locale only
    return fake


def _clean_name(raw: str) -> str:
    # Faker sometimes returns a name with stray spaces or a trailing dot; the pools keep the native text.
    return " ".join(raw.replace(".", " ").split())


@cache
def _name_pools(locale: str) -> _NamePools:
    fake = _faker(locale)
    first_male = [_clean_name(fake.first_name_male()) for _ in range(_POOL_SIZE)]
    first_female = [_clean_name(fake.first_name_female()) for _ in range(_POOL_SIZE)]
    last_male = [_clean_name(fake.last_name_male()) for _ in range(_POOL_SIZE)]
    last_female = [_clean_name(fake.last_name_female()) for _ in range(_POOL_SIZE)]
    # A given name that Faker lists for both genders would make the gender unreliable: drop it.
    both = set(first_male) & set(first_female)
    males = tuple(n for n in first_male if n not in both and airline_form(n)) or tuple(first_male)
    females = tuple(n for n in first_female if n not in both and airline_form(n)) or tuple(first_female)
    return _NamePools(
        males,
        females,
        tuple(n for n in last_male if airline_form(n)),
        tuple(n for n in last_female if airline_form(n)),
    )


@dataclass(frozen=True, slots=True)
class _AddressPools:
    streets: tuple[str, ...]
    cities: tuple[str, ...]
    postcodes: tuple[str, ...]


@cache
def _address_pools(locale: str) -> _AddressPools:
    # Faker combines street, city and postcode independently too; drawing the parts once and
    # combining them with the population's rng keeps the population a pure function of its seed.
    fake = _faker(locale)
    return _AddressPools(
        tuple(airline_address(fake.street_address()) for _ in range(_POOL_SIZE)),
        tuple(airline_address(fake.city()) for _ in range(_POOL_SIZE // 2)),
        tuple(airline_address(fake.postcode()) for _ in range(_POOL_SIZE // 2)),
    )


@cache
def _alpha3(alpha2: str) -> str:
    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        raise ValueError(f"unknown country code {alpha2!r}")
    return str(country.alpha_3)


def _home_origin(home_country: str) -> _Origin:
    for origin in _ORIGINS:
        if origin.countries[0][0] == home_country and origin.locale.endswith(home_country):
            return origin
    locales = sorted(loc for loc in AVAILABLE_LOCALES if loc.endswith("_" + home_country))
    return _Origin(locales[0] if locales else "en", locales[0] if locales else "en_US", 1.0,
                   ((home_country, 1.0),), 0.0, 0.0, 0.2)  # fmt: skip


def _address_locale(country: str, home_country: str, home: _Origin) -> str:
    if country == home_country:
        return home.locale
    if country in _ADDRESS_LOCALE:
        return _ADDRESS_LOCALE[country]
    for origin in _ORIGINS:
        if origin.locale.endswith("_" + country):
            return origin.locale
    locales = sorted(loc for loc in AVAILABLE_LOCALES if loc.endswith("_" + country))
    return locales[0] if locales else "en_US"


# ---------------------------------------------------------------------------------------------------
# The population
# ---------------------------------------------------------------------------------------------------

# Age of travellers: (lowest, highest, weight) in whole years.
_AGE_BANDS = (
    (0, 1, 1.5), (2, 11, 7.0), (12, 17, 5.0), (18, 19, 2.5), (20, 29, 15.0), (30, 39, 18.0),
    (40, 49, 17.0), (50, 59, 16.0), (60, 70, 12.0), (71, 90, 6.0),
)  # fmt: skip


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class _Builder:
    """Draws persons one by one; keeps the sets that make contact and document data unique."""

    def __init__(self, seed: int, home_country: str, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.home_country = home_country
        self.as_of = as_of
        self.home = _home_origin(home_country)
        foreign = [o for o in _ORIGINS if o.label != self.home.label]
        foreign_total = sum(o.weight for o in foreign)
        self.origins = [self.home, *foreign]
        self.origin_weights = [_HOME_SHARE] + [(1 - _HOME_SHARE) * o.weight / foreign_total for o in foreign]
        if home_country not in _PHONE:
            raise ValueError(f"no numbering plan for {home_country!r}; add it to _PHONE")
        self.used: set[tuple[str, str]] = set()
        self.age_bands = [(lo, hi) for lo, hi, _ in _AGE_BANDS]
        self.age_weights = [w for _, _, w in _AGE_BANDS]

    # -- small helpers -------------------------------------------------------------------------

    def fill(self, template: str) -> str:
        rng = self.rng
        return "".join(rng.choice(_CLASSES[ch]) if ch in _CLASSES else ch for ch in template)

    def unique(self, kind: str, make: Callable[[], str]) -> str:
        for _ in range(50):
            value = make()
            if (kind, value) not in self.used:
                self.used.add((kind, value))
                return value
        raise RuntimeError(f"could not draw a unique {kind}")  # pragma: no cover

    def weighted(self, pairs: Sequence[tuple[str, float]]) -> str:
        return self.rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]

    # -- one person ----------------------------------------------------------------------------

    def person(self, index: int) -> Person:
        rng = self.rng
        origin = rng.choices(self.origins, self.origin_weights)[0]
        gender = Gender.MALE if rng.random() < 0.5 else Gender.FEMALE
        born = self.date_of_birth()
        age = _age_on(born, self.as_of)
        nationality, residence = self.nationality_residence(origin)
        surname, given, native, spellings = self.name(origin, gender, adult=age >= 18)
        documents = self.documents(_alpha3(nationality), born)
        card_number, card_vendor = self.card() if age >= 18 and rng.random() < 0.85 else (None, None)
        return Person(
            person_id=f"P{index:07d}",
            surname=surname,
            given_names=given,
            gender=gender,
            date_of_birth=born,
            nationality=_alpha3(nationality),
            residence=residence,
            documents=documents,
            phone=self.phone(residence),
            email=self.email(surname, given, born, residence),
            address=self.address(residence),
            frequent_flyers=self.frequent_flyers(residence) if age >= 12 else (),
            card_number=card_number,
            card_vendor=card_vendor,
            native_name=native,
            spellings=spellings,
            origin=origin.label,
        )

    def date_of_birth(self) -> date:
        rng = self.rng
        lo, hi = rng.choices(self.age_bands, self.age_weights)[0]
        if hi <= 1:  # infants under two: any day since birth up to 729 days ago
            return self.as_of - timedelta(days=rng.randrange(0, 730))
        age = rng.randint(lo, hi)
        return _add_years(self.as_of, -age) - timedelta(days=rng.randrange(0, 365))

    def nationality_residence(self, origin: _Origin) -> tuple[str, str]:
        rng = self.rng
        country = self.weighted(origin.countries)
        if origin is self.home or rng.random() < origin.diaspora:
            residence = self.home_country
            nationality = self.home_country if rng.random() < origin.naturalised else country
            if origin is self.home:
                nationality = self.home_country
            return nationality, residence
        return country, country

    # -- names ---------------------------------------------------------------------------------

    def name(
        self, origin: _Origin, gender: Gender, *, adult: bool
    ) -> tuple[str, str, str | None, tuple[tuple[str, str], ...]]:
        rng = self.rng
        pools = _name_pools(origin.locale)
        firsts = pools.first_male if gender is Gender.MALE else pools.first_female
        lasts = pools.last_male if gender is Gender.MALE else pools.last_female
        given_raw = [rng.choice(firsts)]
        if rng.random() < origin.middle:
            extra = pools.first_male if origin.custom == "mashriq" else firsts  # father's name
            for _ in range(1 if rng.random() < 0.85 else 2):
                candidate = rng.choice(extra)
                if candidate not in given_raw:
                    given_raw.append(candidate)
        last_raw = rng.choice(lasts)
        script = origin.script

        if script.startswith("cyrillic") or script in ("greek", "han"):
            return self.non_latin_name(script, last_raw, given_raw)

        first_surname = ""  # set when the person carries two surnames
        if origin.custom == "iberian" and rng.random() < 0.75:
            second = rng.choice(lasts)
            if second != last_raw:
                first_surname = airline_form(last_raw)
                last_raw = f"{last_raw} {second}"
        elif origin.custom == "german" and rng.random() < 0.04:
            second = rng.choice(lasts)
            if second != last_raw:
                last_raw = f"{last_raw}-{second}"
        elif origin.custom == "mashriq":
            roll = rng.random()
            if roll < 0.3:
                last_raw = rng.choice(pools.first_male)  # a patronymic family name
            elif roll < 0.5:
                last_raw = f"{'Al' if rng.random() < 0.7 else 'El'} {rng.choice(pools.first_male)}"

        convert = _icao_latin if script == "umlaut" else (lambda s: s)
        surname = airline_form(convert(last_raw))
        given = airline_form(" ".join(convert(g) for g in given_raw))
        variants: list[tuple[str, str]] = []
        if script == "umlaut":
            variants.append((airline_form(last_raw), airline_form(" ".join(given_raw))))
        if first_surname:
            variants.append((first_surname, given))  # bookings often keep the first surname only
        if origin.custom == "dutch" and " " in surname:
            variants.append((surname.replace(" ", ""), given))
        if script == "arabic":
            if origin.custom == "mashriq":  # the English-language romanisation is the usual one there
                surname, given = _english_style_name(surname), _english_style_name(given)
            variants.extend(self.arabic_spellings(surname, given))
        return surname, given, None, _distinct(variants, (surname, given))

    def arabic_spellings(self, surname: str, given: str) -> list[tuple[str, str]]:
        rng = self.rng
        surnames = arabic_variants(surname)
        givens = arabic_variants(given)
        found: list[tuple[str, str]] = []
        if surnames:
            found.append((rng.choice(surnames), given))
        if givens:
            found.append((surname, rng.choice(givens)))
        if surnames and givens and rng.random() < 0.5:
            found.append((rng.choice(surnames), rng.choice(givens)))
        return found

    def non_latin_name(
        self, script: str, last_raw: str, given_raw: list[str]
    ) -> tuple[str, str, str | None, tuple[tuple[str, str], ...]]:
        if script == "han":
            native = f"{last_raw}{''.join(given_raw)}"
            surname = transliterate(last_raw, "pinyin")
            given = transliterate(given_raw[0], "pinyin")
            spaced = " ".join(transliterate(ch, "pinyin") for ch in given_raw[0])
            return surname, given, native, _distinct([(surname, spaced)], (surname, given))
        schemes = {
            "cyrillic-ru": ("icao", "anyascii", "duden"),
            "cyrillic-uk": ("uk2010", "icao", "anyascii"),
            "cyrillic-bg": ("bg2009", "icao", "anyascii"),
            "greek": ("elot743", "anyascii", "greek_phonetic"),
        }[script]
        given_native = " ".join(given_raw)
        romanised = [
            (transliterate(last_raw, scheme), transliterate(given_native, scheme)) for scheme in schemes
        ]
        surname, given = romanised[0]
        return surname, given, f"{last_raw} {given_native}", _distinct(romanised[1:], (surname, given))

    # -- documents -----------------------------------------------------------------------------

    def documents(self, state: str, born: date) -> tuple[PersonDocument, ...]:
        rng = self.rng
        as_of = self.as_of
        passport_format = _PASSPORT_FORMATS.get(state, _PASSPORT_DEFAULT)

        def number(template: str) -> str:
            return self.unique("document:" + state, lambda: self.fill(template))

        def validity(issued: date) -> int:
            return 5 if _age_on(born, issued) < 18 else 10

        # The current passport: issued within its validity, so it is valid today.
        earliest = max(born, as_of - timedelta(days=5 * 365 - 30))
        if rng.random() < 0.9:
            earliest = max(born, as_of - timedelta(days=10 * 365 - 30))
        issued = earliest + timedelta(days=rng.randrange(0, (as_of - earliest).days + 1))
        if _add_years(issued, validity(issued)) <= as_of:  # issued as a minor: 5 years only
            issued = max(born, as_of - timedelta(days=rng.randrange(0, 5 * 365 - 30)))
        current = PersonDocument(
            "P", number(passport_format), state, issued, _add_years(issued, validity(issued))
        )
        documents = [current]

        if _age_on(born, issued) >= 20 and rng.random() < 0.2:  # the previous, expired passport
            expired = issued - timedelta(days=rng.randrange(1, 200))
            old_issued = _add_years(expired, -10)
            if old_issued > born and _age_on(born, old_issued) >= 18:
                documents.append(PersonDocument("P", number(passport_format), state, old_issued, expired))

        if state in _EEA_ID_CARDS and rng.random() < 0.35:
            card_earliest = max(born, as_of - timedelta(days=10 * 365 - 30))
            card_issued = card_earliest + timedelta(days=rng.randrange(0, (as_of - card_earliest).days + 1))
            card_years = 6 if _age_on(born, card_issued) < 24 and state == "DEU" else 10
            if _add_years(card_issued, card_years) > as_of:
                template = _ID_CARD_FORMATS.get(state, passport_format)
                documents.append(
                    PersonDocument(
                        "I", number(template), state, card_issued, _add_years(card_issued, card_years)
                    )
                )
        return tuple(documents)

    # -- contact data --------------------------------------------------------------------------

    def phone(self, residence: str) -> str:
        code, prefixes, length = _PHONE[residence]
        rng = self.rng

        def draw() -> str:
            return f"+{code}{rng.choice(prefixes)}{self.fill('d' * length)}"

        return self.unique("phone", draw)

    def email(self, surname: str, given: str, born: date, residence: str) -> str:
        rng = self.rng
        first = given.split(" ", maxsplit=1)[0].lower()
        last = surname.replace(" ", "").lower()
        domains = _MAIL_DOMAINS.get(residence, _MAIL_DEFAULT)

        def draw() -> str:
            pattern = rng.randrange(6)
            local = (
                f"{first}.{last}",
                f"{first[0]}.{last}",
                f"{first}{last}",
                f"{last}.{first}",
                f"{first}_{last}{born.year % 100:02d}",
                f"{first}.{last}{rng.randrange(1, 1000)}",
            )[pattern]
            if rng.random() < 0.15:  # some people add a number anyway
                local = f"{local}{rng.randrange(1, 10000)}"
            return f"{local}@{rng.choice(domains)}"

        return self.unique("email", draw)

    def address(self, residence: str) -> Address:
        pools = _address_pools(_address_locale(residence, self.home_country, self.home))
        rng = self.rng

        def draw() -> str:
            return "|".join(
                (rng.choice(pools.streets), rng.choice(pools.cities), rng.choice(pools.postcodes))
            )

        street, city, postcode = self.unique("address", draw).split("|")
        return Address(street=street, city=city, postcode=postcode or None, country=residence)

    def frequent_flyers(self, residence: str) -> tuple[tuple[str, str], ...]:
        rng = self.rng
        count = rng.choices((0, 1, 2), (55, 35, 10))[0]
        airlines: list[str] = []
        while len(airlines) < count:
            home_carrier = _HOME_CARRIER.get(residence)
            airline = home_carrier if home_carrier and rng.random() < 0.5 else rng.choice(_GLOBAL_CARRIERS)
            if airline not in airlines:
                airlines.append(airline)
        numbers = [self.unique("ff:" + a, partial(self.fill, _FF_FORMATS[a])) for a in airlines]
        return tuple(zip(airlines, numbers, strict=True))

    def card(self) -> tuple[str, str]:
        rng = self.rng
        vendor, prefixes, length, _ = rng.choices(_CARD_PREFIXES, [c[3] for c in _CARD_PREFIXES])[0]

        def draw() -> str:
            body = rng.choice(prefixes) + self.fill("d" * (length - 7))
            return body + luhn_check_digit(body)

        return self.unique("card", draw), vendor


def airline_address(text: str) -> str:
    """An address line in ASCII upper case, as reservation systems store it."""
    ascii_text = anyascii(text).upper()
    kept = "".join(ch if ch.isalnum() or ch in " ,./-" else " " for ch in ascii_text)
    return " ".join(kept.split())


def _english_style_name(name: str) -> str:
    return " ".join(_english_style(w) for w in name.split())


def _distinct(candidates: Sequence[tuple[str, str]], primary: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    seen = {primary}
    kept: list[tuple[str, str]] = []
    for candidate in candidates:
        if candidate not in seen and candidate[0] and candidate[1]:
            seen.add(candidate)
            kept.append(candidate)
    return tuple(kept)


def make_population(seed: int, count: int, *, home_country: str = "DE", as_of: date = AS_OF) -> list[Person]:
    """`count` synthetic persons for a PIU in `home_country`, the same for the same arguments.

    `as_of` is the world's "today": ages are counted and current passports are valid on that day.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    builder = _Builder(seed, home_country.upper(), as_of)
    return [builder.person(i) for i in range(1, count + 1)]
