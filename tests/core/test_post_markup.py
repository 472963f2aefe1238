import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wikisocial.core.markup import (
    LINK_REL,
    POST_ALLOWED_TAGS,
    MentionRef,
    RenderedPost,
    normalize_hashtag,
    render_markdown,
    render_post,
    sanitize_post_html,
)

KNOWN = {"ana", "bob", "john.doe", "a-b", "carol_1"}


class FakeResolver:
    def __init__(self) -> None:
        self.calls: list[MentionRef] = []

    def __call__(self, ref: MentionRef) -> str | None:
        self.calls.append(ref)
        if ref.username.lower() not in KNOWN:
            return None
        # Remote accounts get local profile pages too, like on Mastodon.
        suffix = f"@{ref.domain}" if ref.domain else ""
        return f"https://social.example/@{ref.username.lower()}{suffix}"


def hashtag_url(name: str) -> str:
    return f"https://social.example/tags/{name}"


def render(source: str, **kwargs) -> RenderedPost:
    kwargs.setdefault("resolve_mention", FakeResolver())
    return render_post(source, hashtag_url=hashtag_url, **kwargs)


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
        assert tag in POST_ALLOWED_TAGS, html
        if tag == "a":
            assert set(attrs) <= {"href", "title", "rel", "class"}, html
            assert attrs["rel"] == LINK_REL
            assert set((attrs.get("class") or "").split()) <= {
                "mention",
                "hashtag",
                "wikilink",
                "u-url",
                "h-card",
            }
        elif tag == "span":
            assert set(attrs) <= {"class"}, html
            assert attrs.get("class") in {None, "h-card"}, html
        else:
            assert not attrs, html
        if "href" in attrs:
            parts = urlsplit(attrs["href"] or "")
            assert parts.scheme in {"http", "https", "mailto"}, html
            assert parts.scheme == "mailto" or parts.netloc, html


def mention_html(username: str, url: str) -> str:
    return (
        f'<span class="h-card"><a href="{url}" class="u-url mention" rel="{LINK_REL}">'
        f"@<span>{username}</span></a></span>"
    )


def hashtag_html(written: str, name: str) -> str:
    return (
        f'<a href="https://social.example/tags/{name}" class="mention hashtag" rel="{LINK_REL}">'
        f"#<span>{written}</span></a>"
    )


def wikilink_html(url: str, label: str) -> str:
    return f'<a href="{url}" class="wikilink" rel="{LINK_REL}">{label}</a>'


# --- Markdown subset --------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "*em* **strong** ~~gone~~ `code`\n\n> quoted\n\n- one\n- two",
        "1. a\n2. b\n\n```python\nx = '<b>'\n```",
        "one\ntwo",
        "# Heading\n\ntext\n\n---\n\nmore",
        "see https://example.org/path?q=1 and <https://example.org>",
        "[a link](https://example.org) ![an image](https://example.org/i.png)",
        "<script>alert(1)</script> <b onmouseover=alert(1)>x</b>",
        "[x](javascript:alert(1))",
        "mail someone@example.org or mailto:someone@example.org",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "",
    ],
)
def test_markdown_subset_is_the_same_as_render_markdown(source: str) -> None:
    result = render(source)
    assert result.html == render_markdown(source)
    assert_safe(result.html)


def test_empty_post() -> None:
    assert render("") == RenderedPost(html="", mentions=[], hashtags=[], wikilinks=[])


def test_line_breaks_are_kept() -> None:
    assert render("@ana\n#tag").html == (
        f"<p>{mention_html('ana', 'https://social.example/@ana')}<br>\n"
        f"{hashtag_html('tag', 'tag')}</p>"
    )


# --- Mentions ---------------------------------------------------------------------------


def test_local_mention_shape() -> None:
    result = render("Hi @ana!")
    assert result.html == f"<p>Hi {mention_html('ana', 'https://social.example/@ana')}!</p>"
    assert result.mentions == [MentionRef("ana", None)]
    assert_safe(result.html)


def test_remote_mention_shows_the_username_only() -> None:
    result = render("cc @bob@remote.example")
    url = "https://social.example/@bob@remote.example"
    assert result.html == f"<p>cc {mention_html('bob', url)}</p>"
    assert result.mentions == [MentionRef("bob", "remote.example")]


@pytest.mark.parametrize(
    ("source", "ref"),
    [
        ("@ana", MentionRef("ana")),
        ("@carol_1", MentionRef("carol_1")),
        ("@bob@remote.example", MentionRef("bob", "remote.example")),
        ("@bob@Remote.EXAMPLE", MentionRef("bob", "remote.example")),
        ("@john.doe@example.org", MentionRef("john.doe", "example.org")),
        ("@a-b@x.y", MentionRef("a-b", "x.y")),
        ("@ana@localhost:8001", MentionRef("ana", "localhost:8001")),
        ("@ana@sub.domain-x.example.org", MentionRef("ana", "sub.domain-x.example.org")),
        # Trailing punctuation is not part of it
        ("@ana.", MentionRef("ana")),
        ("@ana,", MentionRef("ana")),
        ("@ana!", MentionRef("ana")),
        ("@ana?", MentionRef("ana")),
        ("@ana:", MentionRef("ana")),
        ("@ana-", MentionRef("ana")),
        ("(@ana)", MentionRef("ana")),
        ("@ana's", MentionRef("ana")),
        ("«@ana»", MentionRef("ana")),
        ("@bob@remote.example.", MentionRef("bob", "remote.example")),
        ("@bob@remote.example-", MentionRef("bob", "remote.example")),
        ("@bob@remote.example:", MentionRef("bob", "remote.example")),
        ("@bob@remote.example/path", MentionRef("bob", "remote.example")),
        ("@john.doe@example.org.", MentionRef("john.doe", "example.org")),
        # Where a mention may start
        ("x (@ana", MentionRef("ana")),
        ("x:@ana", MentionRef("ana")),
        ("#@ana", MentionRef("ana")),
        ("**@ana**", MentionRef("ana")),
        ("> @ana", MentionRef("ana")),
        ("- @ana", MentionRef("ana")),
        ("# @ana", MentionRef("ana")),
    ],
)
def test_mentions(source: str, ref: MentionRef) -> None:
    result = render(source)
    assert result.mentions == [ref]
    assert 'class="u-url mention"' in result.html
    assert_safe(result.html)


@pytest.mark.parametrize(
    "source",
    [
        "ana@example.org",  # e-mail address
        "mailto:ana@example.org",
        "https://social.example/@ana",
        "social.example/@ana",
        "@@ana",
        "x@ana",
        "_@ana",
        "é@ana",
        "@ana.bob",  # not "@ana" followed by ".bob"
        "@ana-bob",
        "@ana@",  # "@ana" followed by a broken domain
        "@ana@@remote.example",
        "@ana@-remote.example",
        "@ana@remote.example@x",
        "@ana@bücher.example",  # domains are ASCII (no look-alike letters)
        "@ana@localhost:99999",
        "@ana@localhost:0",
        "@anaé",
        "@аna",  # Cyrillic а
        "@anа",  # Cyrillic а at the end
        "@an\u200da",  # zero-width joiner
        "@ana\u200d",
        "@an\u200ca",
        "@\u202eana",  # bidi override
        "@ana\u202e",
        "@ana\u2066",
        "@ana\u0301",  # combining accent
        "@bob@remote.example\u200d",
        "@",
        "@ ana",
        "`@ana`",
        "```\n@ana\n```",
        "    @ana",  # indented code
        "[@ana](https://example.org)",
        "![@ana](https://example.org/a.png)",
        "\\@ana",  # escaped
        "@nobody",
        "@nobody@remote.example",
    ],
)
def test_not_mentions(source: str) -> None:
    result = render(source)
    assert result.mentions == []
    assert "mention" not in result.html
    assert "h-card" not in result.html
    assert_safe(result.html)


def test_unresolved_mentions_stay_plain_text() -> None:
    result = render("hello @nobody and @nobody@remote.example")
    assert result.html == "<p>hello @nobody and @nobody@remote.example</p>"
    assert result.mentions == []


def test_mentions_are_deduplicated_in_order() -> None:
    resolver = FakeResolver()
    result = render("@bob @ana @Bob @ANA @bob@remote.example @ana", resolve_mention=resolver)
    assert result.mentions == [
        MentionRef("bob"),
        MentionRef("ana"),
        MentionRef("bob", "remote.example"),
    ]
    # Each different mention is resolved once.
    assert resolver.calls == [
        MentionRef("bob"),
        MentionRef("ana"),
        MentionRef("bob", "remote.example"),
    ]
    assert result.html.count('class="u-url mention"') == 6
    assert "@<span>ANA</span>" in result.html  # shown as written


def test_the_same_account_written_two_ways_is_mentioned_once() -> None:
    def resolve(ref: MentionRef) -> str | None:
        if ref.username == "ana" and ref.domain in {None, "social.example"}:
            return "https://social.example/@ana"
        return None

    result = render("@ana @ana@social.example", resolve_mention=resolve)
    assert result.mentions == [MentionRef("ana")]
    assert result.html.count('class="u-url mention"') == 2


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "/@ana",
        "//social.example/@ana",
        "data:text/html,x",
        "",
        "https://",
        "https://social.example/@ana x",
        "https://social.example/\n",
        42,
    ],
)
def test_mentions_resolving_to_bad_urls_stay_text(url: object) -> None:
    result = render("@ana", resolve_mention=lambda ref: url)
    assert result.html == "<p>@ana</p>"
    assert result.mentions == []


def test_resolver_url_is_escaped() -> None:
    result = render("@ana", resolve_mention=lambda ref: 'https://x.example/?a=1&b="2"')
    assert 'href="https://x.example/?a=1&amp;b=%222%22"' in result.html or (
        'href="https://x.example/?a=1&amp;b=&quot;2&quot;"' in result.html
    )
    assert_safe(result.html)


def test_number_of_resolved_mentions_is_limited() -> None:
    resolver = FakeResolver()
    source = " ".join(f"@user{i}" for i in range(20)) + " @ana"
    result = render(source, resolve_mention=resolver, max_mentions=5)
    assert len(resolver.calls) == 5
    assert result.mentions == []
    assert result.html == f"<p>{source}</p>"


def test_mentions_inside_link_text_and_code_are_not_resolved() -> None:
    resolver = FakeResolver()
    render(
        "[@ana](https://example.org) `@bob` ![@carol_1](https://example.org/i.png)",
        resolve_mention=resolver,
    )
    assert resolver.calls == []


# --- Hashtags ---------------------------------------------------------------------------


def test_hashtag_shape() -> None:
    result = render("I love #WikiLove.")
    assert result.html == f"<p>I love {hashtag_html('WikiLove', 'wikilove')}.</p>"
    assert result.hashtags == ["wikilove"]
    assert_safe(result.html)


@pytest.mark.parametrize(
    ("source", "written", "name"),
    [
        ("#tag", "tag", "tag"),
        ("#Tag", "Tag", "tag"),
        ("#tag_name", "tag_name", "tag_name"),
        ("#_tag", "_tag", "_tag"),
        ("#1a", "1a", "1a"),
        ("#wiki2025", "wiki2025", "wiki2025"),
        ("#Straße", "Straße", "strasse"),
        ("#ＷＩＫＩ", "ＷＩＫＩ", "wiki"),  # full-width: NFKC
        ("#ﬁle", "ﬁle", "file"),  # ligature: NFKC
        ("#café", "café", "café"),
        ("#cafe\u0301", "cafe\u0301", "café"),  # combining accent, normalised
        ("#ZürichSee", "ZürichSee", "zürichsee"),
        ("#東京", "東京", "東京"),
        ("#Москва", "Москва", "москва"),
        ("#हिन्दी", "हिन्दी", "हिन्दी"),  # vowel signs and virama are marks
        ("#می\u200cخواهم", "می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ inside
        ("#tag\u200c", "tag", "tag"),  # … but not at the end
        ("(#tag)", "tag", "tag"),
        ("#tag!", "tag", "tag"),
        ("#tag.", "tag", "tag"),
        ("#tag-other", "tag", "tag"),
        ("#tag#other", "tag", "tag"),
        ("*#tag*", "tag", "tag"),
        ("> #tag", "tag", "tag"),
        ("x:#tag", "tag", "tag"),
        ("#" + "a" * 100, "a" * 100, "a" * 100),
    ],
)
def test_hashtags(source: str, written: str, name: str) -> None:
    result = render(source)
    assert result.hashtags == [name]
    assert f"#<span>{written}</span>" in result.html
    assert f'href="https://social.example/tags/{name}"' in result.html
    assert_safe(result.html)


@pytest.mark.parametrize(
    "source",
    [
        "#1",
        "#123",
        "#2024_",
        "#_",
        "#",
        "# tag",  # a heading
        "##",
        "x#tag",
        "C#",
        "_#tag",
        "/#tag",
        "example.org/#tag",
        "https://example.org/#tag",
        "https://example.org/page#tag",
        "<https://example.org/#tag>",
        "[x](https://example.org/#tag)",
        "[#tag](https://example.org)",
        "![#tag](https://example.org/a.png)",
        "`#tag`",
        "```\n#tag\n```",
        "\\#tag",
        "&#35;tag",  # an entity: the "#" is not written as such
        "#\u0301tag",  # starts with a mark
        "#\u200ctag",  # starts with a joiner
        "#ta\u200dg",  # joiner in the middle would hide the rest
        "#tag\u202e",
        "#" + "a" * 101,
        "#" + "a" * 100 + "\u200cb",
        "#" + "a" * 5000,
    ],
)
def test_not_hashtags(source: str) -> None:
    result = render(source)
    assert result.hashtags == []
    assert "hashtag" not in result.html
    assert_safe(result.html)


def test_hashtags_are_deduplicated_in_order() -> None:
    result = render("#b #A #B #a #Ａ #c")
    assert result.hashtags == ["b", "a", "c"]
    assert result.html.count("hashtag") == 6


def test_normalize_hashtag() -> None:
    assert normalize_hashtag("WikiLove") == "wikilove"
    assert normalize_hashtag("ＷＩＫＩ") == "wiki"
    assert normalize_hashtag("Straße") == "strasse"
    assert normalize_hashtag("cafe\u0301") == "café"


@pytest.mark.parametrize("url", ["/tags/x", "javascript:x", "", "tags/x"])
def test_hashtag_url_must_be_absolute(url: str) -> None:
    with pytest.raises(ValueError):
        render_post("#tag", resolve_mention=FakeResolver(), hashtag_url=lambda name: url)


def test_hashtag_url_is_called_with_the_normalised_name_once() -> None:
    names: list[str] = []

    def tag_url(name: str) -> str:
        names.append(name)
        return f"https://social.example/tags/{name}"

    render_post("#Foo #foo #FOO #bar", resolve_mention=FakeResolver(), hashtag_url=tag_url)
    assert names == ["foo", "bar"]


# --- Wikilinks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "url", "label"),
    [
        ("[[Page]]", "https://en.wikipedia.org/wiki/Page", "Page"),
        ("[[page]]", "https://en.wikipedia.org/wiki/Page", "page"),
        ("[[Main Page]]", "https://en.wikipedia.org/wiki/Main_Page", "Main Page"),
        ("[[Page|a label]]", "https://en.wikipedia.org/wiki/Page", "a label"),
        ("[[Page| a label ]]", "https://en.wikipedia.org/wiki/Page", "a label"),
        ("[[Page|a|b]]", "https://en.wikipedia.org/wiki/Page", "a|b"),
        ("[[Page#Section]]", "https://en.wikipedia.org/wiki/Page#Section", "Page#Section"),
        ("[[de:Seite]]", "https://de.wikipedia.org/wiki/Seite", "de:Seite"),
        (
            "[[commons:File:X.jpg]]",
            "https://commons.wikimedia.org/wiki/File:X.jpg",
            "commons:File:X.jpg",
        ),
        ("[[wikt:word]]", "https://en.wiktionary.org/wiki/word", "wikt:word"),
        ("[[wikt:de:Wort]]", "https://de.wiktionary.org/wiki/Wort", "wikt:de:Wort"),
        ("[[:en:Foo]]", "https://en.wikipedia.org/wiki/Foo", "en:Foo"),
        ("[[w:fr:Paris]]", "https://fr.wikipedia.org/wiki/Paris", "w:fr:Paris"),
        ("[[d:Q42]]", "https://www.wikidata.org/wiki/Q42", "d:Q42"),
        ("[[m:Main Page]]", "https://meta.wikimedia.org/wiki/Main_Page", "m:Main Page"),
        ("[[meta:Foo]]", "https://meta.wikimedia.org/wiki/Foo", "meta:Foo"),
        ("[[mw:Foo]]", "https://www.mediawiki.org/wiki/Foo", "mw:Foo"),
        ("[[species:Foo]]", "https://species.wikimedia.org/wiki/Foo", "species:Foo"),
        ("[[s:Foo]]", "https://en.wikisource.org/wiki/Foo", "s:Foo"),
        ("[[q:Foo]]", "https://en.wikiquote.org/wiki/Foo", "q:Foo"),
        ("[[b:Foo]]", "https://en.wikibooks.org/wiki/Foo", "b:Foo"),
        ("[[n:Foo]]", "https://en.wikinews.org/wiki/Foo", "n:Foo"),
        ("[[v:Foo]]", "https://en.wikiversity.org/wiki/Foo", "v:Foo"),
        ("[[voy:Foo]]", "https://en.wikivoyage.org/wiki/Foo", "voy:Foo"),
        ("[[phab:T123]]", "https://phabricator.wikimedia.org/T123", "phab:T123"),
        ("[[wikitech:Foo]]", "https://wikitech.wikimedia.org/wiki/Foo", "wikitech:Foo"),
        ("[[foundation:Foo]]", "https://foundation.wikimedia.org/wiki/Foo", "foundation:Foo"),
        ("[[wmf:Foo]]", "https://foundation.wikimedia.org/wiki/Foo", "wmf:Foo"),
        ("[[outreach:Foo]]", "https://outreach.wikimedia.org/wiki/Foo", "outreach:Foo"),
        ("[[incubator:Foo]]", "https://incubator.wikimedia.org/wiki/Foo", "incubator:Foo"),
        ("[[Help:Contents]]", "https://en.wikipedia.org/wiki/Help:Contents", "Help:Contents"),
        ("[[Help:Foo (bar)|]]", "https://en.wikipedia.org/wiki/Help:Foo_(bar)", "Foo"),
        ("[[A?b&c]]", "https://en.wikipedia.org/wiki/A%3Fb%26c", "A?b&amp;c"),
        ("[[Foo|<b>bold</b>]]", "https://en.wikipedia.org/wiki/Foo", "&lt;b&gt;bold&lt;/b&gt;"),
        ("[[Foo|*not em*]]", "https://en.wikipedia.org/wiki/Foo", "*not em*"),
        ("[[Foo|a]b]]", "https://en.wikipedia.org/wiki/Foo", "a]b"),
        ("[[Foo|@ana #tag]]", "https://en.wikipedia.org/wiki/Foo", "@ana #tag"),
    ],
)
def test_wikilinks(source: str, url: str, label: str) -> None:
    result = render(source)
    assert result.html == f"<p>{wikilink_html(url, label)}</p>"
    assert result.wikilinks == [url]
    assert result.mentions == []
    assert result.hashtags == []
    assert_safe(result.html)


def test_wikilinks_in_text() -> None:
    result = render("See [[Page]]s, [[de:Seite|hier]] and [[Page]] again.")
    assert result.html == (
        f"<p>See {wikilink_html('https://en.wikipedia.org/wiki/Page', 'Page')}s, "
        f"{wikilink_html('https://de.wikipedia.org/wiki/Seite', 'hier')} and "
        f"{wikilink_html('https://en.wikipedia.org/wiki/Page', 'Page')} again.</p>"
    )
    assert result.wikilinks == [
        "https://en.wikipedia.org/wiki/Page",
        "https://de.wikipedia.org/wiki/Seite",
    ]


def test_default_wiki() -> None:
    result = render("[[Seite]] [[wikt:Wort]]", default_wiki="de.wikipedia.org")
    assert result.wikilinks == [
        "https://de.wikipedia.org/wiki/Seite",
        "https://de.wiktionary.org/wiki/Wort",
    ]


def test_invalid_default_wiki_raises() -> None:
    with pytest.raises(ValueError):
        render("no links at all", default_wiki="https://en.wikipedia.org/")


@pytest.mark.parametrize(
    "source",
    [
        "[[]]",
        "[[ ]]",
        "[[|x]]",
        "[[:]]",
        "[[#Section]]",
        "[[Foo",
        "[[Foo]",
        "[[Foo\nBar]]",
        "[[Foo<b>]]",
        "[[Foo{x}]]",
        "[[Foo\x01]]",
        "[[" + "x" * 256 + "]]",
        "[[javascript:alert(1)]]",
        "[[JavaScript:alert(1)|click]]",
        "[[%6Aavascript:alert(1)|click]]",
        "[[ javascript :alert(1)]]",
        "[[w:javascript:alert(1)]]",
        "[[https://evil.example]]",
        "[[//evil.example|x]]",
        "[[mailto:a@example.org]]",
        "`[[Page]]`",
        "```\n[[Page]]\n```",
        "    [[Page]]",
        "\\[[Page]]",
        "[see [[Page]]](https://example.org)",
        "![[[Page]]](https://example.org/a.png)",
    ],
)
def test_not_wikilinks(source: str) -> None:
    result = render(source)
    assert result.wikilinks == []
    assert "wikilink" not in result.html
    assert "wikipedia.org" not in result.html
    assert (
        "javascript"
        not in "".join(
            value or "" for _tag, attrs in tags_of(result.html) for value in attrs.values()
        ).lower()
    )
    assert_safe(result.html)


def test_malformed_wikilinks_render_as_text() -> None:
    assert render("[[]] [[|x]] [[Foo").html == "<p>[[]] [[|x]] [[Foo</p>"
    assert render("[[javascript:alert(1)|click]]").html == ("<p>[[javascript:alert(1)|click]]</p>")


def test_wikilink_inside_link_text_stays_text() -> None:
    result = render("[see [[Page]]](https://example.org)")
    assert result.html == (
        f'<p><a href="https://example.org" rel="{LINK_REL}">see [[Page]]</a></p>'
    )


def test_unclosed_wikilink_before_a_good_one() -> None:
    result = render("[[Foo [[Bar]] and [[[Baz]]]")
    assert result.wikilinks == [
        "https://en.wikipedia.org/wiki/Bar",
        "https://en.wikipedia.org/wiki/Baz",
    ]
    assert result.html.startswith("<p>[[Foo <a ")
    assert "and [<a " in result.html and "</a>]</p>" in result.html


def test_markdown_link_after_wikilink_brackets() -> None:
    # [[Page]] wins over a Markdown link.
    result = render("[[Page]](https://example.org)")
    assert result.wikilinks == ["https://en.wikipedia.org/wiki/Page"]


# --- Everything together ----------------------------------------------------------------


def test_mixed_post() -> None:
    result = render(
        "Thanks @ana and @bob@remote.example for [[Wikimania]]! #WikiLove #wikilove\n\n"
        "> quoting @nobody: `@ana #code [[Code]]`\n\n"
        "- [the docs](https://example.org/#docs) by @john.doe@example.org\n"
        "- [[d:Q42|Douglas]] #42 #h2g2"
    )
    assert result.mentions == [
        MentionRef("ana"),
        MentionRef("bob", "remote.example"),
        MentionRef("john.doe", "example.org"),
    ]
    assert result.hashtags == ["wikilove", "h2g2"]
    assert result.wikilinks == [
        "https://en.wikipedia.org/wiki/Wikimania",
        "https://www.wikidata.org/wiki/Q42",
    ]
    assert "<code>@ana #code [[Code]]</code>" in result.html
    assert "quoting @nobody:" in result.html
    assert_safe(result.html)


# --- Sanitising -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ('<span class="h-card">x</span>', '<span class="h-card">x</span>'),
        ('<span class="h-card invisible">x</span>', '<span class="h-card">x</span>'),
        ('<span class="invisible">x</span>', '<span class="">x</span>'),
        ('<span style="color:red" onclick="x()" id="y">x</span>', "<span>x</span>"),
        ('<span title="t" dir="rtl" lang="de">x</span>', "<span>x</span>"),
        ('<p class="h-card" title="t" lang="de">x</p>', "<p>x</p>"),
        ('<div class="h-card">x</div>', "x"),
        (
            '<a href="https://x.example" class="u-url mention evil">x</a>',
            f'<a href="https://x.example" class="u-url mention" rel="{LINK_REL}">x</a>',
        ),
        ('<a href="/relative" class="mention">x</a>', f'<a class="mention" rel="{LINK_REL}">x</a>'),
        ("<span><script>alert(1)</script></span>", "<span></span>"),
    ],
)
def test_sanitize_post_html(dirty: str, clean: str) -> None:
    assert sanitize_post_html(dirty) == clean


def test_raw_html_in_posts_is_text() -> None:
    result = render('<span class="h-card"><a href="https://evil.example">@ana</a></span>')
    assert "<span" not in result.html
    assert "&lt;span" in result.html


# --- Hostile input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "[[" * 50_000,
        "[" * 100_000,
        "]]" * 50_000,
        "[[a]]" * 20_000,
        "[[a|" * 25_000,
        "[[a]" * 25_000,
        "@" * 100_000,
        "#" * 100_000,
        "@a " * 33_000,
        "@a@" * 33_000,
        "@a-" * 33_000,
        "@a@a-" * 20_000,
        "#a " * 33_000,
        "#" + "a" * 100_000,
        "@" + "a" * 100_000,
        "@a@" + "a" * 100_000,
        "@a@" + "a-" * 50_000,
        "[[" + "a" * 100_000 + "]]",
        "![" * 50_000,
        "![a](https://x.example/a.png) " * 3_000,
        "@a #b [[c]] " * 8_000,
        "@a\n#b\n[[c\n" * 10_000,
        " ".join(f"@u{i} #t{i} [[P{i}]]" for i in range(5_000)),
    ],
    ids=lambda source: repr(source[:12]) + f"x{len(source)}",
)
def test_huge_input_renders_quickly(source: str) -> None:
    start = time.perf_counter()
    render_post(
        source,
        resolve_mention=lambda ref: f"https://social.example/@{ref.username}",
        hashtag_url=hashtag_url,
    )
    assert time.perf_counter() - start < 5


_fragments = st.sampled_from(
    [
        "@",
        "@ana",
        "@bob@remote.example",
        "@john.doe@example.org",
        "@ana@localhost:8001",
        "@nobody",
        "#",
        "#tag",
        "#Tag",
        "#1",
        "[[",
        "]]",
        "[[Page]]",
        "[[de:Seite|x]]",
        "[[javascript:alert(1)]]",
        "|",
        ":",
        "[",
        "](",
        ")",
        "![",
        "<",
        ">",
        '"',
        "'",
        "`",
        "```",
        "*",
        "_",
        "\\",
        "\n",
        "\n\n",
        " ",
        ".",
        "/",
        "-",
        "&#35;",
        "&#106;",
        "javascript:",
        "JaVaScRiPt:",
        "vbscript:",
        "data:",
        "http://",
        "https://example.org/",
        "mailto:",
        "<script>",
        "</script>",
        "<a href=",
        "onerror=",
        "alert(1)",
        "\u200d",
        "\u200c",
        "\u202e",
        "\u0301",
        "é",
        "а",
        "%",
        "%3C",
        "\x00",
    ]
)
_postish = st.lists(st.one_of(_fragments, st.text(max_size=10)), max_size=40).map("".join)


def _resolve_any(ref: MentionRef) -> str | None:
    return f"https://social.example/@{ref.username}" if ref.username.lower() in KNOWN else None


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), _postish))
def test_render_post_is_always_safe(source: str) -> None:
    result = render_post(source, resolve_mention=_resolve_any, hashtag_url=hashtag_url)
    assert "<script" not in result.html.lower()
    for _tag, attrs in tags_of(result.html):
        for name, value in attrs.items():
            if name == "title":
                continue  # a link's title is shown as text, never followed
            assert "javascript:" not in "".join((value or "").lower().split())
    assert_safe(result.html)
    assert all(ref.username.lower() in KNOWN for ref in result.mentions)
    assert all(url.startswith("https://") for url in result.wikilinks)
