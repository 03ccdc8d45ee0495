"""Schengen membership in the model, dated; the synthetic world puts its airports on the same side."""

from __future__ import annotations

from datetime import date

import pytest

from openpiu.model.schengen import SCHENGEN_SINCE, SCHENGEN_STATES, airport_in_schengen, in_schengen
from openpiu.synth import network
from openpiu.synth.types import WorldParams


def test_the_29_states_of_2026() -> None:
    assert len(SCHENGEN_STATES) == 29
    eu_outside = {"CY", "IE"}
    associated = {"IS", "LI", "NO", "CH"}
    assert associated <= SCHENGEN_STATES
    assert not eu_outside & SCHENGEN_STATES
    assert (
        not {"GB", "TR", "RS", "AL", "UA", "GI", "FO", "GL", "RE", "SJ", "MC", "VA", "SM", "AD"}
        & SCHENGEN_STATES
    )


@pytest.mark.parametrize(
    ("country", "day", "inside"),
    [
        ("HR", date(2022, 12, 31), False),
        ("HR", date(2023, 1, 1), True),
        ("BG", date(2024, 3, 30), False),
        ("BG", date(2024, 3, 31), True),
        ("RO", date(2024, 3, 31), True),
        ("DE", date(2021, 6, 1), True),
        ("de", None, True),
        ("CY", None, False),
        (None, None, False),
    ],
)
def test_membership_is_dated(country: str | None, day: date | None, inside: bool) -> None:
    assert in_schengen(country, day) is inside


@pytest.mark.parametrize(
    ("code", "inside"),
    [("FRA", True), ("TFS", True), ("FNC", True), ("PDL", True), ("KEF", True), ("ZRH", True), ("OTP", True),
     ("LHR", False), ("DUB", False), ("LCA", False), ("IST", False), ("RUN", False), ("FAE", False),
     ("GIB", False), ("ZZZ", None)],
)  # fmt: skip
def test_airports_by_their_country(code: str, inside: bool | None) -> None:
    assert airport_in_schengen(code) is inside


def test_the_generated_world_agrees_with_the_model() -> None:
    start = WorldParams().start
    assert network.SCHENGEN == SCHENGEN_STATES
    assert all(since <= start for since in SCHENGEN_SINCE.values())
    codes = {code for rows in network.HOME_AIRPORTS.values() for code, _, _ in rows}
    codes |= {code for rows in network.DESTINATIONS.values() for code, _ in rows}
    for code in sorted(codes):
        assert network.airport(code).schengen is airport_in_schengen(code, start), code
    for region, rows in network.DESTINATIONS.items():
        for code, _ in rows:
            assert airport_in_schengen(code, start) is (region is network.Region.SCHENGEN), code
