"""Comparing our API answers with the real Mastodon responses in ../shared/fixtures/mastodon-api
(golden shapes), key by key.

The rule of :func:`assert_same_shape`:

- every key of a golden object is in ours, with the same JSON type (string, number, boolean,
  object, array, null); ours may have more keys (Mastodon adds keys over time and clients
  ignore the ones they don't know);
- int and float are one JSON type, number; a boolean is never a number;
- arrays: each of our items is compared with the golden array's first item; an empty array on
  either side has nothing to compare;
- null is lenient only where Mastodon itself gives either: a golden ``null`` accepts any value
  of ours (Mastodon sent null because there was nothing: ``contact_account`` without an admin,
  ``reblog`` of a status that is no boost …), and our ``null`` is accepted for a golden value
  only for the keys in :data:`NULLABLE`, the ones Mastodon's documentation marks nullable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "mastodon-api"

# Keys Mastodon documents as nullable (entities Account, Status, MediaAttachment, Poll,
# Instance): a value in the golden response may be null in ours.
NULLABLE = frozenset(
    {
        "application",
        "blurhash",
        "card",
        "description",
        "discoverable",
        "edited_at",
        "ends_at",
        "expires_at",
        "hide_collections",
        "in_reply_to_account_id",
        "in_reply_to_id",
        "language",
        "last_status",
        "last_status_at",
        "message",
        "min_age",
        "poll",
        "preview_remote_url",
        "privacy_policy",
        "quote",
        "reblog",
        "remote_url",
        "starts_at",
        "status",
        "status_id",
        "terms_of_service",
        "text_url",
        "url",
        "verified_at",
        "voted",
    }
)


def golden(name: str) -> Any:
    """A recorded Mastodon response, by file name without ``.json``."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def shape_differences(ours: Any, gold: Any, path: str = "") -> list[str]:
    """Every place where ``ours`` does not have the shape of ``gold`` (see the module's rule)."""
    here = path or "(top)"
    if gold is None:
        return []
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if ours is None:
        return [] if key in NULLABLE else [f"{here}: null, Mastodon gives {json_type(gold)}"]
    if json_type(ours) != json_type(gold):
        return [f"{here}: {json_type(ours)}, Mastodon gives {json_type(gold)}"]
    if isinstance(gold, dict):
        problems = []
        for name, value in gold.items():
            inner = f"{path}.{name}" if path else name
            if name not in ours:
                problems.append(f"{inner}: missing")
            else:
                problems += shape_differences(ours[name], value, inner)
        return problems
    if isinstance(gold, list) and gold:
        return [
            p
            for i, item in enumerate(ours)
            for p in shape_differences(item, gold[0], f"{path}[{i}]")
        ]
    return []


def assert_same_shape(ours: Any, gold: Any, path: str = "") -> None:
    """Fail listing every difference between the shape of ``ours`` and of ``gold``."""
    problems = shape_differences(ours, gold, path)
    assert not problems, "not Mastodon's shape:\n  " + "\n  ".join(problems)
