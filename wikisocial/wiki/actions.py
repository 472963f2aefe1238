"""Everything that changes a wiki: saving (creating and editing) pages, reverting, protecting,
deleting and restoring, watching, and opening a page's talk topic.

A save names the revision the editor started from. If someone else saved in between, nothing
is written: ``EditConflict`` carries both texts (and, when the two edits changed different
lines, a merge of both) for the editor to decide. Nothing is ever saved over someone's edit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wikisocial.accounts.models import Account
from wikisocial.communities import actions as group_actions
from wikisocial.communities.models import Group, LogAction, Topic
from wikisocial.core.markup import clean_text
from wikisocial.core.ratelimit import Limit, over_limit
from wikisocial.notifications.actions import notify
from wikisocial.notifications.models import Kind
from wikisocial.wiki import access, titles
from wikisocial.wiki.diff import merge3
from wikisocial.wiki.models import Markup, Page, PageLink, PageWatch, Protection, Revision
from wikisocial.wiki.rendering import link_keys

logger = logging.getLogger(__name__)

__all__ = [
    "EDIT_RATE",
    "LIMITS",
    "EditConflict",
    "Saved",
    "delete_page",
    "open_talk",
    "protect",
    "restore_page",
    "revert",
    "save_page",
    "unwatch",
    "watch",
]

LIMITS = {"text": 100_000, "summary": 500}
# Saves per account: generous for people, a brake for scripts.
EDIT_RATE = Limit(30, 5 * 60)


class EditConflict(Exception):
    """Someone saved the page after the editor started: nothing was saved. ``theirs`` is the
    page's text now, ``yours`` the editor's; ``merged`` both edits together when they changed
    different lines (to show the editor, who confirms it), else None."""

    def __init__(
        self, page: Page, base: Revision | None, current: Revision | None, yours: str
    ) -> None:
        super().__init__(f"edit conflict on {page.title}")
        self.page = page
        self.base = base
        self.current = current
        self.theirs = current.text if current is not None else ""
        self.yours = yours
        base_text = base.text if base is not None else ""
        self.merged = merge3(base_text, self.theirs, yours) if current is not None else None


@dataclass(frozen=True)
class Saved:
    page: Page
    revision: Revision
    changed: bool  # False: the text was already this (no new revision)
    created: bool = False


def _clean_title(title: str) -> str:
    try:
        return titles.normalize(title)
    except ValidationError as error:
        raise ValidationError({"title": error.messages}) from None


def _clean(text: str, markup: str, summary: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    text = clean_text(text or "", multiline=True)
    summary = clean_text(summary or "")
    if len(text) > LIMITS["text"]:
        errors["text"] = [
            _("A page may have at most %(n)d characters; this has %(count)d.")
            % {"n": LIMITS["text"], "count": len(text)}
        ]
    if markup not in Markup.values:
        errors["markup"] = [_("Choose Markdown or wikitext.")]
    if len(summary) > LIMITS["summary"]:
        errors["summary"] = [
            _("An edit summary may have at most %(n)d characters.") % {"n": LIMITS["summary"]}
        ]
    if errors:
        raise ValidationError(errors)
    return text, summary


def check_can_edit(editor: Account | None, group: Group | None, protection: str) -> None:
    refusal = access.edit_refusal(editor, group, protection)
    if refusal is not None:
        raise PermissionDenied(refusal)


def _check_rate(editor: Account) -> None:
    if over_limit("wiki-edit", EDIT_RATE, f"account:{editor.pk}"):
        raise ValidationError(
            _("You are saving very fast. Please wait a few minutes; your text is kept.")
        )


def _page_for_update(group: Group | None, key: str) -> Page | None:
    """The page, locked until the save ends. Its current revision is read afterwards, by a
    query of its own: on PostgreSQL a lock that waited for another save returns the page as
    that save left it, but a join in the same query would still miss the revision it just
    wrote (the statement's snapshot is older), and the conflict would show "theirs" empty."""
    return Page.objects.select_for_update().in_wiki(group).filter(key=key).first()


@dataclass(frozen=True)
class _Edit:
    editor: Account
    group: Group | None
    title: str
    text: str
    markup: str
    summary: str
    minor: bool
    base_revision_id: int | None
    reverted_to: Revision | None = None


def _check_base(page: Page | None, edit: _Edit) -> None:
    """EditConflict unless the page is still as the editor found it: at the revision they
    started from, or not there at all when they started a new page."""
    if page is None:
        return
    alive = page.deleted_at is None
    if edit.base_revision_id == (page.current_id if alive else None):
        return
    # Only a revision of this very page may serve as the base (it is shown in the merge).
    base = page.revisions.filter(pk=edit.base_revision_id).first()
    raise EditConflict(page, base, page.current if alive else None, edit.text)


def save_page(
    editor: Account,
    group: Group | None,
    title: str,
    text: str,
    markup: str = Markup.MARKDOWN,
    summary: str = "",
    minor: bool = False,
    base_revision_id: int | None = None,
) -> Saved:
    """Create page ``title`` in the wiki of ``group`` (None: the instance wiki) or edit it.
    ``base_revision_id`` is the revision the editor started from (None for a new page).

    Raises ValidationError (per field), PermissionDenied (with the reason) or EditConflict.
    Saving the text the page already has makes no revision (``changed`` False)."""
    title = _clean_title(title)
    text, summary = _clean(text, markup, summary)
    edit = _Edit(editor, group, title, text, markup, summary, minor, base_revision_id)
    return _save(edit)


def _save(edit: _Edit) -> Saved:
    key = titles.title_key(edit.title)
    with transaction.atomic():
        page = _page_for_update(edit.group, key)
        alive = page is not None and page.deleted_at is None
        check_can_edit(edit.editor, edit.group, page.protection if page else Protection.NONE)
        _check_rate(edit.editor)
        _check_base(page, edit)
        if alive and _unchanged(page, edit):
            return Saved(page, page.current, changed=False)
        if page is None and not edit.text:
            raise ValidationError({"text": [_("Write something to create the page.")]})
        created = page is None
        page = page or _create_page(edit, key)
        revision = _add_revision(page, edit)
        _after_save(page, revision, edit.editor, created)
    return Saved(page, revision, changed=True, created=created)


def _unchanged(page: Page, edit: _Edit) -> bool:
    current = page.current
    return current is not None and current.text == edit.text and current.markup == edit.markup


def _create_page(edit: _Edit, key: str) -> Page:
    """A new page; if someone created it at the same moment, their page wins and this save
    is a conflict."""
    try:
        with transaction.atomic():
            return Page.objects.create(
                group=edit.group, title=edit.title, key=key, markup=edit.markup
            )
    except IntegrityError:
        page = Page.objects.in_wiki(edit.group).select_related("current").get(key=key)
        raise EditConflict(page, None, page.current, edit.text) from None


def _add_revision(page: Page, edit: _Edit) -> Revision:
    now = timezone.now()
    revision = Revision.objects.create(
        page=page,
        base_id=page.current_id,
        author=edit.editor,
        text=edit.text,
        markup=edit.markup,
        summary=edit.summary,
        minor=edit.minor,
        reverted_to=edit.reverted_to,
        size=len(edit.text.encode()),
        created_at=now,
    )
    page.current = revision
    page.markup = edit.markup
    page.updated_at = now
    page.deleted_at = None
    page.save(update_fields=["current", "markup", "updated_at", "deleted_at"])
    return revision


def _after_save(page: Page, revision: Revision, editor: Account, created: bool) -> None:
    update_links(page)
    if created:
        PageWatch.objects.get_or_create(account=editor, page=page)
    _notify_watchers(page, editor)


def update_links(page: Page) -> None:
    """Make the page's ``PageLink`` rows those of its current text."""
    current = page.current
    keys = set(link_keys(page.title, current.text, current.markup)) if current else set()
    keys.discard(page.key)
    PageLink.objects.filter(source=page).exclude(target_key__in=keys).delete()
    PageLink.objects.bulk_create(
        [PageLink(source=page, group=page.group, target_key=key) for key in sorted(keys)],
        ignore_conflicts=True,
    )


def _notify_watchers(page: Page, editor: Account) -> None:
    """Tell the page's watchers, those who may still read it."""
    watches = PageWatch.objects.filter(page=page).exclude(account=editor)
    for watch_row in watches.select_related("account"):
        if access.can_read_page(watch_row.account, page):
            notify(watch_row.account, Kind.WIKI_EDIT, editor, wiki_page=page, group=page.group)


# --- revert, protection, deletion ---------------------------------------------------------------


def revert(
    editor: Account,
    page: Page,
    revision: Revision,
    summary: str = "",
    base_revision_id: int | None = None,
) -> Saved:
    """Make ``revision``'s text the page's text again, as a new revision. ``base_revision_id``
    is the revision the editor was looking at (default: the current one); if the page changed
    since, EditConflict."""
    if revision.page_id != page.pk:
        raise ValidationError(_("That revision is not of this page."))
    summary = clean_text(summary or "") or _(
        "Reverted to the revision of %(date)s by %(author)s"
    ) % {
        "date": revision.created_at.strftime("%Y-%m-%d %H:%M"),
        "author": revision.author.handle if revision.author else "?",
    }
    if base_revision_id is None:
        page.refresh_from_db(fields=["current"])
    base = page.current_id if base_revision_id is None else base_revision_id
    edit = _Edit(
        editor, page.group, page.title, revision.text, revision.markup,
        summary[: LIMITS["summary"]], False, base, reverted_to=revision,
    )  # fmt: skip
    return _save(edit)


def _log(page: Page, actor: Account, action: str, detail: str, reason: str = "") -> None:
    if page.group_id is not None:
        group_actions.log(page.group, actor, action, detail=detail, reason=reason)


def check_can_protect(account: Account, group: Group | None) -> None:
    if not access.can_protect(account, group):
        raise PermissionDenied(_("Only moderators may do this."))


def protect(moderator: Account, page: Page, level: str, reason: str = "") -> Page:
    """Set who may edit ``page`` (a ``Protection`` level); written in the group's log."""
    check_can_protect(moderator, page.group)
    if level not in Protection.values:
        raise ValidationError({"level": [_("Choose one of the levels.")]})
    if page.protection == level:
        return page
    page.protection = level
    page.save(update_fields=["protection"])
    label = Protection(level).label
    _log(page, moderator, LogAction.PROTECT, f"{page.title}: {label}", clean_text(reason))
    return page


def delete_page(moderator: Account, page: Page, reason: str = "") -> None:
    """Hide a page (spam, a mistake). Its history stays, for restoring it."""
    check_can_protect(moderator, page.group)
    if page.deleted_at is not None:
        return
    page.deleted_at = timezone.now()
    page.save(update_fields=["deleted_at"])
    PageLink.objects.filter(source=page).delete()
    _log(page, moderator, LogAction.WIKI_DELETE, page.title, clean_text(reason))


def restore_page(moderator: Account, page: Page) -> None:
    check_can_protect(moderator, page.group)
    if page.deleted_at is None:
        return
    page.deleted_at = None
    page.save(update_fields=["deleted_at"])
    update_links(page)
    _log(page, moderator, LogAction.WIKI_RESTORE, page.title, "")


# --- watching and talk --------------------------------------------------------------------------


def watch(account: Account, page: Page) -> None:
    """Be notified when someone edits ``page``."""
    if not access.can_read_page(account, page):
        raise PermissionDenied
    PageWatch.objects.get_or_create(account=account, page=page)


def unwatch(account: Account, page: Page) -> None:
    PageWatch.objects.filter(account=account, page=page).delete()


def talk_topic(page: Page) -> Topic | None:
    """The page's talk topic, unless it was deleted."""
    topic = page.talk
    if topic is None or topic.post.deleted_at is not None:
        return None
    return topic


def open_talk(author: Account, page: Page, text: str, page_link: str) -> Topic:
    """The page's talk topic, started by ``author`` with ``text`` if it has none yet (in the
    page's group; a site-wide topic for the instance wiki). ``page_link`` is the page's
    absolute URL, added to the first post. Raises ValidationError (``text``, or why the
    author may not post in the group)."""
    from wikisocial.communities.forum import create_topic
    from wikisocial.posts.actions import Draft

    with transaction.atomic():
        # The talk topic is read after the lock, by a query of its own (see _page_for_update).
        page = Page.objects.select_for_update().get(pk=page.pk)
        existing = talk_topic(page)
        if existing is not None:
            return existing
        text = clean_text(text or "", multiline=True)
        if not text:
            raise ValidationError({"text": [_("Write the first message of the discussion.")]})
        title = _("Talk: %(title)s") % {"title": page.title}
        if len(title) > 200:
            title = title[:199] + "…"
        label = _("Wiki page:")  # outside the f-string, where makemessages finds it
        body = f"{text}\n\n{label} {page_link}"
        topic = create_topic(author, page.group, title, Draft(text=body))
        page.talk = topic
        page.save(update_fields=["talk"])
    return topic
