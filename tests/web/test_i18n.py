"""The Spanish catalog is complete, compiled and wired up: Accept-Language, the language
switcher and form errors all come out in Spanish."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "es" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s and friends, bare %s / %d, template variables {{ name }} and str.format's {name}.
PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]+)\))?[#0\- +]*\d*(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])"
)
TEMPLATE_VAR = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
FORMAT_FIELD = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def entries(catalog: polib._BaseFile) -> list[polib._BaseEntry]:
    return [e for e in catalog if not e.obsolete]


def placeholders(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for match in PERCENT.finditer(text):
        if match["conv"] == "%":
            continue  # a literal "%%"
        found[f"%({match['name']}){match['conv']}" if match["name"] else f"%{match['conv']}"] += 1
    found.update(f"{{{{ {name} }}}}" for name in TEMPLATE_VAR.findall(text))
    found.update(f"{{{name}}}" for name in FORMAT_FIELD.findall(TEMPLATE_VAR.sub("", text)))
    return found


def translations(catalog: polib._BaseFile) -> dict[tuple[str | None, str], object]:
    mapping: dict[tuple[str | None, str], object] = {}
    for entry in entries(catalog):
        if entry.msgid_plural:
            value: object = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            value = entry.msgstr
        mapping[(entry.msgctxt, entry.msgid)] = value
    return mapping


# --- the catalog ---------------------------------------------------------------------------


def test_catalog_is_where_django_looks():
    assert PO_PATH.is_file(), PO_PATH
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: run `wikisocial compilemessages`"


def test_header(po):
    assert po.metadata["Language"] == "es"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert not po.metadata_is_fuzzy


def test_every_entry_is_translated_and_none_is_fuzzy(po):
    assert len(entries(po)) > 100
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    empty_plural_forms = [
        e.msgid for e in entries(po) if e.msgid_plural and not all(e.msgstr_plural.values())
    ]
    assert empty_plural_forms == []
    assert po.percent_translated() == 100


def test_committed_mo_matches_po(po):
    mo = polib.mofile(str(MO_PATH))
    assert translations(mo) == translations(po), "django.mo is stale: run compilemessages"
    assert mo.metadata.get("Plural-Forms") == po.metadata["Plural-Forms"]


def test_placeholders_are_kept(po):
    wrong = []
    for entry in entries(po):
        if entry.msgid_plural:
            allowed = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
            for form in entry.msgstr_plural.values():
                if set(placeholders(form)) - set(allowed):
                    wrong.append((entry.msgid, form))
            last = entry.msgstr_plural[max(entry.msgstr_plural)]
            if set(placeholders(last)) != set(placeholders(entry.msgid_plural)):
                wrong.append((entry.msgid_plural, last))
        elif set(placeholders(entry.msgstr)) != set(placeholders(entry.msgid)):
            wrong.append((entry.msgid, entry.msgstr))
    assert wrong == []


def test_python_format_entries_really_format(po):
    """Python would raise on a mistyped placeholder; try every python-format entry."""
    for entry in entries(po):
        if "python-format" not in entry.flags:
            continue
        # Names from both English forms: a singular may leave out the number ("a minute").
        sources = f"{entry.msgid} {entry.msgid_plural or ''}"
        names = {m["name"] for m in PERCENT.finditer(sources) if m["name"]}
        values = {name: 1 for name in names}
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            form % values


def test_placeholder_parser():
    assert placeholders("Hi %(name)s, %(n)d new; 5%% off") == Counter({"%(name)s": 1, "%(n)d": 1})
    assert placeholders("Page {{ n }} of {{total}}") == Counter({"{{ n }}": 1, "{{ total }}": 1})
    assert placeholders("{count} items, {{ x }}") == Counter({"{count}": 1, "{{ x }}": 1})


def test_gettext_uses_the_catalog():
    with translation.override("es"):
        assert translation.gettext("Log in") == "Iniciar sesión"
        assert translation.gettext("Log out") == "Cerrar sesión"
        # Django's own catalog still works alongside ours.
        assert translation.gettext("This field is required.") == "Este campo es obligatorio."


# --- through HTTP --------------------------------------------------------------------------


@pytest.mark.django_db
def test_accept_language_renders_spanish(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es"' in html
    assert "Iniciar sesión" in html
    assert "Registrarse" in html
    assert "Saltar al contenido principal" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_english_is_the_default(client):
    html = client.get("/").content.decode()
    assert '<html lang="en"' in html
    assert "Log in" in html
    assert "Iniciar sesión" not in html


@pytest.mark.django_db
def test_language_switcher_sets_the_cookie(client):
    response = client.post(
        reverse("web:set-language"), {"language": "es", "next": reverse("web:about")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:about")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"

    html = client.get(reverse("web:about")).content.decode()
    assert '<html lang="es"' in html
    assert "Acerca de este servidor" in html
    assert "Iniciar sesión" in html


@pytest.mark.django_db
def test_language_switcher_ignores_unknown_language_and_foreign_next(client):
    response = client.post(
        reverse("web:set-language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_language_switcher_saves_the_choice_for_a_logged_in_user(logged_in, user):
    response = logged_in.post(reverse("web:set-language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    user.refresh_from_db()
    assert user.locale == "es"

    # follow: a logged-in user may first be sent to accept the current code of conduct.
    response = logged_in.get("/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es"' in html
    assert "Cerrar sesión" in html
    assert "Mi perfil" in html


@pytest.mark.django_db
def test_signup_errors_are_in_spanish(client):
    client.post(reverse("web:set-language"), {"language": "es", "next": "/"})
    # What a browser sends for the form left blank: every field, each one empty.
    blank = {"username": "", "email": "", "password1": "", "password2": "", "code_version": ""}
    response = client.post(reverse("accounts:signup"), blank)
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="es"' in html
    assert "Corrige lo que está marcado a continuación." in html
    assert "Este campo es obligatorio." in html
    assert "Nombre de usuario" in html
    assert "This field is required." not in html
