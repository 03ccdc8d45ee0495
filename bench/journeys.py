"""Journeys and networks over a generated world: the pure parts' cost, before any store.

    uv run python bench/journeys.py [--scale 0.05] [--days 2] [--seed 1] [--starts 300] [--baseline-starts 30]
                                    [--world DIR] [--json]

Workload: a generated world (`openpiu generate`, quirks on, no unreadable messages), every message read with
the project's reader; the truth's person ids stand for identities. Each identity's segments from every
booking and push are chained into journeys (`openpiu.analysis.journeys.chain`); the network of bookings,
contacts, cards, agencies and flights is held in memory (`MemoryGraph`) and explored three hops from
`--starts` identities drawn at random (seeded), the planted network members first.

Figures: identities chained per second and the p50/p95/max time of one identity's chaining; for the
three-hop network query p50/p95/max time with the in-memory source and without it (explore's own time:
what the pure part adds to whatever the store's queries take), nodes reached and source answers per query,
and explore's own time per answer. Baseline, in the same run on the first
`--baseline-starts` of the same starts (it is slow): the same query following hubs (a large agency's
bookings, a popular pair of flights), as a naive breadth-first search over shared values would; both are
measured on those starts for the ratio.

Timings are wall-clock on whatever else the machine runs: compare figures of one run, not across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpiu.analysis.journeys import TravelSegment, chain, segments_of
from openpiu.analysis.network import FlightTaken, MemoryGraph, NetworkSettings, booking_attributes, explore
from openpiu.formats.reader import read_messages
from openpiu.model import PnrPush
from openpiu.model.network import Attribute, LinkKind, Node, NodeKind, Shared
from openpiu.synth.world import generate, world_params


def _read(folder: Path) -> tuple[dict[str, list[TravelSegment]], MemoryGraph, int]:
    who = {
        (row["file"], row["locator"], row["reference"]): row["person_id"]
        for row in map(json.loads, (folder / "truth" / "travellers.jsonl").read_text().splitlines())
    }
    segments: dict[str, list[TravelSegment]] = defaultdict(list)
    members: set[tuple[str, str]] = set()
    attributes: dict[tuple[Node, LinkKind, str], Attribute] = {}
    flights: set[FlightTaken] = set()
    occurrences = 0
    for path in sorted((folder / "messages").iterdir()):
        for message in read_messages(path.read_bytes(), source=path.name):
            if not isinstance(message, PnrPush):
                continue
            for booking in message.bookings:
                locator = booking.locator or ""
                for attribute in booking_attributes(booking, booking_id=locator, key=b"bench"):
                    attributes[(attribute.node, attribute.kind, attribute.key)] = attribute
                for traveller in booking.travellers:
                    person = who.get((path.name, locator, traveller.ref))
                    if person is None:
                        continue
                    occurrences += 1
                    found = segments_of(
                        booking, occurrence=f"{path.name}/{traveller.ref}", seen=message.header.prepared_at
                    )
                    segments[person].extend(found)
                    members.add((person, locator))
                    flights.update(
                        FlightTaken(person, s.carrier, s.number, s.departure.date(), locator) for s in found
                    )
    return segments, MemoryGraph(members, attributes.values(), flights), occurrences


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return (
        statistics.median(ordered),
        ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        ordered[-1],
    )


def _queries(graph: MemoryGraph, starts: list[Node], settings: NetworkSettings) -> dict[str, Any]:
    times, own, nodes, answers = [], [], [], []
    for start in starts:
        count = 0
        in_source = 0.0

        def source(frontier: frozenset[Node], limit: int) -> list[Shared]:
            nonlocal count, in_source
            began = time.perf_counter()
            found = graph(frontier, limit)
            in_source += time.perf_counter() - began
            count += len(found)
            return found

        began = time.perf_counter()
        network = explore(start, source, settings)
        times.append(time.perf_counter() - began)
        own.append(times[-1] - in_source)
        nodes.append(len(network.nodes))
        answers.append(count)
    p50, p95, top = _quantiles(times)
    own50, own95, own_top = _quantiles(own)
    return {
        "p50_ms": p50 * 1000,
        "p95_ms": p95 * 1000,
        "max_ms": top * 1000,
        "explore_p50_ms": own50 * 1000,
        "explore_p95_ms": own95 * 1000,
        "explore_max_ms": own_top * 1000,
        "nodes_p50": statistics.median(nodes),
        "nodes_max": max(nodes),
        "answers_p50": statistics.median(answers),
        "us_per_answer": 1e6 * sum(own) / max(1, sum(answers)),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--starts", type=int, default=300)
    parser.add_argument("--baseline-starts", type=int, default=30)
    parser.add_argument(
        "--world", type=Path, help="a world already generated (else one is made in a temp dir)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.world
        if folder is None:
            folder = Path(scratch)
            params = world_params(seed=args.seed, days=args.days, scale=args.scale, broken_rate=0.0)
            generate(dataclasses.replace(params, networks=12, broken_journeys=12), folder)
        began = time.perf_counter()
        segments, graph, occurrences = _read(folder)
        read_s = time.perf_counter() - began
        networks = [
            json.loads(line) for line in (folder / "truth" / "networks.jsonl").read_text().splitlines()
        ]
    each = []
    began = time.perf_counter()
    broken = 0
    for found in segments.values():
        one = time.perf_counter()
        history = chain(found)
        each.append(time.perf_counter() - one)
        broken += sum(1 for journey in history.journeys if journey.broken)
    chain_s = time.perf_counter() - began
    rng = random.Random(args.seed)
    planted = [Node(NodeKind.IDENTITY, person) for n in networks for person in n["person_ids"]]
    others = sorted(segments)
    starts = planted + [Node(NodeKind.IDENTITY, p) for p in rng.sample(others, min(len(others), args.starts))]
    starts = starts[: max(args.starts, len(planted))]
    ours = _queries(graph, starts, NetworkSettings())
    few = starts[: args.baseline_starts]
    ours_few = _queries(graph, few, NetworkSettings())
    naive = _queries(graph, few, NetworkSettings(follow_hubs=True, max_nodes=1_000_000))
    p50, p95, top = _quantiles(each)
    result = {
        "traveller_occurrences": occurrences,
        "identities": len(segments),
        "segments": sum(len(s) for s in segments.values()),
        "read_s": read_s,
        "chain_identities_per_s": len(segments) / chain_s,
        "chain_p50_ms": p50 * 1000,
        "chain_p95_ms": p95 * 1000,
        "chain_max_ms": top * 1000,
        "journeys_broken": broken,
        "network_starts": len(starts),
        "network": ours,
        "network_baseline_starts": ours_few,
        "network_following_hubs": naive,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{occurrences:,} traveller occurrences, {len(segments):,} identities, "
        f"{result['segments']:,} segments (read in {read_s:.1f} s)"
    )
    print(f"{'workload':46} | {'openpiu':>10} | {'following hubs':>14} | {'ratio':>6}")
    print("-" * 86)
    for prefix, label in (("", "in-memory source"), ("explore_", "explore alone")):
        figures = " / ".join(f"{ours[prefix + q]:.1f}" for q in ("p50_ms", "p95_ms", "max_ms"))
        print(f"{f'3 hops, {len(starts)} starts, {label}: p50/p95/max ms':46} | {figures}")
    print(f"{'chain: identities/s':46} | {result['chain_identities_per_s']:10,.0f} | {'':>14} |")
    spread = f"{p50 * 1000:.2f} / {p95 * 1000:.2f} / {top * 1000:.1f}"
    print(f"{'chain: p50 / p95 / max ms per identity':46} | {spread} |")
    for key, label in (
        ("p50_ms", f"3 hops, first {len(few)} starts: p50 ms"),
        ("p95_ms", "3 hops: p95 ms"),
        ("max_ms", "3 hops: max ms"),
        ("nodes_p50", "3 hops: nodes reached, p50"),
        ("nodes_max", "3 hops: nodes reached, max"),
        ("answers_p50", "3 hops: source answers, p50"),
        ("explore_p95_ms", "3 hops: explore alone, p95 ms"),
        ("us_per_answer", "3 hops: explore alone, µs per source answer"),
    ):
        a, b = ours_few[key], naive[key]
        print(f"{label:46} | {a:10.2f} | {b:14.2f} | {b / a if a else 0:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
