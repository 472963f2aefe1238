"""What the instance says about itself: its numbers, the servers it knows, weekly activity, who
to contact, and the announcements in force. Every count is one bounded aggregate query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wikisocial.accounts.models import Account, User
from wikisocial.instance.models import Announcement, CodeOfConduct
from wikisocial.posts.models import Post

USAGE_CACHE_KEY = "instance:usage"
USAGE_CACHE_SECONDS = 5 * 60
ACTIVE_DAYS = 30
ACTIVITY_WEEKS = 12
WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class Usage:
    users: int  # local accounts anyone may see
    active_month: int  # of those, logged in or posted within 30 days
    statuses: int  # local posts, not boosts, not deleted
    domains: int  # other servers we know accounts of


def _count_usage() -> Usage:
    since = timezone.now() - timedelta(days=ACTIVE_DAYS)
    users = (
        Account.objects.visible_to(None)
        .local()
        .aggregate(
            total=Count("pk"),
            active=Count("pk", filter=Q(user__last_login__gte=since) | Q(last_post_at__gte=since)),
        )
    )
    statuses = Post.objects.filter(local=True, deleted_at__isnull=True, boost_of__isnull=True)
    domains = Account.objects.exclude(domain="").values("domain").distinct()
    return Usage(
        users=users["total"],
        active_month=users["active"],
        statuses=statuses.count(),
        domains=domains.count(),
    )


def usage() -> Usage:
    """The instance's numbers, counted at most every five minutes (clients ask for them at
    every start; the counts scan whole tables)."""
    return cache.get_or_set(USAGE_CACHE_KEY, _count_usage, USAGE_CACHE_SECONDS)


def peers() -> list[str]:
    """The domains of the other servers whose accounts we know."""
    domains = Account.objects.exclude(domain="").values_list("domain", flat=True)
    return list(domains.distinct().order_by("domain"))


def contact_account() -> Account | None:
    """Whom to contact: the first administrator (superuser, else staff) whose profile is
    public."""
    public = Account.objects.visible_to(None).local().select_related("user")
    for staff in ({"user__is_superuser": True}, {"user__is_staff": True}):
        found = public.filter(**staff).order_by("user__date_joined", "pk").first()
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Week:
    start: datetime  # Monday, midnight UTC
    statuses: int
    logins: int
    registrations: int


def _weekly_counts(qs: QuerySet, field: str, starts: list[datetime]) -> list[int]:
    """How many rows of ``qs`` have ``field`` in each week beginning at ``starts`` (newest
    first): one query, one filtered count per week."""
    counts = qs.filter(**{f"{field}__gte": starts[-1]}).aggregate(
        **{
            f"w{i}": Count("pk", filter=Q(**{f"{field}__gte": start, f"{field}__lt": start + WEEK}))
            for i, start in enumerate(starts)
        }
    )
    return [counts[f"w{i}"] for i in range(len(starts))]


def weekly_activity(weeks: int = ACTIVITY_WEEKS) -> list[Week]:
    """Posts written here, logins and sign-ups per week, this week first. Logins come from
    each user's last login, so a person counts once, in the week they last logged in."""
    now = timezone.now()  # UTC
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    starts = [monday - i * WEEK for i in range(weeks)]
    statuses = _weekly_counts(
        Post.objects.filter(local=True, boost_of__isnull=True), "created_at", starts
    )
    logins = _weekly_counts(User.objects.all(), "last_login", starts)
    registrations = _weekly_counts(User.objects.all(), "date_joined", starts)
    return [
        Week(start, s, lg, r)
        for start, s, lg, r in zip(starts, statuses, logins, registrations, strict=True)
    ]


def current_announcements() -> QuerySet[Announcement]:
    """Published announcements whose event has not ended yet, oldest first (as Mastodon lists
    them)."""
    now = timezone.now()
    return (
        Announcement.objects.filter(published=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("published_at", "id")
    )


def code_of_conduct_at(day: date) -> tuple[CodeOfConduct | None, CodeOfConduct | None]:
    """The version of the code of conduct in force at the end of ``day`` (UTC) and the one
    that followed it (None when it is still in force)."""
    end = datetime.combine(day, time.max, tzinfo=UTC)
    current = CodeOfConduct.objects.filter(published_at__lte=end).order_by("-version").first()
    if current is None:
        return None, None
    following = CodeOfConduct.objects.filter(version__gt=current.version).order_by("version")
    return current, following.first()
