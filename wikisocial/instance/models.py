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


class Announcement(models.Model):
    """A notice from the operators, shown above the home timeline of every local person (Mastodon's
    announcements) until they dismiss it. ``starts_at``/``ends_at`` say when what it announces
    happens; once ``ends_at`` has passed it is no longer shown."""

    text = models.TextField(_("text"), max_length=5000, help_text=_("Markdown."))
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    published = models.BooleanField(_("published"), default=False)
    # Set when first published (instance.actions.save_announcement), never by save().
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.text[:60]


class AnnouncementRead(models.Model):
    """A person dismissed (read) an announcement."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="announcements_read"
    )
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="reads")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "announcement"], name="announcement_read_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} read announcement {self.announcement_id}"


class AnnouncementReaction(models.Model):
    """An emoji someone put under an announcement (``name``: one Unicode emoji)."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="announcement_reactions"
    )
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="reactions"
    )
    name = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "announcement", "name"], name="announcement_reaction_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} reacted {self.name} to {self.announcement_id}"
