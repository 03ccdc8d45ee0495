"""Parsing benchmark: openpiu's full PNRGOV parse beside pydifact's tokenizer and the split floor.

    uv run python bench/parse.py [--mb 200] [--seed 0] [--baseline-mb MB]

Workload: `--mb` megabytes of generated PNRGOV interchanges (openpiu.synth.corpus: pushes of 5-300
bookings, 1-9 travellers each, documents, contacts, tickets, check-ins, history; five layouts of
service characters, versions and line breaks). The corpus is cached in bench/out/.

Figures, all on one core in this process:
- openpiu, full parse: bytes to typed records (`read_messages`): MB/s, bookings/s, travellers/s.
- openpiu, tokenize only: bytes to segments (`read_interchanges`).
- pydifact 0.2.3, tokenize only (`Tokenizer.get_tokens`), on the same bytes (or the first
  `--baseline-mb` of them: it is slow); interchanges it rejects are counted, not timed.
- floor: `bytes.split` on the segment terminator, the least any reader must do.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from pydifact.control.characters import Characters
from pydifact.parser import Parser
from pydifact.tokenizer import Tokenizer

from openpiu.formats.edifact import read_interchanges
from openpiu.formats.errors import ParseError
from openpiu.formats.reader import read_messages
from openpiu.model import PnrPush
from openpiu.synth.corpus import generate

HERE = Path(__file__).resolve().parent
TARGET_TRAVELLERS_PER_S = 20_000
TARGET_RATIO_PYDIFACT = 5.0


def corpus(mb: float, seed: int) -> list[bytes]:
    folder = HERE / "out" / f"pnrgov-{mb:g}mb-seed{seed}"
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        for i, data in enumerate(generate(int(mb * 1_000_000), seed=seed), 1):
            (folder / f"{i:05d}.edi").write_bytes(data)
        (folder / "done").write_text("complete\n")
        print(f"generated {mb:g} MB in {time.perf_counter() - started:.0f} s -> {folder}", file=sys.stderr)
    return [p.read_bytes() for p in sorted(folder.glob("*.edi"))]


def timed(work: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def full_parse(chunks: list[bytes]) -> tuple[int, int, int]:
    bookings = travellers = failures = 0
    for data in chunks:
        for outcome in read_messages(data, source="bench"):
            if isinstance(outcome, ParseError):
                failures += 1
            elif isinstance(outcome, PnrPush):
                bookings += len(outcome.bookings)
                travellers += sum(len(b.travellers) for b in outcome.bookings)
    return bookings, travellers, failures


def tokenize_only(chunks: list[bytes]) -> int:
    return sum(len(m.segments) for data in chunks for ic in read_interchanges(data) for m in ic.messages)


def pydifact_tokens(chunks: list[bytes]) -> tuple[int, int, int]:
    """Tokens counted, bytes tokenized, interchanges rejected."""
    tokens = done = rejected = 0
    for data in chunks:
        text = data.decode("utf-8")
        characters = Parser.get_control_characters(text, Characters())
        body = text[9:] if text.startswith("UNA") else text
        try:
            counter = deque(enumerate(Tokenizer().get_tokens(body, characters), 1), maxlen=1)
        except Exception:
            rejected += 1
            continue
        tokens += counter[0][0] if counter else 0
        done += len(data)
    return tokens, done, rejected


def split_floor(chunks: list[bytes]) -> int:
    pieces = 0
    for data in chunks:
        terminator = data[8:9] if data.startswith(b"UNA") else b"'"
        pieces += len(data.split(terminator))
    return pieces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=200.0, help="megabytes of PNRGOV (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-mb", type=float, help="megabytes given to pydifact (default: all)")
    args = parser.parse_args(argv)

    chunks = corpus(args.mb, args.seed)
    size = sum(map(len, chunks))
    mb = size / 1_000_000
    baseline_chunks: list[bytes] = []
    for data in chunks:
        if args.baseline_mb is not None and sum(map(len, baseline_chunks)) >= args.baseline_mb * 1_000_000:
            break
        baseline_chunks.append(data)

    full_s, full = timed(lambda: full_parse(chunks))
    bookings, travellers, failures = full  # type: ignore[misc]
    tok_s, segments = timed(lambda: tokenize_only(chunks))
    floor_s, pieces = timed(lambda: split_floor(chunks))
    py_s, py = timed(lambda: pydifact_tokens(baseline_chunks))
    _tokens, py_bytes, py_rejected = py  # type: ignore[misc]
    py_mbs = (py_bytes / 1_000_000) / py_s if py_s and py_bytes else float("nan")

    ours_tok_mbs = mb / tok_s
    rows = [
        ("full parse to records, MB/s", f"{mb / full_s:.2f}", "", ""),
        ("full parse, bookings/s", f"{bookings / full_s:,.0f}", "", ""),
        (
            "full parse, travellers/s",
            f"{travellers / full_s:,.0f}",
            f"{TARGET_TRAVELLERS_PER_S:,} (target)",
            "",
        ),
        (
            "tokenize only, MB/s (vs pydifact)",
            f"{ours_tok_mbs:.2f}",
            f"{py_mbs:.2f}",
            f"{ours_tok_mbs / py_mbs:.1f}x",
        ),
        (
            "full parse, MB/s (vs pydifact tokenize)",
            f"{mb / full_s:.2f}",
            f"{py_mbs:.2f}",
            f"{mb / full_s / py_mbs:.1f}x",
        ),
        (
            "tokenize only, MB/s (vs split floor)",
            f"{ours_tok_mbs:.2f}",
            f"{mb / floor_s:.1f}",
            f"{ours_tok_mbs / (mb / floor_s):.2f}x",
        ),
    ]
    print(f"# openpiu parse benchmark: {mb:.1f} MB, {len(chunks)} interchanges, {segments:,} segments")
    print(
        f"# {bookings:,} bookings, {travellers:,} travellers, {failures} messages failed; "
        f"split floor {pieces:,} pieces"
    )
    print(
        f"# pydifact on {py_bytes / 1_000_000:.1f} MB ({len(baseline_chunks) - py_rejected} interchanges), "
        f"rejected {py_rejected}"
    )
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, one core")
    print()
    print(f"| {'workload':<42} | {'openpiu':>10} | {'baseline':>20} | {'ratio':>7} |")
    print(f"|{'-' * 44}|{'-' * 12}|{'-' * 22}|{'-' * 9}|")
    for name, ours, base, ratio in rows:
        print(f"| {name:<42} | {ours:>10} | {base:>20} | {ratio:>7} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
