from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wikisocial.api"
    label = "api"
    verbose_name = "Client API"
