"""Request parameters as Mastodon clients send them.

The same parameter may come in the query string, a form body, a multipart body or a JSON body
(Mastodon.py sends forms with ``sensitive=0``; masto.js sends JSON). Form keys with brackets
(``media_ids[]``, ``poll[options][]``, ``fields_attributes[0][name]``) are nested the way Rails
nests them, so every door yields the same structure. Unknown parameters are ignored, as in
Mastodon; a parameter of the wrong type is a 422 with the parameter named. Structures nested
deeper than :data:`MAX_DEPTH` (form keys or JSON) are refused as a bad request, as Rack and
Rails refuse them; how many fields a form may have is Django's DATA_UPLOAD_MAX_NUMBER_FIELDS.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl

import orjson
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict

from wikisocial.core.pagination import as_id

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
TRUE = {"1", "true", "t", "on", "yes", "y"}
FALSE = {"0", "false", "f", "off", "no", "n", ""}
# How deeply parameters may nest (Rack's limit): no Mastodon parameter goes past four levels.
MAX_DEPTH = 32
# Whole numbers must fit a database integer (a signed 64-bit one) to reach a query.
INT_RANGE = range(-(2**63), 2**63)


class BadParams(Exception):
    """The body could not be read at all (malformed JSON or multipart)."""


def _split_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    parts = [head, *_SEGMENT.findall("[" + rest)]
    if len(parts) > MAX_DEPTH:
        raise BadParams("The parameters are nested too deeply")
    return parts


def _too_deep(value: Any) -> bool:
    """Whether a JSON value nests lists and objects more than MAX_DEPTH levels (without
    recursion: orjson itself reads up to 1024 levels)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in node)
    return False


def _put_in_objects(root: dict, name: str, key: str, value: Any) -> None:
    """``name[][key]=value`` (filters' ``keywords_attributes[][keyword]``): a list of objects,
    nested the way Rails nests it: a key the last object already has starts the next one."""
    items = root.get(name)
    if not isinstance(items, list):
        items = root[name] = []
    if not items or not isinstance(items[-1], dict) or key in items[-1]:
        items.append({})
    items[-1][key] = value


def _put(root: dict, parts: list[str], value: Any) -> None:
    if len(parts) == 3 and parts[1] == "" and parts[2]:
        _put_in_objects(root, parts[0], parts[2], value)
        return
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
    """Rails-style nesting of flat form pairs; a plain key given twice becomes a list.
    Raises BadParams for a key nested more than MAX_DEPTH levels."""
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


def _in_order(query: QueryDict, raw: str | bytes, encoding: str | None) -> list[tuple[str, Any]]:
    """The pairs of a query string or form body in the order sent: ``QueryDict.lists()``
    groups them by key, which loses which ``a[][b]`` goes with which ``a[][c]`` (filters'
    ``keywords_attributes[][id]``, ``…[][_destroy]``). ``query`` is the same text parsed by
    Django (with its limits); its pairs are used if the two disagree."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    pairs = parse_qsl(text, keep_blank_values=True, encoding=encoding or "utf-8")
    grouped = _query_pairs(query)
    return pairs if sorted(pairs) == sorted(grouped) else grouped


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
    data = nest(_in_order(request.GET, request.META.get("QUERY_STRING", ""), request.encoding))
    is_json = (request.content_type or "") == "application/json"
    # A GET may carry a JSON body too: Mastodon.py sends familiar_followers' ids that way.
    if request.method in ("GET", "HEAD") and not is_json:
        return data
    if is_json:
        if not request.body.strip():
            return data
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError as error:
            raise BadParams("The request body is not valid JSON") from error
        if _too_deep(body):
            raise BadParams("The parameters are nested too deeply")
        if isinstance(body, dict):
            data.update(body)
        return data
    try:
        form, files = _form(request)
    except (MultiPartParserError, ValueError) as error:
        raise BadParams("The request body could not be read") from error
    if (request.content_type or "") == "application/x-www-form-urlencoded":
        data.update(nest(_in_order(form, request.body, request.encoding)))
    else:
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
        if value is None:  # [null] in JSON
            return default
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
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            try:
                value = int(self.str(name).strip())
            except ValueError:
                raise Invalid(name, "must be a whole number") from None
        if value not in INT_RANGE:
            raise Invalid(name, "is out of range")
        return value

    def float(self, name: str, default: float | None = None) -> float | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool | dict | list | UploadedFile):
            raise Invalid(name, "must be a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise Invalid(name, "must be a number") from None
        if not math.isfinite(number):  # "inf", "nan"
            raise Invalid(name, "must be a number")
        return number

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
        skipped = dict | list | UploadedFile | None
        return [str(v) for v in self.list(name) if not isinstance(v, skipped)]

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
