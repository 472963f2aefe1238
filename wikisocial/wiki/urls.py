"""Wiki pages: the instance wiki at /wiki/, each group's at /g/<handle>/wiki/.

A page is ``…/wiki/<title>`` (spaces as underscores); what to do with it is ``?action=``
(edit, history, diff, raw, links, talk, protect, revert, watch, delete, restore), as on
MediaWiki, so titles with "/" (subpages) never clash with actions. ``Special:`` titles are
the wiki's own pages."""

from django.urls import path

# Registers the path converters every page shares ("handle", "username", "post_id").
import wikisocial.web.urls  # noqa: F401
from wikisocial.wiki.views import reading

app_name = "wiki"

GROUP_WIKI = "g/<handle:handle>/wiki/"

urlpatterns = [
    path("wiki/", reading.index, name="instance-index"),
    path("wiki/Special:RecentChanges", reading.recent, name="instance-recent"),
    path("wiki/<path:title>", reading.page, name="instance-page"),
    path(GROUP_WIKI, reading.index, name="index"),
    path(f"{GROUP_WIKI}Special:RecentChanges", reading.recent, name="recent"),
    path(f"{GROUP_WIKI}<path:title>", reading.page, name="page"),
]
