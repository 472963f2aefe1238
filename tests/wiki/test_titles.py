"""Page titles as MediaWiki spells them, and what may not be a title."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from wikisocial.wiki import titles


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("rules", "Rules"),
        ("  code_of__conduct  ", "Code of conduct"),
        ("Events/2027/venue", "Events/2027/venue"),
        ("ßtraße", "ßtraße"),  # "ß".upper() is two letters: kept as it is
        ("élan", "Élan"),
        (":Help", "Help"),
        ("a\u00a0\u2003b", "A b"),
        ("e\u0301", unicodedata.normalize("NFC", "E\u0301")),
        ("\u202eevil", "Evil"),
    ],
)
def test_normalize(raw, title):
    assert titles.normalize(raw) == title


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "a#b",
        "a<b",
        "a>b",
        "a[b",
        "a]b",
        "a|b",
        "a{b",
        "a}b",
        "a\x00b",
        "a\x07b",
        "/Leading",
        "Trailing/",
        "A//B",
        "A/./B",
        "A/../B",
        "..",
        "Special:RecentChanges",
        "special:x",
        "x" * 256,
    ],
)
def test_refused(raw):
    with pytest.raises(ValidationError):
        titles.normalize(raw)
    assert titles.try_normalize(raw) is None


def test_forbidden_characters_are_named():
    with pytest.raises(ValidationError) as error:
        titles.normalize("a[b]#")
    assert "# [ ]" in error.value.messages[0]


def test_longest_title():
    assert titles.normalize("x" * 255) == "X" + "x" * 254


def test_key_is_casefolded():
    assert titles.title_key("Rules of the Road") == titles.title_key("Rules of the road")
    assert titles.title_key("Straße") == "strasse"


def test_url_title_and_subpage_helpers():
    assert titles.url_title("Code of conduct") == "Code_of_conduct"
    assert titles.is_subpage("Events/2027")
    assert not titles.is_subpage("Events")
    assert titles.parent_of("Events/2027/Venue") == "Events/2027"
    assert titles.parent_of("Events") is None
    assert titles.root_of("Events/2027/Venue") == "Events"


@pytest.mark.parametrize(
    ("current", "target", "resolved"),
    [
        ("Events/2027", "/Venue", "Events/2027/Venue"),
        ("Events/2027", "/Venue/", "Events/2027/Venue"),
        ("Events/2027", "../Budget", "Events/Budget"),
        ("Events/2027/Venue", "../../Rules", "Events/Rules"),
        ("Events/2027", "../", "Events"),
        ("Events", "../Budget", None),
    ],
)
def test_relative_links(current, target, resolved):
    assert titles.resolve_relative(current, target) == resolved


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalize_is_idempotent_or_refuses(raw):
    try:
        title = titles.normalize(raw)
    except ValidationError:
        return
    assert titles.normalize(title) == title
    assert len(title) <= titles.MAX_LENGTH
    assert not set(title) & titles.FORBIDDEN
