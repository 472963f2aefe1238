"""Background tasks shared by every domain."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_email(to: list[str], subject: str, body: str) -> None:
    """Send one plain-text e-mail. Raises on failure so the worker records it as failed."""
    send_mail(subject, body, None, to, fail_silently=False)
    logger.info("sent e-mail %r to %d recipient(s)", subject, len(to))
