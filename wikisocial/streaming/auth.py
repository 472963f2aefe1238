"""Who is connecting: the token check of the client API (same tokens, same refusals), with
Mastodon's streaming messages. Every stream needs a token acting for a user (Mastodon 4.2+)."""

from __future__ import annotations

from dataclasses import dataclass

from wikisocial.streaming.channels import StreamError


@dataclass(frozen=True)
class Viewer:
    account_id: int
    token_id: int
    scopes: frozenset[str]


def authenticate(raw: str | None) -> Viewer:
    """The viewer a raw token stands for, or StreamError(401)."""
    from wikisocial.accounts.actions import login_refusal_code
    from wikisocial.api.base import REFUSALS, find_token

    if not raw:
        raise StreamError(401, "Missing access token")
    token = find_token(raw)
    if token is None or token.user is None:
        raise StreamError(401, "Invalid access token")
    refusal = login_refusal_code(token.user)
    if refusal is not None:
        raise StreamError(401, REFUSALS[refusal])
    account = token.user.account
    if account.deleted_at is not None:
        raise StreamError(401, "Invalid access token")
    return Viewer(account.pk, token.pk, frozenset(token.scope.split()))


def still_valid(viewer: Viewer) -> bool:
    """Whether the token is still live (not revoked, expired or its user refused): asked
    now and then during a long connection."""
    from oauth2_provider.models import AccessToken

    from wikisocial.accounts.actions import login_refusal_code

    token = AccessToken.objects.select_related("user__account").filter(pk=viewer.token_id).first()
    return (
        token is not None
        and not token.is_expired()
        and token.user is not None
        and login_refusal_code(token.user) is None
        and token.user.account.deleted_at is None
    )


def owns_list(account_id: int, list_id: str) -> bool:
    """Whether ``list_id`` is one of the account's lists (the list stream is its owner's)."""
    from django.apps import apps

    try:
        model = apps.get_model("timelines", "List")
    except LookupError:
        return False
    if not list_id.isdigit():
        return False
    return model.objects.filter(pk=int(list_id), account_id=account_id).exists()
