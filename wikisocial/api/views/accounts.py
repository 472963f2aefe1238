"""Accounts: the caller's own, others', and relationships between them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wikisocial.api import serializers
from wikisocial.api.base import endpoint


@endpoint("GET", "v1/accounts/verify_credentials", scope="profile", tag="accounts")
def verify_credentials(request: HttpRequest) -> dict[str, Any]:
    """The caller's own account, with its source and role."""
    return serializers.credential_account(request.account)
