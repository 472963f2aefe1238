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
    url = get("DATABASE_URL")
    if not url:
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
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL we understand: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return config


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


def tasks_backend() -> dict:
    """Where background tasks queue: the database by default, or run at once (tests)."""
    name = get("WIKISOCIAL_TASKS_BACKEND", "database")
    if name == "database":
        return {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    if name == "immediate":
        return {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    raise ConfigError(f"WIKISOCIAL_TASKS_BACKEND must be database or immediate, not {name!r}")
