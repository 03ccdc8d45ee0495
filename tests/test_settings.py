"""Settings come from OPENPIU_* variables, once; the card-hash key is never a repository default."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from pathlib import Path

import pytest

from openpiu.settings import (
    CARD_HASH_KEY_BYTES,
    ENVIRONMENT_VARIABLES,
    Settings,
    SettingsError,
    load_card_hash_key,
)

KEY_HEX = "00112233445566778899aabbccddeeff" * 2


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- reading the environment ---------------------------------------------------------------------------


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings(
        data_dir=Path("data"),
        database_url="sqlite:///data/openpiu.db",
        card_hash_key_file=Path("data/keys/card-hash.key"),
        log_level="INFO",
        card_hash_key=None,
    )


@pytest.mark.parametrize(
    ("environ", "field", "expected"),
    [
        ({"OPENPIU_DATA_DIR": "/var/lib/openpiu"}, "data_dir", Path("/var/lib/openpiu")),
        ({"OPENPIU_DATA_DIR": "/var/lib/openpiu"}, "database_url", "sqlite:////var/lib/openpiu/openpiu.db"),
        (
            {"OPENPIU_DATA_DIR": "/var/lib/openpiu"},
            "card_hash_key_file",
            Path("/var/lib/openpiu/keys/card-hash.key"),
        ),
        (
            {"OPENPIU_DATA_DIR": "/srv", "OPENPIU_DATABASE_URL": "postgresql+psycopg://piu@db/openpiu"},
            "database_url",
            "postgresql+psycopg://piu@db/openpiu",
        ),
        (
            {"OPENPIU_CARD_HASH_KEY_FILE": "/run/secrets/card"},
            "card_hash_key_file",
            Path("/run/secrets/card"),
        ),
        ({"OPENPIU_LOG_LEVEL": "debug"}, "log_level", "DEBUG"),
        ({"OPENPIU_LOG_LEVEL": " Warning "}, "log_level", "WARNING"),
        ({"OPENPIU_CARD_HASH_KEY": KEY_HEX}, "card_hash_key", bytes.fromhex(KEY_HEX)),
        ({"OPENPIU_CARD_HASH_KEY": KEY_HEX.upper()}, "card_hash_key", bytes.fromhex(KEY_HEX)),
        # an empty variable is unset
        ({"OPENPIU_DATA_DIR": ""}, "data_dir", Path("data")),
        ({"OPENPIU_LOG_LEVEL": ""}, "log_level", "INFO"),
        ({"OPENPIU_DATABASE_URL": "  "}, "database_url", "sqlite:///data/openpiu.db"),
        ({"OPENPIU_CARD_HASH_KEY": ""}, "card_hash_key", None),
        (
            {"OPENPIU_AUTHORITIES_FILE": "/etc/openpiu/authorities.yaml"},
            "authorities_file",
            Path("/etc/openpiu/authorities.yaml"),
        ),
        ({}, "authorities_file", None),
        ({}, "smtp_host", "localhost"),
        ({"OPENPIU_SMTP_HOST": "relay.piu.internal"}, "smtp_host", "relay.piu.internal"),
        ({}, "smtp_port", 25),
        ({"OPENPIU_SMTP_PORT": "587"}, "smtp_port", 587),
        ({"OPENPIU_SMTP_FROM": "piu@piu.example"}, "smtp_from", "piu@piu.example"),
        ({}, "smtp_starttls", False),
        ({"OPENPIU_SMTP_STARTTLS": "yes"}, "smtp_starttls", True),
        ({"OPENPIU_SMTP_STARTTLS": "No"}, "smtp_starttls", False),
    ],
)
def test_variables(environ: dict[str, str], field: str, expected: object) -> None:
    assert getattr(Settings.from_env(environ), field) == expected


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"OPENPIU_LOG_LEVEL": "verbose"}, "OPENPIU_LOG_LEVEL"),
        ({"OPENPIU_DATABASE_URL": "openpiu.db"}, "OPENPIU_DATABASE_URL"),
        ({"OPENPIU_CARD_HASH_KEY": "not hex at all"}, "OPENPIU_CARD_HASH_KEY"),
        ({"OPENPIU_CARD_HASH_KEY": "abc"}, "OPENPIU_CARD_HASH_KEY"),  # odd number of digits
        ({"OPENPIU_CARD_HASH_KEY": "00ff" * 4}, "OPENPIU_CARD_HASH_KEY"),  # 8 bytes: too short
        ({"OPENPIU_SMTP_PORT": "70000"}, "OPENPIU_SMTP_PORT"),
        ({"OPENPIU_SMTP_PORT": "smtp"}, "OPENPIU_SMTP_PORT"),
        ({"OPENPIU_SMTP_FROM": "the piu"}, "OPENPIU_SMTP_FROM"),
        ({"OPENPIU_SMTP_STARTTLS": "maybe"}, "OPENPIU_SMTP_STARTTLS"),
    ],
)
def test_invalid_values_name_the_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(environ)


@pytest.mark.parametrize("url", ["piu:s3cret@db/openpiu", "postgresql//piu:s3cret@db/openpiu"])
def test_an_invalid_database_url_is_reported_without_its_password(url: str) -> None:
    with pytest.raises(SettingsError, match="OPENPIU_DATABASE_URL") as raised:
        Settings.from_env({"OPENPIU_DATABASE_URL": url})
    assert "s3cret" not in str(raised.value)


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPIU_LOG_LEVEL", "error")
    assert Settings.from_env().log_level == "ERROR"


def test_other_variables_are_ignored() -> None:
    assert Settings.from_env({"PATH": "/bin", "OPENPIU_SHARED_DIR": "/x"}) == Settings.from_env({})


def test_settings_are_frozen_and_slotted() -> None:
    settings = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.log_level = "DEBUG"  # type: ignore[misc]
    assert not hasattr(settings, "__dict__")


def test_the_key_is_not_in_the_repr() -> None:
    settings = Settings.from_env({"OPENPIU_CARD_HASH_KEY": KEY_HEX})
    assert KEY_HEX not in repr(settings)
    assert repr(bytes.fromhex(KEY_HEX)) not in repr(settings)


def test_every_variable_is_described() -> None:
    source = (Path(__file__).parent.parent / "src/openpiu/settings.py").read_text()
    assert set(re.findall(r"OPENPIU_[A-Z_]+", source)) == ENVIRONMENT_VARIABLES.keys()


# --- the card-hash key ---------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"OPENPIU_DATA_DIR": str(tmp_path / "data")})


def test_key_file_is_created_once_with_owner_only_permissions(settings: Settings) -> None:
    key = load_card_hash_key(settings)
    path = settings.card_hash_key_file
    assert len(key) == CARD_HASH_KEY_BYTES
    assert path.read_text().strip() == key.hex()
    if os.name == "posix":
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind

    assert load_card_hash_key(settings) == key  # reused, not regenerated
    assert load_card_hash_key(Settings.from_env({"OPENPIU_DATA_DIR": str(settings.data_dir)})) == key


def test_each_installation_gets_its_own_key(tmp_path: Path) -> None:
    first = load_card_hash_key(Settings.from_env({"OPENPIU_DATA_DIR": str(tmp_path / "a")}))
    second = load_card_hash_key(Settings.from_env({"OPENPIU_DATA_DIR": str(tmp_path / "b")}))
    assert first != second


def test_key_file_is_created_even_under_a_permissive_umask(settings: Settings) -> None:
    previous = os.umask(0)
    try:
        load_card_hash_key(settings)
    finally:
        os.umask(previous)
    if os.name == "posix":
        assert _mode(settings.card_hash_key_file) == 0o600
        assert _mode(settings.card_hash_key_file.parent) == 0o700


def test_an_existing_folder_is_left_as_it_is(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    settings = Settings.from_env({"OPENPIU_CARD_HASH_KEY_FILE": str(tmp_path / "card.key")})
    load_card_hash_key(settings)
    if os.name == "posix":
        assert _mode(tmp_path) == 0o755
        assert _mode(tmp_path / "card.key") == 0o600


def test_environment_key_wins_and_no_file_is_written(tmp_path: Path) -> None:
    settings = Settings.from_env({"OPENPIU_DATA_DIR": str(tmp_path), "OPENPIU_CARD_HASH_KEY": KEY_HEX})
    assert load_card_hash_key(settings) == bytes.fromhex(KEY_HEX)
    assert not settings.card_hash_key_file.exists()


def test_environment_key_wins_over_an_existing_file(settings: Settings) -> None:
    from_file = load_card_hash_key(settings)
    from_env = Settings.from_env(
        {"OPENPIU_DATA_DIR": str(settings.data_dir), "OPENPIU_CARD_HASH_KEY": KEY_HEX}
    )
    assert load_card_hash_key(from_env) == bytes.fromhex(KEY_HEX) != from_file


def test_a_provided_key_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "card.key"
    path.write_text(f"  {KEY_HEX}\n")
    path.chmod(0o600)
    settings = Settings.from_env({"OPENPIU_CARD_HASH_KEY_FILE": str(path)})
    assert load_card_hash_key(settings) == bytes.fromhex(KEY_HEX)


@pytest.mark.parametrize("content", ["", "zz" * 32, "00ff" * 2, "\u00e9t\u00e9"])
def test_a_bad_key_file_is_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / "card.key"
    path.write_text(content, encoding="utf-8")
    settings = Settings.from_env({"OPENPIU_CARD_HASH_KEY_FILE": str(path)})
    with pytest.raises(SettingsError, match="OPENPIU_CARD_HASH_KEY_FILE") as raised:
        load_card_hash_key(settings)
    assert str(path) in str(raised.value)


def test_an_unwritable_key_folder_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = Settings.from_env({"OPENPIU_CARD_HASH_KEY_FILE": str(blocker / "card.key")})
    with pytest.raises(SettingsError, match="OPENPIU_CARD_HASH_KEY_FILE"):
        load_card_hash_key(settings)
