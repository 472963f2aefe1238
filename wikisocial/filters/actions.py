"""Creating and changing a reader's filters. The client API calls these (the web settings page
may too), so a filter behaves the same whichever door made it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.models import Account
from wikisocial.core.markup import clean_text
from wikisocial.filters.models import CONTEXTS, Action, Filter, FilterKeyword, FilterStatus
from wikisocial.posts.models import Post

TITLE_LENGTH = 200
KEYWORD_LENGTH = 200
# The longest expiry one may give: about a hundred years (longer is "never": leave it out).
LONGEST_EXPIRY = 100 * 365 * 24 * 3600


@dataclass
class KeywordChange:
    """One item of Mastodon's ``keywords_attributes``: a new keyword (no ``id``), a change to
    an existing one, or its removal (``destroy``)."""

    keyword: str | None = None
    whole_word: bool | None = None
    id: int | None = None
    destroy: bool = False


KEEP = object()  # update_filter(expires_in=KEEP): leave the expiry as it is


def _title(title: str) -> str:
    text = clean_text(title)
    if not text:
        raise ValidationError({"title": _("Title can't be blank")})
    if len(text) > TITLE_LENGTH:
        raise ValidationError({"title": _("Title is too long")})
    return text


def _context(context: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(context))
    if not chosen:
        raise ValidationError({"context": _("Context can't be blank")})
    if any(c not in CONTEXTS for c in chosen):
        raise ValidationError({"context": _("Context None or invalid context supplied")})
    return chosen


def _action(action: str) -> str:
    if action not in Action.values:
        raise ValidationError(
            {"filter_action": _("'%(value)s' is not a valid filter_action") % {"value": action}}
        )
    return action


def _expiry(expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None
    if not 0 < expires_in <= LONGEST_EXPIRY:
        raise ValidationError({"expires_in": _("Expiry must be a positive number of seconds")})
    return timezone.now() + timedelta(seconds=expires_in)


def _keyword(keyword: str | None) -> str:
    text = clean_text(keyword or "")
    if not text:
        raise ValidationError({"keyword": _("Keyword can't be blank")})
    if len(text) > KEYWORD_LENGTH:
        raise ValidationError({"keyword": _("Keyword is too long")})
    return text


def _apply_keywords(row: Filter, changes: Sequence[KeywordChange]) -> None:
    """Create, change or remove keywords of ``row``; an id that is not one of its keywords
    raises FilterKeyword.DoesNotExist (Mastodon answers 404)."""
    for change in changes:
        if change.id is None:
            if not change.destroy:
                whole_word = True if change.whole_word is None else change.whole_word
                add_keyword(row, change.keyword, whole_word)
            continue
        keyword = FilterKeyword.objects.get(pk=change.id, filter=row)
        if change.destroy:
            keyword.delete()
        else:
            update_keyword(keyword, keyword=change.keyword, whole_word=change.whole_word)


def create_filter(
    account: Account,
    *,
    title: str,
    context: Sequence[str],
    action: str = Action.WARN,
    expires_in: int | None = None,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    """A new filter with its first keywords. Raises ValidationError (nothing saved)."""
    with transaction.atomic():
        row = Filter.objects.create(
            account=account,
            title=_title(title),
            context=_context(context),
            action=_action(action),
            expires_at=_expiry(expires_in),
        )
        if any(change.id is not None for change in keywords):
            raise FilterKeyword.DoesNotExist  # a new filter has no keywords to change
        _apply_keywords(row, keywords)
    return row


def update_filter(
    row: Filter,
    *,
    title: str | None = None,
    context: Sequence[str] | None = None,
    action: str | None = None,
    expires_in: object = KEEP,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    """Change what is given; ``expires_in=None`` makes the filter last for ever."""
    with transaction.atomic():
        if title is not None:
            row.title = _title(title)
        if context is not None:
            row.context = _context(context)
        if action is not None:
            row.action = _action(action)
        if expires_in is not KEEP:
            row.expires_at = _expiry(expires_in)  # type: ignore[arg-type]
        row.save()
        _apply_keywords(row, keywords)
    return row


def delete_filter(row: Filter) -> None:
    row.delete()


def add_keyword(row: Filter, keyword: str | None, whole_word: bool = True) -> FilterKeyword:
    text = _keyword(keyword)
    return FilterKeyword.objects.create(filter=row, keyword=text, whole_word=whole_word)


def update_keyword(
    row: FilterKeyword, *, keyword: str | None = None, whole_word: bool | None = None
) -> FilterKeyword:
    """Change the words or the word-boundary rule (what is not given stays)."""
    if keyword is not None:
        row.keyword = _keyword(keyword)
    if whole_word is not None:
        row.whole_word = whole_word
    row.save()
    return row


def remove_keyword(row: FilterKeyword) -> None:
    row.delete()


def add_status(row: Filter, post: Post) -> FilterStatus:
    """Filter one post (and boosts of it). The caller checks the owner may see the post."""
    try:
        with transaction.atomic():
            return FilterStatus.objects.create(filter=row, post=post)
    except IntegrityError:
        raise ValidationError({"status_id": _("Status has already been taken")}) from None


def remove_status(row: FilterStatus) -> None:
    row.delete()
