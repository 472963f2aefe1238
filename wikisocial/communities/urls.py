"""Group pages (``urls_groups``) and forum pages (``urls_forum``), one namespace."""

# Registers the path converters every page shares ("handle", "username", "post_id").
import wikisocial.web.urls  # noqa: F401
from wikisocial.communities import urls_forum, urls_groups

app_name = "communities"

urlpatterns = [*urls_groups.urlpatterns, *urls_forum.urlpatterns]
