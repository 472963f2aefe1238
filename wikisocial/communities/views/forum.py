"""Forum pages: a group's topic list (the group home), a new topic, a topic with its replies
and reactions, and the moderators' tools (lock, pin, close, slow mode, move, split, solution,
delete, categories), and watching.

Each view parses, checks access and calls ``communities.forum``. A group or topic the viewer
may not read is a 404, and so is a tool they may not use.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from wikisocial.accounts.models import Account
from wikisocial.communities import access, forum, forum_queries
from wikisocial.communities import activitypub as group_federation
from wikisocial.communities.forum_forms import (
    CategoryForm,
    MoveForm,
    ReplyForm,
    SlowModeForm,
    SplitForm,
    TopicForm,
    WatchForm,
    apply_errors,
    label_of,
)
from wikisocial.communities.models import (
    MODERATING_ROLES,
    ForumCategory,
    Group,
    ReactionKind,
    Topic,
    TopicTag,
)
from wikisocial.communities.views.common import (
    group_context,
    group_or_404,
    readable_group_or_404,
    viewer_of,
)
from wikisocial.core.markup import normalize_hashtag
from wikisocial.core.pagination import as_id
from wikisocial.federation.jsonld import wants_activitypub
from wikisocial.posts import actions as post_actions
from wikisocial.posts.models import Post
from wikisocial.posts.queries import interactions
from wikisocial.timelines.queries import with_related
from wikisocial.web.views.common import back
from wikisocial.wiki.models import Page

# --- helpers ---------------------------------------------------------------------------------


def _page(request: HttpRequest, group: Group, template: str, status: int = 200, **ctx):
    """Render a forum page: the group header's context, then the page's own."""
    context = {**group_context(request, group, "forum"), **ctx}
    return render(request, f"communities/{template}", context, status=status)


def _topic_or_404(request: HttpRequest, group: Group, topic_id: int) -> Topic:
    """The topic whose first post the viewer may see, in this group (a topic moved away is
    not found here: the caller redirects)."""
    post = Post.objects.visible_to(viewer_of(request)).filter(pk=topic_id).first()
    topic = (
        Topic.objects.filter(post=post).select_related("group__account", "post__author").first()
        if post is not None
        else None
    )
    if topic is None or topic.group is None:
        raise Http404
    return topic


def _moved(group: Group, topic: Topic) -> HttpResponse | None:
    """A topic moved to another group (that the viewer may read: they see its post) is
    found at its new address."""
    if topic.group_id != group.pk:
        return HttpResponseRedirect(forum.topic_url(topic))
    return None


def _refusal(viewer: Account | None, group: Group, topic: Topic | None = None) -> str:
    """Why the viewer may not post here now ("" when they may)."""
    if viewer is None:
        return ""
    try:
        access.check_can_post(viewer, group, topic)
    except ValidationError as error:
        return error.messages[0]
    return ""


# --- the topic list (the group home) ----------------------------------------------------------


@vary_on_headers("Accept")
def group_home(request: HttpRequest, handle: str) -> HttpResponse:
    """The group's forum; other servers asking for ActivityPub get the Group actor (whether
    they may is decided there: a hidden group exists for its members' servers)."""
    if wants_activitypub(request):
        return group_federation.group_response(request, _any_group_or_404(handle))
    return _topic_list(request, group_or_404(request, handle))


def _any_group_or_404(handle: str) -> Group:
    name, _at, domain = handle.partition("@")
    if domain.lower() == settings.DOMAIN:
        domain = ""
    group = (
        Group.objects.alive()
        .select_related("account")
        .filter(account__username__iexact=name, account__domain__iexact=domain)
        .first()
    )
    if group is None:
        raise Http404
    return group


def category(request: HttpRequest, handle: str, slug: str) -> HttpResponse:
    group = readable_group_or_404(request, handle)
    found = get_object_or_404(ForumCategory, group=group, slug=slug)
    return _topic_list(request, group, category=found)


def tag(request: HttpRequest, handle: str, name: str) -> HttpResponse:
    group = readable_group_or_404(request, handle)
    found = get_object_or_404(TopicTag, group=group, name=normalize_hashtag(name.lstrip("#")))
    return _topic_list(request, group, tag=found)


def _topic_list(request: HttpRequest, group: Group, **where) -> HttpResponse:
    viewer = viewer_of(request)
    if not access.can_read(viewer, group):
        return _page(request, group, "forum_index.html", members_only=True)
    wanted = forum_queries.ListFilter(
        sort=request.GET.get("sort", "latest"),
        show_muted=request.GET.get("muted") == "1",
        after=request.GET.get("after", ""),
        **where,
    )
    if wanted.sort not in forum_queries.SORTS:
        wanted.sort = "latest"
    page = forum_queries.topic_page(viewer, group, wanted)
    shown = [*page.pinned, *page.topics]
    unread = forum_queries.unread_counts(viewer, shown)
    now = timezone.now()
    for topic in shown:
        topic.slow_mode_on = forum.slow_mode_active(topic, now)
        topic.unread = unread.get(topic.pk, 0)
    return _page(
        request,
        group,
        "forum_index.html",
        page=page,
        wanted=wanted,
        sorts=_sort_links(),
        categories=list(group.categories.all()),
        watch_form=WatchForm(
            initial={"level": forum.watch_level(viewer, group=group)}, target="group"
        ),
        refusal=_refusal(viewer, group),
    )


def _sort_links() -> list[tuple[str, str]]:
    return [
        ("latest", _("Latest activity")),
        ("newest", _("Newest")),
        ("helpful", _("Most helpful")),
    ]


# --- a new topic ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def new_topic(request: HttpRequest, handle: str) -> HttpResponse:
    group = readable_group_or_404(request, handle)
    viewer = request.user.account
    form = TopicForm(request.POST or None, group=group, initial=_new_topic_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            topic = forum.create_topic(
                viewer,
                group,
                form.cleaned_data["title"],
                form.draft(),
                category=form.cleaned_data.get("category"),
                tags=form.tag_names(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return HttpResponseRedirect(forum.topic_url(topic))
    status = 400 if form.errors else 200
    return _page(
        request, group, "forum_new_topic.html", status, form=form, refusal=_refusal(viewer, group)
    )


def _new_topic_initial(request: HttpRequest) -> dict:
    """A link from a category's page starts the topic in that category."""
    return {"category": request.GET.get("category")} if request.GET.get("category") else {}


# --- a topic ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def topic_detail(request: HttpRequest, handle: str, topic_id: int) -> HttpResponse:
    """The topic, its replies (a tree, or ``?view=flat``) and the reply form, which posts
    here; a reply refused (locked, slow mode …) comes back with status 400 and its text."""
    group = readable_group_or_404(request, handle)
    topic = _topic_or_404(request, group, topic_id)
    moved = _moved(group, topic)
    if moved is not None:
        return moved
    viewer = viewer_of(request)
    if request.method == "POST" and viewer is None:
        return redirect_to_login(request.get_full_path())
    form = None
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES, author=viewer, topic=topic)
        if form.is_valid():
            try:
                post = post_actions.create_post(viewer, form.draft())
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                return HttpResponseRedirect(f"{forum.topic_url(topic)}#post-{post.pk}")
    elif viewer is not None:
        form = ReplyForm(author=viewer, topic=topic, initial=_reply_initial(request, topic))
    return _render_topic(request, group, topic, form)


def _reply_target(request: HttpRequest, topic: Topic) -> Post | None:
    """The post a reply link chose (``?reply_to=``), if it is in this topic and visible."""
    pk = as_id(request.POST.get("in_reply_to") or request.GET.get("reply_to"))
    if pk is None or pk == topic.post_id:
        return None
    return (
        Post.objects.visible_to(viewer_of(request))
        .filter(pk=pk, thread_root_id=topic.post_id)
        .select_related("author")
        .first()
    )


def _reply_initial(request: HttpRequest, topic: Topic) -> dict:
    target = _reply_target(request, topic)
    return {"in_reply_to": target.pk if target is not None else topic.post_id}


def _render_topic(request: HttpRequest, group: Group, topic: Topic, form) -> HttpResponse:
    viewer = viewer_of(request)
    flat = request.GET.get("view") == "flat"
    first = with_related(Post.objects.filter(pk=topic.post_id)).get()
    replies = forum_queries.replies(topic, viewer, flat)
    solution = next((p for p, _d in replies if p.pk == topic.solution_id), None)
    everything = [first, *(p for p, _d in replies)]
    _with_reactions(viewer, everything)
    if replies:
        forum.mark_read(viewer, topic, max(p.pk for p, _d in replies))
    return _page(
        request,
        group,
        "topic_detail.html",
        400 if form is not None and form.errors else 200,
        topic=topic,
        first=first,
        replies=replies,
        solution=solution,
        flat=flat,
        reply_form=form,
        reply_target=_reply_target(request, topic),
        marks=interactions(viewer, everything),
        talk_of=Page.objects.visible_to(viewer).filter(talk=topic).first(),
        viewer=viewer,
        now=timezone.now(),
        **_topic_state(viewer, topic),
    )


def _with_reactions(viewer: Account | None, posts: list[Post]) -> None:
    """Each post gets its reaction counts (``reaction_list``) for the template."""
    counts = forum_queries.reactions_on(viewer, posts)
    for post in posts:
        post.reaction_list = counts[post.pk]


def _topic_state(viewer: Account | None, topic: Topic) -> dict:
    """What the topic page says about the topic's state and what the viewer may do."""
    moderator = forum.can_moderate_topic(viewer, topic)
    author = viewer is not None and viewer.pk == topic.post.author_id
    topic.slow_mode_on = forum.slow_mode_active(topic)
    wait = forum.slow_mode_wait(viewer, topic)
    return {
        "slow_mode_on": topic.slow_mode_on,
        "slow_mode_interval": forum.duration_text(topic.slow_mode_seconds or 1),
        "slow_mode_wait": wait,
        "slow_mode_wait_minutes": (wait + 59) // 60,
        "refusal": _refusal(viewer, topic.group, topic),
        "topic_moderator": moderator,
        "may_choose_solution": moderator or author,
        "slow_mode_form": SlowModeForm(initial={"seconds": topic.slow_mode_seconds}),
        "watch_form": WatchForm(
            initial={"level": forum.watch_level(viewer, topic=topic)}, target="topic"
        ),
        "reaction_kinds": ReactionKind,
    }


# --- what people and moderators do to a topic --------------------------------------------------


def _post_in_topic(request: HttpRequest, topic: Topic) -> Post:
    """The post a form names (``post``), if the viewer sees it and it is in ``topic``."""
    pk = as_id(request.POST.get("post") or request.GET.get("post"))
    post = Post.objects.visible_to(viewer_of(request)).filter(pk=pk).first() if pk else None
    if post is None or topic.post_id not in (post.pk, post.thread_root_id):
        raise Http404
    return post


def _react(request: HttpRequest, viewer: Account, topic: Topic) -> None:
    post = _post_in_topic(request, topic)
    kind = request.POST.get("kind", "")
    if request.POST.get("undo"):
        forum.unreact(viewer, post, kind)
    else:
        forum.react(viewer, post, kind)


def _slow_mode(request: HttpRequest, viewer: Account, topic: Topic) -> None:
    if not forum.can_moderate_topic(viewer, topic):
        raise PermissionDenied
    form = SlowModeForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Choose one of the intervals."))
    forum.set_slow_mode(viewer, topic, form.cleaned_data["seconds"])


def _delete(request: HttpRequest, viewer: Account, topic: Topic) -> None:
    forum.delete_in_group(viewer, _post_in_topic(request, topic), request.POST.get("reason", ""))


SIMPLE_ACTIONS = {
    "lock": lambda r, v, t: forum.set_locked(v, t, True),
    "unlock": lambda r, v, t: forum.set_locked(v, t, False),
    "pin": lambda r, v, t: forum.set_pinned(v, t, True),
    "unpin": lambda r, v, t: forum.set_pinned(v, t, False),
    "close": lambda r, v, t: forum.set_closed(v, t, True),
    "open": lambda r, v, t: forum.set_closed(v, t, False),
    "solution": lambda r, v, t: forum.mark_solution(v, t, _post_in_topic(r, t)),
    "unsolve": lambda r, v, t: forum.unmark_solution(v, t),
    "slow-mode": _slow_mode,
    "delete": _delete,
    "react": _react,
}
DONE = {
    "lock": gettext_lazy("The topic is locked: only moderators may reply."),
    "unlock": gettext_lazy("The topic is unlocked."),
    "pin": gettext_lazy("The topic is pinned."),
    "unpin": gettext_lazy("The topic is no longer pinned."),
    "close": gettext_lazy("The topic is closed."),
    "open": gettext_lazy("The topic is open again."),
    "solution": gettext_lazy("The solution is marked."),
    "unsolve": gettext_lazy("The topic has no solution marked now."),
    "slow-mode": gettext_lazy("Slow mode is changed."),
    "delete": gettext_lazy("The post is deleted."),
}


@login_required
@require_http_methods(["GET", "POST"])
def topic_action(request: HttpRequest, handle: str, topic_id: int, action: str) -> HttpResponse:
    """The buttons on a topic (POST). Move and split show their form first (GET)."""
    group = readable_group_or_404(request, handle)
    topic = _topic_or_404(request, group, topic_id)
    if topic.group_id != group.pk:
        raise Http404
    if action in ("move", "split"):
        return (move if action == "move" else split)(request, group, topic)
    if action not in SIMPLE_ACTIONS or request.method != "POST":
        raise Http404
    try:
        SIMPLE_ACTIONS[action](request, request.user.account, topic)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        if request.htmx:
            return HttpResponse(" ".join(exc.messages), status=400)
        messages.error(request, " ".join(exc.messages))
    else:
        if action in DONE:
            messages.success(request, DONE[action])
    if action == "react" and request.htmx:
        return _reactions_fragment(request, topic)
    if action == "delete" and as_id(request.POST.get("post")) == topic.post_id:
        return HttpResponseRedirect(group.get_absolute_url())
    return back(request, forum.topic_url(topic))


def _reactions_fragment(request: HttpRequest, topic: Topic) -> HttpResponse:
    post = with_related(Post.objects.filter(pk=_post_in_topic(request, topic).pk)).get()
    viewer = viewer_of(request)
    _with_reactions(viewer, [post])
    context = {
        "post": post,
        "topic": topic,
        "group": topic.group,
        "viewer": viewer,
        "next_url": forum.topic_url(topic),
    }
    return render(request, "communities/_reply_reactions.html", context)


def _moderated_groups(viewer: Account) -> list[Group]:
    """Groups on this server the viewer could move a topic into (for the form's list)."""
    qs = Group.objects.alive().filter(account__domain="").select_related("account")
    if not (viewer.user_id and viewer.user.is_staff):
        qs = qs.filter(memberships__account=viewer, memberships__role__in=MODERATING_ROLES)
    return list(qs.order_by("account__username")[:200])


def move(request: HttpRequest, group: Group, topic: Topic) -> HttpResponse:
    """Move the topic to another group the moderator also moderates."""
    viewer = request.user.account
    if not forum.can_moderate_topic(viewer, topic):
        raise Http404
    form = MoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        target = form.target(viewer)
        if target is not None:
            try:
                forum.move_topic(viewer, topic, target)
            except PermissionDenied as exc:
                form.add_error("group", str(exc) or _("You may not move topics there."))
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The topic is moved."))
                return HttpResponseRedirect(forum.topic_url(topic))
    return _page(
        request,
        group,
        "topic_move.html",
        400 if form.errors else 200,
        topic=topic,
        form=form,
        choices=[g for g in _moderated_groups(viewer) if g.pk != group.pk],
    )


def split(request: HttpRequest, group: Group, topic: Topic) -> HttpResponse:
    """Make a reply and the replies under it a new topic."""
    viewer = request.user.account
    if not forum.can_moderate_topic(viewer, topic):
        raise Http404
    reply = _post_in_topic(request, topic)
    if reply.pk == topic.post_id:
        raise Http404
    form = SplitForm(request.POST if request.method == "POST" else None, initial={"post": reply.pk})
    if request.method == "POST" and form.is_valid():
        try:
            new = forum.split_topic(viewer, topic, reply, form.cleaned_data["title"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The replies are a topic of their own now."))
            return HttpResponseRedirect(forum.topic_url(new))
    post = with_related(Post.objects.filter(pk=reply.pk)).get()
    status = 400 if form.errors else 200
    return _page(request, group, "topic_split.html", status, topic=topic, form=form, reply=post)


# --- watching ---------------------------------------------------------------------------------


@login_required
@require_POST
def watch(request: HttpRequest, handle: str) -> HttpResponse:
    """Choose how closely to follow the group (its new topics) or one of its topics
    (``topic``: its replies)."""
    group = readable_group_or_404(request, handle)
    viewer = request.user.account
    topic = None
    if request.POST.get("topic"):
        topic = _topic_or_404(request, group, as_id(request.POST["topic"]) or 0)
        if topic.group_id != group.pk:
            raise Http404
    form = WatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how closely to follow it."))
    else:
        level = form.cleaned_data["level"]
        try:
            if topic is not None:
                forum.set_watch(viewer, level, topic=topic)
            else:
                forum.set_watch(viewer, level, group=group)
        except PermissionDenied:
            raise Http404 from None
        label = label_of(level, "topic" if topic is not None else "group")
        messages.success(request, _("Saved. %(level)s") % {"level": label})
    fallback = forum.topic_url(topic) if topic is not None else group.get_absolute_url()
    return back(request, fallback)


# --- categories -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest, handle: str) -> HttpResponse:
    """Moderators create, rename, reorder and delete the group's categories."""
    group = readable_group_or_404(request, handle)
    viewer = request.user.account
    if not access.can_moderate(viewer, group):
        raise Http404
    editing = _category(group, request.POST.get("category") or request.GET.get("edit"))
    new_form = CategoryForm(prefix="new")
    edit_form = CategoryForm(
        prefix="edit",
        initial={"name": editing.name, "description": editing.description} if editing else None,
    )
    if request.method == "POST":
        op = request.POST.get("op", "")
        done, bad_form = _category_op(request, viewer, group, op, editing)
        if done:
            return HttpResponseRedirect(reverse("communities:categories", args=[group.url_handle]))
        if op == "create":
            new_form = bad_form
        elif bad_form is not None:
            edit_form = bad_form
    bad = new_form.errors or edit_form.errors
    return _page(
        request,
        group,
        "forum_categories.html",
        400 if bad else 200,
        categories=list(group.categories.all()),
        new_form=new_form,
        edit_form=edit_form,
        editing=editing,
    )


def _category(group: Group, value: object) -> ForumCategory | None:
    pk = as_id(value)
    if value and pk is None:
        raise Http404
    return get_object_or_404(ForumCategory, group=group, pk=pk) if pk else None


def _category_op(request, viewer, group, op: str, category) -> tuple[bool, CategoryForm | None]:
    """Do ``op``; return (done, the form to show again with its errors)."""
    if op in ("up", "down", "delete", "rename") and category is None:
        raise Http404
    if op == "up" or op == "down":
        forum.move_category(viewer, category, -1 if op == "up" else 1)
        return True, None
    if op == "delete":
        forum.delete_category(viewer, category)
        messages.success(request, _("The category is deleted; its topics stay."))
        return True, None
    if op not in ("create", "rename"):
        raise Http404
    form = CategoryForm(request.POST, prefix="new" if op == "create" else "edit")
    if form.is_valid():
        try:
            data = form.cleaned_data
            if op == "create":
                forum.create_category(viewer, group, data["name"], data["description"])
            else:
                forum.rename_category(viewer, category, data["name"], data["description"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return True, None
    return False, form
