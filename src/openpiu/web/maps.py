"""The journey map: a traveller's journeys drawn by openpiu itself, an inline SVG on a bundled world outline.

No tile server, no script, no CDN: the outline is Natural Earth's 1:110m countries (public domain,
converted by ``tools/world_outline.py`` into ``web/data/world-110m.json``); airports come from
``openpiu.model.airports``.
The projection is equirectangular with its standard parallel through the middle of the map, zoomed to the
legs' bounding box (with a margin, and never closer than a region), centred on the legs' mean longitude so
that a journey across the Pacific is drawn in one piece. Legs are great-circle arcs with an arrow; the legs
of broken travel are drawn in red and dashed; a change of airports over land is a dotted line; the Schengen
states are tinted. Only presentation attributes are used (no ``style``), so the Content-Security-Policy of
the pages (``style-src 'self'``) lets it render inline.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from openpiu.model.airports import airport
from openpiu.model.journeys import Journey, Leg, Transfer
from openpiu.model.schengen import SCHENGEN_STATES

__all__ = ["MapColours", "journey_map", "world_outline"]


@dataclass(frozen=True, slots=True)
class MapColours:
    sea: str = "#eef3f8"
    land: str = "#dcdcd6"
    schengen: str = "#c9dbc2"
    border: str = "#ffffff"
    leg: str = "#1f3b73"
    broken: str = "#c0262d"
    overland: str = "#555555"
    airport: str = "#111111"
    text: str = "#111111"


_MIN_LAT_SPAN = 8.0  # degrees: a domestic hop still shows its region
_MIN_LON_SPAN = 12.0
_MARGIN = 0.12  # of the span, on each side
_ARC_STEP_KM = 150.0  # one point of a great-circle arc per this distance


@cache
def world_outline() -> dict[str, Any]:
    """The bundled outline: per country its ISO code, name, bounding box and rings (tenths of a degree)."""
    text = resources.files("openpiu.web").joinpath("data/world-110m.json").read_text(encoding="utf-8")
    outline: dict[str, Any] = json.loads(text)
    return outline


@dataclass(frozen=True, slots=True)
class _View:
    """The projection: longitude/latitude to pixels, for one map."""

    west: float
    north: float
    scale_x: float  # pixels per degree of longitude (cos of the standard parallel applied)
    scale_y: float
    width: int
    height: int

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.scale_x, (self.north - lat) * self.scale_y

    @property
    def east(self) -> float:
        return self.west + self.width / self.scale_x

    @property
    def south(self) -> float:
        return self.north - self.height / self.scale_y


def _unwrap(lon: float, centre: float) -> float:
    """The longitude within 180 degrees of `centre` (adding or taking 360)."""
    return (lon - centre + 180.0) % 360.0 - 180.0 + centre


def _arc(a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
    """Points along the great circle from a to b (lon, lat in degrees), end points included."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    p1 = (math.cos(lat1) * math.cos(lon1), math.cos(lat1) * math.sin(lon1), math.sin(lat1))
    p2 = (math.cos(lat2) * math.cos(lon2), math.cos(lat2) * math.sin(lon2), math.sin(lat2))
    dot = max(-1.0, min(1.0, sum(x * y for x, y in zip(p1, p2, strict=True))))
    omega = math.acos(dot)
    steps = max(1, int(omega * 6371.0 / _ARC_STEP_KM))
    if omega < 1e-9:
        return [a, b]
    points = []
    for i in range(steps + 1):
        t = i / steps
        f1, f2 = math.sin((1 - t) * omega) / math.sin(omega), math.sin(t * omega) / math.sin(omega)
        x, y, z = (f1 * u + f2 * v for u, v in zip(p1, p2, strict=True))
        points.append((math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))))
    return points


def _continuous(points: list[tuple[float, float]], centre: float) -> list[tuple[float, float]]:
    """The arc's longitudes made continuous around `centre` (no jump across the map's edge)."""
    out: list[tuple[float, float]] = []
    for lon, lat in points:
        value = _unwrap(lon, centre) if not out else _unwrap(lon, out[-1][0])
        out.append((value, lat))
    return out


def _view(points: list[tuple[float, float]], width: int, height: int) -> _View:
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    lat_span = max(north - south, _MIN_LAT_SPAN)
    mid_lat = max(-75.0, min(75.0, (north + south) / 2))
    squash = math.cos(math.radians(mid_lat))
    lon_span = max(east - west, _MIN_LON_SPAN)
    lat_span *= 1 + 2 * _MARGIN
    lon_span *= 1 + 2 * _MARGIN
    # One scale for both axes (after the squash): the larger span decides, the other grows to fill.
    scale = min(width / (lon_span * squash), height / lat_span)
    centre_lon, centre_lat = (west + east) / 2, (north + south) / 2
    shown_lon, shown_lat = width / (scale * squash), height / scale
    return _View(
        west=centre_lon - shown_lon / 2,
        north=min(90.0, centre_lat + shown_lat / 2),
        scale_x=scale * squash,
        scale_y=scale,
        width=width,
        height=height,
    )


def _path(points: Sequence[tuple[float, float]], view: _View, *, closed: bool = False) -> str:
    parts = []
    for i, (lon, lat) in enumerate(points):
        x, y = view.xy(lon, lat)
        parts.append(f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}")
    return "".join(parts) + ("Z" if closed else "")


@cache
def _country_paths(shift: int) -> tuple[tuple[float, float, float, float, str, str, str], ...]:
    """Per country (shifted by ``shift`` tenths of a degree of longitude): its bounding box in degrees, its
    rings as one SVG path in tenths of a degree (x east, y north), its code and its name, escaped.

    Built once per process: the outline does not depend on the map, only the transform that places it
    does (drawing every country anew took most of a traveller's page's time)."""
    found = []
    for country in world_outline()["countries"]:
        west, south, east, north = (v / 10 for v in country["bbox"])
        rings = []
        for ring in country["rings"]:
            points = (f"{ring[i] + shift} {ring[i + 1]}" for i in range(0, len(ring), 2))
            rings.append("M" + "L".join(points) + "Z")
        found.append(
            (
                west + shift / 10,
                south,
                east + shift / 10,
                north,
                "".join(rings),
                str(country["code"]),
                escape(country["name"] or ""),
            )
        )
    return tuple(found)


def _countries(view: _View, colours: MapColours) -> Iterator[str]:
    """The countries in view, in one group whose transform projects tenths of a degree onto the map (the
    border keeps its width in pixels whatever the zoom)."""
    a, d = view.scale_x / 10, -view.scale_y / 10
    yield (
        f'<g class="countries" transform="matrix({a:.6f} 0 0 {d:.6f} '
        f'{-view.west * view.scale_x:.2f} {view.north * view.scale_y:.2f})">'
    )
    for shift in (-3600, 0, 3600):  # the outline is drawn again where the map runs past ±180
        for west, south, east, north, rings, code, name in _country_paths(shift):
            if north < view.south or south > view.north or east < view.west or west > view.east:
                continue
            fill = colours.schengen if code in SCHENGEN_STATES else colours.land
            yield (
                f'<path class="country" d="{rings}" fill="{fill}" stroke="{colours.border}" '
                f'stroke-width="0.6" vector-effect="non-scaling-stroke" fill-rule="evenodd">'
                f"<title>{name}</title></path>"
            )
    yield "</g>"


def _position(code: str) -> tuple[float, float] | None:
    info = airport(code)
    return (info.longitude, info.latitude) if info is not None else None


def journey_map(
    journeys: Sequence[Journey],
    *,
    width: int = 720,
    height: int = 420,
    title: str = "Journeys",
    colours: MapColours | None = None,
) -> str:
    """The journeys as an SVG element (a string to place in a page as it is, or to save as a file)."""
    c = colours or MapColours()
    legs: list[tuple[Leg, bool]] = []  # (leg, part of broken travel)
    overland: list[tuple[str, str]] = []
    for journey in journeys:
        flagged: set[int] = set()
        for i, stop in enumerate(journey.stops):
            if stop.broken is not None:
                flagged.update((i, i + 1))
            if stop.transfer is Transfer.OVERLAND:
                overland.append((stop.arrived_at, stop.departs_from))
        legs.extend((leg, i in flagged) for i, leg in enumerate(journey.legs))
    placed = {
        code: where
        for code in sorted({x for leg, _ in legs for x in (leg.origin, leg.destination)})
        if (where := _position(code)) is not None
    }
    # Ids unique to the map's content, so that several maps can share a page.
    seed = f"{title}|{[(leg.designator, leg.departure) for leg, _ in legs]}"
    ident = "m" + hashlib.sha256(seed.encode()).hexdigest()[:8]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="journey-map" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-title">'
        f'<title id="{ident}-title">{escape(title)}</title>'
    )
    if not placed:
        return (
            f'{head}<rect width="{width}" height="{height}" fill="{c.sea}"/>'
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" font-family="sans-serif" '
            f'font-size="14" fill="{c.text}">No journey to draw</text></svg>'
        )
    # Centre on the mean direction of the airports, so the map never splits a journey at ±180.
    x = sum(math.cos(math.radians(lon)) for lon, _ in placed.values())
    y = sum(math.sin(math.radians(lon)) for lon, _ in placed.values())
    centre = math.degrees(math.atan2(y, x)) if (x or y) else 0.0
    arcs: list[tuple[Leg, bool, list[tuple[float, float]]]] = []
    for leg, broken in legs:
        start, end = placed.get(leg.origin), placed.get(leg.destination)
        if start is not None and end is not None:
            arcs.append((leg, broken, _continuous(_arc(start, end), centre)))
    spots = {code: (_unwrap(lon, centre), lat) for code, (lon, lat) in placed.items()}
    view = _view([p for _, _, arc in arcs for p in arc] + list(spots.values()), width, height)
    parts = [head, _markers(ident, c), f'<rect width="{width}" height="{height}" fill="{c.sea}"/>']
    parts.extend(_countries(view, c))
    for arrived, departs in overland:
        if arrived in spots and departs in spots:
            parts.append(
                _line(
                    "overland",
                    _path([spots[arrived], spots[departs]], view),
                    c.overland,
                    f"over land from {arrived} to {departs}",
                    width=1.6,
                    dash="2 3",
                )
            )
    for leg, broken, arc in arcs:
        label = f"{leg.designator} {leg.origin} to {leg.destination}, {leg.departure:%Y-%m-%d %H:%M} UTC"
        parts.append(
            _line(
                "leg broken" if broken else "leg",
                _path(arc, view),
                c.broken if broken else c.leg,
                label + (", broken travel" if broken else ""),
                dash="7 4" if broken else None,
                marker=f"{ident}-{'broken' if broken else 'leg'}",
            )
        )
    dots = [
        (code, *view.xy(lon + shift, lat))
        for code, (lon, lat) in sorted(spots.items())
        for shift in (-360.0, 0.0, 360.0)  # a journey round the world shows an airport at both ends
        if shift == 0.0 or view.west <= lon + shift <= view.east
    ]
    taken: list[tuple[float, float, float, float]] = [(x - 4, y - 4, x + 4, y + 4) for _, x, y in dots]
    for code, x, y in dots:
        parts.append(_airport(code, x, y, _label_place(code, x, y, taken), c))
    parts.append(_legend(c, height, any(broken for _, broken in legs), bool(overland)))
    parts.append("</svg>")
    return "".join(parts)


def _markers(ident: str, c: MapColours) -> str:
    arrows = "".join(
        f'<marker id="{ident}-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{colour}"/></marker>'
        for name, colour in (("leg", c.leg), ("broken", c.broken))
    )
    return f"<defs>{arrows}</defs>"


def _line(
    kind: str,
    d: str,
    colour: str,
    label: str,
    *,
    width: float = 2.0,
    dash: str | None = None,
    marker: str | None = None,
) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    extra += f' marker-end="url(#{marker})"' if marker else ""
    return (
        f'<path class="{kind}" d="{d}" fill="none" stroke="{colour}" stroke-width="{width:g}"{extra}>'
        f"<title>{escape(label)}</title></path>"
    )


_LABEL_HEIGHT = 12.0
_LABEL_CHAR = 8.0  # width of a bold capital at 12 px, near enough


def _label_place(
    code: str, x: float, y: float, taken: list[tuple[float, float, float, float]]
) -> tuple[float, float]:
    """Where the airport's code goes (its baseline start): above right, or where it overlaps nothing."""
    width = _LABEL_CHAR * len(code)
    tries = (
        (6.0, -6.0),
        (6.0, 16.0),
        (-6.0 - width, -6.0),
        (-6.0 - width, 16.0),
        (6.0, 5.0),
        (-6.0 - width, 5.0),
    )

    def box(dx: float, dy: float) -> tuple[float, float, float, float]:
        return (x + dx, y + dy - _LABEL_HEIGHT + 2, x + dx + width, y + dy + 2)

    def clear(b: tuple[float, float, float, float]) -> bool:
        return all(b[2] <= t[0] or t[2] <= b[0] or b[3] <= t[1] or t[3] <= b[1] for t in taken)

    dx, dy = next((offset for offset in tries if clear(box(*offset))), tries[0])
    taken.append(box(dx, dy))
    return x + dx, y + dy


def _airport(code: str, x: float, y: float, label: tuple[float, float], c: MapColours) -> str:
    dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{c.airport}" stroke="#ffffff" stroke-width="1"/>'
    text = (
        f'<text x="{label[0]:.1f}" y="{label[1]:.1f}" font-family="sans-serif" font-size="12" '
        f'font-weight="bold" fill="{c.text}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
        f"{escape(code)}</text>"
    )
    return f'<g class="airport">{dot}{text}</g>'


def _legend(c: MapColours, height: int, broken: bool, overland: bool) -> str:
    rows = [("rect", c.schengen, "Schengen area"), ("line", c.leg, "flight")]
    if broken:
        rows.append(("dash", c.broken, "broken travel"))
    if overland:
        rows.append(("dots", c.overland, "over land"))
    top = height - 8 - 16 * len(rows)
    parts = [
        f'<g class="legend" font-family="sans-serif" font-size="11" fill="{c.text}">'
        f'<rect x="6" y="{top - 6}" width="118" height="{16 * len(rows) + 8}" fill="#ffffff" '
        'fill-opacity="0.8"/>'
    ]
    for i, (shape, colour, text) in enumerate(rows):
        y = top + 16 * i + 6
        if shape == "rect":
            parts.append(f'<rect x="12" y="{y - 5}" width="18" height="10" fill="{colour}"/>')
        else:
            dash = {"dash": ' stroke-dasharray="7 4"', "dots": ' stroke-dasharray="2 3"'}.get(shape, "")
            parts.append(
                f'<line x1="12" y1="{y}" x2="30" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>'
            )
        parts.append(f'<text x="36" y="{y + 4}">{text}</text>')
    parts.append("</g>")
    return "".join(parts)
