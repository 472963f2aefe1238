from django.urls import path, register_converter

from wikisocial.federation import inbox
from wikisocial.web.views import notifications, pages, posts, search, social, timelines

app_name = "web"


class UsernameConverter:
    regex = r"[A-Za-z0-9_]{1,30}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class HandleConverter(UsernameConverter):
    """A local username, or a remote account's ``user@domain`` (domain: host[:port])."""

    regex = (
        r"[A-Za-z0-9_]{1,30}"
        r"|[^/@\s]{1,255}@(?:\[[0-9A-Fa-f:.]{2,45}\]|[^/@\s:\[\]]{1,253})(?::[0-9]{1,5})?"
    )


class PostIdConverter:
    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class RelationConverter(UsernameConverter):
    regex = r"follow|unfollow|block|unblock|mute|unmute"


class ToggleConverter(UsernameConverter):
    regex = r"like|boost|bookmark|pin"


register_converter(UsernameConverter, "username")
register_converter(HandleConverter, "handle")
register_converter(PostIdConverter, "post_id")
register_converter(RelationConverter, "relation")
register_converter(ToggleConverter, "toggle")

# Profiles, posts and the buttons on them take remote handles too; the pages that only local
# accounts have (wall, outbox, inbox, featured, followers, following) take local usernames.
PROFILE = "@<handle:username>"
POST = f"{PROFILE}/<post_id:post_id>"

urlpatterns = [
    path("", timelines.home, name="home"),
    path("local", timelines.local, name="local"),
    path("federated", timelines.federated, name="federated"),
    path("tags/<str:name>", timelines.hashtag, name="hashtag"),
    path("tags/<str:name>/follow", social.hashtag_follow, name="hashtag-follow"),
    path("compose", posts.compose, name="compose"),
    path("bookmarks", timelines.bookmarks, name="bookmarks"),
    path("notifications", notifications.notifications, name="notifications"),
    path("follow-requests", social.follow_requests, name="follow-requests"),
    path(
        "follow-requests/<int:request_id>/<str:answer>",
        social.answer_follow_request,
        name="answer-follow-request",
    ),
    path("settings/notifications", notifications.policy, name="notification-settings"),
    path("settings/relations", social.blocks_and_mutes, name="relations"),
    path("about", pages.about, name="about"),
    path("about/code-of-conduct", pages.code_of_conduct, name="code-of-conduct"),
    path("directory", pages.directory, name="directory"),
    path("search", search.search, name="search"),
    path(PROFILE, timelines.profile, name="profile"),
    path(
        f"{PROFILE}/with_replies",
        timelines.profile,
        {"tab": "replies"},
        name="profile-replies",
    ),
    path(f"{PROFILE}/media", timelines.profile, {"tab": "media"}, name="profile-media"),
    path("@<username:username>/wall", timelines.wall, name="wall"),
    path("@<username:username>/outbox", timelines.outbox, name="outbox"),
    path("@<username:username>/inbox", inbox.inbox, name="inbox"),
    path("@<username:username>/featured", timelines.featured, name="featured"),
    path(
        "@<username:username>/followers",
        timelines.network,
        {"direction": "followers"},
        name="followers",
    ),
    path(
        "@<username:username>/following",
        timelines.network,
        {"direction": "following"},
        name="following",
    ),
    path(f"{PROFILE}/<relation:what>", social.relation, name="relation"),
    path(POST, posts.post_detail, name="post"),
    path(f"{POST}/edit", posts.edit, name="post-edit"),
    path(f"{POST}/history", posts.history, name="post-history"),
    path(f"{POST}/delete", posts.delete, name="post-delete"),
    path(f"{POST}/vote", posts.vote, name="post-vote"),
    path(f"{POST}/wall", posts.hide_from_wall, name="post-wall"),
    path(f"{POST}/<toggle:what>", posts.toggle, name="post-toggle"),
    path("i18n/language", pages.set_language, name="set-language"),
]
