from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wikisocial.instance.models import InstanceSettings


def instance(request: HttpRequest) -> dict:
    """The instance's settings for every template, loaded only when a template uses them."""
    return {
        "instance": SimpleLazyObject(InstanceSettings.current),
        "site_domain": settings.DOMAIN,
    }
