"""Public pages: home, about, code of conduct, profiles, the member directory."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve

from wikisocial.accounts.actions import set_interface_language
from wikisocial.accounts.models import Account, ActorType
from wikisocial.core.markup import render_document
from wikisocial.core.pagination import as_id
from wikisocial.instance.models import CodeOfConduct, InstanceSettings, Rule

DIRECTORY_PAGE_SIZE = 30


def landing(request: HttpRequest) -> HttpResponse:
    """The front page for visitors: what this server is, who is new, public posts."""
    # Lists of people show what everyone sees (staff included: the admin lists the rest).
    newest = (
        Account.objects.visible_to(None)
        .local()
        .exclude(actor_type=ActorType.GROUP)
        .order_by("-created_at")[:12]
    )
    instance = InstanceSettings.current()
    return render(
        request,
        "web/landing.html",
        {"newest": newest, "description_html": render_document(instance.description)},
    )


def about(request: HttpRequest) -> HttpResponse:
    instance = InstanceSettings.current()
    context = {
        "description_html": render_document(instance.description),
        "rules": Rule.objects.all(),
        "code": CodeOfConduct.current(),
        # Members anyone can see: the same rule as the directory, whoever is looking.
        "member_count": Account.objects.visible_to(None)
        .local()
        .exclude(actor_type=ActorType.GROUP)
        .count(),
    }
    return render(request, "web/about.html", context)


def code_of_conduct(request: HttpRequest) -> HttpResponse:
    versions = list(CodeOfConduct.objects.only("version", "published_at", "summary_of_changes"))
    wanted = request.GET.get("version")
    if wanted:
        version = as_id(wanted)
        if version is None:
            raise Http404
        code = get_object_or_404(CodeOfConduct, version=version)
    else:
        code = CodeOfConduct.current()
    context = {
        "code": code,
        "code_html": render_document(code.text) if code else "",
        "versions": versions,
        "is_current": code is not None and versions and code.version == versions[0].version,
    }
    return render(request, "web/code_of_conduct.html", context)


def directory(request: HttpRequest) -> HttpResponse:
    # People, not groups: groups have their own directory (/groups).
    accounts = (
        Account.objects.visible_to(None)
        .local()
        .exclude(actor_type=ActorType.GROUP)
        .order_by("-created_at", "-id")
    )
    page = Paginator(accounts, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/directory.html", {"page": page})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (a cookie; saved on the account when logged in)."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="Lax"
        )
        if request.user.is_authenticated:
            set_interface_language(request.user, code)
    return response


@require_GET
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files, in the all-in-one mode (production lets the reverse proxy serve them).
    Only files we wrote ourselves live there: images re-encoded by Pillow."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
