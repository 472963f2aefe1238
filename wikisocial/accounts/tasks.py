from __future__ import annotations

import logging

from wikisocial.accounts.models import Account
from wikisocial.core.tasks import on_queue

logger = logging.getLogger(__name__)


@on_queue("default")
def purge_account(account_id: int) -> None:
    from wikisocial.accounts.actions import purge_account_data

    account = Account.objects.filter(pk=account_id, deleted_at__isnull=False).first()
    if account is not None:
        purge_account_data(account)


@on_queue("inbound")
def fetch_profile_image(account_id: int, kind: str) -> None:
    """Copy a remote account's avatar or header here (re-encoded, metadata dropped, cropped
    as ours are), so readers' browsers never ask the other server. No image, or one that
    can't be fetched or read: the default picture."""
    from io import BytesIO

    from django.conf import settings

    from wikisocial.core.http import FetchError, safe_request
    from wikisocial.core.images import ImageError, process_image

    account = Account.objects.filter(pk=account_id).exclude(domain="").first()
    if account is None or kind not in ("avatar", "header"):
        return
    url = getattr(account, f"{kind}_remote_url")
    field = getattr(account, kind)
    old = (field.storage, field.name) if field else None
    processed = None
    if url:
        try:
            response = safe_request("GET", url, max_bytes=settings.IMAGE_LIMITS["max_bytes"])
            if response.status != 200:
                raise FetchError("http_status", f"answered {response.status}")
            processed = process_image(BytesIO(response.body), kind)
        except (FetchError, ImageError) as exc:
            logger.info("the %s of %s was not copied: %s", kind, account.handle, exc)
    if processed is not None:
        field.save(processed.name, processed, save=False)
    else:
        setattr(account, kind, "")
    Account.objects.filter(pk=account.pk).update(**{kind: getattr(account, kind).name or ""})
    if old is not None:
        old[0].delete(old[1])
