"""The one `openpiu` command.

Exit status: 0 when everything asked for was done, 1 when some input failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from openpiu.clock import SystemClock
from openpiu.services.parsing import (
    MessageSummary,
    describe,
    outcome_json,
    parse_files,
    summarise,
)
from openpiu.settings import Settings, SettingsError
from openpiu.synth.corpus import write_demo_files

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_NOT_MESSAGES = {"LICENSE", "README.md", ".gitattributes"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openpiu", description="openpiu: an open Passenger Information Unit."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    parse = commands.add_parser(
        "parse",
        help="read PNRGOV (EDIFACT or XML) and PAXLST files and describe each message",
        description=(
            "Read each file (format detected by content) and print a summary per message, or with "
            "--json one JSON object per message on its own line. Exit 0 when every message was "
            "read, 1 when any failed, 2 for a usage error."
        ),
    )
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--json", action="store_true", help="one JSON object per message and line")

    demo = commands.add_parser(
        "demo",
        help="read the public sample messages and generated traffic, and show what they hold",
        description=(
            "Generate one push (PNRGOV EDIFACT, PNRGOV XML and PAXLST) into <data dir>/demo, read it "
            "together with the public samples in the shared folder, and print a summary."
        ),
    )
    demo.add_argument("--shared", metavar="DIR", help="the shared folder with samples/ (default ../shared)")
    demo.add_argument(
        "--bookings", type=int, default=200, help="bookings in the generated push (default 200)"
    )
    demo.add_argument("--seed", type=int, default=1, help="seed of the generated traffic (default 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command == "parse":
        return _parse(args.files, as_json=args.json)
    if args.command == "demo":
        return _demo(args.shared, bookings=args.bookings, seed=args.seed)
    parser.print_usage(sys.stderr)  # pragma: no cover - argparse requires a command
    return EXIT_USAGE


def _parse(files: Sequence[str], *, as_json: bool) -> int:
    failed = False
    out = sys.stdout
    for result in parse_files(files, received_on=SystemClock().now().date()):
        failed = failed or result.failed
        for outcome in result.outcomes:
            if as_json:
                out.write(json.dumps(outcome_json(result.path, outcome), ensure_ascii=False) + "\n")
            else:
                out.write(describe(summarise(result.path, outcome)) + "\n")
    out.flush()
    return EXIT_FAILED if failed else EXIT_OK


def _shared_folder(option: str | None) -> Path:
    if option:
        return Path(option)
    return Path(os.environ.get("OPENPIU_SHARED_DIR") or "../shared")


def _demo(shared_option: str | None, *, bookings: int, seed: int) -> int:
    # A pipe or a CI log is not a terminal: give the table room rather than 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE
    generated = write_demo_files(settings.data_dir / "demo", seed=seed, bookings=bookings)
    samples_dir = _shared_folder(shared_option) / "samples"
    samples = sorted(p for p in samples_dir.glob("*/*") if p.is_file() and p.name not in _NOT_MESSAGES)
    if not samples:
        console.print(
            f"[yellow]No sample messages at {samples_dir}: showing generated traffic only.[/yellow]"
        )
    summaries = [
        summarise(_short(result.path, samples_dir), outcome)
        for result in parse_files([*samples, *generated], received_on=SystemClock().now().date())
        for outcome in result.outcomes
    ]
    console.print(_table(summaries))
    console.print(_totals(summaries))
    console.print(
        f"\nGenerated files are in [bold]{settings.data_dir / 'demo'}[/bold]; "
        "read any message with [bold]uv run openpiu parse FILE --json[/bold]."
    )
    return EXIT_FAILED if any(s.error for s in summaries) else EXIT_OK


def _short(path: str, samples_dir: Path) -> str:
    try:
        return str(Path(path).relative_to(samples_dir))
    except ValueError:
        return Path(path).name


def _table(summaries: list[MessageSummary]) -> Table:
    table = Table(title="Messages read", show_lines=False, header_style="bold")
    for column, justify in [
        ("file", "left"),
        ("type", "left"),
        ("version", "left"),
        ("flight", "left"),
        ("bookings", "right"),
        ("travellers", "right"),
        ("API persons", "right"),
        ("documents", "right"),
        ("warnings", "right"),
    ]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in summaries:
        if s.error:
            table.add_row(s.file, "[red]failed[/red]", "", s.error[:60], "", "", "", "", "")
            continue
        c = s.counts
        pnr = s.kind != "PAXLST"
        table.add_row(
            s.file,
            s.kind,
            s.version or "?",
            s.flight or "",
            str(c.bookings) if pnr else "",
            str(c.travellers) if pnr else "",
            "" if pnr else str(c.persons),
            str(c.documents),
            str(len(s.warning_codes)) if s.warning_codes else "",
        )
    return table


def _totals(summaries: list[MessageSummary]) -> str:
    pnr = [s for s in summaries if s.kind in ("PNRGOV", "PNRGOV_XML")]
    api = [s for s in summaries if s.kind == "PAXLST"]
    failed = [s for s in summaries if s.error]
    codes = Counter(code for s in summaries for code in s.warning_codes)
    lines = [
        f"[bold]{len(summaries)} messages[/bold]: {len(pnr)} PNRGOV, {len(api)} PAXLST, {len(failed)} failed",
        f"PNR: {sum(s.counts.bookings for s in pnr)} bookings, {sum(s.counts.travellers for s in pnr)} "
        f"travellers ({sum(s.counts.infants for s in pnr)} infants), "
        f"{sum(s.counts.documents for s in pnr)} travel documents",
        f"API: {sum(s.counts.persons for s in api)} persons ({sum(s.counts.crew for s in api)} crew)",
        "Most frequent warnings: "
        + (", ".join(f"{code} x{n}" for code, n in codes.most_common(6)) or "none"),
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
