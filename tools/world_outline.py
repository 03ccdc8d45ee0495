"""Convert Natural Earth's 1:110m countries (TopoJSON, from the npm package world-atlas) into the compact
outline the journey map draws: `src/openpiu/web/data/world-110m.json`.

Fetch the source once, outside the repository, with npm's own client:

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    uv run --frozen python tools/world_outline.py /tmp/package/countries-110m.json \
        src/openpiu/web/data/world-110m.json

Natural Earth is in the public domain; world-atlas (the TopoJSON build) is under the ISC licence, Copyright
2013-2019 Michael Bostock. The output keeps, per country, its ISO 3166-1 alpha-2 code (from the numeric id,
through pycountry; Kosovo XK; the few areas without a code keep their name only), its bounding box and its
rings as flat lists of longitude and latitude in tenths of a degree (about 11 km, finer than 1:110m draws;
a ring across the antimeridian runs on past 180 degrees instead of jumping back).
Antarctica is left out: no flight a PIU sees goes there, and its outline runs along the map's edge.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pycountry

SOURCE = "Natural Earth 1:110m admin-0 countries, via the npm package world-atlas 2.0.2 (countries-110m.json)"
LICENCE = "Natural Earth: public domain. world-atlas: ISC licence, Copyright 2013-2019 Michael Bostock."
_UNCODED = {"Kosovo": "XK"}
_LEFT_OUT = {"010"}  # Antarctica


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc as absolute longitude/latitude points (the TopoJSON is quantised and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[int]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)  # arcs share their end points
    flat: list[int] = []
    previous: float | None = None
    for raw_lon, lat in points:
        # A ring across the antimeridian (Russia's far east, Fiji) continues past 180 instead of jumping
        # back: the map draws the outline again 360 degrees over where it needs to.
        lon = raw_lon if previous is None else raw_lon + 360.0 * round((previous - raw_lon) / 360.0)
        previous = lon
        x, y = round(lon * 10), round(lat * 10)
        if len(flat) < 2 or (flat[-2], flat[-1]) != (x, y):
            flat.extend((x, y))
    return flat


def _code(geometry: dict[str, Any]) -> str | None:
    number = geometry.get("id")
    if number is None:
        return _UNCODED.get(geometry.get("properties", {}).get("name", ""))
    found = pycountry.countries.get(numeric=str(number).zfill(3))
    return str(found.alpha_2) if found is not None else None


def convert(topology: dict[str, Any]) -> dict[str, Any]:
    arcs = _arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") in _LEFT_OUT:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [_ring(ring, arcs) for polygon in polygons for ring in polygon]
        rings = [ring for ring in rings if len(ring) >= 6]
        if not rings:
            continue
        xs = [v for ring in rings for v in ring[0::2]]
        ys = [v for ring in rings for v in ring[1::2]]
        countries.append(
            {
                "code": _code(geometry),
                "name": geometry.get("properties", {}).get("name", ""),
                "bbox": [min(xs), min(ys), max(xs), max(ys)],
                "rings": rings,
            }
        )
    countries.sort(key=lambda c: (c["code"] or "~", c["name"]))
    return {"source": SOURCE, "licence": LICENCE, "unit": "0.1 degree", "countries": countries}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    outline = convert(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    Path(argv[1]).parent.mkdir(parents=True, exist_ok=True)
    Path(argv[1]).write_text(json.dumps(outline, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(outline['countries'])} countries, {Path(argv[1]).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
