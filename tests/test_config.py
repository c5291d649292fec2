"""Settings are one typed schema (gateway/config.py): declared once, parsed once, checked at start-up."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import handlers
from gateway import create_app
from gateway.config import BaseConfig, ConfigError, TestConfig, load_config
from menus import sources
from tests.test_foundation import _run_cli

ROOT = Path(__file__).resolve().parent.parent
FLASK_OWN = {"SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "TESTING"}     # derived by BaseConfig.flask_config


@pytest.mark.parametrize("name,value,problem", [
    ("CAMPAIGN_ORPHAN_POLICY", "resnd", "CAMPAIGN_ORPHAN_POLICY must be 'assume_sent' or 'resend', got 'resnd'"),
    ("SEND_RATE_UNIT", "segmnts", "SEND_RATE_UNIT must be 'messages' or 'segments', got 'segmnts'"),
    ("GATEWAY_ENV", "prod", "GATEWAY_ENV must be one of development, test, production, got 'prod'"),
    ("SEND_RATES", "africastalking:25", "SEND_RATES must be channel=number pairs separated by commas"),
    ("SEGMENT_PRICES", "twilio=cheap", "SEGMENT_PRICES.twilio must be a valid number"),
    ("CAMPAIGN_RETRY_INTERVALS", "10,30,soon", "CAMPAIGN_RETRY_INTERVALS.2 must be a valid integer"),
    ("SEND_BATCH_SIZE", "0", "SEND_BATCH_SIZE must be greater than 0, got '0'"),
    ("EMBEDDED_WORKER", "sometimes", "EMBEDDED_WORKER must be a valid boolean"),
])
def test_a_value_that_does_not_parse_stops_start_up_with_one_line(name, value, problem):
    result = _run_cli({"GATEWAY_ENV": "development", name: value}, "routes")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("murya: configuration error: "), result.stderr
    assert problem in lines[0]


def test_every_problem_is_named_on_the_one_line(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ORPHAN_POLICY", "resnd")
    monkeypatch.setenv("SEND_RATE_UNIT", "segmnts")
    with pytest.raises(SystemExit) as stopped:
        create_app({"GATEWAY_ENV": "test"})
    message = str(stopped.value)
    assert "\n" not in message and "CAMPAIGN_ORPHAN_POLICY" in message and "SEND_RATE_UNIT" in message


def test_an_override_is_validated_like_the_environment():
    with pytest.raises(SystemExit, match="^murya: configuration error: SEND_RATE is not a setting$"):
        create_app({"GATEWAY_ENV": "test", "SEND_RATE": 5})
    with pytest.raises(SystemExit, match="CAMPAIGN_ORPHAN_POLICY must be"):
        create_app({"GATEWAY_ENV": "test", "CAMPAIGN_ORPHAN_POLICY": "never"})


def test_lists_and_maps_are_parsed_once_into_typed_values(monkeypatch):
    monkeypatch.setenv("SEND_RATES", "africastalking=25, twilio=10")
    monkeypatch.setenv("SEGMENT_PRICES", "twilio=40.5")
    monkeypatch.setenv("CAMPAIGN_RETRY_INTERVALS", "5, 60")
    monkeypatch.setenv("FAKE_FAIL_NUMBERS", "+22790000001,+22790000002")
    monkeypatch.setenv("EMBEDDED_WORKER", "0")
    monkeypatch.setenv("USSD_REFERENCE_CACHE_SECONDS", "2.5")
    config = load_config("development")
    assert config.SEND_RATES == {"africastalking": 25.0, "twilio": 10.0}
    assert config.SEGMENT_PRICES == {"twilio": 40.5}
    assert config.CAMPAIGN_RETRY_INTERVALS == [5, 60]
    assert config.FAKE_FAIL_NUMBERS == ["+22790000001", "+22790000002"]
    assert config.EMBEDDED_WORKER is False and config.USSD_REFERENCE_CACHE_SECONDS == 2.5


def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("SEND_BATCH_SIZE", "")
    monkeypatch.setenv("SECRET_KEY", "")
    config = load_config("development")
    assert config.SEND_BATCH_SIZE == 100 and config.SECRET_KEY == "development-only-secret-key"


def test_each_environment_imposes_and_defaults_its_own(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("SMS_PROVIDER", "twilio")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://prod/db")
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    development, test = load_config("development"), load_config("test")
    assert (development.GATEWAY_ENV, development.SECRET_KEY, development.SMS_PROVIDER) == \
        ("development", "from-the-environment", "twilio")
    assert (test.GATEWAY_ENV, test.SECRET_KEY, test.SMS_PROVIDER, test.DATABASE_URL, test.EMBEDDED_WORKER) == \
        ("test", "test-secret-key", "fake", "sqlite://", False)
    # Explicit overrides (the tests' own) beat what the environment imposes.
    assert TestConfig(SMS_PROVIDER="africastalking").SMS_PROVIDER == "africastalking"
    monkeypatch.setenv("DATA_KEY", "d")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    production = load_config("production")
    assert (production.GATEWAY_ENV, production.EMBEDDED_WORKER) == ("production", False)
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(ConfigError, match="^DATABASE_URL is required in production$"):
        load_config("production")     # no SQLite default in production


def test_a_secret_never_shows_in_a_repr_or_an_error(monkeypatch):
    monkeypatch.setenv("AT_API_KEY", "atsk_very_secret")
    config = load_config("development")
    assert "atsk_very_secret" not in repr(config) and "development-only" not in repr(config)
    with pytest.raises(ConfigError) as error:
        load_config("development", AT_CALLBACK_TOKEN=["not", "a", "string", "atsk_very_secret"])
    assert "AT_CALLBACK_TOKEN" in str(error.value) and "atsk_very_secret" not in str(error.value)


def test_the_reference_cache_setting_is_read_from_the_environment(monkeypatch, make_app):
    """README's USSD_REFERENCE_CACHE_SECONDS takes effect: 0 reloads reference lists every hop."""
    loads = []

    def two_hops(app):
        with app.app_context():
            for _ in range(2):
                sources._cached("probe", lambda: loads.append(1))
    two_hops(make_app())                    # the default, 60 s: loaded once
    assert len(loads) == 1
    monkeypatch.setenv("USSD_REFERENCE_CACHE_SECONDS", "0")
    two_hops(make_app())
    assert len(loads) == 3


# --- the schema is the whole truth: what the code reads and what the README lists ----------------

# A string that looks like a setting's name (`config["SEND_RATES"]`, `QueryToken("AT_CALLBACK_TOKEN")`,
# `production_settings`, `setting=`) is a setting, except these.
SETTING_LIKE = re.compile(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$")
NOT_SETTINGS = FLASK_OWN | {"CONTENT_LENGTH", "CONTENT_TYPE", "HTTP_COOKIE", "PATH_INFO", "QUERY_STRING",
                            "REQUEST_METHOD",       # WSGI environ keys (the fast path)
                            "AUDIENCE_KEYS"}        # a name in an __all__


def _setting_names_in_code() -> dict[str, str]:
    found = {}
    for folder in ("gateway", "handlers", "menus", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING_LIKE.match(node.value):
                    found.setdefault(node.value, str(path.relative_to(ROOT)))
    return found


def test_every_setting_the_code_reads_is_declared():
    names = _setting_names_in_code()
    assert {"SEND_TIMEOUT", "FAKE_FAIL_NUMBERS", "USSD_REFERENCE_CACHE_SECONDS", "USSD_ACTIVITY_CACHE_SECONDS",
            "USSD_JOURNEYS_DIR", "USSD_TRANSLATIONS_DIR"} <= set(names)
    undeclared = {name: where for name, where in names.items()
                  if name not in BaseConfig.model_fields and name not in NOT_SETTINGS}
    assert not undeclared, undeclared


def test_what_the_channels_need_in_production_is_declared():
    for registry in (handlers.CHANNELS, handlers.USSD_PROTOCOLS):
        for name, entry in registry.items():
            needed = set(handlers._load(entry).required_settings())
            assert needed <= set(BaseConfig.model_fields), (name, needed - set(BaseConfig.model_fields))


def test_every_setting_has_a_description():
    assert not [name for name, field in BaseConfig.model_fields.items() if not field.description]


def _readme_settings() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])]


def test_the_readme_table_lists_exactly_the_declared_settings():
    listed = _readme_settings()
    assert len(listed) == len(set(listed)), "a setting listed twice"
    assert set(listed) == set(BaseConfig.model_fields)


def test_settings_without_effect_are_gone():
    for name in ("TIMEZONE", "DEFAULT_REGION", "WTF_CSRF_ENABLED", "JSON_SORT_KEYS", "DEFAULT_LANGUAGE"):
        assert name not in BaseConfig.model_fields and name not in TestConfig().flask_config()
