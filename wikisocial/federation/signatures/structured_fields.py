"""RFC 8941 structured fields: the parser and serialisers RFC 9421 and RFC 9530 need."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from .common import MAX_HEADER_LENGTH, Reason, SignatureError, _b64decode

# --- RFC 8941 structured fields (what RFC 9421 and RFC 9530 need) ---------------------------


class _Token(str):
    """An sf-token, serialised bare, unlike an sf-string."""

    __slots__ = ()


_SF_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_SF_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*")
_SF_STRING = re.compile(r'"([ !#-\[\]-~]*(?:\\["\\][ !#-\[\]-~]*)*)"')
_SF_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
_SF_NUMBER = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")
_SF_ESCAPE = re.compile(r"\\([\"\\])")

Item = tuple[Any, dict[str, Any]]  # (bare item or list of items for an inner list, parameters)


class _SF:
    """A small RFC 8941 parser; every failure is a `SignatureError` naming the field."""

    def __init__(self, text: str, field: str):
        if len(text) > MAX_HEADER_LENGTH:
            raise SignatureError(
                Reason.MALFORMED, f"{field} is over {MAX_HEADER_LENGTH} characters"
            )
        self.text, self.field, self.at = text, field, 0

    def fail(self, what: str) -> SignatureError:
        return SignatureError(Reason.MALFORMED, f"{self.field}: {what} at character {self.at}")

    def peek(self) -> str:
        return self.text[self.at : self.at + 1]

    def skip(self, chars: str) -> None:
        while self.at < len(self.text) and self.text[self.at] in chars:
            self.at += 1

    def dictionary(self) -> dict[str, Item]:
        out: dict[str, Item] = {}
        self.skip(" ")
        while self.at < len(self.text):
            key = self.key()
            if self.peek() == "=":
                self.at += 1
                out[key] = self.member()
            else:
                out[key] = (True, self.params())
            if not self.next_member():
                break
        return out

    def members(self) -> list[Item]:
        out: list[Item] = []
        self.skip(" ")
        while self.at < len(self.text):
            out.append(self.member())
            if not self.next_member():
                break
        return out

    def next_member(self) -> bool:
        self.skip(" \t")
        if self.at >= len(self.text):
            return False
        if self.peek() != ",":
            raise self.fail("expected ','")
        self.at += 1
        self.skip(" \t")
        if self.at >= len(self.text):
            raise self.fail("trailing ','")
        return True

    def member(self) -> Item:
        return self.inner_list() if self.peek() == "(" else self.item()

    def item(self) -> Item:
        return self.bare(), self.params()

    def inner_list(self) -> Item:
        self.at += 1
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.at += 1
                return items, self.params()
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected ' ' or ')' in an inner list")

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.peek() == ";":
            self.at += 1
            self.skip(" ")
            key = self.key()
            if self.peek() == "=":
                self.at += 1
                out[key] = self.bare()
            else:
                out[key] = True
        return out

    def key(self) -> str:
        return self.match(_SF_KEY, "a key").group()

    def match(self, pattern: re.Pattern, what: str) -> re.Match:
        found = pattern.match(self.text, self.at)
        if found is None:
            raise self.fail(f"expected {what}")
        self.at = found.end()
        return found

    def bare(self) -> Any:
        first = self.peek()
        if first and first in "-0123456789":
            return self.number()
        if first == '"':
            text = self.match(_SF_STRING, "a string").group(1)
            return _SF_ESCAPE.sub(r"\1", text) if "\\" in text else text
        if first == ":":
            return _b64decode_sf(self.match(_SF_BYTES, "a byte sequence").group(1), self)
        if first == "?":
            return self.boolean()
        return _Token(self.match(_SF_TOKEN, "an item").group())

    def number(self) -> int | Decimal:
        found = self.match(_SF_NUMBER, "a number")
        whole, fraction = found.groups()
        if fraction is None and len(whole) <= 15:
            return int(found.group())
        if fraction is not None and len(whole) <= 12 and len(fraction) <= 3:
            return Decimal(found.group())
        raise self.fail("number out of range")

    def boolean(self) -> bool:
        value = self.text[self.at + 1 : self.at + 2]
        if value not in ("0", "1"):
            raise self.fail("expected ?0 or ?1")
        self.at += 2
        return value == "1"

    def whole(self, kind: str) -> Any:
        value = self.dictionary() if kind == "dictionary" else self.members()
        self.skip(" ")
        if self.at != len(self.text):
            raise self.fail("unexpected text")
        return value


def _b64decode_sf(text: str, parser: _SF) -> bytes:
    try:
        return _b64decode(text, parser.field)
    except SignatureError:
        raise parser.fail("bad base64 in a byte sequence") from None


def _ser_bare(value: Any) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        whole, _, fraction = format(
            value.quantize(Decimal("0.001"), ROUND_HALF_EVEN), "f"
        ).partition(".")
        return f"{whole}.{fraction.rstrip('0') or '0'}"
    if isinstance(value, _Token):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    raise TypeError(f"cannot serialise {type(value).__name__} as a structured field")


def _ser_params(params: Mapping[str, Any]) -> str:
    return "".join(f";{k}" if v is True else f";{k}={_ser_bare(v)}" for k, v in params.items())


def _ser_member(member: Item) -> str:
    value, params = member
    if isinstance(value, list):
        return "(" + " ".join(_ser_member(item) for item in value) + ")" + _ser_params(params)
    return _ser_bare(value) + _ser_params(params)


def _ser_dictionary(members: Mapping[str, Item]) -> str:
    return ", ".join(
        key + _ser_params(m[1]) if m[0] is True else f"{key}={_ser_member(m)}"
        for key, m in members.items()
    )


# Fields whose structured type we know, for the `;sf` component parameter (RFC 9421 §2.1.1).
_SF_FIELD_TYPES = {
    "accept-signature": "dictionary",
    "content-digest": "dictionary",
    "repr-digest": "dictionary",
    "want-content-digest": "dictionary",
    "want-repr-digest": "dictionary",
    "signature": "dictionary",
    "signature-input": "dictionary",
    "priority": "dictionary",
    "cache-status": "list",
    "proxy-status": "list",
}
