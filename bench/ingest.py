"""Ingest benchmark: a generated day end to end (parse, protect, reconcile, persist), SQLite and PostgreSQL.

    uv run python bench/ingest.py [--scale 0.05] [--world DIR] [--backends sqlite,postgresql]
                                  [--postgres URL] [--readers N] [--json]

Workload: `openpiu generate` at `--scale` (1.0 is a large country's day; the full target is a German-scale
day of about 1.5 million booking records), cached in `--world` (default bench/out/world-<scale>-seed<seed>)
and reused when it is there. Each backend gets a fresh database and a fresh child process that runs
`openpiu.services.ingest.ingest_paths` on every message file (as `openpiu ingest` does, with its reader
processes), so the peak memory measured (in the child) belongs to that run alone:
SQLite in a file in a temporary folder, PostgreSQL in a private schema dropped at the end.

Figures, per backend: booking records per second (one booking record = one PNR in one push = one stored
booking version, counted from the database), travellers and messages per second, the wall time of the
ingest, and the peak memory of the writing process (VmHWM, where Linux has it) and of its largest reader
process (getrusage ru_maxrss: forked from the writer, it counts the pages they share). Targets: at least
2,000 booking records/s on SQLite and 1,500/s on PostgreSQL, under 2 GB. And where the CPU went: the
seconds of the ingesting process, of its readers and writing processes, and of PostgreSQL's server when
it runs on this machine (read from /proc), per booking record beside what the wall time gave on all CPUs.

Baseline, in the same run: parsing the same files alone with `openpiu.formats.reader.read_messages`, one
core, in a child process of its own: the reader's speed, the ceiling the pipeline would reach if storing
cost nothing and reading were not spread over processes. The ratio is ingest / parse.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGETS = {"sqlite": 2_000, "postgresql": 1_500}  # booking records per second
TARGET_MEMORY_MB = 2_048
FULL_DAY_RECORDS = 1_500_000
CARD_KEY = bytes(32)


# --- the world -----------------------------------------------------------------------------------


def world(folder: Path, scale: float, seed: int) -> dict[str, Any]:
    """The world's summary; generated into `folder` unless a complete one of this scale and seed is there."""
    summary_file = folder / "truth" / "summary.json"
    if (folder / ".complete").exists() and summary_file.exists():
        summary: dict[str, Any] = json.loads(summary_file.read_text())
        if summary.get("scale") == scale and summary.get("seed") == seed:
            return summary
        raise SystemExit(
            f"{folder} holds a world of scale {summary.get('scale')}, seed {summary.get('seed')}"
        )
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    summary = in_child("generate", str(folder), str(scale), str(seed))  # keeps this process small
    (folder / ".complete").write_text("complete\n")
    print(f"generated scale {scale:g} in {time.perf_counter() - started:.0f} s -> {folder}", file=sys.stderr)
    return summary


def child_generate(folder: Path, scale: float, seed: int) -> dict[str, Any]:
    from openpiu.synth.world import generate, world_params

    summary: dict[str, Any] = generate(world_params(seed=seed, scale=scale), folder)
    return summary


def message_files(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "messages").iterdir() if p.is_file())


# --- the child processes -------------------------------------------------------------------------


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest waited-for child (its readers, and on
    PostgreSQL its writing processes), MB.

    This process's own peak is VmHWM where Linux has it: getrusage's ru_maxrss survives exec, so in a
    child it would start at the RSS its parent had when it forked."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) / 1024
    except OSError:
        pass
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user + system) of this process, and of its children waited for (its readers and
    writing processes, or the fork server that started them, with them), s."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def server_cpu_seconds() -> float | None:
    """CPU time PostgreSQL's processes on this machine have used, s, or None where it cannot be read.

    Each live server process counts its own; a backend that ended (a writer's connection closed) is counted
    by the server's main process, which waited for it (its children's time in /proc). So the difference
    between two readings is the server's work between them: its backends, and its background writers."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    found = False
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        if name not in ("postgres", "postmaster"):
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        # utime, stime, cutime, cstime: fields 14-17 of the line, 12-15 after the name
        total += sum(int(v) for v in fields[11:15]) / tick
        found = True
    return total if found else None


def child_parse(folder: Path) -> dict[str, Any]:
    from openpiu.formats.errors import ParseError
    from openpiu.formats.reader import read_messages
    from openpiu.model import PnrPush

    files = message_files(folder)
    received_on = datetime.now(UTC).date()
    records = travellers = messages = failed = 0
    started = time.perf_counter()
    for path in files:
        for outcome in read_messages(path.read_bytes(), source=path.name, received_on=received_on):
            messages += 1
            if isinstance(outcome, ParseError):
                failed += 1
            elif isinstance(outcome, PnrPush):
                records += len(outcome.bookings)
                travellers += sum(len(b.travellers) for b in outcome.bookings)
    elapsed = time.perf_counter() - started
    own, _ = peak_mb()
    return {
        "seconds": elapsed,
        "booking_records": records,
        "travellers": travellers,
        "messages": messages,
        "failed": failed,
        "peak_mb": own,
    }


def child_ingest(folder: Path, url: str, readers: int | None) -> dict[str, Any]:
    from openpiu.clock import SystemClock
    from openpiu.pipeline.reading import stop_helper_server
    from openpiu.services.ingest import POSTGRES_WRITERS, ingest_paths, status, writer_count
    from openpiu.store import upgrade

    clock = SystemClock()
    upgrade(url)
    server_before = server_cpu_seconds() if url.startswith("postgresql") else None
    own_before, helpers_before = cpu_seconds()
    started = time.perf_counter()
    writers = POSTGRES_WRITERS if writer_count(url, POSTGRES_WRITERS) > 1 else None
    summary = ingest_paths(
        [folder / "messages"], url=url, clock=clock, card_key=CARD_KEY, readers=readers, writers=writers
    )
    elapsed = time.perf_counter() - started
    stop_helper_server()  # the readers and writers it forked then count among this process's children
    own_after, helpers_after = cpu_seconds()
    server_after = server_cpu_seconds() if server_before is not None else None
    own, readers_peak = peak_mb()
    counts = status(url, clock=clock)
    return {
        "seconds": elapsed,
        "booking_records": counts["booking_versions"],
        "travellers": counts["travellers"],
        "messages": counts["messages"]["received"] + counts["messages"]["duplicates"],  # deliveries
        "distinct_messages": counts["messages"]["received"],
        "quarantined": counts["messages"]["quarantined"],
        "files": summary.files,
        "peak_mb": own,
        "reader_peak_mb": readers_peak,
        # PostgreSQL: writing processes of their own (this one reads and hands on); SQLite: this one writes
        "writers": writers or 0,
        "status": counts,
        # CPU seconds of the ingest: this process (the writer, or the one handing files on), its readers
        # and writing processes, and PostgreSQL's server when it runs here (None: not measured)
        "cpu": {
            "this_process": own_after - own_before,
            "helpers": helpers_after - helpers_before,
            "server": None if server_before is None or server_after is None else server_after - server_before,
        },
    }


def in_child(*args: str) -> dict[str, Any]:
    """Run this program in `--child` mode in a fresh interpreter; its result is its last stdout line."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- databases -----------------------------------------------------------------------------------


def postgres_schema(base: str) -> tuple[str, str] | str:
    """(url scoped to a new schema, schema), or why PostgreSQL cannot be used."""
    import sqlalchemy as sa

    engine = sa.create_engine(base, connect_args={"connect_timeout": 3})
    schema = f"openpiu_bench_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    finally:
        engine.dispose()
    scoped = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def drop_schema(base: str, schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(base)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        engine.dispose()


def run_backend(backend: str, folder: Path, args: argparse.Namespace) -> dict[str, Any] | str:
    readers = [] if args.readers is None else ["--readers", str(args.readers)]
    if backend == "sqlite":
        scratch = Path(tempfile.mkdtemp(prefix="openpiu-bench-"))
        try:
            return in_child("ingest", str(folder), f"sqlite:///{scratch / 'openpiu.db'}", *readers)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    made = postgres_schema(args.postgres)
    if isinstance(made, str):
        return f"PostgreSQL not reachable at {args.postgres}: {made}"
    url, schema = made
    try:
        return in_child("ingest", str(folder), url, *readers)
    finally:
        drop_schema(args.postgres, schema)


# --- report --------------------------------------------------------------------------------------


def machine() -> str:
    model = ""
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({model or platform.processor() or platform.machine()}){memory}, "
        f"{platform.python_implementation()} {platform.python_version()}, {platform.system()}"
    )


def rates(run: dict[str, Any]) -> dict[str, float]:
    s = run["seconds"]
    return {k: run[k] / s for k in ("booking_records", "travellers", "messages")}


def table(report: dict[str, Any]) -> list[str]:
    base = report["baseline"]
    base_rates = rates(base)
    rows: list[tuple[str, str, str, str, str]] = []
    for backend, run in report["runs"].items():
        if isinstance(run, str):
            continue  # said in the header
        ours = rates(run)
        target = TARGETS[backend]
        met = "met" if ours["booking_records"] >= target else "not met"
        for key, name in (("booking_records", "booking records/s"), ("travellers", "travellers/s")):
            rows.append(
                (
                    f"{backend}: {name} (vs parse only)",
                    f"{ours[key]:,.0f}",
                    f"{base_rates[key]:,.0f}",
                    f"{ours[key] / base_rates[key]:.2f}x",
                    f">= {target:,}: {met}" if key == "booking_records" else "",
                )
            )
        rows.append(
            (
                f"{backend}: messages/s (vs parse only)",
                f"{ours['messages']:,.1f}",
                f"{base_rates['messages']:,.1f}",
                f"{ours['messages'] / base_rates['messages']:.2f}x",
                "",
            )
        )
        rows.append(
            (
                f"{backend}: wall time, s (vs parse only)",
                f"{run['seconds']:,.1f}",
                f"{base['seconds']:,.1f}",
                f"{run['seconds'] / base['seconds']:.2f}x",
                "",
            )
        )
        peak = run["peak_mb"]
        helpers = report["readers"] + run.get("writers", 0)  # the writing processes beside this one
        memory_met = "met" if peak + run["reader_peak_mb"] * helpers < TARGET_MEMORY_MB else "not met"
        rows.append(
            (
                f"{backend}: peak memory MB, writer (vs parse only)",
                f"{peak:,.0f}",
                f"{base['peak_mb']:,.0f}",
                f"{peak / base['peak_mb']:.2f}x",
                f"< {TARGET_MEMORY_MB:,}: {memory_met}",
            )
        )
        rows.append(
            (f"{backend}: peak memory MB, each reader or writer", f"{run['reader_peak_mb']:,.0f}", "", "", "")
        )
        cpu = run.get("cpu")
        if cpu is not None:
            parts = [cpu["this_process"], cpu["helpers"], cpu["server"] or 0.0]
            available = run["seconds"] * (os.cpu_count() or 1)
            rows.append(
                (
                    f"{backend}: CPU s: this process / readers and writers / server",
                    " / ".join(f"{p:.1f}" for p in parts[:2])
                    + (f" / {cpu['server']:.1f}" if cpu["server"] is not None else " / -"),
                    "",
                    "",
                    "",
                )
            )
            rows.append(
                (
                    f"{backend}: CPU ms per booking record (of wall x CPUs)",
                    f"{sum(parts) / run['booking_records'] * 1000:.2f}",
                    f"{available / run['booking_records'] * 1000:.2f}",
                    f"{sum(parts) / available:.2f}x",
                    "",
                )
            )
        full = FULL_DAY_RECORDS / ours["booking_records"] / 60
        rows.append(
            (f"{backend}: a {FULL_DAY_RECORDS / 1e6:.1f} M-record day, min", f"{full:,.0f}", "", "", "")
        )
    widths = [max(len(r[i]) for r in [*rows, HEADER]) for i in range(5)]
    lines = [_row(HEADER, widths), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines.extend(_row(r, widths) for r in rows)
    return lines


HEADER = ("workload", "openpiu", "baseline", "ratio", "target")


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    return (
        "| "
        + " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        + " |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--scale", type=float, default=0.05, help="world scale (default 0.05; 1.0 = a large day)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, help="cache folder of the world (default bench/out/world-...)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, metavar="URL", help="PostgreSQL server")
    parser.add_argument("--readers", type=int, help="reader processes of the ingest (default: its own)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        what, folder, *rest = args.child
        if what == "generate":
            result = child_generate(Path(folder), float(rest[0]), int(rest[1]))
        elif what == "parse":
            result = child_parse(Path(folder))
        else:
            result = child_ingest(Path(folder), rest[0], args.readers)
        print(json.dumps(result))
        return 0

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(TARGETS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    folder = (args.world or HERE / "out" / f"world-{args.scale:g}-seed{args.seed}").resolve()
    summary = world(folder, args.scale, args.seed)
    files = message_files(folder)
    size = sum(p.stat().st_size for p in files)

    baseline = in_child("parse", str(folder))
    runs: dict[str, dict[str, Any] | str] = {}
    for backend in backends:
        runs[backend] = run_backend(backend, folder, args)
        if isinstance(runs[backend], str):
            print(f"{backend} skipped: {runs[backend]}", file=sys.stderr)
    readers = max(0, (os.cpu_count() or 1) - 1) if args.readers is None else args.readers
    report = {
        "machine": machine(),
        "scale": args.scale,
        "seed": args.seed,
        "world": summary,
        "files": len(files),
        "megabytes": size / 1e6,
        "readers": readers,
        "baseline": baseline,
        "runs": runs,
        "targets": {"booking_records_per_s": TARGETS, "memory_mb": TARGET_MEMORY_MB},
    }
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return 0
    print(
        f"# openpiu ingest benchmark: scale {args.scale:g}, seed {args.seed}: {len(files):,} files, "
        f"{size / 1e6:.1f} MB, {summary['flights']:,} flights"
    )
    print(
        f"# parsed: {baseline['booking_records']:,} booking records, {baseline['travellers']:,} travellers, "
        f"{baseline['messages']:,} messages ({baseline['failed']} broken on purpose)"
    )
    for backend, run in runs.items():
        if isinstance(run, str):
            print(f"# {backend}: skipped: {run}")
        else:
            print(
                f"# {backend}: stored {run['booking_records']:,} booking records, {run['travellers']:,} "
                f"travellers, {run['distinct_messages']:,} messages ({run['messages']:,} deliveries, "
                f"{run['quarantined']} quarantined)"
            )
    from openpiu.services.ingest import POSTGRES_WRITERS

    print(
        f"# {report['machine']}; ingest: {readers} reader process(es), and 1 process that writes (SQLite)"
        f" or {POSTGRES_WRITERS} writing processes fed by it (PostgreSQL, `--writers {POSTGRES_WRITERS}`);"
        " parse: one core"
    )
    print()
    for line in table(report):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
