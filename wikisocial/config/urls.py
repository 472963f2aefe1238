from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from wikisocial.api import urls as api_urls
from wikisocial.web.views import serve_media

admin.site.site_header = "WikiSocial administration"
admin.site.site_title = "WikiSocial administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("oauth/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/", include(api_urls)),
    path("", include("wikisocial.accounts.urls")),
    path("", include("wikisocial.web.urls")),
]

if settings.SERVE_MEDIA:
    # The all-in-one mode serves uploads itself; production lets the reverse proxy do it.
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", serve_media))

handler404 = "wikisocial.web.errors.not_found"
handler500 = "wikisocial.web.errors.server_error"
handler403 = "wikisocial.web.errors.forbidden"
handler400 = "wikisocial.web.errors.bad_request"
