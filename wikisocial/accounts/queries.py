"""Finding accounts by what someone types, among those they may see."""

from __future__ import annotations

from django.db.models import Case, Q, QuerySet, Value, When

from wikisocial.accounts.models import Account, User


def matching(text: str, user: User | None, *, followed_by: Account | None = None) -> QuerySet:
    """Accounts ``user`` may see whose username starts with ``text`` or whose display name
    holds it; ``name@domain`` narrows to that domain (our own domain meaning local accounts).
    ``followed_by``: only accounts that account follows. Exact usernames first, then local
    ones, then the most followed."""
    from wikisocial.federation.resolve import is_own_domain

    name, _at, domain = text.strip().removeprefix("@").partition("@")
    if not name:
        return Account.objects.none()
    qs = Account.objects.visible_to(user)
    if domain:
        domain_filter = Q(domain="") if is_own_domain(domain) else Q(domain__istartswith=domain)
        qs = qs.filter(domain_filter, username__istartswith=name)
    else:
        qs = qs.filter(Q(username__istartswith=name) | Q(display_name__icontains=name))
    if followed_by is not None:
        qs = qs.filter(follower_set__follower=followed_by)
    exact = Case(When(username__iexact=name, then=Value(0)), default=Value(1))
    return qs.order_by(exact, "domain", "-followers_count", "pk")
