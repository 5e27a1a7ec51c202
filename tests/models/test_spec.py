import pytest

from tutor.errors import ConfigError, ModelUnavailableError
from tutor.models import get_chat_model, parse_spec


@pytest.mark.parametrize(
    ("spec", "kind", "target"),
    [
        ("local", "local", ""),
        ("gguf:/models/a.gguf", "gguf", "/models/a.gguf"),
        ("hf:Qwen/Qwen2.5-0.5B-Instruct", "hf", "Qwen/Qwen2.5-0.5B-Instruct"),
        ("openai:gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("OpenAI:gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("anthropic:claude-sonnet", "anthropic", "claude-sonnet"),
    ],
)
def test_spec_strings_resolve_to_kind_and_target(spec, kind, target):
    parsed = parse_spec(spec)
    assert (parsed.kind, parsed.target) == (kind, target)


def test_query_options_are_parsed_with_types_and_urls_survive():
    parsed = parse_spec("openai:qwen?base_url=http://127.0.0.1:8080/v1&temperature=0.5&max_retries=1")
    assert parsed.options == {"base_url": "http://127.0.0.1:8080/v1", "temperature": 0.5, "max_retries": 1}


@pytest.mark.parametrize("spec", ["", "   ", "gguf:", "openai", "local:extra", "bad kind!:x"])
def test_malformed_specs_raise_config_error(spec):
    with pytest.raises(ConfigError):
        parse_spec(spec)


def test_unknown_provider_is_a_config_error_with_one_line_message():
    with pytest.raises(ConfigError) as info:
        get_chat_model("nosuchprovider:model")
    assert "\n" not in info.value.message


def test_known_provider_without_its_package_names_the_package():
    with pytest.raises(ModelUnavailableError) as info:
        get_chat_model("anthropic:claude-x")
    assert "langchain-anthropic" in str(info.value)


def test_missing_gguf_file_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailableError):
        get_chat_model(f"gguf:{tmp_path / 'nope.gguf'}")


def test_openai_without_key_or_base_url_asks_for_the_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelUnavailableError) as info:
        get_chat_model("openai:gpt-4o-mini")
    assert "OPENAI_API_KEY" in str(info.value)
