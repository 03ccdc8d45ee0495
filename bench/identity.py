"""Identity benchmark: traveller identities against a generated world's truth, their cost, and baselines.

    uv run python bench/identity.py [--scale 0.01] [--days 3] [--seed 1] [--world DIR]
                                    [--backends sqlite,postgresql] [--postgres URL] [--json]

Workload: `openpiu generate` with `--days` days at `--scale` (1.0 is a large country's day; several days so
that people recur: connections, returns, a population that books again), cached under `--world` (default
bench/out). Two worlds by default (`--noise 0,0.3`): the generator's own (every booking traveller entered as
on their passport: the target's world), and one whose booking tools enter 30 % of travellers unlike their
documents (another spelling, no DOCS so no document nor date of birth, another document;
`openpiu generate --identity-noise`). Each run is a fresh child process ingesting every file
with `openpiu.services.ingest.ingest_paths` (its reader processes included) into a fresh database: once
with identities resolved (as always), once without (`identities=False`, only to measure what resolving
costs; on the first world), back to back in the same conditions.

Figures:

* **Pairwise precision and recall** of `openpiu identity export --json` against truth/travellers.jsonl and
  truth/api_persons.jsonl (see `openpiu.synth.evaluation`: pairs of occurrences in one identity versus pairs
  of one person; placeholders left out). Targets: precision >= 0.99, recall >= 0.97.
* **Throughput**: occurrences resolved per second by the store's identity step in the writing process (its
  CPU time: key look-up, the rule, writing), and by the pure rule alone (evidence keys and `resolve` over
  the parsed messages, one core, no database); the ingest's wall time and the writer's CPU time with and
  without identities, and their ratio (the cost of resolving inside ingest).
* **Peak memory** of the writing process (VmHWM) with identities.

Baselines, measured in the same run over the same parsed messages: exact document linking (occurrences
sharing a document number and issuing state are one person, nothing else links), and a GTAS-like exact key
(the same surname, given names, date of birth and gender). The ratio is openpiu / baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CARD_KEY = bytes(32)
TARGETS = {"precision": 0.99, "recall": 0.97}


# --- the world -----------------------------------------------------------------------------------


def world(folder: Path, scale: float, days: int, seed: int, noise: float) -> dict[str, Any]:
    summary_file = folder / "truth" / "summary.json"
    made = folder / ".complete"
    if made.exists() and summary_file.exists() and made.read_text().strip() == f"noise {noise}":
        summary: dict[str, Any] = json.loads(summary_file.read_text())
        if (summary.get("scale"), summary.get("days"), summary.get("seed")) == (scale, days, seed):
            return summary
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    summary = in_child("generate", str(folder), str(scale), str(days), str(seed), str(noise))
    made.write_text(f"noise {noise}\n")
    print(f"generated in {time.perf_counter() - started:.0f} s -> {folder}", file=sys.stderr)
    return summary


def child_generate(folder: Path, scale: float, days: int, seed: int, noise: float) -> dict[str, Any]:
    from openpiu.synth.world import generate, world_params

    params = world_params(seed=seed, days=days, scale=scale, identity_noise=noise)
    summary: dict[str, Any] = generate(params, folder)
    return summary


# --- the child processes -------------------------------------------------------------------------


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ingest(folder: Path, url: str, identities: bool) -> dict[str, Any]:
    from openpiu.clock import SystemClock
    from openpiu.services.identity import export_identities
    from openpiu.services.ingest import ingest_paths
    from openpiu.store import SqlStore, upgrade
    from openpiu.synth.evaluation import export_key, pairwise, read_truth

    # The store's identity step, timed where it runs (the writing process).
    spent = {"cpu": 0.0, "wall": 0.0}
    for name in ("resolve_push", "resolve_list"):
        original = getattr(SqlStore, name)

        def timed(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                spent["cpu"] += time.process_time() - cpu
                spent["wall"] += time.perf_counter() - wall

        setattr(SqlStore, name, timed)
    clock = SystemClock()
    upgrade(url)
    cpu, wall = time.process_time(), time.perf_counter()
    summary = ingest_paths(
        [folder / "messages"], url=url, clock=clock, card_key=CARD_KEY, identities=identities
    )
    result: dict[str, Any] = {
        "seconds": time.perf_counter() - wall,
        "writer_cpu": time.process_time() - cpu,
        "identity_cpu": spent["cpu"],
        "identity_wall": spent["wall"],
        "travellers": summary.result.travellers,
        "api_persons": summary.result.api_persons,
        "identified": summary.result.identified,
        "merged": summary.result.identities_merged,
        "peak_mb": peak_mb(),
    }
    if identities:
        started = time.perf_counter()
        lines = list(export_identities(url, clock=clock, actor="bench"))
        result["export_seconds"] = time.perf_counter() - started
        found = {export_key(line): line["identity"] for line in lines}
        scores = pairwise(read_truth(folder), found)
        result["scores"] = _scores(scores)
    return result


def _scores(scores: Any) -> dict[str, Any]:
    return {
        "precision": scores.precision,
        "recall": scores.recall,
        "occurrences": scores.occurrences,
        "resolved": scores.resolved,
        "persons": scores.persons,
        "identities": scores.identities,
        "true_pairs": scores.true_pairs,
        "found_pairs": scores.found_pairs,
        "correct_pairs": scores.correct_pairs,
    }


def child_baselines(folder: Path) -> dict[str, Any]:
    """The pure rule's throughput, and the baselines' scores, over the parsed messages."""
    from datetime import UTC, datetime

    from openpiu.analysis.identity import evidence_secret, list_evidence, push_evidence, resolve
    from openpiu.formats.reader import read_messages
    from openpiu.model import PassengerList, PnrPush
    from openpiu.model.identity import Holder, ResolutionInput
    from openpiu.synth.evaluation import canonical_names, pairwise, read_truth

    names = canonical_names(folder / "messages")
    received_on = datetime.now(UTC).date()
    occurrences: list[tuple[tuple[Any, ...], Any]] = []  # (key, the record: traveller or API person)
    parsed: list[PnrPush | PassengerList] = []
    seen_files: set[str] = set()
    for path in sorted((folder / "messages").iterdir()):
        name = names[path.name]
        if name in seen_files:
            continue  # the same bytes again: one message
        seen_files.add(name)
        for outcome in read_messages(
            path.read_bytes(), source=path.name, card_key=CARD_KEY, received_on=received_on
        ):
            if isinstance(outcome, PnrPush):
                parsed.append(outcome)
                for booking in outcome.bookings:
                    for traveller in booking.travellers:
                        occurrences.append((("traveller", name, booking.locator, traveller.ref), traveller))
            elif isinstance(outcome, PassengerList):
                parsed.append(outcome)
                for index, person in enumerate(outcome.persons):
                    occurrences.append((("api", name, index), person))
    truth = read_truth(folder)

    # The pure rule: evidence and resolution of each message in turn, holders kept in memory.
    secret = evidence_secret(CARD_KEY)
    holders: dict[str, set[Holder]] = {}
    merged_into: dict[int, int] = {}  # an identity merged into another (as the store re-points them)

    def current(identity: int) -> int:
        while identity in merged_into:
            identity = merged_into[identity]
        return identity

    next_id = 0
    resolved = 0
    started = time.process_time()
    for message in parsed:
        if isinstance(message, PnrPush):
            batches = [t.keys for b in push_evidence(message, secret) for t in b.travellers]
        else:
            batches = [p.keys for p in list_evidence(message, secret)]
        found = {
            k[1]: tuple({Holder(current(h.identity), h.birth) for h in holders.get(k[1], ())})
            for keys in batches
            for k in keys
        }
        plan = resolve(ResolutionInput(occurrences=tuple(batches), holders=found))
        for group in plan.groups:
            if group.identities:
                target = group.identities[0]
                for absorbed in group.identities[1:]:
                    merged_into[absorbed] = target
            else:
                next_id += 1
                target = next_id
            for joined in group.occurrences:
                for k in batches[joined.occurrence]:
                    holders.setdefault(k[1], set()).add(Holder(target, k[2]))
        resolved += len(batches)
    pure_cpu = time.process_time() - started

    def group_by(key_of: Any) -> dict[tuple[Any, ...], Any]:
        """Union-find over the occurrences by the keys `key_of` gives each."""
        parent = list(range(len(occurrences)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        first: dict[Any, int] = {}
        for i, (_, record) in enumerate(occurrences):
            for value in key_of(record):
                j = first.setdefault(value, i)
                parent[find(i)] = find(j)
        return {key: find(i) for i, (key, _) in enumerate(occurrences)}

    def documents(record: Any) -> list[tuple[str, str]]:
        return [
            ("".join(ch for ch in d.number.upper() if ch.isalnum()), d.issuing_state or "")
            for d in record.documents
            if d.number
        ]

    def gtas(record: Any) -> list[tuple[str, str, str, str]]:
        born = record.date_of_birth or next(
            (d.date_of_birth for d in record.documents if d.date_of_birth), None
        )
        gender = record.gender or next((d.gender for d in record.documents if d.gender), None)
        if born is None or born.as_date() is None:
            return []
        return [
            (record.surname.upper(), (record.given_names or "").upper(), born.isoformat(), str(gender or ""))
        ]

    return {
        "occurrences": len(occurrences),
        "pure_cpu": pure_cpu,
        "pure_resolved": resolved,
        "document": _scores(pairwise(truth, group_by(documents))),
        "gtas": _scores(pairwise(truth, group_by(gtas))),
        "peak_mb": peak_mb(),
    }


def in_child(*args: str) -> dict[str, Any]:
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


def run_ingest(backend: str, folder: Path, identities: bool, postgres: str) -> dict[str, Any] | str:
    flag = "on" if identities else "off"
    if backend == "sqlite":
        scratch = Path(tempfile.mkdtemp(prefix="openpiu-bench-"))
        try:
            return in_child("ingest", str(folder), f"sqlite:///{scratch / 'openpiu.db'}", flag)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    made = postgres_schema(postgres)
    if isinstance(made, str):
        return f"PostgreSQL not reachable at {postgres}: {made}"
    url, schema = made
    try:
        return in_child("ingest", str(folder), url, flag)
    finally:
        drop_schema(postgres, schema)


# --- report --------------------------------------------------------------------------------------

HEADER = ("workload", "openpiu", "baseline", "ratio", "target")


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    return (
        "| "
        + " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        + " |"
    )


def table(report: dict[str, Any]) -> list[str]:
    base = report["baselines"]
    rows: list[tuple[str, str, str, str, str]] = []
    for backend, runs in report["runs"].items():
        on, off = runs["on"], runs["off"]
        if isinstance(on, str):
            continue
        scores = on["scores"]
        for name, label in (("document", "exact document"), ("gtas", "GTAS-like exact name+DOB+gender")):
            for measure in ("precision", "recall"):
                ours, theirs = scores[measure], base[name][measure]
                target = TARGETS[measure]
                rows.append(
                    (
                        f"{backend}: pairwise {measure} (vs {label})",
                        f"{ours:.4f}",
                        f"{theirs:.4f}",
                        f"{ours / theirs:.3f}x" if theirs else "-",
                        f">= {target}: {'met' if ours >= target else 'not met'}",
                    )
                )
        occurrences = on["identified"]
        rows.append(
            (
                f"{backend}: occurrences resolved/s, store step (vs pure rule)",
                f"{occurrences / on['identity_cpu']:,.0f}",
                f"{base['pure_resolved'] / base['pure_cpu']:,.0f}",
                f"{occurrences / on['identity_cpu'] / (base['pure_resolved'] / base['pure_cpu']):.2f}x",
                "",
            )
        )
        if off is None or isinstance(off, str):
            continue
        rows.append(
            (
                f"{backend}: ingest wall s, with identities (vs without)",
                f"{on['seconds']:,.1f}",
                f"{off['seconds']:,.1f}",
                f"{on['seconds'] / off['seconds']:.2f}x",
                "",
            )
        )
        rows.append(
            (
                f"{backend}: writer CPU s, with identities (vs without)",
                f"{on['writer_cpu']:,.1f}",
                f"{off['writer_cpu']:,.1f}",
                f"{on['writer_cpu'] / off['writer_cpu']:.2f}x",
                "",
            )
        )
        rows.append(
            (
                f"{backend}: travellers ingested/s, with identities (vs without)",
                f"{on['travellers'] / on['seconds']:,.0f}",
                f"{off['travellers'] / off['seconds']:,.0f}",
                f"{off['seconds'] / on['seconds']:.2f}x",
                "",
            )
        )
        rows.append(
            (
                f"{backend}: peak memory MB, writer, with identities (vs without)",
                f"{on['peak_mb']:,.0f}",
                f"{off['peak_mb']:,.0f}",
                f"{on['peak_mb'] / off['peak_mb']:.2f}x",
                "",
            )
        )
    widths = [max(len(r[i]) for r in [*rows, HEADER]) for i in range(5)]
    lines = [_row(HEADER, widths), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines.extend(_row(r, widths) for r in rows)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=0.01, help="world scale per day (default 0.01)")
    parser.add_argument("--days", type=int, default=3, help="days of flights (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, help="cache folder of the worlds (default bench/out)")
    parser.add_argument("--backends", default="sqlite", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, metavar="URL", help="PostgreSQL server")
    parser.add_argument(
        "--noise",
        default="0,0.3",
        help="identity noise of each world (comma-separated; default 0,0.3: the default world, then one "
        "whose booking tools enter 30%% of travellers unlike their documents)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON list of reports instead of the tables")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        what, folder, *rest = args.child
        if what == "generate":
            result = child_generate(Path(folder), float(rest[0]), int(rest[1]), int(rest[2]), float(rest[3]))
        elif what == "baselines":
            result = child_baselines(Path(folder))
        else:
            result = child_ingest(Path(folder), rest[0], rest[1] == "on")
        print(json.dumps(result))
        return 0

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - {"sqlite", "postgresql"}:
        parser.error(f"unknown backends: {args.backends}")
    noises = [float(n) for n in args.noise.split(",") if n.strip()]
    reports = []
    for number, noise in enumerate(noises):
        name = f"identity-world-{args.scale:g}-{args.days}d-seed{args.seed}-noise{noise:g}"
        folder = (args.world / name if args.world else HERE / "out" / name).resolve()
        summary = world(folder, args.scale, args.days, args.seed, noise)
        baselines = in_child("baselines", str(folder))
        runs: dict[str, dict[str, Any]] = {}
        for backend in backends:
            # Without, then with, back to back in the same conditions (the cost: on the first world only).
            off = run_ingest(backend, folder, False, args.postgres) if number == 0 else None
            on = run_ingest(backend, folder, True, args.postgres)
            runs[backend] = {"on": on, "off": off}
            for run in (on, off):
                if isinstance(run, str):
                    print(f"{backend} skipped: {run}", file=sys.stderr)
        reports.append(
            {
                "scale": args.scale,
                "days": args.days,
                "seed": args.seed,
                "identity_noise": noise,
                "world": summary,
                "cpus": os.cpu_count(),
                "baselines": baselines,
                "runs": runs,
                "targets": TARGETS,
            }
        )
    if args.json:
        print(json.dumps(reports, sort_keys=True))
        return 0
    for report in reports:
        print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    summary = report["world"]
    print(
        f"# openpiu identity benchmark: scale {report['scale']:g} x {report['days']} days, seed "
        f"{report['seed']}, identity noise {report['identity_noise']:g}: {summary['flights']:,} flights, "
        f"{summary['messages']:,} messages, {summary['traveller_occurrences']:,} traveller occurrences, "
        f"{summary['api_person_occurrences']:,} API persons, {summary['distinct_persons']:,} persons"
    )
    for backend, pair in report["runs"].items():
        on = pair["on"]
        if isinstance(on, str):
            print(f"# {backend}: skipped: {on}")
            continue
        s = on["scores"]
        print(
            f"# {backend}: {on['identified']:,} occurrences resolved ({on['merged']:,} identities merged "
            f"on the way) into {s['identities']:,} identities for {s['persons']:,} persons; "
            f"{s['correct_pairs']:,} of {s['found_pairs']:,} pairs found are true, of "
            f"{s['true_pairs']:,} true pairs; export {on['export_seconds']:.1f} s"
        )
    print(f"# {report['cpus']} CPUs; pure rule and baselines: one core over the parsed messages")
    print()
    for line in table(report):
        print(line)
    print()


if __name__ == "__main__":
    sys.exit(main())
