"""The wikitext subset: a line-based block parser (headings, lists, tables, rules,
paragraphs) and a one-pass inline parser (quotes, links, a few tags); everything else is
escaped text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from wikisocial.wiki.markup.context import (
    LIMITS,
    NOWIKI_END,
    NOWIKI_OPEN,
    RenderContext,
    esc,
    safe_url,
)

_INLINE_TAGS = frozenset({"b", "i", "u", "s", "del", "ins", "code", "sub", "sup", "small", "kbd"})
_SPECIAL_RE = re.compile(r"''|\[|<|(?<![\w/])(?:https?://|mailto:)", re.IGNORECASE)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z]+)\s*(/?)>")
_EXTERNAL_RE = re.compile(
    r"\[((?:https?://|mailto:)[^\s\[\]<>\"\ue000-\ue003]+)(?:[ \t]+([^\]\n]*))?\]", re.IGNORECASE
)
_BARE_URL_RE = re.compile(r"(?:https?://|mailto:)[^\s<>\[\]\"{}|\\^`\ue000-\ue003]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'"


class _Formatting:
    """Open bold/italic/inline tags of one line, kept properly nested: closing one that is not
    innermost closes and reopens those inside it, and everything is closed at the line's end."""

    def __init__(self, out: list[str]) -> None:
        self.out = out
        self.stack: list[str] = []

    def open(self, tag: str) -> None:
        if len(self.stack) < LIMITS["formatting"]:
            self.stack.append(tag)
            self.out.append(f"<{tag}>")

    def close(self, tag: str) -> None:
        if tag not in self.stack:
            return
        position = len(self.stack) - 1 - self.stack[::-1].index(tag)
        inner = self.stack[position + 1 :]
        for name in reversed(self.stack[position:]):
            self.out.append(f"</{name}>")
        del self.stack[position:]
        for name in inner:
            self.open(name)

    def toggle(self, tag: str) -> None:
        if tag in self.stack:
            self.close(tag)
        else:
            self.open(tag)

    def quotes(self, count: int) -> None:
        """A run of apostrophes: '' italic, ''' bold, ''''' both; extra ones are text."""
        extra = count - 5 if count > 5 else (1 if count == 4 else 0)
        if extra:
            self.out.append("'" * extra)
        count -= extra
        if count == 2:
            self.toggle("em")
        elif count == 3:
            self.toggle("strong")
        else:
            # Close what is open (innermost first), then open the rest, bold outside italic.
            opened = [tag for tag in reversed(self.stack) if tag in {"em", "strong"}]
            for tag in opened:
                self.close(tag)
            for tag in ("strong", "em"):
                if tag not in opened:
                    self.open(tag)

    def finish(self) -> None:
        for name in reversed(self.stack):
            self.out.append(f"</{name}>")
        self.stack.clear()


class _Inline:
    """Renders one line of wikitext: quotes, links, <br> and a few inline tags; the rest is
    escaped text. One pass, and every look-ahead has a bound."""

    def __init__(self, ctx: RenderContext, text: str, *, links: bool = True) -> None:
        self.ctx, self.text, self.links = ctx, text, links
        self.out: list[str] = []
        self.fmt = _Formatting(self.out)
        self.close_cache = (-1, -1)  # (searched from, "]]" found at or -1)

    def render(self) -> str:
        text, pos = self.text, 0
        while pos < len(text):
            match = _SPECIAL_RE.search(text, pos)
            if match is None:
                break
            self.out.append(esc(text[pos : match.start()]))
            pos = self._special(match.start())
        self.out.append(esc(text[pos:]))
        self.fmt.finish()
        return "".join(self.out)

    def _special(self, pos: int) -> int:
        text = self.text
        if text.startswith("''", pos):
            end = pos
            while end < len(text) and text[end] == "'":
                end += 1
            self.fmt.quotes(end - pos)
            return end
        if text[pos] == "<":
            return self._tag(pos)
        if text[pos] == "[":
            return self._bracket(pos)
        return self._bare_url(pos)

    def _literal(self, pos: int, length: int) -> int:
        self.out.append(esc(self.text[pos : pos + length]))
        return pos + length

    def _tag(self, pos: int) -> int:
        match = _HTML_TAG_RE.match(self.text, pos, pos + 20)
        if not match:
            return self._literal(pos, 1)
        closing, name, self_closing = match[1], match[2].lower(), match[3]
        if name == "br":
            self.out.append("<br>")
        elif name in _INLINE_TAGS and not self_closing:
            if closing:
                self.fmt.close(name)
            else:
                self.fmt.open(name)
        else:
            return self._literal(pos, 1)
        return match.end()

    def _bracket(self, pos: int) -> int:
        if not self.links:
            return self._literal(pos, 1)
        if self.text.startswith("[[", pos):
            return self._wikilink(pos)
        end = min(len(self.text), pos + LIMITS["bracket_link"])
        match = _EXTERNAL_RE.match(self.text, pos, end)
        if not match or not safe_url(match[1]):
            return self._literal(pos, 1)
        label = match[2].strip() if match[2] else ""
        label_html = self._label(label) if label else None
        self.out.append(self.ctx.external(match[1], label_html))
        return match.end()

    def _find_close(self, start: int) -> int:
        """Where the next "]]" is, at most LIMITS["link_inner"] after ``start`` (or -1).
        Remembers the last answer, so a long run of "[" is not searched again and again."""
        searched_from, found = self.close_cache
        if not (searched_from <= start <= found):
            found = self.text.find("]]", start, start + LIMITS["link_inner"] + 2)
            self.close_cache = (start, found)
        return found if 0 <= found - start <= LIMITS["link_inner"] else -1

    def _wikilink(self, pos: int) -> int:
        close = self._find_close(pos + 2)
        if close < 0:
            return self._literal(pos, 2)
        inner = self.text[pos + 2 : close]
        if "[[" in inner:
            return self._literal(pos, 1)
        link = self.ctx.wikilink(inner, self._label)
        if link is None:
            return self._literal(pos, close + 2 - pos)
        self.out.append(link)
        return close + 2

    def _label(self, label: str) -> str:
        return _Inline(self.ctx, label, links=False).render()

    def _bare_url(self, pos: int) -> int:
        if not self.links:
            return self._literal(pos, 1)
        match = _BARE_URL_RE.match(self.text, pos)
        url = match[0] if match else ""
        url = url.rstrip(_URL_TRAILING)
        if url.endswith(")") and "(" not in url:
            url = url.rstrip(")").rstrip(_URL_TRAILING)
        if not safe_url(url) or url.lower() in {"http://", "https://"}:
            return self._literal(pos, 1)
        self.out.append(self.ctx.external(url, esc(url)))
        return pos + len(url)


# --- block wikitext ---------------------------------------------------------------------------

_LIST_CHARS = "*#:;"
_LIST_TAGS = {"*": ("ul", "li"), "#": ("ol", "li"), ";": ("dl", "dt"), ":": ("dl", "dd")}
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_NOWIKI_TAG_RE = re.compile(r"<nowiki\s*(/?)>")
_NOWIKI_CLOSE_RE = re.compile(r"</nowiki\s*>")


def _same_list(a: str, b: str) -> bool:
    """Whether list characters continue the same list (";" and ":" share a <dl>)."""
    return a == b or {a, b} == {";", ":"}


class _Lists:
    """Open lists, as their prefix ("*#" is a numbered list inside a bulleted one)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.prefix = ""

    def item(self, prefix: str, content_html: str) -> None:
        common, limit = 0, min(len(prefix), len(self.prefix))
        while common < limit and _same_list(prefix[common], self.prefix[common]):
            common += 1
        self._close_to(common)
        if common == len(prefix):
            self.next_item(prefix[-1])
        else:
            for char in prefix[common:]:
                list_tag, item_tag = _LIST_TAGS[char]
                self.parts.append(f"<{list_tag}><{item_tag}>")
            self.prefix += prefix[common:]
        self.parts.append(content_html)

    def next_item(self, char: str) -> None:
        """Within the current list, start the next item (";term : definition")."""
        last = self.prefix[-1]
        self.parts.append(f"</{_LIST_TAGS[last][1]}><{_LIST_TAGS[char][1]}>")
        self.prefix = self.prefix[:-1] + char

    def add(self, html_text: str) -> None:
        self.parts.append(html_text)

    def _close_to(self, depth: int) -> None:
        while len(self.prefix) > depth:
            list_tag, item_tag = _LIST_TAGS[self.prefix[-1]]
            self.parts.append(f"</{item_tag}></{list_tag}>")
            self.prefix = self.prefix[:-1]

    def close(self) -> str:
        """Close every open list; the lists' HTML ("" when none was open)."""
        self._close_to(0)
        html_text = "".join(self.parts)
        self.parts.clear()
        return html_text


class _Flow:
    """Blocks being written: finished ones in ``out``, the open paragraph, the open lists."""

    def __init__(self, ctx: RenderContext, out: list[str]) -> None:
        self.ctx, self.out = ctx, out
        self.paragraph: list[str] = []
        self.lists = _Lists()

    def add(self, html_text: str) -> None:
        self.end()
        self.out.append(html_text)

    def end_paragraph(self) -> None:
        if self.paragraph:
            self.out.append("<p>" + "\n".join(self.paragraph) + "</p>")
            self.paragraph.clear()

    def end_lists(self) -> None:
        lists = self.lists.close()
        if lists:
            self.out.append(lists)

    def end(self) -> None:
        self.end_paragraph()
        self.end_lists()


def _split_outside_links(text: str, separators: tuple[str, ...]) -> list[str]:
    """Split ``text`` on any of ``separators`` that is not inside [[…]] or {{…}}."""
    parts, depth, start, pos = [], 0, 0, 0
    while pos < len(text):
        if text.startswith(("[[", "{{"), pos):
            depth, pos = depth + 1, pos + 2
            continue
        if text.startswith(("]]", "}}"), pos):
            depth, pos = max(0, depth - 1), pos + 2
            continue
        separator = "" if depth else next((s for s in separators if text.startswith(s, pos)), "")
        if separator:
            parts.append(text[start:pos])
            pos = start = pos + len(separator)
            continue
        pos += 1
    parts.append(text[start:])
    return parts


def _without_attributes(cell: str) -> str:
    """A cell's content without its attributes (``style="…" | content``: dropped)."""
    parts = _split_outside_links(cell, ("|",))
    return cell if len(parts) == 1 else cell[len(parts[0]) + 1 :]


def _definition_split(text: str) -> tuple[str, str] | None:
    """``term : definition`` split at the first colon outside brackets and not in "://"."""
    depth = 0
    for pos, char in enumerate(text):
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == ":" and not depth and not text.startswith("//", pos + 1):
            return text[:pos], text[pos + 1 :]
    return None


def _heading_of(line: str) -> tuple[int, str] | None:
    stripped = line.rstrip()
    if not stripped.startswith("=") or not stripped.endswith("="):
        return None
    lead = len(stripped) - len(stripped.lstrip("="))
    trail = len(stripped) - len(stripped.rstrip("="))
    if lead + trail >= len(stripped):
        return None
    level = min(lead, trail, 6)
    inner = stripped[level : len(stripped) - level].strip()
    return (max(level, 2), inner) if inner else None


@dataclass
class _Cell:
    header: bool
    lines: list[str]


class _Wikitext:
    def __init__(self, ctx: RenderContext) -> None:
        self.ctx = ctx

    def inline(self, text: str) -> str:
        return self.ctx.spend(_Inline(self.ctx, text).render())

    def blocks(self, lines: list[str], depth: int = 0) -> str:
        flow = _Flow(self.ctx, [])
        index = 0
        while index < len(lines) and not self.ctx.full:
            line = lines[index]
            if line.lstrip().startswith("{|") and depth < LIMITS["table_depth"]:
                end = _table_end(lines, index)
                flow.add(self.table(lines[index:end], depth + 1))
                index = end
                continue
            self._line(line, flow)
            index += 1
        flow.end()
        return "\n".join(flow.out)

    def _line(self, line: str, flow: _Flow) -> None:
        heading = _heading_of(line)
        if heading is not None:
            level, inner = heading[0], self.inline(heading[1])
            flow.add(f"{self.ctx.heading(level, inner)}{inner}</h{level}>")
        elif line.startswith("----"):
            flow.add("<hr>")
            if line.lstrip("-").strip():
                flow.paragraph.append(self.inline(line.lstrip("-").strip()))
        elif line[:1] and line[:1] in _LIST_CHARS:
            flow.end_paragraph()
            self._list_item(line, flow.lists)
        elif not line.strip():
            flow.end()
        else:
            flow.end_lists()
            flow.paragraph.append(self.inline(line.strip()))

    def _list_item(self, line: str, lists: _Lists) -> None:
        prefix = line[: len(line) - len(line.lstrip(_LIST_CHARS))][: LIMITS["list_depth"]]
        content = line[len(prefix) :].strip()
        split = _definition_split(content) if prefix.endswith(";") else None
        if split is None:
            lists.item(prefix, self.inline(content))
            return
        lists.item(prefix, self.inline(split[0].strip()))
        lists.next_item(":")
        lists.add(self.inline(split[1].strip()))

    # -- tables --

    def table(self, lines: list[str], depth: int) -> str:
        body = lines[1:]
        if body and body[-1].lstrip().startswith("|}"):
            body = body[:-1]
        caption, rows, stray = self._table_rows(body)
        parts = [self._stray(stray, depth), '<table class="wikitable">']
        if caption is not None:
            parts.append(f"<caption>{self.inline(caption)}</caption>")
        parts.append("<tbody>")
        for row in rows[: LIMITS["table_rows"]]:
            if self.ctx.full:
                break
            parts.append(self._row(row, depth))
        parts.append("</tbody></table>")
        hidden = len(rows) - LIMITS["table_rows"]
        if hidden > 0:
            parts.append(self._note(_("%(n)d more table rows are not shown.") % {"n": hidden}))
        return "".join(parts)

    def _stray(self, stray: list[str], depth: int) -> str:
        return self.blocks(stray, depth) if any(line.strip() for line in stray) else ""

    def _note(self, text: str) -> str:
        self.ctx.notes.append(text)
        return f'<p class="wiki-notice"><em>{esc(text)}</em></p>'

    def _table_rows(self, body: list[str]) -> tuple[str | None, list[list[_Cell]], list[str]]:
        caption: str | None = None
        rows: list[list[_Cell]] = []
        stray: list[str] = []
        row: list[_Cell] | None = None
        cell: _Cell | None = None
        index = 0
        while index < len(body):
            line = body[index]
            stripped = line.strip()
            if stripped.startswith("{|"):
                end = _table_end(body, index)
                (cell.lines if cell is not None else stray).extend(body[index:end])
                index = end
                continue
            if stripped.startswith("|+"):
                caption, cell = _without_attributes(stripped[2:]).strip(), None
            elif stripped.startswith("|-"):
                row, cell = None, None
            elif stripped[:1] in {"|", "!"}:
                if row is None:
                    row = []
                    rows.append(row)
                cell = self._cells(stripped, row)
            elif cell is not None:
                cell.lines.append(line)
            else:
                stray.append(line)
            index += 1
        return caption, rows, stray

    def _cells(self, line: str, row: list[_Cell]) -> _Cell | None:
        header = line[0] == "!"
        separators = ("!!", "||") if header else ("||",)
        cell = None
        for part in _split_outside_links(line[1:], separators):
            if len(row) >= LIMITS["row_cells"] or self.ctx.cells_left <= 0:
                return None
            self.ctx.cells_left -= 1
            cell = _Cell(header, [_without_attributes(part).strip()])
            row.append(cell)
        return cell

    def _row(self, row: list[_Cell], depth: int) -> str:
        all_headers = all(cell.header for cell in row)
        parts = ["<tr>"]
        for cell in row:
            content = (
                self.inline(cell.lines[0])
                if len(cell.lines) == 1
                else self.blocks(cell.lines, depth)
            )
            if cell.header:
                scope = "col" if all_headers else "row"
                parts.append(f'<th scope="{scope}">{content}</th>')
            else:
                parts.append(f"<td>{content}</td>")
        parts.append("</tr>")
        return "".join(parts)


def _table_end(lines: list[str], start: int) -> int:
    """The index after the "|}" closing the table opened at ``start`` (nested tables
    counted), or the end of the text for a table never closed."""
    depth = 0
    for index in range(start, len(lines)):
        stripped = lines[index].lstrip()
        if stripped.startswith("{|"):
            depth += 1
        elif stripped.startswith("|}"):
            depth -= 1
            if depth == 0:
                return index + 1
    return len(lines)


def _nowiki(ctx: RenderContext, text: str) -> str:
    """<nowiki>…</nowiki> content set aside (escaped), so no markup applies inside. An
    opening tag never closed stays as text. One pass: each tag is looked for once."""
    lower, parts, pos = text.lower(), [], 0
    while (start := lower.find("<nowiki", pos)) >= 0:
        tag = _NOWIKI_TAG_RE.match(lower, start)
        if tag is None:
            parts.append(text[pos : start + 1])
            pos = start + 1
            continue
        end, close = tag.end(), None
        if not tag[1]:
            close = _NOWIKI_CLOSE_RE.search(lower, end)
            if close is None:
                break
        ctx.nowiki.append(esc(text[end : close.start()]) if close else "")
        parts.append(f"{text[pos:start]}{NOWIKI_OPEN}{len(ctx.nowiki) - 1}{NOWIKI_END}")
        pos = close.end() if close else end
    parts.append(text[pos:])
    return "".join(parts)


def render_wikitext(ctx: RenderContext, text: str) -> str:
    """``text`` as HTML (before links are resolved and before sanitising)."""
    text = _COMMENT_RE.sub("", _nowiki(ctx, text))
    return _Wikitext(ctx).blocks(text.split("\n"))
