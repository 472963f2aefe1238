from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from wikisocial.accounts.forms import AdminLoginForm
from wikisocial.api import urls as api_urls
from wikisocial.web.views.pages import serve_media

admin.site.site_header = _("WikiSocial administration")
admin.site.site_title = _("WikiSocial administration")
admin.site.login_form = AdminLoginForm  # rate limited like the site's log-in page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_urls)),
    # Our own OAuth views (consent page, token, revoke), not the toolkit's stock URLs.
    path("", include("wikisocial.api.urls_oauth")),
    path("", include("wikisocial.federation.urls")),
    path("", include("wikisocial.federation.urls_discovery")),
    path("", include("wikisocial.accounts.urls")),
    path("", include("wikisocial.communities.urls_federation")),
    path("", include("wikisocial.communities.urls")),
    path("", include("wikisocial.wiki.urls")),
    path("", include("wikisocial.web.urls")),
]

if settings.SERVE_MEDIA:
    # The all-in-one mode serves uploads itself; production lets the reverse proxy do it.
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))

handler404 = "wikisocial.web.errors.not_found"
handler500 = "wikisocial.web.errors.server_error"
handler403 = "wikisocial.web.errors.forbidden"
handler400 = "wikisocial.web.errors.bad_request"
