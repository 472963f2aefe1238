"""Wiki pages: the instance wiki at /wiki/, each group's at /g/<handle>/wiki/."""

app_name = "wiki"

urlpatterns: list = []
