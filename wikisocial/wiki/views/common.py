"""What every wiki view needs: which wiki (the instance's or a group's, 404 for viewers who
may not read it), the page a URL names, and the context of the page's header and tabs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from wikisocial.accounts.models import Account
from wikisocial.communities.models import Group
from wikisocial.communities.views.common import group_context, readable_group_or_404, viewer_of
from wikisocial.wiki import access, actions
from wikisocial.wiki.models import Page, PageWatch, Protection, page_url, wiki_index_url


@dataclass
class Wiki:
    """The wiki a request is about, and who is looking."""

    group: Group | None
    viewer: Account | None

    @property
    def index_url(self) -> str:
        return wiki_index_url(self.group)

    @property
    def recent_url(self) -> str:
        if self.group is None:
            return reverse("wiki:instance-recent")
        return reverse("wiki:recent", kwargs={"handle": self.group.url_handle})

    def page_url(self, title: str, **query: object) -> str:
        url = page_url(self.group, title)
        return f"{url}?{urlencode(query)}" if query else url

    def pages(self):
        return Page.objects.alive().in_wiki(self.group)

    def can_edit(self, page: Page | None) -> bool:
        protection = page.protection if page is not None else Protection.NONE
        return access.can_edit(self.viewer, self.group, protection)

    @property
    def can_moderate(self) -> bool:
        return access.can_protect(self.viewer, self.group)


def wiki_of(request: HttpRequest, handle: str | None) -> Wiki:
    """The wiki of the group ``handle`` names (404 unless the viewer may read the group), or
    the instance wiki when ``handle`` is None."""
    group = readable_group_or_404(request, handle) if handle is not None else None
    if group is not None and not group.is_local:
        # Another server's group: its wiki, if it has one, is there.
        raise Http404
    return Wiki(group, viewer_of(request))


def page_of(wiki: Wiki, key: str) -> Page | None:
    """The page with this key, deleted ones included (the caller decides what to show)."""
    return (
        Page.objects.in_wiki(wiki.group)
        .filter(key=key)
        .select_related("current__author", "talk__post")
        .first()
    )


def talk_url(page: Page) -> str | None:
    """Where a page's discussion is: its topic in the group's forum, or the post of a
    site-wide topic."""
    topic = actions.talk_topic(page)
    if topic is None:
        return None
    if topic.group_id is None:
        return topic.post.get_absolute_url()
    return reverse(
        "communities:topic", kwargs={"handle": topic.group.url_handle, "topic_id": topic.pk}
    )


def wiki_page(
    request: HttpRequest, wiki: Wiki, template: str, status: int = 200, **context: object
) -> HttpResponse:
    """Render a wiki template with the wiki's header (a group's header in a group wiki)."""
    base = group_context(request, wiki.group, "wiki") if wiki.group is not None else {}
    return render(request, f"wiki/{template}", {**base, "wiki": wiki, **context}, status=status)


def page_context(wiki: Wiki, page: Page | None, title: str) -> dict:
    """For the page tabs: may the viewer edit, moderate, is the page watched."""
    watching = (
        page is not None
        and wiki.viewer is not None
        and PageWatch.objects.filter(page=page, account=wiki.viewer).exists()
    )
    return {
        "page": page,
        "title": title,
        "page_url": wiki.page_url(title),
        "can_edit": wiki.can_edit(page),
        "wiki_moderator": wiki.can_moderate,
        "watching": watching,
        "talk_url": talk_url(page) if page is not None else None,
    }
