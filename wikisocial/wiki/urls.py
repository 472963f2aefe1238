"""Wiki pages: the instance wiki at /wiki/, each group's at /g/<handle>/wiki/."""

# Registers the path converters every page shares ("handle", "username", "post_id").
import wikisocial.web.urls  # noqa: F401

app_name = "wiki"

urlpatterns: list = []
