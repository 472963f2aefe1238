"""Page titles, as MediaWiki spells them, so links people copy between wikis keep working.

A title is trimmed, its runs of spaces and underscores become one space, it is NFC and its
first letter is upper-case ("rules of_the  road" → "Rules of the road"). ``/`` makes subpages
("Events/2027"); a title may not contain ``# < > [ ] | { }`` or control characters (they mean
something in links and markup), may not have empty, ``.`` or ``..`` parts (they read as
paths), and has at most 255 characters. Its ``key`` is the casefolded title: "Rules" and
"rules" are one page.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = [
    "MAX_LENGTH",
    "RESERVED_PREFIX",
    "is_subpage",
    "normalize",
    "parent_of",
    "resolve_relative",
    "root_of",
    "title_key",
    "try_normalize",
    "url_title",
]

MAX_LENGTH = 255
# The wiki's own pages (recent changes) live under this prefix, so no page may use it.
RESERVED_PREFIX = "Special:"
FORBIDDEN = frozenset("#<>[]|{}")
_SPACES = re.compile(r"[\s_\u180e\u200b\ufeff]+")
# Directional marks and overrides never belong in a title (MediaWiki strips them too).
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_INVALID_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})


def _upper_first(text: str) -> str:
    upper = text[:1].upper()
    # "ß".upper() is "SS": such letters stay as they are, as MediaWiki keeps them.
    return (upper if len(upper) == 1 else text[:1]) + text[1:]


def _check_characters(title: str) -> None:
    bad = sorted({char for char in title if char in FORBIDDEN})
    if bad:
        raise ValidationError(
            _("A title may not contain these characters: %(chars)s") % {"chars": " ".join(bad)},
            code="forbidden_characters",
        )
    if any(unicodedata.category(char) in _INVALID_CATEGORIES for char in title):
        raise ValidationError(
            _("A title may not contain control or unassigned characters."), code="control"
        )


def _check_parts(title: str) -> None:
    if any(part.strip() in {"", ".", ".."} for part in title.split("/")):
        raise ValidationError(
            _(
                'A title may not start or end with "/", and its parts between "/" may not be '
                'empty, "." or "..".'
            ),
            code="bad_parts",
        )
    if title.casefold().startswith(RESERVED_PREFIX.casefold()):
        raise ValidationError(
            _('Titles starting with "%(prefix)s" are reserved.') % {"prefix": RESERVED_PREFIX},
            code="reserved",
        )


def normalize(raw: str) -> str:
    """The canonical form of ``raw``; ValidationError (with a message for people) if it can't
    be a title."""
    title = unicodedata.normalize("NFC", _BIDI.sub("", raw or ""))
    title = _SPACES.sub(" ", title).strip()
    if title.startswith(":"):
        title = title[1:].strip()
    if not title:
        raise ValidationError(_("Give the page a title."), code="empty")
    _check_characters(title)
    title = _upper_first(title)
    _check_parts(title)
    if len(title) > MAX_LENGTH:
        raise ValidationError(
            _("A title may have at most %(n)d characters.") % {"n": MAX_LENGTH}, code="too_long"
        )
    return title


def try_normalize(raw: str) -> str | None:
    """``normalize(raw)``, or None when ``raw`` is not a possible title."""
    try:
        return normalize(raw)
    except ValidationError:
        return None


def title_key(title: str) -> str:
    """The lookup key of a normalised title: "Rules" and "rules" are one page."""
    return title.casefold()[:MAX_LENGTH]


def url_title(title: str) -> str:
    """The title as it appears in URLs (spaces as underscores, as on Wikipedia)."""
    return title.replace(" ", "_")


def is_subpage(title: str) -> bool:
    return "/" in title


def parent_of(title: str) -> str | None:
    """ "Events/2027/Venue" → "Events/2027"; None for a top-level page."""
    parent, slash, _rest = title.rpartition("/")
    return parent if slash else None


def root_of(title: str) -> str:
    """ "Events/2027/Venue" → "Events"."""
    return title.split("/", 1)[0]


def resolve_relative(current: str, target: str) -> str | None:
    """A subpage link's target seen from page ``current``: ``/Venue`` is a subpage of this
    page, ``../Budget`` a sibling. None when it climbs above the top."""
    if target.startswith("/"):
        return current + target.rstrip("/")
    parts = current.split("/")
    while target.startswith("../"):
        if len(parts) < 2:
            return None
        parts.pop()
        target = target[3:]
    rest = target.rstrip("/")
    return "/".join(parts) + ("/" + rest if rest else "")
