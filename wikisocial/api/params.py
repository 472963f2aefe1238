"""Request parameters as Mastodon clients send them.

The same parameter may come in the query string, a form body, a multipart body or a JSON body
(Mastodon.py sends forms with ``sensitive=0``; masto.js sends JSON). Form keys with brackets
(``media_ids[]``, ``poll[options][]``, ``fields_attributes[0][name]``) are nested the way Rails
nests them, so every door yields the same structure. Unknown parameters are ignored, as in
Mastodon; a parameter of the wrong type is a 422 with the parameter named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from io import BytesIO
from typing import Any

import orjson
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict

from wikisocial.core.pagination import as_id

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
TRUE = {"1", "true", "t", "on", "yes", "y"}
FALSE = {"0", "false", "f", "off", "no", "n", ""}


class BadParams(Exception):
    """The body could not be read at all (malformed JSON or multipart)."""


def _split_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    return [head, *_SEGMENT.findall("[" + rest)]


def _put(root: dict, parts: list[str], value: Any) -> None:
    node: Any = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):  # ``a[][b]``: not something Mastodon's clients send
            return
        if last:
            if part == "":
                return
            node[part] = value
            return
        following = parts[i + 1]
        if following == "" and i + 1 == len(parts) - 1:
            existing = node.get(part)
            if not isinstance(existing, list):
                existing = node[part] = []
            existing.append(value)
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Rails-style nesting of flat form pairs; a plain key given twice becomes a list."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split_key(key)
        if len(parts) == 1 and key in root:
            previous = root[key]
            root[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
            continue
        _put(root, parts, value)
    return root


def _query_pairs(query: QueryDict) -> list[tuple[str, Any]]:
    return [(key, value) for key, values in query.lists() for value in values]


def _form(request: HttpRequest) -> tuple[QueryDict, MultiValueDict]:
    """Django parses form bodies for POST only; Mastodon accepts them on PUT and PATCH too."""
    content_type = request.content_type or ""
    if request.method == "POST":
        return request.POST, request.FILES
    if content_type == "multipart/form-data":
        return request.parse_file_upload(request.META, BytesIO(request.body))
    if content_type == "application/x-www-form-urlencoded":
        return QueryDict(request.body, encoding=request.encoding), MultiValueDict()
    return QueryDict(), MultiValueDict()


def read(request: HttpRequest) -> dict[str, Any]:
    """Every parameter of ``request``: the query string, then the body over it."""
    data = nest(_query_pairs(request.GET))
    if request.method in ("GET", "HEAD"):
        return data
    if (request.content_type or "") == "application/json":
        if not request.body.strip():
            return data
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError as error:
            raise BadParams("The request body is not valid JSON") from error
        if isinstance(body, dict):
            data.update(body)
        return data
    try:
        form, files = _form(request)
    except (MultiPartParserError, ValueError) as error:
        raise BadParams("The request body could not be read") from error
    data.update(nest(_query_pairs(form)))
    data.update(nest((key, f) for key, values in files.lists() for f in values))
    return data


class Invalid(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class Params:
    """Typed access to one request's parameters."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def str(self, name: str, default: str = "") -> str:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, list):
            value = value[-1] if value else ""
        if isinstance(value, dict | UploadedFile):
            raise Invalid(name, "must be text")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value)
        text = self.str(name).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise Invalid(name, "must be true or false")

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise Invalid(name, "must be a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = self.str(name).strip()
        try:
            return int(text)
        except ValueError:
            raise Invalid(name, "must be a whole number") from None

    def float(self, name: str, default: float | None = None) -> float | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise Invalid(name, "must be a number") from None

    def id(self, name: str) -> int | None:
        """An id, or None when absent; an id that is not one is simply not found later."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        return as_id(value) if as_id(value) is not None else -1

    def list(self, name: str) -> list[Any]:
        """A list given as ``name[]=a&name[]=b``, ``name=a&name=b``, a JSON array, an
        index-keyed object (``name[0]=a``), or one value."""
        value = self.data.get(name)
        if value is None:
            value = self.data.get(f"{name}[]")
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value[key] for key in sorted(value, key=_index_order)]
        return [value]

    def strs(self, name: str) -> list[str]:
        return [str(v) for v in self.list(name) if not isinstance(v, dict | list | UploadedFile)]

    def ids(self, name: str) -> list[int]:
        return [i for i in (as_id(v) for v in self.list(name)) if i is not None]

    def dict(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise Invalid(name, "must be an object")
        return value

    def sub(self, name: str) -> Params:
        return Params(self.dict(name))

    def file(self, name: str) -> UploadedFile | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, UploadedFile):
            raise Invalid(name, "must be a file")
        return value


def _index_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 30, key)
