"""Rendering wiki text: every wikitext construct, Markdown with wikilinks, red links, and
hostile input (scripts, script URLs, huge tables, deep lists, long lines, random text)."""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wikisocial.wiki import markup


def render(text: str, kind: str = "wikitext", title: str = "Home", existing=("rules",)):
    asked: list[list[str]] = []

    def exists(keys):
        asked.append(list(keys))
        return set(existing) & set(keys)

    result = markup.render(
        text,
        kind,
        title=title,
        page_url=lambda target: "/wiki/" + target.replace(" ", "_"),
        existing=exists,
    )
    result.asked = asked
    return result


def html(text: str, kind: str = "wikitext", **kwargs) -> str:
    return render(text, kind, **kwargs).html


# --- wikitext, construct by construct -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("== Intro ==", '<h2 id="Intro">Intro</h2>'),
        ("=== Sub part ===", '<h3 id="Sub_part">Sub part</h3>'),
        ("====== Six ======", '<h6 id="Six">Six</h6>'),
        ("= One =", '<h2 id="One">One</h2>'),  # level 1 is the page title: shown as level 2
        ("==Unequal===", '<h2 id="Unequal=">Unequal=</h2>'),
    ],
)
def test_headings(source, expected):
    assert expected in html(source)


def test_equal_signs_alone_are_text():
    assert html("====") == "<p>====</p>"


def test_bold_italic_both():
    out = html("'''bold''' ''italic'' '''''both''''' end")
    assert "<strong>bold</strong>" in out
    assert "<em>italic</em>" in out
    assert "<strong><em>both</em></strong>" in out


def test_unclosed_quotes_close_at_the_end_of_the_line():
    out = html("'''bold never closed\nnext line")
    assert out == "<p><strong>bold never closed</strong>\nnext line</p>"


def test_crossed_quotes_stay_nested():
    out = html("''a '''b'' c'''")
    assert out == "<p><em>a <strong>b</strong></em><strong> c</strong></p>"


def test_four_and_many_apostrophes():
    assert html("''''bold''''") == "<p>'<strong>bold'</strong></p>"
    assert "'''<strong><em>x</em></strong>" in html("''''''''x'''''")


def test_wikilinks_blue_and_red():
    out = html("[[Rules]] and [[Missing page]]")
    assert '<a href="/wiki/Rules" class="wikilink">Rules</a>' in out
    assert (
        '<a href="/wiki/Missing_page?action=edit&amp;redlink=1" class="wikilink new" '
        'title="Missing page (page does not exist)">Missing page</a>'
    ) in out


def test_link_label_section_and_pipe_trick():
    out = html("[[Rules|the rules]] [[Rules#How to join]] [[Help (wiki)|]]")
    assert '<a href="/wiki/Rules" class="wikilink">the rules</a>' in out
    assert '<a href="/wiki/Rules#How_to_join" class="wikilink">Rules#How to join</a>' in out
    assert ">Help</a>" in out


def test_label_may_be_formatted_in_wikitext():
    assert '<a href="/wiki/Rules" class="wikilink"><strong>R</strong></a>' in html(
        "[[Rules|'''R''']]"
    )


def test_links_are_case_insensitive_on_the_first_letter_and_underscores():
    result = render("[[rules]] [[Rules_of the  road]]")
    assert result.links == ["rules", "rules of the road"]
    assert 'href="/wiki/Rules"' in result.html


def test_subpage_and_parent_links():
    out = html("[[/Venue]] [[/Venue/]] [[../Budget]]", title="Events/2027")
    assert 'href="/wiki/Events/2027/Venue?action=edit&amp;redlink=1"' in out
    assert ">/Venue</a>" in out
    assert ">Venue</a>" in out
    assert 'href="/wiki/Events/Budget?action=edit&amp;redlink=1"' in out


def test_section_link_on_the_same_page():
    assert '<a href="#Getting_started" class="wikilink">#Getting started</a>' in html(
        "[[#Getting started]]"
    )


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("[[w:Foo]]", "https://en.wikipedia.org/wiki/Foo"),
        ("[[en:Foo]]", "https://en.wikipedia.org/wiki/Foo"),
        ("[[de:Seite]]", "https://de.wikipedia.org/wiki/Seite"),
        ("[[commons:File:X.jpg]]", "https://commons.wikimedia.org/wiki/File:X.jpg"),
        ("[[wikt:fr:chat]]", "https://fr.wiktionary.org/wiki/chat"),
    ],
)
def test_interwiki_links_go_to_other_wikis(source, url):
    result = render(source)
    assert f'href="{url}" class="interwiki"' in result.html
    assert result.links == []


def test_interwiki_label():
    assert ">English</a>" in html("[[en:Foo|English]]")


def test_bad_link_targets_stay_text():
    out = html("[[a<b]] [[]] [[ ]] [[Special:Recent]] [[javascript:alert(1)]]")
    assert "<a" not in out
    assert "[[a&lt;b]]" in out


def test_external_links():
    out = html("[https://example.org/x a label] [https://example.org] [mailto:a@b.org mail]")
    assert '<a href="https://example.org/x" class="external"' in out
    assert ">a label</a>" in out
    assert ">[1]</a>" in out
    assert 'href="mailto:a@b.org"' in out
    assert 'rel="nofollow noopener noreferrer ugc"' in out


def test_bare_urls_without_trailing_punctuation():
    out = html("See https://example.org/page, and (https://example.org/x).")
    assert '<a href="https://example.org/page" class="external"' in out
    assert '<a href="https://example.org/x" class="external"' in out
    assert ">https://example.org/page</a>, and" in out


def test_script_urls_are_never_links():
    out = html("[javascript:alert(1) x] [https://e.org/javascript:alert(1) y] javascript:alert(2)")
    assert "href" not in out


def test_lists_nested_and_mixed():
    out = html("* a\n** b\n*# c\n* d\n# one\n## two")
    assert out == (
        "<ul><li>a<ul><li>b</li></ul><ol><li>c</li></ol></li><li>d</li></ul>"
        "<ol><li>one<ol><li>two</li></ol></li></ol>"
    )


def test_definition_lists():
    assert html("; term : definition") == "<dl><dt>term</dt><dd>definition</dd></dl>"
    assert html("; term\n: def") == "<dl><dt>term</dt><dd>def</dd></dl>"
    assert html("; [[Rules|a:b]] : x").endswith("<dd>x</dd></dl>")
    assert "<dd>indented</dd>" in html(": indented")


def test_table_with_caption_headers_rows_and_dropped_attributes():
    source = (
        '{| class="wikitable" style="color:red"\n|+ style="x" | Caption\n! H1 !! H2\n|-\n'
        '| a || style="color:red" | b\n|-\n! row head\n| [[Rules|r]]\n|}'
    )
    out = html(source)
    assert out == (
        '<table class="wikitable"><caption>Caption</caption><tbody>'
        '<tr><th scope="col">H1</th><th scope="col">H2</th></tr>'
        "<tr><td>a</td><td>b</td></tr>"
        '<tr><th scope="row">row head</th><td><a href="/wiki/Rules" class="wikilink">r</a>'
        "</td></tr></tbody></table>"
    )
    assert "style" not in out and "color" not in out


def test_table_cells_on_several_lines_and_nested_tables():
    out = html("{|\n| first\n* item\n|\n{|\n| inner\n|}\n|}")
    assert "<td><p>first</p>\n<ul><li>item</li></ul></td>" in out
    assert out.count("<table") == 2
    assert "<td>inner</td>" in out


def test_unclosed_table_ends_with_the_text():
    assert html("{|\n| a") == '<table class="wikitable"><tbody><tr><td>a</td></tr></tbody></table>'


def test_nowiki_br_hr_and_paragraphs():
    out = html("<nowiki>''x'' [[y]] <b></nowiki> a<br>b<br/>c\n\nnew\n----\nafter")
    assert "''x'' [[y]] &lt;b&gt; a<br>b<br>c" in out
    assert "<p>new</p>\n<hr>\n<p>after</p>" in out


def test_unclosed_nowiki_is_text():
    assert html("<nowiki>''a''") == "<p>&lt;nowiki&gt;<em>a</em></p>"


def test_templates_refs_and_raw_html_are_text():
    out = html('{{Infobox|a=1}} <ref>note</ref> <div onclick="x">d</div> <span>s</span>')
    assert "{{Infobox|a=1}}" in out
    assert "&lt;ref&gt;note&lt;/ref&gt;" in out
    assert "&lt;div onclick" in out
    assert "<div" not in out and "<span" not in out


def test_allowed_inline_tags_are_balanced():
    out = html("<code>x</code> <sub>2</sub> <s>old <b>bold</s> tail")
    assert "<code>x</code>" in out and "<sub>2</sub>" in out
    assert out.count("<b>") == out.count("</b>")


def test_comments_are_hidden():
    assert html("a <!-- secret --> b <!-- never closed") == "<p>a  b</p>"


def test_table_of_contents_from_three_headings():
    result = render("== A ==\n=== B ===\n== C ==\ntext")
    assert result.html.startswith('<div class="toc">')
    assert '<a href="#A">A</a><ol><li><a href="#B">B</a></li></ol></li><li><a href="#C">' in (
        result.html
    )
    assert [heading.anchor for heading in result.headings] == ["A", "B", "C"]
    assert '<div class="toc">' not in html("== A ==\n== B ==")
    assert '<div class="toc">' not in html("__NOTOC__\n== A ==\n== B ==\n== C ==")


def test_duplicate_and_reserved_heading_ids():
    result = render("== Main ==\n== Plan ==\n== Plan ==")
    assert [heading.anchor for heading in result.headings] == ["Main_2", "Plan", "Plan_2"]


def test_existence_is_asked_once_for_all_links():
    result = render("[[A]] [[B]] [[A]] [[Rules]]")
    assert result.asked == [["a", "b", "rules"]]
    assert result.links == ["a", "b", "rules"]


def test_no_links_no_question():
    assert render("plain").asked == []


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_headings_shift_down_with_ids_and_toc():
    result = render("# Title\n\n## Part\n\n### Sub\n\ntext", "markdown")
    assert '<h2 id="Title">Title</h2>' in result.html
    assert '<h4 id="Sub">Sub</h4>' in result.html
    assert result.html.startswith('<div class="toc">')


def test_markdown_wikilinks_and_links():
    out = html("See [[Rules]], [[Nope|no]] and [x](https://e.org) and [[w:Foo]]", "markdown")
    assert '<a href="/wiki/Rules" class="wikilink">Rules</a>' in out
    assert 'class="wikilink new"' in out
    assert '<a href="https://e.org" class="external" rel="nofollow noopener noreferrer ugc">' in out
    assert 'href="https://en.wikipedia.org/wiki/Foo" class="interwiki"' in out


def test_markdown_tables_and_lists():
    out = html("| a | b |\n|---|---|\n| 1 | 2 |\n\n- x\n- y", "markdown")
    assert "<table>" in out and "<td>1</td>" in out
    assert "<ul>\n<li>x</li>" in out


def test_markdown_is_never_html():
    source = "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"
    out = html(source, "markdown")
    assert "<script" not in out and "<img" not in out and "href" not in out


def test_markdown_images_become_links():
    out = html("![a cat](https://e.org/cat.jpg)", "markdown")
    assert '<a href="https://e.org/cat.jpg" class="external"' in out
    assert "<img" not in out


def test_wikilink_inside_a_markdown_link_stays_text():
    out = html("[see [[Rules]]](https://e.org)", "markdown")
    assert out.count("<a ") == 1


# --- hostile and malformed input ---------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


SAFE_ATTRIBUTES = {"href", "title", "class", "rel", "id", "scope", "start"}


def assert_inert(out: str) -> None:
    """No script or other active element, no event-handler attribute, no script URL."""
    parser = _Tags()
    parser.feed(out)
    for tag, attrs in parser.tags:
        assert tag not in {"script", "style", "iframe", "img", "object", "embed"}, out
        for name, value in attrs:
            assert name in SAFE_ATTRIBUTES, out
            assert "javascript:" not in "".join((value or "").lower().split()), out
    assert "<script" not in out.lower()


@pytest.mark.parametrize("kind", ["wikitext", "markdown"])
@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<scr<script>ipt>alert(1)</script>",
        '[[Foo|<img src=x onerror="alert(1)">]]',
        '[https://e.org" onmouseover="alert(1) x]',
        "[[javascript:alert(1)|x]] [javascript:alert(1) y] [[java script:x]]",
        "<nowiki><script>alert(1)</script></nowiki>",
        '{|\n| onclick="alert(1)" | cell\n|}',
        "== <script>x</script> ==",
        "[https://e.org/%6Aavascript:alert(1) x]",
        "<b onclick=alert(1)>x</b>",
        "''<i>'''<b>''",
    ],
)
def test_hostile_markup_is_inert(source, kind):
    assert_inert(html(source, kind))


def _quick(source: str, kind: str = "wikitext", limit: float = 5.0):
    started = time.monotonic()
    result = render(source, kind)
    assert time.monotonic() - started < limit
    return result


@pytest.mark.parametrize("kind", ["wikitext", "markdown"])
def test_ten_thousand_row_table_is_capped(kind):
    if kind == "wikitext":
        source = "{|\n" + "|-\n| a || b || c\n" * 10_000 + "|}"
    else:
        source = "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 10_000
    result = _quick(source, kind)
    assert result.truncated
    assert len(result.html) <= markup.LIMITS["output"] + 1000
    if kind == "wikitext":
        assert result.html.count("<tr>") <= markup.LIMITS["table_rows"]
        assert "more table rows are not shown" in result.html


def test_wide_rows_and_many_cells_are_capped():
    result = _quick("{|\n|" + "||" * 50_000 + "\n|}")
    assert result.html.count("<td>") <= markup.LIMITS["row_cells"]


@pytest.mark.parametrize("kind", ["wikitext", "markdown"])
def test_two_hundred_deep_lists(kind):
    if kind == "wikitext":
        source = "*" * 200 + " deep"
    else:
        source = "\n".join("  " * depth + "- x" for depth in range(200))
    result = _quick(source, kind)
    assert result.html.count("<ul>") <= 200
    if kind == "wikitext":
        assert result.html.count("<ul>") == markup.LIMITS["list_depth"]


HUGE = {
    "long-line": "a '' b ''' [[x]] [https://e.org y] " * 5_000,
    "brackets": "[" * 120_000,
    "double-brackets": "[[" * 60_000 + "]]",
    "apostrophes": "'" * 120_000,
    "nowiki": "<nowiki>" * 20_000,
    "tables": "{|\n" * 20_000,
    "comments": "<!--" * 30_000,
    "urls": "http://" * 30_000,
    "colons": ";" + "a:" * 60_000,
    "headings": "== h ==\n" * 20_000,
    "links": "".join(f"[[Page {n}]] " for n in range(20_000)),
}


@pytest.mark.parametrize("kind", ["wikitext", "markdown"])
@pytest.mark.parametrize("name", sorted(HUGE))
def test_huge_input_is_bounded(name, kind):
    result = _quick(HUGE[name], kind)
    assert len(result.html) <= markup.LIMITS["output"] + 1000
    assert len(result.links) <= markup.LIMITS["links"]
    assert_inert(result.html)


def test_long_source_is_cut_with_a_note():
    result = render("word " * 30_000)
    assert result.truncated
    assert "too long to show in full" in result.html


WIKI_ALPHABET = st.sampled_from(
    [
        *"'[]{}|!=*#:;<>/-~_ \n\tab",
        *("[[", "]]", "{|", "|}", "|-", "||", "!!", "''", "'''", "<nowiki>", "</nowiki>"),
        *("https://", "javascript:", "<script>", "onclick=", "<b>", "</b>", "==", "----", "&"),
        *("<br>", "\ue000", "\ue001", "\x00", "\u202e", "é", "👍", '"', " onerror="),
    ]
)
KINDS = st.sampled_from(["wikitext", "markdown"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(WIKI_ALPHABET, max_size=120).map("".join), KINDS)
def test_random_text_never_raises_and_is_inert(source, kind):
    out = html(source, kind)
    assert_inert(out)
    assert "\ue000" not in out and "\ue001" not in out


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), KINDS)
def test_any_unicode_never_raises(source, kind):
    assert_inert(html(source, kind))
