"""Bad and hostile input: each is refused with a clear message and nothing typed is lost, or is
shown as harmless text."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from tests.posts.helpers import (
    assert_nothing_executable,
    body,
    compose_data,
    fresh,
    media_ids_in,
    png_upload,
    poll_post,
    text_upload,
    write,
)
from wikisocial.accounts.models import Account
from wikisocial.notifications.models import Kind, Notification
from wikisocial.posts import actions
from wikisocial.posts.models import MediaAttachment, Mention, Post
from wikisocial.social import actions as social

pytestmark = pytest.mark.django_db
MENTION_LIMIT = settings.POST_LIMITS["mentions"]


def refused(client, **fields):
    """POST the compose form, expecting it back (400) with its error."""
    before = Post.objects.count()
    response = client.post("/compose", compose_data(**fields))
    assert response.status_code == 400, response.status_code
    assert Post.objects.count() == before
    return body(response)


# --- refused, with what was typed kept ------------------------------------------------------


def test_empty_post(logged_in):
    page = refused(
        logged_in, text="   ", spoiler_text="my warning", language="de", visibility="unlisted"
    )
    assert "Write something, or attach an image." in page
    assert 'value="my warning"' in page and 'value="de"' in page
    assert '<option value="unlisted" selected>' in page


def test_over_long_post(logged_in):
    text = "word " * 1000 + "end!"
    page = refused(logged_in, text=text)
    assert "This post is 5004 characters long; the limit is 5000." in page
    assert text in page


def test_too_many_mentions(logged_in, ana):
    names = [f"person{i}" for i in range(MENTION_LIMIT + 1)]
    Account.objects.bulk_create(Account(username=name) for name in names)
    text = "Hello " + " ".join(f"@{name}" for name in names)
    page = refused(logged_in, text=text)
    assert f"Mention at most {MENTION_LIMIT} people in one post." in page
    assert text in page
    with pytest.raises(ValidationError, match=f"at most {MENTION_LIMIT} people"):
        write(ana, text)
    post = write(ana, "Hello " + " ".join(f"@{name}" for name in names[:MENTION_LIMIT]))
    assert Mention.objects.filter(post=post).count() == MENTION_LIMIT


def test_too_many_images(logged_in, ana):
    page = refused(
        logged_in, text="Five pictures", image=[png_upload(f"{i}.png") for i in range(5)]
    )
    assert "Attach at most 4 images." in page and "Five pictures</textarea>" in page
    kept = media_ids_in(page)
    assert len(kept) == 4  # the first four stay, ready to send again
    response = logged_in.post(
        "/compose", compose_data("Four pictures", media_id=[str(i) for i in kept])
    )
    assert response.status_code == 302
    assert Post.objects.get().media.count() == 4


def test_too_many_images_with_kept_ones(logged_in, ana):
    kept = [actions.upload_media(ana.account, png_upload()) for _ in range(3)]
    page = refused(
        logged_in,
        text="3 + 2",
        media_id=[str(m.pk) for m in kept],
        image=[png_upload(), png_upload()],
    )
    assert "Attach at most 4 images." in page
    assert len(media_ids_in(page)) == 4


def test_a_file_that_is_not_an_image(logged_in, ana):
    page = refused(logged_in, text="My holiday", image=[text_upload(), png_upload()])
    assert "This file is not a JPEG, PNG, GIF or WebP image." in page
    assert "My holiday</textarea>" in page
    assert len(media_ids_in(page)) == 1  # the real image is kept
    assert MediaAttachment.objects.count() == 1


def test_over_long_alt_text(logged_in, ana):
    media = actions.upload_media(ana.account, png_upload())
    page = refused(
        logged_in, text="Look", media_id=str(media.pk), **{f"alt_{media.pk}": "a" * 1501}
    )
    assert "Alt text may have at most 1500 characters." in page
    assert "Look</textarea>" in page and media_ids_in(page) == [media.pk]


def test_typed_alt_text_survives_a_form_error(logged_in, ana):
    media = actions.upload_media(ana.account, png_upload())
    page = refused(
        logged_in,
        text="q" * 5001,
        media_id=str(media.pk),
        **{f"alt_{media.pk}": "A <careful> description"},
    )
    assert "A &lt;careful&gt; description</textarea>" in page
    response = logged_in.post(
        "/compose",
        compose_data(
            "Shorter", media_id=str(media.pk), **{f"alt_{media.pk}": "A <careful> description"}
        ),
    )
    assert response.status_code == 302
    assert MediaAttachment.objects.get(pk=media.pk).description == "A <careful> description"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("Same\nsame", "Each choice of the poll must be different."),
        ("Only one", "A poll needs 2 to 6 choices."),
        ("one\n   \n", "A poll needs 2 to 6 choices."),
        ("a\nb\nc\nd\ne\nf\ng", "A poll needs 2 to 6 choices."),
    ],
)
def test_bad_poll(logged_in, options, message):
    page = refused(logged_in, text="Which one?", poll_options=options, poll_multiple="on")
    assert message in page
    assert "Which one?</textarea>" in page
    assert f"{options}</textarea>" in page
    assert 'name="poll_multiple" id="id_poll_multiple" checked' in page


def test_invalid_visibility(logged_in, ana):
    page = refused(logged_in, text="To whom?", visibility="everyone-and-their-dog")
    assert "Select a valid choice." in page and "To whom?</textarea>" in page
    with pytest.raises(ValidationError, match="Choose who may see this post"):
        write(ana, "To whom?", visibility="everyone")


def test_invalid_language(logged_in):
    page = refused(logged_in, text="Hi", language="xx-nonsense")
    assert "is not a language code we know." in page and 'value="xx-nonsense"' in page


def test_over_long_content_warning(logged_in):
    page = refused(logged_in, text="Body", spoiler_text="w" * 501)
    assert "at most 500 characters" in page and "Body</textarea>" in page


def test_reply_to_a_post_one_cannot_see(logged_in, ana, bea):
    hidden = write(bea, "Followers only", visibility="private")
    page = refused(logged_in, text="My reply", in_reply_to=hidden.pk)
    assert "The post you reply to does not exist, or you may not see it." in page
    assert "My reply</textarea>" in page
    with pytest.raises(ValidationError) as info:
        write(ana, "My reply", in_reply_to=hidden)
    assert "in_reply_to" in info.value.message_dict


@pytest.mark.parametrize("target", ["999999999", "abc"])
def test_reply_to_nothing(logged_in, target):
    page = refused(logged_in, text="Into the void", in_reply_to=target)
    assert "Into the void</textarea>" in page
    assert "Please correct what is marked below." in page


def test_boost_a_private_post(ana, bea, as_):
    social.follow(ana.account, bea.account)
    post = write(bea, "@ana only you", visibility="direct")
    response = as_(ana).post(post.get_absolute_url() + "/boost", follow=True)
    assert "Only public posts can be boosted." in body(response)
    with pytest.raises(ValidationError, match="Only public posts can be boosted"):
        actions.boost(ana.account, post)
    assert fresh(post).boosts_count == 0


def test_like_twice_is_idempotent(ana, bea, as_):
    post = write(bea, "Nice")
    client = as_(ana)
    client.post(post.get_absolute_url() + "/like")
    client.post(post.get_absolute_url() + "/like")
    actions.like(ana.account, post)
    assert fresh(post).likes_count == 1
    assert Notification.objects.filter(kind=Kind.LIKE).count() == 1


def test_edit_or_delete_someone_elses_post(ana, bea, as_):
    post = write(bea, "Bea's words")
    client = as_(ana)
    base = post.get_absolute_url()
    assert client.get(base + "/edit").status_code == 404
    assert client.post(base + "/edit", compose_data("Ana's words")).status_code == 404
    assert client.post(base + "/delete").status_code == 404
    assert client.post(base + "/delete", {"redraft": "1"}).status_code == 404
    assert client.post(base + "/pin").status_code == 404
    assert fresh(post).content == "Bea's words" and fresh(post).deleted_at is None
    with pytest.raises(PermissionDenied):
        actions.edit_post(post, ana.account, actions.Draft(text="x"))
    with pytest.raises(PermissionDenied):
        actions.delete_post(post, ana.account)


def test_a_bad_vote(ana, bea, as_):
    post = poll_post(ana)
    client = as_(bea)
    for data in ({"choice": "9"}, {}, {"choice": "one"}):
        response = client.post(post.get_absolute_url() + "/vote", data, follow=True)
        assert "Choose one of the answers." in body(response)
    assert fresh(post).poll.voters_count == 0


# --- hostile markup: shown as text, never run -----------------------------------------------

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_and_javascript_are_never_executed(ana, bea, as_):
    media = actions.upload_media(ana.account, png_upload(), f'alt {SCRIPT} "quoted"')
    post = write(
        ana,
        f"Text {SCRIPT} [click](javascript:alert(1)) <a href='javascript:alert(2)'>a</a> "
        "[data](data:text/html;base64,PHNjcmlwdD4=) ![pic](javascript:alert(3)) @bea",
        spoiler_text=f"cw {SCRIPT}",
        media_ids=[media.pk],
    )
    poll = poll_post(ana, [f"yes {SCRIPT}", '"><svg onload=alert(1)>'], text=f"poll {SCRIPT}")
    actions.edit_post(
        post, ana.account, actions.Draft(text=f"edited {SCRIPT}", media_ids=[media.pk])
    )
    reply = write(bea, f"@ana reply {SCRIPT}", in_reply_to=post)

    client = as_(ana)
    pages = [
        post.get_absolute_url(),
        post.get_absolute_url() + "/history",
        post.get_absolute_url() + "/edit",
        poll.get_absolute_url(),
        reply.get_absolute_url(),
        "/",
        "/@ana",
        "/@ana/media",
        "/local",
        "/notifications",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_nothing_executable(body(response))
    page = body(client.get(post.get_absolute_url() + "/history"))
    assert "&lt;script&gt;" in page  # shown, as text
    page = body(as_(bea).get(poll.get_absolute_url()))
    assert_nothing_executable(page)
    assert "&lt;svg onload=alert(1)&gt;" in page


MALFORMED_WIKILINKS = [
    "[[",
    "]]",
    "[[]]",
    "[[|]]",
    "[[ ]]",
    "[[:]]",
    "[[#]]",
    "[[<b>bold</b>]]",
    "[[javascript:alert(1)]]",
    "[[https://evil.example/]]",
    "[[../../etc/passwd]]",
    "[[" + "x" * 3000 + "]]",
    "[[a\nb]]",
]
MALFORMED_MENTIONS = [
    "@",
    "@@bea",
    "@bea@",
    "@bea@@example.org",
    "@bea@-bad-.example",
    "@bea@example.org:99999",
    "@" + "b" * 400,
    "@bea.x",
    "@bea-x",
    "mail bea@example.org",
    "x@bea",
    "@<bea>",
]
OTHER_MALFORMED = [
    "#",
    "##",
    "#" * 300,
    "#1234",
    "#" + "t" * 200,
    "**unclosed",
    "[link](",
    "![](",
    "`" * 1000,
    "> " * 500,
    "[" * 2000,
    "*" * 4000,
    "[[[[nested]]]]",
    "[[a|b|c]]",
]


@pytest.mark.parametrize("text", MALFORMED_WIKILINKS, ids=range(len(MALFORMED_WIKILINKS)))
def test_malformed_wikilinks_are_text(ana, text, client):
    post = write(ana, text)
    assert 'class="wikilink"' not in post.content_html
    assert_nothing_executable(post.content_html)
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert_nothing_executable(body(response))


@pytest.mark.parametrize("text", MALFORMED_MENTIONS, ids=range(len(MALFORMED_MENTIONS)))
def test_malformed_mentions_are_text(ana, bea, text, client):
    post = write(ana, text)
    assert "mention" not in post.content_html and not post.mentions.exists()
    assert_nothing_executable(post.content_html)
    assert client.get(post.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("text", OTHER_MALFORMED, ids=range(len(OTHER_MALFORMED)))
def test_other_malformed_markup_does_not_crash(ana, text, client):
    post = write(ana, text)
    assert_nothing_executable(post.content_html)
    assert client.get(post.get_absolute_url()).status_code == 200


def test_a_malformed_mention_does_not_notify(ana, bea):
    for text in ("@@bea", "@bea@", "mail bea@example.org", "@bea.x", "@bea_", "x@bea"):
        write(ana, text)
    assert not Mention.objects.exists()
    assert not Notification.objects.filter(recipient=bea.account).exists()


def test_bidi_controls_are_removed(ana, bea):
    media = actions.upload_media(ana.account, png_upload(), "alt\u202etxt.exe")
    post = write(
        ana,
        "evil\u202egnp.exe \u2066isolated\u2069 @bea",
        spoiler_text="cw\u202dhere",
        media_ids=[media.pk],
    )
    poll = poll_post(ana, ["a\u202eb", "c"]).poll
    for value in (
        post.content,
        post.content_html,
        post.spoiler_text,
        fresh(post).media.get().description,
        *poll.options.values_list("title", flat=True),
    ):
        assert not any(c in value for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert post.content.startswith("evilgnp.exe")


def test_zero_width_joiners_inside_a_mention_mention_nobody(ana, make_user):
    make_user("bea")
    make_user("beax")
    for text in ("@bea\u200dx", "@bea\u200cx", "@be\u200da", "@bea\u200d", "@\u200dbea"):
        post = write(ana, text)
        assert not post.mentions.exists(), repr(text)
        assert "mention" not in post.content_html, repr(text)
    assert not Notification.objects.exists()


def test_look_alike_letters_mention_nobody(ana, bea):
    for text in ("@b\u0435a", "@\uff42\uff45\uff41", "@bea\u0301"):  # Cyrillic e, full width
        assert not write(ana, text).mentions.exists(), repr(text)


def test_invisible_characters_are_dropped_before_mentions_resolve(ana, bea, make_user):
    make_user("beax")
    post = write(ana, "@bea\u200bx")  # a zero-width space is removed: what shows is @beax
    assert post.content == "@beax"
    assert list(post.mentions.values_list("account__username", flat=True)) == ["beax"]


def test_text_with_angle_brackets_is_shown_once_escaped(ana, bea, as_):
    post = write(bea, "@ana 1 < 2 & 3")
    client = as_(ana)
    page = body(client.get(post.get_absolute_url()))
    title = page.split("<title>")[1].split("</title>")[0]
    assert "&amp;lt;" not in title and "1 &lt; 2 &amp; 3" in title
    assert "&amp;lt;" not in body(client.get("/notifications"))


def test_a_tampered_hidden_field_is_reported(client, make_user):
    client.force_login(make_user("tamper"))
    response = client.post(
        "/compose", {"text": "hello", "visibility": "public", "in_reply_to": "abc"}
    )
    assert response.status_code == 400
    assert "Enter a whole number." in response.text
    assert "hello" in response.text
