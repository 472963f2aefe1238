"""What the operator sets for the whole instance: name, description, contact, registration
mode, rules and the versioned code of conduct."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationMode(models.TextChoices):
    OPEN = "open", _("Open: anyone may sign up")
    APPROVAL = "approval", _("Approval: sign-ups wait for an administrator")
    CLOSED = "closed", _("Closed: nobody may sign up")


class InstanceSettings(models.Model):
    """A single row (pk=1) of instance-wide settings, edited in the admin."""

    name = models.CharField(_("name"), max_length=100, default="WikiSocial")
    description = models.TextField(
        _("description"),
        max_length=2000,
        blank=True,
        default="A home for the Wikimedia movement: talk, groups, wikis and events.",
        help_text=_("Shown on the front page and the about page. Markdown."),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    registration_mode = models.CharField(
        _("registration mode"),
        max_length=10,
        choices=RegistrationMode.choices,
        default=RegistrationMode.OPEN,
    )
    approval_prompt = models.CharField(
        _("question for people asking to join"),
        max_length=200,
        blank=True,
        default="Tell us a little about yourself and why you would like to join.",
    )
    max_post_chars = models.PositiveIntegerField(
        _("longest post (characters)"),
        default=5000,
        validators=[MinValueValidator(100), MaxValueValidator(100_000)],
    )
    default_wiki = models.CharField(
        _("default wiki"),
        max_length=100,
        default="en.wikipedia.org",
        help_text=_("Where [[Page]] links without a prefix go, e.g. es.wikipedia.org."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("instance settings")
        verbose_name_plural = _("instance settings")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> InstanceSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class CodeOfConduct(models.Model):
    """One published version of the code of conduct. The newest version is the one in force;
    earlier versions stay readable, and each acceptance records the version accepted."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text = models.TextField(_("text"), help_text=_("Markdown."))
    summary_of_changes = models.CharField(_("summary of changes"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("code of conduct version")
        verbose_name_plural = _("code of conduct versions")

    def __str__(self) -> str:
        return f"Code of conduct v{self.version}"

    @classmethod
    def current(cls) -> CodeOfConduct | None:
        return cls.objects.order_by("-version").first()


class Rule(models.Model):
    """A short server rule (Mastodon's instance rules), shown on the about page."""

    text = models.CharField(_("rule"), max_length=300)
    hint = models.CharField(_("explanation"), max_length=1000, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")

    def __str__(self) -> str:
        return self.text
