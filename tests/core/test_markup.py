from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wikisocial.core.markup import (
    ALLOWED_TAGS,
    LINK_REL,
    clean_text,
    excerpt,
    render_markdown,
    render_plain,
    sanitize_html,
)


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _TagCollector()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_safe(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, html
        allowed = {"href", "title", "rel", "class"} if tag == "a" else set()
        assert set(attrs) <= allowed, html
        if "href" in attrs:
            assert urlsplit(attrs["href"] or "").scheme.lower() in {"http", "https", "mailto"}
        if tag == "a":
            assert attrs["rel"] == LINK_REL


# --- render_markdown ----------------------------------------------------------------------


def test_basic_formatting() -> None:
    html = render_markdown("*em* **strong** ~~gone~~ `code`\n\n> quoted\n\n- one\n- two")
    assert "<em>em</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<s>gone</s>" in html
    assert "<code>code</code>" in html
    assert "<blockquote>" in html
    assert "<ul>" in html and "<li>one</li>" in html
    assert_safe(html)


def test_ordered_list_and_code_block() -> None:
    html = render_markdown("1. a\n2. b\n\n```python\nx = '<b>'\n```")
    assert "<ol>" in html
    assert "<pre><code>x = '&lt;b&gt;'\n</code></pre>" in html  # no language class
    assert_safe(html)


def test_line_breaks_are_kept() -> None:
    assert render_markdown("one\ntwo") == "<p>one<br>\ntwo</p>"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<style>body{display:none}</style>",
        '<iframe src="https://evil.example"></iframe>',
        '<img src="x" onerror="alert(1)">',
        "<b onmouseover=alert(1)>x</b>",
        "<!-- comment -->",
    ],
)
def test_raw_html_is_escaped(source: str) -> None:
    html = render_markdown(source)
    assert "<script" not in html
    assert "<style" not in html
    assert "<iframe" not in html
    assert "<img" not in html
    assert "&lt;" in html
    assert_safe(html)


def test_script_text_survives_as_text() -> None:
    assert render_markdown("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java&#x09;script:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](data:image/png;base64,iVBORw0KGgo=)",
        "[click](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
        "![x](javascript:alert(1))",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
    ],
)
def test_dangerous_links_are_not_clickable(source: str) -> None:
    html = render_markdown(source)
    for _tag, attrs in tags_of(html):
        href = (attrs.get("href") or "").lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:"))
    assert 'href="javascript' not in html.lower()
    assert 'href="data' not in html.lower()
    assert_safe(html)


def test_links_get_rel() -> None:
    html = render_markdown('[Wikipedia](https://www.wikipedia.org "The free encyclopedia")')
    assert html == (
        '<p><a href="https://www.wikipedia.org" title="The free encyclopedia" '
        f'rel="{LINK_REL}">Wikipedia</a></p>'
    )


def test_relative_links_lose_their_href() -> None:
    html = render_markdown("[settings](/settings) [other](//evil.example)")
    assert "href" not in html
    assert_safe(html)


def test_linkify_bare_urls() -> None:
    html = render_markdown("See https://meta.wikimedia.org/wiki/Main_Page.")
    assert (
        '<a href="https://meta.wikimedia.org/wiki/Main_Page" '
        f'rel="{LINK_REL}">https://meta.wikimedia.org/wiki/Main_Page</a>.'
    ) in html


def test_linkify_keeps_parentheses_and_skips_fuzzy_domains() -> None:
    html = render_markdown("https://en.wikipedia.org/wiki/Mercury_(planet) and example.com")
    assert 'href="https://en.wikipedia.org/wiki/Mercury_(planet)"' in html
    assert 'href="http://example.com"' not in html


def test_autolinks_and_mailto() -> None:
    html = render_markdown("<https://wikimedia.org> <someone@example.org>")
    assert 'href="https://wikimedia.org"' in html
    assert 'href="mailto:someone@example.org"' in html
    assert_safe(html)


@pytest.mark.parametrize("source", ["# Title", "###### Title", "Title\n=====", "Title\n-----"])
def test_headings_become_strong_paragraphs(source: str) -> None:
    assert render_markdown(source) == "<p><strong>Title</strong></p>"


def test_images_are_never_emitted() -> None:
    html = render_markdown('![a cat](https://upload.wikimedia.org/cat.jpg "Cat")')
    assert "<img" not in html
    assert 'href="https://upload.wikimedia.org/cat.jpg"' in html
    assert ">a cat</a>" in html


def test_image_inside_link_becomes_alt_text() -> None:
    html = render_markdown("[![logo](https://example.org/logo.png)](https://example.org)")
    assert "<img" not in html
    assert html == f'<p><a href="https://example.org" rel="{LINK_REL}">logo</a></p>'


def test_tables_and_rules_are_not_emitted() -> None:
    html = render_markdown("a\n\n---\n\n| x | y |\n|---|---|\n| 1 | 2 |")
    assert "<hr" not in html
    assert "<table" not in html
    assert_safe(html)


# --- sanitize_html ------------------------------------------------------------------------


def test_sanitize_html_strips_dangerous_content() -> None:
    html = sanitize_html(
        '<p onclick="x()">Hi<script>alert(1)</script><style>p{}</style>'
        '<iframe src="https://evil.example">inner</iframe>'
        '<img src="x" onerror="alert(1)">'
        '<a href="javascript:alert(1)">js</a>'
        '<a href=" jAvA&#x09;script:alert(1)">js2</a>'
        '<a href="data:text/html,<script>alert(1)</script>">data</a>'
        '<a href="https://ok.example" rel="me" target="_blank" class="mention evil">ok</a></p>'
    )
    assert "script" not in html
    assert "style" not in html
    assert "iframe" not in html and "inner" not in html
    assert "<img" not in html and "onerror" not in html and "onclick" not in html
    assert "javascript" not in html.lower()
    assert "data:" not in html
    assert f'<a href="https://ok.example" class="mention" rel="{LINK_REL}">ok</a>' in html
    assert_safe(html)


def test_sanitize_html_unwraps_unknown_tags() -> None:
    assert sanitize_html("<h1>Title</h1><div><span>text</span></div>") == "Titletext"


# --- render_plain -------------------------------------------------------------------------


def test_render_plain_escapes_and_links() -> None:
    html = render_plain('<b>Me</b> at https://example.org/?a=1&b="2" *not markdown*')
    assert html.startswith("&lt;b&gt;Me&lt;/b&gt; at <a ")
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in html
    assert f'rel="{LINK_REL}"' in html
    assert html.endswith(" *not markdown*")
    assert_safe(html)


def test_render_plain_only_links_http() -> None:
    html = render_plain("javascript:alert(1) ftp://x.example mailto:a@b.example www.x.example")
    assert "<a" not in html


def test_render_plain_text_only() -> None:
    assert render_plain("Wikimedian & editor") == "Wikimedian &amp; editor"


# --- clean_text ---------------------------------------------------------------------------


def test_clean_text_removes_bidi_and_controls() -> None:
    assert clean_text("  ad\u202emin\u2066x\u2069\x00\x07\x1b[31m  ") == "adminx[31m"


def test_clean_text_single_line_flattens_newlines_and_tabs() -> None:
    assert clean_text("one\ntwo\r\nthree\tfour\u2028five") == "one two three four five"


def test_clean_text_multiline_keeps_newlines_and_tabs() -> None:
    assert clean_text("one\r\ntwo\rthree\n\tfour\x0b", multiline=True) == (
        "one\ntwo\nthree\n\tfour"
    )


def test_clean_text_zero_width() -> None:
    assert clean_text("\ufeffab\u200bc\u2060d") == "abcd"
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # woman, woman, girl (ZWJ sequence)
    assert clean_text(family) == family
    persian = "می\u200cخواهم"  # ZWNJ is part of correct spelling
    assert clean_text(persian) == persian


def test_clean_text_normalises_to_nfc() -> None:
    assert clean_text("Jose\u0301") == "Jos\u00e9"


def test_clean_text_removes_lone_surrogates() -> None:
    assert clean_text("a\ud800b") == "ab"


# --- excerpt ------------------------------------------------------------------------------


def test_excerpt_short_text_unchanged() -> None:
    assert excerpt("<p>Hello <b>world</b></p>", 50) == "Hello world"


def test_excerpt_blocks_and_entities() -> None:
    html = "<p>One &amp; two</p><p>three<br>four</p><script>x()</script>"
    assert excerpt(html, 100) == "One & two three four"


def test_excerpt_cuts_at_word_boundary() -> None:
    text = excerpt("<p>The quick brown fox jumps over the lazy dog</p>", 20)
    assert text == "The quick brown fox…"
    assert len(text) <= 20
    assert excerpt("<p>The quick brown fox jumps</p>", 17) == "The quick brown…"


def test_excerpt_long_word_is_cut_hard() -> None:
    assert excerpt("<p>" + "x" * 50 + "</p>", 10) == "x" * 9 + "…"


# --- properties ---------------------------------------------------------------------------

_fragments = st.sampled_from(
    [
        "<script>",
        "</script>",
        "javascript:",
        "JAVASCRIPT:",
        "data:",
        "[",
        "](",
        ")",
        "![",
        "<",
        ">",
        '"',
        "&#x09;",
        "&#106;",
        "\n",
        "`",
        "*",
        "#",
        "http://",
        "alert(1)",
        "<a href=",
        "onerror=",
    ]
)
_markdownish = st.lists(st.one_of(_fragments, st.text(max_size=20)), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _markdownish))
def test_render_markdown_is_always_safe(source: str) -> None:
    html = render_markdown(source)
    assert "<script" not in html.lower()
    # "javascript:" may appear as text, but never inside an attribute.
    for _tag, attrs in tags_of(html):
        for value in attrs.values():
            assert "javascript:" not in "".join((value or "").lower().split())
    assert_safe(html)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_text_is_idempotent_and_control_free(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert "\n" not in cleaned
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in cleaned)


def test_documents_keep_headings_one_level_down_and_join_wrapped_lines() -> None:
    from wikisocial.core.markup import render_document

    out = render_document("# Title\n\nA paragraph\nwrapped.\n\n## Part\n\n---\n<script>x</script>")
    assert "<h2>Title</h2>" in out and "<h3>Part</h3>" in out and "<hr>" in out
    assert "A paragraph\nwrapped." in out and "<br>" not in out
    assert "<script>" not in out
