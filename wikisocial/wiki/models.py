"""Wikis: the instance's own (help pages, rules, code of conduct) and one per group.

A page is named by its title; ``/`` in a title makes a subpage ("Events/2027"). Every save is
a ``Revision`` with the full text (pages are small; full texts make diffs between any two
revisions and reverts simple and exact). A save names the revision it started from
(``base``): if someone else saved in between, the save is refused as a conflict and the editor
is shown both texts, so nothing is ever silently overwritten.

Who may read a group's wiki is the group's rule (``communities.models.readable_group_q``);
the instance wiki is open to all. Who may edit is the page's protection level.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wikisocial.accounts.models import Account
from wikisocial.communities.models import readable_group_q


class Markup(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown")
    WIKITEXT = "wikitext", _("Wikitext")


class Protection(models.TextChoices):
    # Instance wiki: any member of the instance / staff. Group wiki: group members /
    # group moderators.
    NONE = "none", _("Anyone who may edit this wiki")
    MEMBERS = "members", _("Members only")
    MODERATORS = "moderators", _("Moderators only")


def wiki_index_url(group) -> str:
    """The front of a wiki: the instance's (``group`` None) or a group's."""
    if group is None:
        return reverse("wiki:instance-index")
    return reverse("wiki:index", kwargs={"handle": group.url_handle})


def page_url(group, title: str) -> str:
    """The URL of page ``title`` in the wiki of ``group`` (None: the instance wiki), whether
    the page exists or not; spaces are written as underscores, as on Wikipedia."""
    url_title = title.replace(" ", "_")
    if group is None:
        return reverse("wiki:instance-page", kwargs={"title": url_title})
    return reverse("wiki:page", kwargs={"handle": group.url_handle, "title": url_title})


class PageQuerySet(models.QuerySet):
    def alive(self) -> PageQuerySet:
        return self.filter(deleted_at__isnull=True)

    def in_wiki(self, group) -> PageQuerySet:
        """The pages of one wiki: a group's, or the instance's (``group`` None)."""
        if group is None:
            return self.filter(group__isnull=True)
        return self.filter(group=group)

    def visible_to(self, viewer: Account | None) -> PageQuerySet:
        """Pages ``viewer`` may read: the instance wiki's for all, a group wiki's by the
        group's rule. The one rule for pages, history, diffs, search, feeds and the API."""
        return self.alive().filter(
            Q(group__isnull=True) | Q(group__isnull=False) & readable_group_q(viewer, "group__")
        )


class Page(models.Model):
    group = models.ForeignKey(
        "communities.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="wiki_pages",
    )
    title = models.CharField(_("title"), max_length=255)
    # The title's key for lookups: first letter upper-cased, "_" as " ", NFC (MediaWiki's
    # rules), then casefolded so "Rules" and "rules" are one page.
    key = models.CharField(max_length=255)
    markup = models.CharField(max_length=10, choices=Markup.choices, default=Markup.MARKDOWN)
    current = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    protection = models.CharField(
        _("who may edit"), max_length=12, choices=Protection.choices, default=Protection.NONE
    )
    # Its talk page: a forum topic (in the group, or a site-wide topic for the instance wiki).
    talk = models.OneToOneField(
        "communities.Topic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wiki_page",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "key"], condition=Q(group__isnull=False), name="wiki_page_key"
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(group__isnull=True), name="instance_wiki_page_key"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return page_url(self.group if self.group_id else None, self.title)


class Revision(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="revisions")
    # The revision this one was written from (None for a page's first): conflict detection.
    base = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    markup = models.CharField(max_length=10, choices=Markup.choices, default=Markup.MARKDOWN)
    summary = models.CharField(_("edit summary"), max_length=500, blank=True)
    minor = models.BooleanField(_("minor edit"), default=False)
    # A revert names the revision whose text it restored.
    reverted_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["page", "-id"], name="revision_history")]

    def __str__(self) -> str:
        return f"{self.page} at {self.created_at:%Y-%m-%d %H:%M}"


class PageLink(models.Model):
    """A link from a page's current text to another page of the same wiki (by title key),
    whether that page exists yet or not: "what links here" and red links."""

    source = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="links")
    group = models.ForeignKey(
        "communities.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_key = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target_key"], name="wiki_link_unique")
        ]
        indexes = [models.Index(fields=["group", "target_key"], name="wiki_backlinks")]

    def __str__(self) -> str:
        return f"{self.source} → {self.target_key}"


class PageWatch(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "page"], name="wiki_watch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account} watches {self.page}"
