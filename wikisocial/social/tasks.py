"""Background work of the social graph."""

from __future__ import annotations

from wikisocial.accounts.models import Account
from wikisocial.core.tasks import on_queue


@on_queue("default")
def after_domain_block(account_id: int, domain: str) -> None:
    """End ``account_id``'s relations with a domain it hid, if it still hides it."""
    from wikisocial.social.actions import end_relations_with_domain
    from wikisocial.social.models import DomainBlock

    account = Account.objects.filter(pk=account_id, deleted_at__isnull=True).first()
    if account is not None and DomainBlock.objects.filter(account=account, domain=domain).exists():
        end_relations_with_domain(account, domain)
