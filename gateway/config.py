"""Settings as one typed schema, read from the environment and validated at start-up.

Every setting the code reads is one line of `BaseConfig` (its type, default and what it means;
README.md's "Configuration" table lists exactly these). Lists and maps are parsed once here, so
the code reads typed values (`app.config["SEND_RATES"]` is a dict of floats); a value that does
not parse, or an enumeration with a typo, raises ConfigError and start-up stops with one line.
Each environment (development, test, production) is a subclass that states what it imposes and
what it defaults to. Adding a setting: one line in `BaseConfig` and one row in README's table.
"""
from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, ValidationError, \
    field_validator, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, NoDecode, SettingsConfigDict, SettingsError

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
# Data shipped with the code (Niger's P-codes and boundaries, language-detection training text),
# so a clone, a package or a deployment needs nothing beside the repository.
REFERENCE_DATA = ROOT / "gateway" / "data"
ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """A required setting is missing or invalid; the message names it."""


def _secret(description: str) -> Any:
    # repr=False: a secret never shows in a repr, a log line or an error message.
    return Field(None, description=description, repr=False)


# "a=1,b=2" and "1,2,3" from the environment (pydantic-settings would expect JSON otherwise).
ChannelMap = Annotated[dict[str, NonNegativeFloat], NoDecode]
IntList = Annotated[list[NonNegativeInt], NoDecode]
StrList = Annotated[list[str], NoDecode]


class BaseConfig(BaseSettings):
    """Settings shared by every environment (the environment variable of the same name)."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="forbid",
                                      validate_default=True)

    # Environment, secrets, storage
    GATEWAY_ENV: Literal["development", "test", "production"] = Field(
        "development", description="which environment's rules apply")
    SECRET_KEY: str | None = _secret("signs console sessions (required in production)")
    DATA_KEY: str | None = _secret("encrypts and hashes personal data (required in production)")
    DATABASE_URL: str | None = Field(f"sqlite:///{INSTANCE / 'murya.db'}", description="SQLAlchemy URL",
                                     repr=False)
    TEST_DATABASE_URL: str | None = Field(None, description="the test suite's database (unset: SQLite)", repr=False)
    REDIS_URL: str | None = Field(None, description="Redis; unset: an in-process queue and worker", repr=False)
    EMBEDDED_WORKER: bool = Field(True, description="without REDIS_URL, run jobs in a thread of the web process")
    PORT: int = Field(5000, ge=1, le=65535, description="web port of `flask serve` (`make run`)")
    MURYA_ADMIN_PASSWORD: str | None = _secret("password of the demo admin `make run` creates")
    MAX_CONTENT_LENGTH: PositiveInt = Field(5 * 1024 * 1024, description="largest request body, bytes")
    # Channels
    SMS_PROVIDER: str | None = Field("fake", description="the SMS channel that sends (handlers.CHANNELS)")
    PUBLIC_BASE_URL: str | None = Field(None, description="the public origin providers call")
    AT_USERNAME: str | None = Field(None, description="Africa's Talking account")
    AT_API_KEY: str | None = _secret("Africa's Talking API key")
    AT_SENDER_ID: str | None = Field(None, description="Africa's Talking sender id (unset: the shared one)")
    AT_CALLBACK_TOKEN: str | None = _secret("the `?token=` of Africa's Talking's webhooks")
    AT_API_URL: str | None = Field(None, description="Africa's Talking API origin (a local fake in tests)")
    TWILIO_ACCOUNT_SID: str | None = Field(None, description="Twilio account")
    TWILIO_AUTH_TOKEN: str | None = _secret("Twilio auth token (also checks X-Twilio-Signature)")
    TWILIO_FROM: str | None = Field(None, description="Twilio sender number")
    TWILIO_API_URL: str | None = Field(None, description="Twilio API origin (a local fake in tests)")
    HTTP_CHANNEL_CONFIG: str | None = Field(None, description="generic HTTP channel, JSON (docs/http-channel.md)")
    HTTP_CALLBACK_TOKEN: str | None = _secret("the `?token=` of the generic HTTP channel's webhooks")
    FAKE_FAIL_NUMBERS: StrList = Field([], description="numbers the fake channel refuses as invalid")
    SEND_TIMEOUT: PositiveFloat | None = Field(None, description="seconds a provider request may take")
    USSD_SHORT_CODE: str = Field("*384*1010#", description="the USSD code the simulator dials")
    SIMULATOR_NUMBERS: StrList = Field([], description="reserved test numbers (E.164) the simulator dials as "
                                                       "in production (unset: no simulator there)")
    # Sending and campaigns
    SEND_BATCH_SIZE: PositiveInt = Field(100, description="recipients per provider request")
    SEND_RATE_PER_SECOND: NonNegativeFloat = Field(0, description="default send rate (0: unthrottled)")
    SEND_RATES: ChannelMap = Field({}, description="send rate per channel, `africastalking=25,twilio=10`")
    SEND_RATE_UNIT: Literal["messages", "segments"] = Field("messages", description="what a rate counts")
    SEGMENT_PRICE: NonNegativeFloat = Field(25.0, description="cost estimate of one SMS segment")
    SEGMENT_PRICES: ChannelMap = Field({}, description="segment price per channel, `africastalking=20`")
    CURRENCY: str = Field("XOF", description="currency of the prices")
    CAMPAIGN_BATCH_TIMEOUT: PositiveInt = Field(60, description="seconds a campaign batch job may run")
    CAMPAIGN_CLAIM_TIMEOUT: PositiveInt = Field(120, description="seconds after which a claim is orphaned")
    CAMPAIGN_WATCH_INTERVAL: PositiveInt = Field(15, description="seconds between watchdog looks")
    CAMPAIGN_RETRY_INTERVALS: IntList = Field([10, 30, 120, 600, 1800], description="retry backoff, seconds")
    CAMPAIGN_ORPHAN_POLICY: Literal["assume_sent", "resend"] = Field(
        "assume_sent", description="orphaned claims: never twice (assume_sent) or never lost (resend)")
    # People and privacy
    RETENTION_DAYS: PositiveInt = Field(365, description="personal data and message text kept this long")
    INBOUND_RATE_LIMIT: PositiveInt = Field(10, description="SMS per sender per window before replies stop")
    INBOUND_RATE_WINDOW: PositiveInt = Field(600, description="the flood limit's window, seconds")
    MAP_MIN_COUNT: PositiveInt = Field(5, description="maps show fewer reports than this as \"< N\"")
    # USSD
    USSD_SESSION_TTL: PositiveInt = Field(300, description="seconds a USSD session's state lives")
    USSD_DRAFT_TTL: PositiveInt = Field(24 * 3600, description="seconds a dropped report's draft lives")
    USSD_CONTACT_CACHE_TTL: PositiveInt = Field(3600, description="seconds the dialling contact is cached")
    USSD_REFERENCE_CACHE_SECONDS: NonNegativeFloat = Field(60, description="reference lists reused this long")
    USSD_ACTIVITY_CACHE_SECONDS: NonNegativeFloat = Field(5, description="open activities reused this long")
    USSD_JOURNEYS_DIR: Path | None = Field(None, description="journeys folder (unset: menus/journeys)")
    USSD_TRANSLATIONS_DIR: Path | None = Field(None, description="catalogs folder (unset: gateway/translations)")

    # What this environment sets whatever the environment variables say, and what it defaults
    # to when they are unset (both below explicit values: create_app's overrides, tests).
    imposed: ClassVar[dict[str, Any]] = {}
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(describe(exc, type(self))) from None
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        """Explicit values, then what the environment imposes, the variables, its defaults."""
        return (init_settings, InitSettingsSource(settings_cls, cls.imposed_values()), env_settings,
                InitSettingsSource(settings_cls, dict(cls.defaults)))

    @classmethod
    def imposed_values(cls) -> dict[str, Any]:
        """What this environment imposes (GATEWAY_ENV itself, at least)."""
        return {"GATEWAY_ENV": cls.environment(), **cls.imposed}

    @classmethod
    def environment(cls) -> str:
        """The GATEWAY_ENV this class serves."""
        return next((name for name, config in CONFIGS.items() if issubclass(cls, config)), "development")

    @field_validator("SEND_RATES", "SEGMENT_PRICES", mode="before")
    @classmethod
    def _channel_map(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        pairs = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, sep, number = (x.strip() for x in item.partition("="))
            if not (sep and name and number):
                raise ValueError("must be channel=number pairs separated by commas")
            pairs[name] = number
        return pairs

    @field_validator("SIMULATOR_NUMBERS", mode="after")
    @classmethod
    def _e164_numbers(cls, value: list[str]) -> list[str]:
        for number in value:
            if not re.fullmatch(r"\+[1-9][0-9]{7,14}", number):
                raise ValueError("must be numbers in E.164 form (+227…) separated by commas")
        return value

    @field_validator("CAMPAIGN_RETRY_INTERVALS", "FAKE_FAIL_NUMBERS", "SIMULATOR_NUMBERS", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    def flask_config(self) -> dict[str, Any]:
        """The settings as Flask's `app.config`, with the names Flask and its extensions read."""
        # hide_parameters: a refused statement's error (and its traceback, RQ's failed-job record)
        # names the statement but never quotes the values bound to it (message text, numbers).
        return {**self.model_dump(), "SQLALCHEMY_DATABASE_URI": self.DATABASE_URL,
                "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
                "TESTING": self.GATEWAY_ENV == "test"}


DEVELOPMENT_KEYS = {"SECRET_KEY": "development-only-secret-key", "DATA_KEY": "development-only-data-key"}
TEST_KEYS = {"SECRET_KEY": "test-secret-key", "DATA_KEY": "test-data-key"}


class DevelopmentConfig(BaseConfig):
    """`make run`: SQLite, in-process queue, fake channel, fixed development secrets."""

    defaults = dict(DEVELOPMENT_KEYS)


def public_keys(settings: Mapping[str, Any]) -> list[str]:
    """The names of the keys of `settings` that are the public ones of development or tests
    (written in this file: whoever can reach such an app can forge its sessions and decrypt)."""
    return [name for name in ("SECRET_KEY", "DATA_KEY")
            if settings.get(name) in (DEVELOPMENT_KEYS[name], TEST_KEYS[name])]


def is_loopback(host: str) -> bool:
    """True when `host` (a bind address, or `unix:…`) is reachable from this machine only."""
    host = host.strip().strip("[]")
    if host.startswith("unix:") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False    # a host name, 0.0.0.0, ::: may face the network


def check_bind(settings: Mapping[str, Any], hosts: Iterable[str]) -> None:
    """Refuse (ConfigError) to serve with the public development/test keys on any address
    but the loopback interface: issue 11, finding 4."""
    keys = public_keys(settings)
    exposed = [host for host in hosts if not is_loopback(host)]
    if keys and exposed:
        raise ConfigError(f"refusing to serve on {', '.join(exposed)} with the public development "
                          f"{' and '.join(keys)}: set GATEWAY_ENV=production and real keys, or bind 127.0.0.1")


class TestConfig(BaseConfig):
    """The test suite: TEST_DATABASE_URL / REDIS_URL when set, embedded substitutes otherwise."""

    __test__ = False   # not a test class, although pytest would collect it by its name

    imposed = {**TEST_KEYS, "SMS_PROVIDER": "fake",
               "EMBEDDED_WORKER": False}   # tests drain the queue themselves

    @classmethod
    def imposed_values(cls) -> dict[str, Any]:
        """The test database is TEST_DATABASE_URL's, never DATABASE_URL's."""
        return {**super().imposed_values(), "DATABASE_URL": os.environ.get("TEST_DATABASE_URL") or "sqlite://"}


class ProductionConfig(BaseConfig):
    """Production: every secret comes from the environment, none has a default."""

    imposed = {"EMBEDDED_WORKER": False}
    defaults = {"DATABASE_URL": None, "SMS_PROVIDER": None}
    required: ClassVar[tuple[str, ...]] = ("SECRET_KEY", "DATA_KEY", "DATABASE_URL", "REDIS_URL", "SMS_PROVIDER")

    @model_validator(mode="after")
    def _required(self) -> ProductionConfig:
        # What the SMS provider and the USSD protocols need is declared by each channel and
        # checked when the channels are built (handlers.check_production).
        for name in self.required:
            if not getattr(self, name):
                raise ConfigError(f"{name} is required in production")
        # The development keys are what a deployment without GATEWAY_ENV ran on; refuse them.
        # (The test keys stay usable: the fault tests run production workers on a test database.)
        for name, value in DEVELOPMENT_KEYS.items():
            if getattr(self, name) == value:
                raise ConfigError(f"{name} is the public development key: production needs its own")
        return self


CONFIGS: dict[str, type[BaseConfig]] = {"development": DevelopmentConfig, "test": TestConfig,
                                        "production": ProductionConfig}


def load_config(env: str | None = None, **overrides: Any) -> BaseConfig:
    """The settings of `env` (default: GATEWAY_ENV, else development), with `overrides` on top."""
    env = env or os.environ.get("GATEWAY_ENV") or "development"
    if env not in CONFIGS:
        raise ConfigError(f"GATEWAY_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    return CONFIGS[env](**overrides)


def describe(exc: ValidationError, schema: type[BaseConfig]) -> str:
    """Every problem of `exc` on one line, each naming its setting (never a secret's value)."""
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "settings"
        field = schema.model_fields.get(str(error["loc"][0])) if error["loc"] else None
        if error["type"] == "extra_forbidden":
            problems.append(f"{name} is not a setting")
            continue
        message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        if field is not None and field.repr is False or not isinstance(error.get("input"), (str, int, float)):
            problems.append(f"{name} {message}")
        else:
            problems.append(f"{name} {message}, got {error['input']!r}")
    return "; ".join(problems)
