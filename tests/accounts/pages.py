"""Helpers for comparing whole pages."""

from __future__ import annotations

import re

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def comparable(text: str, *, replace: str = "") -> str:
    """``text`` without what differs between any two responses (the masked CSRF token), and
    with ``replace`` (an address typed) written as ADDRESS."""
    text = _CSRF.sub('name="csrfmiddlewaretoken"', text)
    return text.replace(replace, "ADDRESS") if replace else text
