"""Configuration per environment, read from the environment (every name is in README.md, "Configuration")."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
# Data shipped with the code (Niger's P-codes and boundaries, language-detection training text),
# so a clone, a package or a deployment needs nothing beside the repository.
REFERENCE_DATA = ROOT / "gateway" / "data"


class ConfigError(RuntimeError):
    """A required setting is missing or invalid; the message names it."""


def _env(name: str, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


class BaseConfig:
    """Settings shared by every environment."""

    GATEWAY_ENV = "development"
    TESTING = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    JSON_SORT_KEYS = False
    TIMEZONE = "Africa/Niamey"
    DEFAULT_REGION = "NE"          # phonenumbers region for numbers given without +227
    DEFAULT_LANGUAGE = "fra"
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024

    def __init__(self) -> None:
        self.SECRET_KEY = _env("SECRET_KEY")
        self.DATA_KEY = _env("DATA_KEY")
        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'murya.db'}")
        self.REDIS_URL = _env("REDIS_URL")
        self.PORT = _int("PORT", 5000)
        self.PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL")
        self.SMS_PROVIDER = _env("SMS_PROVIDER", "fake")
        self.USSD_SHORT_CODE = _env("USSD_SHORT_CODE", "*384*1010#")
        # Africa's Talking
        self.AT_USERNAME = _env("AT_USERNAME")
        self.AT_API_KEY = _env("AT_API_KEY")
        self.AT_SENDER_ID = _env("AT_SENDER_ID")
        self.AT_CALLBACK_TOKEN = _env("AT_CALLBACK_TOKEN")
        self.AT_API_URL = _env("AT_API_URL")
        # Twilio
        self.TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
        self.TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
        self.TWILIO_FROM = _env("TWILIO_FROM")
        self.TWILIO_API_URL = _env("TWILIO_API_URL")
        # Generic HTTP channel (outbound mapping is a JSON document, see README)
        self.HTTP_CALLBACK_TOKEN = _env("HTTP_CALLBACK_TOKEN")
        self.HTTP_CHANNEL_CONFIG = _env("HTTP_CHANNEL_CONFIG")
        # Sending
        self.SEND_BATCH_SIZE = _int("SEND_BATCH_SIZE", 100)
        self.SEND_RATE_PER_SECOND = _float("SEND_RATE_PER_SECOND", 0)  # 0 = unthrottled
        # 25 XOF: what Niger's bulk-SMS aggregators ask per message (README, "Configuration").
        self.SEGMENT_PRICE = _float("SEGMENT_PRICE", 25.0)
        self.CURRENCY = _env("CURRENCY", "XOF")
        # Campaigns (see gateway/services/campaigns/). Per-channel overrides: "africastalking=25,twilio=60".
        self.SEGMENT_PRICES = _env("SEGMENT_PRICES", "")
        self.SEND_RATES = _env("SEND_RATES", "")
        self.SEND_RATE_UNIT = _env("SEND_RATE_UNIT", "messages")      # messages | segments
        self.CAMPAIGN_BATCH_TIMEOUT = _int("CAMPAIGN_BATCH_TIMEOUT", 60)
        self.CAMPAIGN_CLAIM_TIMEOUT = _int("CAMPAIGN_CLAIM_TIMEOUT", 120)
        self.CAMPAIGN_WATCH_INTERVAL = _int("CAMPAIGN_WATCH_INTERVAL", 15)
        self.CAMPAIGN_RETRY_INTERVALS = _env("CAMPAIGN_RETRY_INTERVALS", "10,30,120,600,1800")
        self.CAMPAIGN_ORPHAN_POLICY = _env("CAMPAIGN_ORPHAN_POLICY", "assume_sent")  # | resend
        # Privacy
        self.RETENTION_DAYS = _int("RETENTION_DAYS", 365)
        self.USSD_SESSION_TTL = _int("USSD_SESSION_TTL", 300)
        self.USSD_DRAFT_TTL = _int("USSD_DRAFT_TTL", 24 * 3600)
        # What a hop knows of the contact dialling (language, region), cached in Redis.
        self.USSD_CONTACT_CACHE_TTL = _int("USSD_CONTACT_CACHE_TTL", 3600)
        self.INBOUND_RATE_LIMIT = _int("INBOUND_RATE_LIMIT", 10)     # messages per sender
        self.INBOUND_RATE_WINDOW = _int("INBOUND_RATE_WINDOW", 600)  # seconds
        self.EMBEDDED_WORKER = _env("EMBEDDED_WORKER", "1") == "1"
        # Maps show fewer reports than this per department as "< N" (nobody singled out).
        self.MAP_MIN_COUNT = _int("MAP_MIN_COUNT", 5)

    def validate(self) -> None:
        """Check the settings this environment requires; raise ConfigError naming the first gap."""


class DevelopmentConfig(BaseConfig):
    """`make run`: SQLite, in-process queue, fake channel, fixed development secrets."""

    GATEWAY_ENV = "development"

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or "development-only-secret-key"
        self.DATA_KEY = self.DATA_KEY or "development-only-data-key"


class TestConfig(BaseConfig):
    """The test suite: TEST_DATABASE_URL / REDIS_URL when set, embedded substitutes otherwise."""

    GATEWAY_ENV = "test"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret-key"
        self.DATA_KEY = "test-data-key"
        self.SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
        self.SMS_PROVIDER = "fake"
        self.EMBEDDED_WORKER = False  # tests drain the queue themselves
        self.WTF_CSRF_ENABLED = False


class ProductionConfig(BaseConfig):
    """Production: every secret comes from the environment, none has a default."""

    GATEWAY_ENV = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
        self.SMS_PROVIDER = _env("SMS_PROVIDER")
        self.EMBEDDED_WORKER = False

    def validate(self) -> None:
        required = ["SECRET_KEY", "DATA_KEY", "DATABASE_URL", "REDIS_URL", "SMS_PROVIDER"]
        attr = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
        for name in required:
            if not getattr(self, attr.get(name, name)):
                raise ConfigError(f"{name} is required in production")
        # What the SMS provider and the USSD protocols need is declared by each channel and
        # checked when the channels are built (handlers.check_production).


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


def load_config(env: str | None = None) -> BaseConfig:
    """Build the configuration object for `env` (default: GATEWAY_ENV or development)."""
    env = env or _env("GATEWAY_ENV", "development")
    if env not in CONFIGS:
        raise ConfigError(f"GATEWAY_ENV must be one of {', '.join(CONFIGS)}, got {env!r}")
    config = CONFIGS[env]()
    config.validate()
    return config
