"""Federation endpoints that are not a page of some domain: the instance actor."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from wikisocial.federation.jsonld import activity_response
from wikisocial.federation.keys import key_of
from wikisocial.federation.urls_util import instance_actor_id


@require_GET
def instance_actor(request: HttpRequest) -> HttpResponse:
    """The server's own actor (Application): it signs fetches made on no one's behalf."""
    me = instance_actor_id()
    return activity_response(
        {
            "id": me,
            "type": "Application",
            "preferredUsername": settings.DOMAIN,
            "url": settings.SITE_URL + "/about",
            "inbox": f"{me}/inbox",
            "outbox": f"{me}/outbox",
            "manuallyApprovesFollowers": True,
            "publicKey": {
                "id": f"{me}#main-key",
                "owner": me,
                "publicKeyPem": key_of(None).public_key_pem,
            },
        }
    )
