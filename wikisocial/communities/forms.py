"""Web forms for groups: they parse and validate what was typed, then hand clean values to
``communities.actions`` (which checks everything again, whichever door is used)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wikisocial.accounts.actions import username_taken
from wikisocial.accounts.forms import AvatarAndHeaderMixin
from wikisocial.accounts.models import Account, ActorType
from wikisocial.accounts.validators import validate_username
from wikisocial.communities.actions import LIMITS, GroupDraft
from wikisocial.communities.models import Group, GroupCategory, GroupKind, Role
from wikisocial.core.markup import clean_text

# Durations a moderator picks for a ban ("" = for good), in days.
BAN_DURATIONS = [
    ("", gettext_lazy("For good")),
    ("1", gettext_lazy("One day")),
    ("7", gettext_lazy("One week")),
    ("30", gettext_lazy("30 days")),
    ("365", gettext_lazy("One year")),
]


class GroupForm(AvatarAndHeaderMixin, forms.Form):
    """Creating a group (with its handle) and its settings page (without: a handle is
    forever, other servers know the group by it)."""

    handle = forms.CharField(
        label=gettext_lazy("Handle"),
        max_length=30,
        help_text=gettext_lazy(
            "Letters A–Z, digits and underscores; up to 30. The group's address: /g/handle "
            "here, !handle@server elsewhere. It can't be changed."
        ),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=LIMITS["name"])
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=LIMITS["description"],
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What the group is for. Markdown: *emphasis*, **bold**, links."),
    )
    rules = forms.CharField(
        label=gettext_lazy("Rules"),
        required=False,
        max_length=LIMITS["rules"],
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Shown on the About page and to people asking to join."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Who may read and join"),
        choices=GroupKind.choices,
        initial=GroupKind.PUBLIC,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Restricted and private groups show their About page to everyone; hidden ones "
            "appear nowhere but to their members. Moderators can change this later."
        ),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=GroupCategory.choices, initial=GroupCategory.OTHER
    )
    language = forms.CharField(
        label=gettext_lazy("Main language"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("A language code such as en, de or pt-br; empty if several."),
    )
    questions = forms.CharField(
        label=gettext_lazy("Questions for people asking to join"),
        required=False,
        max_length=LIMITS["questions"] * (LIMITS["question"] + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One question a line, at most five. Asked when joining needs approval."
        ),
    )
    members_hidden = forms.BooleanField(
        label=gettext_lazy("Hide the member list"),
        required=False,
        help_text=gettext_lazy("Only moderators see who the members are; others see how many."),
    )
    posting_restricted_to_mods = forms.BooleanField(
        label=gettext_lazy("Only moderators start topics"),
        required=False,
        help_text=gettext_lazy("Members still reply to them. Useful for announcements."),
    )
    avatar = forms.FileField(label=gettext_lazy("Avatar"), required=False)
    remove_avatar = forms.BooleanField(label=gettext_lazy("Remove the avatar"), required=False)
    header = forms.FileField(label=gettext_lazy("Banner image"), required=False)
    remove_header = forms.BooleanField(label=gettext_lazy("Remove the banner"), required=False)

    def __init__(self, *args: Any, group: Group | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        if group is None:
            del self.fields["remove_avatar"], self.fields["remove_header"]
            return
        del self.fields["handle"]
        if not self.is_bound:
            self.initial.update(initial_of(group))

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].strip().lstrip("!")
        validate_username(handle)
        if username_taken(handle):
            raise ValidationError(
                _("That name is taken by a person or another group."), code="taken"
            )
        return handle

    def clean_questions(self) -> list[str]:
        lines = [clean_text(line) for line in self.cleaned_data["questions"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > LIMITS["questions"] or any(len(q) > LIMITS["question"] for q in lines):
            raise ValidationError(
                _("Ask at most %(n)d questions of %(chars)d characters.")
                % {"n": LIMITS["questions"], "chars": LIMITS["question"]}
            )
        return lines

    def draft(self) -> GroupDraft:
        data = self.cleaned_data
        return GroupDraft(
            name=data["name"],
            description=data["description"],
            rules=data["rules"],
            kind=data["kind"],
            category=data["category"],
            language=data["language"].strip(),
            questions=data["questions"],
            members_hidden=data["members_hidden"],
            posting_restricted_to_mods=data["posting_restricted_to_mods"],
            avatar=data.get("avatar"),
            header=data.get("header"),
            remove_avatar=data.get("remove_avatar", False),
            remove_header=data.get("remove_header", False),
        )


def initial_of(group: Group) -> dict[str, Any]:
    """A group's current settings as the settings form's starting values."""
    return {
        "name": group.account.display_name,
        "description": group.account.bio,
        "rules": group.rules,
        "kind": group.kind,
        "category": group.category,
        "language": group.language,
        "questions": "\n".join(group.questions),
        "members_hidden": group.members_hidden,
        "posting_restricted_to_mods": group.posting_restricted_to_mods,
    }


class JoinForm(forms.Form):
    """One answer field per question the group asks (answers are required when a moderator
    will read them)."""

    def __init__(self, *args: Any, group: Group, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        for i, question in enumerate(group.questions):
            self.fields[f"answer_{i}"] = forms.CharField(
                label=question,
                required=required,
                max_length=LIMITS["answer"],
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def answers(self) -> list[str]:
        return [self.cleaned_data.get(f"answer_{i}", "") for i in range(len(self.group.questions))]


def local_person(username: str) -> Account | None:
    """A person (or bot) on this server by username, any letter case; not a group."""
    return (
        Account.objects.local()
        .filter(username__iexact=username.strip().lstrip("@"), deleted_at__isnull=True)
        .exclude(actor_type=ActorType.GROUP)
        .first()
    )


class InviteForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username of the person to invite"),
        max_length=31,
        help_text=gettext_lazy("Someone on this server, such as ana or @ana."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )

    def clean_username(self) -> Account:
        account = local_person(self.cleaned_data["username"])
        if account is None:
            raise ValidationError(_("There is nobody on this server by that name."))
        return account


def known_account(handle: str) -> Account | None:
    """Anyone this server knows: ``ana`` (here) or ``user@server``."""
    from wikisocial.federation.resolve import split_handle

    name, domain = split_handle(handle.strip())
    if not name:
        return None
    return Account.objects.filter(username__iexact=name, domain=domain).first()


class FindAccountForm(forms.Form):
    """A moderator bans someone by name (in a public group people post without joining)."""

    username = forms.CharField(
        label=gettext_lazy("Ban someone by username"),
        max_length=300,
        help_text=gettext_lazy("Someone on this server (ana), or user@server."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )

    def clean_username(self) -> Account:
        account = known_account(self.cleaned_data["username"])
        if account is None:
            raise ValidationError(_("We know nobody by that name."))
        return account


class ReasonForm(forms.Form):
    """Removing a member: why (shown in the group's log)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=LIMITS["reason"],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Shown in the group's public moderation log."),
    )


class BanForm(ReasonForm):
    duration = forms.ChoiceField(
        label=gettext_lazy("How long"), choices=BAN_DURATIONS, required=False
    )

    def until(self):
        days = self.cleaned_data.get("duration")
        return timezone.now() + timedelta(days=int(days)) if days else None


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)


class DirectoryForm(forms.Form):
    """The group directory's filters: all optional, anything unknown is ignored."""

    SORTS = [
        ("activity", gettext_lazy("Latest activity")),
        ("members", gettext_lazy("Most members")),
        ("newest", gettext_lazy("Newest")),
    ]
    q = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        choices=[("", gettext_lazy("Any category")), *GroupCategory.choices],
    )
    language = forms.CharField(label=gettext_lazy("Language"), required=False, max_length=16)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=SORTS)
    scope = forms.ChoiceField(
        label=gettext_lazy("Where"),
        required=False,
        choices=[
            ("", gettext_lazy("On this server")),
            ("all", gettext_lazy("Also groups elsewhere that we know")),
        ],
    )
