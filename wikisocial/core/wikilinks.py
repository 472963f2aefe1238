"""Wikilinks: ``[[Page]]``, ``[[de:Seite]]``, ``[[commons:File:X.jpg]]`` … as absolute URLs.

The prefix tables follow Wikimedia's interwiki map for the prefixes people actually type. Prefixes
are case-insensitive and may be chained as MediaWiki does for the common cases: a project prefix
and a language prefix in either order (``[[wikt:de:Wort]]``, ``[[de:wikt:Wort]]``), or one prefix
naming a single wiki (``[[commons:…]]``, ``[[d:Q42]]``, ``[[phab:T123]]``). Anything else before
a colon is part of the page title (``[[Help:Contents]]``, ``[[Category:Foo]]``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, unquote

from babel import Locale

__all__ = [
    "MAX_TARGET_LENGTH",
    "MULTILINGUAL_PROJECTS",
    "PROJECT_PREFIXES",
    "SITE_PREFIXES",
    "WIKIMEDIA_LANGUAGE_CODES",
    "display_target",
    "is_language_code",
    "normalize_wiki_host",
    "pipe_trick_label",
    "wikilink_url",
]

MAX_TARGET_LENGTH = 255

# Projects with one wiki per language: {language}.{project}.org
MULTILINGUAL_PROJECTS = frozenset(
    {
        "wikipedia",
        "wiktionary",
        "wikibooks",
        "wikinews",
        "wikiquote",
        "wikisource",
        "wikiversity",
        "wikivoyage",
    }
)
# Wiktionary keeps the first letter of titles as typed; the others upper-case it.
_CASE_SENSITIVE_PROJECTS = frozenset({"wiktionary"})

PROJECT_PREFIXES: dict[str, str] = {
    "w": "wikipedia",
    "wikipedia": "wikipedia",
    "wikt": "wiktionary",
    "wiktionary": "wiktionary",
    "b": "wikibooks",
    "wikibooks": "wikibooks",
    "n": "wikinews",
    "wikinews": "wikinews",
    "q": "wikiquote",
    "wikiquote": "wikiquote",
    "s": "wikisource",
    "wikisource": "wikisource",
    "v": "wikiversity",
    "wikiversity": "wikiversity",
    "voy": "wikivoyage",
    "wikivoyage": "wikivoyage",
}

# Prefixes naming exactly one wiki.
SITE_PREFIXES: dict[str, str] = {
    "commons": "commons.wikimedia.org",
    "c": "commons.wikimedia.org",
    "m": "meta.wikimedia.org",
    "meta": "meta.wikimedia.org",
    "mw": "www.mediawiki.org",
    "mediawikiwiki": "www.mediawiki.org",
    "d": "www.wikidata.org",
    "wikidata": "www.wikidata.org",
    "species": "species.wikimedia.org",
    "wikispecies": "species.wikimedia.org",
    "wikitech": "wikitech.wikimedia.org",
    "foundation": "foundation.wikimedia.org",
    "wmf": "foundation.wikimedia.org",
    "outreach": "outreach.wikimedia.org",
    "incubator": "incubator.wikimedia.org",
}

_PHABRICATOR_PREFIXES = frozenset({"phab", "phabricator"})

# On its own wiki, a project's name is the project namespace: on Wikipedia,
# [[Wikipedia:Village pump]] is a page there, on Commons [[Commons:Licensing]].
_PROJECT_NAMESPACE_PREFIXES = frozenset(
    {
        *MULTILINGUAL_PROJECTS,
        "commons",
        "meta",
        "wikidata",
        "wikispecies",
        "wikitech",
        "incubator",
    }
)
_PHABRICATOR_URL = "https://phabricator.wikimedia.org/"

# Wikipedia language codes that are not ISO codes babel knows (or that babel spells otherwise).
WIKIMEDIA_LANGUAGE_CODES = frozenset(
    {
        # Wikimedia's own codes
        "simple",
        "be-tarask",
        "zh-yue",
        "zh-min-nan",
        "zh-classical",
        "als",
        "bat-smg",
        "fiu-vro",
        "roa-rup",
        "map-bms",
        "nds-nl",
        "cbk-zam",
        "roa-tara",
        # Wikipedias whose codes are missing from babel's English language names
        "ami",
        "azb",
        "bcl",
        "bh",
        "cdo",
        "dag",
        "diq",
        "dty",
        "eml",
        "gcr",
        "gom",
        "guw",
        "hyw",
        "kbp",
        "lbe",
        "lld",
        "mhr",
        "mnw",
        "nah",
        "nrm",
        "olo",
        "pih",
        "pnb",
        "rmy",
        "skr",
        "szy",
        "tay",
    }
)

_LANGUAGE_CODE_RE = re.compile(r"[a-z]{2,3}(?:-[a-z]+)*")
_PREFIX_RE = re.compile(r"\s*([A-Za-z][A-Za-z-]*)\s*:")
# MediaWiki treats runs of these as one space (shown as "_" in URLs).
_SPACES_RE = re.compile(r"[ _\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# Directional marks and overrides: MediaWiki strips them from titles.
_BIDI_RE = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_CHARS = frozenset("<>[]{}|\ufffd")
_HOST_RE = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::[0-9]{1,5})?"
)
_MULTILINGUAL_HOST_RE = re.compile(r"([a-z0-9-]+)\.([a-z]+)\.org")
# A target starting with one of these is a URL (or a trick), never a page; like MediaWiki's
# $wgUrlProtocols, plus script schemes. Any "scheme://" counts too. ("File:" and "Data:" are
# namespaces, and our links only ever use https, so those stay titles.)
_URL_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "livescript",
        "mailto",
        "news",
        "tel",
        "sms",
        "geo",
        "urn",
        "magnet",
        "xmpp",
        "sip",
        "sips",
        "bitcoin",
        "matrix",
    }
)
_SCHEME_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*)\s*:(\s*//)?")
# Canonical namespace names: ``[[help:contents]]`` links to ``Help:Contents``.
_NAMESPACES = {
    name.lower(): name
    for name in (
        "Talk",
        "User",
        "User talk",
        "Project",
        "Project talk",
        "File",
        "File talk",
        "Image",
        "MediaWiki",
        "MediaWiki talk",
        "Template",
        "Template talk",
        "Help",
        "Help talk",
        "Category",
        "Category talk",
        "Portal",
        "Portal talk",
        "Draft",
        "Draft talk",
        "Module",
        "Module talk",
        "Special",
        "Media",
        "Wikipedia",
        "Wikipedia talk",
    )
}
# MediaWiki's URL encoding keeps these readable (wfUrlencode).
_TITLE_SAFE = ";@$!*(),/~:"


@cache
def _babel_language_codes() -> frozenset[str]:
    codes = set()
    for key in Locale("en").languages:
        code = key.lower().replace("_", "-")
        # Regional variants (en-gb, de-ch, zh-hant …) have no wikis of their own.
        if "-" not in code and _LANGUAGE_CODE_RE.fullmatch(code):
            codes.add(code)
    return frozenset(codes)


def is_language_code(code: str) -> bool:
    """Whether ``code`` (lower-case) works as a Wikimedia language prefix like ``de`` or
    ``zh-min-nan``."""
    if code in WIKIMEDIA_LANGUAGE_CODES:
        return True
    return _LANGUAGE_CODE_RE.fullmatch(code) is not None and code in _babel_language_codes()


@dataclass(frozen=True)
class _Site:
    host: str
    project: str | None  # one of MULTILINGUAL_PROJECTS, or None for single wikis
    language: str  # language used for project-only prefixes such as wikt:


def normalize_wiki_host(host: str) -> str:
    """``host`` lower-cased ("en.wikipedia.org", "localhost:8080"); ValueError if it is not
    a host name."""
    normalized = host.strip().lower() if isinstance(host, str) else ""
    if not _HOST_RE.fullmatch(normalized):
        raise ValueError(f"Not a wiki host name: {host!r}")
    return normalized


@cache
def _default_site(default_wiki: str) -> _Site:
    host = normalize_wiki_host(default_wiki)
    match = _MULTILINGUAL_HOST_RE.fullmatch(host)
    if match and match[2] in MULTILINGUAL_PROJECTS and is_language_code(match[1]):
        return _Site(host, match[2], match[1])
    return _Site(host, None, "en")


@dataclass(frozen=True)
class _Target:
    host: str | None  # None: Phabricator
    case_sensitive: bool
    title: str  # as typed, after the prefixes
    interwiki: bool  # at least one prefix was used


def _names_site(prefix: str, site: _Site) -> bool:
    if prefix in SITE_PREFIXES:
        return SITE_PREFIXES[prefix] == site.host
    return PROJECT_PREFIXES.get(prefix) == site.project


def _split_prefixes(text: str, site: _Site) -> _Target:
    project, language = site.project, site.language
    seen_project = seen_language = False
    rest = text
    while True:
        match = _PREFIX_RE.match(rest)
        if not match:
            break
        prefix = match[1].lower()
        first = not (seen_project or seen_language)
        if first and prefix in _PROJECT_NAMESPACE_PREFIXES and _names_site(prefix, site):
            break
        if first and prefix in _PHABRICATOR_PREFIXES:
            return _Target(None, True, rest[match.end() :], True)
        if first and prefix in SITE_PREFIXES:
            return _Target(SITE_PREFIXES[prefix], False, rest[match.end() :], True)
        if prefix in PROJECT_PREFIXES and not seen_project:
            project = PROJECT_PREFIXES[prefix]
            seen_project = True
        elif is_language_code(prefix) and not seen_language:
            language = prefix
            seen_language = True
            # On Commons, Meta … a language prefix means that language's Wikipedia.
            project = project or "wikipedia"
        else:
            break
        rest = rest[match.end() :]
    if not (seen_project or seen_language):
        return _Target(site.host, site.project in _CASE_SENSITIVE_PROJECTS, text, False)
    return _Target(f"{language}.{project}.org", project in _CASE_SENSITIVE_PROJECTS, rest, True)


def _upper_first(text: str) -> str:
    if not text:
        return text
    upper = text[0].upper()
    # "ß".upper() == "SS": MediaWiki keeps such letters as they are.
    return (upper if len(upper) == 1 else text[0]) + text[1:]


def _normalise_spaces(text: str) -> str:
    return _SPACES_RE.sub("_", text).strip("_")


def _canonical_title(title: str, case_sensitive: bool) -> str:
    if case_sensitive:
        return title
    namespace, colon, rest = title.partition(":")
    canonical = _NAMESPACES.get(namespace.replace("_", " ").lower()) if colon else None
    if canonical and rest:
        return f"{canonical.replace(' ', '_')}:{_upper_first(rest.lstrip('_'))}"
    return _upper_first(title)


_SCRIPT_SCHEME_RE = re.compile(r"(?:java|vb|live)script:", re.IGNORECASE)


def _is_url_like(text: str) -> bool:
    # A script scheme anywhere is refused too ("[[Foo javascript:x]]" is no title anyone
    # means), so no link we make ever contains one.
    if _SCRIPT_SCHEME_RE.search("".join(text.split())):
        return True
    stripped = text.lstrip()
    if stripped.startswith("//"):
        return True
    match = _SCHEME_RE.match(stripped)
    return match is not None and (match[2] is not None or match[1].lower() in _URL_SCHEMES)


def _is_relative_path(title: str) -> bool:
    return (
        title in {".", ".."}
        or title.startswith(("./", "../"))
        or "/./" in title
        or "/../" in title
        or title.endswith(("/.", "/.."))
    )


def _clean_target(target: str) -> str | None:
    """The target with percent-escapes decoded and bidi marks removed; None if unusable."""
    if not target or len(target) > MAX_TARGET_LENGTH:
        return None
    if "%" in target:
        # As MediaWiki does: [[Caf%C3%A9]] is [[Café]]. Checked again below, so an escaped
        # "<" or newline cannot sneak in.
        target = unquote(target)
    target = _BIDI_RE.sub("", target)
    for char in target:
        if char in _FORBIDDEN_CHARS or unicodedata.category(char) in {"Cc", "Cs"}:
            return None
    target = target.strip()
    if target.startswith(":"):
        target = target[1:].lstrip()
    if not target or _is_url_like(target):
        return None
    return target


def wikilink_url(target: str, default_wiki: str = "en.wikipedia.org") -> str | None:
    """The absolute URL a wikilink target points to, or None if the target is malformed.

    ``default_wiki`` is a host such as ``en.wikipedia.org``: unprefixed targets link there,
    and its language is used for project prefixes such as ``wikt:``. Raises ValueError if it
    is not a host name.
    """
    site = _default_site(default_wiki)
    cleaned = _clean_target(target)
    if cleaned is None:
        return None
    parsed = _split_prefixes(cleaned, site)
    title, _, fragment = parsed.title.partition("#")
    title = _normalise_spaces(title)
    fragment = _normalise_spaces(fragment)
    if _is_url_like(title) or title.startswith(":"):
        return None
    if parsed.host is None:
        url = _PHABRICATOR_URL + quote(title, safe=_TITLE_SAFE)
        return url + (f"#{quote(fragment, safe=_TITLE_SAFE)}" if fragment else "")
    if not title:
        # [[de:]] is the main page of German Wikipedia; [[#Section]] has no page to go to.
        return f"https://{parsed.host}/wiki/" if parsed.interwiki and not fragment else None
    if _is_relative_path(title):
        return None
    title = _canonical_title(title, parsed.case_sensitive)
    url = f"https://{parsed.host}/wiki/{quote(title, safe=_TITLE_SAFE)}"
    if fragment:
        url += f"#{quote(fragment, safe=_TITLE_SAFE)}"
    return url


_PARENTHETICAL_RE = re.compile(r"\s*\([^()]*\)\s*$")


def pipe_trick_label(target: str, default_wiki: str = "en.wikipedia.org") -> str:
    """The label MediaWiki's "pipe trick" gives ``[[target|]]``: no prefixes, no namespace,
    no trailing parenthetical (``[[w:de:Help:Foo (bar)|]]`` → ``Foo``)."""
    cleaned = _clean_target(target) or target
    title = _split_prefixes(cleaned, _default_site(default_wiki)).title
    namespace, colon, rest = title.partition(":")
    namespace = _normalise_spaces(namespace).replace("_", " ").lower()
    if colon and rest.strip() and namespace in _NAMESPACES:
        title = rest
    stripped = _PARENTHETICAL_RE.sub("", title).strip()
    return stripped or title.strip()


def display_target(target: str) -> str:
    """How ``[[target]]`` reads without a label: as typed, minus a leading colon and bidi
    controls."""
    text = _BIDI_RE.sub("", target).strip()
    return text[1:].lstrip() if text.startswith(":") else text
