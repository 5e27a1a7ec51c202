"""Settings: the TOML file, then TUTOR_* variables, then flags; bad files are errors that name them."""

from __future__ import annotations

import pytest

from tutor.errors import ConfigError
from tutor.settings import Settings


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "socratic.toml"
    monkeypatch.setenv("TUTOR_CONFIG", str(path))
    return path


def test_the_file_then_the_environment_then_flags(config_file, monkeypatch):
    config_file.write_text('[roles]\njudge = "openai:gpt-4o-mini"\n[model]\nn_ctx = 4096\nmax_tokens = 200\n')
    settings = Settings.load()
    assert (settings.roles.judge, settings.model.n_ctx, settings.roles.tutor) == ("openai:gpt-4o-mini", 4096, "local")
    monkeypatch.setenv("TUTOR_MODEL__N_CTX", "2048")
    assert Settings.load().model.n_ctx == 2048 and Settings.load().model.max_tokens == 200
    flagged = Settings.load(model={"n_ctx": 1024, "temperature": None})
    assert flagged.model.n_ctx == 1024 and flagged.model.temperature == 0.3


def test_a_missing_file_gives_the_defaults(config_file):
    assert not config_file.exists() and Settings.load().roles.tutor == "local"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[roles\n", "is not valid TOML"),
        ('[model]\napi_key = "sk-123"\n', "contains 'api_key'"),
        ("[model]\nn_ctx = 10\n", "field `model.n_ctx`"),
        ("[roles]\nteacher = 'local'\n", "field `roles.teacher`"),
    ],
)
def test_a_bad_file_is_an_error_naming_what_is_wrong(config_file, text, message):
    config_file.write_text(text)
    with pytest.raises(ConfigError, match=message):
        Settings.load()
