"""Fixtures of the storage contract: every test runs on SQLite and on PostgreSQL (mandatory in CI).

Import them into a test module by name (``from store_fixtures import clock, engine, store, url``).

PostgreSQL: ``OPENPIU_TEST_POSTGRES_URL`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/test``. Each test
gets a schema of its own (via ``search_path``), dropped afterwards; SQLite gets a file in a temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from conftest import postgres_schema
from openpiu.clock import FixedClock
from openpiu.store import Store, create_engine, open_store, upgrade

START = datetime(2025, 2, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store')}/data/openpiu.db"
        return
    with postgres_schema() as scoped:
        yield scoped


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store(url: str, clock: FixedClock) -> Iterator[Store]:
    upgrade(url)
    opened = open_store(url, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    """A second way into the same database, to look at (and tamper with) the rows directly."""
    made = create_engine(url)
    yield made
    made.dispose()
