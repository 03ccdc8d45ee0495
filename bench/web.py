"""Web benchmark: the analyst's pages with a large database behind them, under concurrent users.

    uv run python bench/web.py [--scale 0.02] [--travellers 1000000] [--users 8] [--seconds 30]
                               [--backends sqlite,postgresql] [--postgres URL] [--cold] [--no-prewarm]
                               [--json]

Workload, per backend (a fresh SQLite file, or a private PostgreSQL schema dropped at the end):
- a generated day (`openpiu generate` at `--scale`, cached in bench/out) with the world's watchlists,
  ingested and screened by `openpiu ingest`'s service, so the hits, bookings and travellers are real;
- then copied day after day (flights, designators, bookings, versions, travellers, API merges, hits and
  the travellers' identities with their evidence, each copy on the next flight date, new ids) until the
  database holds `--travellers` traveller rows (occurrences): a PIU's six months of unmasked data look
  like this, many days of the same shape. Four copies in a row are the same people travelling again, dealt
  out anew on each copy's bookings (the traveller's page then shows several trips and their network),
  then come new people;
- `openpiu serve` in its own processes (uvicorn with `--workers`, default one per CPU, as
  docs/operations.md advises an operator), and `--users` threads here, each signed in as an analyst,
  opening for `--seconds` in turn: the hit queue (first page and a later one), a hit, a flight's
  manifest, a booking with its versions, a traveller (with their journeys and map) and a traveller's
  network (three hops, the section the traveller's page fetches once shown), each chosen at random
  among the stored ones. Every page is a full request over HTTP (cookies, CSRF-free GETs, the audit
  event each read writes).

Figures: per page, requests, p50 / p95 / p99 latency (ms) and throughput; target p95 <= 300 ms for the
queue, flight, booking and traveller pages (issue 6), <= 500 ms for the network (issue 7). Baseline in
the same run, under the same load: `GET /health`
(the framework and the server, no database work but its check) and the static stylesheet: what a page
costs beyond them is openpiu's. Ratios are page p95 / baseline p95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import DEFAULT_POSTGRES, drop_schema, machine, postgres_schema
from ingest import world as make_world
from openpiu.clock import SystemClock
from openpiu.services.accounts import AccountService
from openpiu.services.database import prewarm_database
from openpiu.services.ingest import ingest_paths
from openpiu.services.watchlists import import_watchlist_file
from openpiu.settings import Settings
from openpiu.store import schema as t
from openpiu.store import upgrade

HERE = Path(__file__).resolve().parent
TARGET_P95_MS = 300
#: The traveller's network (three hops, read by the traveller's page once shown): issue 7's bound.
NETWORK_TARGET_P95_MS = 500
PAGES = ("queue", "queue, page 5", "hit", "flight", "booking", "traveller", "network")
BASELINES = ("health", "stylesheet")
SERVER_LOG = "server.log"
STEP = 7_919  # how far each copy moves the people along (a prime: every copy deals them out differently)
RECUR = 4  # copies of the day in a row that are the same people travelling again
PASSWORD = "bench password 2026"
CARD_KEY = "42" * 32
FACTS = {"legal_basis": "bench: Art 6(3)(a) Directive 2016/681", "category": "terrorism", "owner": "bench"}

# What is copied for each further day: (table, its id column or None, the columns pointing at copied rows
# as column -> table, extra condition). Hits of API persons alone are left out (their key is per flight).
COPIED: tuple[tuple[sa.Table, str | None, dict[str, sa.Table], str | None], ...] = (
    (t.messages, "id", {}, None),
    (t.flights, "id", {"first_message_id": t.messages, "last_message_id": t.messages}, None),
    (t.flight_designators, None, {"flight_id": t.flights}, None),
    (t.flight_pushes, None, {"flight_id": t.flights, "message_id": t.messages}, None),
    (t.bookings, "id", {"flight_id": t.flights, "current_version_id": t.booking_versions}, None),
    (
        t.booking_versions,
        "id",
        {"booking_id": t.bookings, "flight_id": t.flights, "message_id": t.messages},
        None,
    ),
    (t.booking_identities, None, {"version_id": t.booking_versions}, None),
    (t.travellers, "id", {"version_id": t.booking_versions, "booking_id": t.bookings}, None),
    (t.traveller_identities, None, {"traveller_id": t.travellers}, None),
    (
        t.hits,
        "id",
        {"flight_id": t.flights, "booking_id": t.bookings, "traveller_id": t.travellers},
        "booking_id IS NOT NULL",
    ),
)


def log(text: str) -> None:
    print(f"# {text}", file=sys.stderr, flush=True)


# --- the database ----------------------------------------------------------------------------------


def fill(url: str, world: Path) -> dict[str, int]:
    """The generated day ingested and screened at `url`; its counts."""
    upgrade(url)
    clock = SystemClock()
    for name in ("persons.csv", "documents.csv"):
        path = world / "watchlists" / name
        if path.exists():
            import_watchlist_file(url, path, clock=clock, actor="bench", overrides=FACTS)
    ingest_paths([world / "messages"], url=url, clock=clock, card_key=bytes.fromhex(CARD_KEY))
    return counts(url)


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: int(
                    connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                )
                for table in (
                    t.flights,
                    t.bookings,
                    t.booking_versions,
                    t.travellers,
                    t.hits,
                    t.identities,
                    t.identity_members,
                )
            }
    finally:
        engine.dispose()


def copy_days(url: str, copies: int, recur: int = RECUR) -> None:
    """Copy the stored day `copies` times, each copy on the next flight date, with new ids.

    The copies' travellers belong to identities too (the traveller's page reads them: journeys, network):
    `recur` copies in a row are the same people travelling again (the same identities, dealt out anew
    on the copy's bookings), then come new people (new identities); a booking's own contacts get new
    digests in every copy, so an identity holds a few trips on different days and a phone stays shared
    by the bookings that shared it, not by the whole population (`copy_identities`).

    The day is first held apart in temporary tables, so that each copy reads it there and not out of tables
    that grow to millions of rows; the tables' secondary indexes are dropped while the copies are written
    and built again at the end, sorted in one pass, instead of millions of scattered insertions (the ten
    million-row build on PostgreSQL took over an hour). The indexes come out compact, as after a REINDEX."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            dialect = connection.dialect.name
            if dialect == "postgresql":
                # The copies are consistent by construction (each a shifted image of a stored day): no
                # foreign-key triggers on this connection (superuser only), which were most of a copy's
                # time (several checks per row of every copied table).
                try:
                    connection.exec_driver_sql("SET session_replication_role = replica")
                    connection.commit()
                except sa.exc.DBAPIError as error:
                    connection.rollback()
                    log(f"foreign keys checked during the copies: {str(error).splitlines()[0]}")
            with connection.begin():
                spans = {
                    table.name: int(connection.execute(sa.select(sa.func.max(table.c[key]))).scalar() or 0)
                    for table, key, _, _ in COPIED
                    if key is not None
                }
                spans["identities"] = int(
                    connection.execute(sa.select(sa.func.max(t.identities.c.id))).scalar() or 0
                )
                ranked = hold_the_day(connection, spans)
                indexes = drop_secondary_indexes(connection)
            # One transaction per copy: one for all of them kept every copy in SQLite's log (13 GB by four
            # million traveller rows, the build four times slower than at its start) and lost all at a kill.
            for number in range(1, copies + 1):
                fresh_hash = (
                    "lower(hex(randomblob(32)))"
                    if dialect == "sqlite"
                    else f"md5(content_hash || '{number}a') || md5(content_hash || '{number}b')"
                )
                with connection.begin():
                    for table, key, links, _ in COPIED:
                        # a table whose own ids nothing copied points at gets new ones from the database
                        columns = [c.name for c in table.columns if key is not None or c.name != "id"]
                        values = []
                        for name in columns:
                            if name == key:
                                values.append(f"{name} + {number * spans[table.name]}")
                            elif name in links:
                                values.append(f"{name} + {number * spans[links[name].name]}")
                            elif name == "flight_date":
                                values.append(
                                    f"date(flight_date, '+{number} days')"
                                    if dialect == "sqlite"
                                    else f"flight_date + {number}"
                                )
                            elif name == "api_person_id":
                                values.append("NULL")
                            elif name == "content_hash":  # unique: a copied message is another message
                                values.append(fresh_hash)
                            else:
                                values.append(name)
                        connection.exec_driver_sql(
                            f"INSERT INTO {table.name} ({', '.join(columns)}) "
                            f"SELECT {', '.join(values)} FROM bench_day_{table.name}"
                        )
                    copy_identities(connection, number, spans, recur, ranked)
                if number % 10 == 0 or number == copies:
                    log(f"copied the day {number} of {copies} times")
            started = time.monotonic()
            for _, statement in indexes:
                # one transaction each: SQLite's log holds a transaction's pages until its commit
                with connection.begin():
                    if dialect == "postgresql":
                        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
                    connection.exec_driver_sql(statement)
            log(f"{len(indexes)} indexes built again in {time.monotonic() - started:.0f} s")
        if dialect == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                # as autovacuum leaves the tables at rest: statistics, and the visibility map that lets a
                # covering index answer alone
                connection.exec_driver_sql("VACUUM (ANALYZE)")
                for table, key, _, _ in (*COPIED, (t.identities, "id", {}, None)):
                    if key is not None:  # ids are written above: move the sequences past them
                        connection.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key}'), "
                            f"(SELECT max({key}) FROM {table.name}))"
                        )
        else:
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


#: The tables the copies write, beside those of `COPIED`.
IDENTITY_TABLES = (t.identities, t.identity_members, t.identity_keys)


def hold_the_day(connection: sa.Connection, spans: dict[str, int]) -> int:
    """The stored day's rows in temporary tables `bench_day_<table>`, which the copies read, and its
    identities ranked (`bench_rank`) for dealing them out; how many identities are ranked."""
    for table, key, links, condition in COPIED:
        limit = f"{key} <= {spans[table.name]}" if key is not None else None
        if table in (t.flight_designators, t.flight_pushes, t.booking_identities):
            owner = "version_id" if table is t.booking_identities else "flight_id"
            limit = f"{owner} <= {spans[links[owner].name]}"
        if table is t.traveller_identities:
            limit = f"traveller_id <= {spans['travellers']}"
        where = " AND ".join(c for c in (limit, condition) if c)
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE bench_day_{table.name} AS SELECT * FROM {table.name} WHERE {where}"
        )
    for table, where in (
        (t.identities, f"id <= {spans['identities']}"),
        (t.identity_members, f"traveller_id <= {spans['travellers']}"),
        (t.identity_keys, f"booking_id <= {spans['bookings']} AND api_person_id IS NULL"),
    ):
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE bench_day_{table.name} AS SELECT * FROM {table.name} WHERE {where}"
        )
    connection.exec_driver_sql(
        "CREATE TEMP TABLE bench_rank AS SELECT id, "
        "row_number() OVER (ORDER BY id) - 1 AS r FROM bench_day_identities"
    )
    connection.exec_driver_sql("CREATE UNIQUE INDEX bench_rank_r ON bench_rank (r)")
    connection.exec_driver_sql("CREATE UNIQUE INDEX bench_rank_id ON bench_rank (id)")
    return int(connection.exec_driver_sql("SELECT count(*) FROM bench_rank").scalar_one())


def drop_secondary_indexes(connection: sa.Connection) -> list[tuple[str, str]]:
    """Drop the indexes of the copied tables that no constraint needs; (name, statement that builds it)."""
    tables = [table for table, *_ in COPIED] + list(IDENTITY_TABLES)
    names = ", ".join(f"'{table.name}'" for table in tables)
    if connection.dialect.name == "sqlite":
        found = connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({names}) ORDER BY name"
        )
    else:
        found = connection.exec_driver_sql(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class r ON r.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = current_schema() AND r.relname IN ({names}) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY c.relname"
        )
    indexes = [(str(name), str(statement)) for name, statement in found]
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return indexes


def copy_identities(
    connection: sa.Connection, number: int, spans: dict[str, int], recur: int, ranked: int
) -> None:
    """The identities, members and evidence keys of the `number`th copy's travellers (see `copy_days`).

    Within a block of `recur` copies the people are the same but each copy deals them out anew (rank
    ``r`` of the day's identities travels as rank ``r + number * STEP``): a person's bookings of the block
    are different trips with different companions, not the same flight with the same people four times.
    A booking's own keys (contacts, card, agency) get a digest of their own in each copy, the people's keys
    one per block."""
    people = number // max(1, recur)
    sqlite = connection.dialect.name == "sqlite"
    shift = "date(flight_date, '+{0} days')" if sqlite else "flight_date + {0}"
    if people and number % recur == 0:
        connection.exec_driver_sql(
            "INSERT INTO identities (id, anchor, created_at) "
            f"SELECT id + {people * spans['identities']}, anchor || ':{people}', created_at "
            "FROM bench_day_identities"
        )
    dealt = (
        f"LEFT JOIN bench_rank a ON a.id = x.identity_id "
        f"LEFT JOIN bench_rank b ON b.r = (a.r + {number * STEP}) {'%' if sqlite else '%%'} {ranked}"
    )
    identity = f"b.id + {people * spans['identities']}"
    connection.exec_driver_sql(
        "INSERT INTO identity_members (identity_id, traveller_id, booking_id, chain, signature, "
        "booking_signature, flight_date, score, reasons, assigned_at) "
        f"SELECT {identity}, x.traveller_id + {number * spans['travellers']}, "
        f"x.booking_id + {number * spans['bookings']}, x.chain, x.signature, x.booking_signature, "
        f"{shift.format(number)}, x.score, x.reasons, x.assigned_at FROM bench_day_identity_members x {dealt}"
    )

    def suffixed(value: int) -> str:
        if sqlite:
            return f"substr(x.digest, 1, 24) || printf('%08d', {value})"
        return f"left(x.digest, 24) || lpad('{value}', 8, '0')"

    digest = f"CASE WHEN x.identity_id IS NULL THEN {suffixed(number)} ELSE {suffixed(people)} END"
    connection.exec_driver_sql(
        "INSERT INTO identity_keys (kind, digest, birth, identity_id, booking_id, chain, flight_date) "
        f"SELECT x.kind, {digest}, x.birth, {identity}, x.booking_id + {number * spans['bookings']}, "
        f"x.chain, {shift.format(number)} FROM bench_day_identity_keys x {dealt}"
    )


def samples(url: str, rng: random.Random, size: int = 2_000) -> dict[str, list[int]]:
    """Ids to open: hits, flights, bookings and travellers, chosen at random among those stored."""
    engine = sa.create_engine(url)
    found: dict[str, list[int]] = {}
    try:
        with engine.connect() as connection:
            for name, table, where in (
                ("hit", t.hits, None),
                ("flight", t.flights, None),
                ("booking", t.bookings, None),
                ("traveller", t.travellers, None),
            ):
                top = int(connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0)
                wanted = sorted({rng.randint(1, top) for _ in range(size * 3)}) if top else []
                statement = sa.select(table.c.id).where(table.c.id.in_(wanted))
                if where is not None:
                    statement = statement.where(where)
                found[name] = list(connection.execute(statement).scalars())[:size]
    finally:
        engine.dispose()
    return found


# --- the server and its users -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OPENPIU_DATA_DIR": str(data_dir),
        "OPENPIU_CARD_HASH_KEY": CARD_KEY,
        "OPENPIU_ALLOW_PLAIN_HTTP": "true",
        "OPENPIU_LOG_LEVEL": "WARNING",
    }
    command = [
        str(Path(sys.executable).parent / "openpiu"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-prewarm",  # the benchmark prewarms itself and waits for it (see run_backend)
    ]
    # Its log goes to a file (a pipe nobody reads would stop the server once full), shown when it fails.
    with (data_dir / SERVER_LOG).open("wb") as log_file:
        process = subprocess.Popen(
            [*command, "--db", url],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"openpiu serve ended: {server_log(data_dir)}")
        time.sleep(0.2)
    raise SystemExit("openpiu serve did not answer in 60 s")


def server_log(data_dir: Path) -> str:
    """The end of the server's log (synthetic data only: the bench's own world)."""
    found = data_dir / SERVER_LOG
    return found.read_text(errors="replace")[-3000:] if found.exists() else ""


def add_users(url: str, data_dir: Path, users: int) -> list[str]:
    settings = Settings.from_env(
        {"OPENPIU_DATA_DIR": str(data_dir), "OPENPIU_CARD_HASH_KEY": CARD_KEY, "OPENPIU_DATABASE_URL": url}
    )
    names = [f"analyst{n}" for n in range(users)]
    with AccountService.open(settings, SystemClock(), url=url) as accounts:
        for name in names:
            accounts.add_user(name, "analyst", PASSWORD, actor="bench")
    return names


def sign_in(base: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise SystemExit("no sign-in form")
    done = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)})
    if done.status_code != 303:
        raise SystemExit(f"sign-in refused: {done.status_code}")
    return client


def load(
    base: str, names: list[str], ids: dict[str, list[int]], seconds: float, seed: int
) -> dict[str, list[float]]:
    """Each user opens pages in turn for `seconds`; latencies (ms) per page."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def user(number: int, name: str) -> None:
        rng = random.Random(seed * 1000 + number)
        client = sign_in(base, name)
        paths: dict[str, Callable[[], str]] = {
            "queue": lambda: "/hits",
            "queue, page 5": lambda: "/hits?page=5",
            "hit": lambda: f"/hits/{rng.choice(ids['hit'])}",
            "flight": lambda: f"/flights/{rng.choice(ids['flight'])}",
            "booking": lambda: f"/bookings/{rng.choice(ids['booking'])}",
            "traveller": lambda: f"/travellers/{rng.choice(ids['traveller'])}",
            "network": lambda: f"/travellers/{rng.choice(ids['traveller'])}/network?fragment=true",
            "health": lambda: "/health",
            "stylesheet": lambda: "/static/style.css",
        }
        order = list(paths)
        rng.shuffle(order)
        try:
            while time.monotonic() < stop:
                for page in order:
                    started = time.perf_counter()
                    answer = client.get(paths[page]())
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        if answer.status_code != 200:
                            errors.append(f"{page}: {answer.status_code}")
                        latencies[page].append(elapsed)
        except Exception as error:  # a user that fails is reported, not silently missing from the figures
            with lock:
                errors.append(f"user {number}: {type(error).__name__}: {error}")
        finally:
            client.close()

    threads = [threading.Thread(target=user, args=(n, name)) for n, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[:5]}")
    return latencies


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (the server's worker processes), from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[parent].append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(children.get(current, ()))
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine was busy so far (all its CPUs, not idle nor waiting), /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def database_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving this database, or (a shared database) those of the
    connections named by the URL's ``application_name``; none for SQLite."""
    if not url.startswith("postgresql"):
        return []
    named = sa.make_url(url).query.get("application_name")
    if "search_path" in url and not named:
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if named:
                found = connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                    "AND pid <> pg_backend_pid()",
                    (named,),
                )
            else:
                found = connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            return list(found.scalars())
    finally:
        engine.dispose()


def named_connections(url: str, name: str) -> str:
    """`url` with the server's connections named (PostgreSQL), so that its backends are told apart from
    others' in a shared database."""
    if not url.startswith("postgresql"):
        return url
    named = sa.make_url(url).update_query_dict({"application_name": name})
    return named.render_as_string(hide_password=False)


class CpuMeter:
    """Where the CPU went while the users worked: the server, the database's processes, this program (the
    users' HTTP clients), and everything else on the machine (other jobs sharing it)."""

    def __init__(self, server: int, url: str) -> None:
        self.server, self.url = server, url
        self.backends = {pid: cpu_seconds(pid) for pid in database_backends(url)}
        self.processes = {pid: cpu_seconds(pid) for pid in process_tree(server)}
        self.started = (time.process_time(), machine_busy(), time.monotonic())

    def done(self, requests: int) -> dict[str, float]:
        client, busy, wall = self.started
        ended_busy = machine_busy()
        backends = sum(cpu_seconds(pid) - self.backends.get(pid, 0.0) for pid in database_backends(self.url))
        server = sum(cpu_seconds(pid) - self.processes.get(pid, 0.0) for pid in process_tree(self.server))
        used = {
            "server": server,
            "database": backends,
            "client": time.process_time() - client,
        }
        seconds = time.monotonic() - wall
        return {
            **{f"{k}_ms_per_request": v * 1000 / max(1, requests) for k, v in used.items()},
            "others_cpus_busy": max(0.0, (ended_busy - busy) - sum(used.values())) / seconds,
            "machine_cpus_busy": (ended_busy - busy) / seconds,
            "load_average": os.getloadavg()[0],
        }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def cache_name(args: argparse.Namespace) -> str:
    """The cached database's name: what it holds (scale, seed, travellers wanted)."""
    return f"web_{args.scale:g}_seed{args.seed}_{args.travellers}_dealt{RECUR}".replace(".", "_").replace(
        "-", "_"
    )


def postgres_url(base: str, database: str) -> str:
    return sa.make_url(base).set(database=database).render_as_string(hide_password=False)


def postgres_admin(base: str, statement: str) -> Any:
    """One statement outside a transaction (CREATE and DROP DATABASE need that); its first value."""
    engine = sa.create_engine(base, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            result = connection.exec_driver_sql(statement)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def build(url: str, world: Path, args: argparse.Namespace, backend: str) -> int:
    """Fill `url` with the generated day and its copies; how many copies were made."""
    started = time.monotonic()
    day = fill(url, world)
    log(f"{backend}: a day ingested and screened in {time.monotonic() - started:.0f} s: {day}")
    copies = max(0, -(-args.travellers // max(1, day["travellers"])) - 1)
    started = time.monotonic()
    copy_days(url, copies)
    log(f"{backend}: {copies} copies in {time.monotonic() - started:.0f} s: {counts(url)}")
    return copies


def database(
    backend: str, world: Path, args: argparse.Namespace, scratch: Path, cleanups: list[Callable[[], None]]
) -> tuple[str, int]:
    """(url of this run's database, copies of the day in it); what to drop at the end goes to `cleanups`.

    With `--cache` the filled database is built once (bench/out/<name>.db, or a PostgreSQL database of
    that name) and each run starts from a copy of it, brought up to the newest schema: every run sees the
    same data, and a run takes minutes instead of the build's half hour."""
    name = cache_name(args)
    copies_file = HERE / "out" / f"{name}.{backend}.copies"
    if backend == "sqlite":
        url = f"sqlite:///{scratch / 'openpiu.db'}"
        if not args.cache:
            return url, build(url, world, args, backend)
        cached = HERE / "out" / f"{name}.db"
        if not (cached.exists() and copies_file.exists()):
            building = cached.with_suffix(".building.db")
            building.unlink(missing_ok=True)
            copies = build(f"sqlite:///{building}", world, args, backend)
            with sqlite3.connect(building) as connection:  # everything in the file itself, none in its WAL
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            building.replace(cached)
            for leftover in (".building.db-wal", ".building.db-shm"):
                cached.with_suffix(leftover).unlink(missing_ok=True)
            copies_file.write_text(f"{copies}\n")
        started = time.monotonic()
        shutil.copyfile(cached, scratch / "openpiu.db")
        log(f"sqlite: {cached.name} copied in {time.monotonic() - started:.0f} s")
        upgrade(url)
        return url, int(copies_file.read_text())
    if not args.cache:
        made = postgres_schema(args.postgres)
        if isinstance(made, str):
            raise SystemExit(f"PostgreSQL not available: {made}")
        url, schema = made
        cleanups.append(lambda: drop_schema(args.postgres, schema))
        return url, build(url, world, args, backend)
    cached = f"openpiu_{name}"
    exists = f"SELECT count(*) FROM pg_database WHERE datname = '{cached}'"
    if not (postgres_admin(args.postgres, exists) and copies_file.exists()):
        building = f"{cached}_building"
        postgres_admin(args.postgres, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        postgres_admin(args.postgres, f'CREATE DATABASE "{building}"')
        copies = build(postgres_url(args.postgres, building), world, args, backend)
        postgres_admin(args.postgres, f'DROP DATABASE IF EXISTS "{cached}" WITH (FORCE)')
        postgres_admin(args.postgres, f'ALTER DATABASE "{building}" RENAME TO "{cached}"')
        copies_file.write_text(f"{copies}\n")
    run = f"openpiu_web_bench_{scratch.name[-8:].lower().replace('-', '_')}"
    started = time.monotonic()
    postgres_admin(args.postgres, f'CREATE DATABASE "{run}" TEMPLATE "{cached}" STRATEGY FILE_COPY')
    cleanups.append(lambda: postgres_admin(args.postgres, f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)'))
    log(f"postgresql: {cached} copied in {time.monotonic() - started:.0f} s")
    url = postgres_url(args.postgres, run)
    upgrade(url)
    # As autovacuum leaves a database at rest: statistics, and the visibility map that lets an index
    # answer alone (a covering index's rows are otherwise checked in the table one by one).
    started = time.monotonic()
    postgres_admin(url, "VACUUM (ANALYZE)")
    log(f"postgresql: vacuumed in {time.monotonic() - started:.0f} s")
    return url, int(copies_file.read_text())


def drop_file_cache() -> None:
    """Empty the operating system's file cache (Linux, root): the users then start as after a restart, every
    page read from the disk once, as with a database larger than memory."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as error:
        raise SystemExit(f"--cold needs Linux and root: {error}") from error
    log("the file cache was emptied")


def run_backend(backend: str, world: Path, args: argparse.Namespace) -> dict[str, Any] | str:
    scratch = Path(tempfile.mkdtemp(prefix="openpiu-web-bench-"))
    cleanups: list[Callable[[], None]] = []
    try:
        try:
            url, copies = database(backend, world, args, scratch, cleanups)
        except SystemExit as error:
            return str(error)
        stored = counts(url)
        names = add_users(url, scratch, args.users)
        ids = samples(url, random.Random(args.seed))
        port = free_port()
        served = named_connections(url, f"openpiu-web-bench-{port}")
        server = serve(served, scratch, port, args.workers)
        try:
            if args.cold:
                drop_file_cache()
            if args.prewarm:
                # What `openpiu serve` does at start in the background, waited for: the users meet the
                # server as it is once started, not while it reads its indexes in.
                started = time.perf_counter()
                warmed = prewarm_database(url, SystemClock())
                log(
                    f"prewarmed {len(warmed)} indexes in {time.perf_counter() - started:.1f} s"
                    + (
                        f" ({', '.join(f'{name} {seconds:.1f} s' for name, seconds in warmed)})"
                        if warmed
                        else ""
                    )
                )
            meter = CpuMeter(server.pid, served)
            try:
                latencies = load(f"http://127.0.0.1:{port}", names, ids, args.seconds, args.seed)
            except SystemExit:
                log(f"the server's log ends:\n{server_log(scratch)}")
                raise
            cpu = meter.done(sum(len(v) for v in latencies.values()))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        pages = {
            page: {
                "requests": len(values),
                "p50": percentile(values, 0.50),
                "p95": percentile(values, 0.95),
                "p99": percentile(values, 0.99),
                "per_second": len(values) / args.seconds,
            }
            for page, values in latencies.items()
        }
        return {"stored": stored, "copies": copies, "pages": pages, "cpu": cpu}
    finally:
        for cleanup in cleanups:
            cleanup()
        shutil.rmtree(scratch, ignore_errors=True)


def table(report: dict[str, Any]) -> list[str]:
    lines = [
        "| backend | page | requests | p50 ms | p95 ms | p99 ms | req/s | baseline p95 ms (health) "
        "| ratio | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, run in report["runs"].items():
        if isinstance(run, str):
            lines.append(f"| {backend} | {run} | | | | | | | | |")
            continue
        base = run["pages"]["health"]["p95"]
        for page in (*PAGES, *BASELINES):
            figures = run["pages"].get(page)
            if figures is None:
                continue
            target = ""
            if page in PAGES and not page.startswith("queue,"):
                bound = NETWORK_TARGET_P95_MS if page == "network" else TARGET_P95_MS
                target = f"<= {bound}: {'met' if figures['p95'] <= bound else 'not met'}"
            lines.append(
                f"| {backend} | {page} | {figures['requests']:,} | {figures['p50']:.0f} "
                f"| {figures['p95']:.0f} | {figures['p99']:.0f} | {figures['per_second']:.1f} | {base:.0f} | "
                f"{figures['p95'] / base:.1f}x | {target} |"
            )
    for backend, run in report["runs"].items():
        cpu = None if isinstance(run, str) else run.get("cpu")
        if cpu:
            lines.append(
                f"# {backend}: CPU ms per request: server {cpu['server_ms_per_request']:.1f}, database "
                f"{cpu['database_ms_per_request']:.1f}, users' clients {cpu['client_ms_per_request']:.1f}; "
                f"CPUs busy {cpu['machine_cpus_busy']:.2f} of {os.cpu_count()}, of them other jobs' "
                f"{cpu['others_cpus_busy']:.2f}; load average {cpu['load_average']:.1f}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=0.02, help="scale of the generated day (default 0.02)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--travellers", type=int, default=1_000_000, help="traveller rows to reach")
    parser.add_argument("--users", type=int, default=8, help="concurrent signed-in users (default 8)")
    parser.add_argument("--seconds", type=float, default=30, help="how long the users work (default 30)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes (`openpiu serve --workers`; default: one per CPU, as docs/operations.md says)",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, metavar="URL")
    parser.add_argument(
        "--cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="build the filled database once (bench/out, or a PostgreSQL database) and run on a copy",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="empty the file cache before the users start (Linux, root): every page read from disk once",
    )
    parser.add_argument(
        "--prewarm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read the hot indexes in before the users start, as `openpiu serve` does at start (default on;"
        " after --cold: a restarted server)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    world = HERE / "out" / f"world-{args.scale}-seed{args.seed}"
    make_world(world, args.scale, args.seed)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scale": args.scale,
        "travellers_wanted": args.travellers,
        "users": args.users,
        "server_workers": args.workers,
        "seconds": args.seconds,
        "runs": {},
    }
    for backend in (b.strip() for b in args.backends.split(",") if b.strip()):
        report["runs"][backend] = run_backend(backend, world, args)
        log("\n".join(table({"runs": {backend: report["runs"][backend]}})))  # kept if a later one fails
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"# {report['machine']}; {args.users} users for {args.seconds:.0f} s; "
            f"{args.workers} server processes; {report['when']}"
        )
        for backend, run in report["runs"].items():
            if not isinstance(run, str):
                print(f"# {backend}: {run['stored']} after {run['copies']} copies of the generated day")
        print("\n".join(table(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
