"""Post actions the client API added: posting once per Idempotency-Key, muting a conversation,
images processed in the background, discarding an upload, the app a post was sent with."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks import default_task_backend
from oauth2_provider.models import Application

from tests.api.statuses_client import truncated_png
from tests.posts.helpers import fresh, png_upload, text_upload, write
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts import actions
from wikisocial.posts.models import (
    ConversationMute,
    IdempotencyKey,
    MediaAttachment,
    MediaState,
    PendingUpload,
    Post,
)
from wikisocial.posts.queries import conversation_muted, interactions

pytestmark = pytest.mark.django_db
DEFERRED = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


# --- Idempotency-Key ------------------------------------------------------------------------


def test_create_post_once_returns_the_first_post_for_a_key(ana):
    first = actions.create_post_once(ana.account, actions.Draft(text="one"), "key")
    again = actions.create_post_once(ana.account, actions.Draft(text="two"), "key")
    assert again.pk == first.pk
    assert Post.objects.count() == 1
    assert IdempotencyKey.objects.get().post_id == first.pk


def test_the_key_is_stored_as_a_digest(ana):
    actions.create_post_once(ana.account, actions.Draft(text="one"), "secret-ish key")
    stored = IdempotencyKey.objects.get().key
    assert len(stored) == 64 and "secret" not in stored


def test_a_refused_draft_claims_no_key(ana):
    with pytest.raises(ValidationError):
        actions.create_post_once(ana.account, actions.Draft(text=""), "key")
    assert not IdempotencyKey.objects.exists()


def test_an_expired_key_makes_a_new_post(ana):
    first = actions.create_post_once(ana.account, actions.Draft(text="one"), "key")
    IdempotencyKey.objects.update(created_at=timezone.now() - actions.IDEMPOTENCY_LIFETIME)
    second = actions.create_post_once(ana.account, actions.Draft(text="two"), "key")
    assert second.pk != first.pk
    assert IdempotencyKey.objects.count() == 1


def test_keys_are_forgotten_after_an_hour(ana, settings):
    from wikisocial.posts.tasks import forget_idempotency_key

    settings.TASKS = DEFERRED
    actions.create_post_once(ana.account, actions.Draft(text="one"), "key")
    queued = [r for r in default_task_backend.results if r.task.func is forget_idempotency_key.func]
    assert len(queued) == 1
    assert queued[0].task.run_after >= timezone.now() + timedelta(minutes=59)
    forget_idempotency_key.call(*queued[0].args)
    assert not IdempotencyKey.objects.exists()


# --- the app a post was sent with ---------------------------------------------------------------


def test_the_application_is_recorded(ana):
    app = Application.objects.create(
        name="Tusky", client_type="public", authorization_grant_type="authorization-code"
    )
    post = write(ana, "from Tusky", application=app)
    assert fresh(post).application == app
    app.delete()
    assert fresh(post).application is None  # the post stays


# --- conversation mutes ---------------------------------------------------------------------


def test_mute_conversation_from_any_post_of_it(ana, bea):
    root = write(ana, "thread")
    reply = write(bea, "reply", in_reply_to=root)
    actions.mute_conversation(ana.account, reply)
    actions.mute_conversation(ana.account, root)  # again: no change
    assert ConversationMute.objects.get().thread_root_id == root.pk
    assert conversation_muted(ana.account, root) and conversation_muted(ana.account, reply)
    assert interactions(ana.account, [root, reply])["muted"] == {root.pk}
    actions.unmute_conversation(ana.account, reply)
    assert not ConversationMute.objects.exists()


def test_a_muted_conversation_notifies_nothing(ana, bea):
    root = write(ana, "thread")
    actions.mute_conversation(ana.account, root)
    write(bea, "@ana answer", in_reply_to=root)
    actions.like(bea.account, root)
    actions.boost(bea.account, root)
    assert not Notification.objects.filter(recipient=ana.account).exists()
    write(bea, "@ana elsewhere")
    assert Notification.objects.get(recipient=ana.account).kind == Kind.MENTION


def test_a_conversation_one_cannot_see_cannot_be_muted(ana, bea):
    hidden = write(bea, "mine", visibility="private")
    with pytest.raises(PermissionDenied):
        actions.mute_conversation(ana.account, hidden)


def test_muting_through_a_boost_mutes_the_original_conversation(ana, bea, cem):
    root = write(bea, "thread")
    boost = actions.boost(cem.account, root)
    actions.mute_conversation(ana.account, boost)
    assert ConversationMute.objects.get().thread_root_id == root.pk


# --- images processed in the background ------------------------------------------------------


def test_receive_media_stores_the_upload_until_processed(ana, settings):
    settings.TASKS = DEFERRED
    media = actions.receive_media(ana.account, png_upload(), "alt", (0.5, -3))
    assert media.state == MediaState.PROCESSING
    assert not media.file and media.description == "alt"
    assert (media.focus_x, media.focus_y) == (0.5, -1.0)
    assert PendingUpload.objects.filter(media=media).exists()
    with pytest.raises(ValidationError, match="finished processing"):
        write(ana, "too soon", media_ids=[media.pk])

    actions.process_pending_media(media)
    media = MediaAttachment.objects.get(pk=media.pk)
    assert media.state == MediaState.READY
    assert media.file and media.thumbnail and media.blurhash and media.width == 24
    assert not PendingUpload.objects.exists()
    assert write(ana, "now", media_ids=[media.pk]).media.get() == media


def test_receive_media_refuses_what_the_header_tells_at_once(ana):
    with pytest.raises(ValidationError, match="not a JPEG"):
        actions.receive_media(ana.account, text_upload())
    assert not MediaAttachment.objects.exists()


def test_a_file_damaged_inside_fails_in_the_background(ana, settings):
    settings.TASKS = DEFERRED
    media = actions.receive_media(ana.account, truncated_png())
    actions.process_pending_media(media)
    assert MediaAttachment.objects.get(pk=media.pk).state == MediaState.FAILED
    assert not PendingUpload.objects.exists()
    with pytest.raises(ValidationError, match="could not be processed"):
        write(ana, "broken", media_ids=[media.pk])


def test_with_tasks_run_at_once_the_upload_is_ready_on_return(ana):
    media = actions.receive_media(ana.account, png_upload())
    assert MediaAttachment.objects.get(pk=media.pk).state == MediaState.READY


# --- changing and discarding uploads ------------------------------------------------------------


def test_describe_media_keeps_what_is_not_given(ana):
    media = actions.upload_media(ana.account, png_upload(), "kept", (0.1, 0.2))
    actions.describe_media(ana.account, media, None, (0.3, 0.4))
    media.refresh_from_db()
    assert media.description == "kept" and (media.focus_x, media.focus_y) == (0.3, 0.4)


def test_focus_of_attached_images_changes_with_an_edit(ana):
    media = actions.upload_media(ana.account, png_upload())
    post = write(ana, "pic", media_ids=[media.pk])
    draft = actions.Draft(text="pic", media_ids=[media.pk], media_focus={media.pk: (2.0, -0.5)})
    actions.edit_post(post, ana.account, draft)
    media.refresh_from_db()
    assert (media.focus_x, media.focus_y) == (1.0, -0.5)


def test_discard_media(ana, bea):
    media = actions.upload_media(ana.account, png_upload())
    path = media.file.path
    with pytest.raises(PermissionDenied):
        actions.discard_media(bea.account, media)
    write(ana, "attached", media_ids=[media.pk])
    media.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.discard_media(ana.account, media)
    loose = actions.upload_media(ana.account, png_upload())
    loose_path = loose.file.path
    actions.discard_media(ana.account, loose)
    assert not MediaAttachment.objects.filter(pk=loose.pk).exists()
    assert os.path.exists(path) and not os.path.exists(loose_path)


def test_links_and_remote_mentions_count_as_mastodon_counts_them():
    from wikisocial.posts.actions import CHARACTERS_PER_URL, counted_length

    long_link = "https://example.org/" + "a" * 200
    assert counted_length(f"see {long_link}") == 4 + CHARACTERS_PER_URL
    assert counted_length("hi @ana@social.example.org") == len("hi @ana")
    assert counted_length("mail ana@example.org") == len("mail ana@example.org")
    assert counted_length("plain words") == len("plain words")


def test_a_long_link_does_not_push_a_post_over_the_limit(make_user):
    from wikisocial.instance.models import InstanceSettings
    from wikisocial.posts.actions import Draft, create_post

    limit = InstanceSettings.current().max_post_chars
    link = "https://example.org/" + "a" * (limit + 50)
    post = create_post(make_user("ana").account, Draft(text=f"read this: {link}"))
    assert link in post.content
