"""Safe text rendering: a small Markdown subset, HTML sanitising and text clean-up.

Text from users (and, later, remote servers) passes through here before it is stored or shown.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.common import normalize_url
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as _image_rule
from markdown_it.rules_inline.link import link as _link_rule
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from wikisocial.core import wikilinks

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_LINK_CLASSES",
    "ALLOWED_TAGS",
    "ALLOWED_URL_SCHEMES",
    "DEFAULT_MAX_MENTIONS",
    "LINK_REL",
    "MAX_HASHTAG_LENGTH",
    "POST_ALLOWED_TAGS",
    "MentionRef",
    "RenderedPost",
    "clean_text",
    "excerpt",
    "get_markdown",
    "get_post_markdown",
    "normalize_hashtag",
    "render_document",
    "render_markdown",
    "render_plain",
    "render_post",
    "sanitize_html",
    "sanitize_post_html",
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
    return _new_markdown()


def _new_markdown() -> MarkdownIt:
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


# --- Posts: Markdown plus @mentions, #hashtags and [[wikilinks]] --------------------------

# Mastodon's shape for mentions: <span class="h-card"><a class="u-url mention">@<span>…
POST_ALLOWED_TAGS = ALLOWED_TAGS | {"span"}
_POST_NH3_OPTIONS: dict[str, Any] = {
    **_NH3_OPTIONS,
    "tags": set(POST_ALLOWED_TAGS),
    # "*": nothing on every tag (nh3 would otherwise keep title and lang everywhere).
    "attributes": {"*": set(), **{tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}},
    "allowed_classes": {"a": set(ALLOWED_LINK_CLASSES), "span": {"h-card"}},
}

_POST_ENV_KEY = "wikisocial_post"
# Usernames are [A-Za-z0-9_]+; remote ones may have single "." or "-" between such runs.
_MENTION_USERNAME_RE = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*")
_MENTION_DOMAIN_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"(?::([0-9]{1,5}))?"
)
_MAX_USERNAME_LENGTH = 255
_MAX_DOMAIN_LENGTH = 260  # 253 for the name, the rest for ":port"
MAX_HASHTAG_LENGTH = 100
_ZWNJ = "\u200c"
# Longest "[[target|label]]" inside the brackets; the target itself is at most 255.
_MAX_WIKILINK_INNER = 1024
# Different accounts a post may try to resolve; the rest of the mentions stay plain text.
DEFAULT_MAX_MENTIONS = 100


@dataclass(frozen=True)
class MentionRef:
    """``@username`` (``domain`` None: an account on this server) or ``@username@domain``.

    ``username`` is as written; ``domain`` is lower-case and may carry a ``:port``."""

    username: str
    domain: str | None = None


@dataclass
class RenderedPost:
    html: str  # sanitised HTML
    mentions: list[MentionRef] = field(default_factory=list)  # resolved ones, first-seen order
    hashtags: list[str] = field(default_factory=list)  # normalised names, first-seen order
    wikilinks: list[str] = field(default_factory=list)  # absolute URLs, first-seen order


def sanitize_post_html(html_text: str) -> str:
    """Like sanitize_html, also keeping the ``span``s of mentions (class ``h-card`` only)."""
    return nh3.clean(html_text, **_POST_NH3_OPTIONS)


def _is_absolute_http_url(url: object) -> bool:
    if not isinstance(url, str) or not url or any(c.isspace() or c < " " for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@dataclass
class _PostContext:
    """Per-render state, passed to the rules through markdown-it's ``env``."""

    resolve_mention: Callable[[MentionRef], str | None]
    hashtag_url: Callable[[str], str]
    default_wiki: str
    max_mentions: int
    resolved: dict[tuple[str, str | None], str | None] = field(default_factory=dict)
    hashtag_urls: dict[str, str] = field(default_factory=dict)
    image_depth: int = 0
    last_brackets: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    mentions: list[MentionRef] = field(default_factory=list)
    _mention_keys: set[object] = field(default_factory=set)
    hashtags: list[str] = field(default_factory=list)
    wikilinks: list[str] = field(default_factory=list)

    def resolve(self, ref: MentionRef) -> str | None:
        key = (ref.username.casefold(), ref.domain)
        if key in self.resolved:
            return self.resolved[key]
        if len(self.resolved) >= self.max_mentions:
            return None
        url = self.resolve_mention(ref)
        self.resolved[key] = url if _is_absolute_http_url(url) else None
        return self.resolved[key]

    def url_for_hashtag(self, name: str) -> str:
        if name not in self.hashtag_urls:
            url = self.hashtag_url(name)
            if not _is_absolute_http_url(url):
                raise ValueError(f"hashtag_url must return an absolute http(s) URL, not {url!r}")
            self.hashtag_urls[name] = url
        return self.hashtag_urls[name]

    def record_mention(self, ref: MentionRef, url: str) -> None:
        key = (ref.username.casefold(), ref.domain)
        # The same account may be written two ways (@ana and @ana@this.server).
        if key not in self._mention_keys and url not in self._mention_keys:
            self.mentions.append(ref)
        self._mention_keys.update({key, url})

    def record_hashtag(self, name: str) -> None:
        if name not in self.hashtags:
            self.hashtags.append(name)

    def record_wikilink(self, url: str) -> None:
        if url not in self.wikilinks:
            self.wikilinks.append(url)


def _post_context(state: StateInline, silent: bool) -> _PostContext | None:
    """The render's context, or None where mentions, tags and wikilinks are not wanted:
    inside link text and image descriptions (or when rendered without a context).

    Silent mode only runs while markdown-it looks for the end of a link's text, so nothing
    matches there either: a wikilink inside ``[text](url)`` stays text of that link (links
    cannot nest) instead of breaking it up."""
    ctx = state.env.get(_POST_ENV_KEY) if state.env else None
    if silent or not isinstance(ctx, _PostContext) or state.linkLevel > 0 or ctx.image_depth:
        return None
    return ctx


def _is_word_like(char: str) -> bool:
    """Letters, digits, "_" and combining marks (Indic vowel signs, accents)."""
    return char == "_" or char.isalnum() or unicodedata.category(char)[0] == "M"


def _is_odd(char: str) -> bool:
    """Characters that may not directly follow a mention or tag: more word characters, or
    invisible ones (joiners, bidi controls) that could make it look like another name."""
    return _is_word_like(char) or unicodedata.category(char) in {"Cf", "Co", "Cn", "Cs"}


def _mention_rule(state: StateInline, silent: bool) -> bool:
    src, pos, end_max = state.src, state.pos, state.posMax
    if src[pos] != "@":
        return False
    ctx = _post_context(state, silent)
    if ctx is None or (pos > 0 and (_is_word_like(src[pos - 1]) or src[pos - 1] in "@/")):
        return False
    limit = min(end_max, pos + 1 + _MAX_USERNAME_LENGTH)
    match = _MENTION_USERNAME_RE.match(src, pos + 1, limit)
    if not match or match.end() == limit < end_max:
        return False
    username, end, domain = match.group(), match.end(), None
    if end < end_max and src[end] == "@":
        limit = min(end_max, end + 1 + _MAX_DOMAIN_LENGTH)
        host = _MENTION_DOMAIN_RE.match(src, end + 1, limit)
        if not host or host.end() == limit < end_max:
            return False
        if host[1] is not None and not 0 < int(host[1]) <= 65535:
            return False
        domain, end = host.group().lower(), host.end()
    elif "." in username or "-" in username:
        # "@ana.bob" is not "@ana" followed by ".bob": local names have neither.
        return False
    if end < end_max and (src[end] == "@" or _is_odd(src[end])):
        return False
    ref = MentionRef(username, domain)
    url = ctx.resolve(ref)
    if url is None:
        return False
    token = state.push("post_mention", "", 0)
    token.content = src[pos:end]
    token.meta = {"ref": ref, "url": url}
    state.pos = end
    return True


def _hashtag_rule(state: StateInline, silent: bool) -> bool:
    src, pos, end_max = state.src, state.pos, state.posMax
    if src[pos] != "#":
        return False
    ctx = _post_context(state, silent)
    if ctx is None or (pos > 0 and (_is_word_like(src[pos - 1]) or src[pos - 1] == "/")):
        return False
    start = pos + 1
    # The first character is a letter, digit or "_", not a mark or joiner.
    if start >= end_max or not (src[start] == "_" or src[start].isalnum()):
        return False
    limit = min(end_max, start + MAX_HASHTAG_LENGTH + 1)
    end = start
    while end < limit and (src[end] == _ZWNJ or _is_word_like(src[end])):
        end += 1
    if end == limit < end_max and (src[end] == _ZWNJ or _is_word_like(src[end])):
        return False  # longer than the limit
    written = src[start:end].rstrip(_ZWNJ)
    if len(written) > MAX_HASHTAG_LENGTH or (end < end_max and _is_odd(src[end])):
        return False
    if not any(unicodedata.category(char)[0] == "L" for char in written):
        return False  # "#1", "#2024"
    token = state.push("post_hashtag", "", 0)
    token.content = written
    token.meta = {"name": normalize_hashtag(written)}
    state.pos = start + len(written)
    return True


def normalize_hashtag(name: str) -> str:
    """The form tags are stored and compared in: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[[", pos):
        return False
    ctx = _post_context(state, silent)
    if ctx is None:
        return False
    close = src.find("]]", pos + 2, min(state.posMax, pos + 4 + _MAX_WIKILINK_INNER))
    if close < 0:
        return False
    inner = src[pos + 2 : close]
    if "[[" in inner or "\n" in inner:
        return False
    target, pipe, label = inner.partition("|")
    url = wikilinks.wikilink_url(target, ctx.default_wiki)
    if url is None:
        return False
    label = label.strip()
    if not label:
        label = (
            wikilinks.pipe_trick_label(target, ctx.default_wiki)
            if pipe
            else wikilinks.display_target(target)
        )
    token = state.push("wikilink", "", 0)
    token.content = label
    token.meta = {"url": url}
    state.pos = close + 2
    return True


def _link_may_start(state: StateInline) -> bool:
    """Whether a link or image could start here at all: a "]" must follow, and a "](" too
    unless the post defines references. Checking this first keeps long runs of "[" linear
    (markdown-it otherwise scans ahead from each one)."""
    ctx = state.env.get(_POST_ENV_KEY) if state.env else None
    if not isinstance(ctx, _PostContext):
        return True
    cached = ctx.last_brackets.get(id(state.src))
    if cached is None or cached[0] is not state.src:
        cached = (state.src, state.src.rfind("]"), state.src.rfind("]("))
        ctx.last_brackets[id(state.src)] = cached
    _, last_close, last_inline = cached
    return last_close > state.pos and (last_inline > state.pos or bool(state.env.get("references")))


def _post_link_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[" or not _link_may_start(state):
        return False
    return _link_rule(state, silent)


def _post_image_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "!" or not _link_may_start(state):
        return False
    ctx = state.env.get(_POST_ENV_KEY) if state.env else None
    if not isinstance(ctx, _PostContext):
        return _image_rule(state, silent)
    # The description is parsed as Markdown but shown as plain text: no mentions in there.
    ctx.image_depth += 1
    try:
        return _image_rule(state, silent)
    finally:
        ctx.image_depth -= 1


def _mark_images_in_links(state: StateCore) -> None:
    """Note on each image whether it sits inside a link (one pass, instead of a scan back
    through all earlier tokens for every image)."""
    for block in state.tokens:
        depth = 0
        for token in block.children or []:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth -= 1
            elif token.type == "image":
                token.meta = {**(token.meta or {}), "inside_link": depth > 0}


def _render_post_image(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if (token.meta or {}).get("inside_link") or not src:
        return escapeHtml(alt)
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt or src)}</a>'


def _render_mention(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    ref: MentionRef = tokens[idx].meta["ref"]
    url: str = tokens[idx].meta["url"]
    env[_POST_ENV_KEY].record_mention(ref, url)
    return (
        f'<span class="h-card"><a href="{escapeHtml(url)}" class="u-url mention">'
        f"@<span>{escapeHtml(ref.username)}</span></a></span>"
    )


def _render_hashtag(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    name: str = tokens[idx].meta["name"]
    ctx: _PostContext = env[_POST_ENV_KEY]
    ctx.record_hashtag(name)
    url = ctx.url_for_hashtag(name)
    return (
        f'<a href="{escapeHtml(url)}" class="mention hashtag" rel="tag">'
        f"#<span>{escapeHtml(tokens[idx].content)}</span></a>"
    )


def _render_wikilink(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    url: str = tokens[idx].meta["url"]
    env[_POST_ENV_KEY].record_wikilink(url)
    return f'<a href="{escapeHtml(url)}" class="wikilink">{escapeHtml(tokens[idx].content)}</a>'


_SCRIPT_SCHEME_RE = re.compile(r"(?:java|vb|live)script:", re.IGNORECASE)
_URL_NOISE_RE = re.compile(r"[\s\x00-\x1f\x7f]+")


def _validate_post_link(url: str) -> bool:
    """markdown-it's check, and no script URL anywhere in it (not even as a path like
    https://example.org/javascript:…), so no attribute ever contains one."""
    if not normalize_url.validateLink(url):
        return False
    return not _SCRIPT_SCHEME_RE.search(_URL_NOISE_RE.sub("", unquote(url)))


@cache
def get_post_markdown() -> MarkdownIt:
    """MarkdownIt for posts: the get_markdown() subset plus mentions, hashtags and wikilinks.

    The rules need a context in ``env`` (see render_post); without one they stay inactive."""
    md = _new_markdown()
    md.validateLink = _validate_post_link  # type: ignore[method-assign]
    md.inline.ruler.at("link", _post_link_rule)
    md.inline.ruler.at("image", _post_image_rule)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.inline.ruler.before("link", "mention", _mention_rule)
    md.inline.ruler.before("link", "hashtag", _hashtag_rule)
    md.core.ruler.push("mark_images_in_links", _mark_images_in_links)
    md.add_render_rule("image", _render_post_image)
    md.add_render_rule("post_mention", _render_mention)
    md.add_render_rule("post_hashtag", _render_hashtag)
    md.add_render_rule("wikilink", _render_wikilink)
    return md


def render_post(
    source: str,
    *,
    resolve_mention: Callable[[MentionRef], str | None],
    hashtag_url: Callable[[str], str],
    default_wiki: str = "en.wikipedia.org",
    max_mentions: int = DEFAULT_MAX_MENTIONS,
) -> RenderedPost:
    """Render a post's Markdown with @mentions, #hashtags and [[wikilinks]] to sanitised HTML.

    ``resolve_mention`` gets each distinct mention once (at most ``max_mentions`` of them) and
    returns the account's absolute profile URL, or None to leave the text as it is.
    ``hashtag_url`` gets a normalised tag name and returns its absolute URL. ``default_wiki`` is
    the host unprefixed wikilinks go to (ValueError if it is not a host name).
    """
    wikilinks.normalize_wiki_host(default_wiki)
    ctx = _PostContext(resolve_mention, hashtag_url, default_wiki, max_mentions)
    rendered = get_post_markdown().render(source, {_POST_ENV_KEY: ctx})
    return RenderedPost(
        html=sanitize_post_html(rendered).strip(),
        mentions=ctx.mentions,
        hashtags=ctx.hashtags,
        wikilinks=ctx.wikilinks,
    )


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
