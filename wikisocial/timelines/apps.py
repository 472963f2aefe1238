from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelinesConfig(AppConfig):
    name = "wikisocial.timelines"
    label = "timelines"
    verbose_name = _("Timelines")
