"""Remote accounts and posts shown here: /@user@domain pages, the buttons on them, and the
search box that finds (and fetches) them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import resolve
from django.utils import timezone

from tests.federation.test_resolve import AP_TYPE, remote  # noqa: F401 (a fixture)
from wikisocial.accounts.models import Account
from wikisocial.posts.models import Like, Post, Visibility
from wikisocial.posts.remote import Incoming, receive_post
from wikisocial.social.models import Follow
from wikisocial.web.views import social

pytestmark = pytest.mark.django_db
DOMAIN = "remote.example"
BOB = f"https://{DOMAIN}/users/bob"


@pytest.fixture
def bob() -> Account:
    return Account.objects.create(
        username="bob",
        domain=DOMAIN,
        display_name="Bob <script>x</script>",
        bio_html="<p>Builds <em>things</em></p>",
        uri=BOB,
        remote_url=f"https://{DOMAIN}/@bob",
        inbox_url=f"{BOB}/inbox",
        followers_count=12,
        fetched_at=timezone.now(),
    )


def remote_post(author: Account, number: int, html: str, **extra) -> Post:
    incoming = Incoming(
        uri=f"{author.uri}/statuses/{number}",
        url=f"https://{author.domain}/@{author.username}/{number}",
        html=html,
        created_at=timezone.now() - timedelta(minutes=10 - number),
        **extra,
    )
    return receive_post(author, incoming)


# --- profiles --------------------------------------------------------------------------------


def test_urls_of_remote_accounts_carry_the_domain(bob, user):
    assert bob.get_absolute_url() == "/@bob@remote.example"
    assert user.account.get_absolute_url() == "/@ana"
    match = resolve("/@bob@remote.example:8443/12")
    assert match.url_name == "post" and match.kwargs["username"] == "bob@remote.example:8443"
    assert resolve("/@bob.smith-2@remote.example/follow").url_name == "relation"


def test_a_remote_profile_shows_the_account_and_its_visible_posts(client, bob):
    remote_post(bob, 1, "<p>Public hello</p>")
    remote_post(bob, 2, "<p>For followers</p>", visibility=Visibility.FOLLOWERS)
    response = client.get("/@bob@remote.example")
    assert response.status_code == 200
    page = response.text
    assert "Bob &lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert "<em>things</em>" in page and "@bob@remote.example" in page
    assert "Public hello" in page and "For followers" not in page
    assert 'href="https://remote.example/@bob"' in page and "View on the original server" in page
    assert "/@bob/wall" not in page and "Message wall" not in page
    assert "<strong>12</strong> followers" in page


def test_a_follower_sees_followers_only_posts(client, bob, user):
    remote_post(bob, 1, "<p>For followers</p>", visibility=Visibility.FOLLOWERS)
    Follow.objects.create(follower=user.account, target=bob)
    client.force_login(user)
    assert "For followers" in client.get("/@bob@remote.example").text


def test_handles_are_matched_without_case_and_redirect_to_the_stored_spelling(client, bob):
    response = client.get("/@BOB@Remote.Example/with_replies")
    assert response.status_code == 302
    assert response["Location"] == "/@bob@remote.example/with_replies"


def test_our_own_domain_in_a_handle_is_the_local_profile(client, user, settings):
    response = client.get(f"/@ana@{settings.DOMAIN}")
    assert response.status_code == 302 and response["Location"] == "/@ana"
    assert client.get("/@ana").status_code == 200


def test_activitypub_clients_are_sent_to_the_remote_id(client, bob):
    response = client.get("/@bob@remote.example", HTTP_ACCEPT=AP_TYPE)
    assert response.status_code == 302 and response["Location"] == BOB


def test_an_unknown_remote_profile(client, user):
    assert client.get("/@nobody@remote.example").status_code == 404
    client.force_login(user)
    response = client.get("/@nobody@remote.example")
    assert response.status_code == 302
    assert response["Location"] == "/search?q=%40nobody%40remote.example"


def test_pages_only_local_accounts_have_are_404_for_remote_handles(client, bob):
    for tail in ("wall", "followers", "following", "outbox", "featured"):
        assert client.get(f"/@bob@remote.example/{tail}").status_code == 404


def test_the_follow_button_targets_the_relation_url_with_the_handle(client, bob, user):
    client.force_login(user)
    page = client.get("/@bob@remote.example").text
    assert 'action="/@bob@remote.example/follow"' in page
    match = resolve("/@bob@remote.example/follow")
    assert match.func is social.relation and match.kwargs["username"] == "bob@remote.example"


def test_following_a_remote_account_from_its_profile(client, bob, user):
    client.force_login(user)
    response = client.post("/@bob@remote.example/follow")
    assert response.status_code == 302
    from wikisocial.social.models import FollowRequest

    # Following a remote account is a request until its server accepts.
    assert FollowRequest.objects.filter(follower=user.account, target=bob).exists()
    assert not Follow.objects.filter(follower=user.account, target=bob).exists()


# --- posts -----------------------------------------------------------------------------------


def test_a_remote_post_page_shows_the_post_and_its_thread(client, bob, make_user):
    first = remote_post(bob, 1, "<p>Question?</p>")
    answer = remote_post(bob, 2, "<p>Answer!</p>", in_reply_to=first)
    response = client.get(f"/@bob@remote.example/{first.pk}")
    assert response.status_code == 200
    assert "Question?" in response.text and "Answer!" in response.text
    assert 'href="https://remote.example/@bob/1"' in response.text
    assert f'class="time" href="/@bob@remote.example/{answer.pk}"' in response.text
    assert client.get(f"/@bob@remote.example/{answer.pk}").status_code == 200


def test_a_remote_post_needs_its_authors_full_handle(client, bob):
    post = remote_post(bob, 1, "<p>Hi</p>")
    assert client.get(f"/@bob/{post.pk}").status_code == 404
    assert client.get(f"/@bob@elsewhere.example/{post.pk}").status_code == 404
    assert client.get(f"/@ana@remote.example/{post.pk}").status_code == 404


def test_a_hidden_remote_post_is_404(client, bob):
    post = remote_post(bob, 1, "<p>Secret</p>", visibility=Visibility.FOLLOWERS)
    assert client.get(f"/@bob@remote.example/{post.pk}").status_code == 404


def test_activitypub_clients_get_the_remote_post_id(client, bob):
    post = remote_post(bob, 1, "<p>Hi</p>")
    response = client.get(f"/@bob@remote.example/{post.pk}", HTTP_ACCEPT=AP_TYPE)
    assert response.status_code == 302 and response["Location"] == post.uri


def test_liking_a_remote_post_from_its_page(client, bob, user):
    post = remote_post(bob, 1, "<p>Hi</p>")
    client.force_login(user)
    page = client.get(f"/@bob@remote.example/{post.pk}").text
    assert f'action="/@bob@remote.example/{post.pk}/like"' in page
    assert "@bob@remote.example " in page  # the reply box mentions the full handle
    response = client.post(f"/@bob@remote.example/{post.pk}/like")
    assert response.status_code == 302
    assert Like.objects.filter(account=user.account, post=post).exists()


def test_local_post_urls_are_unchanged(client, user):
    from tests.posts.helpers import write

    post = write(user, "Local words")
    assert post.get_absolute_url() == f"/@ana/{post.pk}"
    assert "Local words" in client.get(f"/@ana/{post.pk}").text


# --- search ----------------------------------------------------------------------------------


def test_the_search_box_is_in_the_header(client):
    assert 'action="/search"' in client.get("/about").text


def test_searching_an_unknown_handle_fetches_and_links_it(client, user, remote):  # noqa: F811
    client.force_login(user)
    response = client.get("/search", {"q": f"@bob@{remote.domain}"})
    assert response.status_code == 200
    assert f'href="/@bob@{remote.domain}"' in response.text
    assert "Bob &lt;b&gt;Builder&lt;/b&gt;" in response.text
    page = client.get(f"/@bob@{remote.domain}")
    assert page.status_code == 200 and "<em>things</em>" in page.text


def test_searching_a_post_url_fetches_and_shows_it(client, user, remote):  # noqa: F811
    client.force_login(user)
    response = client.get("/search", {"q": f"{remote.base}/@bob/1"})
    assert response.status_code == 200 and "Hello from far away" in response.text
    post = Post.objects.get(uri=f"{remote.base}/users/bob/statuses/1")
    assert client.get(f"/@bob@{remote.domain}/{post.pk}").status_code == 200


def test_an_unreachable_server_is_a_clear_not_found(client, user, settings):
    settings.DEV_FEDERATION = True
    client.force_login(user)
    response = client.get("/search", {"q": "@someone@127.0.0.1:9"})
    assert response.status_code == 200
    assert "Not found" in response.text and "@someone@127.0.0.1:9" in response.text


def test_a_loopback_url_is_refused_without_dev_federation(client, user, remote, settings):  # noqa: F811
    settings.DEV_FEDERATION = False
    client.force_login(user)
    response = client.get("/search", {"q": f"{remote.base}/users/bob"})
    assert response.status_code == 200 and "Not found" in response.text
    assert remote.seen == [] and not Account.objects.filter(domain=remote.domain).exists()


def test_visitors_are_asked_to_log_in_for_remote_lookups(client, remote):  # noqa: F811
    response = client.get("/search", {"q": f"@bob@{remote.domain}"})
    assert response.status_code == 200 and "Log in to look it up" in response.text
    assert remote.seen == []


def test_search_escapes_the_query(client):
    response = client.get("/search", {"q": "<img src=x onerror=alert(1)>"})
    assert response.status_code == 200
    assert "<img src=x" not in response.text and "&lt;img src=x" in response.text


def test_searching_people_by_name(client, bob, make_user):
    make_user("bobby")
    response = client.get("/search", {"q": "bob"})
    assert 'href="/@bob@remote.example"' in response.text and 'href="/@bobby"' in response.text
