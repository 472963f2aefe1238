from django.urls import path

from wikisocial.api import views

urlpatterns = [
    path("v1/accounts/verify_credentials", views.verify_credentials, name="api-verify-credentials"),
]
