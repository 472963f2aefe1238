"""Languages a person speaks, with a level, written like Wikipedia's Babel boxes: ``en-N``,
``de-2``, ``fr`` (no level means native, as on Wikipedia)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

LEVELS = {
    "0": gettext_lazy("does not understand"),
    "1": gettext_lazy("basic"),
    "2": gettext_lazy("intermediate"),
    "3": gettext_lazy("advanced"),
    "4": gettext_lazy("near-native"),
    "5": gettext_lazy("professional"),
    "N": gettext_lazy("native"),
}
TOKEN_RE = re.compile(r"([a-z]{2,3}(?:-[a-z]{2,8})?)(?:-([0-5n]))?", re.ASCII)


@dataclass(frozen=True)
class SpokenLanguage:
    code: str
    level: str

    @property
    def babel(self) -> str:
        return f"{self.code}-{self.level}"


@cache
def known_codes() -> frozenset[str]:
    """Language codes CLDR knows (ISO 639-1 and -3, plus regional variants), lower case."""
    return frozenset(code.lower().replace("_", "-") for code in Locale("en").languages)


def language_name(code: str, in_language: str | None = None) -> str:
    """The language's name in the interface language (``de`` → "German" / "alemán")."""
    try:
        locale = Locale.parse((in_language or get_language() or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale("en")
    key = code.replace("-", "_")
    for candidate in (key, key.split("_")[0]):
        for variant in (candidate, candidate.lower()):
            name = locale.languages.get(variant)
            if name:
                return name
    return code


def parse_languages(text: str, limit: int) -> list[SpokenLanguage]:
    """Parse "en-N, de-2 fr-1" into SpokenLanguage items, or raise ValidationError listing every
    problem at once."""
    tokens = [t for t in re.split(r"[\s,;]+", text.strip()) if t]
    errors: list[str] = []
    result: dict[str, SpokenLanguage] = {}
    for token in tokens:
        match = TOKEN_RE.fullmatch(token.lower())
        if not match:
            errors.append(
                _("“%(token)s” is not of the form code-level, like de-2 or en-N.")
                % {"token": token}
            )
            continue
        code, level = match.group(1), (match.group(2) or "n").upper()
        if code not in known_codes() and code.split("-")[0] not in known_codes():
            errors.append(_("“%(code)s” is not a language code we know.") % {"code": code})
            continue
        result[code] = SpokenLanguage(code, level)
    if len(result) > limit:
        errors.append(_("List at most %(limit)d languages.") % {"limit": limit})
    if errors:
        raise ValidationError(errors)
    return list(result.values())
