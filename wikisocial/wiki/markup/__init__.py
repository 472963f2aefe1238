"""A wiki page's text as safe HTML, in Markdown or a practical subset of wikitext.

Both markups link ``[[Page]]`` to a page of the same wiki (red, class ``new``, to its edit
form when it does not exist yet), ``[[/Sub]]`` to a subpage, ``[[w:Foo]]``/``[[de:Seite]]`` to
other wikis (``core.wikilinks``), and give headings ids and, from three headings on, a table
of contents.

How it stays safe: people's text is escaped as it is parsed (wikitext) or never read as HTML
(Markdown), the links the parser makes are checked, and everything passes through nh3 with a
fixed allow-list at the end. How it stays fast on hostile input: the parsers are linear, every
search ahead is bounded, and there are caps on the source, list depth, table nesting, rows,
cells, links and the output (what goes over a cap is cut, with a note saying so).

Link targets become placeholders while parsing, so whether each page exists is asked once for
the whole text (``existing``), not once per link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nh3
from django.utils.translation import gettext as _

from wikisocial.core import markup as core_markup
from wikisocial.wiki.markup.context import (
    LIMITS,
    LINK_PLACEHOLDER_RE,
    PLACEHOLDER_RE,
    Heading,
    RenderContext,
    esc,
)
from wikisocial.wiki.markup.markdown import render_markdown
from wikisocial.wiki.markup.wikitext import render_wikitext

__all__ = [
    "LIMITS",
    "Heading",
    "Rendered",
    "render",
    "sanitize",
]

# --- sanitising ------------------------------------------------------------------------------

_TAGS = core_markup.ALLOWED_TAGS | {
    *(f"h{n}" for n in range(2, 7)),
    *("hr", "table", "caption", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "div"),
    *("b", "i", "u", "ins", "sub", "sup", "small", "kbd"),
}
_NH3_OPTIONS: dict[str, Any] = {
    "tags": set(_TAGS),
    "clean_content_tags": {"script", "style", "iframe", "object", "embed", "template"},
    "attributes": {
        # The renderer sets rel on links to other sites (it is never taken from the text).
        "a": set(core_markup.ALLOWED_ATTRIBUTES["a"]) | {"rel"},
        "ol": {"start"},
        **{f"h{n}": {"id"} for n in range(2, 7)},
    },
    "tag_attribute_values": {"th": {"scope": {"col", "row"}}},
    "allowed_classes": {
        "a": {"wikilink", "new", "interwiki", "external"},
        "div": {"toc"},
        "table": {"wikitable"},
        "p": {"wiki-notice"},
    },
    "url_schemes": set(core_markup.ALLOWED_URL_SCHEMES),
    "link_rel": None,
    # Links to this wiki's pages and to sections are relative.
    "url_relative": "pass_through",
    "strip_comments": True,
}


def sanitize(html_text: str) -> str:
    """Reduce HTML to what a wiki page may show."""
    return nh3.clean(html_text, **_NH3_OPTIONS)


@dataclass
class Rendered:
    html: str
    links: list[str] = field(default_factory=list)  # keys of the pages linked, first-seen order
    headings: list[Heading] = field(default_factory=list)
    truncated: bool = False


# --- putting it together ---------------------------------------------------------------------

_NOTOC = "__NOTOC__"
_FIRST_HEADING_RE = re.compile(r"<h[2-6][ >]")


def _toc(headings: list[Heading]) -> str:
    label = esc(_("Contents"))  # outside the f-string, where makemessages finds it
    out = [f'<div class="toc"><p><strong>{label}</strong></p>']
    levels: list[int] = []
    for heading in headings[: LIMITS["toc"]]:
        while levels and levels[-1] > heading.level:
            out.append("</li></ol>")
            levels.pop()
        if levels and levels[-1] == heading.level:
            out.append("</li>")
        else:
            out.append("<ol>")
            levels.append(heading.level)
        out.append(f'<li><a href="#{esc(heading.anchor)}">{heading.text}</a>')
    out.append("</li></ol>" * len(levels))
    out.append("</div>")
    return "".join(out)


def _with_toc(body: str, headings: list[Heading]) -> str:
    match = _FIRST_HEADING_RE.search(body)
    if len(headings) < 3 or match is None:
        return body
    return body[: match.start()] + _toc(headings) + body[match.start() :]


def _clean_source(text: str) -> tuple[str, bool]:
    text = PLACEHOLDER_RE.sub("", core_markup.clean_text(text or "", multiline=True))
    too_long = len(text) > LIMITS["source"]
    return text[: LIMITS["source"]], too_long


def _finish(ctx: RenderContext, body: str, existing: set[str]) -> tuple[str, bool]:
    """Links as red or blue, <nowiki> text back in place, and the output's cap."""
    body = LINK_PLACEHOLDER_RE.sub(lambda m: ctx.link_tag(int(m[1]), existing), body)
    # A placeholder cut in half at the output's cap would otherwise stay behind.
    body = PLACEHOLDER_RE.sub("", ctx.expand_nowiki(body))
    return body[: LIMITS["output"]], len(body) > LIMITS["output"]


def render(
    text: str,
    markup: str,
    *,
    title: str,
    page_url: Callable[[str], str],
    existing: Callable[[list[str]], set[str]],
    default_wiki: str = "en.wikipedia.org",
) -> Rendered:
    """Render ``text`` (``markup``: "markdown" or "wikitext") of page ``title`` to sanitised
    HTML. ``page_url(title)`` is the URL of a page of the same wiki; ``existing(keys)`` says
    which of these title keys are pages already (asked once). ``default_wiki`` is the host
    whose language project prefixes such as ``w:`` and ``wikt:`` follow."""
    source, too_long = _clean_source(text)
    no_toc = _NOTOC in source
    source = source.replace(_NOTOC, "")
    ctx = RenderContext(title=title, page_url=page_url, default_wiki=default_wiki)
    render_source = render_wikitext if markup == "wikitext" else render_markdown
    body = render_source(ctx, source)
    body, cut = _finish(ctx, body, existing(list(ctx.keys)) if ctx.keys else set())
    truncated = too_long or cut or ctx.full
    if not no_toc:
        body = _with_toc(body, ctx.headings)
    if truncated:
        note = _("This page is too long to show in full.")
        body += f'<p class="wiki-notice"><em>{esc(note)}</em></p>'
    return Rendered(
        html=sanitize(body).strip(),
        links=list(ctx.keys),
        headings=ctx.headings,
        truncated=truncated or bool(ctx.notes),
    )
