"""Web forms for accounts: they parse and validate, then hand a clean result to an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wikisocial.accounts import actions
from wikisocial.accounts.languages import SpokenLanguage, parse_languages
from wikisocial.accounts.limits import too_many
from wikisocial.accounts.models import Account, Affiliation, AffiliationKind, User
from wikisocial.accounts.validators import validate_username
from wikisocial.core.images import ProcessedImage, process_image
from wikisocial.core.mail import queue_email
from wikisocial.core.markup import clean_text
from wikisocial.instance.models import CodeOfConduct

LIMITS = settings.PROFILE_LIMITS
# The e-mail columns are Django's EmailField default (RFC 5321's path limit); forms.EmailField
# would accept up to 320 characters, which PostgreSQL then refuses.
EMAIL_MAX_LENGTH = 254
TOO_MANY_ATTEMPTS = gettext_lazy("Too many attempts; try again in a few minutes.")


class RateLimitMixin:
    """A form a view can refuse whole when someone tries too often: nothing in it is checked
    (no password is tried, no e-mail sent), the page keeps what was typed and says why."""

    rate_limited = False

    def refuse_too_many(self) -> None:
        self.rate_limited = True
        self._errors = None  # validate again, the rate-limited way

    def full_clean(self) -> None:
        if not self.rate_limited:
            super().full_clean()
            return
        self._errors = ErrorDict(renderer=self.renderer)
        self.cleaned_data = {}
        self.add_error(None, ValidationError(TOO_MANY_ATTEMPTS, code="rate_limited"))


def check_new_username(username: str) -> str:
    """Return ``username`` if someone may sign up with it, else raise ValidationError."""
    validate_username(username)
    if actions.username_taken(username):
        raise ValidationError(_("That username is taken."), code="taken")
    return username


class SignupForm(RateLimitMixin, forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=30,
        help_text=gettext_lazy(
            "Letters A–Z, digits and underscores; up to 30. It can't be changed."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=gettext_lazy("We send a link to confirm it. Never shown to others."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        help_text=gettext_lazy("At least 8 characters; not a common password, not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why would you like to join?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    code_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    accept_code = forms.BooleanField(
        label=gettext_lazy("I have read the code of conduct and agree to follow it."),
        required=True,
        error_messages={"required": gettext_lazy("Please accept the code of conduct to join.")},
    )

    def __init__(
        self, *args: Any, needs_reason: bool = False, reason_help: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.code = CodeOfConduct.current()
        # With JavaScript, say whether the name is free while it is typed (htmx). The answer
        # is announced by its own aria-live element; aria-describedby stays Django's, so that
        # it names the help text and, after a failed submission, the error.
        self.fields["username"].widget.attrs.update(
            {
                "hx-get": reverse("accounts:signup"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#username-status",
                "hx-swap": "outerHTML",
            }
        )
        if self.code is not None:
            self.fields["code_version"].initial = self.code.version
        else:
            del self.fields["accept_code"]
        if needs_reason:
            self.fields["reason"].required = True
            # The instance's question, as help text so the field is described by it. Help
            # text is rendered as HTML: escape the operator's plain text.
            self.fields["reason"].help_text = conditional_escape(reason_help)
        else:
            del self.fields["reason"]

    def clean_username(self) -> str:
        return check_new_username(self.cleaned_data["username"])

    # An address that has an account already is not an error here: actions.sign_up tells its
    # owner instead, and the page looks the same (no way to probe for accounts).

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.code is not None and data.get("code_version") != self.code.version:
            # A hidden field: report it at the top of the form.
            self.add_error(
                None,
                _("The code of conduct changed while you were reading. Please read it again."),
            )
            self.data = self.data.copy()  # the page shown next carries the new version
            self.data["code_version"] = str(self.code.version)
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class AdminLoginForm(RateLimitMixin, AdminAuthenticationForm):
    """The admin's log-in page, under the same rate limit as the site's (it tries passwords
    too). The admin's view renders it; counting here is the one place it can hook in."""

    def full_clean(self) -> None:
        if self.is_bound and self.request is not None and not self.rate_limited:
            too_many(self.request, "login", self, self.data.get("username", ""))
        super().full_clean()


class LoginForm(RateLimitMixin, AuthenticationForm):
    username = forms.CharField(
        label=gettext_lazy("Username or e-mail address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def confirm_login_allowed(self, user: User) -> None:
        refusal = actions.login_refusal(user)
        if refusal:
            self.refused_user = user
            raise ValidationError(refusal, code="refused")


class EmailForm(RateLimitMixin, forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=EMAIL_MAX_LENGTH)


class QueuedPasswordResetForm(RateLimitMixin, PasswordResetForm):
    """Django's reset form, sending through the background worker in the user's language."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        context = {**context, "site_url": settings.SITE_URL}
        queue_email(to_email, "accounts/email/password_reset", context, user.locale)


class ResetPasswordForm(SetPasswordForm):
    """The new password after a reset link, set through actions.change_password, which tells
    the owner by e-mail (as a change in the settings does)."""

    def save(self, commit: bool = True) -> User:
        actions.change_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("New e-mail address"), max_length=EMAIL_MAX_LENGTH)
    password = forms.CharField(
        label=gettext_lazy("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your current password."))
        return password

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email.lower() == self.user.email.lower():
            raise ValidationError(_("That is already your address."))
        if actions.email_taken(email, exclude=self.user):
            raise ValidationError(_("An account with this e-mail address exists already."))
        return email


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm_username = forms.CharField(label=gettext_lazy("Type your username to confirm"))

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("That is not your password."))
        return password

    def clean_confirm_username(self) -> str:
        value = self.cleaned_data["confirm_username"].strip().lstrip("@")
        if value.lower() != self.user.username.lower():
            raise ValidationError(_("That is not your username."))
        return value


class AcceptCodeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        label=gettext_lazy("I have read this version of the code of conduct and agree to it."),
        error_messages={"required": gettext_lazy("Please tick the box to accept.")},
    )


class DisplayForm(forms.Form):
    """How the web pages look to this person (Settings → Display)."""

    show_counts = forms.BooleanField(
        label=gettext_lazy("Show counts"),
        required=False,
        help_text=gettext_lazy(
            "How many likes, boosts and replies posts have, how many followers people have and "
            "how many members groups have. Turn this off if the numbers distract you: they are "
            "hidden from you only, on these pages; apps may still show them."
        ),
    )


class AvatarAndHeaderMixin:
    """Forms with ``avatar`` and ``header`` uploads (profiles, groups): each becomes a
    processed image (re-encoded, metadata stripped, size checked), or None when none was
    sent."""

    def _clean_image(self, name: str) -> ProcessedImage | None:
        upload = self.cleaned_data.get(name)
        return process_image(upload, name) if upload else None

    def clean_avatar(self) -> ProcessedImage | None:
        return self._clean_image("avatar")

    def clean_header(self) -> ProcessedImage | None:
        return self._clean_image("header")


class ProfileForm(AvatarAndHeaderMixin, forms.Form):
    """Profile editing. Fields and affiliations are fixed rows of inputs, so the form works
    without JavaScript; empty rows are ignored."""

    display_name = forms.CharField(
        label=gettext_lazy("Display name"), max_length=LIMITS["display_name"], required=False
    )
    pronouns = forms.CharField(
        label=gettext_lazy("Pronouns"),
        max_length=LIMITS["pronouns"],
        required=False,
        help_text=gettext_lazy("For example: she/her, they/them."),
    )
    bio = forms.CharField(
        label=gettext_lazy("Bio"),
        max_length=LIMITS["bio"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Markdown: *emphasis*, **bold**, [links](https://…), lists."),
    )
    languages = forms.CharField(
        label=gettext_lazy("Languages you speak"),
        required=False,
        max_length=300,
        help_text=gettext_lazy(
            "Like Babel boxes: a code and a level from 0 to 5, or N for native, "
            "separated by commas. For example: en-N, de-2, es-1."
        ),
    )
    wiki_username = forms.CharField(
        label=gettext_lazy("Wikimedia username"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Shown as unverified until you log in with your Wikimedia account."),
    )
    avatar = forms.FileField(label=gettext_lazy("Avatar"), required=False)
    remove_avatar = forms.BooleanField(label=gettext_lazy("Remove the avatar"), required=False)
    header = forms.FileField(label=gettext_lazy("Header image"), required=False)
    remove_header = forms.BooleanField(label=gettext_lazy("Remove the header"), required=False)
    locked = forms.BooleanField(
        label=gettext_lazy("Approve followers by hand"),
        required=False,
        help_text=gettext_lazy("People ask to follow you, and you decide."),
    )
    bot = forms.BooleanField(
        label=gettext_lazy("This is a bot account"),
        required=False,
        help_text=gettext_lazy("It posts automatically; people may choose to hide bots."),
    )
    hide_network = forms.BooleanField(
        label=gettext_lazy("Hide who I follow and who follows me"),
        required=False,
        help_text=gettext_lazy("Others see only how many."),
    )
    wall_enabled = forms.BooleanField(
        label=gettext_lazy("Open my message wall"),
        required=False,
        help_text=gettext_lazy("People may write public messages on your wall."),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        self.account = account
        super().__init__(*args, **kwargs)
        self.field_rows = []
        for i in range(LIMITS["fields"]):
            name = forms.CharField(
                label=gettext_lazy("Label %(n)d") % {"n": i + 1},
                max_length=LIMITS["field_name"],
                required=False,
            )
            value = forms.CharField(
                label=gettext_lazy("Content %(n)d") % {"n": i + 1},
                max_length=LIMITS["field_value"],
                required=False,
            )
            self.fields[f"field_name_{i}"] = name
            self.fields[f"field_value_{i}"] = value
            self.field_rows.append((f"field_name_{i}", f"field_value_{i}"))
        existing = list(account.affiliations.all())
        rows = min(LIMITS["affiliations"], max(len(existing) + 2, 3))
        self.affiliation_rows = []
        for i in range(rows):
            self.fields[f"aff_name_{i}"] = forms.CharField(
                label=gettext_lazy("Name"), max_length=200, required=False
            )
            self.fields[f"aff_kind_{i}"] = forms.ChoiceField(
                label=gettext_lazy("Kind"), choices=AffiliationKind.choices, required=False
            )
            self.fields[f"aff_url_{i}"] = forms.URLField(
                label=gettext_lazy("Link"),
                max_length=Affiliation._meta.get_field("url").max_length,
                required=False,
                assume_scheme="https",
            )
            self.affiliation_rows.append((f"aff_name_{i}", f"aff_kind_{i}", f"aff_url_{i}"))
        if not self.is_bound:
            self.initial.update(self._initial_from(account, existing))

    @classmethod
    def current_data(cls, account: Account) -> dict[str, Any]:
        """The account's profile as this form's data: a door that changes only some of it
        (the client API's update_credentials) starts from here, so the rest stays as it is
        and every change passes the same checks."""
        return cls._initial_from(account, list(account.affiliations.all()))

    @staticmethod
    def _initial_from(account: Account, affiliations: list[Affiliation]) -> dict[str, Any]:
        initial = {
            "display_name": account.display_name,
            "pronouns": account.pronouns,
            "bio": account.bio,
            "wiki_username": account.wiki_username,
            "locked": account.locked,
            "bot": account.bot,
            "hide_network": account.hide_network,
            "wall_enabled": account.wall_enabled,
            "languages": ", ".join(f"{lang.code}-{lang.level}" for lang in account.languages.all()),
        }
        for i, item in enumerate(account.fields):
            initial[f"field_name_{i}"] = item.get("name", "")
            initial[f"field_value_{i}"] = item.get("value", "")
        for i, aff in enumerate(affiliations):
            initial.update({f"aff_name_{i}": aff.name, f"aff_kind_{i}": aff.kind})
            initial[f"aff_url_{i}"] = aff.url
        return initial

    def clean_languages(self) -> list[SpokenLanguage]:
        return parse_languages(self.cleaned_data["languages"], LIMITS["languages"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for key in ("display_name", "pronouns", "wiki_username", "bio"):
            if key in data:
                value = self._cleaned_text(data, key, multiline=key == "bio")
                if value is not None:
                    data[key] = value
        data["fields"] = self._collect_fields(data)
        data["affiliations"] = self._collect_affiliations(data)
        return data

    def _cleaned_text(self, data: dict[str, Any], key: str, multiline: bool = False) -> str | None:
        """``data[key]`` cleaned (see clean_text), or None with an error on the field when
        cleaning made it longer than the field allows: NFC turns some characters into two
        (U+0958 becomes U+0915 U+093C), so the length is checked again."""
        value = clean_text(data.get(key, ""), multiline=multiline)
        limit = self.fields[key].max_length
        if limit is not None and len(value) > limit:
            self.add_error(
                key,
                ValidationError(
                    _(
                        "This text is %(length)d characters long once its accents and "
                        "combined letters are written the standard way; the limit is "
                        "%(limit)d."
                    ),
                    code="max_length",
                    params={"length": len(value), "limit": limit},
                ),
            )
            return None
        return value

    def _collect_fields(self, data: dict[str, Any]) -> list[dict[str, str]]:
        fields = []
        for name_key, value_key in self.field_rows:
            name = self._cleaned_text(data, name_key)
            value = self._cleaned_text(data, value_key)
            if name is None or value is None:
                continue
            if name and value:
                fields.append({"name": name, "value": value})
            elif name or value:
                missing = value_key if name else name_key
                self.add_error(missing, _("Fill in both the label and the content, or neither."))
        return fields

    def _collect_affiliations(self, data: dict[str, Any]) -> list[dict[str, str]]:
        items = []
        for name_key, kind_key, url_key in self.affiliation_rows:
            name = self._cleaned_text(data, name_key)
            if name is None:
                continue
            if not name:
                if data.get(url_key):
                    self.add_error(name_key, _("Give the affiliation a name."))
                continue
            kind = data.get(kind_key) or AffiliationKind.OTHER
            items.append({"name": name, "kind": kind, "url": data.get(url_key, "")})
        return items

    def changes(self) -> actions.ProfileChanges:
        d = self.cleaned_data
        return actions.ProfileChanges(
            display_name=d["display_name"],
            bio=d["bio"],
            pronouns=d["pronouns"],
            wiki_username=d["wiki_username"],
            locked=d["locked"],
            bot=d["bot"],
            hide_network=d["hide_network"],
            wall_enabled=d["wall_enabled"],
            fields=d["fields"],
            languages=d["languages"],
            affiliations=d["affiliations"],
            avatar=d["avatar"],
            header=d["header"],
            remove_avatar=d["remove_avatar"],
            remove_header=d["remove_header"],
        )
