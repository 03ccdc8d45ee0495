"""The sensitive-data policy: the default lists, whole-word matching, loading from a settings mapping."""

from __future__ import annotations

from typing import Any

import pytest

from openpiu.protection import DEFAULT_CODES, DEFAULT_TERMS, PolicyError, SensitivePolicy
from openpiu.synth.planted import SENSITIVE_ITEMS

POLICY = SensitivePolicy()

# The codes the brief and reference/eu-pnr-requirements.md (section 4) name, each with what it reveals.
REFERENCE_CODES = {
    "religion or belief": "MOML KSML SKML KCML KFML HNML VJML AVML GRML",
    "health or disability": (
        "WCHR WCHS WCHC WCOB WCMP WCBD WCBW MEDA STCR AOXY OXYG BLND DEAF DPNA MAAS DBML GFML NLML"
    ),
    "racial or ethnic origin": "LANG",
}


@pytest.mark.parametrize(
    "code", sorted({c for codes in REFERENCE_CODES.values() for c in codes.split()}), ids=str
)
def test_the_reference_codes_are_in_the_default_policy(code: str) -> None:
    assert code in DEFAULT_CODES
    assert POLICY.is_sensitive_code(code)
    assert POLICY.is_sensitive_code(code.lower())


def test_every_planted_code_is_caught_by_default() -> None:
    assert {item.code for item in SENSITIVE_ITEMS} <= DEFAULT_CODES


@pytest.mark.parametrize(
    "code", ["DOCS", "DOCO", "DOCA", "CTCE", "CTCM", "FQTV", "SEAT", "INFT", "TKNE", "UMNR"]
)
def test_annex_i_codes_are_not_sensitive(code: str) -> None:
    assert not POLICY.is_sensitive_code(code)


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("KOSHER MEAL", True),
        ("kosher meal please", True),
        ("PAX REQUESTS HALAL FOOD", True),
        ("NEEDS WHEELCHAIR TO GATE", True),
        ("PREGNANT 30 WEEKS", True),
        ("DIABETIC", True),
        ("HIV+ MEDICATION IN CABIN", True),
        ("GROUP OF PILGRIMS", True),
        ("MEMBER OF TRADE  UNION DELEGATION", True),  # a multi-word term, any spacing
        ("KOSHERSKI/ANNA MRS", False),  # a surname containing a term is not the term
        ("MUSLIMOVIC", False),
        ("BLINDERMANN", False),
        ("HALALI", False),
        ("DEAFORD", False),
        ("CHIVERS", False),
        ("UNIONSTREET", False),
        ("THIS PASSENGER IS A VIP", False),
        ("", False),
        (None, False),
    ],
)
def test_terms_match_whole_words_only(text: str | None, hit: bool) -> None:
    assert POLICY.term_in(text) is hit


@pytest.mark.parametrize("term", sorted(DEFAULT_TERMS))
def test_each_default_term_matches_itself_in_a_sentence(term: str) -> None:
    assert POLICY.term_in(f"PAX SAYS {term.lower()}.")
    assert not POLICY.term_in(f"PAX SAYS X{term}X")


@pytest.mark.parametrize(
    ("text", "leading", "key"),
    [
        ("SSR MOML HK1 LH123", False, "SSR MOML"),
        ("X/SSR/WCHR/HK1", False, "SSR WCHR"),
        ("osi ksml pax", False, "OSI KSML"),
        ("KSML PAX REQUESTS SPECIAL MEAL", True, "OSI KSML"),
        ("KSML PAX REQUESTS SPECIAL MEAL", False, None),
        ("LANG/PETER MR", False, None),  # a surname in a history line is not a code
        ("SSR DOCS HK1", False, None),
        ("PETER LANG CALLED", True, None),
    ],
)
def test_code_mentions_in_free_text(text: str, leading: bool, key: str | None) -> None:
    assert POLICY.code_mentioned(text, leading=leading) == key


def test_from_dict_round_trips_and_normalises() -> None:
    loaded = SensitivePolicy.from_dict(
        {"version": "de-2025-03", "codes": ["moml", " wchr "], "terms": ["halal", "trade   union"]}
    )
    assert loaded.version == "de-2025-03"
    assert loaded.codes == {"MOML", "WCHR"}
    assert loaded.terms == {"HALAL", "TRADE UNION"}
    assert loaded.keep_general_remarks is False
    assert SensitivePolicy.from_dict(loaded.to_dict()) == loaded
    assert SensitivePolicy.from_dict({}) == SensitivePolicy()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"codez": ["MOML"]}, "unknown policy keys: codez"),
        ({"codes": "MOML"}, "codes must be a list of strings"),
        ({"codes": ["MOML", 7]}, "codes must be a list of strings"),
        ({"codes": ["MOML MEAL"]}, "not a four-character"),
        ({"codes": ["DOCS"]}, "overlap: DOCS"),
        ({"terms": [""]}, "terms must be upper-case words"),
        ({"version": ""}, "version must be a non-empty string"),
        ({"version": 3}, "version must be a non-empty string"),
        ({"keep_general_remarks": "no"}, "keep_general_remarks must be true or false"),
    ],
)
def test_from_dict_says_what_is_wrong(data: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        SensitivePolicy.from_dict(data)


def test_from_dict_wants_a_mapping() -> None:
    with pytest.raises(PolicyError, match="mapping"):
        SensitivePolicy.from_dict(["MOML"])  # type: ignore[arg-type]


def test_the_policy_is_frozen_and_hashable() -> None:
    with pytest.raises(AttributeError):
        POLICY.version = "x"  # type: ignore[misc]
    assert hash(POLICY) == hash(SensitivePolicy())
