"""The benchmark's data set: accounts, a power-law follow graph, posts over a month, hashtags,
remote actors on many domains, and the materialised home feeds of two readers.

Everything is planned in memory first (who follows whom, who posts when, which post replies to
which), so the counters the app keeps (followers, following, posts, replies) are written with
the rows, then loaded in big batches: COPY on PostgreSQL, ``executemany`` in one transaction
per table on SQLite. The rows are those the app itself writes: post ids from
``wikisocial.core.ids`` (time-ordered), HTML from the real renderer, remote accounts with
inboxes and keys as ``federation.actors.store_actor`` stores them.

``generate(sizes)`` returns ``ctx.data`` (see bench/lib.py and the keys below); ``SIZES`` are
the full sizes of issue 8 and ``QUICK`` the small ones for development.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

SIZES: dict[str, int] = {
    "accounts": 100_000,  # local accounts (each with a user)
    "remote_accounts": 10_000,  # spread over `domains`
    "domains": 1_000,
    "posts": 1_000_000,
    "active_accounts": 5_000,  # the accounts that write most posts (busy reader's followees)
    "followees": 500,  # how many the busy and the quiet reader follow
    "famous_followers": 100_000,
    "fanout_local": 10_000,  # local followers of `fanout_author`
    "fanout_remote": 1_000,  # remote followers of `fanout_author`, one per domain
    "hashtags": 1_000,
    "signers": 50,  # remote accounts with keys that sign activities to our inbox
    "days": 30,  # posts are spread over this many days before now
}
QUICK: dict[str, int] = {
    **SIZES,
    "accounts": 3_000,
    "remote_accounts": 1_000,
    "domains": 100,
    "posts": 30_000,
    "active_accounts": 1_000,
    "famous_followers": 3_000,
    "fanout_local": 2_000,
    "fanout_remote": 100,
    "hashtags": 100,
}

BUSY_TAG = "wikimedia"
DOMAIN = "r{}.bench.example"
KEY_PAIRS = 4  # RSA key generation is slow: the signers share a few pairs
BATCH = 20_000
# Special local accounts, by id (local accounts have ids 1..accounts, remote ones follow).
FAMOUS, FANOUT_AUTHOR, BUSY_READER, QUIET_READER = 1, 2, 3, 4
FIRST_ORDINARY = 11


class SizeError(ValueError):
    """Sizes that cannot make the data set (the message says which)."""


def check_sizes(sizes: dict[str, int]) -> None:
    """Refuse sizes that cannot hold the special accounts and readers."""
    unknown = set(sizes) - set(SIZES)
    if unknown:
        raise SizeError(f"unknown sizes: {', '.join(sorted(unknown))}")
    need = FIRST_ORDINARY + sizes["active_accounts"] + sizes["followees"] + 10
    if sizes["accounts"] < need:
        raise SizeError(f"accounts must be at least {need} for these sizes")
    if sizes["active_accounts"] < sizes["followees"]:
        raise SizeError("active_accounts must be at least followees")
    if sizes["fanout_remote"] > sizes["domains"] or sizes["domains"] > sizes["remote_accounts"]:
        raise SizeError("need fanout_remote ≤ domains ≤ remote_accounts")
    if sizes["famous_followers"] > sizes["accounts"] + sizes["remote_accounts"] - 3:
        raise SizeError("famous_followers exceeds the accounts that could follow")
    if sizes["fanout_local"] > sizes["accounts"] - FIRST_ORDINARY:
        raise SizeError("fanout_local exceeds the local accounts")


# --- the plan ----------------------------------------------------------------------------


class Plan:
    """Who exists, who follows whom and who posts what, before anything is written."""

    def __init__(self, sizes: dict[str, int], seed: int = 8) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        self.local = sizes["accounts"]
        self.total = self.local + sizes["remote_accounts"]
        self.active = list(range(FIRST_ORDINARY, FIRST_ORDINARY + sizes["active_accounts"]))
        self.quiet = list(range(self.local - sizes["followees"] + 1, self.local + 1))
        self.followers_count = [0] * (self.total + 1)
        self.following_count = [0] * (self.total + 1)
        self.posts_count = [0] * (self.total + 1)
        self.last_post = [0] * (self.total + 1)  # index of the account's newest post

    def is_remote(self, account: int) -> bool:
        return account > self.local

    def remote_index(self, account: int) -> int:
        return account - self.local - 1

    def domain_of(self, account: int) -> str:
        return DOMAIN.format(self.remote_index(account) % self.sizes["domains"])

    def username(self, account: int) -> str:
        special = {FAMOUS: "famous", FANOUT_AUTHOR: "fanout", BUSY_READER: "busy"}
        special[QUIET_READER] = "quiet"
        if account in special:
            return special[account]
        return f"r{self.remote_index(account)}" if self.is_remote(account) else f"u{account}"

    def actor_url(self, account: int) -> str:
        return f"https://{self.domain_of(account)}/users/{self.username(account)}"

    def follows(self) -> Iterator[tuple[int, int]]:
        """(follower, target) pairs, each once: a power-law number of followees per local
        account, picked with Zipf weights (low ids are the popular ones), plus the special
        followings."""
        rng, sizes = self.rng, self.sizes
        population = list(range(1, self.total + 1))
        cum = list(itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(self.total)))
        famous = self._famous_followers()
        fanout = set(range(FIRST_ORDINARY, FIRST_ORDINARY + sizes["fanout_local"]))
        readers = {BUSY_READER: self.active[: sizes["followees"]], QUIET_READER: self.quiet}
        for follower in range(1, self.local + 1):
            if follower in readers:
                targets = set(readers[follower])
            else:
                k = min(1_000, int(rng.paretovariate(1.3) * 3))
                targets = set(rng.choices(population, cum_weights=cum, k=k))
                targets -= {follower, BUSY_READER, QUIET_READER, FAMOUS, FANOUT_AUTHOR}
                if follower in famous:
                    targets.add(FAMOUS)
                if follower in fanout:
                    targets.add(FANOUT_AUTHOR)
            targets.discard(follower)
            yield from self._count(follower, sorted(targets))
        remote_fanout = set(range(self.local + 1, self.local + 1 + sizes["fanout_remote"]))
        for follower in range(self.local + 1, self.total + 1):
            targets = [
                t
                for t, on in (
                    (FAMOUS, follower in famous),
                    (FANOUT_AUTHOR, follower in remote_fanout),
                )
                if on
            ]
            yield from self._count(follower, targets)

    def _famous_followers(self) -> set[int]:
        pool = [a for a in range(1, self.total + 1) if a not in (FAMOUS, BUSY_READER, QUIET_READER)]
        return set(pool[: self.sizes["famous_followers"]])

    def _count(self, follower: int, targets: Iterable[int]) -> Iterator[tuple[int, int]]:
        for target in targets:
            self.following_count[follower] += 1
            self.followers_count[target] += 1
            yield follower, target

    def posts(self) -> dict[str, list]:
        """The posts, oldest first: time, author, the post replied to (index or -1), its
        visibility and hashtag (index or -1; 0 is the busy tag)."""
        rng, sizes, n = self.rng, self.sizes, self.sizes["posts"]
        span = sizes["days"] * 86_400
        times = sorted(rng.random() * span for _ in range(n))
        active_cum = list(itertools.accumulate(1 / (r + 1) ** 0.8 for r in range(len(self.active))))
        others = list(range(FAMOUS, self.quiet[0]))
        others = [a for a in others if a not in (BUSY_READER, QUIET_READER)]
        remote = list(range(self.local + 1, self.total + 1))
        authors = []
        for _ in range(n):
            roll = rng.random()
            if roll < 0.7:
                authors.append(
                    self.active[bisect.bisect(active_cum, rng.random() * active_cum[-1])]
                )
            elif roll < 0.9:
                authors.append(rng.choice(others))
            else:
                authors.append(rng.choice(remote))
        # Each quiet account wrote two posts in the month.
        for position, account in zip(
            rng.sample(range(n), 2 * len(self.quiet)), self.quiet * 2, strict=True
        ):
            authors[position] = account
        parents = [
            rng.randrange(max(0, i - 5_000), i) if i and rng.random() < 0.1 else -1
            for i in range(n)
        ]
        visibility = [self._visibility(self.is_remote(a)) for a in authors]
        tags = [self._tag() for _ in range(n)]
        for i, author in enumerate(authors):
            self.posts_count[author] += 1
            self.last_post[author] = i
        return {
            "times": times,
            "authors": authors,
            "parents": parents,
            "visibility": visibility,
            "tags": tags,
        }

    def _visibility(self, remote: bool) -> str:
        roll = self.rng.random()
        if roll < 0.85:
            return "public"
        if roll < 0.93:
            return "unlisted"
        if roll < 0.98 or remote:
            return "private"
        return "local"

    def _tag(self) -> int:
        roll = self.rng.random()
        if roll < 0.05:
            return 0
        if roll < 0.15:
            return self.rng.randrange(1, self.sizes["hashtags"])
        return -1


# --- loading -----------------------------------------------------------------------------


class Loader:
    """Batched inserts: COPY on PostgreSQL, executemany on SQLite; datetimes as each backend
    stores them."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def ts(self, when: datetime) -> object:
        if self.postgres:
            return when
        return str(when.astimezone(UTC).replace(tzinfo=None))

    def load(self, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
        from django.db import transaction

        columns = list(columns)
        names = ", ".join(columns)
        count = 0
        with transaction.atomic(), self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                return count
            marks = ", ".join("?" * len(columns))
            raw = self.connection.connection
            rows = iter(rows)
            while chunk := list(itertools.islice(rows, BATCH)):
                raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk)
                count += len(chunk)
        return count

    def sql(self, statement: str, params: Iterable[object] = ()) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(statement, list(params))
            return cursor.rowcount

    def reset_sequences(self, models: list) -> None:
        if not self.postgres:
            return  # SQLite's AUTOINCREMENT goes on from the highest id
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)


# --- the rows ----------------------------------------------------------------------------

USER_COLUMNS = (
    "id", "password", "is_superuser", "first_name", "last_name", "is_staff", "is_active",
    "date_joined", "username", "email", "email_confirmed_at", "pending_email", "approval",
    "signup_reason", "locale",
)  # fmt: skip
ACCOUNT_COLUMNS = (
    "id", "user_id", "username", "domain", "display_name", "bio", "bio_html", "avatar", "header",
    "fields", "pronouns", "wiki_username", "wiki_verified", "locked", "actor_type", "created_at",
    "updated_at", "followers_count", "following_count", "hide_network", "last_post_at",
    "posts_count", "wall_enabled", "inbox_url", "remote_url", "shared_inbox_url", "uri",
    "followers_url", "avatar_remote_url", "header_remote_url", "default_language",
    "default_sensitive", "default_visibility", "discoverable", "show_counts", "fetched_at",
)  # fmt: skip
POST_COLUMNS = (
    "id", "author_id", "uri", "url", "local", "content", "content_html", "spoiler_text",
    "sensitive", "visibility", "language", "hidden_from_wall", "replies_count", "likes_count",
    "boosts_count", "created_at", "in_reply_to_id", "in_reply_to_account_id", "thread_root_id",
)  # fmt: skip
FOLLOW_COLUMNS = (
    "follower_id", "target_id", "show_boosts", "notify", "languages", "uri", "created_at",
)  # fmt: skip


def _users(plan: Plan, loader: Loader) -> Iterator[tuple]:
    joined = loader.ts(plan.now - timedelta(days=400))
    for account in range(1, plan.local + 1):
        name = plan.username(account)
        yield (
            account, "!", False, "", "", False, True, joined, name, f"{name}@bench.example",
            joined, "", "approved", "", "",
        )  # fmt: skip


def _accounts(plan: Plan, loader: Loader, post_times: list[datetime]) -> Iterator[tuple]:
    created = loader.ts(plan.now - timedelta(days=400))
    for account in range(1, plan.total + 1):
        remote = plan.is_remote(account)
        url = plan.actor_url(account) if remote else ""
        last = loader.ts(post_times[plan.last_post[account]]) if plan.posts_count[account] else None
        yield (
            account, None if remote else account, plan.username(account),
            plan.domain_of(account) if remote else "", f"Bench {plan.username(account)}",
            "", "<p>Edits Wikipedia.</p>", "", "", "[]", "", "", False, False, "Person", created,
            created, plan.followers_count[account], plan.following_count[account], False, last,
            plan.posts_count[account], True, f"{url}/inbox" if remote else "", url, "", url,
            f"{url}/followers" if remote else "", "", "", "", False, "public", True, True,
            created if remote else None,
        )  # fmt: skip


def _follows(plan: Plan, loader: Loader) -> Iterator[tuple]:
    when = loader.ts(plan.now - timedelta(days=100))
    for follower, target in plan.follows():
        uri = f"{plan.actor_url(follower)}#follows/{target}" if plan.is_remote(follower) else ""
        yield follower, target, True, False, "[]", uri, when


SENTENCES = (
    "Fixed the infobox on the article about the river and added two sources.",
    "Our photo walk for Wiki Loves Monuments starts at ten, everyone is welcome.",
    "Does anyone know a good reference for the population figures in this table?",
    "New stub about a lighthouse, help with the history section would be great.",
    "Spent the evening patrolling recent changes, mostly good faith edits today.",
    "The translation of the help page is done, reviews are welcome **before Friday**.",
)


class Renderer:
    """The posts' HTML from the real renderer, once per distinct text."""

    def __init__(self, tags: list[str]) -> None:
        from django.conf import settings
        from django.urls import reverse

        from wikisocial.core.markup import render_post

        self.tags = tags
        self._render = render_post
        self._url = lambda name: settings.SITE_URL + reverse("web:hashtag", kwargs={"name": name})
        self._cache: dict[tuple[int, int], tuple[str, str]] = {}

    def text(self, index: int, tag: int) -> tuple[str, str]:
        key = (index % len(SENTENCES), tag)
        if key not in self._cache:
            source = SENTENCES[key[0]] + (f" #{self.tags[tag]}" if tag >= 0 else "")
            html = self._render(
                source, resolve_mention=lambda ref: None, hashtag_url=self._url
            ).html
            self._cache[key] = (source, html)
        return self._cache[key]


def _posts(
    plan: Plan,
    loader: Loader,
    planned: dict,
    ids: list[int],
    times: list[datetime],
    renderer: Renderer,
    replies: list[int],
) -> Iterator[tuple]:
    roots: list[int] = []
    authors, parents = planned["authors"], planned["parents"]
    for i, post_id in enumerate(ids):
        author, parent = authors[i], parents[i]
        remote = plan.is_remote(author)
        source, html = renderer.text(i, planned["tags"][i])
        uri = f"{plan.actor_url(author)}/statuses/{post_id}" if remote else ""
        root = roots[parent] if parent >= 0 else -1
        roots.append(root if root >= 0 else (parent if parent >= 0 else -1))
        yield (
            post_id, author, uri, uri, not remote, "" if remote else source, html, "", False,
            planned["visibility"][i], "en", False, replies[i], 0, 0, loader.ts(times[i]),
            ids[parent] if parent >= 0 else None, authors[parent] if parent >= 0 else None,
            ids[roots[i]] if roots[i] >= 0 else None,
        )  # fmt: skip


FEED_SQL = """
INSERT INTO timelines_feedentry (owner_id, post_id, author_id)
SELECT %s, p.id, p.author_id FROM posts_post p
JOIN social_follow f ON f.follower_id = %s AND f.target_id = p.author_id
WHERE p.visibility <> 'direct' AND (
    p.in_reply_to_account_id IS NULL OR p.in_reply_to_account_id = p.author_id
    OR p.in_reply_to_account_id IN (SELECT target_id FROM social_follow WHERE follower_id = %s)
)
"""


# --- the steps ---------------------------------------------------------------------------


def _timed(timings: dict[str, float], name: str, step: Callable[[], object]) -> object:
    start = time.perf_counter()
    out = step()
    timings[name] = round(time.perf_counter() - start, 2)
    print(f"  {name}: {timings[name]} s", flush=True)
    return out


def generate(sizes: dict[str, int] | None = None) -> dict:
    """Fill the (migrated, empty) database and return what scenarios need (``ctx.data``),
    with ``generation_s``: seconds per step."""
    from wikisocial.accounts.models import Account, User
    from wikisocial.core.ids import new_id
    from wikisocial.posts.models import Hashtag, Post
    from wikisocial.social.models import Follow

    sizes = {**SIZES, **(sizes or {})}
    check_sizes(sizes)
    plan, loader, timings = Plan(sizes), Loader(), {}
    if not loader.postgres:
        loader.sql("PRAGMA synchronous=OFF")
    planned = _timed(timings, "plan posts", plan.posts)
    times = [plan.now - timedelta(seconds=sizes["days"] * 86_400 - t) for t in planned["times"]]
    ids = [new_id(when) for when in times]
    follows = _timed(timings, "plan follows", lambda: list(_follows(plan, loader)))
    _timed(
        timings, "users", lambda: loader.load("accounts_user", USER_COLUMNS, _users(plan, loader))
    )
    _timed(
        timings,
        "accounts",
        lambda: loader.load("accounts_account", ACCOUNT_COLUMNS, _accounts(plan, loader, times)),
    )
    _timed(timings, "follows", lambda: loader.load("social_follow", FOLLOW_COLUMNS, follows))
    follows.clear()
    tags = [BUSY_TAG] + [f"topic{n}" for n in range(1, sizes["hashtags"])]
    created = loader.ts(plan.now - timedelta(days=100))
    loader.load(
        "posts_hashtag",
        ("id", "name", "display_name", "created_at"),
        ((n + 1, t, t, created) for n, t in enumerate(tags)),
    )
    replies = [0] * len(ids)
    for parent in planned["parents"]:
        if parent >= 0:
            replies[parent] += 1
    renderer = Renderer(tags)
    _timed(
        timings,
        "posts",
        lambda: loader.load(
            "posts_post", POST_COLUMNS, _posts(plan, loader, planned, ids, times, renderer, replies)
        ),
    )
    tagged = ((ids[i], t + 1) for i, t in enumerate(planned["tags"]) if t >= 0)
    _timed(
        timings,
        "post hashtags",
        lambda: loader.load("posts_post_hashtags", ("post_id", "hashtag_id"), tagged),
    )
    for reader in (BUSY_READER, QUIET_READER):
        _timed(
            timings,
            f"feed of {plan.username(reader)}",
            lambda r=reader: loader.sql(FEED_SQL, [r, r, r]),
        )
    loader.reset_sequences([User, Account, Follow, Hashtag, Post, Post.hashtags.through])
    data = _timed(timings, "keys, tokens, sessions", lambda: _extras(plan))
    # Statistics for the planners. SQLite has none until ANALYZE (or PRAGMA optimize) runs:
    # without them it walks the whole posts table for the public timeline (see README).
    _timed(timings, "analyze", lambda: loader.sql("ANALYZE"))
    data["generation_s"] = timings
    return data


def _extras(plan: Plan) -> dict:
    """The keys of remote signers, tokens and sessions of the readers, and the ids the
    scenarios read (ctx.data)."""
    signers = _remote_signers(plan)
    tokens, sessions = _logins([FAMOUS, FANOUT_AUTHOR, BUSY_READER, QUIET_READER], plan)
    step = max(1, (plan.local - FIRST_ORDINARY) // 50)
    return {
        "famous": FAMOUS,
        "fanout_author": FANOUT_AUTHOR,
        "busy_reader": BUSY_READER,
        "quiet_reader": QUIET_READER,
        "hashtag": BUSY_TAG,
        "remote_signers": signers,
        "local_usernames": [plan.username(a) for a in range(FIRST_ORDINARY, plan.local, step)][:50],
        "tokens": tokens,  # username -> bearer token (read write follow)
        "sessions": sessions,  # username -> session cookie value (code of conduct accepted)
    }


def _remote_signers(plan: Plan) -> list[dict]:
    from wikisocial.federation.keys import _new_pair
    from wikisocial.federation.models import RemoteKey

    pairs = [_new_pair() for _ in range(KEY_PAIRS)]
    signers, keys = [], []
    first = plan.local + 1 + plan.sizes["fanout_remote"]  # past the fan-out's remote followers
    for n in range(plan.sizes["signers"]):
        account = first + n
        if account > plan.total:
            break
        public_pem, private_pem = pairs[n % KEY_PAIRS]
        actor_url = plan.actor_url(account)
        key_id = f"{actor_url}#main-key"
        keys.append(RemoteKey(key_id=key_id, owner_id=account, public_key_pem=public_pem))
        signers.append(
            {
                "actor_id": account,
                "actor_url": actor_url,
                "key_id": key_id,
                "private_pem": private_pem,
            }
        )
    RemoteKey.objects.bulk_create(keys)
    return signers


def _logins(accounts: list[int], plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
    from django.conf import settings
    from django.test import Client

    from wikisocial.accounts.models import CodeOfConductAcceptance, User
    from wikisocial.api.tokens import create_personal_token
    from wikisocial.instance.models import CodeOfConduct

    coc = CodeOfConduct.current()
    tokens, sessions = {}, {}
    for user in User.objects.filter(pk__in=accounts):
        if coc is not None:
            CodeOfConductAcceptance.objects.create(user=user, version=coc)
        tokens[user.username] = create_personal_token(user, ["read", "write", "follow"], "bench")
        client = Client()
        client.force_login(user)
        sessions[user.username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return tokens, sessions
