"""Reading the instance's configuration from the environment.

Every setting an operator may change is an environment variable named here; settings.py only
turns these values into Django settings. Keep parsing (and its error messages) in this module.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url


class ConfigError(Exception):
    """A setting in the environment is wrong; the message tells the operator what to fix."""


def get(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def get_bool(name: str, default: bool = False) -> bool:
    raw = get(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no), not {raw!r}")


def get_int(name: str, default: int) -> int:
    raw = get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def data_dir() -> Path:
    """The folder holding the SQLite database, media and the generated secret key."""
    path = Path(get("WIKISOCIAL_DATA_DIR", "var")).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the data folder {path}: {exc.strerror}") from exc
    return path


def domain() -> str:
    """host[:port] the instance is known by (in URLs, handles and federation)."""
    value = get("WIKISOCIAL_DOMAIN", "localhost:8000").lower()
    host, _, port = value.partition(":")
    if not host or "/" in value or (port and not port.isdigit()):
        raise ConfigError(
            f"WIKISOCIAL_DOMAIN must look like example.org or localhost:8000, not {value!r}"
        )
    return value


def is_local_domain(value: str) -> bool:
    host = value.split(":")[0]
    return host in {"localhost", "127.0.0.1", "[::1]"} or host.endswith(".localhost")


def secret_key(folder: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder."""
    value = get("SECRET_KEY")
    if value:
        return value
    path = folder / "secret_key"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(50)
    # Create with owner-only permissions; a concurrent start that loses the race reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def database(folder: Path) -> dict:
    """The primary database: DATABASE_URL, or SQLite in the data folder."""
    url = get("DATABASE_URL")
    if not url:
        if get("WIKISOCIAL_DB_POOL_SIZE"):
            raise ConfigError(
                "WIKISOCIAL_DB_POOL_SIZE needs PostgreSQL (DATABASE_URL): SQLite has no "
                "connection pool"
            )
        _check_sqlite_version()
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(folder / "wikisocial.sqlite3"),
            "OPTIONS": {
                # WAL lets the web process read while the worker writes; IMMEDIATE takes the
                # write lock at BEGIN so concurrent writers wait (timeout) instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Keep each thread's connection between requests: opening one (and its PRAGMAs)
            # was a sixth of an inbox request's CPU in bench/scenarios/inbox.py.
            "CONN_MAX_AGE": 600,
        }
    return _server_database(url, "DATABASE_URL")


def _check_sqlite_version() -> None:
    """Deliveries are claimed with UPDATE … RETURNING (federation/delivery.py), which SQLite
    has from 3.35 on; Django itself accepts older ones."""
    import sqlite3

    if sqlite3.sqlite_version_info < (3, 35):
        raise ConfigError(
            f"SQLite {sqlite3.sqlite_version} is too old: WikiSocial needs 3.35 or later "
            "(UPDATE … RETURNING); upgrade it, or use PostgreSQL (DATABASE_URL)"
        )


def database_replica() -> dict | None:
    """The read replica (DATABASE_REPLICA_URL) that timeline reads go to, or None. It gets the
    same pool settings as the primary; nothing ever writes to it or migrates it. Under tests
    it mirrors the primary's test database (TEST MIRROR), as a real replica would."""
    url = get("DATABASE_REPLICA_URL")
    if not url:
        return None
    if not get("DATABASE_URL"):
        raise ConfigError("DATABASE_REPLICA_URL needs DATABASE_URL (the primary) to be set too")
    config = _server_database(url, "DATABASE_REPLICA_URL")
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": "default"}
    return config


def _cursor_factory(connection: object, **kwargs: object) -> object:
    """psycopg's cursor factory, imported when the first cursor is made (not with settings)."""
    from wikisocial.core.db import cursor_factory

    return cursor_factory(connection, **kwargs)


def _server_database(url: str, name: str) -> dict:
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a database URL we understand: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", 5)
        # Timeline reads run as prepared statements with generic plans (core/db.py,
        # prepared_statements); every other query is sent with its values and planned as usual.
        options["cursor_factory"] = _cursor_factory
        # psycopg prepares nothing with None (Django's default); the preparing cursor asks
        # for each statement itself, and no other cursor binds on the server, so this
        # threshold is never reached.
        options.setdefault("prepare_threshold", 1_000_000)
        options["options"] = " ".join(
            filter(None, [options.get("options"), "-c plan_cache_mode=force_generic_plan"])
        )
    pool = database_pool()
    if pool is not None:
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise ConfigError(f"WIKISOCIAL_DB_POOL_SIZE needs PostgreSQL; {name} is not")
        # Django refuses persistent connections with a pool: the pool keeps them instead.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"]["pool"] = pool
    return config


# The fewest connections a pool may hold: a worker's main thread, its periodic-jobs thread and
# its delivery recorder each hold one at the same time (core/periodic.py, federation).
MIN_POOL_SIZE = 3


def database_pool() -> dict | None:
    """psycopg-pool options (Django's built-in pool) from WIKISOCIAL_DB_POOL_SIZE (the most
    connections one process holds), WIKISOCIAL_DB_POOL_MIN_SIZE and WIKISOCIAL_DB_POOL_TIMEOUT
    (seconds a request waits for a free connection); None: no pool (persistent connections)."""
    size = get_int("WIKISOCIAL_DB_POOL_SIZE", 0)
    if not size:
        return None
    min_size = get_int("WIKISOCIAL_DB_POOL_MIN_SIZE", 1)
    timeout = get_int("WIKISOCIAL_DB_POOL_TIMEOUT", 10)
    if size < MIN_POOL_SIZE:
        # A worker holds three at once: its main thread, the periodic jobs' thread and the
        # delivery recorder's; with fewer the main thread waits out the pool timeout.
        raise ConfigError(
            f"WIKISOCIAL_DB_POOL_SIZE must be at least {MIN_POOL_SIZE}, not {size}: a worker "
            "needs 3 connections at once (main, periodic, recorder)"
        )
    if not 0 <= min_size <= size:
        raise ConfigError(
            "WIKISOCIAL_DB_POOL_MIN_SIZE must be between 0 and WIKISOCIAL_DB_POOL_SIZE "
            f"({size}), not {min_size}"
        )
    if timeout < 1:
        raise ConfigError(f"WIKISOCIAL_DB_POOL_TIMEOUT must be at least 1 second, not {timeout}")
    return {"min_size": min_size, "max_size": size, "timeout": timeout}


def redacted_database_url() -> str:
    """DATABASE_URL as scheme://user@host:port/name, for messages: no password, no options."""
    url = get("DATABASE_URL")
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unparseable DATABASE_URL)"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def cache(url: str) -> dict:
    """The default cache: Redis at ``url`` (REDIS_URL) when given, shared by every process, or
    memory local to each process. Rate limits count in it."""
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    wrong = ConfigError(
        "REDIS_URL must look like redis://host:6379/0 (or rediss://…, unix:///path), "
        f"not {redacted_url(url)!r}"
    )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks the port)
    except ValueError:
        raise wrong from None
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise wrong
    if parts.scheme != "unix" and not parts.hostname:
        raise wrong
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}


def redacted_url(url: str) -> str:
    """``url`` without its password, for messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = f"{parts.username}@" if parts.username else ""
        return parts._replace(netloc=f"{user}{netloc}").geturl()
    except ValueError:
        return "(an unparseable URL)"


def media_storage() -> dict:
    """Django's STORAGES["default"], where uploads go: the data folder's media/ by default, or
    an S3-compatible bucket (WIKISOCIAL_MEDIA_STORAGE=s3) that browsers read from directly."""
    kind = get("WIKISOCIAL_MEDIA_STORAGE", "filesystem")
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ConfigError(f"WIKISOCIAL_MEDIA_STORAGE must be filesystem or s3, not {kind!r}")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options()}


def _s3_options() -> dict:
    bucket = get("WIKISOCIAL_S3_BUCKET")
    if not bucket:
        raise ConfigError("WIKISOCIAL_MEDIA_STORAGE=s3 needs WIKISOCIAL_S3_BUCKET")
    endpoint = get("WIKISOCIAL_S3_ENDPOINT_URL")
    if endpoint and urlsplit(endpoint).scheme not in {"http", "https"}:
        raise ConfigError(
            f"WIKISOCIAL_S3_ENDPOINT_URL must start with https:// (or http://), not {endpoint!r}"
        )
    # MinIO, Garage and Ceph want bucket names in the path; AWS takes either.
    style = get("WIKISOCIAL_S3_ADDRESSING_STYLE", "path" if endpoint else "auto")
    if style not in {"auto", "path", "virtual"}:
        raise ConfigError(f"WIKISOCIAL_S3_ADDRESSING_STYLE must be path or virtual, not {style!r}")
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": get("WIKISOCIAL_S3_REGION") or None,
        # None: boto3's own chain (AWS_ACCESS_KEY_ID…, instance roles).
        "access_key": get("WIKISOCIAL_S3_ACCESS_KEY_ID") or None,
        "secret_key": get("WIKISOCIAL_S3_SECRET_ACCESS_KEY") or None,
        "addressing_style": None if style == "auto" else style,
        "custom_domain": get("WIKISOCIAL_S3_CUSTOM_DOMAIN") or None,
        # Media are public: plain URLs, not signed ones that expire. Names are random and
        # never reused, so browsers and CDNs may keep them for good.
        "querystring_auth": False,
        # Our file names are random (128 bits): no existence check (a HEAD request) first.
        "file_overwrite": True,
        "default_acl": get("WIKISOCIAL_S3_ACL") or None,
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
    }
    return options


def metrics_allowed_networks() -> list:
    """WIKISOCIAL_METRICS_ALLOW: addresses or networks (comma-separated) that may read
    /metrics without the token; loopback by default."""
    import ipaddress

    raw = get("WIKISOCIAL_METRICS_ALLOW", "127.0.0.1,::1")
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"WIKISOCIAL_METRICS_ALLOW must list addresses or networks like 10.0.0.0/8, "
                f"not {item!r}"
            ) from None
    return networks


def log_format() -> str:
    """WIKISOCIAL_LOG_FORMAT: plain lines for people, or one JSON object per line."""
    value = get("WIKISOCIAL_LOG_FORMAT", "plain").lower()
    if value not in {"plain", "json"}:
        raise ConfigError(f"WIKISOCIAL_LOG_FORMAT must be plain or json, not {value!r}")
    return value


def log_level(name: str, default: str) -> str:
    value = get(name, default).upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"{name} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}")
    return value


def email(folder: Path) -> dict:
    """E-mail settings: the console by default, a folder of .eml files, or SMTP."""
    backend = get("WIKISOCIAL_EMAIL_BACKEND", "smtp" if get("EMAIL_HOST") else "console")
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "memory": "django.core.mail.backends.locmem.EmailBackend",
    }
    if backend not in backends:
        raise ConfigError(
            f"WIKISOCIAL_EMAIL_BACKEND must be one of {', '.join(backends)}, not {backend!r}"
        )
    return {
        "EMAIL_BACKEND": backends[backend],
        "EMAIL_FILE_PATH": str(folder / "outbox"),
        "EMAIL_HOST": get("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": get_int("EMAIL_PORT", 25),
        "EMAIL_HOST_USER": get("EMAIL_HOST_USER"),
        "EMAIL_HOST_PASSWORD": get("EMAIL_HOST_PASSWORD"),
        "EMAIL_USE_TLS": get_bool("EMAIL_USE_TLS"),
        "EMAIL_USE_SSL": get_bool("EMAIL_USE_SSL"),
        "EMAIL_TIMEOUT": get_int("EMAIL_TIMEOUT", 20),
    }


# The task queues, in the order a worker takes them (Mastodon's order): local work first, then
# activities that came in, then deliveries to other servers. A burst of deliveries never delays
# a local notification or an incoming reply.
TASK_QUEUES = ("default", "inbound", "outbound")


def tasks_backend(redis_url: str) -> dict:
    """Where background tasks queue: the database by default, Redis (RQ) at scale, or run at
    once (tests)."""
    name = get("WIKISOCIAL_TASKS_BACKEND", "database")
    queues = list(TASK_QUEUES)
    if name == "database":
        return {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": queues}
    if name == "rq":
        if not redis_url:
            raise ConfigError(
                "WIKISOCIAL_TASKS_BACKEND=rq needs REDIS_URL (the Redis server holding the queues)"
            )
        cache(redis_url)  # the same checks of the URL, the same message
        return {"BACKEND": "wikisocial.core.rq.RQBackend", "QUEUES": queues}
    if name == "immediate":
        return {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": queues}
    raise ConfigError(f"WIKISOCIAL_TASKS_BACKEND must be database, rq or immediate, not {name!r}")


def rq_queues(redis_url: str) -> dict:
    """django-rq's RQ_QUEUES: one RQ queue per task queue, all on REDIS_URL. A job running
    longer than DEFAULT_TIMEOUT seconds is stopped and recorded as failed."""
    return {name: {"URL": redis_url, "DEFAULT_TIMEOUT": 1800} for name in TASK_QUEUES}


def positive_seconds(name: str, default: int) -> int:
    value = get_int(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be a number of seconds of at least 1, not {value}")
    return value


# A POST takes at most 10 s (federation/delivery.py TIMEOUT) and a claimed row is sent within
# two of them (federation/sending.py); a shorter lease lets another worker take a live
# worker's rows and send them twice.
MIN_DELIVERY_LEASE = 30


def delivery_lease_seconds() -> int:
    """WIKISOCIAL_DELIVERY_LEASE_SECONDS: how long a worker holds a delivery it is sending."""
    name = "WIKISOCIAL_DELIVERY_LEASE_SECONDS"
    value = get_int(name, 300)
    if value < MIN_DELIVERY_LEASE:
        raise ConfigError(
            f"{name} must be at least {MIN_DELIVERY_LEASE} seconds (three times the 10 s a "
            f"delivery may take), not {value}"
        )
    return value
