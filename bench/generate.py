"""World-generation benchmark: how long a large country's day takes to generate and write.

    uv run python bench/generate.py [--scale 1.0] [--days 1] [--out DIR]

Workload: `openpiu generate` at the given scale (1.0 is about 400,000 travellers in and out of the
country in a day, each pushed three times). Prints our figures beside the baseline of only writing
the same bytes again (the floor of any generator: file output), and the ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from openpiu.synth.world import generate, world_params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="keep the world here (default: a temporary folder)")
    args = parser.parse_args(argv)
    folder = args.out or Path(tempfile.mkdtemp(prefix="openpiu-world-"))
    try:
        started = time.perf_counter()
        summary = generate(world_params(seed=args.seed, days=args.days, scale=args.scale), folder)
        elapsed = time.perf_counter() - started
        files = sorted((folder / "messages").iterdir())
        size = sum(p.stat().st_size for p in files)
        copy = Path(tempfile.mkdtemp(prefix="openpiu-copy-"))
        started = time.perf_counter()
        for path in files:
            (copy / path.name).write_bytes(path.read_bytes())
        floor = time.perf_counter() - started
        shutil.rmtree(copy)
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)
    occurrences = summary["traveller_occurrences"]
    print(f"# openpiu generate: scale {args.scale}, {args.days} day(s), seed {args.seed}")
    print(f"# {json.dumps(summary, sort_keys=True)}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, one core")
    print()
    print(f"| {'workload':<40} | {'openpiu':>12} | {'baseline (copy)':>16} | {'ratio':>7} |")
    print(f"|{'-' * 42}|{'-' * 14}|{'-' * 18}|{'-' * 9}|")
    print(f"| {'wall time, s':<40} | {elapsed:>12.1f} | {floor:>16.1f} | {elapsed / floor:>6.0f}x |")
    print(f"| {'traveller occurrences/s':<40} | {occurrences / elapsed:>12,.0f} | {'':>16} | {'':>7} |")
    mb = size / 1e6
    print(f"| {'MB/s of messages':<40} | {mb / elapsed:>12.2f} | {mb / floor:>16.1f} | {'':>7} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
