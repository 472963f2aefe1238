"""Markdown for wiki pages: CommonMark with tables, strikethrough and linkify, never raw
HTML, plus ``[[wikilinks]]`` to the same wiki and headings with ids."""

from __future__ import annotations

import html
from functools import cache
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common import normalize_url
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as _image_rule
from markdown_it.rules_inline.link import link as _link_rule
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from wikisocial.wiki.markup.context import (
    LIMITS,
    LINK_PLACEHOLDER_RE,
    REL,
    SCRIPT_SCHEME_RE,
    TAG_RE,
    URL_NOISE_RE,
    Heading,
    RenderContext,
    esc,
)

_ENV_KEY = "wikisocial_wiki"


def _validate_link(url: str) -> bool:
    if not normalize_url.validateLink(url):
        return False
    return not SCRIPT_SCHEME_RE.search(URL_NOISE_RE.sub("", unquote(url)))


def _link_may_start(state: StateInline) -> bool:
    """A Markdown link or image needs a "](" after it (or reference definitions): checking
    that first keeps long runs of "[" linear (markdown-it scans ahead from each one)."""
    last = state.env.setdefault("wiki_last_link_end", {})
    if id(state.src) not in last or last[id(state.src)][0] is not state.src:
        last[id(state.src)] = (state.src, state.src.rfind("]("))
    return last[id(state.src)][1] > state.pos or bool(state.env.get("references"))


def _md_link_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[" or not _link_may_start(state):
        return False
    return _link_rule(state, silent)


def _md_image_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "!" or not _link_may_start(state):
        return False
    return _image_rule(state, silent)


def _md_wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[[", pos):
        return False
    ctx = state.env.get(_ENV_KEY) if state.env else None
    # Inside a link's text (silent mode looks for its end) links cannot nest: stay text.
    if silent or not isinstance(ctx, RenderContext) or state.linkLevel > 0:
        return False
    close = src.find("]]", pos + 2, min(state.posMax, pos + 4 + LIMITS["link_inner"]))
    if close < 0:
        return False
    inner = src[pos + 2 : close]
    link = None if "[[" in inner else ctx.wikilink(inner)
    if link is None:
        return False
    token = state.push("wiki_link", "", 0)
    token.content = inner
    token.meta = {"html": link}
    state.pos = close + 2
    return True


def _render_md_wikilink(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return tokens[idx].meta["html"]


def _render_md_image(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Images are not shown inline (they would load from anywhere): a link to them instead."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if not src:
        return esc(alt)
    return f'<a href="{esc(src)}" class="external" rel="{REL}">{esc(alt or src)}</a>'


def _render_md_link_open(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Links to other sites are marked as such (class and rel); links within the site not."""
    token = tokens[idx]
    if urlsplit(str(token.attrGet("href") or "")).scheme:
        token.attrSet("class", "external")
        token.attrSet("rel", REL)
    return self.renderToken(tokens, idx, options, env)


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": False})
    md.enable(["linkify", "strikethrough", "table"])
    if md.linkify is None:  # pragma: no cover - linkify-it-py is a dependency
        raise RuntimeError("linkify-it-py is not installed")
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.inline.ruler.at("link", _md_link_rule)
    md.inline.ruler.at("image", _md_image_rule)
    md.inline.ruler.before("link", "wiki_link", _md_wikilink_rule)
    md.add_render_rule("wiki_link", _render_md_wikilink)
    md.add_render_rule("image", _render_md_image)
    md.add_render_rule("link_open", _render_md_link_open)
    return md


def _md_heading_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "wiki_link":
            label = TAG_RE.sub("", LINK_PLACEHOLDER_RE.sub("", child.meta["html"]))
            parts.append(html.unescape(label))
    return "".join(parts)


def _md_headings(ctx: RenderContext, tokens: list[Token]) -> None:
    """Headings one level down (the page's title is the h1), with ids."""
    for index, token in enumerate(tokens):
        if token.type not in {"heading_open", "heading_close"}:
            continue
        token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        if token.type == "heading_open":
            text = _md_heading_text(tokens[index + 1])
            anchor = ctx.unique_anchor(text)
            ctx.headings.append(Heading(int(token.tag[1]), anchor, esc(text.strip())))
            token.attrSet("id", anchor)


def render_markdown(ctx: RenderContext, text: str) -> str:
    """``text`` as HTML (before links are resolved and before sanitising)."""
    md = _markdown()
    env = {_ENV_KEY: ctx}
    tokens = md.parse(text, env)
    _md_headings(ctx, tokens)
    return md.renderer.render(tokens, md.options, env)
