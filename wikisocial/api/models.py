"""What Mastodon keeps on an OAuth application and django-oauth-toolkit's ``Application``
does not: the scopes the app registered for, and its website; and the authorization codes
already exchanged, so that a code used twice can be recognised."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

WEB_SCHEMES = ("http://", "https://")


class AppProfile(models.Model):
    """One per application registered through ``POST /api/v1/apps`` or made for a personal
    access token. Authorisation and token requests may ask for these scopes (or narrower
    ones) and no others."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="api_profile",
        verbose_name=_("application"),
        swappable=False,  # the project keeps django-oauth-toolkit's own Application
    )
    scopes = models.TextField(_("scopes"), help_text=_("Space-separated, as registered"))
    website = models.CharField(_("website"), max_length=2000, blank=True, default="")

    class Meta:
        verbose_name = _("application profile")
        verbose_name_plural = _("application profiles")

    def __str__(self) -> str:
        return f"{self.application} ({self.scopes})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def website_link(self) -> str:
        """The website if it may be a link's target (http or https), else "". Registration
        accepts nothing else; this keeps a ``javascript:`` one typed in the shell or the admin
        off the pages that link to it."""
        return self.website if self.website.lower().startswith(WEB_SCHEMES) else ""


class ExchangedCode(models.Model):
    """An authorization code that was exchanged for a token, known by its checksum, with what
    the exchange issued. A code is used once (RFC 6749 §4.1.2): when it comes back, the token
    it gave and every token refreshed from it are revoked, since someone else holds the code."""

    code_checksum = models.CharField(_("code checksum"), max_length=64, unique=True)
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("application"),
        swappable=False,
    )
    access_token = models.ForeignKey(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("access token"),
        swappable=False,
    )
    # The refresh token's family: the tokens later refreshed from the first one share it.
    token_family = models.UUIDField(_("token family"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("exchanged authorization code")
        verbose_name_plural = _("exchanged authorization codes")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.code_checksum[:12]}…"
