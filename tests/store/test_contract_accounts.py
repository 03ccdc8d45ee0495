"""The storage contract for accounts, on every backend: users, sessions, failed sign-ins counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from store_fixtures import START, clock, engine, store, url  # noqa: F401 (fixtures used by name)

from openpiu.clock import FixedClock
from openpiu.model.access import Role
from openpiu.store import Accounts, AlreadyExists, NotFound, Store

HASH = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
WINDOW = timedelta(minutes=15)


def test_users_are_added_found_and_listed(store: Store, clock: FixedClock) -> None:
    bob = store.add_user("bob", Role.SUPERVISOR, HASH)
    alice = store.add_user("alice", Role.ANALYST, HASH)
    assert (alice.username, alice.role, alice.disabled, alice.created_at) == (
        "alice",
        Role.ANALYST,
        False,
        START,
    )
    assert alice.password_changed_at == START
    assert alice.last_login_at is None
    assert store.user(alice.id) == alice
    assert store.user_named("alice") == alice
    assert store.user_named("carol") is None
    assert store.user(10_000) is None
    assert [u.username for u in store.users()] == ["alice", "bob"]
    assert bob.id != alice.id
    with pytest.raises(AlreadyExists):
        store.add_user("alice", Role.DPO, HASH)
    assert "argon2" not in repr(alice)  # the hash is kept out of reprs (and so out of logs)


def test_role_password_and_last_sign_in_change(store: Store, clock: FixedClock) -> None:
    user = store.add_user("alice", Role.ANALYST, HASH)
    clock.advance(timedelta(hours=1))
    assert store.set_role(user.id, Role.SUPERVISOR).role is Role.SUPERVISOR
    store.set_password_hash(user.id, HASH + "x")
    store.mark_login(user.id)
    changed = store.user(user.id)
    assert changed is not None
    assert (changed.password_hash, changed.password_changed_at) == (HASH + "x", START + timedelta(hours=1))
    assert changed.last_login_at == START + timedelta(hours=1)
    with pytest.raises(NotFound):
        store.set_role(10_000, Role.DPO)
    with pytest.raises(NotFound):
        store.set_password_hash(10_000, HASH)


def test_sessions_are_kept_by_token_hash_touched_and_deleted(store: Store, clock: FixedClock) -> None:
    user = store.add_user("alice", Role.ANALYST, HASH)
    expires = START + timedelta(hours=12)
    created = store.create_session("a" * 64, user.id, csrf_token="c" * 43, expires_at=expires)
    assert store.session("a" * 64) == created
    assert (created.created_at, created.last_seen_at, created.expires_at) == (START, START, expires)
    assert store.session("b" * 64) is None
    with pytest.raises(AlreadyExists):
        store.create_session("a" * 64, user.id, csrf_token="d" * 43, expires_at=expires)

    clock.advance(timedelta(minutes=10))
    store.touch_session("a" * 64)
    touched = store.session("a" * 64)
    assert touched is not None
    assert touched.last_seen_at == START + timedelta(minutes=10)

    assert store.delete_session("a" * 64)
    assert not store.delete_session("a" * 64)
    assert store.session("a" * 64) is None


def test_every_session_of_a_user_ends_together(store: Store) -> None:
    alice = store.add_user("alice", Role.ANALYST, HASH)
    bob = store.add_user("bob", Role.ANALYST, HASH)
    end = START + timedelta(hours=1)
    for n, user in enumerate([alice, alice, bob]):
        store.create_session(f"{n}" * 64, user.id, csrf_token="c", expires_at=end)
    assert store.delete_user_sessions(alice.id) == 2
    assert store.session("0" * 64) is None
    assert store.session("2" * 64) is not None


def test_disabling_a_user_ends_their_sessions(store: Store, clock: FixedClock) -> None:
    user = store.add_user("alice", Role.ANALYST, HASH)
    store.create_session("a" * 64, user.id, csrf_token="c", expires_at=START + timedelta(hours=1))
    clock.advance(timedelta(minutes=5))
    disabled = store.disable_user(user.id)
    assert (disabled.disabled, disabled.disabled_at) == (True, START + timedelta(minutes=5))
    assert store.session("a" * 64) is None
    clock.advance(timedelta(minutes=5))
    assert store.disable_user(user.id).disabled_at == START + timedelta(minutes=5)  # the first time kept
    with pytest.raises(NotFound):
        store.disable_user(10_000)


def test_expired_and_idle_sessions_are_purged(store: Store, clock: FixedClock) -> None:
    user = store.add_user("alice", Role.ANALYST, HASH)
    store.create_session("1" * 64, user.id, csrf_token="c", expires_at=START + timedelta(hours=1))
    store.create_session("2" * 64, user.id, csrf_token="c", expires_at=START + timedelta(hours=12))
    store.create_session("3" * 64, user.id, csrf_token="c", expires_at=START + timedelta(hours=12))
    clock.advance(timedelta(minutes=50))
    store.touch_session("3" * 64)
    clock.advance(timedelta(minutes=20))  # 1 past its end; 2 idle for 70 minutes; 3 for 20
    assert store.purge_sessions(idle_since=clock.now() - timedelta(minutes=30)) == 2
    assert [store.session(f"{n}" * 64) is not None for n in (1, 2, 3)] == [False, False, True]


def test_failed_sign_ins_lock_a_key_within_the_window(store: Store, clock: FixedClock) -> None:
    for n in range(1, 5):
        counted = store.record_login_failure("k", limit=5, window=WINDOW, lockout=WINDOW)
        assert (counted.failures, counted.locked_until) == (n, None)
        clock.advance(timedelta(minutes=1))
    locked = store.record_login_failure("k", limit=5, window=WINDOW, lockout=WINDOW)
    assert locked.locked_until == clock.now() + WINDOW
    assert store.login_throttle("k") == locked
    assert store.login_throttle("other") is None
    store.clear_login_failures("k")
    assert store.login_throttle("k") is None


def test_failures_outside_the_window_start_a_new_count(store: Store, clock: FixedClock) -> None:
    for _ in range(4):
        store.record_login_failure("k", limit=5, window=WINDOW, lockout=WINDOW)
    clock.advance(WINDOW)
    counted = store.record_login_failure("k", limit=5, window=WINDOW, lockout=WINDOW)
    assert (counted.failures, counted.window_started_at, counted.locked_until) == (1, clock.now(), None)


def test_old_failure_counts_are_purged(store: Store, clock: FixedClock) -> None:
    store.record_login_failure("old", limit=5, window=WINDOW, lockout=WINDOW)
    clock.advance(timedelta(days=2))
    store.record_login_failure("new", limit=5, window=WINDOW, lockout=WINDOW)
    store.purge_sessions(idle_since=clock.now())
    assert store.login_throttle("old") is None
    assert store.login_throttle("new") is not None


def test_the_database_holds_no_token_only_its_hash(store: Store, engine: sa.Engine) -> None:
    user = store.add_user("alice", Role.ANALYST, HASH)
    store.create_session("f" * 64, user.id, csrf_token="c", expires_at=START + timedelta(hours=1))
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("user_sessions")}
    assert "token" not in columns
    assert "token_hash" in columns


def test_store_is_an_accounts_store(store: Store) -> None:
    def as_accounts(x: Accounts) -> Accounts:
        return x

    assert as_accounts(store) is store
