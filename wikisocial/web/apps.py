from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wikisocial.web"
    label = "web"
    verbose_name = "Web interface"
