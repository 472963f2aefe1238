"""Talk pages: each page's discussion is a forum topic, started on first use."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from wikisocial.communities.models import Topic
from wikisocial.wiki import actions
from wikisocial.wiki.models import Page

pytestmark = pytest.mark.django_db

LINK = "https://example.org/wiki/Rules"


def test_group_page_talk_topic(ana, make_group, save):
    group = make_group(ana.account, "chapter")
    page = save(ana.account, group, "Rules", "x").page
    topic = actions.open_talk(ana.account, page, "Shall we shorten these?", LINK)
    assert topic.group == group
    assert topic.title == "Talk: Rules"
    assert "Shall we shorten these?" in topic.post.content and LINK in topic.post.content
    assert Page.objects.get().talk == topic
    # The second person finds the same topic.
    assert actions.open_talk(ana.account, page, "another start", LINK) == topic
    assert Topic.objects.count() == 1


def test_instance_page_talk_is_a_site_wide_topic(ana, save):
    page = save(ana.account, None, "Code of conduct", "x").page
    topic = actions.open_talk(ana.account, page, "About rule 3", LINK)
    assert topic.group is None
    assert topic.post.group is None


def test_long_titles_fit_a_topic(ana, save):
    page = save(ana.account, None, "x" * 250, "x").page
    topic = actions.open_talk(ana.account, page, "hello", LINK)
    assert len(topic.title) == 200 and topic.title.endswith("…")


def test_talk_needs_text_and_the_right_to_post(ana, bea, make_group, save):
    group = make_group(ana.account, "project", kind="restricted")
    page = save(ana.account, group, "Plans", "x").page
    with pytest.raises(ValidationError):
        actions.open_talk(ana.account, page, "   ", LINK)
    with pytest.raises(ValidationError):
        actions.open_talk(bea.account, page, "let me in", LINK)
    assert not Topic.objects.exists()


def test_deleted_topic_can_be_started_again(ana, save):
    from wikisocial.posts.actions import delete_post

    page = save(ana.account, None, "Rules", "x").page
    first = actions.open_talk(ana.account, page, "first", LINK)
    delete_post(first.post, ana.account)
    page.refresh_from_db()
    assert actions.talk_topic(page) is None
    second = actions.open_talk(ana.account, page, "again", LINK)
    assert second != first


# --- through the web ---------------------------------------------------------------------------


def test_discuss_link_starts_and_then_opens_the_topic(logged_in, ana, make_group, save):
    group = make_group(ana.account, "chapter")
    save(ana.account, group, "Rules", "x")
    url = "/g/chapter/wiki/Rules"
    form = logged_in.get(url, {"action": "talk"})
    assert form.status_code == 200
    assert "Start the discussion" in form.content.decode()
    empty = logged_in.post(f"{url}?action=talk", {"text": ""})
    assert empty.status_code == 400
    response = logged_in.post(f"{url}?action=talk", {"text": "Let's talk."})
    topic = Topic.objects.get()
    topic_url = reverse("communities:topic", kwargs={"handle": "chapter", "topic_id": topic.pk})
    assert response.status_code == 302 and response["Location"] == topic_url
    assert "/wiki/Rules" in topic.post.content
    assert logged_in.get(url, {"action": "talk"})["Location"] == topic_url
    assert logged_in.get(topic_url).status_code == 200


def test_instance_wiki_talk_goes_to_the_post(logged_in, ana, save):
    save(ana.account, None, "Rules", "x")
    response = logged_in.post("/wiki/Rules?action=talk", {"text": "A question"})
    topic = Topic.objects.get()
    assert response["Location"] == topic.post.get_absolute_url()


def test_anonymous_discuss_asks_to_log_in(client, ana, save):
    save(ana.account, None, "Rules", "x")
    response = client.get("/wiki/Rules", {"action": "talk"})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_refused_posters_see_why_and_keep_their_text(as_, ana, bea, make_group, save):
    group = make_group(ana.account, "project", kind="restricted")
    save(ana.account, group, "Plans", "x")
    response = as_(bea).post("/g/project/wiki/Plans?action=talk", {"text": "my words"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Only members may post in this group." in body
    assert "my words</textarea>" in body
