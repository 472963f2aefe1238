"""The Arabic catalog (right to left, six plural forms) is sound, compiled and wired up, and
the template helpers for right-to-left text do what they say."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests.web.test_i18n import FORMAT_FIELD, PERCENT, TEMPLATE_VAR, entries, translations
from wikisocial.web.templatetags.wikisocial_posts import ltr, text_dir

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "ar" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"
PLURAL_FORMS = "nplurals=6;plural=(n==0?0:n==1?1:n==2?2:n%100>=3&&n%100<=10?3:n%100>=11?4:5);"
# Zero, one and two may say the number in words ("ساعتان", two hours): only the count goes.
NUMBER_NAMES = {"n", "count", "counter", "minutes"}
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# What the main pages show: these must never fall back to English.
MAIN_STRINGS = [
    "Home",
    "Log in",
    "Log out",
    "Sign up",
    "Skip to main content",
    "Language",
    "Change",
    "What would you like to say?",
    "Post",
    "Notifications",
    "Settings",
    "Reply",
]


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_catalog_header(po):
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: run compilemessages -l ar"
    assert po.metadata["Language"] == "ar"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    assert po.metadata["Plural-Forms"].replace(" ", "") == PLURAL_FORMS
    assert not po.metadata_is_fuzzy
    assert ("ar", "العربية") in settings.LANGUAGES


def test_catalog_is_nearly_complete_and_the_main_pages_fully(po):
    assert po.fuzzy_entries() == []
    assert po.percent_translated() >= 95
    with translation.override("ar"):
        missing = [m for m in MAIN_STRINGS if translation.gettext(m) == m]
    assert missing == []
    plural_gaps = [
        e.msgid
        for e in entries(po)
        if e.msgid_plural and any(e.msgstr_plural.values()) and not all(e.msgstr_plural.values())
    ]
    assert plural_gaps == []


def test_committed_mo_matches_po(po):
    mo = polib.mofile(str(MO_PATH))
    translated = {k: v for k, v in translations(po).items() if v and v != ("",) * 6}
    assert translations(mo) == translated, "django.mo is stale: run compilemessages -l ar"


def variables(text: str) -> Counter[str]:
    """%(name)s, %s, {{ name }} and {name} in a message, as test_i18n counts them."""
    found: Counter[str] = Counter()
    for match in PERCENT.finditer(text):
        if match["conv"] != "%":
            name = f"({match['name']})" if match["name"] else ""
            found[f"%{name}{match['conv']}"] += 1
    found.update(f"{{{{ {name} }}}}" for name in TEMPLATE_VAR.findall(text))
    found.update(f"{{{name}}}" for name in FORMAT_FIELD.findall(TEMPLATE_VAR.sub("", text)))
    return found


def _name(variable: str) -> str | None:
    match = re.fullmatch(r"%\((\w+)\)\w", variable)
    return match[1] if match else None


def test_variables_and_tags_are_kept(po):
    wrong = []
    for entry in entries(po):
        if not entry.translated():
            continue
        if entry.msgid_plural:
            plural = set(variables(entry.msgid_plural))
            allowed = set(variables(entry.msgid)) | plural
            for index, form in entry.msgstr_plural.items():
                have = set(variables(form))
                missing = plural - have
                if index <= 2:
                    missing = {p for p in missing if _name(p) not in NUMBER_NAMES}
                if have - allowed or missing:
                    wrong.append((entry.msgid_plural, index, form))
                if sorted(HTML_TAG.findall(form)) != sorted(HTML_TAG.findall(entry.msgid_plural)):
                    wrong.append((entry.msgid_plural, index, form))
        else:
            if variables(entry.msgstr) != variables(entry.msgid):
                wrong.append((entry.msgid, entry.msgstr))
            if sorted(HTML_TAG.findall(entry.msgstr)) != sorted(HTML_TAG.findall(entry.msgid)):
                wrong.append((entry.msgid, entry.msgstr))
    assert wrong == []


def test_python_format_entries_really_format(po):
    for entry in entries(po):
        if "python-format" not in entry.flags or not entry.translated():
            continue
        sources = f"{entry.msgid} {entry.msgid_plural or ''}"
        values = {m["name"]: 1 for m in PERCENT.finditer(sources) if m["name"]}
        for form in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            form % values


def test_plurals_choose_the_arabic_forms():
    with translation.override("ar"):
        hours = [
            translation.ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
            for n in (1, 2, 3, 11, 100)
        ]
    assert len(set(hours)) == 5, hours  # one, two, few, many, other
    assert "2" not in hours[1], hours  # two is said in one word, the dual
    assert "3" in hours[2] and "11" in hours[3] and "100" in hours[4]


# --- through HTTP --------------------------------------------------------------------------


@pytest.mark.django_db
def test_accept_language_renders_arabic_right_to_left(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    with translation.override("ar"):
        assert translation.gettext("Log in") in html
        assert translation.gettext("Skip to main content") in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_the_language_switcher_offers_every_language_and_switches_to_arabic(client):
    html = client.get("/").content.decode()
    options = re.findall(r'<option value="(\w+)" lang="\w+"', html)
    assert options == [code for code, _name in settings.LANGUAGES]
    assert 'lang="ar">العربيّة</option>' in html
    response = client.post(reverse("web:set-language"), {"language": "ar", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    assert '<html lang="ar" dir="rtl">' in client.get("/").content.decode()


# --- template helpers ----------------------------------------------------------------------


def test_text_dir_follows_the_language():
    assert text_dir("ar") == "rtl"
    assert text_dir("he") == "rtl"
    assert text_dir("fa-IR") == "rtl"
    assert text_dir("ur_PK") == "rtl"
    assert text_dir("en") == "auto"
    assert text_dir("") == "auto"
    assert text_dir(None) == "auto"


def test_ltr_isolates_and_escapes():
    assert ltr("@ana@example.org") == '<span dir="ltr">@ana@example.org</span>'
    assert ltr("<b>") == '<span dir="ltr">&lt;b&gt;</span>'
    rendered = Template(
        "{% load i18n wikisocial_posts %}"
        "{% blocktranslate with handle=handle|ltr %}Replying to {{ handle }}{% endblocktranslate %}"
    ).render(Context({"handle": "@ana<x>"}))
    assert rendered == 'Replying to <span dir="ltr">@ana&lt;x&gt;</span>'
