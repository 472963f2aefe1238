from django.urls import path

from wikisocial.federation import inbox, views

app_name = "federation"

urlpatterns = [
    path("actor", views.instance_actor, name="instance-actor"),
    path("actor/inbox", inbox.inbox, name="instance-actor-inbox"),
    path("inbox", inbox.inbox, name="shared-inbox"),
]
