"""Group pages: directory, creation, the group page, members, requests, settings, log."""

urlpatterns: list = []
