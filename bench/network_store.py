"""Networks from the store: a three-hop network query over the evidence index and the stored flights.

    uv run python bench/network_store.py [--scale 0.02] [--days 2] [--seed 1] [--starts 100] [--world DIR]
                                         [--db URL] [--json]

Workload: a generated world (`openpiu generate`) ingested into a store (SQLite in the world's folder unless
`--db` names another, e.g. PostgreSQL; a store already holding the world is used as it is), identities
resolved as they arrive. From `--starts` identities (the planted network members first, then drawn at
random, seeded) the network within three links is read through `NetworkDesk` (audited, as the traveller's
page does). Figures: p50/p95/max time of one query through the desk (audit record and labels included) and
of the exploration alone, nodes and links reached, queries per network; the co-travel query alone
(`flights_together`) on the identities each network reached. Baseline, in the same run: the same
exploration without co-travel on the same flights (the source before it was followed), for the ratio of
what co-travel adds.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpiu.analysis.network import NetworkSettings, explore
from openpiu.clock import FixedClock
from openpiu.model.network import Node, NodeKind, Shared
from openpiu.services.ingest import ingest_paths
from openpiu.services.network import NetworkDesk, StoreGraph
from openpiu.store import Store, open_store, upgrade
from openpiu.synth.world import generate, world_params

AT = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


class _NoCoTravel(StoreGraph):
    """The store's source as it was before co-travel on the same flights was followed."""

    def _same_flights(self, identities: list[int]) -> list[Shared]:
        return []


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def _starts(store: Store, folder: Path, count: int, seed: int) -> list[int]:
    """Identities of planted network members first, then others at random."""
    ids = sorted({row.identity for row in store.identity_export() if row.identity is not None})
    planted: list[int] = []
    truth = folder / "truth" / "networks.jsonl"
    locators = {
        loc for line in truth.read_text().splitlines() if line for loc in json.loads(line)["locators"]
    }
    for row in store.identity_export():
        if row.locator in locators and row.identity is not None and row.identity not in planted:
            planted.append(row.identity)
    rest = [i for i in ids if i not in set(planted)]
    random.Random(seed).shuffle(rest)
    return (planted + rest)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--starts", type=int, default=100)
    parser.add_argument("--world", type=Path, help="a folder to generate the world into (kept), or reuse")
    parser.add_argument("--db", help="database URL (default: SQLite in the world's folder)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folder = args.world or Path(tempfile.mkdtemp(prefix="openpiu-network-bench-"))
    clock = FixedClock(AT)
    if not (folder / "truth").exists():
        params = dataclasses.replace(
            world_params(seed=args.seed, days=args.days, scale=args.scale), networks=8
        )
        generate(params, folder)
    url = args.db or f"sqlite:///{folder / 'openpiu.db'}"
    upgrade(url)
    store = open_store(url, clock=clock)
    try:
        if store.identity_count() == 0:
            began = time.perf_counter()
            ingest_paths([folder / "messages"], url=url, clock=clock, card_key=bytes(32), readers=0)
            print(f"ingested in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        occurrences = sum(1 for _ in store.identity_export())
        starts = _starts(store, folder, args.starts, args.seed)
        desk = NetworkDesk(store)
        times, explored, baseline, cotravel, nodes, links, queries = [], [], [], [], [], [], []
        for identity in starts:
            began = time.perf_counter()
            found = desk.network("bench", identity, hops=3)
            times.append(time.perf_counter() - began)
            nodes.append(len(found.network.nodes))
            links.append(len(found.network.links))
            graph = StoreGraph(store)
            began = time.perf_counter()
            explore(Node(NodeKind.IDENTITY, str(identity)), graph, NetworkSettings(hops=3))
            explored.append(time.perf_counter() - began)
            queries.append(graph.queries)
            reached = [int(n.id) for n in found.network.reached(NodeKind.IDENTITY)]
            began = time.perf_counter()
            store.flights_together(reached, at_least=2)
            cotravel.append(time.perf_counter() - began)
            began = time.perf_counter()
            explore(Node(NodeKind.IDENTITY, str(identity)), _NoCoTravel(store), NetworkSettings(hops=3))
            baseline.append(time.perf_counter() - began)
    finally:
        store.close()
    backend = url.split(":", 1)[0]
    result: dict[str, Any] = {
        "backend": backend,
        "occurrences": occurrences,
        "starts": len(starts),
        "network": _percentiles(times),
        "explore": _percentiles(explored),
        "explore_without_co_travel": _percentiles(baseline),
        "co_travel_query_on_reached_identities": _percentiles(cotravel),
        "nodes_median": statistics.median(nodes),
        "links_median": statistics.median(links),
        "queries_max": max(queries),
        "ratio_p95": round(_percentiles(explored)["p95_ms"] / max(0.1, _percentiles(baseline)["p95_ms"]), 2),
    }
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    print("| workload | figure | baseline (no co-travel) | ratio |\n|---|---|---|---|")
    net, exp, base = result["network"], result["explore"], result["explore_without_co_travel"]
    print(
        f"| 3-hop network through the desk (audit, labels), {backend}, {occurrences} occurrences, "
        f"{len(starts)} starts | p50 {net['p50_ms']} ms, p95 {net['p95_ms']} ms, max {net['max_ms']} ms | | |"
    )
    print(
        f"| 3-hop explore over the store | p50 {exp['p50_ms']} ms, p95 {exp['p95_ms']} ms, "
        f"max {exp['max_ms']} ms | p50 {base['p50_ms']} ms, p95 {base['p95_ms']} ms, "
        f"max {base['max_ms']} ms | {result['ratio_p95']} |"
    )
    co = result["co_travel_query_on_reached_identities"]
    print(f"| co-travel query on a network's identities | p50 {co['p50_ms']} ms, p95 {co['p95_ms']} ms | | |")
    print(
        f"nodes (median) {result['nodes_median']}, links (median) {result['links_median']}, "
        f"queries per network (max) {result['queries_max']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
