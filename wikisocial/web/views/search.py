"""The search box: people by name, groups by name or ``!handle``, hashtags, and
``@user@domain`` or a URL, fetched from its server when we don't know it yet (for people
logged in)."""

from __future__ import annotations

from django.db.models import Case, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from wikisocial.accounts.models import Account, ActorType
from wikisocial.communities.models import Group
from wikisocial.federation import resolve
from wikisocial.posts.models import Hashtag
from wikisocial.timelines.queries import hashtags_known_to
from wikisocial.web.views.common import viewer_of
from wikisocial.web.views.posts import post_context

GROUP_RESULTS = 20


def groups_named(query: str, viewer: Account | None) -> QuerySet:
    """Groups the viewer may know exist (``Group.objects.visible_to``: hidden ones only for
    their members and invitees) whose handle starts with ``query`` or whose name holds it;
    ``!handle`` and ``!handle@domain`` as the fediverse writes groups. Exact handles first,
    then ours, then the biggest."""
    name, _at, domain = query.strip().removeprefix("!").removeprefix("@").partition("@")
    if not name or query.startswith(("#", "http://", "https://")):
        return Group.objects.none()
    qs = Group.objects.visible_to(viewer).select_related("account")
    if domain:
        own = resolve.is_own_domain(domain)
        qs = qs.filter(
            account__domain="" if own else domain.lower(), account__username__istartswith=name
        )
    else:
        qs = qs.filter(
            Q(account__username__istartswith=name) | Q(account__display_name__icontains=name)
        )
    exact = Case(When(account__username__iexact=name, then=Value(0)), default=Value(1))
    return qs.order_by(exact, "account__domain", "-members_count", "pk")[:GROUP_RESULTS]


def _people(accounts: list[Account]) -> list[Account]:
    """Accounts that are not group actors (groups are listed as groups, with their page)."""
    return [a for a in accounts if a.actor_type != ActorType.GROUP]


def _known(tags: list[Hashtag], viewer: Account | None) -> list[Hashtag]:
    """The hashtags found that the viewer may learn exist (none only used in groups they
    can't read), in their order."""
    if not tags:
        return tags
    known = set(
        hashtags_known_to(Hashtag.objects.filter(pk__in=[t.pk for t in tags]), viewer).values_list(
            "pk", flat=True
        )
    )
    return [t for t in tags if t.pk in known]


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[: resolve.MAX_QUERY]
    results = resolve.search(query, request.user) if query else None
    groups = list(groups_named(query, viewer_of(request))) if query else []
    if results is not None:
        results.accounts = _people(results.accounts)
        results.hashtags = _known(results.hashtags, viewer_of(request))
    context = {
        "query": query,
        "results": results,
        "groups": groups,
        "nothing_found": results is not None and results.empty and not groups,
        **post_context(request, results.posts if results else []),
    }
    return render(request, "web/search.html", context)
