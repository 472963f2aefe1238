"""Group pages (``urls_groups``) and forum pages (``urls_forum``), one namespace."""

from wikisocial.communities import urls_forum, urls_groups

app_name = "communities"

urlpatterns = [*urls_groups.urlpatterns, *urls_forum.urlpatterns]
