"""ActivityStreams plumbing shared by every federated domain: contexts, content types, content
negotiation, and the JSON response."""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse

ACTIVITY_JSON = "application/activity+json"
LD_JSON = "application/ld+json"
AS_PROFILE = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "votersCount": "toot:votersCount",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]


def wants_activitypub(request: HttpRequest) -> bool:
    """Whether the client asked for ActivityStreams rather than a web page."""
    accept = request.headers.get("Accept", "").lower()
    for part in accept.split(","):
        media = part.split(";")[0].strip()
        if media == ACTIVITY_JSON:
            return True
        if media == LD_JSON and ("activitystreams" in part or part.strip() == LD_JSON):
            return True
    return False


def activity_response(document: dict, status: int = 200) -> HttpResponse:
    body = orjson.dumps({"@context": CONTEXT, **document})
    response = HttpResponse(body, status=status, content_type=f"{ACTIVITY_JSON}; charset=utf-8")
    response["Vary"] = "Accept"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def type_of(document: object) -> str:
    """A document's type as one string: ActivityStreams allows a list ("type": ["Note",
    "schema:Thing"]); the first plain name in it counts. "" when there is none."""
    if not isinstance(document, dict):
        return ""
    kind = document.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str) and ":" not in k), None)
    return kind if isinstance(kind, str) else ""
