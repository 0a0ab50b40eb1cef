"""Profiles from a TOML file or the environment; keys never in files."""

from __future__ import annotations

import secrets

import pytest

from tui.config import ConfigError, env_profile, load
from tui.model import Connection, Kind

ENV = {
    "OPENAI_BASE_URL": "http://127.0.0.1:5/v1/",
    "OPENAI_ORG_ID": "org-e",
    "OPENAI_PROJECT_ID": "proj-e",
    "WORK_KEY": "k-work",
}


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_environment_profile_without_a_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("tui.config.default_config_path", lambda: tmp_path / "none.toml")
    settings = load(None, ENV)
    profile = settings.profile()
    assert profile.connection == Connection("http://127.0.0.1:5/v1", "org-e", "proj-e")
    assert profile.api_key({"OPENAI_API_KEY": " k "}) == "k"
    assert env_profile({}).connection.base_url == "https://api.openai.com/v1"


def test_named_profiles_and_default(tmp_path) -> None:
    path = write(
        tmp_path,
        'default = "work"\n[profiles.work]\nbase_url = "http://w/v1"\nkey_env = "WORK_KEY"\n'
        'project = "p1"\nkind = "conversation"\n',
    )
    settings = load(path, ENV)
    work = settings.profile()
    assert work.name == "work" and work.kind is Kind.CONVERSATION
    assert work.api_key(ENV) == "k-work"
    assert settings.profile("default").connection.organization == "org-e"
    assert settings.for_connection(Connection("http://w/v1", None, "p1")) is work


def test_unknown_connection_names_what_is_needed(tmp_path) -> None:
    settings = load(write(tmp_path, ""), ENV)
    with pytest.raises(ConfigError, match="http://x/v1, project other"):
        settings.for_connection(Connection("http://x/v1", None, "other"))
    with pytest.raises(ConfigError, match="No profile named 'nope'"):
        settings.profile("nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profiles.a]\napi_key = "sk-secret"\n', "keys do not belong in files"),
        ("[profiles.a]\nbase = 1\n", "unknown keys"),
        ('[profiles.a]\nkind = "chat"\n', "kind must be"),
        ("profiles = [", "Cannot read the config file"),
        ('default = "b"\n', "No profile named 'b'"),
    ],
)
def test_bad_files_say_why(tmp_path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load(write(tmp_path, text), ENV)
    assert "sk-secret" not in str(caught.value)


def test_missing_explicit_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "absent.toml", ENV)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1",
        "http://127.0.0.1:5/v1/",
        "https://Host.Example/openai/v1?api-version=2024-10-21",
        "http://[::1]:8080/v1",
        "https://h.test/v1?a=1&b=%20x",
    ],
)
def test_a_connection_without_credentials_keeps_its_identity(url: str) -> None:
    connection = Connection(url)
    assert connection.base_url == url.rstrip("/")
    assert connection.key == f"{url.rstrip('/')}||"


def test_credentials_leave_the_connection_but_reach_the_client(tmp_path) -> None:
    password = "pw-" + secrets.token_hex(8)
    url = f"https://proxyuser:{password}@h.test/v1/?api-key={secrets.token_hex(8)}&api-version=1"
    env = {**ENV, "OPENAI_BASE_URL": url}
    path = write(tmp_path, f'[profiles.gated]\nbase_url = "{url}"\n')
    settings = load(path, env)
    for name in ("default", "gated"):
        profile = settings.profile(name)
        assert profile.connection.base_url == "https://h.test/v1/?api-version=1"
        assert profile.client_url == url
        assert password not in repr(profile) + profile.connection.key
    found = settings.for_connection(Connection("https://h.test/v1/?api-version=1"))
    assert found is settings.profile("gated")


def test_a_key_given_as_a_profile_name_is_not_repeated(tmp_path) -> None:
    key = "local-testsecret-" + secrets.token_hex(12)
    path = write(tmp_path, '[profiles.azure]\nkey_env = "AZURE_OPENAI_CRED"\n')
    settings = load(path, {**ENV, "AZURE_OPENAI_CRED": key})
    unknown = "zz" + secrets.token_hex(16)  # in no variable, but shaped like a key
    for name in (key, key.removeprefix("local-"), unknown):
        with pytest.raises(ConfigError, match="known profiles: azure, default") as caught:
            settings.profile(name)
        assert name[-12:] not in str(caught.value)
    with pytest.raises(ConfigError, match="No profile named 'my-azure-2024'"):
        settings.profile("my-azure-2024")
