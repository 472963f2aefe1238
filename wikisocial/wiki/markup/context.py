"""What a render carries from start to end: the caps, the page's links (as placeholders until
the end, so existence is asked once), the headings and their ids, and set-aside <nowiki> text.
Both markups make their links through ``RenderContext.wikilink``."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext as _

from wikisocial.core import markup as core_markup
from wikisocial.core import wikilinks
from wikisocial.wiki import titles

LIMITS = {
    "source": 100_000,  # characters of source rendered
    "output": 1_000_000,  # characters of HTML
    "list_depth": 12,
    "table_depth": 3,
    "table_rows": 500,  # per table
    "row_cells": 60,
    "cells": 5_000,  # per page
    "links": 1_000,  # distinct pages linked
    "toc": 100,  # entries in the table of contents
    "formatting": 20,  # nested bold/italic/inline tags
    "link_inner": 1_024,  # characters between [[ and ]]
    "bracket_link": 4_096,  # characters of [url label]
}

LINK_OPEN, LINK_END, NOWIKI_OPEN, NOWIKI_END = "\ue000", "\ue001", "\ue002", "\ue003"
PLACEHOLDERS = frozenset((LINK_OPEN, LINK_END, NOWIKI_OPEN, NOWIKI_END))
PLACEHOLDER_RE = re.compile("[\ue000-\ue003]")
LINK_PLACEHOLDER_RE = re.compile("\ue000([0-9]+)\ue001")
NOWIKI_PLACEHOLDER_RE = re.compile("\ue002([0-9]+)\ue003")

# Ids the site's own pages use: a heading called "Main" must not take the skip link's target.
_RESERVED_IDS = frozenset(
    {
        *("main", "toc", "form-errors", "site-search-q", "language-select", "group-name"),
        *("page-title", "subpages-heading", "preview-heading", "revert-summary", "source"),
        *("theirs", "yours", "id_text", "id_markup", "id_summary", "id_minor"),
        "id_base_revision",
    }
)


@dataclass(frozen=True)
class Heading:
    level: int  # 2..6
    anchor: str
    text: str  # escaped plain text


@dataclass
class Link:
    title: str
    key: str
    fragment: str


REL = core_markup.LINK_REL
SCRIPT_SCHEME_RE = re.compile(r"(?:java|vb|live)script:", re.IGNORECASE)
URL_NOISE_RE = re.compile(r"[\s\x00-\x1f\x7f]+")
_INTERWIKI_PREFIX_RE = re.compile(r"\s*([A-Za-z][A-Za-z-]*)\s*:")
_ANCHOR_SPACES_RE = re.compile(r"\s+")
TAG_RE = re.compile(r"<[^>]*>")


def safe_url(url: str) -> bool:
    """An absolute http(s) URL with a host, or a mailto: address; never a script URL, not even
    inside a path."""
    if not url or SCRIPT_SCHEME_RE.search(URL_NOISE_RE.sub("", unquote(url))):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() == "mailto":
        return len(url) > len("mailto:")
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def _looks_like_url(target: str) -> bool:
    """ "[[https://…]]" or "[[javascript:…]]" is a mistake, not a page title."""
    squeezed = "".join(target.split())
    return "://" in squeezed or squeezed.startswith("//") or bool(SCRIPT_SCHEME_RE.search(squeezed))


def anchor_of(text: str) -> str:
    """A section's id, as MediaWiki makes them: spaces as underscores ("Getting started" →
    "Getting_started")."""
    return _ANCHOR_SPACES_RE.sub("_", text.strip())[:200]


def _is_interwiki(target: str) -> bool:
    match = _INTERWIKI_PREFIX_RE.match(target)
    if not match:
        return False
    prefix = match[1].lower()
    return (
        prefix in wikilinks.PROJECT_PREFIXES
        or prefix in wikilinks.SITE_PREFIXES
        or prefix in {"phab", "phabricator"}
        or wikilinks.is_language_code(prefix)
    )


def esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass
class RenderContext:
    title: str
    page_url: Callable[[str], str]
    default_wiki: str
    links: list[Link] = field(default_factory=list)
    keys: dict[str, None] = field(default_factory=dict)
    headings: list[Heading] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    nowiki: list[str] = field(default_factory=list)
    external_count: int = 0
    cells_left: int = LIMITS["cells"]
    budget: int = LIMITS["output"]
    notes: list[str] = field(default_factory=list)
    full: bool = False
    anchor_counts: dict[str, int] = field(default_factory=dict)

    def spend(self, text: str) -> str:
        """``text``, counted against the output's cap; cut at the cap, and nothing more once
        it is reached (``full``: the parsers stop)."""
        if self.full or self.budget <= 0:
            self.full = True
            return ""
        if len(text) > self.budget:
            text, self.full = text[: self.budget], True
        self.budget -= len(text)
        return text

    def unique_anchor(self, text: str) -> str:
        base = anchor_of(PLACEHOLDER_RE.sub("", text)) or "section"
        anchor = base
        while anchor.casefold() in self.anchors or anchor.casefold() in _RESERVED_IDS:
            count = self.anchor_counts.get(base.casefold(), 1) + 1
            self.anchor_counts[base.casefold()] = count
            anchor = f"{base}_{count}"
        self.anchors.add(anchor.casefold())
        return anchor

    def heading(self, level: int, inner_html: str) -> str:
        """Record a heading and return its opening tag."""
        plain = TAG_RE.sub("", LINK_PLACEHOLDER_RE.sub("", self.expand_nowiki(inner_html)))
        anchor = self.unique_anchor(html.unescape(plain))
        self.headings.append(Heading(level, anchor, plain.strip()))
        return f'<h{level} id="{esc(anchor)}">'

    def expand_nowiki(self, text: str) -> str:
        return NOWIKI_PLACEHOLDER_RE.sub(lambda m: self.nowiki[int(m[1])], text)

    # -- links --

    def wikilink(self, inner: str, label_html: Callable[[str], str] = esc) -> str | None:
        """HTML for ``[[inner]]``, or None when it is not a link (shown as typed). An explicit
        label is made HTML by ``label_html`` (wikitext formats it; Markdown escapes it)."""
        if any(char in PLACEHOLDERS for char in inner) or "\n" in inner:
            return None
        target, pipe, label = inner.partition("|")
        target = target.strip()
        if target.startswith(":"):
            target = target[1:].strip()
        label = label.strip()
        shown = label_html(label) if label else None
        if target.startswith("#"):
            return self._section_link(target[1:], shown or esc(target))
        if _is_interwiki(target):
            return self._interwiki_link(target, shown, bool(pipe))
        return self._page_link(target, shown, bool(pipe))

    def _section_link(self, fragment: str, label: str) -> str | None:
        if not fragment.strip():
            return None
        return f'<a href="#{esc(anchor_of(fragment))}" class="wikilink">{label}</a>'

    def _interwiki_link(self, target: str, label: str | None, pipe: bool) -> str | None:
        url = wikilinks.wikilink_url(target, self.default_wiki)
        if url is None:
            return None
        if label is None:
            label = esc(
                wikilinks.pipe_trick_label(target, self.default_wiki)
                if pipe
                else wikilinks.display_target(target)
            )
        return f'<a href="{esc(url)}" class="interwiki" rel="{REL}">{label}</a>'

    def _page_link(self, target: str, label: str | None, pipe: bool) -> str | None:
        page, _hash, fragment = target.partition("#")
        page = page.strip()
        if _looks_like_url(page):
            return None
        relative = page.startswith(("/", "../"))
        resolved = titles.resolve_relative(self.title, page) if relative else page
        title = titles.try_normalize(resolved or "")
        if title is None:
            return None
        if label is None:
            if pipe:
                label = esc(wikilinks.pipe_trick_label(page))
            elif relative and page.endswith("/"):
                label = esc(page.strip("/").rsplit("/", 1)[-1])
            else:
                label = esc(target)
        index = self._add_link(title, fragment.strip())
        if index is None:
            return None
        return f"{LINK_OPEN}{index}{LINK_END}{label}</a>"

    def _add_link(self, title: str, fragment: str) -> int | None:
        key = titles.title_key(title)
        if key not in self.keys:
            if len(self.keys) >= LIMITS["links"]:
                return None
            self.keys[key] = None
        self.links.append(Link(title, key, fragment))
        # The placeholder grows into a whole <a …> tag at the end: count that now.
        self.budget -= 150
        return len(self.links) - 1

    def link_tag(self, index: int, existing: set[str]) -> str:
        link = self.links[index]
        url = self.page_url(link.title)
        if link.key in existing:
            if link.fragment:
                url += "#" + anchor_of(link.fragment)
            return f'<a href="{esc(url)}" class="wikilink">'
        hint = _("%(title)s (page does not exist)") % {"title": link.title}
        create = esc(f"{url}?action=edit&redlink=1")
        return f'<a href="{create}" class="wikilink new" title="{esc(hint)}">'

    def external(self, url: str, label_html: str | None) -> str:
        if label_html is None:
            self.external_count += 1
            label_html = f"[{self.external_count}]"
        return f'<a href="{esc(url)}" class="external" rel="{REL}">{label_html}</a>'
