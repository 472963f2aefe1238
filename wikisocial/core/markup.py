"""Safe text rendering: a small Markdown subset, HTML sanitising and text clean-up.

Text from users (and, later, remote servers) passes through here before it is stored or shown.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from html.parser import HTMLParser
from typing import Any

import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_LINK_CLASSES",
    "ALLOWED_TAGS",
    "ALLOWED_URL_SCHEMES",
    "LINK_REL",
    "clean_text",
    "excerpt",
    "get_markdown",
    "render_document",
    "render_markdown",
    "render_plain",
    "sanitize_html",
]

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "em", "strong", "del", "s", "ul", "ol", "li", "blockquote", "code", "pre"}
)
# rel is not listed: nh3 replaces whatever the source had with LINK_REL.
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"})}
# Classes that survive on links; plugins for mentions, hashtags and wikilinks add theirs here.
ALLOWED_LINK_CLASSES = frozenset({"mention", "hashtag", "wikilink", "u-url", "h-card"})
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"
# Dropped together with their content rather than unwrapped into text.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}
)

_NH3_OPTIONS: dict[str, Any] = {
    "tags": set(ALLOWED_TAGS),
    "clean_content_tags": set(_DROP_WITH_CONTENT),
    "attributes": {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    "allowed_classes": {"a": set(ALLOWED_LINK_CLASSES)},
    "url_schemes": set(ALLOWED_URL_SCHEMES),
    "link_rel": LINK_REL,
    # Stored HTML is shown on other servers too, so only absolute URLs make sense.
    "url_relative": "deny",
    "strip_comments": True,
}


def sanitize_html(html_text: str) -> str:
    """Reduce any HTML fragment to the allowed tags, attributes and URL schemes."""
    return nh3.clean(html_text, **_NH3_OPTIONS)


# --- Markdown ---------------------------------------------------------------------------


def _render_heading_open(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "<p><strong>"


def _render_heading_close(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</strong></p>\n"


def _render_nothing(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return ""


def _inside_link(tokens: list[Token], idx: int) -> bool:
    depth = 0
    for token in tokens[:idx]:
        if token.type == "link_open":
            depth += 1
        elif token.type == "link_close":
            depth -= 1
    return depth > 0


def _render_image(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Images become a link to the image (or just their alt text inside another link)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if _inside_link(tokens, idx) or not src:
        return escapeHtml(alt)
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt or src)}</a>'


@cache
def get_markdown() -> MarkdownIt:
    """The shared, configured MarkdownIt instance; add plugins here."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    md.enable(["linkify", "strikethrough"])
    md.disable("table", ignoreInvalid=True)
    # Only links with an explicit scheme: no "example.com", no bare e-mail addresses.
    if md.linkify is None:  # pragma: no cover - linkify-it-py is a dependency
        raise RuntimeError("linkify-it-py is not installed")
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    md.linkify.add("ftp:", None).add("//", None)
    md.add_render_rule("heading_open", _render_heading_open)
    md.add_render_rule("heading_close", _render_heading_close)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("hr", _render_nothing)
    return md


def render_markdown(source: str) -> str:
    """Render the Markdown subset to sanitised HTML."""
    return sanitize_html(get_markdown().render(source)).strip()


# Long texts written by the instance's staff (code of conduct, description): paragraphs are
# wrapped in the source, and headings give screen-reader users a way through them.
_DOCUMENT_NH3_OPTIONS: dict[str, Any] = {
    **_NH3_OPTIONS,
    "tags": set(ALLOWED_TAGS) | {"h2", "h3", "h4", "hr"},
}


def _shift_heading(tag: str) -> str:
    return f"h{min(int(tag[1]) + 1, 4)}"


def _render_document_heading_open(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return f"<{_shift_heading(tokens[idx].tag)}>"


def _render_document_heading_close(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return f"</{_shift_heading(tokens[idx].tag)}>\n"


@cache
def get_document_markdown() -> MarkdownIt:
    """Markdown for staff-written documents: headings (one level down, the page has the h1)
    and rules allowed, single line breaks joined as in CommonMark."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": False})
    md.enable(["linkify", "strikethrough"])
    md.disable("table", ignoreInvalid=True)
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    md.add_render_rule("heading_open", _render_document_heading_open)
    md.add_render_rule("heading_close", _render_document_heading_close)
    md.add_render_rule("image", _render_image)
    return md


def render_document(source: str) -> str:
    """Render a staff-written Markdown document to sanitised HTML."""
    return nh3.clean(get_document_markdown().render(source), **_DOCUMENT_NH3_OPTIONS).strip()


# --- Plain text -------------------------------------------------------------------------


@cache
def _plain_linkify() -> LinkifyIt:
    linkify = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    for schema in ("ftp:", "//", "mailto:"):
        linkify.add(schema, None)
    return linkify


def render_plain(text: str) -> str:
    """Escape plain text and turn bare http(s) URLs into links."""
    matches = _plain_linkify().match(text) or []
    parts: list[str] = []
    pos = 0
    for match in matches:
        parts.append(html.escape(text[pos : match.index]))
        parts.append(f'<a href="{html.escape(match.url)}">{html.escape(match.text)}</a>')
        pos = match.last_index
    parts.append(html.escape(text[pos:]))
    return sanitize_html("".join(parts))


# --- Text clean-up ----------------------------------------------------------------------

_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# ZWNJ (U+200C) and ZWJ (U+200D) stay: Persian, Indic scripts and emoji sequences need them.
_ZERO_WIDTH = frozenset({"\u200b", "\u2060", "\ufeff"})
_NEWLINES = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Remove control, bidi-override and stray zero-width characters; NFC; trim."""
    text = _NEWLINES.sub("\n", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    kept = []
    for char in text:
        if char in _BIDI_CONTROLS or char in _ZERO_WIDTH:
            continue
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\n\t"):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).strip()


# --- Excerpts ---------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"p", "br", "li", "ul", "ol", "blockquote", "pre", "div", "tr", "td", "th", "hr"}
    | {f"h{n}" for n in range(1, 7)}
)
_SKIP_TAGS = frozenset({"script", "style", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _html_to_text(html_text: str) -> str:
    parser = _TextExtractor()
    parser.feed(html_text)
    parser.close()
    return " ".join("".join(parser.parts).split())


def excerpt(html_text: str, length: int) -> str:
    """Plain-text excerpt of HTML, at most ``length`` characters, cut at a word boundary."""
    text = _html_to_text(html_text)
    if len(text) <= length:
        return text
    if length <= 1:
        return "…"[:length]
    cut = text[: length - 1]
    if text[length - 1] != " ":
        # Mid-word: go back to the last space, unless that would throw away most of the
        # text (very long words, scripts written without spaces).
        space = cut.rfind(" ")
        if space >= length // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"
