from __future__ import annotations

from django_tasks import task

from wikisocial.accounts.models import Account


@task()
def purge_account(account_id: int) -> None:
    from wikisocial.accounts.actions import purge_account_data

    account = Account.objects.filter(pk=account_id, deleted_at__isnull=False).first()
    if account is not None:
        purge_account_data(account)
