"""What the instance tells clients about itself: name, version, limits, rules, numbers and the
servers it knows (Mastodon's Instance v1 and v2, and the small endpoints beside them).

Every limit is read from where it is enforced (``settings.POST_LIMITS``, ``IMAGE_LIMITS``,
``PROFILE_LIMITS``, the instance settings), so what clients are told cannot drift from what the
server accepts.

``api_versions.mastodon`` is 2: the version Mastodon 4.3.0 reported, the release our version
string names. Version 2 announced the grouped notifications API, which we serve; later
numbers announce features we don't have (4.4's attribution domains, ``delete_media``, the
"blur" filter action; 4.5's quotes …), so a client trusting a higher number would call them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.dateparse import parse_date

import wikisocial
from wikisocial.accounts.languages import language_name
from wikisocial.api import serializers
from wikisocial.api.base import NONE, endpoint, not_found
from wikisocial.api.serializers import iso
from wikisocial.api.serializers.accounts import absolute
from wikisocial.core.images import IMAGE_FORMATS
from wikisocial.core.markup import excerpt, render_document
from wikisocial.core.wikilinks import is_language_code
from wikisocial.instance import queries
from wikisocial.instance.models import (
    CodeOfConduct,
    InstanceSettings,
    RegistrationMode,
    Rule,
)
from wikisocial.posts.actions import CHARACTERS_PER_URL

TAG = "instance"
VERSION = f"4.3.0 (compatible; WikiSocial {wikisocial.__version__})"
API_VERSIONS = {"mastodon": 2}
# Mastodon's clients count every link as this many characters.
THUMBNAIL = "web/header-default.png"


# --- the parts both versions share ------------------------------------------------------------


def _languages() -> list[str]:
    return [settings.LANGUAGE_CODE.split("-")[0]]


def _plain_description(instance: InstanceSettings) -> str:
    return excerpt(render_document(instance.description), 2000)


def _rules() -> list[dict[str, Any]]:
    return [
        {"id": str(rule.pk), "text": rule.text, "hint": rule.hint, "translations": {}}
        for rule in Rule.objects.all()
    ]


def _statuses_config(instance: InstanceSettings) -> dict[str, int]:
    return {
        "max_characters": instance.max_post_chars,
        "max_media_attachments": settings.POST_LIMITS["media"],
        "characters_reserved_per_url": CHARACTERS_PER_URL,
    }


def _media_config() -> dict[str, Any]:
    """Images only (the formats the image pipeline decodes); no video or audio, so their
    limits are 0."""
    return {
        "supported_mime_types": [f"image/{fmt.lower()}" for fmt in IMAGE_FORMATS],
        "description_limit": settings.POST_LIMITS["alt_text"],
        "image_size_limit": settings.IMAGE_LIMITS["max_bytes"],
        "image_matrix_limit": settings.IMAGE_LIMITS["max_pixels"],
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


def _polls_config() -> dict[str, int]:
    shortest, longest = settings.POST_LIMITS["poll_duration"]
    return {
        "max_options": settings.POST_LIMITS["poll_options"][1],
        "max_characters_per_option": settings.POST_LIMITS["poll_option_chars"],
        "min_expiration": shortest,
        "max_expiration": longest,
    }


def _accounts_config() -> dict[str, int]:
    limits = settings.PROFILE_LIMITS
    return {
        "max_display_name_length": limits["display_name"],
        "max_note_length": limits["bio"],
        # Profile images have no description field here.
        "max_avatar_description_length": 0,
        "max_header_description_length": 0,
        "max_featured_tags": 0,  # featured hashtags are not supported
        "max_pinned_statuses": settings.POST_LIMITS["pins"],
        "max_profile_fields": limits["fields"],
        "profile_field_name_limit": limits["field_name"],
        "profile_field_value_limit": limits["field_value"],
    }


def _contact() -> dict[str, Any] | None:
    found = queries.contact_account()
    return serializers.account(found) if found is not None else None


def _code_of_conduct_url() -> str | None:
    if CodeOfConduct.current() is None:
        return None
    return absolute(reverse("web:code-of-conduct"))


# --- Instance v1 and v2 -----------------------------------------------------------------------


@endpoint("GET", "v1/instance", auth=NONE, tag=TAG, summary="The instance (Mastodon's v1 form)")
def instance_v1(request: HttpRequest) -> dict[str, Any]:
    instance = InstanceSettings.current()
    usage = queries.usage()
    mode = instance.registration_mode
    config = {
        "accounts": {"max_featured_tags": 0},
        "statuses": _statuses_config(instance),
        "media_attachments": _media_config(),
        "polls": _polls_config(),
    }
    return {
        "uri": settings.DOMAIN,
        "title": instance.name,
        "short_description": _plain_description(instance),
        "description": _plain_description(instance),
        "email": instance.contact_email,
        "version": VERSION,
        "urls": {"streaming_api": settings.STREAMING_URL},
        "stats": {
            "user_count": usage.users,
            "status_count": usage.statuses,
            "domain_count": usage.domains,
        },
        "thumbnail": absolute(static(THUMBNAIL)),
        "languages": _languages(),
        "registrations": mode != RegistrationMode.CLOSED,
        "approval_required": mode == RegistrationMode.APPROVAL,
        "invites_enabled": False,
        "configuration": config,
        "contact_account": _contact(),
        "rules": _rules(),
    }


def _registrations(instance: InstanceSettings) -> dict[str, Any]:
    mode = instance.registration_mode
    return {
        "enabled": mode != RegistrationMode.CLOSED,
        "approval_required": mode == RegistrationMode.APPROVAL,
        "reason_required": mode == RegistrationMode.APPROVAL,
        "message": None,
        "min_age": None,
        "url": None,
    }


def _configuration_v2(instance: InstanceSettings) -> dict[str, Any]:
    return {
        "urls": {
            "streaming": settings.STREAMING_URL,
            "status": None,
            "about": absolute(reverse("web:about")),
            "privacy_policy": None,
            "terms_of_service": _code_of_conduct_url(),
        },
        # No Web Push here: an empty key says there is none to subscribe with.
        "vapid": {"public_key": ""},
        "accounts": _accounts_config(),
        "statuses": _statuses_config(instance),
        "media_attachments": _media_config(),
        "polls": _polls_config(),
        "translation": {"enabled": False},
        "timelines_access": {
            feed: {"local": "public", "remote": "public"}
            for feed in ("live_feeds", "hashtag_feeds", "trending_link_feeds")
        },
        "limited_federation": False,
    }


@endpoint("GET", "v2/instance", auth=NONE, tag=TAG, summary="The instance")
def instance_v2(request: HttpRequest) -> dict[str, Any]:
    instance = InstanceSettings.current()
    return {
        "domain": settings.DOMAIN,
        "title": instance.name,
        "version": VERSION,
        "source_url": settings.SOURCE_URL,
        "description": _plain_description(instance),
        "usage": {"users": {"active_month": queries.usage().active_month}},
        "thumbnail": {"url": absolute(static(THUMBNAIL)), "description": ""},
        "icon": [],
        "languages": _languages(),
        "configuration": _configuration_v2(instance),
        "registrations": _registrations(instance),
        "api_versions": API_VERSIONS,
        "wrapstodon": None,
        "contact": {"email": instance.contact_email, "account": _contact()},
        "rules": _rules(),
    }


# --- the small endpoints ----------------------------------------------------------------------


@endpoint("GET", "v1/instance/rules", auth=NONE, tag=TAG, summary="The server's rules")
def rules(request: HttpRequest) -> list[dict[str, Any]]:
    return _rules()


@endpoint(
    "GET",
    "v1/instance/peers",
    auth=NONE,
    tag=TAG,
    summary="Domains of the other servers this one knows",
)
def peers(request: HttpRequest) -> list[str]:
    return queries.peers()


@endpoint(
    "GET",
    "v1/instance/activity",
    auth=NONE,
    tag=TAG,
    summary="Posts, logins and sign-ups per week, for the last 12 weeks",
)
def activity(request: HttpRequest) -> list[dict[str, str]]:
    """Logins come from each person's last login: someone is counted in the week they last
    logged in."""
    return [
        {
            "week": str(int(week.start.timestamp())),
            "statuses": str(week.statuses),
            "logins": str(week.logins),
            "registrations": str(week.registrations),
        }
        for week in queries.weekly_activity()
    ]


@endpoint(
    "GET",
    "v1/instance/extended_description",
    auth=NONE,
    tag=TAG,
    summary="The instance's description, as HTML",
)
def extended_description(request: HttpRequest) -> dict[str, Any]:
    instance = InstanceSettings.current()
    return {
        "updated_at": iso(instance.updated_at),
        "content": render_document(instance.description),
    }


def _terms(code: CodeOfConduct, following: CodeOfConduct | None) -> dict[str, Any]:
    return {
        "effective_date": code.published_at.date().isoformat(),
        "effective": following is None,
        "content": render_document(code.text),
        "succeeded_by": following.published_at.date().isoformat() if following else None,
    }


@endpoint(
    "GET",
    "v1/instance/terms_of_service",
    auth=NONE,
    tag=TAG,
    summary="The code of conduct in force (what people accept when they join)",
)
def terms_of_service(request: HttpRequest) -> dict[str, Any]:
    code = CodeOfConduct.current()
    if code is None:
        raise not_found()
    return _terms(code, None)


@endpoint(
    "GET",
    "v1/instance/terms_of_service/<date>",
    auth=NONE,
    tag=TAG,
    summary="The code of conduct in force on a date (YYYY-MM-DD)",
)
def terms_of_service_on(request: HttpRequest, date: str) -> dict[str, Any]:
    try:
        day = parse_date(date)
    except ValueError:
        day = None
    if day is None:
        raise not_found()
    code, following = queries.code_of_conduct_at(day)
    if code is None:
        raise not_found()
    return _terms(code, following)


@endpoint(
    "GET",
    "v1/instance/languages",
    auth=NONE,
    tag=TAG,
    summary="Languages a post may be marked as",
)
def languages(request: HttpRequest) -> list[dict[str, str]]:
    return [{"code": code, "name": language_name(code, "en")} for code in _post_languages()]


def _post_languages() -> list[str]:
    from babel import Locale

    codes = {c.lower() for c in Locale("en").languages if "_" not in c and len(c) <= 3}
    return sorted(c for c in codes if is_language_code(c))


@endpoint(
    "GET",
    "v1/instance/translation_languages",
    auth=NONE,
    tag=TAG,
    summary="Translation pairs (none: there is no translation here)",
)
def translation_languages(request: HttpRequest) -> dict[str, list[str]]:
    return {}


@endpoint(
    "GET",
    "v1/instance/domain_blocks",
    auth=NONE,
    tag=TAG,
    summary="Domains this server blocks (none: it has no domain blocks)",
)
def domain_blocks(request: HttpRequest) -> list[dict[str, str]]:
    return []
