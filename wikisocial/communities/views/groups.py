"""Group pages: the directory, creating a group, its About page, members, joining and
leaving, join requests, invitations, bans, settings and the public moderation log.

Each view parses, checks access and calls ``communities.actions``. A group the viewer may
not know of, and a moderator's page to someone who does not moderate, is a 404.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wikisocial.accounts.models import Account
from wikisocial.communities import access, actions
from wikisocial.communities.forms import (
    BanForm,
    DirectoryForm,
    FindAccountForm,
    GroupForm,
    InviteForm,
    JoinForm,
    ReasonForm,
    RoleForm,
    known_account,
)
from wikisocial.communities.models import (
    MODERATING_ROLES,
    Group,
    GroupBan,
    GroupLogEntry,
    Invitation,
    JoinRequest,
    JoinRequestState,
    LogAction,
    Membership,
    Role,
)
from wikisocial.communities.views.common import (
    group_context,
    group_or_404,
    readable_group_or_404,
    viewer_of,
)
from wikisocial.core.pagination import as_id

PAGE_SIZE = 30
LOG_PAGE_SIZE = 50
# Log entries that name a member: hidden from non-moderators when the member list is.
MEMBER_REVEALING = (LogAction.APPROVE, LogAction.REJECT, LogAction.INVITE)
SORTS = {
    "activity": (F("last_activity_at").desc(nulls_last=True), "-id"),
    "members": ("-members_count", "-id"),
    "newest": ("-created_at", "-id"),
}


# --- helpers ---------------------------------------------------------------------------------


def _page(request: HttpRequest, group: Group, template: str, tab: str, status: int = 200, **ctx):
    """Render a group page: the header's context, then the page's own."""
    context = {**group_context(request, group, tab), **ctx}
    return render(request, f"communities/{template}", context, status=status)


def _moderated_group_or_404(request: HttpRequest, handle: str) -> Group:
    """The group, if the viewer moderates it here; 404 for everyone else (a moderator's page
    must not confirm that a group or a person in it exists)."""
    group = group_or_404(request, handle)
    if not group.is_local or not access.can_moderate(viewer_of(request), group):
        raise Http404
    return group


def _add_errors(form: forms.Form, error: ValidationError | PermissionDenied) -> None:
    """Put an action's refusal on the form: on the field it names when the form has one,
    at the top otherwise."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or _("You may not do this."))
    elif hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _posted(request: HttpRequest):
    """The form data of a POST (even an empty one: a button alone is a submission)."""
    return request.POST if request.method == "POST" else None


def _paginate(request: HttpRequest, items: QuerySet, size: int | None = None):
    return Paginator(items, size or PAGE_SIZE).get_page(request.GET.get("page"))


def _still_visible(request: HttpRequest, group: Group) -> bool:
    return Group.objects.visible_to(viewer_of(request)).filter(pk=group.pk).exists()


def _after_leaving(request: HttpRequest, group: Group) -> HttpResponse:
    """Back to the group's About page, or to the directory when the group is hidden from the
    viewer now."""
    if _still_visible(request, group):
        return redirect("communities:about", handle=group.url_handle)
    return redirect("communities:directory")


def _account_or_404(handle: str) -> Account:
    account = known_account(handle)
    if account is None:
        raise Http404
    return account


def _by_role(memberships: QuerySet) -> QuerySet:
    rank = Case(
        When(role=Role.OWNER, then=Value(0)),
        When(role=Role.MODERATOR, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return memberships.annotate(rank=rank).order_by("rank", "created_at", "id")


# --- the directory and creating a group -------------------------------------------------------


def _directory_groups(data: dict) -> QuerySet:
    groups = Group.objects.listed().select_related("account")
    if data.get("scope") != "all":
        groups = groups.filter(account__domain="")
    if data.get("q"):
        words = data["q"].strip()
        groups = groups.filter(
            Q(account__display_name__icontains=words) | Q(account__username__icontains=words)
        )
    if data.get("category"):
        groups = groups.filter(category=data["category"])
    if data.get("language"):
        groups = groups.filter(language__iexact=data["language"].strip())
    return groups.order_by(*SORTS.get(data.get("sort") or "activity", SORTS["activity"]))


def directory(request: HttpRequest) -> HttpResponse:
    """Listed groups (never hidden ones), filtered and sorted as asked; a filter that makes
    no sense is ignored rather than refused."""
    form = DirectoryForm(request.GET)
    form.is_valid()
    page = _paginate(request, _directory_groups(form.cleaned_data))
    query = urlencode({k: v for k, v in form.cleaned_data.items() if v})
    return render(
        request, "communities/groups_directory.html", {"form": form, "page": page, "query": query}
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_group(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if viewer is None:
        raise Http404
    form = GroupForm()
    if request.method == "POST":
        form = GroupForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                group = actions.create_group(viewer, form.cleaned_data["handle"], form.draft())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Your group has been created."))
                return redirect(group.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, "communities/groups_new.html", {"form": form}, status=status)


# --- the group's pages -----------------------------------------------------------------------


def about(request: HttpRequest, handle: str) -> HttpResponse:
    group = group_or_404(request, handle)
    moderators = _by_role(
        Membership.objects.filter(
            group=group, role__in=MODERATING_ROLES, account__deleted_at__isnull=True
        ).select_related("account")
    )
    return _page(request, group, "group_about.html", "about", moderators=moderators)


def members(request: HttpRequest, handle: str) -> HttpResponse:
    """The member list, with roles; when the group hides it, only moderators see names."""
    group = readable_group_or_404(request, handle)
    viewer = viewer_of(request)
    moderator = access.can_moderate(viewer, group) and group.is_local
    page = None
    if moderator or not group.members_hidden:
        memberships = Membership.objects.filter(
            group=group, account__deleted_at__isnull=True
        ).select_related("account")
        page = _paginate(request, _by_role(memberships))
    return _page(
        request,
        group,
        "group_members.html",
        "members",
        page=page,
        moderator_tools=moderator,
        sets_roles=moderator and actions.may_set_roles(viewer, group),
        viewer_account=viewer,
    )


def log(request: HttpRequest, handle: str) -> HttpResponse:
    """The public moderation log: what was done, by whom, to whom, and why."""
    group = readable_group_or_404(request, handle)
    entries = GroupLogEntry.objects.filter(group=group).select_related("actor", "target_account")
    discreet = group.members_hidden and not access.can_moderate(viewer_of(request), group)
    page = _paginate(request, entries, LOG_PAGE_SIZE)
    for entry in page.object_list:
        entry.shown_detail = _detail(entry)
    return _page(
        request,
        group,
        "group_log.html",
        "log",
        page=page,
        discreet=discreet,
        member_revealing=[str(a) for a in MEMBER_REVEALING],
    )


def _detail(entry: GroupLogEntry) -> str:
    """A log entry's detail for people: a role's name, a ban's end, or the text kept."""
    if entry.action == LogAction.ROLE and entry.detail in Role.values:
        return str(Role(entry.detail).label)
    if entry.action == LogAction.BAN and entry.detail:
        try:
            until = datetime.fromisoformat(entry.detail)
        except ValueError:
            return entry.detail
        return _("until %(date)s") % {"date": date_format(localtime(until), "DATETIME_FORMAT")}
    return entry.detail


# --- joining and leaving ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, handle: str) -> HttpResponse:
    """GET: the group's rules and questions. POST: join, or ask to, or accept an invitation
    (hidden groups are found only by people invited)."""
    group = group_or_404(request, handle)
    viewer = viewer_of(request)
    if access.is_member(viewer, group):
        return redirect(group.get_absolute_url())
    invited = Invitation.objects.filter(group=group, account=viewer).exists()
    asks = group.is_local and group.needs_approval and not invited
    form = JoinForm(_posted(request), group=group, required=asks)
    if request.method == "POST" and form.is_valid():
        try:
            result = actions.join(viewer, group, form.answers() if asks else [])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _joined(request, group, result)
    status = 400 if form.errors else 200
    return _page(request, group, "group_join.html", "about", status, form=form, asks=asks)


def _joined(request: HttpRequest, group: Group, result) -> HttpResponse:
    if isinstance(result, Membership):
        messages.success(request, _("Welcome! You are a member of this group now."))
        return redirect(group.get_absolute_url())
    if group.is_local:
        messages.success(request, _("Your request to join was sent to the group's moderators."))
    else:
        messages.success(request, _("Your request to join was sent to the group's server."))
    return redirect("communities:about", handle=group.url_handle)


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, handle: str) -> HttpResponse:
    """Leave the group (or withdraw a request to join); the last owner is told why not."""
    group = group_or_404(request, handle)
    viewer = viewer_of(request)
    form = forms.Form(_posted(request))
    if request.method == "POST":
        was_member = access.is_member(viewer, group)
        try:
            actions.leave(viewer, group)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            text = _("You left the group.") if was_member else _("Your request was withdrawn.")
            messages.success(request, text)
            return _after_leaving(request, group)
    status = 400 if form.errors else 200
    return _page(request, group, "group_leave.html", "about", status, form=form)


@login_required
@require_POST
def decline_invitation(request: HttpRequest, handle: str) -> HttpResponse:
    group = group_or_404(request, handle)
    invitation = get_object_or_404(Invitation, group=group, account=viewer_of(request))
    actions.decline_invitation(viewer_of(request), invitation)
    messages.success(request, _("You declined the invitation."))
    return _after_leaving(request, group)


# --- moderators: requests, members, bans, settings -------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def requests(request: HttpRequest, handle: str) -> HttpResponse:
    """Join requests with their answers; moderators approve or decline them."""
    group = _moderated_group_or_404(request, handle)
    error = ""
    if request.method == "POST":
        join_request = get_object_or_404(
            JoinRequest, pk=as_id(request.POST.get("request")), group=group
        )
        try:
            _decide(viewer_of(request), join_request, request.POST.get("decision", ""))
        except (ValidationError, PermissionDenied) as refusal:
            error = " ".join(getattr(refusal, "messages", [str(refusal)]))
        else:
            return redirect("communities:requests", handle=group.url_handle)
    waiting = JoinRequest.objects.filter(group=group, state=JoinRequestState.PENDING)
    declined = JoinRequest.objects.filter(group=group, state=JoinRequestState.REJECTED)
    return _page(
        request,
        group,
        "group_requests.html",
        "requests",
        400 if error else 200,
        error=error,
        waiting=waiting.select_related("account").order_by("created_at", "id"),
        declined=declined.select_related("account", "decided_by").order_by("-created_at")[:50],
    )


def _decide(moderator: Account, join_request: JoinRequest, decision: str) -> None:
    if decision == "approve":
        actions.approve(moderator, join_request)
    elif decision == "decline":
        actions.reject(moderator, join_request)
    else:
        raise ValidationError(_("Choose to approve or to decline."))


MEMBER_FORMS = {"remove": ReasonForm, "ban": BanForm, "unban": forms.Form, "role": RoleForm}


@login_required
@require_http_methods(["GET", "POST"])
def member_action(request: HttpRequest, handle: str, username: str, action: str) -> HttpResponse:
    """Remove, ban, unban or change the role of someone: GET asks (a reason, a duration),
    POST does it."""
    group = _moderated_group_or_404(request, handle)
    if action not in MEMBER_FORMS:
        raise Http404
    target = _account_or_404(username)
    form = MEMBER_FORMS[action](_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            _act_on_member(viewer_of(request), group, target, action, form)
        except (ValidationError, PermissionDenied) as error:
            _add_errors(form, error)
        else:
            back = "communities:bans" if action == "unban" else "communities:members"
            return redirect(back, handle=group.url_handle)
    status = 400 if form.errors else 200
    return _page(
        request,
        group,
        "group_member_action.html",
        "members",
        status,
        form=form,
        target=target,
        action=action,
        target_membership=access.membership_of(target, group),
    )


def _act_on_member(moderator, group: Group, target: Account, action: str, form) -> None:
    data = form.cleaned_data
    if action == "remove":
        actions.remove_member(moderator, group, target, data["reason"])
    elif action == "ban":
        actions.ban(moderator, group, target, data["reason"], form.until())
    elif action == "unban":
        actions.unban(moderator, group, target)
    else:
        actions.set_role(moderator, group, target, data["role"])


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, handle: str) -> HttpResponse:
    """Invite someone on this server: moderators in any group, any member in a public one.
    Moderators also withdraw invitations here."""
    group = group_or_404(request, handle)
    viewer = viewer_of(request)
    if not access.can_invite(viewer, group):
        raise Http404
    moderator = access.can_moderate(viewer, group)
    form = InviteForm(_posted(request))
    if request.method == "POST" and "withdraw" in request.POST:
        _withdraw(request, viewer, group)
        return redirect("communities:invite", handle=group.url_handle)
    if request.method == "POST" and form.is_valid():
        try:
            actions.invite(viewer, group, form.cleaned_data["username"])
        except (ValidationError, PermissionDenied) as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The invitation has been sent."))
            return redirect("communities:invite", handle=group.url_handle)
    pending = Invitation.objects.filter(group=group).select_related("account", "invited_by")
    if not moderator:
        pending = pending.filter(invited_by=viewer)
    status = 400 if form.errors else 200
    return _page(
        request,
        group,
        "group_invite.html",
        "members",
        status,
        form=form,
        invitations=pending.order_by("-created_at"),
    )


def _withdraw(request: HttpRequest, viewer: Account, group: Group) -> None:
    invitation = get_object_or_404(Invitation, pk=as_id(request.POST.get("withdraw")), group=group)
    try:
        actions.withdraw_invitation(viewer, invitation)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The invitation was withdrawn."))


@login_required
def bans(request: HttpRequest, handle: str) -> HttpResponse:
    """Who is banned, why, by whom and until when; lifting bans; banning someone by name
    (in a public group people post without being members)."""
    group = _moderated_group_or_404(request, handle)
    form = FindAccountForm(request.GET if "username" in request.GET else None)
    if form.is_bound and form.is_valid():
        return redirect(
            "communities:member-action",
            handle=group.url_handle,
            username=form.cleaned_data["username"].url_handle,
            action="ban",
        )
    entries = GroupBan.objects.filter(group=group).select_related("account", "banned_by")
    return _page(
        request,
        group,
        "group_bans.html",
        "members",
        400 if form.errors else 200,
        form=form,
        page=_paginate(request, entries.order_by("-created_at", "-id")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, handle: str) -> HttpResponse:
    """Everything chosen at creation but the handle."""
    group = _moderated_group_or_404(request, handle)
    form = GroupForm(group=group)
    if request.method == "POST":
        form = GroupForm(request.POST, request.FILES, group=group)
        if form.is_valid():
            try:
                actions.update_group(viewer_of(request), group, form.draft())
            except (ValidationError, PermissionDenied) as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The group's settings have been saved."))
                return redirect("communities:settings", handle=group.url_handle)
    status = 400 if form.errors else 200
    return _page(request, group, "group_settings.html", "settings", status, form=form)
