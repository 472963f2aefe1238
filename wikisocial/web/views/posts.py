"""Writing and reading posts: compose, the thread page, edit and history, delete, and the
buttons under each post (reply, boost, like, bookmark, pin)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from wikisocial.core.pagination import as_id
from wikisocial.federation import documents
from wikisocial.federation.jsonld import wants_activitypub
from wikisocial.federation.resolve import split_handle
from wikisocial.posts import actions
from wikisocial.posts.forms import ComposeForm, initial_from
from wikisocial.posts.models import Poll, Post
from wikisocial.posts.queries import interactions
from wikisocial.timelines.queries import thread, with_related
from wikisocial.web.views.common import back, safe_next, viewer_of

ALT_TEXT_TIP = _lazy("Posted. Tip: describe your images (alt text) so everyone can see them.")


def visible_post(request: HttpRequest, username: str, post_id: int) -> Post:
    """The post, if this viewer may see it and the URL names its author (``name`` when local,
    ``name@domain`` when remote); else 404."""
    post = with_related(Post.objects.visible_to(viewer_of(request))).filter(pk=post_id).first()
    name, domain = split_handle(username)
    if post is None or post.author.domain != domain or post.author.username.lower() != name.lower():
        raise Http404
    return post


def post_context(request: HttpRequest, posts: list[Post]) -> dict:
    """What the post templates need besides the posts: the viewer, their marks, the time."""
    viewer = viewer_of(request)
    return {"viewer": viewer, "marks": interactions(viewer, posts), "now": timezone.now()}


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    """The compose page (also the target of the compose box on other pages)."""
    author = request.user.account
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, author=author)
        if form.is_valid():
            try:
                post = actions.create_post(author, form.draft())
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                if form.alt_missing:
                    messages.info(request, ALT_TEXT_TIP)
                return HttpResponseRedirect(safe_next(request, post.get_absolute_url()))
    else:
        initial = {"visibility": request.GET.get("visibility", "public")}
        if request.GET.get("text"):
            initial["text"] = request.GET["text"]
        form = ComposeForm(author=author, initial=initial)
    return render(
        request,
        "web/compose.html",
        {"form": form, "next": safe_next(request, "")},
        status=400 if form.errors else 200,
    )


@vary_on_headers("Accept")
def post_detail(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = visible_post(request, username, post_id)
    if wants_activitypub(request):
        if not post.local:  # not ours to describe: ask its own server
            return HttpResponseRedirect(post.uri) if post.uri else HttpResponseNotFound()
        return documents.post(post)
    if post.is_boost:
        return HttpResponseRedirect(post.boost_of.get_absolute_url())
    if request.htmx and request.GET.get("part") == "content":
        return render(request, "web/_post_content.html", {"post": post, "full": True})
    viewer = viewer_of(request)
    ancestors, descendants = thread(post, viewer)
    reply_form = None
    if viewer is not None:
        mention = f"{post.author.handle} " if post.author_id != viewer.pk else ""
        reply_form = ComposeForm(
            author=viewer,
            initial={
                "in_reply_to": post.pk,
                "text": mention,
                "visibility": post.visibility if post.visibility != "public" else "public",
                "spoiler_text": post.spoiler_text,
            },
        )
    everything = [*ancestors, post, *(d for d, _ in descendants)]
    context = {
        "post": post,
        "ancestors": ancestors,
        "descendants": descendants,
        "reply_form": reply_form,
        **post_context(request, everything),
    }
    return render(request, "web/post.html", context)


def _own_post(request: HttpRequest, username: str, post_id: int) -> Post:
    post = visible_post(request, username, post_id)
    if post.author_id != request.user.account.pk:
        raise Http404
    return post


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = _own_post(request, username, post_id)
    if post.is_boost:
        raise Http404
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, author=post.author, editing=post)
        if form.is_valid():
            try:
                actions.edit_post(post, post.author, form.draft())
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                messages.success(request, _("Your post is updated."))
                return HttpResponseRedirect(post.get_absolute_url())
    else:
        form = ComposeForm(author=post.author, editing=post, initial=initial_from(post))
        form.attachments = list(post.media.all())
    return render(
        request,
        "web/compose.html",
        {"form": form, "editing": post},
        status=400 if form.errors else 200,
    )


def history(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = visible_post(request, username, post_id)
    versions = list(post.edits.order_by("-created_at", "-id"))
    return render(request, "web/post_history.html", {"post": post, "versions": versions})


@login_required
@require_POST
def delete(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = _own_post(request, username, post_id)
    redraft = actions.delete_post(post, post.author)
    if request.POST.get("redraft"):
        form = ComposeForm(
            author=post.author,
            initial={
                "text": redraft.text,
                "spoiler_text": redraft.spoiler_text,
                "visibility": redraft.visibility,
                "language": redraft.language,
                "sensitive": redraft.sensitive,
                "in_reply_to": redraft.in_reply_to.pk if redraft.in_reply_to else None,
                "poll_options": "\n".join(redraft.poll.options) if redraft.poll else "",
                "poll_multiple": redraft.poll.multiple if redraft.poll else False,
            },
        )
        form.attachments = list(post.author.media.filter(pk__in=redraft.media_ids))
        return render(request, "web/compose.html", {"form": form, "redraft": True})
    messages.success(request, _("Your post is deleted."))
    profile_url = reverse("web:profile", kwargs={"username": post.author.username})
    target = safe_next(request, profile_url)
    if target.split("?")[0].startswith(post.get_absolute_url()):
        target = profile_url  # the post's own page is gone
    return HttpResponseRedirect(target)


# --- the buttons under a post --------------------------------------------------------------

TOGGLES = {
    "like": (actions.like, actions.unlike),
    "boost": (actions.boost, actions.unboost),
    "bookmark": (actions.bookmark, actions.unbookmark),
    "pin": (actions.pin, actions.unpin),
}


@login_required
@require_POST
def toggle(request: HttpRequest, username: str, post_id: int, what: str) -> HttpResponse:
    """Like, boost, bookmark or pin (``undo=1`` to take it back). With htmx, answers with the
    post's refreshed action bar; without, goes back to the page it came from."""
    if what not in TOGGLES:
        raise Http404
    post = visible_post(request, username, post_id)
    viewer = request.user.account
    do, undo = TOGGLES[what]
    try:
        (undo if request.POST.get("undo") else do)(viewer, post)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        if request.htmx:
            return HttpResponse(" ".join(exc.messages), status=400)
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        fresh = with_related(Post.objects.filter(pk=post.pk)).get()
        context = {"post": fresh, **post_context(request, [fresh])}
        return render(request, "web/_post_actions.html", context)
    return back(request, post.get_absolute_url())


@login_required
@require_POST
def vote(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = visible_post(request, username, post_id)
    poll = get_object_or_404(Poll, post=post)
    choices = [c for c in map(as_id, request.POST.getlist("choice")) if c is not None]
    try:
        actions.vote(request.user.account, poll, choices)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return back(request, post.get_absolute_url())


@login_required
@require_POST
def hide_from_wall(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = visible_post(request, username, post_id)
    try:
        actions.set_hidden_from_wall(request.user.account, post, not request.POST.get("undo"))
    except PermissionDenied:
        raise Http404 from None
    return back(request, reverse("web:wall", kwargs={"username": request.user.username}))
