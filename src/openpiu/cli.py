"""The one `openpiu` command.

Exit status: 0 when everything asked for was done, 1 when some input failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from openpiu.clock import SystemClock
from openpiu.services.accounts import ROLE_NAMES, AccountError, AccountService, UnknownUser
from openpiu.services.audit import verify_audit
from openpiu.services.carriers import (
    CarrierError,
    InvalidCarrierName,
    add_carrier,
    disable_carrier,
    list_carriers,
)
from openpiu.services.casefile import ExportRefused, export_case_file
from openpiu.services.criteria import InvalidRange, LintResult, NotActivated, activate_file, lint_file
from openpiu.services.criteria import test_file as backtest_criteria_file
from openpiu.services.database import check_references, prewarm_in_background, redact_url, upgrade_database
from openpiu.services.follows import (
    FollowRefused,
    NoSuchFollow,
    end_follow,
    list_follows,
    review_follow,
    start_follow,
)
from openpiu.services.identity import (
    JudgementRefused,
    NoSuchIdentity,
    export_identities,
    judgement_json,
    link_identities,
    show_identity,
    split_identity,
)
from openpiu.services.ingest import files_in, ingest_paths, notified_scope, status
from openpiu.services.journeys import identity_journeys
from openpiu.services.network import identity_network
from openpiu.services.parsing import (
    MessageSummary,
    describe,
    outcome_json,
    parse_files,
    summarise,
)
from openpiu.services.quarantine import list_quarantined, message_details, message_raw, retry
from openpiu.services.screening import (
    TravellerFileError,
    WatchlistError,
    build_screener,
    load_watchlists,
    read_travellers,
    result_json,
    screen_travellers,
)
from openpiu.services.transmission import STATES, authorities_summary, list_transmissions
from openpiu.services.watchlists import demo_hits, import_watchlist_file, list_watchlists
from openpiu.services.worker import WorkerRound, run_worker
from openpiu.settings import Settings, SettingsError, load_card_hash_key
from openpiu.synth.corpus import write_demo_files
from openpiu.synth.world import generate as generate_world
from openpiu.synth.world import world_params

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_V = TypeVar("_V")

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
    demo.add_argument(
        "--serve",
        action="store_true",
        help="then serve the analysts' pages on the demo day at http://127.0.0.1:PORT with a one-time login",
    )
    demo.add_argument("--port", type=int, default=8000, help="port of --serve (default 8000)")
    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_commands.required = True
    db_upgrade = db_commands.add_parser(
        "upgrade",
        help="create the schema or bring it up to date (run after every upgrade of openpiu)",
        description="Apply the migrations the database lacks. Safe to run again: it does nothing then.",
    )
    db_upgrade.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    db_check = db_commands.add_parser(
        "check",
        help="count rows whose references point at nothing, where the database does not check them",
        description=(
            "Count, for each reference the database does not check itself (the evidence index's, and on "
            "PostgreSQL those of versions, travellers, identity members and API persons), the rows that "
            "point at no row. Reads each of those tables once. Exit 0 when none does, 1 when any does."
        ),
    )
    db_check.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    db_check.add_argument("--json", action="store_true", help="print one JSON object: reference -> rows")

    ingest = commands.add_parser(
        "ingest",
        help="receive message files or folders: protect, keep in the inbox and store the bookings",
        description=(
            "Ingest each file, or every file in a folder in name order: sensitive items are removed before "
            "anything is stored, re-deliveries are counted, broken messages are quarantined with a reason. "
            "Creates the database when its SQLite file does not exist yet; an existing database must be "
            "up to date (`openpiu db upgrade`). Exit 0 when every message was stored or kept, 1 when any "
            "was quarantined or a file could not be read."
        ),
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    ingest.add_argument(
        "--writers",
        type=int,
        default=1,
        metavar="N",
        help="PostgreSQL only: N processes write, each every file of its flights (default 1; identities "
        "are the same, but which occurrence an identity's links name as first may follow their order)",
    )
    status_ = commands.add_parser(
        "status",
        help="count what the database holds: messages by state, flights, bookings, travellers",
        description="Print what is stored, counted from the database; with --json one JSON object.",
    )
    status_.add_argument("--json", action="store_true", help="one JSON object")
    status_.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )

    quarantine = commands.add_parser(
        "quarantine",
        help="messages that could not be read or stored: list them, see why, retry them",
        description=(
            "A quarantined message is kept whole with the reason a person reads. `list` shows them, `show` "
            "one with its history (and with --raw its bytes, an audited read that needs --reason), `retry` "
            "runs them through the pipeline again."
        ),
    )
    q_commands = quarantine.add_subparsers(dest="quarantine_command", metavar="ACTION")
    q_commands.required = True
    q_list = q_commands.add_parser("list", help="quarantined messages with their reason")
    q_list.add_argument("--json", action="store_true", help="one JSON object per message and line")
    q_show = q_commands.add_parser("show", help="one message: envelope, reason, history, split push")
    q_show.add_argument("message_id", type=int, metavar="ID")
    q_show.add_argument("--raw", action="store_true", help="print the kept bytes instead (audited)")
    q_show.add_argument("--reason", default="", help="why the bytes are needed (required with --raw)")
    q_retry = q_commands.add_parser("retry", help="run quarantined messages through the pipeline again")
    q_retry.add_argument("message_ids", type=int, nargs="*", metavar="ID")
    q_retry.add_argument("--all", action="store_true", help="retry every quarantined message")
    for sub in (q_list, q_show, q_retry):
        sub.add_argument(
            "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
        )

    generate = commands.add_parser(
        "generate",
        help="generate a synthetic traffic world: messages, watchlists and the ground truth",
        description=(
            "Write DIR/messages (one file per delivered message, sorted by name in delivery order), "
            "DIR/watchlists and DIR/truth (JSON lines and summary.json). The same options and seed "
            "give the same bytes."
        ),
    )
    generate.add_argument("--seed", type=int, default=1, help="seed of the world (default 1)")
    generate.add_argument("--days", type=int, default=1, help="days of flights (default 1)")
    generate.add_argument(
        "--scale", type=float, default=0.001, help="1.0 is a large country's day, ~400,000 travellers"
    )
    generate.add_argument("--out", required=True, metavar="DIR", help="folder to write (created)")
    generate.add_argument("--country", default="DE", help="the PIU's country, ISO alpha-2 (default DE)")
    generate.add_argument("--start", help="first day of flights, YYYY-MM-DD (default 2026-11-30)")
    generate.add_argument(
        "--versions", default="11.1,13.1,15.1", help="PNRGOV EDIFACT versions carriers use (comma-separated)"
    )
    generate.add_argument("--xml-share", type=float, default=0.1, help="share of carriers pushing XML")
    generate.add_argument(
        "--quirk-rate", type=float, default=1.0, help="multiplies every defect rate (0 for clean messages)"
    )
    generate.add_argument("--broken-rate", type=float, help="share of truly broken messages")
    generate.add_argument(
        "--identity-noise",
        type=float,
        default=0.0,
        help="share of booking travellers entered unlike their documents: another spelling, no DOCS, "
        "another document (default 0)",
    )

    serve = commands.add_parser(
        "serve",
        help="run the HTTP push endpoint for carriers (POST /api/v1/push, GET /health)",
        description=(
            "Serve the carriers' push endpoint over plain HTTP (put a TLS-terminating proxy in front of "
            "it). Carriers authenticate with HTTP Basic (`openpiu carrier add NAME`). Creates the database "
            "when its SQLite file does not exist yet; an existing database must be up to date "
            "(`openpiu db upgrade`). See docs/transports.md."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="server processes, each on its own CPU (default: OPENPIU_WEB_WORKERS, else 1)",
    )
    serve.add_argument(
        "--no-prewarm",
        dest="prewarm",
        action="store_false",
        help="do not read the indexes networks and journeys walk into memory at start (in the background)",
    )

    carrier = commands.add_parser(
        "carrier",
        help="manage the carriers allowed to push over HTTP: add, list, disable",
        description=(
            "Carrier credentials for the HTTP push endpoint, kept in OPENPIU_CARRIERS_FILE (default "
            "<data dir>/carriers.json, mode 0600, only a hash of each token). Changes take effect in a "
            "running server without a restart."
        ),
    )
    carrier_commands = carrier.add_subparsers(dest="carrier_command", metavar="ACTION")
    carrier_commands.required = True
    carrier_add = carrier_commands.add_parser(
        "add",
        help="add a carrier (or re-enable a disabled one) and print its new token once",
        description=(
            "NAME is 2 to 35 characters of A-Z, 0-9, '_' and '-' (an airline code such as LH, or a router's "
            "name). The token is printed once on standard output and cannot be shown again. An active "
            "carrier is refused: to give it a new token, disable it and add it again."
        ),
    )
    carrier_add.add_argument("name", metavar="NAME")
    carrier_list = carrier_commands.add_parser(
        "list", help="list the carriers: name, created, disabled (never tokens)"
    )
    carrier_list.add_argument("--json", action="store_true", help="one JSON object")
    carrier_disable = carrier_commands.add_parser(
        "disable", help="refuse every push of a carrier from now on (its token stops working)"
    )
    carrier_disable.add_argument("name", metavar="NAME")

    worker = commands.add_parser(
        "worker",
        help="receive pushes from the watched folder and the AMQP queue until stopped (or --once)",
        description=(
            "Poll the watched folder every second (files are claimed into processing/ and moved to done/ "
            "or failed/) and, when an AMQP URL is set, consume the queue (acknowledged after the message "
            "is kept). Prints one line of counts per round with work; stops cleanly on SIGTERM or SIGINT. "
            "With --once: process what is waiting and exit 0, or 1 when anything was quarantined or "
            "failed. Creates the database when its SQLite file does not exist yet. See docs/transports.md."
        ),
    )
    worker.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    worker.add_argument(
        "--folder",
        metavar="DIR",
        help="the watched folder (default: OPENPIU_WATCH_DIR or <data dir>/incoming)",
    )
    worker.add_argument(
        "--amqp", metavar="URL", help="AMQP URL of the broker (default: OPENPIU_AMQP_URL; unset: no queue)"
    )
    worker.add_argument("--queue", metavar="NAME", help="queue to consume (default: OPENPIU_AMQP_QUEUE)")
    worker.add_argument("--once", action="store_true", help="process what is waiting, then exit")

    screen = commands.add_parser(
        "screen",
        help="screen travellers (CSV) against watchlist files and show the best candidates",
        description=(
            "Screen each traveller of the CSV (id,surname,given_names,date_of_birth,nationality,"
            "document_number,gender) against the watchlists: person CSV, FollowTheMoney JSON lines, "
            "OFAC's legacy CSV (a folder or its sdn.csv) or a lost-documents CSV, detected by content. "
            "Prints the K best candidates of each traveller, alerting or not; with --json one JSON object "
            "per traveller and line. Exit 0 when screened, 1 when a file is bad (with its line), 2 for "
            "a usage error."
        ),
    )
    screen.add_argument(
        "--watchlist", nargs="+", action="extend", required=True, metavar="FILE", help="watchlist files"
    )
    screen.add_argument("--travellers", required=True, metavar="FILE", help="the travellers CSV")
    screen.add_argument("--json", action="store_true", help="one JSON object per traveller and line")
    screen.add_argument(
        "--top", type=int, default=5, metavar="K", help="candidates per traveller (default 5)"
    )
    screen.add_argument("--on", metavar="DATE", help="the screening day, YYYY-MM-DD (default today)")

    criteria = commands.add_parser(
        "criteria",
        help="pre-determined criteria: lint a criteria file, back-test it over stored bookings",
        description=(
            "Criteria files are YAML (docs/criteria.md). `lint` checks one against the law (no sensitive "
            "data, never protected characteristics alone, owner, purpose, review and expiry) and for "
            "breadth; `test` back-tests it over the bookings stored for a range of flight dates."
        ),
    )
    criteria_commands = criteria.add_subparsers(dest="criteria_command", metavar="ACTION")
    criteria_commands.required = True
    criteria_lint = criteria_commands.add_parser(
        "lint",
        help="check a criteria file; exit 0 when it has no errors (warnings are printed), 1 with errors",
    )
    criteria_lint.add_argument("file", metavar="FILE")
    criteria_test = criteria_commands.add_parser(
        "test",
        help="back-test a criteria file over the stored bookings of a range of flight dates (drafts too)",
        description=(
            "Lint the file, then count for each criterion without errors the travellers, bookings and "
            "flights it matches among the current bookings of the flights from --from to --to, with a "
            "sample of matched travellers (flight/date/locator/traveller). Exit 0 when every criterion was "
            "back-tested, 1 when the file or a criterion has errors, 2 for a usage error."
        ),
    )
    criteria_test.add_argument("file", metavar="FILE")
    criteria_test.add_argument(
        "--from", dest="start", required=True, metavar="DATE", help="first flight date"
    )
    criteria_test.add_argument("--to", dest="end", required=True, metavar="DATE", help="last flight date")
    criteria_test.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    criteria_test.add_argument("--json", action="store_true", help="one JSON object")
    criteria_activate = criteria_commands.add_parser(
        "activate",
        help="activate the criteria of a file (each approved, in force and without lint errors)",
        description=(
            "Make each criterion of the file the active version screened with: every one must lint without "
            "errors, be approved and be in force, or nothing is activated. Recorded in the audit log."
        ),
    )
    criteria_activate.add_argument("file", metavar="FILE")
    criteria_activate.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )

    watchlist = commands.add_parser(
        "watchlist",
        help="watchlists screened against: import a version, list them",
        description=(
            "`import` reads a watchlist file (CSV, FollowTheMoney JSON lines, OFAC SDN, lost-document CSV) "
            "and keeps it as a new version, made active; its legal basis, category and owner must be given. "
            "`list` shows every version."
        ),
    )
    watchlist_commands = watchlist.add_subparsers(dest="watchlist_command", metavar="ACTION")
    watchlist_commands.required = True
    w_import = watchlist_commands.add_parser("import", help="import a watchlist file as a new version")
    w_import.add_argument("file", metavar="FILE")
    for option, what in [
        ("--list-id", "the list's id (default: the file name)"),
        ("--name", "the list's name"),
        ("--version", "the version (default: a hash of the file)"),
        ("--source", "where the list comes from"),
        ("--legal-basis", "the law that allows screening against it (required)"),
        ("--category", "terrorism or an Annex II code (required)"),
        ("--owner", "who answers for the list (required)"),
    ]:
        w_import.add_argument(option, help=what)
    w_import.add_argument("--threshold", type=float, help="alert threshold, 0..1 (default 0.75)")
    w_list = watchlist_commands.add_parser("list", help="every version of every list")
    w_list.add_argument("--json", action="store_true", help="one JSON object per version and line")
    for sub in (w_import, w_list):
        sub.add_argument(
            "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
        )

    user = commands.add_parser(
        "user",
        help="accounts of the web application: add, disable, set a role, list",
        description=(
            "Accounts of the people who sign in to the web application (see docs/administration.md). "
            "Every change is recorded in the audit log under cli:<your operating-system user>."
        ),
    )
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION")
    user_commands.required = True
    roles = ", ".join(ROLE_NAMES)
    u_add = user_commands.add_parser(
        "add", help="add a user with a role; the password is asked twice (at least 12 characters)"
    )
    u_add.add_argument("username", metavar="USERNAME")
    u_add.add_argument("--role", required=True, metavar="ROLE", help=f"one of {roles}")
    u_add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    u_disable = user_commands.add_parser("disable", help="refuse the user from now on (sessions end at once)")
    u_disable.add_argument("username", metavar="USERNAME")
    u_role = user_commands.add_parser("set-role", help="give the user another role (sessions end)")
    u_role.add_argument("username", metavar="USERNAME")
    u_role.add_argument("role", metavar="ROLE", help=f"one of {roles}")
    u_list = user_commands.add_parser("list", help="every user: role, state, last sign-in (never passwords)")
    u_list.add_argument("--json", action="store_true", help="one JSON object per user and line")

    audit = commands.add_parser(
        "audit", help="the audit log: check its hash chain", description="The audit log."
    )
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    audit_commands.required = True
    a_verify = audit_commands.add_parser(
        "verify",
        help="check the audit log's hash chain: exit 0 when intact, 1 at the first broken event",
    )
    for sub in (u_add, u_disable, u_role, u_list, a_verify):
        sub.add_argument(
            "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
        )
    transmission = commands.add_parser(
        "transmission",
        help="transmissions of confirmed hits to competent authorities: list them, check the allow-list",
        description=(
            "`list` shows transmissions newest first: ids, hit, authority, action, state, attempts and "
            "times, never their content (no personal data; analysts and supervisors work them in the web "
            "pages). `authorities` checks the allow-list file (OPENPIU_AUTHORITIES_FILE, or --file) and "
            "lists it; a bad file's error names the line. See docs/transmission.md."
        ),
    )
    transmission_commands = transmission.add_subparsers(dest="transmission_command", metavar="ACTION")
    transmission_commands.required = True
    t_list = transmission_commands.add_parser(
        "list", help="transmissions, newest first, without their content"
    )
    t_list.add_argument("--state", choices=STATES, help="only transmissions in this state")
    t_list.add_argument("--json", action="store_true", help="one JSON object per transmission and line")
    t_list.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    t_authorities = transmission_commands.add_parser(
        "authorities", help="check the allow-list of competent authorities and list it"
    )
    t_authorities.add_argument(
        "--file", metavar="FILE", help="the allow-list (default: OPENPIU_AUTHORITIES_FILE)"
    )

    identity = commands.add_parser(
        "identity",
        help="traveller identities across bookings, pushes and API data: show, link, split, export",
        description=(
            "Every traveller of every booking version and every API person is resolved into an identity "
            "as it is ingested. `show` lists an identity's occurrences and why each belongs (personal "
            "data: the read is audited); `link` and `split` record an analyst's judgement, which later "
            "resolution respects; `export` writes one line per occurrence with its identity. See "
            "docs/identities.md."
        ),
    )
    identity_commands = identity.add_subparsers(dest="identity_command", metavar="ACTION")
    identity_commands.required = True
    i_show = identity_commands.add_parser("show", help="an identity's occurrences and why each belongs")
    i_show.add_argument("identity_id", type=int, metavar="ID")
    i_show.add_argument("--json", action="store_true", help="one JSON object")
    i_show.add_argument("--reason", default="review of a traveller identity", help="why (audited)")
    i_link = identity_commands.add_parser("link", help="judge two identities one person (B is merged into A)")
    i_link.add_argument("first", type=int, metavar="A")
    i_link.add_argument("second", type=int, metavar="B")
    i_link.add_argument("--reason", required=True, help="why they are one person (audited)")
    i_split = identity_commands.add_parser(
        "split", help="judge occurrences someone else: they become a new identity, kept apart"
    )
    i_split.add_argument("identity_id", type=int, metavar="ID")
    i_split.add_argument(
        "--occurrence",
        action="append",
        required=True,
        metavar="OCC",
        help="traveller:ID or api:ID, as `show` lists them (repeat for more)",
    )
    i_split.add_argument("--reason", required=True, help="why they are someone else (audited)")
    i_export = identity_commands.add_parser(
        "export", help="every occurrence with its identity (file, locator, reference or index, identity)"
    )
    i_export.add_argument("--json", action="store_true", help="one JSON object per occurrence and line")
    i_case = identity_commands.add_parser(
        "case-file",
        help="an identity's journeys and network for a case file (JSON; a stated purpose; audited)",
        description=(
            "One JSON document: a header (who exported it, when, the purpose and case reference, the hops, "
            "how recent the data is), the journeys (legs in local time and UTC, broken travel with its "
            "reason) and the network (links with reasons, hubs). The export is audited. See docs/journeys.md."
        ),
    )
    i_case.add_argument("--identity", type=int, required=True, metavar="ID", help="the identity")
    i_case.add_argument(
        "--hops", type=int, default=3, metavar="K", help="network links from it (0-3, default 3)"
    )
    i_case.add_argument("--purpose", required=True, help="why it is exported (audited; a few words at least)")
    i_case.add_argument("--case", metavar="REF", help="the case reference, shown in the header")
    i_case.add_argument("--json", action="store_true", help="write the JSON document (to stdout or --out)")
    i_case.add_argument("--out", metavar="FILE", help="write the JSON document to this file")
    for sub in (i_show, i_link, i_split, i_export, i_case):
        sub.add_argument(
            "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
        )

    journeys = commands.add_parser(
        "journeys",
        help="a traveller identity's journeys across its bookings, with broken travel flagged",
        description=(
            "The identity's bookings, chained into journeys: legs, connections and stop-overs, and broken "
            "travel (a connection across the Schengen external border on separate bookings) with its "
            "reason. Personal data: the read is audited. See docs/journeys.md."
        ),
    )
    journeys.add_argument("--identity", type=int, required=True, metavar="ID", help="the identity")
    journeys.add_argument("--json", action="store_true", help="one JSON object")
    journeys.add_argument("--reason", default="review of a traveller's journeys", help="why (audited)")
    journeys.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )
    network = commands.add_parser(
        "network",
        help="the network behind a traveller identity: shared phones, e-mails, addresses, cards, agencies",
        description=(
            "Identities and bookings within K links of an identity, from the evidence index, with the "
            "reason for every link; values shared by many unrelated parties are reported as hubs and not "
            "followed. Personal data: the read is audited. See docs/journeys.md."
        ),
    )
    network.add_argument("--identity", type=int, required=True, metavar="ID", help="the identity")
    network.add_argument("--hops", type=int, default=3, metavar="K", help="links from it (default 3)")
    network.add_argument("--json", action="store_true", help="one JSON object")
    network.add_argument("--reason", default="review of a traveller's network", help="why (audited)")
    network.add_argument(
        "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
    )

    follow = commands.add_parser(
        "follow",
        help="follows on confirmed traveller identities: add, list, review, end",
        description=(
            "While a follow runs, every new booking or push of the identity raises a hit for the analyst "
            "who follows it. Only a confirmed identity (linked by an analyst, or with a confirmed hit) may "
            "be followed, with a legal basis, for at most OPENPIU_FOLLOW_MAX_DAYS days; a review extends "
            "it, `end` stops it. Everything is audited. See docs/analysts.md."
        ),
    )
    follow_commands = follow.add_subparsers(dest="follow_command", metavar="ACTION")
    follow_commands.required = True
    f_add = follow_commands.add_parser("add", help="follow a confirmed identity")
    f_add.add_argument("--identity", type=int, required=True, metavar="ID", help="the identity")
    f_add.add_argument("--legal-basis", required=True, metavar="TEXT", help="the article or case it serves")
    f_add.add_argument("--reason", required=True, help="why this person is followed (audited)")
    f_add.add_argument("--days", type=int, required=True, metavar="N", help="how long it runs before review")
    f_list = follow_commands.add_parser("list", help="the follows, soonest review first")
    f_list.add_argument("--json", action="store_true", help="one JSON object per follow and line")
    f_list.add_argument("--all", action="store_true", help="ended follows too")
    f_review = follow_commands.add_parser("review", help="review a follow and extend it")
    f_review.add_argument("follow_id", type=int, metavar="ID")
    f_review.add_argument("--reason", required=True, help="why it goes on (audited)")
    f_review.add_argument("--days", type=int, metavar="N", help="how long from now (default 30)")
    f_end = follow_commands.add_parser("end", help="end a follow")
    f_end.add_argument("follow_id", type=int, metavar="ID")
    f_end.add_argument("--reason", required=True, help="why it ends (audited)")
    for sub in (f_add, f_list, f_review, f_end):
        sub.add_argument(
            "--db", metavar="URL", help="database URL (default: OPENPIU_DATABASE_URL or the SQLite file)"
        )

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
        return _demo(args.shared, bookings=args.bookings, seed=args.seed, serve=args.serve, port=args.port)
    if args.command == "generate":
        return _generate(args)
    if args.command == "db":
        if args.db_command == "check":
            return _db_check(args.db, as_json=args.json)
        return _db_upgrade(args.db)
    if args.command == "ingest":
        return _ingest(args.paths, args.db, writers=args.writers)
    if args.command == "quarantine":
        return _quarantine(args)
    if args.command == "status":
        return _status(args.db, as_json=args.json)
    if args.command == "serve":
        return _serve(args.host, args.port, args.db, args.workers, prewarm=args.prewarm)
    if args.command == "carrier":
        return _carrier(args)
    if args.command == "worker":
        return _worker(args)
    if args.command == "screen":
        return _screen(args)
    if args.command == "criteria" and args.criteria_command == "activate":
        return _criteria_activate(args)
    if args.command == "criteria":
        return _criteria(args)
    if args.command == "watchlist":
        return _watchlist(args)
    if args.command == "user":
        return _user(args)
    if args.command == "audit":
        return _audit(args)
    if args.command == "transmission":
        return _transmission(args)
    if args.command == "identity" and args.identity_command == "case-file":
        return _case_file(args)
    if args.command == "identity":
        return _identity(args)
    if args.command == "journeys":
        return _journeys(args)
    if args.command == "follow":
        return _follow(args)
    if args.command == "network":
        return _network(args)
    parser.print_usage(sys.stderr)  # pragma: no cover - argparse requires a command
    return EXIT_USAGE


def _url_option_or_setting(url_option: str | None, console: Console) -> str | None:
    """``--db``, else the settings' database URL; None after saying what is wrong with the settings."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(str(error), style="red", markup=False)
        return None
    return url_option or settings.database_url


def _database(url_option: str | None, console: Console) -> str | None:
    """The database URL to use (the embedded one created on first use), or None after saying why not."""
    url = _url_option_or_setting(url_option, console)
    return url if url is not None and _create_sqlite_if_missing(url, console) else None


def _criteria_activate(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    url = _database(args.db, console)
    if url is None:
        return EXIT_USAGE
    try:
        activated = activate_file(args.file, url, SystemClock(), actor=f"cli:{getpass.getuser()}")
    except NotActivated as error:
        console.print(f"nothing activated: {error}", style="red", markup=False)
        return EXIT_FAILED
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"cannot activate: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    for spec in activated:
        sys.stdout.write(
            f"activated {spec.criterion_id} version {spec.version} (expires {spec.expires_on})\n"
        )
    return EXIT_OK


def _watchlist(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    url = _database(args.db, console)
    if url is None:
        return EXIT_USAGE
    clock = SystemClock()
    try:
        if args.watchlist_command == "list":
            found = list_watchlists(url, clock=clock)
            if args.json:
                sys.stdout.write("".join(json.dumps(w, sort_keys=True) + "\n" for w in found))
            else:
                for w in found:
                    mark = "active" if w["active"] else "old"
                    sys.stdout.write(
                        f"{w['list_id']}\t{w['version']}\t{mark}\t{w['entries']} entries\t{w['category']}\t"
                        f"{w['legal_basis']}\n"
                    )
            return EXIT_OK
        overrides = {
            "list_id": args.list_id,
            "name": args.name,
            "version": args.version,
            "source": args.source,
            "legal_basis": args.legal_basis,
            "category": args.category,
            "owner": args.owner,
            "alert_threshold": args.threshold,
        }
        stored = import_watchlist_file(
            url, args.file, clock=clock, actor=f"cli:{getpass.getuser()}", overrides=overrides
        )
    except (ValueError, OSError) as error:  # a bad file (with its line), missing facts, an old version
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"cannot import: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    kept = stored.watchlist
    sys.stdout.write(f"imported {kept.list_id} version {kept.version}: {stored.entries} entries, active\n")
    return EXIT_OK


def _read_new_password(from_stdin: bool) -> str | None:
    """The new password: the first line of stdin, or typed twice (None when the two differ)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password (at least 12 characters): ")
    second = getpass.getpass("the same password again: ")
    return first if secrets.compare_digest(first.encode(), second.encode()) else None


def _user(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    url = _database(args.db, console) if args.user_command == "add" else None
    if args.user_command == "add" and url is None:
        return EXIT_FAILED
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    url = url or args.db or settings.database_url
    if _missing_sqlite(url, console):
        return EXIT_FAILED
    actor = f"cli:{getpass.getuser()}"
    try:
        with AccountService.open(settings, SystemClock(), url=url) as accounts:
            if args.user_command == "add":
                password = _read_new_password(args.password_stdin)
                if password is None:
                    console.print("the two passwords differ: nothing was changed", style="red")
                    return EXIT_USAGE
                info = accounts.add_user(args.username, args.role, password, actor=actor)
                console.print(f"user {info.username} added with the role {info.role}", markup=False)
            elif args.user_command == "disable":
                info = accounts.disable(args.username, actor=actor)
                console.print(f"user {info.username} disabled: their sessions have ended", markup=False)
            elif args.user_command == "set-role":
                info = accounts.set_role(args.username, args.role, actor=actor)
                console.print(
                    f"user {info.username} has the role {info.role} now (signs in again)", markup=False
                )
            else:
                users = accounts.users()
                if args.json:
                    sys.stdout.write("".join(json.dumps(u.to_dict(), sort_keys=True) + "\n" for u in users))
                elif not users:
                    console.print(
                        "no users yet: add the first administrator with "
                        "`openpiu user add NAME --role administrator`",
                        markup=False,
                    )
                for u in users if not args.json else []:
                    state = "active"
                    if u.disabled:
                        state = "disabled"
                    elif u.locked_until is not None:
                        state = f"locked until {u.locked_until:%Y-%m-%d %H:%M} UTC"
                    last = f"{u.last_login_at:%Y-%m-%d %H:%M} UTC" if u.last_login_at else "never"
                    sys.stdout.write(f"{u.username:<24} {u.role.value:<14} {state:<28} last sign-in {last}\n")
    except UnknownUser as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    except AccountError as error:  # a weak password, a bad name or role, a name taken
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"cannot manage users: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    return EXIT_OK


def _audit(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    url = _database_to_read(args.db, console)
    if isinstance(url, int):
        return url
    try:
        result = verify_audit(url, clock=SystemClock())
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(
            f"cannot read the audit log: {type(error).__name__}: {error}", style="red", markup=False
        )
        return EXIT_FAILED
    if result.ok:
        sys.stdout.write(f"audit log intact: {result.events} events, every hash and link checked\n")
        return EXIT_OK
    sys.stdout.write(
        f"audit log BROKEN at event {result.broken_at}: {result.problem} "
        f"({result.events} events before it are intact)\n"
    )
    if result.event is not None:
        e = result.event
        sys.stdout.write(
            f"first broken event: #{e.seq} at {e.at.isoformat()} actor {e.actor} action {e.action} "
            f"subject {e.subject}\n"
        )
    return EXIT_FAILED


def _transmission(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    if args.transmission_command == "authorities":
        path = args.file or settings.authorities_file
        if path is None:
            console.print("no allow-list: set OPENPIU_AUTHORITIES_FILE or give --file", style="red")
            return EXIT_USAGE
        try:
            listed = authorities_summary(path)
        except ValueError as error:  # the message names the file and the line
            console.print(str(error), style="red", markup=False)
            return EXIT_FAILED
        for a in listed:
            sys.stdout.write(f"{a['id']}\t{a['channel']}\t{','.join(a['actions'])}\t{a['name']}\n")
        console.print(f"{len(listed)} authorities")
        return EXIT_OK
    url = args.db or settings.database_url
    if _missing_sqlite(url, console):
        return EXIT_FAILED
    try:
        found = list_transmissions(url, clock=SystemClock(), state=args.state)
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"cannot read the database: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    if args.json:
        sys.stdout.write("".join(json.dumps(t, sort_keys=True) + "\n" for t in found))
        return EXIT_OK
    for t in found:
        sys.stdout.write(
            f"{t['id']}\t{t['state']}\thit {t['hit']}\t{t['authority']}\t{t['action']}\t"
            f"requested {t['requested_at']}\tdecided {t['decided_at'] or '-'}\tsent {t['sent_at'] or '-'}\t"
            f"{t['attempts']} attempts\n"
        )
    console.print(f"{len(found)} transmissions")
    return EXIT_OK


def _identity(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    url = _database_to_read(args.db, console)
    if isinstance(url, int):
        return url
    clock = SystemClock()
    actor = f"cli:{getpass.getuser()}"
    action = args.identity_command
    out = sys.stdout
    try:
        if action == "show":
            view = show_identity(url, args.identity_id, clock=clock, actor=actor, reason=args.reason)
            if args.json:
                out.write(json.dumps(view.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
                return EXIT_OK
            identity = view.identity
            out.write(f"identity {identity.id}: {identity.occurrences} occurrences\n")
            for member in view.members:
                m = member.member
                joined = ", ".join(m.reasons)
                score = "" if m.score is None else f" {m.score:.3f}"
                out.write(
                    f"{m.occurrence}\t{m.flight_date.isoformat()}\t{m.flight} {m.route}\t"
                    f"{m.locator or '-'}/{m.reference or '-'}\t{m.name}\t{m.date_of_birth or '-'}\t"
                    f"shares: {', '.join(k.value for k in member.shared) or '-'}\tjoined: {joined}{score}\n"
                )
            for summary in view.evidence:
                out.write(
                    f"evidence {summary.kind.value}: {summary.values} shared, by up to {summary.holders}\n"
                )
            for judgement in identity.judgements:
                out.write(
                    f"judgement {judgement.id}: {judgement.kind} by {judgement.decided_by} "
                    f"{judgement.decided_at.isoformat()}: {judgement.reason}\n"
                )
            return EXIT_OK
        if action == "link":
            judgement = link_identities(
                url, args.first, args.second, clock=clock, actor=actor, reason=args.reason
            )
        elif action == "split":
            judgement = split_identity(
                url, args.identity_id, args.occurrence, clock=clock, actor=actor, reason=args.reason
            )
        else:
            count = 0
            for line in export_identities(url, clock=clock, actor=actor):
                count += 1
                if args.json:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                else:
                    where = (
                        f"{line['locator'] or '-'}\t{line['reference'] or '-'}"
                        if "locator" in line
                        else f"api\t{line['index']}"
                    )
                    identity_id = "-" if line["identity"] is None else line["identity"]
                    out.write(f"{line['file'] or line['message']}\t{where}\t{identity_id}\n")
            console.print(f"{count} occurrences")
            return EXIT_OK
    except BrokenPipeError:  # the reader stopped (`| head`): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more is written; Python flushes at exit
        return EXIT_OK
    except (NoSuchIdentity, JudgementRefused) as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    except ValueError as error:  # a malformed occurrence, an empty reason
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(
            f"cannot use the identities: {type(error).__name__}: {error}", style="red", markup=False
        )
        return EXIT_FAILED
    out.write(json.dumps(judgement_json(judgement), ensure_ascii=False, sort_keys=True) + "\n")
    return EXIT_OK


def _command_database(args: argparse.Namespace, console: Console) -> tuple[Settings, str] | int:
    """The settings and the database a command works on, or the exit code when there is none."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    url = args.db or settings.database_url
    return EXIT_FAILED if _missing_sqlite(url, console) else (settings, url)


def _follow(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    found = _command_database(args, console)
    if isinstance(found, int):
        return found
    settings, url = found
    clock, actor, action, out = SystemClock(), f"cli:{getpass.getuser()}", args.follow_command, sys.stdout
    try:
        if action == "list":
            views = list_follows(url, clock=clock, actor=actor, include_ended=args.all)
            for view in views:
                if args.json:
                    out.write(json.dumps(view.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
                    continue
                f = view.follow
                due = "\tDUE FOR REVIEW" if view.due_for_review else ""
                out.write(
                    f"follow {f.id}\tidentity {f.identity_id}\t{view.state.value}\t{f.followed_by}\t"
                    f"review {f.review_at.isoformat()}\texpires {f.expires_at.isoformat()}\t"
                    f"{f.legal_basis}{due}\n"
                )
            console.print(f"{len(views)} follows")
            return EXIT_OK
        if action == "add":
            view = start_follow(
                url,
                args.identity,
                clock=clock,
                actor=actor,
                legal_basis=args.legal_basis,
                reason=args.reason,
                days=args.days,
                max_days=settings.follow_max_days,
            )
        elif action == "review":
            view = review_follow(
                url,
                args.follow_id,
                clock=clock,
                actor=actor,
                reason=args.reason,
                days=args.days,
                max_days=settings.follow_max_days,
            )
        else:
            view = end_follow(url, args.follow_id, clock=clock, actor=actor, reason=args.reason)
    except (NoSuchIdentity, NoSuchFollow, FollowRefused) as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    except ValueError as error:  # a missing basis or reason, a term out of bounds
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"cannot use the follows: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    out.write(json.dumps(view.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
    return EXIT_OK


def _reader_target(args: argparse.Namespace, console: Console) -> tuple[str, str] | int:
    """The database (``--db`` or the settings') and the audited actor of a command reading personal data;
    or the exit code when there is none to read."""
    found = _command_database(args, console)
    if isinstance(found, int):
        return found
    return found[1], f"cli:{getpass.getuser()}"


def _journeys(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    target = _reader_target(args, console)
    if isinstance(target, int):
        return target
    url, actor = target
    try:
        found = identity_journeys(url, args.identity, clock=SystemClock(), actor=actor, reason=args.reason)
    except NoSuchIdentity as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"cannot read the journeys: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    out = sys.stdout
    if args.json:
        out.write(json.dumps(found.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
        return EXIT_OK
    history = found.history
    out.write(
        f"identity {found.identity}: {len(history.journeys)} journeys on {len(found.bookings)} bookings\n"
    )
    for number, journey in enumerate(history.journeys, 1):
        kind = " (round trip)" if journey.round_trip else ""
        back = "" if journey.return_of is None else f" (return of journey {journey.return_of + 1})"
        out.write(f"journey {number}: {journey.origin} to {journey.destination}{kind}{back}\n")
        for index, leg in enumerate(journey.legs):
            out.write(
                f"  {leg.designator}\t{leg.origin}-{leg.destination}\t{leg.departure.isoformat()}\t"
                f"{leg.arrival.isoformat()}\t{leg.crossing.value}\t{', '.join(leg.bookings)}\n"
            )
            if index < len(journey.stops):
                stop = journey.stops[index]
                out.write(f"    {stop.kind.value} at {stop.arrived_at}, {stop.ground_time}\n")
                if stop.broken is not None:
                    out.write(f"    BROKEN TRAVEL: {stop.broken.reason}\n")
    for leg in history.cancelled:
        out.write(f"cancelled: {leg.designator} {leg.origin}-{leg.destination} {leg.departure.isoformat()}\n")
    return EXIT_OK


def _case_file(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    target = _reader_target(args, console)
    if isinstance(target, int):
        return target
    url, actor = target
    try:
        found = export_case_file(
            url,
            args.identity,
            clock=SystemClock(),
            actor=actor,
            purpose=args.purpose,
            hops=args.hops,
            case_reference=args.case,
        )
    except ExportRefused as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    except NoSuchIdentity as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(
            f"cannot export the case file: {type(error).__name__}: {error}", style="red", markup=False
        )
        return EXIT_FAILED
    document = json.dumps(found.to_dict(), ensure_ascii=False, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(document, encoding="utf-8")
        console.print(f"case file of identity {found.identity} written to {args.out}", markup=False)
    elif args.json:
        sys.stdout.write(document)
    else:
        network = found.network.network
        sys.stdout.write(
            f"identity {found.identity}: case file for {found.purpose!r}"
            f"{f' (case {found.case_reference})' if found.case_reference else ''}, "
            f"{len(found.journeys.history.journeys)} journeys, {len(network.nodes)} nodes and "
            f"{len(network.links)} links within {found.hops} links, {len(network.hubs)} hubs; "
            "--json or --out FILE for the document\n"
        )
    return EXIT_OK


def _network(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    if args.hops < 0:
        console.print("--hops must not be negative", style="red", markup=False)
        return EXIT_USAGE
    target = _reader_target(args, console)
    if isinstance(target, int):
        return target
    url, actor = target
    try:
        found = identity_network(
            url, args.identity, hops=args.hops, clock=SystemClock(), actor=actor, reason=args.reason
        )
    except NoSuchIdentity as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"cannot read the network: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    shown = found.to_dict()
    out = sys.stdout
    if args.json:
        out.write(json.dumps(shown, ensure_ascii=False, sort_keys=True) + "\n")
        return EXIT_OK

    def name(node: dict[str, Any]) -> str:
        return (
            f"booking {node.get('locator') or node['id']}"
            if node["kind"] == "booking"
            else f"identity {node['id']}"
        )

    out.write(f"identity {found.identity}: {len(shown['nodes'])} nodes within {args.hops} links\n")
    for link in shown["links"]:
        out.write(f"{name(link['source'])} -- {name(link['target'])}: {link['reason']} ({link['weight']})\n")
    for hub in shown["hubs"]:
        out.write(f"hub, not followed: {hub['reason']}, held by {hub['spread']} unrelated parties\n")
    if shown["truncated"]:
        out.write("more was reachable than a network holds: the strongest links were kept\n")
    return EXIT_OK


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


def _db_upgrade(url_option: str | None) -> int:
    console = Console(stderr=True)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE
    url = url_option or settings.database_url
    if url.startswith("sqlite:///") and url_option is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        shown = upgrade_database(url)
    except Exception as error:  # the driver's own message says what is wrong (host, auth, file)
        console.print(f"[red]cannot upgrade the database: {type(error).__name__}: {error}[/red]")
        return EXIT_FAILED
    console.print(f"database at {shown} is up to date")
    return EXIT_OK


def _db_check(url_option: str | None, *, as_json: bool) -> int:
    dangling = _counted(url_option, lambda url: check_references(url, SystemClock()))
    if isinstance(dangling, int):
        return dangling
    bad = sum(dangling.values())
    if as_json:
        sys.stdout.write(json.dumps(dangling, sort_keys=True) + "\n")
    else:
        width = max(map(len, dangling))
        lines = [f"{name:<{width}}  {rows}" for name, rows in dangling.items()]
        lines.append(f"{bad} rows point at nothing" if bad else "every reference resolves")
        sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_FAILED if bad else EXIT_OK


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if name in ("", ":memory:") else Path(name)


def _create_sqlite_if_missing(url: str, console: Console) -> bool:
    """Create the embedded database on first use (a PostgreSQL schema is created by `db upgrade`)."""
    db_file = _sqlite_file(url)
    if db_file is None or db_file.exists():
        return True
    try:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        upgrade_database(url)
    except Exception as error:  # the driver's own message says what is wrong (folder, permissions)
        console.print(
            f"cannot create the database: {type(error).__name__}: {error}", style="red", markup=False
        )
        return False
    console.print(f"created the database at {redact_url(url)}", markup=False)
    return True


def _database_to_read(url_option: str | None, console: Console) -> str | int:
    """The URL a command that reads the database works on (``--db``, else the settings'), or the exit code
    when the settings are wrong or name an SQLite file that does not exist (said on ``console``)."""
    url = _url_option_or_setting(url_option, console)
    if url is None:
        return EXIT_USAGE
    return EXIT_FAILED if _missing_sqlite(url, console) else url


def _counted(url_option: str | None, count: Callable[[str], dict[str, _V]]) -> dict[str, _V] | int:
    """What ``count`` reads from the database a reading command works on (`_database_to_read`), or the
    exit code when it cannot be read (said on standard error)."""
    console = Console(stderr=True)
    url = _database_to_read(url_option, console)
    if isinstance(url, int):
        return url
    try:
        return count(url)
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"[red]cannot read the database: {type(error).__name__}: {error}[/red]")
        return EXIT_FAILED


def _missing_sqlite(url: str, console: Console) -> bool:
    """Say so when a command that only reads names an SQLite file that does not exist."""
    db_file = _sqlite_file(url)
    if db_file is None or db_file.exists():
        return False
    console.print(
        f"no database at {url}: run `openpiu db upgrade` or `openpiu ingest`", style="red", markup=False
    )
    return True


def _ingest(paths: Sequence[str], url_option: str | None, *, writers: int = 1) -> int:
    console = Console(stderr=True)
    try:
        settings = Settings.from_env()
        card_key = load_card_hash_key(settings)
        scope = notified_scope(settings)
    except (ValueError, OSError) as error:  # settings, key file or scope file
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        console.print(f"[red]no such file or folder: {', '.join(missing)}[/red]")
        return EXIT_USAGE
    url = url_option or settings.database_url
    if not _create_sqlite_if_missing(url, console):
        return EXIT_FAILED
    clock = SystemClock()
    total = sum(1 for _ in files_in(paths))
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("ingesting", total=total)

            def advance(done: int, _total: int, path: Path) -> None:
                progress.update(task, completed=done, description=f"ingesting {path.name}")

            summary = ingest_paths(
                paths,
                url=url,
                clock=clock,
                card_key=card_key,
                scope=scope,
                progress=advance,
                writers=writers,
            )
    except Exception as error:  # the store's or the driver's message says what to do (upgrade, host)
        console.print(f"[red]cannot ingest: {type(error).__name__}: {error}[/red]")
        return EXIT_FAILED
    r = summary.result
    removed = ", ".join(f"{code} x{n}" for code, n in sorted(r.removed.items())) or "none"
    out = Console(width=None if sys.stdout.isatty() else 160)
    out.print(
        f"[bold]{summary.files} files, {r.messages} messages[/bold]: {r.stored_messages} stored "
        f"({r.bookings} bookings, {r.travellers} travellers; {r.passenger_lists} API lists with "
        f"{r.api_persons} persons, {r.api_merged} merged with their booking), {r.duplicates} duplicates, "
        f"{r.waiting_parts} parts of split pushes waiting, {r.quarantined} quarantined, "
        f"{len(summary.unreadable)} unreadable files"
    )
    out.print(
        f"bookings no longer listed by a full push: {r.removed_bookings}; messages outside the notified "
        f"scope (counted, not kept): {r.out_of_scope}"
    )
    out.print(f"removed at the door: {r.removed_items} items ({removed})")
    return EXIT_FAILED if r.quarantined or summary.unreadable else EXIT_OK


def _quarantine(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE
    url = args.db or settings.database_url
    if _missing_sqlite(url, console):
        return EXIT_FAILED
    clock = SystemClock()
    action = args.quarantine_command
    if action == "retry" and not args.all and not args.message_ids:
        console.print("[red]name the messages to retry, or --all[/red]")
        return EXIT_USAGE
    if action == "show" and args.raw and not args.reason.strip():
        console.print("[red]--raw shows personal data: say why with --reason[/red]")
        return EXIT_USAGE
    try:
        if action == "list":
            found = list_quarantined(url, clock=clock)
            if args.json:
                sys.stdout.write("".join(json.dumps(m, sort_keys=True) + "\n" for m in found))
            else:
                for m in found:
                    sys.stdout.write(
                        f"{m['id']}\t{m['received_at']}\t{m['sender']}/{m['channel']}\t{m['reason']}\n"
                    )
                console.print(f"{len(found)} quarantined messages")
            return EXIT_OK
        if action == "show":
            if args.raw:
                actor = f"cli:{getpass.getuser()}"
                sys.stdout.buffer.write(
                    message_raw(url, args.message_id, clock=clock, actor=actor, reason=args.reason)
                )
                return EXIT_OK
            sys.stdout.write(json.dumps(message_details(url, args.message_id, clock=clock), indent=2) + "\n")
            return EXIT_OK
        card_key = load_card_hash_key(settings)
        result = retry(
            url,
            None if args.all else args.message_ids,
            clock=clock,
            card_key=card_key,
            scope=notified_scope(settings),
        )
    except LookupError as error:  # NotFound
        console.print(f"[red]{error}[/red]")
        return EXIT_FAILED
    except Exception as error:  # the store's or the driver's message says what to do
        console.print(f"[red]cannot use the quarantine: {type(error).__name__}: {error}[/red]")
        return EXIT_FAILED
    sys.stdout.write(
        f"retried: {len(result.message_ids)} messages, {result.stored_messages} stored, "
        f"{result.waiting_parts} waiting for other parts, {result.quarantined} quarantined again\n"
    )
    return EXIT_FAILED if result.quarantined else EXIT_OK


def _status(url_option: str | None, *, as_json: bool) -> int:
    counts = _counted(url_option, lambda url: status(url, clock=SystemClock()))
    if isinstance(counts, int):
        return counts
    if as_json:
        sys.stdout.write(json.dumps(counts, sort_keys=True) + "\n")
        return EXIT_OK
    m = counts["messages"]
    lines = [
        f"messages: {m['received']} received ({m['duplicates']} duplicate deliveries), {m['stored']} stored, "
        f"{m['parsed']} parsed (not stored yet), {m['quarantined']} quarantined",
        f"flights: {counts['flights']}, bookings: {counts['bookings']} "
        f"({counts['booking_versions']} versions), travellers: {counts['travellers']}",
        f"removed sensitive items: {counts['removed_sensitive_items']}, "
        f"out-of-scope messages: {counts['out_of_scope_messages']}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _serve(
    host: str, port: int, url_option: str | None, workers_option: int | None = None, *, prewarm: bool = True
) -> int:
    console = Console(stderr=True, soft_wrap=True)
    if not 0 < port < 65536:
        console.print(f"--port must be between 1 and 65535, got {port}", style="red", markup=False)
        return EXIT_USAGE
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    workers = settings.web_workers if workers_option is None else workers_option
    if not 0 < workers <= 64:
        console.print(f"--workers must be between 1 and 64, got {workers}", style="red", markup=False)
        return EXIT_USAGE
    url = url_option or settings.database_url
    if not _create_sqlite_if_missing(url, console):
        return EXIT_FAILED
    if not settings.carriers_path.exists():
        console.print(
            f"no carriers yet ({settings.carriers_path}): every push is refused until "
            "`openpiu carrier add NAME`",
            style="yellow",
            markup=False,
        )
    if host not in _LOOPBACK:
        console.print(
            "the endpoint speaks plain HTTP: put a TLS-terminating proxy in front of it", style="yellow"
        )
    # The web application reads its settings from the environment (uvicorn imports it by name).
    os.environ["OPENPIU_DATABASE_URL"] = url
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console.print(
        f"push endpoint: http://{host}:{port}/api/v1/push, database {redact_url(url)}"
        + (f", {workers} server processes" if workers > 1 else ""),
        markup=False,
    )
    if prewarm:
        # Once, for every server process: they share the operating system's file cache.
        prewarm_in_background(url, SystemClock())
    try:
        # Requests run Python code under one interpreter lock per process: more processes use more CPUs.
        # Each keeps nothing of its own between requests (sessions, sign-in throttling and the audit chain
        # are in the database), so any of them may answer any request.
        uvicorn.run(
            "openpiu.web.app:serve_app",
            factory=True,
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            lifespan="on",
            workers=workers if workers > 1 else None,
        )
    except SystemExit as exit_:  # uvicorn exits when it cannot start (port taken, database not up to date)
        return EXIT_OK if exit_.code in (None, 0) else EXIT_FAILED
    return EXIT_OK


def _carrier(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    path = settings.carriers_path
    try:
        if args.carrier_command == "add":
            token = add_carrier(path, args.name)
            name = args.name.strip().upper()
            console.print(
                f"carrier {name} added to {path}. Its token is below: it is shown only this once and cannot "
                "be recovered; give it to the carrier over a secure channel (HTTP Basic: user "
                f"{name}, password the token).",
                markup=False,
            )
            sys.stdout.write(token + "\n")
        elif args.carrier_command == "disable":
            disable_carrier(path, args.name)
            console.print(
                f"carrier {args.name.strip().upper()} disabled: its pushes are refused from now on",
                markup=False,
            )
        else:
            carriers = list_carriers(path)
            if args.json:
                sys.stdout.write(json.dumps([c.to_dict() for c in carriers], sort_keys=True) + "\n")
            elif not carriers:
                console.print(f"no carriers in {path}: add one with `openpiu carrier add NAME`", markup=False)
            else:
                for c in carriers:
                    state = "active"
                    if c.disabled:
                        state = f"disabled {c.disabled_at:%Y-%m-%d %H:%M %Z}" if c.disabled_at else "disabled"
                    sys.stdout.write(f"{c.name:<36} created {c.created_at:%Y-%m-%d %H:%M %Z}  {state}\n")
    except InvalidCarrierName as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    except CarrierError as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    return EXIT_OK


def _worker(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        settings = Settings.from_env()
        card_key = load_card_hash_key(settings)
        scope = notified_scope(settings)
    except (ValueError, OSError) as error:  # settings, key file or scope file
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    amqp_url = args.amqp or settings.amqp_url
    if amqp_url is not None and not amqp_url.startswith(("amqp://", "amqps://")):
        console.print(f"--amqp must start with amqp:// or amqps://, got {redact_url(amqp_url)}", style="red")
        return EXIT_USAGE
    folder = Path(args.folder).expanduser() if args.folder else settings.watch_folder
    if folder.exists() and not folder.is_dir():
        console.print(f"the watched folder {folder} is not a folder", style="red", markup=False)
        return EXIT_USAGE
    url = args.db or settings.database_url
    if not _create_sqlite_if_missing(url, console):
        return EXIT_FAILED
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = args.queue or settings.amqp_queue
    console.print(
        f"watching {folder}"
        + (f", consuming queue {queue} at {redact_url(amqp_url)}" if amqp_url else ", no AMQP queue")
        + f", database {redact_url(url)}",
        markup=False,
    )
    clock = SystemClock()

    def report(round_: WorkerRound) -> None:
        stamp = "" if args.once else f"{clock.now():%Y-%m-%dT%H:%M:%SZ} "
        sys.stdout.write(stamp + round_.line() + "\n")
        sys.stdout.flush()

    stop = threading.Event()
    previous: dict[signal.Signals, object] = {}
    if threading.current_thread() is threading.main_thread():  # handlers can be set in the main thread only
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda _signum, _frame: stop.set())
    try:
        summary = run_worker(
            settings,
            url=url,
            clock=clock,
            once=args.once,
            stop=stop,
            folder=folder,
            amqp_url=amqp_url,
            amqp_queue=queue,
            card_key=card_key,
            scope=scope,
            report=report,
        )
    except Exception as error:  # the store's or the driver's message says what to do (upgrade, host)
        console.print(f"cannot run the worker: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    if args.once:
        return EXIT_FAILED if summary.quarantined or summary.failures else EXIT_OK
    console.print(f"stopped after {summary.rounds} rounds: {summary.line()}", markup=False)
    return EXIT_OK


def _screen(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    if args.top < 1:
        console.print("--top must be at least 1", style="red", markup=False)
        return EXIT_USAGE
    try:
        on = date.fromisoformat(args.on) if args.on else SystemClock().now().date()
    except ValueError:
        console.print(f"--on is not a day (YYYY-MM-DD): {args.on}", style="red", markup=False)
        return EXIT_USAGE
    skipped: Counter[str] = Counter()
    try:
        lists = load_watchlists(args.watchlist, skipped=skipped)
        travellers = read_travellers(args.travellers)
    except (WatchlistError, TravellerFileError) as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_FAILED
    for watchlist, entries in lists:
        console.print(
            f"watchlist {watchlist.list_id} ({watchlist.version}): {len(entries)} entries", markup=False
        )
    if skipped:
        console.print(
            "skipped: " + ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items())), markup=False
        )
    screener = build_screener(lists)
    results = screen_travellers(screener, travellers, on=on, top=args.top)
    if args.json:
        for person, candidates in results:
            sys.stdout.write(json.dumps(result_json(person, candidates), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return EXIT_OK
    table = Table(title=f"Screened on {on.isoformat()}", header_style="bold")
    for column in ("traveller", "list", "entry", "score", "alert", "evidence"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for person, candidates in results:
        if not candidates:
            table.add_row(escape(person.ref), "", "no candidate", "", "", "")
        for rank, candidate in enumerate(candidates):
            evidence = "; ".join(
                f"{f.feature} {f.query or '-'} ~ {f.candidate or '-'} {f.score:.2f}"
                for f in candidate.explanation
            )
            table.add_row(
                escape(person.ref) if rank == 0 else "",
                escape(candidate.list_id),
                escape(candidate.entry_id),
                f"{candidate.score:.2f}",
                "[bold red]ALERT[/bold red]" if candidate.alert else "",
                escape(evidence),
            )
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    return EXIT_OK


def _criteria_findings(result: LintResult) -> list[str]:
    return [
        f"{result.path}:{f.line or 1}: {f.severity}: "
        + (f"{f.criterion_id}: " if f.criterion_id else "")
        + f.message
        for f in result.findings
    ]


def _criteria(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    path = Path(args.file)
    if not path.is_file():
        console.print(f"no such file: {args.file}", style="red", markup=False)
        return EXIT_USAGE
    clock = SystemClock()
    if args.criteria_command == "lint":
        linted = lint_file(path, on=clock.now().date())
        sys.stdout.write("".join(line + "\n" for line in _criteria_findings(linted)))
        sys.stdout.write(
            f"{len(linted.criteria)} criteria: {len(linted.errors)} errors, {len(linted.warnings)} warnings\n"
        )
        return EXIT_OK if linted.ok else EXIT_FAILED
    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        console.print(
            f"--from and --to are days (YYYY-MM-DD): {args.start}, {args.end}", style="red", markup=False
        )
        return EXIT_USAGE
    url = _database_to_read(args.db, console)
    if isinstance(url, int):
        return url
    try:
        tested = backtest_criteria_file(path, url, start, end, clock)
    except InvalidRange as error:
        console.print(str(error), style="red", markup=False)
        return EXIT_USAGE
    except Exception as error:  # the store's or the driver's message says what to do (upgrade, host)
        console.print(f"cannot back-test: {type(error).__name__}: {error}", style="red", markup=False)
        return EXIT_FAILED
    failed = tested.report is None or bool(tested.skipped)
    if args.json:
        sys.stdout.write(json.dumps(tested.to_dict(), sort_keys=True) + "\n")
        return EXIT_FAILED if failed else EXIT_OK
    for line in _criteria_findings(tested.lint):
        console.print(line, markup=False)
    if tested.skipped:
        console.print(f"not back-tested (errors): {', '.join(tested.skipped)}", style="red", markup=False)
    report = tested.report
    if report is None:
        return EXIT_FAILED
    sys.stdout.write(
        f"back-test of {path} over the flights of {start.isoformat()} to {end.isoformat()}: "
        f"{report.travellers} travellers, {report.bookings} bookings, {report.flights} flights\n"
    )
    table = Table(header_style="bold")
    for column in ("criterion", "version", "status", "travellers", "share", "bookings", "flights", "sample"):
        table.add_column(
            column, justify="right" if column in ("travellers", "share", "bookings", "flights") else "left"
        )
    for c in report.criteria:
        table.add_row(
            escape(c.criterion_id),
            escape(c.version),
            c.status,
            str(c.travellers),
            f"{100 * c.share(report.travellers):.2f}%",
            str(c.bookings),
            str(c.flights),
            escape(" ".join(str(ref) for ref in c.sample[:3])),
        )
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    return EXIT_FAILED if failed else EXIT_OK


def _generate(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        params = world_params(
            seed=args.seed,
            days=args.days,
            scale=args.scale,
            country=args.country,
            start=args.start,
            versions=args.versions,
            xml_share=args.xml_share,
            quirk_rate=args.quirk_rate,
            broken_rate=args.broken_rate,
            identity_noise=args.identity_noise,
        )
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("building the world", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, description="writing messages", completed=done, total=total)

        summary = generate_world(params, Path(args.out), advance)
    sys.stdout.write(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return EXIT_OK


def _shared_folder(option: str | None) -> Path:
    if option:
        return Path(option)
    return Path(os.environ.get("OPENPIU_SHARED_DIR") or "../shared")


def _demo(
    shared_option: str | None, *, bookings: int, seed: int, serve: bool = False, port: int = 8000
) -> int:
    # A pipe or a CI log is not a terminal: give the table room rather than 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        return EXIT_USAGE
    received_on = SystemClock().now().date()
    demo_dir = settings.data_dir / "demo"
    generated = write_demo_files(demo_dir, seed=seed, bookings=bookings)
    samples_dir = _shared_folder(shared_option) / "samples"
    samples = sorted(p for p in samples_dir.glob("*/*") if p.is_file() and p.name not in _NOT_MESSAGES)
    if not samples:
        console.print(f"[yellow]No sample messages at {samples_dir}: generated traffic only.[/yellow]")
    summaries = [
        summarise(_short(result.path, samples_dir), outcome)
        for result in parse_files([*samples, *generated], received_on=received_on)
        for outcome in result.outcomes
    ]
    console.print(_table(summaries))
    console.print(_totals(summaries))

    # A small generated day: every delivered message read back and checked against the truth.
    world_dir = demo_dir / "world"
    shutil.rmtree(world_dir, ignore_errors=True)
    # today's flights, so that the board shows them with the time left before they land
    today = SystemClock().now().date().isoformat()
    truth = generate_world(world_params(seed=seed, scale=0.005, start=today), world_dir)
    files = sorted((world_dir / "messages").iterdir())
    world = [
        summarise(result.path, outcome)
        for result in parse_files(files, received_on=received_on)
        for outcome in result.outcomes
    ]
    console.print(f"\n[bold]A generated day[/bold] ({truth['flights']} flights, seed {seed}) in {world_dir}:")
    console.print(_totals(world))
    failed = sum(1 for s in world if s.error)
    read = {
        "PNRGOV messages": sum(1 for s in world if s.kind in ("PNRGOV", "PNRGOV_XML")),
        "PAXLST messages": sum(1 for s in world if s.kind == "PAXLST"),
        "broken messages": failed,
        "traveller occurrences": sum(s.counts.travellers for s in world),
    }
    expected = {
        "PNRGOV messages": truth["pnrgov_messages"],
        "PAXLST messages": truth["paxlst_messages"],
        "broken messages": truth["broken_messages"],
        "traveller occurrences": truth["traveller_occurrences"],
    }
    agree = read == expected
    for name, value in read.items():
        mark = "[green]=[/green]" if value == expected[name] else "[red]≠[/red]"
        console.print(f"  {name}: read {value} {mark} ground truth {expected[name]}")
    stored_ok = _demo_ingest(console, settings, world_dir, demo_dir)
    console.print(
        f"\nGenerated files are in [bold]{demo_dir}[/bold]; read any message with "
        "[bold]uv run openpiu parse FILE --json[/bold], make a bigger world with "
        "[bold]uv run openpiu generate --scale 0.05 --out DIR[/bold], look at the demo database with "
        f"[bold]uv run openpiu status --db sqlite:///{(demo_dir / 'openpiu.db').as_posix()}[/bold]."
    )
    ok = agree and stored_ok and not any(s.error for s in summaries)
    if not serve or not ok:
        return EXIT_OK if ok else EXIT_FAILED
    url = f"sqlite:///{(demo_dir / 'openpiu.db').as_posix()}"
    username, password = demo_account(settings, url)
    console.print(
        f"\n[bold]The analysts' pages[/bold]: http://127.0.0.1:{port}/ (the day's board: "
        f"http://127.0.0.1:{port}/dashboard?day={today}, the hits: http://127.0.0.1:{port}/hits).\n"
        f"Sign in as [bold]{username}[/bold] with the one-time password [bold]{password}[/bold] "
        "(a new one at every `make demo`). Stop with Ctrl-C."
    )
    os.environ["OPENPIU_ALLOW_PLAIN_HTTP"] = "true"  # plain HTTP on localhost only
    return _serve("127.0.0.1", port, url)


def demo_account(settings: Settings, url: str) -> tuple[str, str]:
    """A supervisor `demo` with a new random password, in the demo database (made anew at every run)."""
    password = secrets.token_urlsafe(12)
    accounts = AccountService.open(settings, SystemClock(), url=url)
    try:
        accounts.add_user("demo", "supervisor", password, actor="cli:demo")
    finally:
        accounts.close()
    return "demo", password


def _demo_ingest(console: Console, settings: Settings, world_dir: Path, demo_dir: Path) -> bool:
    """Ingest the generated day into a fresh demo database and show what was kept; True when it adds up."""
    db_file = demo_dir / "openpiu.db"
    for leftover in (db_file, db_file.with_name("openpiu.db-wal"), db_file.with_name("openpiu.db-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{db_file.as_posix()}"
    upgrade_database(url)
    clock = SystemClock()
    # The world's watchlists (generated, with its planted targets) are screened against.
    facts = {"legal_basis": "demo: Art 6(3)(a) Directive 2016/681", "category": "terrorism", "owner": "demo"}
    for name in ("persons.csv", "documents.csv"):
        if (world_dir / "watchlists" / name).exists():
            import_watchlist_file(
                url, world_dir / "watchlists" / name, clock=clock, actor="demo", overrides=facts
            )
    files = list(files_in([world_dir / "messages"]))
    console.print(f"\n[bold]The generated day ingested[/bold] into {db_file}:")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(files))

        def advance(done: int, _total: int, path: Path) -> None:
            progress.update(task, completed=done, description=f"ingesting {path.name}")

        summary = ingest_paths(
            [world_dir / "messages"],
            url=url,
            clock=clock,
            card_key=load_card_hash_key(settings),
            progress=advance,
        )
    counts = status(url, clock=clock)
    r = summary.result
    m = counts["messages"]
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(justify="left")
    table.add_column(justify="right")
    for name, value in [
        ("messages received (files)", f"{m['received']} ({summary.files})"),
        ("  of which re-deliveries counted, not stored again", m["duplicates"]),
        ("  stored", m["stored"]),
        ("  quarantined with a reason", m["quarantined"]),
        ("  parts of split pushes that waited for the rest", r.waiting_parts),
        ("flights", counts["flights"]),
        ("bookings", counts["bookings"]),
        ("booking versions (every push kept)", counts["booking_versions"]),
        ("bookings no longer listed by a full push", r.removed_bookings),
        ("travellers (in every version)", counts["travellers"]),
        ("API persons (PAXLST)", counts["api_persons"]),
        ("  merged with their booking's traveller", counts["api_persons_merged"]),
        ("sensitive or non-Annex I items removed at the door", counts["removed_sensitive_items"]),
        ("messages outside the notified scope (counted only)", counts["out_of_scope_messages"]),
        ("hits waiting for an analyst", counts["hits"]),
    ]:
        table.add_row(name, str(value))
    console.print(table)
    for message in list_quarantined(url, clock=clock):
        console.print(f"  quarantined message {message['id']}: {message['reason']}", markup=False)
    hits = demo_hits(url, clock=clock, limit=5)
    console.print(
        f"\n[bold]Hits for an analyst[/bold]: {counts['hits']} (the first {len(hits)} by priority):"
    )
    for hit in hits:
        console.print(f"  {hit['summary']}", markup=False)
        for feature in hit["explanation"]:
            console.print(f"      {feature}", markup=False)
    accounted: bool = m["received"] == m["stored"] + m["quarantined"]  # nothing lost on the way
    return accounted


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
