"""Forms of the forum pages: a new topic, a reply, and the moderators' forms (slow mode,
move, split, categories). They parse what was typed; the rules are in ``forum``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wikisocial.accounts.models import Account
from wikisocial.communities import forum
from wikisocial.communities.models import ForumCategory, Group, Topic, WatchLevel
from wikisocial.posts.actions import Draft
from wikisocial.posts.forms import ComposeForm

SLOW_MODE_CHOICES = [
    (0, gettext_lazy("Off")),
    (30, gettext_lazy("30 seconds")),
    (60, gettext_lazy("1 minute")),
    (300, gettext_lazy("5 minutes")),
    (600, gettext_lazy("10 minutes")),
    (1800, gettext_lazy("30 minutes")),
    (3600, gettext_lazy("1 hour")),
    (6 * 3600, gettext_lazy("6 hours")),
    (24 * 3600, gettext_lazy("1 day")),
]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show an action's errors next to the fields they concern (the others on top)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(key if key in form.fields else None, message)


class TopicForm(forms.Form):
    """A new topic: a title, a first post like any post, and where it goes in the group."""

    title = forms.CharField(
        label=gettext_lazy("Title"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": forum.TITLE_LIMIT}),
    )
    text = forms.CharField(
        label=gettext_lazy("What is it about?"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "Markdown, @mentions, #hashtags and [[wikilinks]] such as [[de:Seite]] work."
        ),
    )
    spoiler_text = forms.CharField(
        label=gettext_lazy("Content warning"),
        required=False,
        help_text=gettext_lazy("Shown instead of the post until a reader opens it."),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=ForumCategory.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy("Up to five words, separated by commas or spaces."),
    )
    language = forms.CharField(
        label=gettext_lazy("Language"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("A code such as en or es; leave it empty to detect it."),
    )

    def __init__(self, *args, group: Group, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        categories = group.categories.all()
        self.fields["category"].queryset = categories
        if not categories.exists():
            del self.fields["category"]

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [part for part in raw.replace(",", " ").split() if part.strip()]

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(
            text=data.get("text") or "",
            spoiler_text=data.get("spoiler_text") or "",
            language=data.get("language") or "",
            group=self.group,
        )


class ReplyForm(ComposeForm):
    """A reply in a topic: the compose form without the audience (the group decides it),
    answering the topic's first post or one of its replies."""

    def __init__(self, *args, author: Account, topic: Topic, **kwargs) -> None:
        self.topic = topic
        super().__init__(*args, author=author, **kwargs)
        del self.fields["visibility"]
        del self.fields["wall_owner"]
        self.fields["text"].label = gettext_lazy("Your reply")

    def clean(self) -> dict:
        data = super().clean()
        parent = data.get("in_reply_to")
        root = self.topic.post_id
        if parent is None and not self.errors:
            data["in_reply_to"] = self.topic.post
        elif parent is not None and root not in (parent.pk, parent.thread_root_id):
            self.add_error(None, _("You can only reply to posts in this topic."))
        return data


class SlowModeForm(forms.Form):
    seconds = forms.TypedChoiceField(
        label=gettext_lazy("Slow mode"),
        choices=SLOW_MODE_CHOICES,
        coerce=int,
        help_text=gettext_lazy("How long each member waits between two replies."),
    )


# What each level does differs between a group (its new topics) and a topic (its replies), so
# each gets its own words; the levels themselves are the same.
GROUP_WATCH_LABELS = {
    WatchLevel.WATCHING: gettext_lazy("Watching: notify me of every new topic"),
    WatchLevel.TRACKING: gettext_lazy("Tracking: like normal, for this group"),
    WatchLevel.NORMAL: gettext_lazy("Normal: only mentions of me and replies to me"),
    WatchLevel.MUTED: gettext_lazy("Muted: no notifications of new topics"),
}
TOPIC_WATCH_LABELS = {
    WatchLevel.WATCHING: gettext_lazy("Watching: notify me of every reply"),
    WatchLevel.TRACKING: gettext_lazy(
        "Tracking: count the new replies, notify me of replies to me"
    ),
    WatchLevel.NORMAL: gettext_lazy("Normal: only mentions of me and replies to me"),
    WatchLevel.MUTED: gettext_lazy("Muted: never notify me, hide the topic from the list"),
}


class WatchForm(forms.Form):
    """How closely to follow a group or a topic. Shown for a group, "tracking" (which adds
    nothing there) is offered only to someone who already chose it."""

    level = forms.ChoiceField(label=gettext_lazy("Notifications"), choices=WatchLevel.choices)

    def __init__(self, *args, target: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if target:
            current = self.initial.get("level")
            self.fields["level"].choices = [
                (value, label_of(value, target))
                for value in WatchLevel.values
                if target == "topic" or value != WatchLevel.TRACKING or value == current
            ]


def label_of(level: str, target: str) -> str:
    """What ``level`` means for a ``target`` ("group" or "topic")."""
    labels = GROUP_WATCH_LABELS if target == "group" else TOPIC_WATCH_LABELS
    return str(labels[WatchLevel(level)])


class MoveForm(forms.Form):
    group = forms.CharField(
        label=gettext_lazy("Move to the group"),
        max_length=300,
        help_text=gettext_lazy("Its handle, such as wikiproject_medicine. You must moderate it."),
        widget=forms.TextInput(attrs={"list": "moderated-groups", "autocomplete": "off"}),
    )

    def target(self, viewer: Account | None) -> Group | None:
        """The group named, if the viewer may know of it (else an error on the field)."""
        name = self.cleaned_data["group"].strip().lstrip("!")
        name, _at, domain = name.partition("@")
        found = (
            Group.objects.visible_to(viewer)
            .select_related("account")
            .filter(account__username__iexact=name, account__domain__iexact="")
            .first()
        )
        if found is None or domain:
            self.add_error("group", _("There is no group of that name on this server."))
        return None if domain else found


class SplitForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title of the new topic"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": forum.TITLE_LIMIT}),
    )
    post = forms.IntegerField(widget=forms.HiddenInput)


class CategoryForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
