"""Accounts: the caller's own (credentials, profile, preferences), signing up, and others'
(profile, posts, lookup and search).

Every account is found through ``Account.objects.visible_to``: an account the viewer may not
see (deleted, disabled, not yet confirmed or approved, or one that blocked them) is not
found (404), whatever the reason. Mastodon answers 200 with ``suspended: true`` for
suspended accounts; here such an account is gone for everyone else, as on the web pages.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, set_token_value
from oauth2_provider.settings import oauth2_settings

from wikisocial.accounts import actions as account_actions
from wikisocial.accounts.forms import LIMITS, ProfileForm, SignupForm
from wikisocial.accounts.limits import too_many
from wikisocial.accounts.models import Account, ActorType, User
from wikisocial.accounts.queries import matching
from wikisocial.api import serializers
from wikisocial.api.base import (
    APP,
    OPTIONAL,
    ApiError,
    Param,
    Reply,
    cursor,
    endpoint,
    not_found,
    paged,
)
from wikisocial.api.oauth.server import app_scopes
from wikisocial.api.params import Params
from wikisocial.core.markup import normalize_hashtag
from wikisocial.core.pagination import as_id, paginate
from wikisocial.federation import resolve
from wikisocial.instance.models import InstanceSettings, RegistrationMode
from wikisocial.posts.models import MediaAttachment, Pin, Post
from wikisocial.timelines.queries import with_related

ACCOUNTS_PAGE = {"default": 40, "maximum": 80}  # Mastodon's limits for lists of accounts
MANY_ACCOUNTS = 40  # ids one GET /api/v1/accounts may ask for


# --- finding accounts ----------------------------------------------------------------------


def plain(text: str) -> str:
    """Typed text as a query may hold it: no NUL (PostgreSQL refuses it in a parameter)."""
    return text.replace("\x00", "").strip()


def viewer_user(request: HttpRequest) -> User | None:
    """The user behind the token (never a browser session's: the API reads tokens only)."""
    return request.account.user if request.account is not None else None


def visible_accounts(request: HttpRequest) -> QuerySet:
    return Account.objects.visible_to(viewer_user(request))


def visible_account(request: HttpRequest, account_id: object) -> Account:
    """The account ``account_id`` if the viewer may see it; else 404."""
    pk = as_id(account_id)
    found = visible_accounts(request).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise not_found()
    return found


def reachable_account(request: HttpRequest, account_id: object) -> Account:
    """The account ``account_id`` for the viewer's own dealings with it (block, unblock,
    mute, unfollow, a note, a report): one they may see, or a public one that hides from
    them because it blocked them. Undoing one's own relation, or blocking back, must work
    either way; and it tells them nothing a 404 on the profile didn't."""
    pk = as_id(account_id)
    if pk is None:
        raise not_found()
    public = Account.objects.visible_to(None).values("pk")
    found = (
        Account.objects.filter(pk=pk)
        .filter(Q(pk__in=public) | Q(pk__in=visible_accounts(request).values("pk")))
        .first()
    )
    if found is None:
        raise not_found()
    return found


# --- the caller's own account ----------------------------------------------------------------


@endpoint("GET", "v1/accounts/verify_credentials", scope="profile", tag="accounts")
def verify_credentials(request: HttpRequest) -> dict[str, Any]:
    """The caller's own account, with its source and role."""
    return serializers.credential_account(request.account)


UPDATE_PARAMS = (
    Param("display_name", description="The name shown on the profile"),
    Param("note", description="The bio (Markdown)"),
    Param("avatar", "file", "Avatar image (multipart)"),
    Param("header", "file", "Header image (multipart)"),
    Param("locked", "boolean", "Approve followers by hand"),
    Param("bot", "boolean", "The account is a bot"),
    Param("discoverable", "boolean", "May be suggested to others"),
    Param("indexable", "boolean", "The same as discoverable here"),
    Param("hide_collections", "boolean", "Hide who the account follows and who follows it"),
    Param("fields_attributes", "object", "Profile fields: {index: {name, value}} or a list"),
    Param("source", "object", "Posting defaults: privacy, sensitive, language"),
)

# Form fields as the API names them, for error details.
_API_NAMES = {"bio": "note", "hide_network": "hide_collections"}


def _fields_data(request: HttpRequest) -> dict[str, str]:
    """``fields_attributes`` as the profile form's rows (all rows given: the rest cleared)."""
    rows = request.params.list("fields_attributes")
    if len(rows) > LIMITS["fields"]:
        raise ValidationError({"fields_attributes": f"At most {LIMITS['fields']} fields"})
    data = {}
    for i in range(LIMITS["fields"]):
        row = rows[i] if i < len(rows) else {}
        if not isinstance(row, dict):
            raise ValidationError({"fields_attributes": "Each field has a name and a value"})
        data[f"field_name_{i}"] = str(row.get("name") or "")
        data[f"field_value_{i}"] = str(row.get("value") or "")
    return data


def _profile_form(request: HttpRequest) -> ProfileForm:
    """The profile form bound to the current profile with the given parameters over it, so
    a partial update is checked exactly as the settings page checks a whole one."""
    params = request.params
    account = request.account
    data = ProfileForm.current_data(account)
    if "display_name" in params:
        data["display_name"] = params.str("display_name")
    if "note" in params:
        data["bio"] = params.str("note")
    for name, key in (("locked", "locked"), ("bot", "bot"), ("hide_collections", "hide_network")):
        if name in params:
            data[key] = params.bool(name)
    if "fields_attributes" in params:
        data.update(_fields_data(request))
    files = {name: params.file(name) for name in ("avatar", "header") if params.file(name)}
    return ProfileForm(data, files, account=account)


def _form_errors(form: ProfileForm) -> ValidationError:
    errors: dict[str, list[str]] = {}
    for key, problems in form.errors.as_data().items():
        name = "fields_attributes" if key.startswith("field_") else _API_NAMES.get(key, key)
        errors.setdefault(name, []).extend(m for e in problems for m in e.messages)
    return ValidationError(errors)


def _preferences(request: HttpRequest) -> dict[str, Any]:
    """The settings the profile form doesn't hold: None where not given (kept as they are)."""
    params = request.params
    source = params.sub("source")
    discoverable = None
    for name in ("discoverable", "indexable"):
        if name in params and discoverable is None:
            discoverable = params.bool(name)
    return {
        "discoverable": discoverable,
        "default_visibility": source.str("privacy") if "privacy" in source else None,
        "default_sensitive": source.bool("sensitive") if "sensitive" in source else None,
        "default_language": source.str("language") if "language" in source else None,
    }


@endpoint(
    "PATCH",
    "v1/accounts/update_credentials",
    scope="write:accounts",
    params=UPDATE_PARAMS,
    tag="accounts",
)
def update_credentials(request: HttpRequest) -> dict[str, Any]:
    """Change the caller's profile and posting defaults; what isn't given stays as it is."""
    form = _profile_form(request)
    preferences = _preferences(request)
    if not form.is_valid():
        raise _form_errors(form)
    account_actions.update_profile(request.account, replace(form.changes(), **preferences))
    account = Account.objects.select_related("user").get(pk=request.account.pk)
    return serializers.credential_account(account)


@endpoint("GET", "v1/preferences", scope="read:accounts", tag="accounts")
def preferences(request: HttpRequest) -> dict[str, Any]:
    """The caller's posting defaults, and how clients should show media and warnings."""
    account = request.account
    return {
        "posting:default:visibility": account.default_visibility,
        "posting:default:sensitive": account.default_sensitive,
        "posting:default:language": account.default_language or None,
        "posting:default:quote_policy": "nobody",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
        "reading:autoplay:gifs": False,
    }


# --- signing up ------------------------------------------------------------------------------

REGISTER_PARAMS = (
    Param("username", required=True),
    Param("email", required=True),
    Param("password", required=True),
    Param("agreement", "boolean", "Accepts the current code of conduct", required=True),
    Param("locale", description="Language of the confirmation e-mail"),
    Param("reason", description="Why the person wants to join (approval-only sign-ups)"),
)

# Django's error codes as Mastodon's, and the form's field names as the API's.
ERROR_CODES = {
    "required": "ERR_BLANK",
    "taken": "ERR_TAKEN",
    "reserved": "ERR_RESERVED",
    "invalid": "ERR_INVALID",
    "max_length": "ERR_TOO_LONG",
    "min_length": "ERR_TOO_SHORT",
    "password_too_short": "ERR_TOO_SHORT",
    "accepted": "ERR_ACCEPTED",
}
SIGNUP_NAMES = {"password1": "password", "password2": "password", "accept_code": "agreement"}
NOT_ALLOWED = "This action is not allowed"


def _details(errors: dict[str, list[ValidationError]]) -> dict[str, list[dict[str, str]]]:
    """Mastodon's ``details``: per parameter, ``[{"error": "ERR_…", "description": …}]``."""
    details: dict[str, list[dict[str, str]]] = {}
    for key, problems in errors.items():
        name = SIGNUP_NAMES.get(key, "base" if key == "__all__" else key)
        for problem in problems:
            code = "ERR_ACCEPTED" if name == "agreement" else ERROR_CODES.get(problem.code or "")
            for message in problem.messages:
                entry = {"error": code or "ERR_INVALID", "description": message}
                if entry not in details.setdefault(name, []):
                    details[name].append(entry)
    return details


def _refused(details: dict[str, list[dict[str, str]]]) -> ApiError:
    text = " ".join(e["description"] for items in details.values() for e in items)
    return ApiError(422, f"Validation failed: {text}", details=details)


def _signup_form(request: HttpRequest, instance: InstanceSettings) -> SignupForm:
    """The sign-up page's form, fed the API's parameters: the same rules for both doors."""
    params = request.params
    form = SignupForm(
        {
            "username": params.str("username"),
            "email": params.str("email"),
            "password1": params.str("password"),
            "password2": params.str("password"),
            "reason": params.str("reason"),
            "accept_code": params.bool("agreement"),
        },
        needs_reason=instance.registration_mode == RegistrationMode.APPROVAL,
        reason_help=instance.approval_prompt,
    )
    if form.code is not None:
        form.data["code_version"] = form.code.version  # the code in force is the one accepted
    return form


def _locale(text: str) -> str:
    """A language we have for e-mails (``pt-BR`` may give ``pt``), or "" (the default)."""
    code = text.strip().lower().replace("_", "-")
    available = {c.lower() for c, _name in settings.LANGUAGES}
    for candidate in (code, code.split("-")[0]):
        if candidate in available:
            return candidate
    return ""


def _new_token(user: User | None, application: Application, scope: str) -> dict[str, Any]:
    """A token of ``application`` for the new user, in Mastodon's Token shape. It works once
    the address is confirmed (and the sign-up approved). Without a user (the address was in
    use) the value is random and stored nowhere: see ``register``."""
    raw = secrets.token_urlsafe(32)
    if user is not None:
        lifetime = timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        token = AccessToken(
            user=user, application=application, scope=scope, expires=timezone.now() + lifetime
        )
        set_token_value(token, raw)
        token.save()
    return {
        "access_token": raw,
        "token_type": "Bearer",
        "scope": scope,
        "created_at": int(time.time()),
    }


@endpoint(
    "POST",
    "v1/accounts",
    auth=APP,
    scope="write:accounts",
    params=REGISTER_PARAMS,
    tag="accounts",
    summary="Sign up",
)
def register(request: HttpRequest) -> dict[str, Any]:
    """Sign up through an app (its own token, not a user's). The rules are the sign-up
    page's: the registration mode (closed: 403; approval: the account waits, and ``reason``
    is required), the current code of conduct (``agreement`` accepts it, and is recorded), the
    username, address and password checks, and the rate limit.

    An address that already has an account gets the same answer as a new one, and its owner
    an e-mail, as on the sign-up page, so this door can't be used to find out who has an
    account here; the token given then is never valid."""
    if request.account is not None:
        raise ApiError(403, "This method requires an client credentials authentication")
    instance = InstanceSettings.current()
    if instance.registration_mode == RegistrationMode.CLOSED:
        raise ApiError(403, NOT_ALLOWED)
    form = _signup_form(request, instance)
    if too_many(request, "signup", form):
        raise ApiError(429, "Too many requests")
    details = {} if form.is_valid() else _details(form.errors.as_data())
    if not request.params.bool("agreement") and "agreement" not in details:
        accept = "Agreement must be accepted."
        details["agreement"] = [{"error": "ERR_ACCEPTED", "description": accept}]
    if details:
        raise _refused(details)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            user = account_actions.sign_up(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                code_of_conduct=form.code,
                reason=data.get("reason", ""),
                locale=_locale(request.params.str("locale")),
            )
            application = request.token.application
            return _new_token(user, application, " ".join(app_scopes(application)))
    except account_actions.RegistrationClosed:
        raise ApiError(403, NOT_ALLOWED) from None
    except ValidationError as error:
        problems = error.error_dict if hasattr(error, "error_dict") else {"__all__": [error]}
        raise _refused(_details(problems)) from None


# --- others' accounts ----------------------------------------------------------------------


@endpoint(
    "GET",
    "v1/accounts",
    auth=OPTIONAL,
    scope="read:accounts",
    params=(Param("id", "array", "Account ids (id[]=…)"),),
    tag="accounts",
    summary="Several accounts",
)
def several(request: HttpRequest) -> list[dict[str, Any]]:
    """The accounts asked for that the viewer may see, in the order asked."""
    ids = list(dict.fromkeys(request.params.ids("id")))
    if len(ids) > MANY_ACCOUNTS:
        raise ApiError(422, f"Validation failed: at most {MANY_ACCOUNTS} ids")
    found = {a.pk: a for a in visible_accounts(request).filter(pk__in=ids)}
    return serializers.accounts([found[pk] for pk in ids if pk in found])


@endpoint(
    "GET",
    "v1/accounts/lookup",
    auth=OPTIONAL,
    scope="read:accounts",
    params=(Param("acct", description="user, user@domain or @user@domain", required=True),),
    tag="accounts",
)
def lookup(request: HttpRequest) -> dict[str, Any]:
    """An account by its handle. One we don't know on another server is looked up there
    (WebFinger) when a logged-in viewer asks, within their lookup allowance."""
    acct = plain(request.params.str("acct")).removeprefix("@")
    name, domain = resolve.split_handle(acct)
    if domain:  # someone on another server: as our tables spell the domain
        name, domain = resolve.parse_handle(acct) or ("", "")
    if not name:
        raise not_found()
    found = visible_accounts(request).filter(domain=domain, username__iexact=name).first()
    if found is None and domain and request.account is not None:
        results = resolve.search(f"@{name}@{domain}", viewer_user(request))
        found = results.accounts[0] if results.accounts else None
    if found is None:
        raise not_found()
    return serializers.account(found)


SEARCH_PARAMS = (
    Param("q", description="Text, a handle or a profile URL", required=True),
    Param("limit", "integer", "How many (40, at most 80)"),
    Param("offset", "integer", "Skip this many"),
    Param("resolve", "boolean", "Look a handle or URL up on its server"),
    Param("following", "boolean", "Only accounts the caller follows"),
)


@endpoint("GET", "v1/accounts/search", scope="read:accounts", params=SEARCH_PARAMS, tag="accounts")
def search(request: HttpRequest) -> list[dict[str, Any]]:
    """Accounts by name or handle (for mention completion and the like). With ``resolve``, a
    handle or URL we don't know is looked up on its server."""
    params = request.params
    text = plain(params.str("q"))[: resolve.MAX_QUERY]
    limit = cursor(request, **ACCOUNTS_PAGE).limit
    offset = as_id(params.str("offset")) or 0
    following = request.account if params.bool("following") else None
    qs = matching(text, viewer_user(request), followed_by=following)
    if params.bool("resolve") and (
        resolve.parse_handle(text) or text.startswith(("https://", "http://"))
    ):
        found = [a.pk for a in resolve.search(text, viewer_user(request)).accounts]
        qs = visible_accounts(request).filter(pk__in=found)
        if following is not None:
            qs = qs.filter(follower_set__follower=following)
    return serializers.accounts(list(qs[offset : offset + limit]))


@endpoint("GET", "v1/accounts/<id>", auth=OPTIONAL, scope="read:accounts", tag="accounts")
def get_account(request: HttpRequest, id: str) -> dict[str, Any]:
    """One account's profile (also one the caller blocks)."""
    return serializers.account(visible_account(request, id))


STATUS_FILTERS = (
    Param("pinned", "boolean", "Only pinned posts"),
    Param("exclude_replies", "boolean", "Leave out replies to others"),
    Param("exclude_reblogs", "boolean", "Leave out boosts"),
    Param("only_media", "boolean", "Only posts with media"),
    Param("tagged", description="Only posts with this hashtag"),
)


def _group_topics(account: Account, viewer: Account | None) -> QuerySet | None:
    """For one of our groups' accounts: the posts that start its topics, as far as the viewer
    may read them (what Mastodon shows on a Lemmy community's profile). None for others."""
    if account.actor_type != ActorType.GROUP or not account.is_local:
        return None
    return Post.objects.visible_to(viewer).filter(
        group__account=account, topic__isnull=False, boost_of__isnull=True
    )


def _account_posts(account: Account, request: HttpRequest) -> QuerySet:
    """The account's posts the viewer may see (a group's: its topics, and its pinned topics
    for ``pinned``), narrowed as the parameters ask."""
    params = request.params
    topics = _group_topics(account, request.account)
    if topics is not None:
        qs = topics.filter(topic__pinned_at__isnull=False) if params.bool("pinned") else topics
    else:
        qs = Post.objects.visible_to(request.account).filter(author=account)
        if params.bool("pinned"):
            qs = qs.filter(pk__in=Pin.objects.filter(account=account).values("post_id"))
    return _narrowed(qs, account, params)


def _narrowed(qs: QuerySet, account: Account, params: Params) -> QuerySet:
    if params.bool("exclude_replies"):
        qs = qs.filter(Q(in_reply_to_account__isnull=True) | Q(in_reply_to_account=account))
    if params.bool("exclude_reblogs"):
        qs = qs.filter(boost_of__isnull=True)
    if params.bool("only_media"):
        qs = qs.filter(Exists(MediaAttachment.objects.filter(post=OuterRef("pk"))))
    if plain(params.str("tagged")):
        tag = normalize_hashtag(plain(params.str("tagged")).removeprefix("#"))
        tagged = Post.hashtags.through.objects.filter(post=OuterRef("pk"), hashtag__name=tag)
        qs = qs.filter(Exists(tagged))
    return qs


@endpoint(
    "GET",
    "v1/accounts/<id>/statuses",
    auth=OPTIONAL,
    scope="read:statuses",
    params=STATUS_FILTERS,
    tag="accounts",
    paginated=True,
)
def account_statuses(request: HttpRequest, id: str) -> Reply:
    """The account's posts, newest first, as far as the viewer may see them."""
    account = visible_account(request, id)
    page = paginate(with_related(_account_posts(account, request)), cursor(request))
    data = serializers.statuses(page.items, request.account)
    return paged(request, data, page.next_max_id, page.prev_min_id)


@endpoint("GET", "v1/accounts/<id>/featured_tags", auth=OPTIONAL, scope="read:accounts")
def featured_tags(request: HttpRequest, id: str) -> list:
    """Hashtags the account features: nobody features hashtags here, so none."""
    visible_account(request, id)
    return []


@endpoint("GET", "v1/featured_tags", scope="read:accounts", tag="featured_tags")
def own_featured_tags(request: HttpRequest) -> list:
    """The caller's featured hashtags: featuring hashtags on a profile is not offered here, so
    the list is always empty (and there is no endpoint to add one)."""
    return []


@endpoint("GET", "v1/accounts/<id>/endorsements", auth=OPTIONAL, scope="read:accounts")
def account_endorsements(request: HttpRequest, id: str) -> list:
    """Accounts the account features on its profile: nobody features accounts here."""
    visible_account(request, id)
    return []


@endpoint("GET", "v1/accounts/<id>/identity_proofs", scope="read:accounts", tag="accounts")
def identity_proofs(request: HttpRequest, id: str) -> list:
    """Deprecated in Mastodon 3.5, which answers an empty list since; so do we."""
    visible_account(request, id)
    return []
