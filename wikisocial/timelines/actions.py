from __future__ import annotations

from django.db.models import F

from wikisocial.accounts.models import Account
from wikisocial.timelines.models import Marker


def save_marker(account: Account, timeline: str, last_read_id: int) -> Marker:
    """Move the read position forward (never back: an older page read later changes nothing)."""
    marker, created = Marker.objects.get_or_create(
        account=account, timeline=timeline, defaults={"last_read_id": last_read_id}
    )
    if not created and last_read_id > marker.last_read_id:
        Marker.objects.filter(pk=marker.pk, last_read_id__lt=last_read_id).update(
            last_read_id=last_read_id, version=F("version") + 1
        )
        marker.refresh_from_db()
    return marker


def read_position(account: Account, timeline: str) -> int:
    marker = Marker.objects.filter(account=account, timeline=timeline).first()
    return marker.last_read_id if marker else 0
