from django.urls import path

from wikisocial.federation import views

app_name = "federation"

urlpatterns = [
    path("actor", views.instance_actor, name="instance-actor"),
]
