"""ActivityPub documents served at the same URLs as the web pages (content negotiation):
actors, posts, and the collections around an actor."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from wikisocial.accounts.activitypub import actor_to_ap
from wikisocial.accounts.models import Account
from wikisocial.federation.jsonld import activity_response
from wikisocial.federation.urls_util import actor_id
from wikisocial.posts.activitypub import activity_of, object_id, post_to_ap
from wikisocial.posts.models import Pin, Post, Visibility
from wikisocial.social.queries import followers_of, following_of

PAGE_SIZE = 20


def actor(account: Account) -> HttpResponse:
    """The actor; a group of ours is its ``Group`` (also served at its own id, /g/<handle>)."""
    group = getattr(account, "group", None) if account.is_local else None
    if group is not None:
        from wikisocial.communities.activitypub import group_to_ap

        return activity_response(group_to_ap(group))
    return activity_response(actor_to_ap(account))


def post(item: Post) -> HttpResponse:
    """A post, for whoever may fetch it without signing: public and unlisted posts only, and
    of posts in groups only those of groups anyone may read."""
    if item.visibility not in (Visibility.PUBLIC, Visibility.UNLISTED) or item.is_boost:
        raise Http404
    if item.group_id is not None and not (
        item.group.is_open and item.group.account.deleted_at is None
    ):
        raise Http404
    return activity_response(post_to_ap(item))


def ordered_collection(request: HttpRequest, url: str, items: QuerySet, to_ap, *, hidden=False):
    """An OrderedCollection with its total; pages (?page=N) list the items, newest first,
    unless the owner hides them."""
    total = items.count()
    page_number = request.GET.get("page")
    if page_number is None or hidden:
        document = {"id": url, "type": "OrderedCollection", "totalItems": total}
        if not hidden and total:
            document["first"] = f"{url}?page=1"
        return activity_response(document)
    try:
        page = Paginator(items, PAGE_SIZE).page(page_number)
    except (EmptyPage, ValueError, TypeError):
        raise Http404 from None
    document = {
        "id": f"{url}?page={page.number}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "totalItems": total,
        "orderedItems": [to_ap(item) for item in page.object_list],
    }
    if page.has_next():
        document["next"] = f"{url}?page={page.next_page_number()}"
    if page.has_previous():
        document["prev"] = f"{url}?page={page.previous_page_number()}"
    return activity_response(document)


def outbox(request: HttpRequest, account: Account) -> HttpResponse:
    posts = (
        Post.objects.visible_to(None)
        .filter(author=account, local=True, visibility=Visibility.PUBLIC)
        .select_related("author", "boost_of", "in_reply_to")
        .order_by("-id")
    )
    return ordered_collection(request, f"{actor_id(account)}/outbox", posts, activity_of)


def network(request: HttpRequest, account: Account, direction: str) -> HttpResponse:
    people = followers_of(account) if direction == "followers" else following_of(account)
    url = f"{actor_id(account)}/{direction}"
    return ordered_collection(request, url, people, actor_id, hidden=account.hide_network)


def featured(request: HttpRequest, account: Account) -> HttpResponse:
    pinned = Pin.objects.filter(account=account).values("post_id")
    posts = list(
        Post.objects.visible_to(None)
        .filter(pk__in=pinned, visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED])
        .select_related("author")
        .order_by("-id")
    )
    url = f"{actor_id(account)}/featured"
    return activity_response(
        {
            "id": url,
            "type": "OrderedCollection",
            "totalItems": len(posts),
            "orderedItems": [post_to_ap(p) for p in posts],
        }
    )


__all__ = ["actor", "featured", "network", "object_id", "ordered_collection", "outbox", "post"]
