from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamingConfig(AppConfig):
    name = "wikisocial.streaming"
    label = "streaming"
    verbose_name = _("Streaming")
