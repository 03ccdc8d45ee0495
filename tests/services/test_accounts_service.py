"""Accounts: users, signing in (throttled), sessions that end, and the audit of it all. Time is moved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openpiu.clock import FixedClock
from openpiu.model.access import Actor, Role
from openpiu.services.accounts import (
    AccountError,
    AccountService,
    HashParameters,
    InvalidUsername,
    LoginRefused,
    LoginThrottled,
    UnknownUser,
    UserExists,
    WeakPassword,
)
from openpiu.settings import Settings
from openpiu.store import Store, open_store, upgrade

AT = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
CHEAP = HashParameters(time_cost=1, memory_kib=8, parallelism=1)
PASSWORD = "correct horse battery"
ADMIN = "cli:root"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AT)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"OPENPIU_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
def store(settings: Settings, clock: FixedClock) -> Iterator[Store]:
    upgrade(settings.database_url)
    opened = open_store(settings.database_url, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def service(store: Store, settings: Settings, clock: FixedClock) -> AccountService:
    return AccountService(store, settings, clock, hashing=CHEAP)


@pytest.fixture
def alice(service: AccountService) -> str:
    service.add_user("Alice", "analyst", PASSWORD, actor=ADMIN)
    return "alice"


def audit_text(store: Store) -> str:
    return json.dumps([[e.actor, e.action, e.subject, e.reason, dict(e.details)] for e in store.events()])


# --- users ------------------------------------------------------------------------------------------


def test_a_user_is_added_with_a_hashed_password_and_audited(service: AccountService, store: Store) -> None:
    info = service.add_user(" Alice ", Role.ANALYST, PASSWORD, actor=ADMIN)
    assert (info.username, info.role, info.disabled) == ("alice", Role.ANALYST, False)
    stored = store.user_named("alice")
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    [event] = store.events()
    assert (event.actor, event.action, event.subject, dict(event.details)) == (
        ADMIN,
        "user.added",
        "user alice",
        {"role": "analyst"},
    )
    assert PASSWORD not in audit_text(store)


@pytest.mark.parametrize(
    ("username", "password", "error"),
    [
        ("bob", "short", WeakPassword),
        ("bob", "elevenchars", WeakPassword),
        ("bob", "x" * 1025, WeakPassword),
        ("bobbybobbybob", "BobbyBobbyBob", WeakPassword),
        ("b", PASSWORD, InvalidUsername),
        ("bob smith", PASSWORD, InvalidUsername),
        ("-bob", PASSWORD, InvalidUsername),
        ("x" * 65, PASSWORD, InvalidUsername),
    ],
)
def test_the_password_and_name_policy(
    service: AccountService, username: str, password: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.add_user(username, Role.ANALYST, password, actor=ADMIN)
    assert service.users() == []


def test_a_password_of_twelve_characters_is_enough(service: AccountService) -> None:
    assert service.add_user("bob", Role.DPO, "twelve chars", actor=ADMIN).role is Role.DPO


def test_names_are_unique_and_roles_known(service: AccountService, alice: str) -> None:
    with pytest.raises(UserExists):
        service.add_user("ALICE", Role.DPO, PASSWORD, actor=ADMIN)
    with pytest.raises(AccountError, match="unknown role"):
        service.add_user("bob", "superuser", PASSWORD, actor=ADMIN)
    with pytest.raises(UnknownUser):
        service.set_role("nobody", Role.DPO, actor=ADMIN)
    with pytest.raises(UnknownUser):
        service.disable("not a name", actor=ADMIN)


def test_role_change_ends_sessions_and_is_audited(service: AccountService, store: Store, alice: str) -> None:
    grant = service.login(alice, PASSWORD)
    info = service.set_role(alice, "supervisor", actor=ADMIN)
    assert info.role is Role.SUPERVISOR
    assert service.session(grant.token) is None
    event = store.events()[-1]
    assert (event.action, dict(event.details)) == (
        "user.role_changed",
        {"from": "analyst", "to": "supervisor", "sessions_ended": 1},
    )
    assert service.login(alice, PASSWORD).actor.role is Role.SUPERVISOR


# --- signing in -------------------------------------------------------------------------------------


def test_sign_in_gives_a_new_session_each_time(service: AccountService, store: Store, alice: str) -> None:
    first = service.login("ALICE", PASSWORD, client="10.0.0.1")
    second = service.login(alice, PASSWORD, client="10.0.0.1")
    assert first.token != second.token
    assert first.csrf_token != second.csrf_token
    assert len(first.token) >= 43  # 32 random bytes
    assert first.actor == Actor(first.actor.user_id, "alice", Role.ANALYST)
    assert first.expires_at == AT + timedelta(hours=12)
    session = service.session(first.token)
    assert session is not None
    assert session.actor == first.actor
    assert session.csrf_matches(first.csrf_token)
    assert not session.csrf_matches(second.csrf_token)
    assert not session.csrf_matches(None)
    assert not session.csrf_matches("")
    # the store knows the session only by its hash
    assert store.session(first.token) is None
    login = store.events()[-1]
    assert (login.actor, login.action, dict(login.details)) == (
        "user:alice",
        "user.login",
        {"client": "10.0.0.1", "role": "analyst"},
    )
    assert first.token not in audit_text(store)
    assert PASSWORD not in audit_text(store)


def test_a_session_presented_at_sign_in_ends(service: AccountService, alice: str) -> None:
    old = service.login(alice, PASSWORD)
    new = service.login(alice, PASSWORD, replaces=old.token)
    assert service.session(old.token) is None
    assert service.session(new.token) is not None
    service.login(alice, PASSWORD, replaces="a token nobody has")  # harmless


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD), ("", ""), ("a b", "x")]
)
def test_wrong_credentials_get_one_answer_and_are_audited(
    service: AccountService, store: Store, alice: str, username: str, password: str
) -> None:
    with pytest.raises(LoginRefused, match="wrong user name or password"):
        service.login(username, password, client="10.0.0.9")
    event = store.events()[-1]
    assert event.action == "user.login_failed"
    assert event.details["client"] == "10.0.0.9"
    text = audit_text(store)
    assert password not in text or not password
    if username != "alice":
        assert (event.actor, event.subject) == ("anonymous", "user (unknown)")  # what was typed is not kept


def test_a_disabled_user_cannot_sign_in_and_their_sessions_end(
    service: AccountService, store: Store, alice: str
) -> None:
    grant = service.login(alice, PASSWORD)
    assert service.disable(alice, actor=ADMIN).disabled
    assert service.session(grant.token) is None
    with pytest.raises(LoginRefused):
        service.login(alice, PASSWORD)
    assert [e.action for e in store.events()][-2:] == ["user.disabled", "user.login_failed"]
    assert store.events()[-1].reason == "disabled user"


def test_five_failures_in_fifteen_minutes_lock_the_name_for_fifteen_minutes(
    service: AccountService, clock: FixedClock, alice: str
) -> None:
    for _ in range(5):
        clock.advance(timedelta(minutes=2))
        with pytest.raises(LoginRefused):
            service.login(alice, "not the password")
    with pytest.raises(LoginThrottled) as throttled:
        service.login(alice, PASSWORD)  # the right password does not help now
    assert throttled.value.until == clock.now() + timedelta(minutes=15)
    assert service.user(alice).locked_until == throttled.value.until
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(LoginThrottled):
        service.login(alice, PASSWORD)
    clock.advance(timedelta(seconds=1))
    assert service.login(alice, PASSWORD).actor.username == alice
    assert service.user(alice).locked_until is None


def test_failures_spread_over_more_than_the_window_do_not_lock(
    service: AccountService, clock: FixedClock, alice: str
) -> None:
    for _ in range(8):
        with pytest.raises(LoginRefused) as refused:
            service.login(alice, "not the password")
        assert not isinstance(refused.value, LoginThrottled)
        clock.advance(timedelta(minutes=4))  # 4 failures per window at most
    assert service.login(alice, PASSWORD).actor.username == alice


def test_a_success_starts_the_count_again(service: AccountService, alice: str) -> None:
    for _ in range(4):
        with pytest.raises(LoginRefused):
            service.login(alice, "not the password")
    service.login(alice, PASSWORD)
    for _ in range(4):
        with pytest.raises(LoginRefused):
            service.login(alice, "not the password")
    service.login(alice, PASSWORD)


def test_unknown_names_are_locked_alike(service: AccountService) -> None:
    for _ in range(5):
        with pytest.raises(LoginRefused):
            service.login("nobody", "whatever it is")
    with pytest.raises(LoginThrottled):
        service.login("nobody", "whatever it is")


def test_one_address_trying_many_names_is_locked(
    service: AccountService, settings: Settings, store: Store, clock: FixedClock, alice: str
) -> None:
    for n in range(settings.login_max_failures_per_address):
        with pytest.raises(LoginRefused):
            service.login(f"user{n}", "whatever it is", client="192.0.2.7")
    with pytest.raises(LoginThrottled):
        service.login(alice, PASSWORD, client="192.0.2.7")
    assert service.login(alice, PASSWORD, client="192.0.2.8").actor.username == alice
    clock.advance(timedelta(minutes=15))
    assert service.login(alice, PASSWORD, client="192.0.2.7").actor.username == alice


def test_failure_counts_keep_no_typed_text(service: AccountService, store: Store) -> None:
    with pytest.raises(LoginRefused):
        service.login("my-secret-password-in-the-name-field", "x", client="192.0.2.7")
    assert store.login_throttle("user:my-secret-password-in-the-name-field") is None


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    old = AccountService(store, settings, clock, hashing=CHEAP)
    old.add_user("alice", Role.ANALYST, PASSWORD, actor=ADMIN)
    before = store.user_named("alice")
    assert before is not None
    stronger = AccountService(store, settings, clock, hashing=replace(CHEAP, time_cost=2))
    stronger.login("alice", PASSWORD)
    after = store.user_named("alice")
    assert after is not None
    assert after.password_hash != before.password_hash
    assert "t=2" in after.password_hash
    assert stronger.login("alice", PASSWORD).actor.username == "alice"


# --- sessions end -----------------------------------------------------------------------------------


def test_a_session_ends_after_30_idle_minutes(service: AccountService, clock: FixedClock, alice: str) -> None:
    grant = service.login(alice, PASSWORD)
    clock.advance(timedelta(minutes=29))
    session = service.session(grant.token)
    assert session is not None  # and its activity is noted: the idle time starts again
    assert session.expires_at == clock.now() + timedelta(minutes=30)
    clock.advance(timedelta(minutes=29))
    assert service.session(grant.token) is not None
    clock.advance(timedelta(minutes=30))
    assert service.session(grant.token) is None
    clock.advance(-timedelta(minutes=30))
    assert service.session(grant.token) is None  # deleted, not only refused


def test_a_session_ends_after_12_hours_whatever_the_activity(
    service: AccountService, clock: FixedClock, alice: str
) -> None:
    grant = service.login(alice, PASSWORD)
    for _ in range(12 * 3 - 1):
        clock.advance(timedelta(minutes=20))
        assert service.session(grant.token) is not None
    clock.advance(timedelta(minutes=20))
    assert clock.now() == AT + timedelta(hours=12)
    assert service.session(grant.token) is None


def test_session_lengths_are_settings(store: Store, tmp_path: Path, clock: FixedClock) -> None:
    settings = Settings.from_env(
        {
            "OPENPIU_DATA_DIR": str(tmp_path),
            "OPENPIU_SESSION_IDLE_TIMEOUT": "60",
            "OPENPIU_SESSION_MAX_AGE": "600",
        }
    )
    service = AccountService(store, settings, clock, hashing=CHEAP)
    service.add_user("alice", Role.ANALYST, PASSWORD, actor=ADMIN)
    grant = service.login("alice", PASSWORD)
    assert grant.expires_at == AT + timedelta(minutes=10)
    clock.advance(timedelta(seconds=61))
    assert service.session(grant.token) is None


def test_sign_out_deletes_the_session_and_is_audited(
    service: AccountService, store: Store, alice: str
) -> None:
    grant = service.login(alice, PASSWORD)
    assert service.logout(grant.token, client="10.0.0.1")
    assert service.session(grant.token) is None
    assert not service.logout(grant.token)
    assert not service.logout(None)
    event = store.events()[-1]
    assert (event.actor, event.action, event.subject) == ("user:alice", "user.logout", "user alice")


@pytest.mark.parametrize("token", ["", "x", "y" * 500])
def test_made_up_tokens_are_no_sessions(service: AccountService, token: str) -> None:
    assert service.session(token) is None


# --- reads of personal data -------------------------------------------------------------------------


def test_a_read_of_personal_data_is_audited_with_its_purpose(service: AccountService, store: Store) -> None:
    actor = Actor(7, "alice", Role.ANALYST)
    service.record_read(actor, "hit 12", "review of an automated match", {"path": "/hits/12"})
    event = store.events()[-1]
    assert (event.actor, event.action, event.subject, event.reason) == (
        "user:alice",
        "data.read",
        "hit 12",
        "review of an automated match",
    )
    assert dict(event.details) == {"role": "analyst", "path": "/hits/12"}
    with pytest.raises(ValueError, match="purpose"):
        service.record_read(actor, "hit 12", " ")
