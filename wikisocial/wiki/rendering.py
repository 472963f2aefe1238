"""Rendering a page of a given wiki: ``markup.render`` with the wiki's URLs and its pages."""

from __future__ import annotations

from collections.abc import Iterable

from wikisocial.communities.models import Group
from wikisocial.instance.models import InstanceSettings
from wikisocial.wiki import markup
from wikisocial.wiki.models import Page, page_url


def existing_keys(group: Group | None, keys: Iterable[str]) -> set[str]:
    """Which of these title keys are pages (not deleted) of the wiki of ``group``."""
    wanted = list(keys)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            Page.objects.alive().in_wiki(group).filter(key__in=chunk).values_list("key", flat=True)
        )
    return found


def render_text(group: Group | None, title: str, text: str, markup_name: str) -> markup.Rendered:
    """``text`` of page ``title`` in the wiki of ``group`` (None: the instance's) as HTML, red
    links for pages that do not exist yet."""
    return markup.render(
        text,
        markup_name,
        title=title,
        page_url=lambda target: page_url(group, target),
        existing=lambda keys: existing_keys(group, keys),
        default_wiki=InstanceSettings.current().default_wiki,
    )


def link_keys(title: str, text: str, markup_name: str) -> list[str]:
    """The keys of the pages ``text`` links to (for "what links here"); no queries."""
    rendered = markup.render(
        text, markup_name, title=title, page_url=lambda target: "/", existing=lambda keys: set()
    )
    return rendered.links
