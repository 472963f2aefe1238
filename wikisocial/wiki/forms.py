"""The wiki's web forms. A valid form hands clean values to ``wiki.actions``; the actions'
errors come back onto the form (``apply_errors``), so what was typed is never lost."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wikisocial.wiki.actions import LIMITS
from wikisocial.wiki.models import Markup, Protection


class WikiForm(forms.Form):
    def apply_errors(self, error: ValidationError) -> None:
        """Put an action's ValidationError on the fields it names (the rest above the form)."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for name, messages in error.message_dict.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class EditForm(WikiForm):
    text = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true", "dir": "auto"}),
    )
    markup = forms.ChoiceField(label=_("Markup"), choices=Markup.choices)
    summary = forms.CharField(
        label=_("Edit summary"),
        required=False,
        help_text=_("Say briefly what you changed and why."),
        widget=forms.TextInput(attrs={"maxlength": LIMITS["summary"], "dir": "auto"}),
    )
    minor = forms.BooleanField(
        label=_("This is a minor edit"),
        required=False,
        help_text=_("Spelling, formatting: nothing anyone would disagree with."),
    )
    base_revision = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CreatePageForm(WikiForm):
    title = forms.CharField(
        label=_("Title of the new page"),
        max_length=300,
        help_text=_('Use "/" for subpages, e.g. "Events/2027".'),
    )


class TalkForm(WikiForm):
    text = forms.CharField(
        label=_("Start the discussion"),
        help_text=_("The first message of the page's talk topic in the forum."),
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
    )


# What each protection level means, said for the wiki it is in.
GROUP_PROTECTION = {
    Protection.NONE: _("Anyone who may post in the group"),
    Protection.MEMBERS: _("Members of the group"),
    Protection.MODERATORS: _("The group's moderators"),
}
INSTANCE_PROTECTION = {
    Protection.NONE: _("Anyone signed in"),
    Protection.MEMBERS: _("Accounts at least four days old"),
    Protection.MODERATORS: _("The server's staff"),
}


class ProtectForm(WikiForm):
    level = forms.ChoiceField(
        label=_("Who may edit this page"), choices=Protection.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, in_group: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = GROUP_PROTECTION if in_group else INSTANCE_PROTECTION
        self.fields["level"].choices = [(value, labels[value]) for value in Protection.values]


class RevertForm(WikiForm):
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    base_revision = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    summary = forms.CharField(label=_("Edit summary"), required=False, max_length=500)


class DeleteForm(WikiForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
