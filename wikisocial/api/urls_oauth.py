"""OAuth 2 at the root of the site (where Mastodon clients look for it) and the settings
pages for authorised apps and personal access tokens. Include with an empty prefix."""

from django.urls import path

from wikisocial.api import web_views
from wikisocial.api.oauth import views

app_name = "oauth"

urlpatterns = [
    path("oauth/authorize", views.authorize, name="authorize"),
    path("oauth/token", views.token, name="token"),
    path("oauth/revoke", views.revoke, name="revoke"),
    path("oauth/userinfo", views.userinfo, name="userinfo"),
    path(
        ".well-known/oauth-authorization-server",
        views.server_metadata,
        name="server-metadata",
    ),
    path("settings/apps", web_views.authorised_apps, name="authorised-apps"),
    path("settings/apps/<int:app_id>/revoke", web_views.revoke_app, name="revoke-app"),
    path("settings/development", web_views.development, name="development"),
    path(
        "settings/development/<int:app_id>/revoke",
        web_views.revoke_personal_token,
        name="revoke-personal-token",
    ),
]
