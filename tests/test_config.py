"""Configuration: every setting is documented, and bad values name their variable."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("document", [".env.example", "README.md"])
def test_every_setting_is_documented(document):
    text = (ROOT / document).read_text()
    missing = [f"RAHNAMA_{name.upper()}" for name in Settings.model_fields if f"RAHNAMA_{name.upper()}" not in text]
    assert missing == []


@pytest.mark.parametrize("overrides, variable", [
    ({"languages": "en,klingon"}, "RAHNAMA_LANGUAGES"),
    ({"default_language": "ps", "languages": "en,ar"}, "RAHNAMA_DEFAULT_LANGUAGE"),
    ({"database_url": "mysql://x"}, "RAHNAMA_DATABASE_URL"),
    ({"port": "eighty"}, "RAHNAMA_PORT"),
    ({"public_url": "https://bot.example.org"}, "RAHNAMA_SECRET_KEY"),
    ({"public_url": "bot.example.org", "secret_key": "x" * 32}, "RAHNAMA_PUBLIC_URL"),
])
def test_bad_values_name_the_variable(overrides, variable):
    with pytest.raises(ConfigError) as error:
        load_settings(**overrides)
    assert str(error.value).startswith(variable)


def test_languages_from_a_comma_separated_variable(monkeypatch):
    monkeypatch.setenv("RAHNAMA_LANGUAGES", "ps, fa_AF ,en")
    assert load_settings().languages == ["ps", "fa_AF", "en"]
