"""Making reports. Every door (web, API, the inbox's Flag) calls these."""

from __future__ import annotations

import logging

from django.db import transaction

from wikisocial.accounts.models import Account
from wikisocial.core.markup import clean_text
from wikisocial.moderation.models import Report

logger = logging.getLogger(__name__)
MAX_COMMENT = 5000


def report(
    reporter: Account | None, target: Account, posts: list, comment: str = "", uri: str = ""
) -> Report:
    """File a report about ``target`` (and some of its posts) for the moderators."""
    with transaction.atomic():
        row = Report.objects.create(
            reporter=reporter,
            target=target,
            comment=clean_text(comment, multiline=True)[:MAX_COMMENT],
            uri=uri,
        )
        row.posts.set([p for p in posts if p.author_id == target.pk])
    logger.info("report %s on %s by %s", row.pk, target.handle, reporter or "someone")
    return row
