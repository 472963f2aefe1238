"""A page's history (every revision, with size changes and links to compare any two) and the
diff between two revisions."""

from __future__ import annotations

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from wikisocial.core.pagination import as_id, cursor_from, paginate
from wikisocial.wiki import diff as wiki_diff
from wikisocial.wiki.models import Page, Revision
from wikisocial.wiki.views.common import Wiki, page_context, wiki_page


def with_size_change(revisions: QuerySet) -> QuerySet:
    """Revisions with ``size_change``: bytes added or removed against the one before."""
    previous = (
        Revision.objects.filter(page=OuterRef("page"), pk__lt=OuterRef("pk"))
        .order_by("-pk")
        .values("size")[:1]
    )
    return revisions.annotate(
        size_change=F("size") - Coalesce(Subquery(previous, output_field=IntegerField()), 0)
    )


@require_safe
def history(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if page is None or page.deleted_at is not None:
        raise Http404
    cursor = cursor_from(request.GET, default=50, maximum=500)
    results = paginate(with_size_change(page.revisions.select_related("author")), cursor)
    revisions = results.items
    return wiki_page(
        request,
        wiki,
        "history.html",
        **page_context(wiki, page, title),
        revisions=revisions,
        oldest_id=page.revisions.order_by("pk").values_list("pk", flat=True).first(),
        next_max_id=results.next_max_id if len(revisions) >= cursor.limit else None,
        page_tab="history",
    )


def _pair(request: HttpRequest, page: Page) -> tuple[Revision | None, Revision]:
    """The two revisions to compare: ``new`` (default: the current one) and ``old`` (default:
    the one before ``new``), both of this page; the older one first."""
    revisions = page.revisions.select_related("author")
    new_id = as_id(request.GET.get("new")) or page.current_id
    new = revisions.filter(pk=new_id).first()
    if new is None:
        raise Http404
    if request.GET.get("old"):
        old = revisions.filter(pk=as_id(request.GET["old"])).first()
        if old is None:
            raise Http404
    else:
        old = revisions.filter(pk__lt=new.pk).order_by("-pk").first()
    if old is not None and old.pk > new.pk:
        old, new = new, old
    return old, new


@require_safe
def diff(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if page is None or page.deleted_at is not None:
        raise Http404
    old, new = _pair(request, page)
    rows = wiki_diff.diff(old.text if old is not None else "", new.text)
    return wiki_page(
        request,
        wiki,
        "diff.html",
        **page_context(wiki, page, title),
        old=old,
        new=new,
        rows=rows,
        same=old is not None and old.text == new.text,
        markup_changed=old is not None and old.markup != new.markup,
        page_tab="history",
    )
