"""Posting through the web door, with Django's test client: what a person with a browser (and
no JavaScript) does."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import ExifTags, Image

from tests.posts.helpers import (
    body,
    compose_data,
    fresh,
    jpeg_upload,
    media_ids_in,
    png_upload,
    poll_post,
    text_upload,
    write,
)
from wikisocial.posts import actions
from wikisocial.posts.models import Bookmark, MediaAttachment, Pin, Poll, Post, PostEdit
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db


def newest(author) -> Post:
    return Post.objects.filter(author=author.account).latest("id")


def url(post: Post, suffix: str = "") -> str:
    return post.get_absolute_url() + suffix


# --- compose --------------------------------------------------------------------------------


def test_composing_publishes_and_shows_the_post(logged_in, ana, bea):
    response = logged_in.post(
        "/compose",
        compose_data(
            "Hello @Bea, **look**: #WikiLove [[de:Seite]] [[Main Page]]",
            spoiler_text="Long read",
        ),
    )
    post = newest(ana)
    assert response.status_code == 302 and response["Location"] == post.get_absolute_url()
    page = body(logged_in.get(post.get_absolute_url()))
    assert f'href="{settings.SITE_URL}/@bea"' in page
    assert f'href="{settings.SITE_URL}/tags/wikilove"' in page
    assert 'href="https://de.wikipedia.org/wiki/Seite"' in page
    assert 'href="https://en.wikipedia.org/wiki/Main_Page"' in page
    assert "<strong>look</strong>" in page
    assert '<details class="content-warning">' in page and "Long read" in page


def test_compose_goes_back_to_where_it_came_from(logged_in, ana):
    response = logged_in.post("/compose", compose_data("From home", next="/local"))
    assert response["Location"] == "/local"
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = logged_in.post("/compose", compose_data("Elsewhere", next=target))
        assert response["Location"] == newest(ana).get_absolute_url(), target


def test_compose_page_needs_a_login(client):
    response = client.get("/compose")
    assert response.status_code == 302 and "/auth/" in response["Location"]
    client.post("/compose", compose_data("anonymous"))
    assert not Post.objects.exists()


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct", "local"])
def test_composing_with_each_visibility(logged_in, ana, visibility):
    response = logged_in.post("/compose", compose_data("Who sees this?", visibility=visibility))
    assert response.status_code == 302
    assert newest(ana).visibility == visibility


def test_composing_with_or_without_a_language(logged_in, ana):
    logged_in.post("/compose", compose_data("Guten Tag zusammen", language="de"))
    assert newest(ana).language == "de"
    logged_in.post(
        "/compose", compose_data("Nobody said which language this rather long sentence is in.")
    )
    assert newest(ana).language == "en"
    page = body(logged_in.get(newest(ana).get_absolute_url()))
    assert 'lang="en"' in page


def test_the_compose_page_prefills_from_the_query(logged_in):
    page = body(logged_in.get("/compose?text=Shared+%23link&visibility=unlisted"))
    assert "Shared #link</textarea>" in page
    assert '<option value="unlisted" selected>' in page


# --- images ---------------------------------------------------------------------------------


def test_posting_images_strips_exif_and_suggests_alt_text(logged_in, ana):
    response = logged_in.post(
        "/compose",
        compose_data("Two pictures", image=[jpeg_upload(), png_upload()]),
        follow=True,
    )
    assert response.status_code == 200
    assert "describe your images (alt text)" in body(response)
    post = newest(ana)
    media = list(post.media.all())
    assert len(media) == 2 and all(m.blurhash for m in media)
    with media[0].file.open("rb") as stored:
        data = stored.read()
    assert b"SecretCam" not in data
    assert not Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert 'class="media-grid count-2"' in body(response)


def test_alt_text_is_added_when_the_form_comes_back(logged_in, ana):
    # An over-long text sends the form back: the image stays, as a hidden id to describe.
    response = logged_in.post(
        "/compose", compose_data("z" * 5001, image=[jpeg_upload()], spoiler_text="cw kept")
    )
    assert response.status_code == 400
    page = body(response)
    [media_id] = media_ids_in(page)
    assert f'name="alt_{media_id}"' in page
    assert "z" * 5001 in page and 'value="cw kept"' in page
    assert not Post.objects.exists()

    response = logged_in.post(
        "/compose",
        compose_data(
            "Better now", media_id=str(media_id), **{f"alt_{media_id}": "A red <b>square</b>"}
        ),
        follow=True,
    )
    assert "describe your images" not in body(response)
    post = newest(ana)
    assert [(m.pk, m.description) for m in post.media.all()] == [(media_id, "A red <b>square</b>")]
    assert 'alt="A red &lt;b&gt;square&lt;/b&gt;"' in body(response)


def test_an_image_is_described_as_it_is_attached(logged_in, ana):
    response = logged_in.post(
        "/compose",
        compose_data("Look", image=[png_upload()], image_alt="  A red square  "),
        follow=True,
    )
    assert "describe your images" not in body(response)
    [media] = newest(ana).media.all()
    assert media.description == "A red square"
    assert 'alt="A red square"' in body(response)


def test_several_new_images_take_one_description_line_each(logged_in, ana):
    logged_in.post(
        "/compose",
        compose_data("Two", image=[png_upload(), jpeg_upload()], image_alt="First\n\nSecond"),
    )
    assert [m.description for m in newest(ana).media.order_by("pk")] == ["First", "Second"]


def test_more_description_lines_than_images_keeps_the_rest(logged_in, ana):
    response = logged_in.post(
        "/compose", compose_data("One", image=[png_upload(), jpeg_upload()], image_alt="A\nB\nC")
    )
    assert response.status_code == 400
    page = body(response)
    assert "3 descriptions for 2 images" in page
    first, second = media_ids_in(page)
    assert f'name="alt_{first}" rows="2">A</textarea>' in page
    assert f'name="alt_{second}" rows="2">B</textarea>' in page
    assert ">\nC</textarea>" in page  # what no image took stays in the box
    assert not Post.objects.exists()


def test_the_description_of_a_refused_file_stays_in_the_box(logged_in, ana):
    response = logged_in.post(
        "/compose",
        compose_data(
            "Two", image=[text_upload(), png_upload()], image_alt="Not a picture\nA blue square"
        ),
    )
    assert response.status_code == 400
    page = body(response)
    [kept] = media_ids_in(page)
    assert f'name="alt_{kept}" rows="2">A blue square</textarea>' in page
    assert ">\nNot a picture</textarea>" in page  # for when the right file is chosen again


def test_a_description_without_an_image_is_refused_and_kept(logged_in, ana):
    response = logged_in.post("/compose", compose_data("Words", image_alt="A lost cat"))
    assert response.status_code == 400
    page = body(response)
    assert "Choose the image this description is for" in page
    assert "A lost cat</textarea>" in page
    assert not Post.objects.exists()


def test_an_image_can_be_removed_before_posting(logged_in, ana):
    response = logged_in.post("/compose", compose_data("", image=[png_upload(), png_upload()]))
    assert response.status_code == 302  # images alone make a post
    assert newest(ana).media.count() == 2
    keep, drop = (
        actions.upload_media(ana.account, png_upload()),
        actions.upload_media(ana.account, png_upload()),
    )
    logged_in.post(
        "/compose",
        compose_data(
            "One of two", media_id=[str(keep.pk), str(drop.pk)], remove_media=str(drop.pk)
        ),
    )
    assert list(newest(ana).media.values_list("pk", flat=True)) == [keep.pk]


# --- polls ----------------------------------------------------------------------------------


def test_a_poll_from_the_form_and_voting_on_it(logged_in, ana, bea, as_):
    response = logged_in.post(
        "/compose",
        compose_data(
            "Which?", poll_options="Tea\nCoffee\n\nWater", poll_multiple="on", poll_duration=3600
        ),
    )
    assert response.status_code == 302
    post = newest(ana)
    poll = post.poll
    assert [o.title for o in poll.options.all()] == ["Tea", "Coffee", "Water"]
    assert poll.multiple
    assert timedelta(minutes=59) < poll.expires_at - post.created_at <= timedelta(hours=1)

    own_page = body(logged_in.get(url(post)))  # the author sees results, no voting form
    assert 'class="poll-results"' in own_page and 'name="choice"' not in own_page

    client = as_(bea)
    page = body(client.get(url(post)))
    assert 'type="checkbox" name="choice" value="0"' in page
    response = client.post(url(post, "/vote"), {"choice": ["0", "2"]})
    assert response.status_code == 302
    page = body(client.get(url(post)))
    assert 'class="poll-results"' in page and 'name="choice"' not in page
    assert "<strong>100%</strong> <bdi>Tea</bdi>" in page
    assert "<strong>0%</strong> <bdi>Coffee</bdi>" in page
    assert "1 person voted" in page

    response = client.post(url(post, "/vote"), {"choice": "1"}, follow=True)
    assert "You have already voted." in body(response)
    assert fresh(post).poll.voters_count == 1


def test_voting_after_the_end_is_refused(ana, bea, as_):
    post = poll_post(ana)
    Poll.objects.filter(post=post).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = as_(bea)
    page = body(client.get(url(post)))
    assert 'name="choice"' not in page and "ended" in page
    response = client.post(url(post, "/vote"), {"choice": "0"}, follow=True)
    assert "This poll has ended." in body(response)
    assert Poll.objects.get(post=post).voters_count == 0


def test_single_choice_poll_shows_radio_buttons(ana, bea, as_):
    post = poll_post(ana, ["x", "y"])
    page = body(as_(bea).get(url(post)))
    assert 'type="radio" name="choice" value="1"' in page


# --- replies and threads --------------------------------------------------------------------


def test_replying_and_the_thread_page(ana, bea, cem, as_):
    root = write(ana, "The root post")
    client = as_(bea)
    page = body(client.get(url(root)))
    assert f'name="in_reply_to" value="{root.pk}"' in page and "@ana </textarea>" in page
    response = client.post("/compose", compose_data("@ana A reply", in_reply_to=root.pk))
    reply = newest(bea)
    assert response["Location"] == url(reply)
    assert reply.in_reply_to_id == root.pk
    deeper = write(cem, "Deeper still", in_reply_to=reply)

    page = body(client.get(url(reply))).split('<div class="thread">')[1]
    assert page.index("The root post") < page.index("A reply") < page.index("Deeper still")
    assert 'class="post reply depth-1' in page  # the descendant, indented
    page = body(client.get(url(root)))
    assert "A reply" in page and "Deeper still" in page
    assert "depth-2" in page and deeper.get_absolute_url() in page


# --- edit, history, delete, redraft ---------------------------------------------------------


def test_editing_with_a_visible_history(logged_in, ana):
    post = write(ana, "Version one", spoiler_text="cw one")
    page = body(logged_in.get(url(post, "/edit")))
    assert "Version one</textarea>" in page and 'value="cw one"' in page
    assert 'name="visibility"' not in page  # who may see it does not change
    response = logged_in.post(url(post, "/edit"), compose_data("Version two"))
    assert response.status_code == 302
    logged_in.post(url(post, "/edit"), compose_data("Version three"))
    page = body(logged_in.get(url(post)))
    assert "Version three" in page and "/history" in page and "edited" in page
    history = body(logged_in.get(url(post, "/history")))
    assert history.index("Version three") < history.index("Version two")
    assert history.index("Version two") < history.index("Version one")
    assert "current version" in history and "original" in history
    assert "cw one" in history
    assert PostEdit.objects.filter(post=post).count() == 3


def test_an_invalid_edit_keeps_what_was_typed(logged_in, ana):
    post = write(ana, "Short")
    response = logged_in.post(url(post, "/edit"), compose_data("e" * 5001))
    assert response.status_code == 400
    assert "e" * 5001 in body(response) and "the limit is 5000" in body(response)
    assert fresh(post).content == "Short"


def test_editing_an_image_description_is_in_the_history(logged_in, ana):
    media = actions.upload_media(ana.account, png_upload(), "old words")
    post = write(ana, "Picture", media_ids=[media.pk])
    response = logged_in.post(
        url(post, "/edit"),
        compose_data("Picture", media_id=str(media.pk), **{f"alt_{media.pk}": "new words"}),
    )
    assert response.status_code == 302
    assert MediaAttachment.objects.get(pk=media.pk).description == "new words"
    versions = list(PostEdit.objects.filter(post=post).values_list("media_descriptions", flat=True))
    assert versions[0] == ["old words"]
    assert versions[-1] == ["new words"]


def test_deleting_from_the_web(logged_in, ana):
    post = write(ana, "Bye")
    response = logged_in.post(url(post, "/delete"))
    assert response.status_code == 302 and response["Location"] == "/@ana"
    assert logged_in.get(url(post)).status_code == 404
    assert logged_in.get(url(post, "/delete")).status_code == 405  # GET never deletes


def test_delete_and_redraft_prefills_the_form(logged_in, ana, bea):
    parent = write(bea, "Question?")
    post = write(
        ana,
        "My answer #draft",
        spoiler_text="careful",
        visibility="unlisted",
        language="fr",
        in_reply_to=parent,
        poll=actions.PollDraft(["oui", "non"], multiple=True),
    )
    response = logged_in.post(url(post, "/delete"), {"redraft": "1"})
    assert response.status_code == 200
    page = body(response)
    assert "Redraft your post" in page
    assert "My answer #draft</textarea>" in page and 'value="careful"' in page
    assert '<option value="unlisted" selected>' in page and 'value="fr"' in page
    assert "oui\nnon</textarea>" in page and f'name="in_reply_to" value="{parent.pk}"' in page
    assert logged_in.get(url(post)).status_code == 404


def test_redraft_keeps_the_images(logged_in, ana):
    media = actions.upload_media(ana.account, png_upload(), "kept alt")
    post = write(ana, "With a picture", media_ids=[media.pk])
    page = body(logged_in.post(url(post, "/delete"), {"redraft": "1"}))
    assert media_ids_in(page) == [media.pk] and "kept alt</textarea>" in page
    logged_in.post("/compose", compose_data("Again", media_id=str(media.pk)))
    assert list(newest(ana).media.values_list("pk", flat=True)) == [media.pk]


# --- the buttons ----------------------------------------------------------------------------


def test_pinning_up_to_five_from_the_web(logged_in, ana):
    posts = [write(ana, f"pinned {i}") for i in range(6)]
    for post in posts[:5]:
        assert logged_in.post(url(post, "/pin")).status_code == 302
    response = logged_in.post(url(posts[5], "/pin"), follow=True)
    assert "You can pin at most 5 posts." in body(response)
    assert Pin.objects.count() == 5
    profile = body(logged_in.get("/@ana"))
    assert "Pinned" in profile and "Unpin from profile" in profile
    logged_in.post(url(posts[0], "/pin"), {"undo": "1"})
    assert Pin.objects.count() == 4


def test_bookmarks_from_the_web(ana, bea, as_):
    post = write(bea, "Worth keeping")
    client = as_(ana)
    client.post(url(post, "/bookmark"))
    assert Bookmark.objects.filter(account=ana.account, post=post).exists()
    page = body(client.get("/bookmarks"))
    assert "Worth keeping" in page and "Remove bookmark" in page
    client.post(url(post, "/bookmark"), {"undo": "1"})
    assert "Worth keeping" not in body(client.get("/bookmarks"))


def test_liking_twice_from_the_web_counts_once(ana, bea, as_):
    post = write(bea, "Likeable")
    client = as_(ana)
    for _ in range(2):
        assert client.post(url(post, "/like")).status_code == 302
    assert fresh(post).likes_count == 1
    page = body(client.get(url(post)))
    assert 'aria-pressed="true"' in page and "Unlike" in page


def test_liking_with_htmx_answers_with_the_action_bar(ana, bea, as_):
    post = write(bea, "Likeable")
    response = as_(ana).post(url(post, "/like"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = body(response)
    assert fragment.lstrip().startswith('<div class="post-actions"')
    assert "Unlike" in fragment and '<span class="count">1</span>' in fragment


def test_boosting_and_undoing_from_the_web(ana, bea, as_):
    post = write(bea, "Boostable")
    client = as_(ana)
    client.post(url(post, "/boost"))
    boost = Post.objects.get(author=ana.account, boost_of=post)
    profile = body(client.get("/@ana"))
    assert "Boostable" in profile and "boosted" in profile
    assert client.get(url(boost)).status_code == 302  # a boost's page is the original's
    client.post(url(post, "/boost"), {"undo": "1"})
    assert fresh(boost).deleted_at is not None and fresh(post).boosts_count == 0


def test_boosting_a_followers_only_post_is_refused_on_the_web(ana, bea, as_):
    social.follow(ana.account, bea.account)
    post = write(bea, "For followers", visibility="private")
    client = as_(ana)
    assert "Boost" not in body(client.get(url(post))).split('class="post-actions"')[1][:400]
    response = client.post(url(post, "/boost"), follow=True)
    assert "Only public posts can be boosted." in body(response)
    assert not Post.objects.filter(boost_of=post).exists()


def test_boosting_what_one_cannot_see_is_404(ana, bea, as_):
    post = write(bea, "For followers", visibility="private")
    assert as_(ana).post(url(post, "/boost")).status_code == 404
    assert not Post.objects.filter(boost_of=post).exists()


def test_unknown_buttons_are_404(logged_in, ana):
    post = write(ana, "x")
    assert logged_in.post(url(post, "/explode")).status_code == 404


# --- message walls --------------------------------------------------------------------------


def test_writing_on_a_wall_from_the_web(ana, bea, as_):
    client = as_(bea)
    page = body(client.get("/@ana/wall"))
    assert f'name="wall_owner" value="{ana.account.pk}"' in page and "@ana </textarea>" in page
    response = client.post(
        "/compose",
        compose_data("@ana Happy birthday!", wall_owner=ana.account.pk, next="/@ana/wall"),
    )
    assert response["Location"] == "/@ana/wall"
    write(bea, "Not for the wall")
    page = body(client.get("/@ana/wall"))
    assert "Happy birthday!" in page and "Not for the wall" not in page


def test_the_wall_owner_hides_a_post_from_the_web(ana, bea, as_):
    post = write(bea, "Rude remark", wall_owner=ana.account)
    assert as_(bea).post(url(post, "/wall")).status_code == 404  # not Bea's wall
    client = as_(ana)
    assert "Hide from my wall" in body(client.get("/@ana/wall"))
    client.post(url(post, "/wall"))
    assert "Rude remark" not in body(client.get("/@ana/wall"))
    assert client.get(url(post)).status_code == 200  # hidden from the wall, not deleted
    client.post(url(post, "/wall"), {"undo": "1"})
    assert "Rude remark" in body(client.get("/@ana/wall"))


def test_a_closed_wall_refuses_writing_from_the_web(ana, bea, as_):
    ana.account.wall_enabled = False
    ana.account.save()
    client = as_(bea)
    page = body(client.get("/@ana/wall"))
    assert "This wall is closed." in page and 'name="wall_owner"' not in page
    response = client.post("/compose", compose_data("Let me in", wall_owner=ana.account.pk))
    assert response.status_code == 400
    assert "You can&#x27;t write on this wall." in body(response)
    assert "Let me in</textarea>" in body(response)
    assert not Post.objects.filter(author=bea.account).exists()


# --- profile tabs ---------------------------------------------------------------------------


def test_profile_tabs(ana, bea, client):
    own = write(ana, "A plain post")
    self_reply = write(ana, "Continuing myself", in_reply_to=own)
    reply = write(ana, "Answering Bea", in_reply_to=write(bea, "Bea asks"))
    media = actions.upload_media(ana.account, png_upload(), "pic")
    picture = write(ana, "With a picture", media_ids=[media.pk])
    posts_tab = body(client.get("/@ana"))
    assert "A plain post" in posts_tab and "Continuing myself" in posts_tab
    assert "Answering Bea" not in posts_tab
    replies_tab = body(client.get("/@ana/with_replies"))
    for post in (own, self_reply, reply, picture):
        assert post.content in replies_tab
    media_tab = body(client.get("/@ana/media"))
    assert "With a picture" in media_tab and "A plain post" not in media_tab
