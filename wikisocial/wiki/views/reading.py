"""Reading a wiki: its index, a page (current or an old revision), the raw source, what
links here, and recent changes. ``page`` is the one view behind every page URL: it finds the
wiki and the page, sends people to the canonical URL and hands over to the view the
``action`` parameter names."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods, require_safe

from wikisocial.core.pagination import as_id, cursor_from, paginate
from wikisocial.wiki import titles
from wikisocial.wiki.forms import CreatePageForm
from wikisocial.wiki.models import Page, PageLink, Revision
from wikisocial.wiki.rendering import render_text
from wikisocial.wiki.views.common import Wiki, page_context, page_of, wiki_of, wiki_page
from wikisocial.wiki.views.history import with_size_change

INDEX_PAGE_SIZE = 500


@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest, title: str, handle: str | None = None) -> HttpResponse:
    from wikisocial.wiki.views.dispatch import ACTIONS

    wiki = wiki_of(request, handle)
    action = ACTIONS.get(request.GET.get("action") or "view")
    if action is None:
        raise Http404
    canonical = titles.try_normalize(title)
    if canonical is None:
        return wiki_page(request, wiki, "bad_title.html", status=400, title=title)
    found = page_of(wiki, titles.title_key(canonical))
    name = found.title if found is not None else canonical
    if request.method != "POST" and titles.url_title(name) != title:
        query = request.GET.urlencode()
        return HttpResponseRedirect(wiki.page_url(name) + (f"?{query}" if query else ""))
    return action(request, wiki, name, found)


def alive(page: Page | None) -> Page | None:
    return page if page is not None and page.deleted_at is None else None


@require_safe
def view(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if alive(page) is None:
        return missing(request, wiki, title, page)
    revision = page.current
    oldid = request.GET.get("oldid")
    if oldid is not None:
        revision = page.revisions.select_related("author").filter(pk=as_id(oldid)).first()
        if revision is None:
            raise Http404
    rendered = render_text(wiki.group, page.title, revision.text, revision.markup)
    return wiki_page(
        request,
        wiki,
        "page.html",
        **page_context(wiki, page, title),
        revision=revision,
        is_current=revision.pk == page.current_id,
        html=rendered.html,
        parents=_parents(wiki, page.title),
        subpages=wiki.pages().filter(key__startswith=page.key + "/").order_by("key")[:200],
        page_tab="read",
    )


def _parents(wiki: Wiki, title: str) -> list[tuple[str, str]]:
    """Breadcrumbs of a subpage: ("Events", url), ("Events/2027", url) for Events/2027/Venue;
    only the parents that exist are links."""
    parts = title.split("/")[:-1]
    names = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    existing = set(
        wiki.pages()
        .filter(key__in=[titles.title_key(name) for name in names])
        .values_list("key", flat=True)
    )
    return [
        (name, wiki.page_url(name) if titles.title_key(name) in existing else "") for name in names
    ]


def missing(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    """A page that does not exist (yet): 404, with a way to create it for those who may."""
    return wiki_page(
        request,
        wiki,
        "missing.html",
        status=404,
        **page_context(wiki, None, title),
        deleted=page,
        page_tab="read",
    )


@require_safe
def raw(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    """The page's source as plain text (a revision's with ``oldid``), for copying it to
    another wiki or keeping it."""
    if alive(page) is None:
        raise Http404
    revision = page.current
    if request.GET.get("oldid") is not None:
        revision = page.revisions.filter(pk=as_id(request.GET["oldid"])).first()
    if revision is None:
        raise Http404
    response = HttpResponse(revision.text, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def links_here(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    """The pages of this wiki whose text links to this title (existing or not)."""
    sources = (
        wiki.pages()
        .filter(
            pk__in=PageLink.objects.filter(
                group=wiki.group, target_key=titles.title_key(title)
            ).values("source_id")
        )
        .order_by("key")[:500]
    )
    return wiki_page(
        request,
        wiki,
        "links.html",
        **page_context(wiki, alive(page), title),
        sources=sources,
        page_tab="links",
    )


# --- the wiki as a whole ------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest, handle: str | None = None) -> HttpResponse:
    """All pages, subpages under their top page; and a form to create a page."""
    wiki = wiki_of(request, handle)
    form = CreatePageForm(request.GET if "title" in request.GET else None)
    if form.is_bound and form.is_valid():
        try:
            title = titles.normalize(form.cleaned_data["title"])
        except ValidationError as error:
            form.add_error("title", error)
        else:
            return HttpResponseRedirect(wiki.page_url(title, action="edit"))
    start = request.GET.get("from", "")
    pages = list(
        wiki.pages().filter(key__gte=start.casefold()).order_by("key")[: INDEX_PAGE_SIZE + 1]
    )
    more = pages[INDEX_PAGE_SIZE].key if len(pages) > INDEX_PAGE_SIZE else None
    return wiki_page(
        request,
        wiki,
        "index.html",
        status=400 if form.errors else 200,
        groups=_by_root(pages[:INDEX_PAGE_SIZE]),
        form=form,
        more=more,
        can_create=wiki.can_edit(None),
    )


@dataclass
class IndexEntry:
    """A top-level title in the index: its page (None if only subpages exist) and subpages."""

    title: str
    page: Page | None = None
    subpages: list[Page] = field(default_factory=list)


def _by_root(pages: list[Page]) -> list[IndexEntry]:
    """Pages under their top-level title: Events, then Events/2027, Events/2028 …"""
    entries: dict[str, IndexEntry] = {}
    for page in pages:
        root = titles.root_of(page.title)
        entry = entries.setdefault(root.casefold(), IndexEntry(root))
        if page.key == root.casefold():
            entry.page = page
        else:
            entry.subpages.append(page)
    return [entries[key] for key in sorted(entries)]


@require_safe
def recent(request: HttpRequest, handle: str | None = None) -> HttpResponse:
    """Recent changes: the newest revisions in this wiki."""
    wiki = wiki_of(request, handle)
    revisions = Revision.objects.filter(page__in=wiki.pages()).select_related(
        "page__group__account", "author"
    )
    hide_minor = request.GET.get("hideminor") == "1"
    if hide_minor:
        revisions = revisions.filter(minor=False)
    cursor = cursor_from(request.GET, default=50, maximum=500)
    results = paginate(with_size_change(revisions), cursor)
    return wiki_page(
        request,
        wiki,
        "recent.html",
        revisions=results.items,
        next_max_id=results.next_max_id if len(results.items) >= cursor.limit else None,
        hide_minor=hide_minor,
    )
