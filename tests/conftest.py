"""Shared test helpers.

Tests that need something outside the repository (the ``../shared`` folder, PostgreSQL, RabbitMQ, a
browser) call :func:`require`: on a developer machine a missing dependency SKIPS the test with a reason
saying how to provide it; under ``CI=true`` it FAILS, so CI can never pass by skipping.

Import the helpers in a test module with ``from conftest import require, require_shared``.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def in_ci() -> bool:
    """Whether the tests run in CI (``CI=true``, as set by ``.ci/run`` and CI services)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(thing: str, available: bool, how: str) -> None:
    """Skip the calling test when ``thing`` is not ``available`` (fail under ``CI=true``).

    ``how`` tells the reader how to make it available, e.g. "set OPENPIU_TEST_POSTGRES_URL".
    """
    if available:
        return
    if in_ci():
        pytest.fail(f"{thing} is required in CI: {how}", pytrace=False)
    pytest.skip(f"{thing} is not available: {how}")


def shared_path() -> Path:
    """Where the shared folder should be: ``$OPENPIU_SHARED_DIR``, else ``../shared`` beside the repo."""
    override = os.environ.get("OPENPIU_SHARED_DIR", "").strip()
    return Path(override).expanduser().resolve() if override else REPO_ROOT.parent / "shared"


def require_shared() -> Path:
    """The shared folder (samples, reference, namedata); skips, or fails in CI, when it is missing."""
    path = shared_path()
    require(
        "../shared",
        path.is_dir(),
        f"no folder at {path}; put the shared folder beside the repository or set OPENPIU_SHARED_DIR",
    )
    return path


#: The PostgreSQL server tests use: ``OPENPIU_TEST_POSTGRES_URL``, else the one CI starts.
POSTGRES_URL = (
    os.environ.get("OPENPIU_TEST_POSTGRES_URL", "").strip()
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@functools.cache
def postgres_available() -> bool:
    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL into a schema of its own on the test server (via ``search_path``), dropped afterwards.

    Skips when PostgreSQL is not reachable (fails under ``CI=true``).
    """
    require(
        "PostgreSQL",
        postgres_available(),
        "start PostgreSQL on 127.0.0.1:5432 or set OPENPIU_TEST_POSTGRES_URL",
    )
    schema = f"openpiu_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test gets a node id of its own: pytest-xdist's ``--dist loadscope`` (``make unit``) keys tests
    by node id and runs only one of several that share one.

    schemathesis names its tests per API operation (``test_x[GET /health]``), but pytest 9.2 builds their ids
    from the function's name alone (tests/web/test_api_fuzz.py: four tests, one id); they get the id their
    name says. Any other shared id stops the run rather than leave tests out.
    """
    shared = Counter(item.nodeid for item in items)
    for item in items:
        module, _, name = item.nodeid.rpartition("::")
        if shared[item.nodeid] > 1 and item.name != name:
            item._id = type(item._id).parse(f"{module}::{item.name}")  # type: ignore[attr-defined]
    still = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if still:
        raise pytest.UsageError(f"tests share node ids (a parallel run would run one of each): {still}")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder; see :func:`require_shared`."""
    return require_shared()


# Property-based tests: reproducible in CI, exploratory on a developer machine.
# HYPOTHESIS_PROFILE overrides the choice (e.g. HYPOTHESIS_PROFILE=ci to reproduce a CI run locally).
# Both start from Hypothesis's plain defaults: otherwise they would inherit Hypothesis's own CI profile
# whenever a CI variable is present at all (even CI=, which is not CI here).
_BASE = hypothesis_settings.get_profile("default")
hypothesis_settings.register_profile(
    "ci",
    parent=_BASE,
    derandomize=True,
    deadline=None,
    max_examples=200,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev", parent=_BASE, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci() else "dev"))
