"""Settings read from environment variables, with MyEMS's names where they exist.

Every value has a local default, so a service starts with no .env file against the stack that
`make demo` runs. Per-database variables follow MyEMS (`MYEMS_SYSTEM_DB_HOST`, `..._PORT`,
`..._DATABASE`, `..._USER`, `..._PASSWORD`); the shared `MYEMS_DB_*` variables are our addition and
set all thirteen at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Short key -> MyEMS database name. The order is the order of installation.
DATABASES: dict[str, str] = {
    'system': 'myems_system_db',
    'user': 'myems_user_db',
    'historical': 'myems_historical_db',
    'energy': 'myems_energy_db',
    'billing': 'myems_billing_db',
    'carbon': 'myems_carbon_db',
    'energy_baseline': 'myems_energy_baseline_db',
    'energy_plan': 'myems_energy_plan_db',
    'energy_prediction': 'myems_energy_prediction_db',
    'energy_model': 'myems_energy_model_db',
    'fdd': 'myems_fdd_db',
    'reporting': 'myems_reporting_db',
    'production': 'myems_production_db',
}

TRUE_WORDS = frozenset({'1', 'true', 't', 'yes', 'y', 'on'})
FALSE_WORDS = frozenset({'0', 'false', 'f', 'no', 'n', 'off', ''})


class ConfigError(ValueError):
    """A configuration variable holds a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class DatabaseConfig:
    """Connection settings of one database."""

    key: str
    host: str
    port: int
    database: str
    user: str
    password: str

    def connect_args(self) -> dict[str, object]:
        return {
            'host': self.host,
            'port': self.port,
            'database': self.database,
            'user': self.user,
            'password': self.password,
        }


@dataclass(frozen=True)
class Settings:
    """Everything a service can be configured with."""

    databases: Mapping[str, DatabaseConfig]
    minutes_to_count: int = 60
    utc_offset: str = '+00:00'
    default_timezone: str = 'UTC'
    start_datetime_utc: datetime = datetime(2024, 12, 31, 16, 0)
    minutes_to_clean: int = 30
    live_in_days: int = 365
    pool_size: int = 5
    currency_unit: str = 'EUR'
    session_expires_in_seconds: int = 28800
    maximum_failed_login_count: int = 3
    lockout_minutes: int = 15  # a lockout lifts by itself after this long; 0 = only an administrator unlocks
    is_redis_enabled: bool = False
    redis_host: str = '127.0.0.1'
    redis_port: int = 6379
    redis_password: str = ''
    redis_db: int = 0
    mqtt_broker_host: str = '127.0.0.1'
    mqtt_broker_port: int = 1883
    mqtt_username: str = ''
    mqtt_password: str = ''
    gateway_id: int = 1
    gateway_token: str = ''
    upload_path: str = '/tmp/myems-upload'  # where GET /{kind}files/{id}/restore writes a stored file
    workflow_base_url: str = ''  # the external workflow (ticket) service; empty: /tickets answers 503
    workflow_token: str = ''
    workflow_app_name: str = ''
    workflow_user_name: str = ''
    log_level: str = 'INFO'
    extra: Mapping[str, str] = field(default_factory=dict)

    def db(self, key: str) -> DatabaseConfig:
        try:
            return self.databases[key]
        except KeyError:
            raise ConfigError(f'unknown database key {key!r}; known: {", ".join(DATABASES)}') from None


class _Reader:
    """Typed access to an environment mapping that names the variable in every error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str) -> str:
        return self.env.get(name, default)

    def integer(self, name: str, default: int, low: int | None = None, high: int | None = None) -> int:
        raw = self.env.get(name)
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ConfigError(f'{name} must be an integer, got {raw!r}') from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f'{name} must be between {low} and {high}, got {value}')
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.env.get(name)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(f'{name} must be true or false, got {raw!r}')

    def utc_datetime(self, name: str, default: datetime) -> datetime:
        raw = self.env.get(name)
        if raw is None:
            return default
        try:
            value = datetime.fromisoformat(raw.strip().replace(' ', 'T'))
        except ValueError:
            raise ConfigError(f'{name} must be a datetime like 2025-01-01T00:00:00, got {raw!r}') from None
        if value.tzinfo is not None:
            raise ConfigError(f'{name} must be a naive UTC datetime without an offset, got {raw!r}')
        return value


def _database(read: _Reader, key: str, name: str) -> DatabaseConfig:
    prefix = f'MYEMS_{key.upper()}_DB_'
    return DatabaseConfig(
        key=key,
        host=read.text(prefix + 'HOST', read.text('MYEMS_DB_HOST', '127.0.0.1')),
        port=read.integer(prefix + 'PORT', read.integer('MYEMS_DB_PORT', 3306, 1, 65535), 1, 65535),
        database=read.text(prefix + 'DATABASE', name),
        user=read.text(prefix + 'USER', read.text('MYEMS_DB_USER', 'myems')),
        password=read.text(prefix + 'PASSWORD', read.text('MYEMS_DB_PASSWORD', 'myems')),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: the process environment)."""
    read = _Reader(os.environ if env is None else env)
    minutes = read.integer('MINUTES_TO_COUNT', 60)
    if minutes not in (15, 30, 60):
        raise ConfigError(f'MINUTES_TO_COUNT must be 15, 30 or 60, got {minutes}')
    level = read.text('LOG_LEVEL', 'INFO').upper()
    if level not in ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'):
        raise ConfigError(f'LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}')
    offset = read.text('UTC_OFFSET', '+00:00')
    from myems_common.timeutil import parse_utc_offset, zone

    try:
        parse_utc_offset(offset)
    except ValueError as exc:
        raise ConfigError(f'UTC_OFFSET: {exc}') from None
    default_zone = read.text('TIMEZONE', 'UTC')
    try:
        zone(default_zone)
    except ValueError as exc:
        raise ConfigError(f'TIMEZONE: {exc}') from None
    return Settings(
        databases={key: _database(read, key, name) for key, name in DATABASES.items()},
        minutes_to_count=minutes,
        utc_offset=offset,
        default_timezone=default_zone,
        start_datetime_utc=read.utc_datetime('START_DATETIME_UTC', datetime(2024, 12, 31, 16, 0)),
        minutes_to_clean=read.integer('MINUTES_TO_CLEAN', 30, 0, 1440),
        live_in_days=read.integer('LIVE_IN_DAYS', 365, 1),
        pool_size=read.integer('POOL_SIZE', 5, 1, 64),
        currency_unit=read.text('CURRENCY_UNIT', 'EUR'),
        session_expires_in_seconds=read.integer('SESSION_EXPIRES_IN_SECONDS', 28800, 60),
        maximum_failed_login_count=read.integer('MAXIMUM_FAILED_LOGIN_COUNT', 3, 1),
        lockout_minutes=read.integer('LOCKOUT_MINUTES', 15, 0, 525600),
        is_redis_enabled=read.boolean('IS_REDIS_ENABLED', False),
        redis_host=read.text('REDIS_HOST', '127.0.0.1'),
        redis_port=read.integer('REDIS_PORT', 6379, 1, 65535),
        redis_password=read.text('REDIS_PASSWORD', ''),
        redis_db=read.integer('REDIS_DB', 0, 0),
        mqtt_broker_host=read.text('MYEMS_MQTT_BROKER_HOST', '127.0.0.1'),
        mqtt_broker_port=read.integer('MYEMS_MQTT_BROKER_PORT', 1883, 1, 65535),
        mqtt_username=read.text('MYEMS_MQTT_USERNAME', ''),
        mqtt_password=read.text('MYEMS_MQTT_PASSWORD', ''),
        gateway_id=read.integer('GATEWAY_ID', 1, 1),
        gateway_token=read.text('GATEWAY_TOKEN', ''),
        upload_path=read.text('UPLOAD_PATH', '/tmp/myems-upload'),
        workflow_base_url=read.text('MYEMS_WORKFLOW_BASE_URL', ''),
        workflow_token=read.text('MYEMS_WORKFLOW_TOKEN', ''),
        workflow_app_name=read.text('MYEMS_WORKFLOW_APP_NAME', ''),
        workflow_user_name=read.text('MYEMS_WORKFLOW_USER_NAME', ''),
        log_level=level,
    )


def database_env(settings: Settings) -> dict[str, str]:
    """Environment variables naming each database of `settings`, for a child process to load the same."""
    env: dict[str, str] = {}
    for key, cfg in settings.databases.items():
        prefix = f'MYEMS_{key.upper()}_DB_'
        env.update({prefix + 'HOST': cfg.host, prefix + 'PORT': str(cfg.port), prefix + 'DATABASE': cfg.database})
        env.update({prefix + 'USER': cfg.user, prefix + 'PASSWORD': cfg.password})
    return env
