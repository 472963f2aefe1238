"""Changing a wiki: editing (with preview and the conflict view), reverting, protecting,
deleting and restoring, watching, and starting a page's discussion.

Someone who may not edit sees the source and why (403), with what they typed kept; an edit
that crossed someone else's save shows both texts and a merge to confirm (409); errors keep
everything typed (400)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wikisocial.wiki import access, actions
from wikisocial.wiki import diff as wiki_diff
from wikisocial.wiki.forms import DeleteForm, EditForm, ProtectForm, RevertForm, TalkForm
from wikisocial.wiki.models import Markup, Page, Protection
from wikisocial.wiki.rendering import render_text
from wikisocial.wiki.views.common import Wiki, page_context, talk_url, wiki_page


def _login(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path())


def _initial(page: Page | None) -> dict:
    if page is None or page.deleted_at is not None or page.current is None:
        return {"markup": Markup.MARKDOWN, "text": "", "base_revision": None}
    return {"markup": page.markup, "text": page.current.text, "base_revision": page.current_id}


def _edit_page(request, wiki: Wiki, title: str, page, form: EditForm, status: int = 200, **extra):
    alive = page if page is not None and page.deleted_at is None else None
    return wiki_page(
        request,
        wiki,
        "edit.html",
        status=status,
        **page_context(wiki, alive, title),
        form=form,
        page_tab="edit",
        **extra,
    )


def _preview(wiki: Wiki, title: str, form: EditForm) -> str:
    data = form.cleaned_data
    return render_text(wiki.group, title, data["text"], data["markup"]).html


@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if wiki.viewer is None:
        return _login(request)
    protection = page.protection if page is not None else Protection.NONE
    refusal = access.edit_refusal(wiki.viewer, wiki.group, protection)
    form = EditForm(request.POST if request.method == "POST" else None, initial=_initial(page))
    if refusal is not None:
        return _edit_page(request, wiki, title, page, form, 403, refusal=refusal)
    if request.method != "POST":
        preview = _preview_initial(wiki, title, form) if "preview" in request.GET else None
        return _edit_page(request, wiki, title, page, form, preview=preview)
    if not form.is_valid():
        return _edit_page(request, wiki, title, page, form, 400)
    if "preview" in request.POST:
        return _edit_page(request, wiki, title, page, form, preview=_preview(wiki, title, form))
    return _save(request, wiki, title, page, form)


def _preview_initial(wiki: Wiki, title: str, form: EditForm) -> str:
    return render_text(wiki.group, title, form.initial["text"], form.initial["markup"]).html


def _save(request: HttpRequest, wiki: Wiki, title: str, page, form: EditForm) -> HttpResponse:
    data = form.cleaned_data
    try:
        saved = actions.save_page(
            wiki.viewer, wiki.group, title, data["text"], data["markup"],
            data["summary"], data["minor"], data["base_revision"],
        )  # fmt: skip
    except actions.EditConflict as conflict:
        return _conflict(request, wiki, title, form, conflict)
    except PermissionDenied as error:
        return _edit_page(request, wiki, title, page, form, 403, refusal=str(error))
    except ValidationError as error:
        form.apply_errors(error)
        return _edit_page(request, wiki, title, page, form, 400)
    if saved.changed:
        messages.success(request, _("Your edit was saved."))
    else:
        messages.info(request, _("Nothing changed: the page already had this text."))
    return HttpResponseRedirect(saved.page.get_absolute_url())


def _conflict(request, wiki: Wiki, title: str, form: EditForm, conflict) -> HttpResponse:
    """Both texts, their differences and, when it worked, a merge: the editor decides what
    to save (on top of the page as it is now)."""
    data = form.cleaned_data
    proposal = conflict.merged if conflict.merged is not None else conflict.yours
    current = conflict.current
    merge_form = EditForm(
        initial={
            "text": proposal,
            "markup": data["markup"],
            "summary": data["summary"],
            "minor": data["minor"],
            "base_revision": current.pk if current is not None else None,
        }
    )
    return wiki_page(
        request,
        wiki,
        "conflict.html",
        status=409,
        **page_context(wiki, conflict.page, title),
        conflict=conflict,
        rows=wiki_diff.diff(conflict.theirs, conflict.yours),
        form=merge_form,
        page_tab="edit",
    )


# --- revert, protect, delete -------------------------------------------------------------------


@require_POST
def revert(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if page is None or page.deleted_at is not None:
        raise Http404
    if wiki.viewer is None:
        return _login(request)
    form = RevertForm(request.POST)
    revision = page.revisions.filter(pk=form.data.get("revision") or 0).first()
    if not form.is_valid() or revision is None:
        raise Http404
    try:
        saved = actions.revert(
            wiki.viewer, page, revision, form.cleaned_data["summary"],
            form.cleaned_data["base_revision"],
        )  # fmt: skip
    except actions.EditConflict:
        messages.error(request, _("The page changed since you looked: nothing was reverted."))
        return HttpResponseRedirect(wiki.page_url(page.title, action="history"))
    if saved.changed:
        messages.success(request, _("The page is back to that revision's text."))
    else:
        messages.info(request, _("The page already had that revision's text."))
    return HttpResponseRedirect(page.get_absolute_url())


@require_http_methods(["GET", "HEAD", "POST"])
def protect(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if page is None or page.deleted_at is not None:
        raise Http404
    if wiki.viewer is None:
        return _login(request)
    if not wiki.can_moderate:
        raise PermissionDenied
    form = ProtectForm(
        request.POST if request.method == "POST" else None,
        initial={"level": page.protection},
        in_group=wiki.group is not None,
    )
    if form.is_valid():
        actions.protect(wiki.viewer, page, form.cleaned_data["level"], form.cleaned_data["reason"])
        messages.success(request, _("Protection changed."))
        return HttpResponseRedirect(page.get_absolute_url())
    return wiki_page(
        request,
        wiki,
        "protect.html",
        status=400 if form.errors else 200,
        **page_context(wiki, page, title),
        form=form,
        page_tab="protect",
    )


@require_POST
def delete(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if page is None or page.deleted_at is not None:
        raise Http404
    if not wiki.can_moderate:
        raise PermissionDenied
    form = DeleteForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    actions.delete_page(wiki.viewer, page, reason)
    messages.success(request, _("The page was deleted. Moderators can restore it."))
    return HttpResponseRedirect(wiki.index_url)


@require_POST
def restore(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if page is None or page.deleted_at is None:
        raise Http404
    if not wiki.can_moderate:
        raise PermissionDenied
    actions.restore_page(wiki.viewer, page)
    messages.success(request, _("The page was restored."))
    return HttpResponseRedirect(page.get_absolute_url())


# --- watching and talk -------------------------------------------------------------------------


@require_POST
def watch(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    if page is None or page.deleted_at is not None:
        raise Http404
    if wiki.viewer is None:
        return _login(request)
    if request.POST.get("watch") == "0":
        actions.unwatch(wiki.viewer, page)
        messages.success(request, _("You no longer watch this page."))
    else:
        actions.watch(wiki.viewer, page)
        messages.success(request, _("You will be notified when someone edits this page."))
    return HttpResponseRedirect(page.get_absolute_url())


@require_http_methods(["GET", "HEAD", "POST"])
def talk(request: HttpRequest, wiki: Wiki, title: str, page: Page | None) -> HttpResponse:
    """The page's discussion: its topic if it has one; else a form to start it."""
    if page is None or page.deleted_at is not None:
        raise Http404
    existing = talk_url(page)
    if existing is not None:
        return HttpResponseRedirect(existing)
    if wiki.viewer is None:
        return _login(request)
    form = TalkForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            link = settings.SITE_URL + page.get_absolute_url()
            actions.open_talk(wiki.viewer, page, form.cleaned_data["text"], link)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            page.refresh_from_db()
            return HttpResponseRedirect(talk_url(page))
    return wiki_page(
        request,
        wiki,
        "talk.html",
        status=400 if form.errors else 200,
        **page_context(wiki, page, title),
        form=form,
        page_tab="talk",
    )
