"""What counts as sensitive data (Art 13(4)) and what lies outside Annex I, as one versioned policy.

`SensitivePolicy` is a frozen value: the SSR/OSI codes that reveal a special category of personal data,
the free-text terms that do, and the Annex I switches for free-text remarks. It loads from a plain dict
(`SensitivePolicy.from_dict`, validated) so it can live in a settings file, and every removal is
logged with the policy's `version`.

The matching helpers here are shared by the record filter (`protect_push`) and the raw-bytes filter
(`sensitive_spans`), so a record and its stored raw message lose the same items.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "DEFAULT_ANNEX_REMARK_KINDS",
    "DEFAULT_CODES",
    "DEFAULT_MINOR_TERMS",
    "DEFAULT_STRUCTURED_CODES",
    "DEFAULT_TERMS",
    "DEFAULT_VERSION",
    "PolicyError",
    "SensitivePolicy",
]

DEFAULT_VERSION = "builtin-1"

# SSR/OSI codes whose mere presence reveals a special category of data (Art 13(4); Art 6(4) lists the same
# categories for criteria). Meanings from the Travelport SSR table cited in reference/eu-pnr-requirements.md,
# section 4; the category each one reveals is the reference's inference, repeated here per code.
DEFAULT_CODES: frozenset[str] = frozenset(
    {
        # -- religion or belief: meals prescribed by a faith
        "MOML",  # Muslim meal (halal)
        "KSML",  # kosher meal
        "SKML",  # kosher meal (variant code)
        "KCML",  # kosher meal (variant code)
        "KFML",  # kosher meal (variant code)
        "HNML",  # Hindu meal
        "VJML",  # Jain vegetarian meal
        "AVML",  # Asian (Hindu) vegetarian meal
        "GRML",  # Greek Orthodox fasting meal
        # Western vegetarian and vegan meals (VGML, VLML, VOML) are left out on purpose: the reference calls
        # them "weaker" (a diet, not a faith); a PIU that disagrees adds them in its settings file.
        # -- health or disability: mobility
        "WCHR",  # wheelchair, can climb stairs
        "WCHS",  # wheelchair, cannot climb stairs
        "WCHC",  # wheelchair, immobile
        "WCOB",  # on-board wheelchair
        "WCMP",  # own manual wheelchair
        "WCBD",  # own wheelchair, dry-cell battery
        "WCBW",  # own wheelchair, wet-cell battery
        "WCLB",  # own wheelchair, lithium battery
        "STCR",  # stretcher
        "DPNA",  # disabled passenger needs assistance (intellectual or developmental disability)
        "MAAS",  # meet and assist (given to passengers who need help because of age or illness)
        # -- health or disability: senses and medical
        "BLND",  # blind passenger
        "DEAF",  # deaf passenger
        "MEDA",  # medical case (MEDIF)
        "MEQT",  # medical equipment on board
        "AOXY",  # own oxygen on board
        "OXYG",  # oxygen supplied by the carrier
        "POXY",  # portable oxygen
        "PPOC",  # personal portable oxygen concentrator
        "SVAN",  # service animal (a disability aid)
        "ESAN",  # emotional support animal (a mental-health aid)
        # -- health: medical diets
        "DBML",  # diabetic meal
        "GFML",  # gluten-free meal (coeliac disease)
        "NLML",  # low-lactose meal (lactose intolerance)
        "BLML",  # bland meal (digestive illness)
        "LSML",  # low-salt meal (hypertension, heart or kidney disease)
        "LFML",  # low-fat / low-cholesterol meal (heart disease)
        "PRML",  # low-purine meal (gout)
        # -- possibly racial or ethnic origin
        "LANG",  # language assistance: names the language a passenger speaks
    }
)

# Free-text terms (case-insensitive, whole words) that reveal a special category wherever they appear in
# SSR/OSI text, remarks, history or a group name. Each is a word a booking agent would actually type.
DEFAULT_TERMS: frozenset[str] = frozenset(
    {
        # religion or belief
        "MUSLIM",
        "ISLAM",
        "ISLAMIC",
        "HALAL",
        "KOSHER",
        "JEWISH",
        "HINDU",
        "JAIN",
        "SIKH",
        "BUDDHIST",
        "HAJJ",
        "HADJ",
        "UMRAH",
        "PILGRIM",
        "PILGRIMS",
        "PILGRIMAGE",
        "RAMADAN",
        "MOSQUE",
        "SYNAGOGUE",
        # health or disability
        "WHEELCHAIR",
        "PREGNANT",
        "PREGNANCY",
        "DIABETIC",
        "DIABETES",
        "HIV",
        "AIDS",
        "CANCER",
        "CHEMOTHERAPY",
        "DIALYSIS",
        "EPILEPSY",
        "EPILEPTIC",
        "AUTISM",
        "AUTISTIC",
        "BLIND",
        "DEAF",
        "STRETCHER",
        "OXYGEN",
        "MEDIF",
        "MEDICAL",
        "COELIAC",
        "CELIAC",
        "DISABLED",
        "DISABILITY",
        "HANDICAPPED",
        # racial or ethnic origin
        "INTERPRETER",
        # sex life or sexual orientation
        "GAY",
        "LESBIAN",
        "HOMOSEXUAL",
        "TRANSGENDER",
        # political opinions, trade-union membership
        "POLITICAL",
        "TRADE UNION",
    }
)

# Annex I item 12 (as the CJEU reads it, C-817/19 paras 130-140) keeps only information on unaccompanied
# minors from the general remarks; a remark naming one of these is kept even when general remarks are not.
DEFAULT_MINOR_TERMS: frozenset[str] = frozenset({"UMNR", "UNACCOMPANIED MINOR", "UNACCOMPANIED"})

# IFT remark types that carry another Annex I item, so they are not "general remarks":
DEFAULT_ANNEX_REMARK_KINDS: frozenset[str] = frozenset(
    {
        "15",  # fare calculation: item 13, ticketing field information including ATFQ fields
        "43",  # sponsor / payer name, address and phone: item 6, payment information and billing address
        "TVL",  # the text of a non-air segment (Gr.9): item 7, the complete travel itinerary
    }
)

# SSRs whose text is structured Annex I data (names, documents, addresses, contacts, loyalty numbers), not
# free text: it is not scanned for terms, because a whole-word hit there is a name or a street (a surname
# BLIND, a HALAL STREET), and dropping the item would lose Annex I items 5, 8 or 18. Their codes are still
# checked against `codes`.
DEFAULT_STRUCTURED_CODES: frozenset[str] = frozenset(
    {
        "DOCS",  # passport / identity document data (item 18)
        "DOCO",  # other document, visa (item 18)
        "DOCA",  # address (items 5, 18)
        "CTCE",  # e-mail (item 5)
        "CTCM",  # mobile phone (item 5)
        "CTCH",  # home phone (item 5)
        "CTCB",  # business phone (item 5)
        "CTCR",  # refused to give contact data (item 5)
        "FQTV",  # frequent flyer number (item 8)
        "FQTR",  # frequent flyer redemption (item 8)
        "FQTU",  # frequent flyer upgrade (item 8)
        "FQTS",  # frequent flyer service (item 8)
        "INFT",  # infant name and date of birth (items 4, 17)
        "CHLD",  # child date of birth (items 4, 17)
        "TKNE",  # electronic ticket number (item 13)
        "TKNA",  # ticket number (item 13)
        "SEAT",  # seat (item 14)
    }
)

_CODE = re.compile(r"[A-Z0-9]{4}")


class PolicyError(ValueError):
    """A policy that cannot be used, with what is wrong in words a settings author understands."""


@dataclass(frozen=True, slots=True)
class SensitivePolicy:
    """The sensitive-data filter and the Annex I free-text rule, versioned.

    `codes`: SSR/OSI codes removed wherever they appear. `terms`: words (case-insensitive, whole words)
    that remove the SSR/OSI item, remark, history entry or group name whose text holds them.
    `keep_general_remarks`: Annex I item 12 as the CJEU narrowed it keeps only remarks on unaccompanied
    minors; False (the default) removes every other general remark. `minor_terms`: what marks a remark as
    being about an unaccompanied minor. `annex_remark_kinds`: IFT types that carry another Annex I item.
    `structured_codes`: SSRs whose text is structured data and is not scanned for terms.
    """

    version: str = DEFAULT_VERSION
    codes: frozenset[str] = DEFAULT_CODES
    terms: frozenset[str] = DEFAULT_TERMS
    keep_general_remarks: bool = False
    minor_terms: frozenset[str] = DEFAULT_MINOR_TERMS
    annex_remark_kinds: frozenset[str] = DEFAULT_ANNEX_REMARK_KINDS
    structured_codes: frozenset[str] = DEFAULT_STRUCTURED_CODES

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version.strip():
            raise PolicyError("version must be a non-empty string")
        if not isinstance(self.keep_general_remarks, bool):
            raise PolicyError("keep_general_remarks must be true or false")
        for name in ("codes", "structured_codes"):
            values = getattr(self, name)
            _check_set(name, values)
            bad = sorted(c for c in values if not _CODE.fullmatch(c))
            if bad:
                raise PolicyError(f"{name}: not a four-character upper-case SSR/OSI code: {', '.join(bad)}")
        overlap = sorted(self.codes & self.structured_codes)
        if overlap:
            raise PolicyError(f"codes and structured_codes overlap: {', '.join(overlap)}")
        for name in ("terms", "minor_terms"):
            values = getattr(self, name)
            _check_set(name, values)
            bad = sorted(t for t in values if t != t.strip().upper() or not _words(t))
            if bad:
                raise PolicyError(f"{name}: terms must be upper-case words without outer spaces: {bad}")
        _check_set("annex_remark_kinds", self.annex_remark_kinds)

    # -- loading --------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SensitivePolicy:
        """A policy from a settings mapping; absent keys keep the defaults, unknown keys are an error.

        Codes and terms are upper-cased and stripped; lists become sets. `PolicyError` says what is wrong.
        """
        if not isinstance(data, Mapping):
            raise PolicyError("a policy must be a mapping")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise PolicyError(
                f"unknown policy keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in {"version", "keep_general_remarks"}:
                values[key] = value
            else:
                values[key] = _normalised(key, value)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain JSON-able values (sorted lists), the inverse of `from_dict`."""
        return {
            f.name: sorted(getattr(self, f.name))
            if isinstance(getattr(self, f.name), frozenset)
            else getattr(self, f.name)
            for f in fields(self)
        }

    # -- matching -------------------------------------------------------------------------------------

    def is_sensitive_code(self, code: str | None) -> bool:
        return bool(code) and (code or "").strip().upper() in self.codes

    def term_in(self, text: str | None) -> bool:
        """Whether `text` holds one of `terms` as a whole word (case-insensitive)."""
        if not text:
            return False
        pattern = _terms_pattern(self.terms)
        return pattern is not None and pattern.search(text) is not None

    def about_minor(self, text: str | None) -> bool:
        if not text:
            return False
        pattern = _terms_pattern(self.minor_terms)
        return pattern is not None and pattern.search(text) is not None

    def code_mentioned(self, text: str | None, *, leading: bool = False) -> str | None:
        """The removal key ("SSR MOML", "OSI KSML") of a sensitive code mentioned in free text, or None.

        A code counts when it follows the word SSR or OSI (`SSR MOML HK1`, in history lines), or, with
        `leading`, when it opens the text (an OSI remark is sent as `KSML PAX REQUESTS ...`). A bare
        four-letter word elsewhere is not taken for a code: LANG is also a surname.
        """
        if not text or not self.codes:
            return None
        match = _mention_pattern(self.codes).search(text)
        if match is not None:
            return f"{match.group(1).upper()} {match.group(2).upper()}"
        if leading:
            head = _LEADING.match(text)
            if head is not None and head.group(1).upper() in self.codes:
                return f"OSI {head.group(1).upper()}"
        return None


_LEADING = re.compile(r"\s*([A-Za-z0-9]{4})(?![A-Za-z0-9])")


def _words(term: str) -> list[str]:
    return term.split()


def _check_set(name: str, values: object) -> None:
    if not isinstance(values, frozenset) or not all(isinstance(v, str) for v in values):
        raise PolicyError(f"{name} must be a set of strings")


def _normalised(key: str, value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise PolicyError(f"{key} must be a list of strings")
    items = list(value)
    if not all(isinstance(v, str) for v in items):
        raise PolicyError(f"{key} must be a list of strings")
    if key == "annex_remark_kinds":
        return frozenset(v.strip() for v in items)
    return frozenset(" ".join(v.split()).upper() for v in items)


@functools.lru_cache(maxsize=32)
def _terms_pattern(terms: frozenset[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = sorted(
        (r"\s+".join(re.escape(w) for w in _words(t)) for t in terms), key=lambda a: (-len(a), a)
    )
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


@functools.lru_cache(maxsize=32)
def _mention_pattern(codes: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(re.escape(c) for c in codes))
    return re.compile(
        r"(?<![A-Za-z0-9])(SSR|OSI)[\s/+:.\-]*(" + alternatives + r")(?![A-Za-z0-9])", re.IGNORECASE
    )
