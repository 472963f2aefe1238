"""Rules for local usernames, shared by every door (web sign-up, API, command line)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USERNAME_RE = re.compile(r"[A-Za-z0-9_]{1,30}", re.ASCII)

# Names that collide with our URLs, that people would read as official, or that mail systems
# treat specially. Compared case-insensitively.
RESERVED_USERNAMES = frozenset(
    """
    about abuse account accounts actor admin administrator admins announcements api apps assets
    auth autoconfig autodiscover blog blogs bookmarks calendar conduct contact dev directory
    docs domain email events explore favicon federated feed feeds follow followers following
    ftp g groups health help home hostmaster imap inbox info instance join local localhost
    login logout mail mailer-daemon manifest me media mod moderation moderator moderators news
    no_reply noc
    nodeinfo noreply notifications null oauth outbox owner pop postmaster privacy public
    register relay root rss rules search security settings signup smtp staff static status
    statuses support sysadmin system tag tags team terms timeline undefined user username users
    webmaster well_known wiki wikimedia wikipedia wikisocial www
    """.split()  # noqa: SIM905
)


def validate_username(value: str) -> None:
    """Raise ValidationError unless value may be a new local username."""
    if not USERNAME_RE.fullmatch(value or ""):
        raise ValidationError(
            _("Use 1 to 30 characters: letters A–Z, digits and underscores only."),
            code="invalid",
        )
    if value.lower() in RESERVED_USERNAMES:
        raise ValidationError(
            _("“%(name)s” is reserved. Please choose another username."),
            code="reserved",
            params={"name": value},
        )
