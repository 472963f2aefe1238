"""A group's ActivityPub collections and inbox (``/g/<handle>/inbox`` …). The group itself,
``/g/<handle>``, is its forum page, which answers servers with the ``Group`` actor. Included
before the group pages, so these names win over theirs."""

from django.urls import path

# Registers the path converters every page shares ("handle", "username", "post_id").
import wikisocial.web.urls  # noqa: F401
from wikisocial.communities import activitypub

app_name = activitypub.NAMESPACE

GROUP = "g/<username:handle>"

urlpatterns = [
    path(f"{GROUP}/inbox", activitypub.inbox, name="inbox"),
    path(f"{GROUP}/outbox", activitypub.outbox, name="outbox"),
    path(f"{GROUP}/followers", activitypub.followers, name="followers"),
    path(f"{GROUP}/moderators", activitypub.moderators, name="moderators"),
    path(f"{GROUP}/featured", activitypub.featured, name="featured"),
]
