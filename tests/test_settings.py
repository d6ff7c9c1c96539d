"""Settings are read once from VO_* variables and an optional TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from virtual_office.settings import Settings, SettingsError


def test_defaults_need_no_configuration() -> None:
    settings = Settings.from_env({})
    assert settings.redis_url is None and settings.port == 8000
    assert settings.base_url == "http://127.0.0.1:8000" and not settings.cookies_secure
    assert settings.media.ice_servers == ()


def test_variables_are_typed() -> None:
    settings = Settings.from_env(
        {
            "VO_PORT": "9000",
            "VO_ALLOWED_ORIGINS": "https://www.musterstadt.de, https://intranet.musterstadt.de",
            "VO_STATUS_INTERVAL": "0.5",
            "VO_PUBLIC_URL": "https://buergerbuero.musterstadt.de",
            "VO_MEDIA_ICE_SERVERS": '[{"urls": "turn:turn.musterstadt.de:3478", "username": "u", "credential": "p"}]',
            "VO_MEDIA_HOST_ADDRESSES": "10.0.0.7",
            "VO_MEDIA_ANNOUNCED_ADDRESS": "203.0.113.7",
        }
    )
    assert settings.port == 9000 and settings.status_interval == 0.5
    assert settings.allowed_origins == ("https://www.musterstadt.de", "https://intranet.musterstadt.de")
    assert settings.cookies_secure
    assert settings.media.ice_servers[0].urls == ("turn:turn.musterstadt.de:3478",)
    assert settings.media.host_addresses == ("10.0.0.7",) and settings.media.announced_address == "203.0.113.7"


def test_toml_file_and_variables_win(tmp_path: Path) -> None:
    config = tmp_path / "vo.toml"
    config.write_text('port = 8100\ngrace_seconds = 300\n[media]\nport_min = 40000\nport_max = 40100\n')
    settings = Settings.from_env({"VO_CONFIG": str(config), "VO_PORT": "8200"})
    assert settings.port == 8200 and settings.grace_seconds == 300
    assert (settings.media.port_min, settings.media.port_max) == (40000, 40100)


@pytest.mark.parametrize(
    "env",
    [
        {"VO_PORT": "eighty"},
        {"VO_MEDIA_ICE_SERVERS": "not json"},
        {"VO_CONFIG": "/nonexistent.toml"},
        {"VO_MEDIA_ANNOUNCED_ADDRESS": "203.0.113.7"},  # without the one address it stands for
    ],
)
def test_malformed_settings_name_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="VO_"):
        Settings.from_env(env)


def test_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings.from_env({"VO_DATA_DIR": str(tmp_path)}).with_secret()
    second = Settings.from_env({"VO_DATA_DIR": str(tmp_path)}).with_secret()
    assert len(first.secret_key) > 40 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
