"""The journey map: a well-formed SVG on the bundled outline, zoomed to the legs, every airport and leg where
it belongs, broken travel marked, and nothing the pages' Content-Security-Policy would refuse."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openpiu.analysis.journeys import TravelSegment, chain
from openpiu.model.journeys import Journey
from openpiu.model.schengen import SCHENGEN_STATES
from openpiu.web.maps import journey_map, world_outline

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def seg(flight: str, route: str, departs: float, hours: float, booking: str) -> TravelSegment:
    origin, destination = route.split("-")
    at = T0 + timedelta(hours=departs)
    return TravelSegment(
        flight[:2], flight[2:], origin, destination, at, at + timedelta(hours=hours), booking
    )


def journeys(*segments: TravelSegment) -> tuple[Journey, ...]:
    return chain(segments).journeys


BROKEN = journeys(
    seg("TK1591", "IST-FRA", 0, 3, "AAA111"),
    seg("LH1001", "FRA-BRU", 5, 1, "BBB222"),
    seg("SN3001", "BRU-LIS", 24 * 4, 3, "CCC333"),
    seg("LX1000", "ZRH-CGN", 24 * 8, 1, "DDD444"),
    seg("PC1001", "FRA-ADB", 24 * 8 + 5, 3, "EEE555"),
)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def airports(root: ET.Element) -> dict[str, tuple[float, float]]:
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "airport":
            dot, label = group.find(f"{SVG}circle"), group.find(f"{SVG}text")
            assert dot is not None
            assert label is not None
            found[label.text or ""] = (float(dot.get("cx", "nan")), float(dot.get("cy", "nan")))
    return found


def test_the_outline_is_bundled_with_its_source_and_licence() -> None:
    outline = world_outline()
    assert "Natural Earth" in outline["source"]
    assert "public domain" in outline["licence"]
    codes = {c["code"] for c in outline["countries"]}
    assert len(codes) > 170
    assert SCHENGEN_STATES - codes <= {"MT", "LI"}  # too small for 1:110m
    assert "AQ" not in codes


def test_every_airport_and_leg_is_drawn_and_broken_travel_marked() -> None:
    root = parse(journey_map(BROKEN, title="Journeys of a traveller"))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 720 420"
    assert root.findtext(f"{SVG}title") == "Journeys of a traveller"
    spots = airports(root)
    assert set(spots) == {"IST", "FRA", "BRU", "LIS", "ZRH", "CGN", "ADB"}
    for x, y in spots.values():
        assert 0 <= x <= 720
        assert 0 <= y <= 420
    paths = list(root.iter(f"{SVG}path"))
    legs = [p for p in paths if (p.get("class") or "").startswith("leg")]
    assert len(legs) == 5
    titles = {p.findtext(f"{SVG}title"): p.get("class") for p in legs}
    assert titles["TK1591 IST to FRA, 2026-12-01 06:00 UTC, broken travel"] == "leg broken"
    assert titles["LH1001 FRA to BRU, 2026-12-01 11:00 UTC, broken travel"] == "leg broken"
    assert titles["SN3001 BRU to LIS, 2026-12-05 06:00 UTC"] == "leg"
    (overland,) = [p for p in paths if p.get("class") == "overland"]
    assert overland.findtext(f"{SVG}title") == "over land from CGN to FRA"


def test_the_projection_keeps_east_east_and_north_north() -> None:
    spots = airports(parse(journey_map(BROKEN)))
    assert spots["LIS"][0] < spots["BRU"][0] < spots["FRA"][0] < spots["IST"][0]  # west to east
    assert spots["BRU"][1] < spots["ZRH"][1] < spots["IST"][1] < spots["ADB"][1]  # north to south


def test_the_map_is_zoomed_to_the_legs() -> None:
    europe = journey_map(journeys(seg("LH100", "FRA-MUC", 0, 1, "A")))
    names = set(re.findall(r"<title>([^<]+)</title></path>", europe))
    assert {"Germany", "Austria"} <= names
    assert not {"United States of America", "Brazil", "Australia"} & names
    world = journey_map(journeys(seg("LH400", "FRA-JFK", 0, 9, "A")))
    assert "United States of America" in world


def test_a_journey_across_the_pacific_is_drawn_in_one_piece() -> None:
    pacific = journeys(seg("NH6", "HND-LAX", 0, 10, "A"))
    root = parse(journey_map(pacific))
    spots = airports(root)
    (leg,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "leg"]
    xs = [float(x) for x in re.findall(r"[ML](-?[\d.]+) ", leg.get("d", ""))]
    assert max(abs(b - a) for a, b in itertools.pairwise(xs)) < 100  # no jump across the map
    assert spots["HND"][0] < spots["LAX"][0]  # Tokyo to the west of Los Angeles, across the Pacific


def test_nothing_the_content_security_policy_refuses() -> None:
    svg = journey_map(BROKEN)
    assert "style=" not in svg
    assert "<style" not in svg
    assert "<script" not in svg
    assert "href=" not in svg
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_two_maps_on_one_page_do_not_share_ids() -> None:
    first, second = journey_map(BROKEN[:1]), journey_map(BROKEN[1:])
    ids = set(re.findall(r' id="([^"]+)"', first))
    assert ids
    assert not ids & set(re.findall(r' id="([^"]+)"', second))


def test_nothing_to_draw() -> None:
    root = parse(journey_map(()))
    assert "No journey to draw" in ET.tostring(root, encoding="unicode")
    unknown = journeys(seg("XX1", "QQQ-QQR", 0, 1, "A"))
    assert "No journey to draw" in journey_map(unknown)


@pytest.mark.parametrize("width", [320, 960])
def test_any_size(width: int) -> None:
    root = parse(journey_map(BROKEN, width=width, height=width // 2))
    for x, y in airports(root).values():
        assert 0 <= x <= width
        assert 0 <= y <= width // 2


def test_an_example_is_written_to_build(tmp_path: Path) -> None:
    # The SVG stands alone too: the same markup saved as a file opens in any browser.
    path = tmp_path / "journey-map.svg"
    path.write_text(journey_map(BROKEN, title="Example"), encoding="utf-8")
    assert parse(path.read_text(encoding="utf-8")).tag == f"{SVG}svg"
