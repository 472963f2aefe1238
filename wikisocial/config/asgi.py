"""The ASGI entry point: the streaming server (Mastodon's /api/v1/streaming), served by
`wikisocial streaming`. The rest of the site is WSGI (config/wsgi.py): Django under ASGI is
several times slower for ordinary views, so only the long-lived streaming connections live
here."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wikisocial.config.settings")
django.setup()

from wikisocial.streaming.asgi import application  # noqa: E402 (needs the settings first)

__all__ = ["application"]
