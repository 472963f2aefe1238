import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wikisocial.core.wikilinks import (
    display_target,
    is_language_code,
    normalize_wiki_host,
    pipe_trick_label,
    wikilink_url,
)


@pytest.mark.parametrize(
    ("target", "url"),
    [
        # The default wiki
        ("Page", "https://en.wikipedia.org/wiki/Page"),
        ("page", "https://en.wikipedia.org/wiki/Page"),
        ("Main Page", "https://en.wikipedia.org/wiki/Main_Page"),
        ("  Main   Page  ", "https://en.wikipedia.org/wiki/Main_Page"),
        ("Main_Page", "https://en.wikipedia.org/wiki/Main_Page"),
        ("Page#Section", "https://en.wikipedia.org/wiki/Page#Section"),
        ("Page#Some section", "https://en.wikipedia.org/wiki/Page#Some_section"),
        ("Page#", "https://en.wikipedia.org/wiki/Page"),
        ("éclair", "https://en.wikipedia.org/wiki/%C3%89clair"),
        ("Straße", "https://en.wikipedia.org/wiki/Stra%C3%9Fe"),
        ("ßtraße", "https://en.wikipedia.org/wiki/%C3%9Ftra%C3%9Fe"),  # no "SS"
        ("Tōkyō", "https://en.wikipedia.org/wiki/T%C5%8Dky%C5%8D"),
        ("Caf%C3%A9", "https://en.wikipedia.org/wiki/Caf%C3%A9"),  # decoded like MediaWiki
        ("100%", "https://en.wikipedia.org/wiki/100%25"),
        # Readable punctuation, escaped specials
        ("AC/DC", "https://en.wikipedia.org/wiki/AC/DC"),
        ("Paris, Texas", "https://en.wikipedia.org/wiki/Paris,_Texas"),
        ("Mercury (planet)", "https://en.wikipedia.org/wiki/Mercury_(planet)"),
        ("Who?", "https://en.wikipedia.org/wiki/Who%3F"),
        ("AT&T", "https://en.wikipedia.org/wiki/AT%26T"),
        ("C++", "https://en.wikipedia.org/wiki/C%2B%2B"),
        ("Don't", "https://en.wikipedia.org/wiki/Don%27t"),
        ('Say "hi"', "https://en.wikipedia.org/wiki/Say_%22hi%22"),
        ("A?b&c#d e", "https://en.wikipedia.org/wiki/A%3Fb%26c#d_e"),
        ("Page#a#b", "https://en.wikipedia.org/wiki/Page#a%23b"),
        # Namespaces are titles, not interwiki prefixes
        ("Help:Contents", "https://en.wikipedia.org/wiki/Help:Contents"),
        ("help:contents", "https://en.wikipedia.org/wiki/Help:Contents"),
        ("File:X.jpg", "https://en.wikipedia.org/wiki/File:X.jpg"),
        ("Category:Living people", "https://en.wikipedia.org/wiki/Category:Living_people"),
        ("Wikipedia:Village pump", "https://en.wikipedia.org/wiki/Wikipedia:Village_pump"),
        ("User:Jimbo Wales", "https://en.wikipedia.org/wiki/User:Jimbo_Wales"),
        ("user talk:jimbo", "https://en.wikipedia.org/wiki/User_talk:Jimbo"),
        ("Template:Cite web", "https://en.wikipedia.org/wiki/Template:Cite_web"),
        ("Star Wars: A New Hope", "https://en.wikipedia.org/wiki/Star_Wars:_A_New_Hope"),
        ("Foo:bar", "https://en.wikipedia.org/wiki/Foo:bar"),
        ("Data:x.tab", "https://en.wikipedia.org/wiki/Data:x.tab"),
        # Language prefixes
        ("de:Seite", "https://de.wikipedia.org/wiki/Seite"),
        ("DE:Seite", "https://de.wikipedia.org/wiki/Seite"),
        ("de : Seite", "https://de.wikipedia.org/wiki/Seite"),
        (":en:Foo", "https://en.wikipedia.org/wiki/Foo"),
        (":de:Seite", "https://de.wikipedia.org/wiki/Seite"),
        ("fr:paris", "https://fr.wikipedia.org/wiki/Paris"),
        ("de:Hilfe:Inhalt", "https://de.wikipedia.org/wiki/Hilfe:Inhalt"),
        ("ja:東京", "https://ja.wikipedia.org/wiki/%E6%9D%B1%E4%BA%AC"),
        ("simple:Earth", "https://simple.wikipedia.org/wiki/Earth"),
        ("be-tarask:Менск", "https://be-tarask.wikipedia.org/wiki/%D0%9C%D0%B5%D0%BD%D1%81%D0%BA"),
        ("zh-yue:X", "https://zh-yue.wikipedia.org/wiki/X"),
        ("zh-min-nan:X", "https://zh-min-nan.wikipedia.org/wiki/X"),
        ("zh-classical:X", "https://zh-classical.wikipedia.org/wiki/X"),
        ("als:X", "https://als.wikipedia.org/wiki/X"),
        ("bat-smg:X", "https://bat-smg.wikipedia.org/wiki/X"),
        ("fiu-vro:X", "https://fiu-vro.wikipedia.org/wiki/X"),
        ("roa-rup:X", "https://roa-rup.wikipedia.org/wiki/X"),
        ("map-bms:X", "https://map-bms.wikipedia.org/wiki/X"),
        ("nds-nl:X", "https://nds-nl.wikipedia.org/wiki/X"),
        ("cbk-zam:X", "https://cbk-zam.wikipedia.org/wiki/X"),
        ("roa-tara:X", "https://roa-tara.wikipedia.org/wiki/X"),
        ("sco:X", "https://sco.wikipedia.org/wiki/X"),
        ("de:", "https://de.wikipedia.org/wiki/"),  # the main page
        # Projects
        ("w:Foo", "https://en.wikipedia.org/wiki/Foo"),
        ("wikipedia:fr:Paris", "https://en.wikipedia.org/wiki/Wikipedia:Fr:Paris"),  # namespace
        ("w:fr:Paris", "https://fr.wikipedia.org/wiki/Paris"),
        ("wikt:word", "https://en.wiktionary.org/wiki/word"),  # case-sensitive
        ("wiktionary:Word", "https://en.wiktionary.org/wiki/Word"),
        ("wikt:de:Wort", "https://de.wiktionary.org/wiki/Wort"),
        ("wikt:de:wort", "https://de.wiktionary.org/wiki/wort"),
        ("de:wikt:Wort", "https://de.wiktionary.org/wiki/Wort"),
        ("s:Foo", "https://en.wikisource.org/wiki/Foo"),
        ("s:de:Faust", "https://de.wikisource.org/wiki/Faust"),
        ("q:Albert Einstein", "https://en.wikiquote.org/wiki/Albert_Einstein"),
        ("b:Cookbook", "https://en.wikibooks.org/wiki/Cookbook"),
        ("n:Main Page", "https://en.wikinews.org/wiki/Main_Page"),
        ("v:Topic", "https://en.wikiversity.org/wiki/Topic"),
        ("voy:Berlin", "https://en.wikivoyage.org/wiki/Berlin"),
        ("voy:de:Berlin", "https://de.wikivoyage.org/wiki/Berlin"),
        # Single wikis
        ("commons:File:X.jpg", "https://commons.wikimedia.org/wiki/File:X.jpg"),
        ("c:File:X.jpg", "https://commons.wikimedia.org/wiki/File:X.jpg"),
        ("Commons:Village pump", "https://commons.wikimedia.org/wiki/Village_pump"),
        ("d:Q42", "https://www.wikidata.org/wiki/Q42"),
        ("d:q42", "https://www.wikidata.org/wiki/Q42"),
        ("wikidata:Property:P31", "https://www.wikidata.org/wiki/Property:P31"),
        ("m:Main Page", "https://meta.wikimedia.org/wiki/Main_Page"),
        ("meta:Wikimedia Forum", "https://meta.wikimedia.org/wiki/Wikimedia_Forum"),
        ("mw:Extension:Cite", "https://www.mediawiki.org/wiki/Extension:Cite"),
        ("species:Homo sapiens", "https://species.wikimedia.org/wiki/Homo_sapiens"),
        ("wikitech:Server admin log", "https://wikitech.wikimedia.org/wiki/Server_admin_log"),
        ("foundation:Policy:Privacy", "https://foundation.wikimedia.org/wiki/Policy:Privacy"),
        ("wmf:Policy:Privacy", "https://foundation.wikimedia.org/wiki/Policy:Privacy"),
        ("outreach:Education", "https://outreach.wikimedia.org/wiki/Education"),
        ("incubator:Wp/nys/Foo", "https://incubator.wikimedia.org/wiki/Wp/nys/Foo"),
        ("m:de:Foo", "https://meta.wikimedia.org/wiki/De:Foo"),  # a page title on Meta
        # Phabricator
        ("phab:T123", "https://phabricator.wikimedia.org/T123"),
        ("phabricator:T123", "https://phabricator.wikimedia.org/T123"),
        ("phab:T123#456", "https://phabricator.wikimedia.org/T123#456"),
    ],
)
def test_wikilink_url(target: str, url: str) -> None:
    assert wikilink_url(target) == url


@pytest.mark.parametrize(
    ("default_wiki", "target", "url"),
    [
        ("de.wikipedia.org", "Seite", "https://de.wikipedia.org/wiki/Seite"),
        ("de.wikipedia.org", "wikt:Wort", "https://de.wiktionary.org/wiki/Wort"),
        ("de.wikipedia.org", "en:Foo", "https://en.wikipedia.org/wiki/Foo"),
        ("de.wiktionary.org", "wort", "https://de.wiktionary.org/wiki/wort"),
        ("de.wiktionary.org", "w:Foo", "https://de.wikipedia.org/wiki/Foo"),
        ("fr.wikisource.org", "Foo", "https://fr.wikisource.org/wiki/Foo"),
        ("fr.wikisource.org", "w:Foo", "https://fr.wikipedia.org/wiki/Foo"),
        ("EN.Wikipedia.org", "Foo", "https://en.wikipedia.org/wiki/Foo"),
        ("commons.wikimedia.org", "File:X.jpg", "https://commons.wikimedia.org/wiki/File:X.jpg"),
        ("commons.wikimedia.org", "de:Seite", "https://de.wikipedia.org/wiki/Seite"),
        ("commons.wikimedia.org", "wikt:foo", "https://en.wiktionary.org/wiki/foo"),
        ("meta.wikimedia.org", "Foo", "https://meta.wikimedia.org/wiki/Foo"),
        # A project's own name is its project namespace there
        (
            "commons.wikimedia.org",
            "Commons:Licensing",
            "https://commons.wikimedia.org/wiki/Commons:Licensing",
        ),
        ("commons.wikimedia.org", "c:File:X.jpg", "https://commons.wikimedia.org/wiki/File:X.jpg"),
        ("meta.wikimedia.org", "Meta:Babel", "https://meta.wikimedia.org/wiki/Meta:Babel"),
        (
            "www.wikidata.org",
            "Wikidata:Project chat",
            "https://www.wikidata.org/wiki/Wikidata:Project_chat",
        ),
        ("de.wiktionary.org", "Wiktionary:Foo", "https://de.wiktionary.org/wiki/Wiktionary:Foo"),
        ("de.wikipedia.org", "Wikipedia:Café", "https://de.wikipedia.org/wiki/Wikipedia:Caf%C3%A9"),
        ("de.wikipedia.org", "wikt:Wort", "https://de.wiktionary.org/wiki/Wort"),
        ("de.wiktionary.org", "Wikipedia:Foo", "https://de.wikipedia.org/wiki/Foo"),
        ("www.wikidata.org", "Q42", "https://www.wikidata.org/wiki/Q42"),
        ("wiki.example.org", "Foo", "https://wiki.example.org/wiki/Foo"),
        ("localhost:8080", "Foo", "https://localhost:8080/wiki/Foo"),
    ],
)
def test_default_wiki(default_wiki: str, target: str, url: str) -> None:
    assert wikilink_url(target, default_wiki) == url


@pytest.mark.parametrize(
    "target",
    [
        "",
        " ",
        ":",
        "::Foo",
        "#Section",  # no page to be on
        "Foo|bar",
        "Foo<bar",
        "Foo>bar",
        "Foo[bar",
        "Foo]bar",
        "Foo{bar",
        "Foo}bar",
        "Foo\nbar",
        "Foo\tbar",
        "Foo\x00bar",
        "Foo\x7fbar",
        "Foo%3Cbar",  # escaped "<" is still "<"
        "Foo%0Abar",
        "Foo%7Cbar",
        "x" * 256,
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript :alert(1)",
        "%6Aavascript:alert(1)",
        "vbscript:msgbox",
        "de:javascript:alert(1)",
        "w:javascript:alert(1)",
        "Foo javascript:alert(1)",
        "http://evil.example",
        "https://evil.example",
        "HTTPS://evil.example",
        "ftp://evil.example",
        "//evil.example",
        "mailto:someone@example.org",
        "de:https://evil.example",
        ".",
        "..",
        "../etc",
        "Foo/../Bar",
        "Foo/.",
        "Foo\ufffd",
    ],
)
def test_malformed_targets(target: str) -> None:
    assert wikilink_url(target) is None


def test_hidden_script_scheme_is_only_a_title() -> None:
    url = wikilink_url("java\u200bscript:x")
    assert url == "https://en.wikipedia.org/wiki/Java%E2%80%8Bscript:x"


def test_long_but_allowed_target() -> None:
    assert wikilink_url("x" * 255) == "https://en.wikipedia.org/wiki/X" + "x" * 254


def test_bidi_controls_are_dropped_from_titles() -> None:
    assert wikilink_url("Foo\u202ebar") == "https://en.wikipedia.org/wiki/Foobar"
    assert wikilink_url("\u200fde:Seite") == "https://de.wikipedia.org/wiki/Seite"


def test_joiners_stay_in_titles() -> None:
    # Persian needs the zero-width non-joiner.
    assert wikilink_url("fa:می\u200cخواهم") == (
        "https://fa.wikipedia.org/wiki/%D9%85%DB%8C%E2%80%8C%D8%AE%D9%88%D8%A7%D9%87%D9%85"
    )


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("de", True),
        ("en", True),
        ("sco", True),
        ("yue", True),
        ("simple", True),
        ("be-tarask", True),
        ("zh-min-nan", True),
        ("als", True),
        ("hyw", True),
        ("en-gb", False),  # regional variants have no wikis
        ("zh-hant", False),
        ("help", False),
        ("file", False),
        ("user", False),
        ("xx", False),
        ("d", False),
        ("", False),
    ],
)
def test_is_language_code(code: str, known: bool) -> None:
    assert is_language_code(code) is known


@pytest.mark.parametrize(
    "host", ["", "not a host", "https://en.wikipedia.org", "en.wikipedia.org/"]
)
def test_invalid_default_wiki(host: str) -> None:
    with pytest.raises(ValueError):
        normalize_wiki_host(host)
    with pytest.raises(ValueError):
        wikilink_url("Foo", host)


def test_normalize_wiki_host() -> None:
    assert normalize_wiki_host(" En.Wikipedia.ORG ") == "en.wikipedia.org"


@pytest.mark.parametrize(
    ("target", "label"),
    [
        ("Foo", "Foo"),
        ("Help:Foo (bar)", "Foo"),
        ("w:de:Help:Foo (bar)", "Foo"),
        ("de:Paris (Texas)", "Paris"),
        ("Star Wars: A New Hope", "Star Wars: A New Hope"),
        ("Category:Living people", "Living people"),
    ],
)
def test_pipe_trick_label(target: str, label: str) -> None:
    assert pipe_trick_label(target) == label


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        (":en:Foo", "en:Foo"),
        ("  Foo ", "Foo"),
        ("Foo\u202ebar", "Foobar"),
        ("de:Seite", "de:Seite"),
    ],
)
def test_display_target(target: str, shown: str) -> None:
    assert display_target(target) == shown


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.from_regex(r"[:a-z]{0,8}:[^\n]{0,20}", fullmatch=True)))
def test_wikilink_url_never_raises_and_is_absolute(target: str) -> None:
    url = wikilink_url(target)
    if url is not None:
        assert url.startswith(("https://", "https://phabricator.wikimedia.org/"))
        assert not any(char.isspace() or char in "<>\"'" for char in url)
        assert "javascript:" not in url.lower()
