"""The client API's endpoints, a module per Mastodon resource. Every module here is imported
by ``wikisocial.api.urls``, and its ``@endpoint`` declarations become URL patterns."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
