"""The operations settings read from the environment (wikisocial/config/env.py): connection
pool, read replica, media storage, metrics access and log format; a wrong value is a
one-line ConfigError naming the variable."""

from __future__ import annotations

import ipaddress

import pytest

from wikisocial.config import env
from wikisocial.config.env import ConfigError

PG = "postgresql://app:secret@db.internal:5432/wikisocial"


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for name in (
        "DATABASE_URL",
        "DATABASE_REPLICA_URL",
        "WIKISOCIAL_DB_POOL_SIZE",
        "WIKISOCIAL_DB_POOL_MIN_SIZE",
        "WIKISOCIAL_DB_POOL_TIMEOUT",
        "WIKISOCIAL_MEDIA_STORAGE",
        "WIKISOCIAL_S3_BUCKET",
        "WIKISOCIAL_S3_ENDPOINT_URL",
        "WIKISOCIAL_S3_ADDRESSING_STYLE",
        "WIKISOCIAL_S3_CUSTOM_DOMAIN",
        "WIKISOCIAL_METRICS_ALLOW",
        "WIKISOCIAL_LOG_FORMAT",
    ):
        monkeypatch.delenv(name, raising=False)


# --- database: pool and replica ---------------------------------------------------------------


def test_without_a_pool_connections_persist(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", PG)
    config = env.database(tmp_path)
    assert config["CONN_MAX_AGE"] == 60
    assert "pool" not in config["OPTIONS"]


def test_the_pool_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_SIZE", "8")
    config = env.database(tmp_path)
    assert config["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10}
    assert config["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
    assert config["CONN_HEALTH_CHECKS"] is True  # the pool checks a connection before use
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_MIN_SIZE", "4")
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_TIMEOUT", "3")
    assert env.database(tmp_path)["OPTIONS"]["pool"] == {
        "min_size": 4,
        "max_size": 8,
        "timeout": 3,
    }


@pytest.mark.parametrize(
    ("size", "min_size", "timeout", "message"),
    [
        ("0x", "", "", "WIKISOCIAL_DB_POOL_SIZE must be a whole number"),
        ("-2", "", "", "WIKISOCIAL_DB_POOL_SIZE must be at least 3"),
        ("4", "5", "", r"WIKISOCIAL_DB_POOL_MIN_SIZE must be between 0 and .* \(4\), not 5"),
        ("4", "", "0", "WIKISOCIAL_DB_POOL_TIMEOUT must be at least 1 second"),
    ],
)
def test_wrong_pool_values(monkeypatch, tmp_path, size, min_size, timeout, message):
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_SIZE", size)
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_MIN_SIZE", min_size)
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_TIMEOUT", timeout)
    with pytest.raises(ConfigError, match=message):
        env.database(tmp_path)


@pytest.mark.parametrize("size", ["1", "2"])
def test_a_pool_smaller_than_a_worker_needs_is_refused(monkeypatch, tmp_path, size):
    """A worker holds three connections at once (main thread, periodic thread, delivery
    recorder): with fewer, its main thread waits out the pool timeout and fails."""
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_SIZE", size)
    message = (
        f"WIKISOCIAL_DB_POOL_SIZE must be at least 3, not {size}: a worker needs 3 "
        "connections at once (main, periodic, recorder)"
    )
    with pytest.raises(ConfigError) as raised:
        env.database(tmp_path)
    assert str(raised.value) == message
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_SIZE", "3")
    assert env.database(tmp_path)["OPTIONS"]["pool"]["max_size"] == 3


def test_sqlite_has_no_pool(monkeypatch, tmp_path):
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_SIZE", "4")
    with pytest.raises(ConfigError, match=r"needs PostgreSQL .*SQLite has no connection pool"):
        env.database(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    with pytest.raises(ConfigError, match="WIKISOCIAL_DB_POOL_SIZE needs PostgreSQL"):
        env.database(tmp_path)


def test_the_replica(monkeypatch):
    assert env.database_replica() is None
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgresql://app:s@replica.internal:5432/ws")
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL needs DATABASE_URL"):
        env.database_replica()
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("WIKISOCIAL_DB_POOL_SIZE", "3")
    replica = env.database_replica()
    assert replica["HOST"] == "replica.internal"
    assert replica["OPTIONS"]["pool"]["max_size"] == 3
    # Under tests it is the primary's test database, as a real replica has the same rows.
    assert replica["TEST"] == {"MIRROR": "default"}
    monkeypatch.setenv("DATABASE_REPLICA_URL", "nonsense://x")
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL is not a database URL"):
        env.database_replica()


# --- media storage ----------------------------------------------------------------------------


def test_media_on_disk_by_default():
    assert env.media_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_media(monkeypatch):
    monkeypatch.setenv("WIKISOCIAL_MEDIA_STORAGE", "s3")
    with pytest.raises(ConfigError, match="needs WIKISOCIAL_S3_BUCKET"):
        env.media_storage()
    monkeypatch.setenv("WIKISOCIAL_S3_BUCKET", "media")
    aws = env.media_storage()
    assert aws["BACKEND"] == "storages.backends.s3.S3Storage"
    assert aws["OPTIONS"]["bucket_name"] == "media"
    assert aws["OPTIONS"]["endpoint_url"] is None
    assert aws["OPTIONS"]["addressing_style"] is None  # boto3 decides, as AWS allows both
    assert aws["OPTIONS"]["querystring_auth"] is False
    assert aws["OPTIONS"]["access_key"] is None  # boto3's own chain (roles, AWS_* variables)
    monkeypatch.setenv("WIKISOCIAL_S3_ENDPOINT_URL", "https://minio.internal:9000")
    monkeypatch.setenv("WIKISOCIAL_S3_CUSTOM_DOMAIN", "media.example.org")
    minio = env.media_storage()["OPTIONS"]
    assert minio["endpoint_url"] == "https://minio.internal:9000"
    assert minio["addressing_style"] == "path"
    assert minio["custom_domain"] == "media.example.org"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WIKISOCIAL_MEDIA_STORAGE", "ftp", "must be filesystem or s3"),
        ("WIKISOCIAL_S3_ENDPOINT_URL", "minio:9000", "must start with https://"),
        ("WIKISOCIAL_S3_ADDRESSING_STYLE", "sideways", "must be path or virtual"),
    ],
)
def test_wrong_media_values(monkeypatch, name, value, message):
    monkeypatch.setenv("WIKISOCIAL_MEDIA_STORAGE", "s3")
    monkeypatch.setenv("WIKISOCIAL_S3_BUCKET", "media")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        env.media_storage()


# --- metrics and logs ---------------------------------------------------------------------


def test_metrics_allow_loopback_by_default(monkeypatch):
    assert env.metrics_allowed_networks() == [
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
    ]
    monkeypatch.setenv("WIKISOCIAL_METRICS_ALLOW", "10.0.0.0/8, 192.168.1.7,")
    assert env.metrics_allowed_networks() == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.168.1.7/32"),
    ]
    monkeypatch.setenv("WIKISOCIAL_METRICS_ALLOW", "prometheus.internal")
    with pytest.raises(ConfigError, match="WIKISOCIAL_METRICS_ALLOW must list addresses"):
        env.metrics_allowed_networks()


def test_log_format_and_level(monkeypatch):
    assert env.log_format() == "plain"
    monkeypatch.setenv("WIKISOCIAL_LOG_FORMAT", "JSON")
    assert env.log_format() == "json"
    monkeypatch.setenv("WIKISOCIAL_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="WIKISOCIAL_LOG_FORMAT must be plain or json"):
        env.log_format()
    monkeypatch.setenv("WIKISOCIAL_LOG_LEVEL", "debug")
    assert env.log_level("WIKISOCIAL_LOG_LEVEL", "INFO") == "DEBUG"
    monkeypatch.setenv("WIKISOCIAL_LOG_LEVEL", "loud")
    with pytest.raises(ConfigError, match="WIKISOCIAL_LOG_LEVEL must be DEBUG"):
        env.log_level("WIKISOCIAL_LOG_LEVEL", "INFO")


def test_a_wrong_value_stops_the_command_with_one_line(tmp_path):
    from tests.cli.helpers import clean_env, run_cli

    result = run_cli(
        ["check"], tmp_path, env=clean_env(tmp_path, WIKISOCIAL_DB_POOL_SIZE="4"), timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "wikisocial: WIKISOCIAL_DB_POOL_SIZE needs PostgreSQL (DATABASE_URL): SQLite has no "
        "connection pool"
    )
