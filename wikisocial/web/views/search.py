"""The search box: people by name, hashtags, and ``@user@domain`` or a URL, fetched from its
server when we don't know it yet (for people logged in)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from wikisocial.federation import resolve
from wikisocial.web.views.posts import post_context


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[: resolve.MAX_QUERY]
    results = resolve.search(query, request.user) if query else None
    context = {
        "query": query,
        "results": results,
        **post_context(request, results.posts if results else []),
    }
    return render(request, "web/search.html", context)
