"""Posting at action level (posts.actions): what every door (web, API, inbox) relies on."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import ExifTags, Image

from tests.posts.helpers import (
    fresh,
    jpeg_upload,
    png_upload,
    poll_post,
    write,
)
from wikisocial.instance.models import InstanceSettings
from wikisocial.posts import actions
from wikisocial.posts.models import (
    Bookmark,
    Like,
    Mention,
    Pin,
    Poll,
    PollVote,
    Post,
    PostEdit,
    Visibility,
)
from wikisocial.social import actions as social
from wikisocial.timelines import queries
from wikisocial.timelines.models import FeedEntry

pytestmark = pytest.mark.django_db


def refusal(author, text="", **draft) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        write(author, text, **draft)
    return info.value.message_dict


# --- text -----------------------------------------------------------------------------------


def test_text_up_to_the_instance_limit_is_accepted_and_longer_refused(ana):
    assert InstanceSettings.current().max_post_chars == 5000
    post = write(ana, "x" * 5000)
    assert len(post.content) == 5000
    errors = refusal(ana, "x" * 5001)
    assert errors["text"] == ["This post is 5001 characters long; the limit is 5000."]


def test_the_limit_follows_the_instance_setting(ana):
    InstanceSettings.objects.filter(pk=InstanceSettings.current().pk).update(max_post_chars=200)
    write(ana, "y" * 200)
    assert refusal(ana, "y" * 201)["text"] == [
        "This post is 201 characters long; the limit is 200."
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\u200b\u2060"])
def test_an_empty_post_is_refused(ana, text):
    assert refusal(ana, text)["text"] == ["Write something, or attach an image."]
    assert not Post.objects.exists()


def test_markdown_subset_is_rendered(ana):
    post = write(
        ana, "**bold** _it_ `code` ~~gone~~ [link](https://example.org)\n\n> quoted\n\n- one"
    )
    html = post.content_html
    for fragment in (
        "<strong>bold</strong>",
        "<em>it</em>",
        "<code>code</code>",
        "<s>gone</s>",
        '<a href="https://example.org"',
        "<blockquote>",
        "<li>one</li>",
    ):
        assert fragment in html
    assert post.content.startswith("**bold**")  # the source is kept for editing


def test_headings_are_not_headings_in_a_post(ana):
    html = write(ana, "# Big title").content_html
    assert "<h1" not in html and "<strong>Big title</strong>" in html


def test_mentions_resolve_local_accounts_case_insensitively(ana, bea, cem):
    post = write(ana, "Hi @BEA and @Cem and @nobody and @bea again")
    assert set(post.mentions.values_list("account__username", flat=True)) == {"bea", "cem"}
    assert f'href="{settings.SITE_URL}/@bea"' in post.content_html
    assert 'class="u-url mention"' in post.content_html
    assert "@nobody" in post.content_html and "/@nobody" not in post.content_html


def test_hashtags_are_stored_normalised_and_feed_the_hashtag_timeline(ana):
    post = write(ana, "Editing #WikiLove and #wikilove and #Commons today, not #2024")
    assert set(post.hashtags.values_list("name", flat=True)) == {"wikilove", "commons"}
    assert 'class="mention hashtag"' in post.content_html
    timeline = queries.hashtag("wikilove", None, queries.Cursor())
    assert [p.pk for p in timeline.posts] == [post.pk]


def test_wikilinks_become_links_to_the_wikis(ana):
    html = write(ana, "See [[Douglas Adams]], [[de:Seite]] and [[wikt:fish|a word]]").content_html
    assert 'href="https://en.wikipedia.org/wiki/Douglas_Adams"' in html
    assert 'href="https://de.wikipedia.org/wiki/Seite"' in html
    assert 'class="wikilink"' in html and ">a word</a>" in html


def test_wikilinks_follow_the_instance_default_wiki(ana):
    InstanceSettings.objects.filter(pk=InstanceSettings.current().pk).update(
        default_wiki="es.wikipedia.org"
    )
    assert "https://es.wikipedia.org/wiki/Madrid" in write(ana, "[[Madrid]]").content_html


def test_a_content_warning_marks_the_post_sensitive(ana):
    post = write(ana, "Spoilers follow", spoiler_text="  Film ending  ")
    assert post.spoiler_text == "Film ending" and post.sensitive


@pytest.mark.parametrize("visibility", Visibility.values)
def test_each_visibility_is_kept(ana, visibility):
    assert fresh(write(ana, "hello", visibility=visibility)).visibility == visibility


def test_an_unknown_visibility_is_refused(ana):
    assert refusal(ana, "hi", visibility="friends")["visibility"] == [
        "Choose who may see this post."
    ]


def test_a_given_language_is_kept_in_lower_case(ana):
    assert fresh(write(ana, "Hallo Welt", language="DE")).language == "de"


def test_an_empty_language_is_guessed_when_the_text_says_enough(ana):
    post = write(ana, "This is a rather long sentence written in plain English for everyone.")
    assert fresh(post).language == "en"  # guessed by the fan-out task
    assert fresh(write(ana, "ok :)")).language == ""  # too short to tell


def test_an_unknown_language_code_is_refused(ana):
    assert "language" in refusal(ana, "hi", language="klingonish")


# --- polls ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 6])
def test_polls_have_two_to_six_choices(ana, count):
    post = poll_post(ana, [f"choice {i}" for i in range(count)])
    assert [o.title for o in post.poll.options.all()] == [f"choice {i}" for i in range(count)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["only one"], "A poll needs 2 to 6 choices."),
        ([f"c{i}" for i in range(7)], "A poll needs 2 to 6 choices."),
        (["same", "Same"], "Each choice of the poll must be different."),
        (["one", "", "   "], "A poll needs 2 to 6 choices."),
        (["a", "b" * 201], "A choice may have at most 200 characters."),
    ],
)
def test_bad_polls_are_refused(ana, options, message):
    errors = refusal(ana, "Vote", poll=actions.PollDraft(options=options))
    assert errors["poll"] == [message]
    assert not Poll.objects.exists()


def test_single_choice_poll_voting(ana, bea, cem):
    poll = poll_post(ana, ["tea", "coffee"]).poll
    with pytest.raises(ValidationError, match="only one answer"):
        actions.vote(bea.account, poll, [0, 1])
    actions.vote(bea.account, poll, [1])
    actions.vote(cem.account, poll, [1])
    poll.refresh_from_db()
    assert poll.voters_count == 2
    assert [o.votes_count for o in poll.options.all()] == [0, 2]


def test_multiple_choice_poll_voting(ana, bea):
    poll = poll_post(ana, ["a", "b", "c"], multiple=True).poll
    actions.vote(bea.account, poll, [0, 2, 2])
    poll.refresh_from_db()
    assert poll.voters_count == 1
    assert [o.votes_count for o in poll.options.all()] == [1, 0, 1]


def test_nobody_votes_twice(ana, bea):
    poll = poll_post(ana).poll
    actions.vote(bea.account, poll, [0])
    with pytest.raises(ValidationError, match="already voted"):
        actions.vote(bea.account, poll, [1])
    assert PollVote.objects.filter(account=bea.account).count() == 1


def test_no_vote_in_ones_own_poll(ana):
    poll = poll_post(ana).poll
    with pytest.raises(ValidationError, match="your own poll"):
        actions.vote(ana.account, poll, [0])


def test_no_vote_after_the_end(ana, bea):
    poll = poll_post(ana).poll
    Poll.objects.filter(pk=poll.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    poll.refresh_from_db()
    with pytest.raises(ValidationError, match="ended"):
        actions.vote(bea.account, poll, [0])


@pytest.mark.parametrize("choices", [[], [7], [-1]])
def test_a_vote_must_name_an_answer(ana, bea, choices):
    poll = poll_post(ana).poll
    with pytest.raises(ValidationError, match="Choose one of the answers"):
        actions.vote(bea.account, poll, choices)


def test_no_vote_in_a_poll_one_may_not_see(ana, bea):
    poll = poll_post(ana).poll
    Post.objects.filter(pk=poll.post_id).update(visibility=Visibility.FOLLOWERS)
    with pytest.raises(PermissionDenied):
        actions.vote(bea.account, Poll.objects.get(pk=poll.pk), [0])


def test_a_poll_lasts_between_five_minutes_and_31_days(ana):
    for seconds in (60, 32 * 24 * 3600):
        errors = refusal(ana, "Vote", poll=actions.PollDraft(["a", "b"], expires_in=seconds))
        assert "poll_duration" in errors


# --- replies and threads --------------------------------------------------------------------


def test_replies_form_a_thread(ana, bea, cem):
    root = write(ana, "Root")
    first = write(bea, "First reply", in_reply_to=root)
    deeper = write(cem, "Deeper", in_reply_to=first)
    second = write(cem, "Second reply", in_reply_to=root)
    assert first.thread_root_id == deeper.thread_root_id == root.pk
    assert deeper.in_reply_to_account_id == bea.account.pk
    assert fresh(root).replies_count == 2 and fresh(first).replies_count == 1

    ancestors, descendants = queries.thread(deeper, ana.account)
    assert ancestors == [root, first] and descendants == []
    ancestors, descendants = queries.thread(root, ana.account)
    assert ancestors == []
    assert [(p.pk, depth) for p, depth in descendants] == [
        (first.pk, 1),
        (deeper.pk, 2),
        (second.pk, 1),
    ]


def test_a_thread_leaves_out_what_the_viewer_may_not_see(ana, bea, cem):
    root = write(ana, "Root")
    hidden = write(bea, "Only for my followers", in_reply_to=root, visibility="private")
    _ancestors, descendants = queries.thread(root, cem.account)
    assert hidden.pk not in [p.pk for p, _depth in descendants]


# --- editing and deleting -------------------------------------------------------------------


def test_editing_keeps_every_version(ana):
    post = write(ana, "First words")
    actions.edit_post(post, ana.account, actions.Draft(text="Second words"))
    actions.edit_post(fresh(post), ana.account, actions.Draft(text="Third **words**"))
    post = fresh(post)
    assert post.content == "Third **words**" and post.edited_at is not None
    versions = list(post.edits.values_list("content", flat=True))
    assert versions == ["First words", "Second words", "Third **words**"]
    assert post.edits.first().created_at == post.created_at  # the original, as published


def test_editing_can_add_a_content_warning_and_mention(ana, bea):
    post = write(ana, "Plain")
    actions.edit_post(post, ana.account, actions.Draft(text="Now with @bea", spoiler_text="cw"))
    post = fresh(post)
    assert post.spoiler_text == "cw" and post.sensitive
    assert list(post.mentions.values_list("account", flat=True)) == [bea.account.pk]


def test_editing_the_poll_choices_starts_it_afresh(ana, bea):
    post = poll_post(ana, ["red", "blue"])
    actions.vote(bea.account, post.poll, [0])
    actions.edit_post(
        fresh(post), ana.account, actions.Draft(text="Vote?", poll=actions.PollDraft(["a", "b"]))
    )
    poll = fresh(post).poll
    assert [o.title for o in poll.options.all()] == ["a", "b"] and poll.voters_count == 0
    versions = list(fresh(post).edits.values_list("poll_options", flat=True))
    assert versions == [["red", "blue"], ["a", "b"]]


def test_editing_with_the_same_poll_keeps_the_votes(ana, bea):
    post = poll_post(ana, ["red", "blue"])
    actions.vote(bea.account, post.poll, [0])
    actions.edit_post(
        fresh(post),
        ana.account,
        actions.Draft(text="Vote, edited", poll=actions.PollDraft(["red", "blue"])),
    )
    assert fresh(post).poll.voters_count == 1


def test_editing_can_switch_a_poll_to_multiple_choice(ana):
    post = poll_post(ana, ["a", "b"])
    actions.edit_post(
        fresh(post),
        ana.account,
        actions.Draft(text="Vote?", poll=actions.PollDraft(["a", "b"], multiple=True)),
    )
    assert fresh(post).poll.multiple


def test_editing_updates_the_hashtags(ana):
    post = write(ana, "about #one")
    actions.edit_post(fresh(post), ana.account, actions.Draft(text="now about #two"))
    assert list(fresh(post).hashtags.values_list("name", flat=True)) == ["two"]
    assert queries.hashtag("one", None, queries.Cursor()).posts == []
    assert [p.pk for p in queries.hashtag("two", None, queries.Cursor()).posts] == [post.pk]


@pytest.mark.parametrize("what", ["edit", "delete"])
def test_only_the_author_edits_or_deletes(ana, bea, what):
    post = write(ana, "Mine")
    with pytest.raises(PermissionDenied):
        if what == "edit":
            actions.edit_post(post, bea.account, actions.Draft(text="Hijacked"))
        else:
            actions.delete_post(post, bea.account)
    assert fresh(post).content == "Mine" and fresh(post).deleted_at is None


def test_editing_checks_like_posting(ana):
    post = write(ana, "Fine")
    with pytest.raises(ValidationError):
        actions.edit_post(post, ana.account, actions.Draft(text=""))
    assert fresh(post).content == "Fine" and not PostEdit.objects.exists()


def test_editing_does_not_reset_counters(ana, bea):
    post = write(ana, "Counted")  # loaded before the like, as by a request that is editing it
    actions.like(bea.account, fresh(post))
    actions.edit_post(post, ana.account, actions.Draft(text="Counted, edited"))
    assert fresh(post).likes_count == 1


def test_deleting_returns_a_redraft_and_purges_the_post(ana, bea):
    social.follow(bea.account, ana.account)
    post = write(ana, "Regret #oops", spoiler_text="cw", visibility="unlisted", language="en")
    assert FeedEntry.objects.filter(post=post).count() == 2  # Ana's and Bea's feeds
    redraft = actions.delete_post(post, ana.account)
    assert (redraft.text, redraft.spoiler_text, redraft.visibility, redraft.language) == (
        "Regret #oops",
        "cw",
        "unlisted",
        "en",
    )
    post = fresh(post)
    assert post.deleted_at is not None and post.content == "" and post.content_html == ""
    assert not FeedEntry.objects.filter(post=post).exists()
    assert not Post.objects.visible_to(ana.account).filter(pk=post.pk).exists()
    ana.account.refresh_from_db()
    assert ana.account.posts_count == 0
    with pytest.raises(PermissionDenied):
        actions.delete_post(post, ana.account)  # not twice


def test_a_redraft_keeps_the_poll_and_the_reply(ana, bea):
    parent = write(bea, "Question")
    post = write(ana, "Answer", in_reply_to=parent, poll=actions.PollDraft(["x", "y"], True))
    redraft = actions.delete_post(post, ana.account)
    assert redraft.in_reply_to == parent
    assert redraft.poll.options == ["x", "y"] and redraft.poll.multiple
    assert fresh(parent).replies_count == 0
    again = actions.create_post(ana.account, redraft)
    assert [o.title for o in again.poll.options.all()] == ["x", "y"]


def test_deleting_a_post_removes_its_boosts(ana, bea):
    post = write(ana, "Boost me")
    boost = actions.boost(bea.account, post)
    actions.delete_post(post, ana.account)
    assert fresh(boost).deleted_at is not None
    assert not FeedEntry.objects.filter(post_id__in=[post.pk, boost.pk]).exists()


# --- pins, bookmarks, likes, boosts ---------------------------------------------------------


def test_up_to_five_pins(ana):
    posts = [write(ana, f"post {i}") for i in range(6)]
    for post in posts[:5]:
        actions.pin(ana.account, post)
    actions.pin(ana.account, posts[0])  # pinning again changes nothing
    with pytest.raises(ValidationError, match="at most 5"):
        actions.pin(ana.account, posts[5])
    assert Pin.objects.filter(account=ana.account).count() == 5
    actions.unpin(ana.account, posts[0])
    actions.pin(ana.account, posts[5])
    assert {p.pk for p in queries.pinned(ana.account, None)} == {p.pk for p in posts[1:]}


def test_only_ones_own_public_posts_are_pinned(ana, bea):
    with pytest.raises(PermissionDenied):
        actions.pin(ana.account, write(bea, "Bea's"))
    with pytest.raises(ValidationError, match="public and unlisted"):
        actions.pin(ana.account, write(ana, "followers", visibility="private"))
    actions.pin(ana.account, write(ana, "unlisted", visibility="unlisted"))


def test_a_deleted_pinned_post_frees_its_place(ana):
    posts = [write(ana, f"post {i}") for i in range(6)]
    for post in posts[:5]:
        actions.pin(ana.account, post)
    actions.delete_post(posts[0], ana.account)
    actions.pin(ana.account, posts[5])


def test_bookmarks(ana, bea):
    post = write(bea, "Save me")
    actions.bookmark(ana.account, post)
    actions.bookmark(ana.account, post)
    assert Bookmark.objects.filter(account=ana.account).count() == 1
    actions.unbookmark(ana.account, post)
    assert not Bookmark.objects.exists()
    with pytest.raises(PermissionDenied):
        actions.bookmark(ana.account, write(bea, "secret", visibility="private"))


def test_liking_twice_counts_once(ana, bea, cem):
    post = write(ana, "Like me")
    first = actions.like(bea.account, post)
    assert actions.like(bea.account, post) == first
    actions.like(cem.account, post)
    assert fresh(post).likes_count == 2
    actions.unlike(bea.account, post)
    actions.unlike(bea.account, post)
    assert fresh(post).likes_count == 1
    assert list(Like.objects.values_list("account", flat=True)) == [cem.account.pk]


def test_liking_a_boost_likes_the_original(ana, bea, cem):
    post = write(ana, "Original")
    boost = actions.boost(bea.account, post)
    actions.like(cem.account, boost)
    assert fresh(post).likes_count == 1 and fresh(boost).likes_count == 0


def test_liking_what_one_may_not_see_is_refused(ana, bea):
    with pytest.raises(PermissionDenied):
        actions.like(bea.account, write(ana, "private", visibility="private"))


def test_boost_and_undo(ana, bea):
    post = write(ana, "Share me")
    boost = actions.boost(bea.account, post)
    assert boost.boost_of_id == post.pk and boost.author == bea.account
    assert actions.boost(bea.account, post) == boost  # idempotent
    assert actions.boost(bea.account, boost) == boost  # boosting the boost: the same
    assert fresh(post).boosts_count == 1
    actions.unboost(bea.account, post)
    assert fresh(post).boosts_count == 0 and fresh(boost).deleted_at is not None
    again = actions.boost(bea.account, post)
    assert again.pk != boost.pk and fresh(post).boosts_count == 1


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_followers_only_and_direct_posts_are_not_boosted(ana, bea, visibility):
    social.follow(bea.account, ana.account)
    post = write(ana, "Between us @bea", visibility=visibility)
    with pytest.raises(ValidationError, match="Only public posts can be boosted"):
        actions.boost(bea.account, post)
    assert not Post.objects.filter(boost_of=post).exists()


def test_boosting_what_one_may_not_see_is_refused(ana, bea):
    with pytest.raises(PermissionDenied):
        actions.boost(bea.account, write(ana, "private", visibility="private"))


# --- message walls --------------------------------------------------------------------------


def test_writing_on_a_wall(ana, bea, cem):
    on_wall = write(bea, "Happy birthday @ana!", wall_owner=ana.account)
    followers_only = write(cem, "psst", wall_owner=ana.account, visibility="private")
    elsewhere = write(bea, "Not on the wall")
    wall = queries.wall(ana.account, None, queries.Cursor())
    assert [p.pk for p in wall.posts] == [on_wall.pk]
    assert followers_only.pk not in [p.pk for p in wall.posts]
    assert elsewhere.pk not in [p.pk for p in wall.posts]


def test_the_wall_owner_hides_a_post(ana, bea):
    post = write(bea, "Meh", wall_owner=ana.account)
    with pytest.raises(PermissionDenied):
        actions.set_hidden_from_wall(bea.account, post, True)
    actions.set_hidden_from_wall(ana.account, post, True)
    assert queries.wall(ana.account, None, queries.Cursor()).posts == []
    actions.set_hidden_from_wall(ana.account, post, False)
    assert len(queries.wall(ana.account, None, queries.Cursor()).posts) == 1


def test_a_closed_wall_refuses_writing(ana, bea):
    ana.account.wall_enabled = False
    ana.account.save()
    assert refusal(bea, "Hi", wall_owner=ana.account)["wall"] == ["You can't write on this wall."]
    write(ana, "My own wall is still mine", wall_owner=ana.account)


def test_a_blocked_person_cannot_write_on_the_wall(ana, bea):
    social.block(ana.account, bea.account)
    assert "wall" in refusal(bea, "Hi", wall_owner=ana.account)


# --- images ---------------------------------------------------------------------------------


def test_uploaded_images_lose_their_exif_and_get_a_blurhash(ana):
    media = actions.upload_media(ana.account, jpeg_upload(), "A red square")
    assert media.blurhash and len(media.blurhash) >= 6
    assert (media.width, media.height) == (40, 30)
    with media.file.open("rb") as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"SecretCam" not in data
    assert media.thumbnail


def test_a_post_with_images_and_alt_text(ana):
    media = [
        actions.upload_media(ana.account, jpeg_upload(), "first"),
        actions.upload_media(ana.account, png_upload(), ""),
    ]
    actions.describe_media(ana.account, media[1], "second")
    post = write(ana, "", media_ids=[media[1].pk, media[0].pk])  # no text: fine with images
    assert [(m.description, m.position) for m in post.media.all()] == [
        ("second", 0),
        ("first", 1),
    ]
    timeline = queries.profile(ana.account, None, queries.Cursor(), "media")
    assert [p.pk for p in timeline.posts] == [post.pk]


def test_at_most_four_images(ana):
    media = [actions.upload_media(ana.account, png_upload()) for _ in range(5)]
    errors = refusal(ana, "Too many", media_ids=[m.pk for m in media])
    assert errors["media"] == ["Attach at most 4 images."]
    write(ana, "Four", media_ids=[m.pk for m in media[:4]])


def test_images_of_someone_else_or_already_used_are_refused(ana, bea):
    theirs = actions.upload_media(bea.account, png_upload())
    assert "media" in refusal(ana, "Stolen", media_ids=[theirs.pk])
    mine = actions.upload_media(ana.account, png_upload())
    write(ana, "Used", media_ids=[mine.pk])
    assert "media" in refusal(ana, "Again", media_ids=[mine.pk])


def test_images_and_a_poll_do_not_mix(ana):
    media = actions.upload_media(ana.account, png_upload())
    errors = refusal(ana, "Both", media_ids=[media.pk], poll=actions.PollDraft(["a", "b"]))
    assert errors["poll"] == ["A post can have images or a poll, not both."]


def test_alt_text_is_limited_and_only_the_owner_describes(ana, bea):
    media = actions.upload_media(ana.account, png_upload())
    with pytest.raises(ValidationError, match="at most 1500"):
        actions.describe_media(ana.account, media, "a" * 1501)
    with pytest.raises(PermissionDenied):
        actions.describe_media(bea.account, media, "mine now")
    with pytest.raises(ValidationError, match="at most 1500"):
        actions.upload_media(ana.account, png_upload(), "b" * 1501)


def test_mentions_are_saved_once_per_account(ana, bea):
    post = write(ana, "@bea @Bea @BEA")
    assert Mention.objects.filter(post=post).count() == 1
