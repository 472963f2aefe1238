"""Settings for the test suite: the real settings, with e-mail kept in memory, tasks run at
once (tests that need the real worker switch back), and a throwaway data folder."""

import os
import tempfile

os.environ.setdefault("WIKISOCIAL_DATA_DIR", tempfile.mkdtemp(prefix="wikisocial-test-"))
os.environ.setdefault("WIKISOCIAL_EMAIL_BACKEND", "memory")
os.environ.setdefault("WIKISOCIAL_TASKS_BACKEND", "immediate")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from wikisocial.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
