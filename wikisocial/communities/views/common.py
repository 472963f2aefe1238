"""What every group page needs: finding the group for this viewer, and the context of the
group's header (name, banner, tabs, the viewer's role)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from wikisocial.accounts.models import Account
from wikisocial.communities import access
from wikisocial.communities.models import (
    Group,
    GroupKind,
    Invitation,
    JoinRequest,
    JoinRequestState,
)

# Short names for the kind badge; the long label (GroupKind's) explains it.
KIND_NAMES = {
    GroupKind.PUBLIC: _("Public group"),
    GroupKind.RESTRICTED: _("Restricted group"),
    GroupKind.PRIVATE: _("Private group"),
    GroupKind.HIDDEN: _("Hidden group"),
}


def viewer_of(request: HttpRequest) -> Account | None:
    """The signed-in person's account, or None."""
    user = request.user
    return getattr(user, "account", None) if user.is_authenticated else None


def group_or_404(request: HttpRequest, handle: str) -> Group:
    """The group ``handle`` names (``name`` here, ``name@domain`` elsewhere) if this viewer
    may know it exists; 404 otherwise, never 403 (that would confirm a hidden group)."""
    name, _at, domain = handle.partition("@")
    if domain.lower() == settings.DOMAIN:
        domain = ""
    group = (
        Group.objects.visible_to(viewer_of(request))
        .select_related("account")
        .filter(account__username__iexact=name, account__domain__iexact=domain)
        .first()
    )
    if group is None:
        raise Http404
    return group


def readable_group_or_404(request: HttpRequest, handle: str) -> Group:
    """The group, if this viewer may also read what is in it (topics, wiki, members)."""
    group = group_or_404(request, handle)
    if not access.can_read(viewer_of(request), group):
        raise Http404
    return group


def group_context(request: HttpRequest, group: Group, tab: str = "") -> dict:
    """Context for ``communities/_group_header.html``: the group, the viewer's membership,
    whether they moderate it, read it, have asked to join, are invited or banned, and the
    current tab."""
    viewer = viewer_of(request)
    membership = access.membership_of(viewer, group)
    ban = access.ban_of(viewer, group)
    can_moderate = access.can_moderate(viewer, group)
    outsider = viewer is not None and membership is None
    return {
        "group": group,
        "membership": membership,
        "can_moderate": can_moderate,
        "can_read": access.can_read(viewer, group),
        "banned": ban is not None,
        "banned_until": ban.expires_at if ban is not None else None,
        "ban_reason": ban.reason if ban is not None else "",
        "join_request": JoinRequest.objects.filter(group=group, account=viewer).first()
        if outsider
        else None,
        "invitation": Invitation.objects.filter(group=group, account=viewer)
        .select_related("invited_by")
        .first()
        if outsider and ban is None
        else None,
        "pending_requests": JoinRequest.objects.filter(
            group=group, state=JoinRequestState.PENDING
        ).count()
        if can_moderate
        else 0,
        "kind_name": KIND_NAMES.get(group.kind, group.kind),
        "kind_explained": group.get_kind_display(),
        "tab": tab,
    }
