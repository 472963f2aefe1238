"""The compose form: parses what was typed (and uploaded) into a Draft for the actions.

Images are stored as soon as they arrive, before anything else is checked, so a form shown
again with an error keeps them (as hidden ids, with their thumbnails and alt text)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wikisocial.accounts.models import Account
from wikisocial.core.pagination import as_id
from wikisocial.posts import actions
from wikisocial.posts.models import MediaAttachment, Post, Visibility

LIMITS = settings.POST_LIMITS
POLL_DURATIONS = [
    (5 * 60, gettext_lazy("5 minutes")),
    (3600, gettext_lazy("1 hour")),
    (6 * 3600, gettext_lazy("6 hours")),
    (24 * 3600, gettext_lazy("1 day")),
    (3 * 24 * 3600, gettext_lazy("3 days")),
    (7 * 24 * 3600, gettext_lazy("7 days")),
]
VISIBILITY_HELP = {
    Visibility.PUBLIC: gettext_lazy("Everyone, in public timelines too"),
    Visibility.UNLISTED: gettext_lazy("Everyone, but not in public timelines"),
    Visibility.FOLLOWERS: gettext_lazy("Only your followers"),
    Visibility.DIRECT: gettext_lazy("Only the people you mention"),
    Visibility.LOCAL: gettext_lazy("Only people on this server"),
}


class ComposeForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What would you like to say?"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Markdown, @mentions, #hashtags and [[wikilinks]] such as [[de:Seite]] work."
        ),
    )
    spoiler_text = forms.CharField(
        label=gettext_lazy("Content warning"),
        required=False,
        max_length=LIMITS["spoiler_text"],
        help_text=gettext_lazy("Shown instead of the post until a reader opens it."),
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who may see it"),
        # Lazy: built once at import, shown in each request's language.
        choices=[(v.value, format_lazy("{}: {}", v.label, VISIBILITY_HELP[v])) for v in Visibility],
        initial=Visibility.PUBLIC,
    )
    language = forms.CharField(
        label=gettext_lazy("Language"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("A code such as en or es; leave it empty to detect it."),
    )
    image_alt = forms.CharField(
        label=gettext_lazy("Description of the images you add (alt text)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "What the image shows, for people who can't see it. "
            "For several images, one line each, in the order you chose them."
        ),
    )
    sensitive = forms.BooleanField(label=gettext_lazy("Mark images as sensitive"), required=False)
    poll_options = forms.CharField(
        label=gettext_lazy("Poll choices, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Two to six choices. Leave empty for no poll."),
    )
    poll_multiple = forms.BooleanField(label=gettext_lazy("Allow several answers"), required=False)
    poll_duration = forms.TypedChoiceField(
        label=gettext_lazy("Poll lasts"),
        choices=POLL_DURATIONS,
        coerce=int,
        initial=24 * 3600,
        required=False,
    )
    in_reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False)
    wall_owner = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, author: Account, editing: Post | None = None, **kwargs) -> None:
        self.author = author
        self.editing = editing
        super().__init__(*args, **kwargs)
        self.attachments: list[MediaAttachment] = []
        self.descriptions: dict[int, str] = {}
        self.typed_alts: dict[int, str] = {}
        self.alt_missing = False
        if editing is not None:
            del self.fields["visibility"]  # kept as it was: followers may already have it
            del self.fields["in_reply_to"]
            del self.fields["wall_owner"]

    # Images: new files under "image", kept ones as "media_id" with "alt_<id>".
    def _collect_media(self) -> None:
        files = self.files.getlist("image") if self.files else []
        data = self.data
        removed = {as_id(v) for v in data.getlist("remove_media")} if data else set()
        given = [as_id(v) for v in data.getlist("media_id")] if data else []
        kept = [pk for pk in given if pk is not None and pk not in removed]
        media = list(MediaAttachment.objects.filter(pk__in=kept, account=self.author))
        new_alts = self._new_image_alts(len(files))
        taken: set[int] = set()  # the lines of new_alts that went to a stored image
        for index, upload in enumerate(files[: max(0, LIMITS["media"] - len(media))]):
            try:
                item = actions.upload_media(self.author, upload)
            except ValidationError as exc:
                self.add_error(None, exc)
            else:
                media.append(item)
                taken.add(index)
                self.typed_alts[item.pk] = new_alts[index] if index < len(new_alts) else ""
        if len(files) + len(kept) > LIMITS["media"]:
            self.add_error(None, _("Attach at most %(n)d images.") % {"n": LIMITS["media"]})
        if files and data and data.get("image_alt"):
            # The stored images come back as rows with their own alt text; what no stored
            # image took (a file refused or over the limit, a line too many) stays in the box.
            self.data = data.copy()
            self.data["image_alt"] = "\n".join(
                alt for index, alt in enumerate(new_alts) if index not in taken
            )
        self.descriptions = {}
        for item in media:
            if item.pk in self.typed_alts:  # just uploaded: described in "image_alt"
                alt = self.typed_alts[item.pk]
            else:
                alt = (data.get(f"alt_{item.pk}") or "") if data else ""
            if alt.strip() != item.description:
                self.descriptions[item.pk] = alt
            self.typed_alts[item.pk] = alt  # shown again as typed if the form comes back
        self.attachments = media
        self.alt_missing = any(
            not self.descriptions.get(m.pk, m.description).strip() for m in media
        )

    def _new_image_alts(self, count: int) -> list[str]:
        """The descriptions typed for the images chosen now: the whole text for one image,
        one line each for several."""
        text = (self.data.get("image_alt") or "") if self.data else ""
        if not text.strip():
            return []
        if count == 0:
            self.add_error(
                "image_alt", _("Choose the image this description is for, or leave it empty.")
            )
            return []
        if count == 1:
            return [text.strip()]
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > count:
            self.add_error(
                "image_alt",
                _("%(lines)d descriptions for %(images)d images: write one line for each image.")
                % {"lines": len(lines), "images": count},
            )
        return lines

    @property
    def attachment_rows(self) -> list[tuple[MediaAttachment, str]]:
        """Each attached image with its alt text as last typed (or as stored)."""
        return [(m, self.typed_alts.get(m.pk, m.description)) for m in self.attachments]

    def clean(self) -> dict:
        data = super().clean()
        self._collect_media()
        for key in ("in_reply_to", "wall_owner"):
            data[key] = self._lookup(key, data.get(key))
        return data

    def _lookup(self, key: str, pk: int | None):
        if not pk:
            return None
        if key == "in_reply_to":
            post = Post.objects.visible_to(self.author).filter(pk=pk).first()
            if post is None:
                self.add_error(
                    None, _("The post you reply to does not exist, or you may not see it.")
                )
            return post
        owner = Account.objects.active().filter(pk=pk).first()
        if owner is None:
            self.add_error(None, _("This wall does not exist."))
        return owner

    def draft(self) -> actions.Draft:
        d = self.cleaned_data
        options = [o for o in (d.get("poll_options") or "").splitlines() if o.strip()]
        poll = None
        if options:
            poll = actions.PollDraft(
                options=options,
                multiple=d.get("poll_multiple", False),
                expires_in=d.get("poll_duration") or 24 * 3600,
            )
        return actions.Draft(
            text=d.get("text", ""),
            spoiler_text=d.get("spoiler_text", ""),
            sensitive=d.get("sensitive", False),
            visibility=d.get("visibility")
            or (self.editing.visibility if self.editing else "public"),
            language=d.get("language", ""),
            in_reply_to=d.get("in_reply_to"),
            media_ids=[m.pk for m in self.attachments],
            media_descriptions=self.descriptions,
            poll=poll,
            wall_owner=d.get("wall_owner"),
        )

    def apply_errors(self, exc: ValidationError) -> None:
        """Show an action's errors next to the fields they concern."""
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.add_error(None, message)
            return
        for key, messages in exc.message_dict.items():
            field = key if key in self.fields else None
            if key.startswith("poll") and "poll_options" in self.fields:
                field = "poll_options"
            for message in messages:
                self.add_error(field, message)


def initial_from(post: Post) -> dict:
    """The compose form's values to edit ``post``."""
    poll = getattr(post, "poll", None)
    return {
        "text": post.content,
        "spoiler_text": post.spoiler_text,
        "language": post.language,
        "sensitive": post.sensitive,
        "poll_options": "\n".join(o.title for o in poll.options.all()) if poll else "",
        "poll_multiple": poll.multiple if poll else False,
    }
