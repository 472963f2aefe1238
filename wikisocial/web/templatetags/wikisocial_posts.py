"""Template helpers for showing posts."""

from __future__ import annotations

import re

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

LONG_CHARACTERS = 600
LONG_BREAKS = 8
_BREAKS = re.compile(r"<(?:p|br|li|blockquote|pre)\b")
_TAGS = re.compile(r"<[^>]+>")


@register.filter
def is_long(post) -> bool:
    """Posts taller than a few lines are shown collapsed, with "Show more"."""
    html = post.content_html or ""
    text = _TAGS.sub("", html)
    return len(text) > LONG_CHARACTERS or len(_BREAKS.findall(html)) > LONG_BREAKS


@register.filter
def indent(depth: int) -> int:
    """Reply depth as shown: deep threads stop indenting after a while."""
    return min(int(depth or 0), 6)


@register.filter
def ago(moment) -> str:
    """A short relative time ("5 min", "3 h", "2 d"), or the date for older things."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < 60:
        return _("now")
    if seconds < 3600:
        minutes = int(seconds // 60)
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {"n": minutes}
    if seconds < 86400:
        hours = int(seconds // 3600)
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    if seconds < 7 * 86400:
        days = int(seconds // 86400)
        return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}
    from django.utils.formats import date_format

    return date_format(timezone.localtime(moment), "DATE_FORMAT")


@register.simple_tag
def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


# Languages written right to left (primary subtags), for text whose language is known.
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "azb", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "mzn", "nqo", "pnb", "ps"}
    | {"sd", "syr", "ug", "ur", "yi"}
)


@register.filter
def text_dir(language: str | None) -> str:
    """The dir attribute for user text in ``language``: "rtl" for a right-to-left language
    (an Arabic reply that starts with @ana@example.org must still read right to left, which
    "auto" would get wrong: it goes by the first letter), otherwise "auto"."""
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return "rtl" if primary in RTL_LANGUAGES else "auto"


@register.filter
def ltr(text: object) -> str:
    """Text that always reads left to right, such as a handle (@ana@example.org), isolated so
    that right-to-left words around it cannot carry its "@" to the other end."""
    return format_html('<span dir="ltr">{}</span>', text)


@register.filter
def among(value: object, collection) -> bool:
    """``post.pk|among:marks.liked``: membership, usable where ``in`` is not (include … with)."""
    try:
        return value in collection
    except TypeError:
        return False


@register.filter
def plain(html_text: str, length: int = 200) -> str:
    """HTML as plain text (entities decoded once; the template escapes it again), cut at a word
    boundary: for titles, descriptions and excerpts."""
    from wikisocial.core.markup import excerpt

    return excerpt(html_text or "", int(length))
