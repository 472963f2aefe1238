"""Changes to instance-wide things: publishing announcements, and what people do with them
(dismiss, react). The admin and the client API both come through here."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from wikisocial.accounts.models import Account
from wikisocial.instance.models import Announcement, AnnouncementReaction, AnnouncementRead

# Mastodon's limit: at most this many different emoji under one announcement.
MAX_REACTION_KINDS = 8
MAX_EMOJI_LENGTH = 16  # code points: flags, skin tones and ZWJ families stay well under it
# Code points that only combine symbols into one emoji: joiner, variation selectors, keycap.
_COMBINING = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def save_announcement(announcement: Announcement) -> Announcement:
    """Save an announcement, stamping when it was first published (an edit keeps the date)."""
    if announcement.published and announcement.published_at is None:
        announcement.published_at = timezone.now()
    announcement.save()
    return announcement


def dismiss_announcement(account: Account, announcement: Announcement) -> None:
    """Mark an announcement as read by ``account`` (it stays listed, with ``read`` true)."""
    AnnouncementRead.objects.get_or_create(account=account, announcement=announcement)


def _is_skin_tone_or_tag(code: int) -> bool:
    return 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F


def is_emoji(name: str) -> bool:
    """Whether ``name`` is one Unicode emoji (with its modifiers), which is all a reaction may
    be here: we have no custom emoji."""
    if not name or len(name) > MAX_EMOJI_LENGTH:
        return False
    keycap = "\u20e3" in name
    symbols = 0
    for char in name:
        if unicodedata.category(char) == "So":
            symbols += 1
        elif char in _COMBINING or _is_skin_tone_or_tag(ord(char)):
            continue
        elif not (keycap and char in "0123456789#*"):
            return False
    return symbols > 0 or keycap


def react(account: Account, announcement: Announcement, name: str) -> None:
    """Put the emoji ``name`` under an announcement (again: nothing changes)."""
    if not is_emoji(name):
        raise ValidationError({"name": ["Name is not a recognized emoji"]})
    with transaction.atomic():
        kinds = set(announcement.reactions.values_list("name", flat=True).distinct())
        if name not in kinds and len(kinds) >= MAX_REACTION_KINDS:
            raise ValidationError({"name": ["Maximum number of different reactions reached"]})
        AnnouncementReaction.objects.get_or_create(
            account=account, announcement=announcement, name=name
        )


def unreact(account: Account, announcement: Announcement, name: str) -> None:
    """Take one's emoji ``name`` back from an announcement."""
    AnnouncementReaction.objects.filter(
        account=account, announcement=announcement, name=name
    ).delete()
