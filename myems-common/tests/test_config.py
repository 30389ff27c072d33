from __future__ import annotations

from datetime import datetime

import pytest

from myems_common.config import DATABASES, ConfigError, load_settings


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert set(settings.databases) == set(DATABASES)
    system = settings.db('system')
    assert (system.host, system.port, system.database, system.user) == ('127.0.0.1', 3306, 'myems_system_db', 'myems')
    assert settings.minutes_to_count == 60
    assert settings.session_expires_in_seconds == 28800
    assert settings.maximum_failed_login_count == 3
    assert settings.lockout_minutes == 15
    assert settings.is_redis_enabled is False
    assert settings.start_datetime_utc == datetime(2024, 12, 31, 16, 0)


def test_every_database_has_its_myems_name() -> None:
    settings = load_settings({})
    assert {cfg.database for cfg in settings.databases.values()} == set(DATABASES.values())
    assert len(DATABASES) == 13


def test_shared_variables_set_all_databases_and_myems_names_override_one() -> None:
    env = {
        'MYEMS_DB_HOST': 'db.internal',
        'MYEMS_DB_PORT': '3310',
        'MYEMS_DB_PASSWORD': 'secret',
        'MYEMS_ENERGY_DB_HOST': 'energy.internal',
        'MYEMS_ENERGY_DB_DATABASE': 'other_energy',
        'MYEMS_ENERGY_BASELINE_DB_PORT': '3400',
    }
    settings = load_settings(env)
    assert settings.db('system').host == 'db.internal'
    assert settings.db('system').port == 3310
    assert settings.db('system').password == 'secret'
    assert settings.db('energy').host == 'energy.internal'
    assert settings.db('energy').database == 'other_energy'
    assert settings.db('energy_baseline').port == 3400
    assert settings.db('billing').host == 'db.internal'


@pytest.mark.parametrize(
    ('env', 'named'),
    [
        ({'MYEMS_DB_PORT': 'abc'}, 'MYEMS_DB_PORT'),
        ({'MYEMS_SYSTEM_DB_PORT': '70000'}, 'MYEMS_SYSTEM_DB_PORT'),
        ({'MINUTES_TO_COUNT': '45'}, 'MINUTES_TO_COUNT'),
        ({'IS_REDIS_ENABLED': 'maybe'}, 'IS_REDIS_ENABLED'),
        ({'UTC_OFFSET': '8'}, 'UTC_OFFSET'),
        ({'TIMEZONE': 'Mars/Olympus'}, 'TIMEZONE'),
        ({'START_DATETIME_UTC': 'yesterday'}, 'START_DATETIME_UTC'),
        ({'LOG_LEVEL': 'LOUD'}, 'LOG_LEVEL'),
        ({'LOCKOUT_MINUTES': '-1'}, 'LOCKOUT_MINUTES'),
        ({'LOCKOUT_MINUTES': 'soon'}, 'LOCKOUT_MINUTES'),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_booleans_and_slot_lengths() -> None:
    assert load_settings({'IS_REDIS_ENABLED': 'yes'}).is_redis_enabled is True
    assert load_settings({'IS_REDIS_ENABLED': 'Off'}).is_redis_enabled is False
    assert load_settings({'MINUTES_TO_COUNT': '15'}).minutes_to_count == 15
    assert load_settings({'MINUTES_TO_COUNT': '30'}).minutes_to_count == 30


def test_unknown_database_key_is_named() -> None:
    with pytest.raises(ConfigError, match='nosuch'):
        load_settings({}).db('nosuch')


def test_lockout_minutes_is_configurable_and_zero_means_manual_unlock_only() -> None:
    assert load_settings({'LOCKOUT_MINUTES': '30'}).lockout_minutes == 30
    assert load_settings({'LOCKOUT_MINUTES': '0'}).lockout_minutes == 0
