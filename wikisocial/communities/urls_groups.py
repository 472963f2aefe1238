"""Group pages: directory, creation, about, members, joining and leaving, requests,
invitations, bans, settings, the moderation log."""

from django.urls import path

from wikisocial.communities.views import groups

GROUP = "g/<handle:handle>"

urlpatterns = [
    path("groups", groups.directory, name="directory"),
    path("groups/new", groups.new_group, name="new"),
    path(f"{GROUP}/about", groups.about, name="about"),
    path(f"{GROUP}/members", groups.members, name="members"),
    path(
        f"{GROUP}/members/<handle:username>/<str:action>",
        groups.member_action,
        name="member-action",
    ),
    path(f"{GROUP}/join", groups.join, name="join"),
    path(f"{GROUP}/leave", groups.leave, name="leave"),
    path(f"{GROUP}/invitation/decline", groups.decline_invitation, name="decline-invitation"),
    path(f"{GROUP}/requests", groups.requests, name="requests"),
    path(f"{GROUP}/invite", groups.invite, name="invite"),
    path(f"{GROUP}/bans", groups.bans, name="bans"),
    path(f"{GROUP}/settings", groups.settings_page, name="settings"),
    path(f"{GROUP}/log", groups.log, name="log"),
]
