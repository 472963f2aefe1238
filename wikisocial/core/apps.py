from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "wikisocial.core"
    label = "core"
    verbose_name = "Core"
