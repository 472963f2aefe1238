"""Composing e-mail in the recipient's language and handing it to the background worker."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from wikisocial.core.tasks import send_email


def queue_email(to: str, template: str, context: dict, language: str = "") -> None:
    """Render ``<template>_subject.txt`` and ``<template>_body.txt`` in ``language`` and send
    them from the worker once the current transaction commits."""
    from wikisocial.instance.models import InstanceSettings

    context = {"instance": InstanceSettings.current(), "site_url": settings.SITE_URL, **context}
    with translation.override(language or translation.get_language()):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    subject = " ".join(subject.split())
    transaction.on_commit(lambda: send_email.enqueue(to=[to], subject=subject, body=body))
