"""Mastodon API entities built from our models: accounts, statuses (and their media and
polls), each in two passes so a page costs a fixed number of queries."""

from wikisocial.api.serializers.accounts import account, accounts, credential_account, iso
from wikisocial.api.serializers.statuses import media_attachment, poll, status, statuses

__all__ = [
    "account",
    "accounts",
    "credential_account",
    "iso",
    "media_attachment",
    "poll",
    "status",
    "statuses",
]
