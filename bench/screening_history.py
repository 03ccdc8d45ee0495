"""What the journey features cost at screening time: a generated day ingested three times on SQLite.

    uv run python bench/screening_history.py [--scale 0.02] [--seed 1] [--world DIR] [--json]

Workload: the world of `bench/ingest.py` (`openpiu generate` at `--scale`, cached in `--world`, default
bench/out/world-<scale>-seed<seed>), ingested with `openpiu.services.ingest.ingest_paths` into a fresh
SQLite database per run, with identity resolution and screening, as `openpiu ingest` does:

1. **no criteria**: screening has nothing to screen with (the baseline of the other two);
2. **booking criteria**: a criterion on the booking alone (`one_way is true`), so every
   traveller's features are computed and evaluated, but no travel history is read;
3. **journey criteria**: the same, and a criterion on `broken_travel` and `countries_30d`: every screened
   traveller's travel history is read from the store (their identity's bookings, two queries per push)
   and chained.

The ratio of run 3 to run 2 is what reading the histories adds to ingest; both are printed with booking
records per second (stored booking versions, counted from the database) and the hits raised. One process,
no child: the figures are wall times on whatever else the machine runs, so compare runs of one invocation.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ingest import world  # noqa: E402 (the same cached world as the ingest benchmark)
from openpiu.clock import SystemClock  # noqa: E402
from openpiu.model import HitKind  # noqa: E402
from openpiu.services.criteria import activate_file  # noqa: E402
from openpiu.services.ingest import ingest_paths  # noqa: E402
from openpiu.store import create_engine, open_store, upgrade  # noqa: E402
from openpiu.store import schema as t  # noqa: E402

CRITERION = """
- id: {id}
  title: {id}
  owner: bench
  purpose: terrorism
  version: "1"
  approval: {{approved_by: bench, approved_on: {approved}}}
  review_date: {review}
  expires_on: {expires}
  priority: 3
  condition:
{condition}
"""
BOOKING = "    all:\n      - {feature: one_way, is: true}\n"
JOURNEY = (
    "    any:\n      - {feature: broken_travel, is: true}\n      - {feature: countries_30d, at_least: 4}\n"
)
RUNS = {
    "no criteria": (),
    "booking criteria": (("B-1", BOOKING),),
    "journey criteria": (("B-1", BOOKING), ("J-1", JOURNEY)),
}


def run(folder: Path, criteria: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="openpiu-bench-history-"))
    try:
        url = f"sqlite:///{scratch / 'openpiu.db'}"
        upgrade(url)
        clock = SystemClock()
        today = clock.now().date()
        for identifier, condition in criteria:
            path = scratch / f"{identifier}.yml"
            path.write_text(
                CRITERION.format(
                    id=identifier,
                    approved=(today - timedelta(days=1)).isoformat(),
                    review=(today + timedelta(days=60)).isoformat(),
                    expires=(today + timedelta(days=120)).isoformat(),
                    condition=condition,
                )
            )
            activate_file(path, url, clock, actor="bench")
        files = sorted(p for p in (folder / "messages").iterdir() if p.is_file())
        started = time.perf_counter()
        ingest_paths(files, url=url, clock=clock, card_key=bytes(32))
        seconds = time.perf_counter() - started
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                records = connection.execute(
                    sa.select(sa.func.count()).select_from(t.booking_versions)
                ).scalar_one()
        finally:
            engine.dispose()
        store = open_store(url, clock=clock)
        try:
            hits = [h.hit for h in store.hits(limit=10_000_000)]
        finally:
            store.close()
        by_source: dict[str, int] = {}
        for hit in hits:
            if hit.kind is HitKind.CRITERION:
                by_source[hit.source_id] = by_source.get(hit.source_id, 0) + 1
        return {"seconds": seconds, "records": records, "per_second": records / seconds, "hits": by_source}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, help="cache folder of the world (default bench/out/world-...)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args()
    folder = args.world or HERE / "out" / f"world-{args.scale:g}-seed{args.seed}"
    world(folder, args.scale, args.seed)
    results = {name: run(folder, criteria) for name, criteria in RUNS.items()}
    added = results["journey criteria"]["seconds"] / results["booking criteria"]["seconds"]
    if args.json:
        print(
            json.dumps(
                {"scale": args.scale, "at": datetime.now(UTC).isoformat(), "runs": results, "ratio": added}
            )
        )
        return 0
    print(f"| run (SQLite, scale {args.scale:g}) | seconds | booking records | records/s | criterion hits |")
    print("|---|---:|---:|---:|---|")
    for name, found in results.items():
        hits = ", ".join(f"{k} {v}" for k, v in sorted(found["hits"].items())) or "-"
        print(
            f"| {name} | {found['seconds']:.1f} | {found['records']} | {found['per_second']:.0f} | {hits} |"
        )
    print(f"\njourney criteria / booking criteria: {added:.2f} (what reading the travel histories adds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
