"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from wikisocial.accounts import actions
from wikisocial.accounts.models import User
from wikisocial.federation.inbox import _local_names as local_names
from wikisocial.instance.models import CodeOfConduct

PASSWORD = "a long enough passphrase"


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in the default language: a request in another language activates it
    for the whole thread (LocaleMiddleware), which would leak into the next test."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters, cached settings and the inbox's known local names do not carry
    from one test to the next."""
    cache.clear()
    local_names.clear()
    yield
    cache.clear()
    local_names.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _on_commit_as_in_production(monkeypatch):
    """Tests run inside a transaction that is rolled back, so on_commit callbacks (e-mails,
    tasks) would never run. Run them when only the test's own atomic blocks are open: exactly
    when they would run in production."""
    original = transaction.on_commit

    def on_commit(func, using=None, robust=False):
        connection = transaction.get_connection(using)
        if all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
            func()
        else:
            original(func, using=using, robust=robust)

    monkeypatch.setattr(transaction, "on_commit", on_commit)

    # Callbacks registered inside an application's own atomic block wait for that block; when
    # it ends well and only the test's blocks remain open, production would commit: run them.
    original_exit = transaction.Atomic.__exit__

    def atomic_exit(self, exc_type, exc_value, traceback):
        result = original_exit(self, exc_type, exc_value, traceback)
        connection = transaction.get_connection(self.using)
        only_test_blocks = all(
            getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
        )
        while only_test_blocks and connection.run_on_commit and exc_type is None:
            _sids, func, _robust = connection.run_on_commit.pop(0)
            func()
        return result

    monkeypatch.setattr(transaction.Atomic, "__exit__", atomic_exit)


@pytest.fixture
def make_user(db):
    """make_user("ana") → a confirmed, approved user with an account and password PASSWORD,
    who accepted the current code of conduct."""

    def make(username: str = "ana", **kwargs) -> User:
        user = actions.register(
            username=username,
            email=kwargs.pop("email", f"{username}@example.org"),
            password=kwargs.pop("password", PASSWORD),
            code_of_conduct=kwargs.pop("code_of_conduct", CodeOfConduct.current()),
            by_operator=True,
            **kwargs,
        )
        mail.outbox.clear()
        return user

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user("ana")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def pytest_sessionstart(session):
    """What failing browser tests leave behind is from this run only (cleared once, by the
    xdist controller or the single process)."""
    if not hasattr(session.config, "workerinput"):
        import shutil

        from tests.browser import OUTPUT

        shutil.rmtree(OUTPUT, ignore_errors=True)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Point at what failing browser tests left behind (tests/browser/conftest.py)."""
    from tests.browser import OUTPUT

    if OUTPUT.exists() and any(OUTPUT.iterdir()):
        terminalreporter.write_line(
            f"Failing browser tests left screenshots and HTML under {OUTPUT}", red=True
        )
