"""A small, lived-in world on the browser tests' server, for tests that look at the main pages
(accessibility, screenshots) rather than walk a flow.

``build_world(site)`` makes, in one `wikisocial shell` through the app's own actions: three
people (ana, bob, cleo, with unique usernames; ana is the one who looks around), posts (one
with an image and its alt text, one with an image its author did not describe, one behind a
content warning, a long one, one with a poll), a thread with replies, follows and likes (so
ana has notifications), a public group with a topic and a reply, a wiki page with two
revisions (so there is a diff) and an OAuth application (for the consent page). It returns
the usernames and the path of each page. The world is made once per test process and server;
later calls return the same dictionary.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

from tests.browser.conftest import make_accounts
from tests.servers import Instance

# The consent page's client: a confidential app that asks for read and write.
CALLBACK = "https://tooter.example/callback"

_worlds: dict[str, dict] = {}

_SEED = r"""
import io, json
from PIL import Image, ImageDraw
from wikisocial.accounts.models import Account
from wikisocial.accounts import actions as accounts
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social
from wikisocial.communities import actions as groups, forum
from wikisocial.wiki import actions as wiki
from wikisocial.wiki.models import page_url
from wikisocial.api.oauth.applications import register_app

names = json.loads(NAMES)
ana, bob, cleo = (Account.objects.get(username=n, domain="") for n in names["people"])

accounts.update_profile(ana, accounts.ProfileChanges(
    display_name="Ana Gardener",
    bio="I grow tomatoes and write about #gardening and [[Compost]].",
    pronouns="she/her",
    wiki_username="",
    locked=False,
    bot=False,
    fields=[{"name": "Garden", "value": "Balcony, third floor"}],
))
accounts.update_profile(bob, accounts.ProfileChanges(
    display_name="Bob", bio="Beekeeper.", pronouns="", wiki_username="", locked=False, bot=False,
))

social.follow(ana, bob)
social.follow(bob, ana)
social.follow(cleo, ana)

canvas = Image.new("RGB", (640, 400), (90, 140, 80))
draw = ImageDraw.Draw(canvas)
draw.ellipse((220, 120, 420, 320), fill=(200, 40, 40))
draw.rectangle((0, 330, 640, 400), fill=(110, 80, 50))
png = io.BytesIO()
canvas.save(png, "PNG")
png.seek(0)
alt = "A ripe red tomato on a green background above brown soil."
media = posts.upload_media(ana, png, description=alt)

image_post = posts.create_post(ana, posts.Draft(
    text="First tomato of the year! Notes on the wiki: [[Compost]]", media_ids=[media.pk]))
# Someone who did not describe their image (readers still learn there is one).
undescribed = posts.upload_media(bob, io.BytesIO(png.getvalue()))
posts.create_post(bob, posts.Draft(text="My balcony this morning.", media_ids=[undescribed.pk]))
warned = posts.create_post(ana, posts.Draft(
    text="The aphids are back. Photos another day.", spoiler_text="Garden pests"))
long_text = "\n\n".join(
    f"Paragraph {i}: how the compost heap went this year, what the worms ate, and what the "
    "neighbours said about the smell when the wind turned in the afternoon." for i in range(1, 14)
)
long_post = posts.create_post(ana, posts.Draft(text=long_text))
poll_post = posts.create_post(ana, posts.Draft(
    text="Which should I plant next?",
    poll=posts.PollDraft(options=["Beans", "Peas", "Squash"])))

root = posts.create_post(bob, posts.Draft(text="Has anyone kept bees on a balcony?"))
reply = posts.create_post(ana, posts.Draft(
    text="@" + bob.username + " Not yet, but I would love to.", in_reply_to=root))
posts.create_post(bob, posts.Draft(
    text="@" + ana.username + " It works with a small hive.", in_reply_to=reply))
posts.create_post(cleo, posts.Draft(text="Watching this thread.", in_reply_to=root))

posts.like(bob, image_post)
posts.like(cleo, image_post)
posts.boost(bob, warned)
posts.like(ana, root)
posts.create_post(bob, posts.Draft(
    text="@" + ana.username + " lovely tomato!", in_reply_to=image_post))

group = groups.create_group(ana, names["group"], groups.GroupDraft(
    name="Balcony gardeners",
    description="Growing food in small places. Questions welcome.",
    rules="Be kind. No spam.",
))
groups.join(bob, group)
topic = forum.create_topic(ana, group, "What grows in shade?",
    posts.Draft(text="My balcony faces north. What grows there?"), tags=["shade"])
posts.create_post(bob, posts.Draft(text="Lettuce and mint do well.", in_reply_to=topic.post))

title = names["wiki"]
first = wiki.save_page(ana, None, title, "Compost is decomposed organic matter.\n\n"
    "## Making it\n\nMix green and brown material.", summary="Start the page")
second = wiki.save_page(bob, None, title, "Compost is decomposed organic matter.\n\n"
    "## Making it\n\nMix green and brown material, and turn it weekly.\n\n"
    "## Using it\n\nSpread it in spring.", summary="Turning and using",
    base_revision_id=first.revision.pk)
wiki_path = page_url(None, title)

app = register_app("Tooter", [CALLBACK], ["read", "write", "follow"],
    website="https://tooter.example").application

def path(obj):
    return obj.get_absolute_url()

print("JSON:" + json.dumps({
    "image_post": path(image_post),
    "warned_post": path(warned),
    "long_post": path(long_post),
    "poll_post": path(poll_post),
    "thread": path(root),
    "reply": path(reply),
    "group": path(group),
    "topic": forum.topic_url(topic),
    "wiki_page": wiki_path,
    "wiki_diff": wiki_path + "?action=diff&old=%d&new=%d" % (
        first.revision.pk, second.revision.pk),
    "wiki_history": wiki_path + "?action=history",
    "client_id": app.client_id,
}))
"""


def build_world(site: Instance) -> dict:
    """Seed the world on ``site`` (once per process and server) and return what it holds:
    ``ana``, ``bob``, ``cleo`` (usernames, password PASSWORD), ``paths`` (page name → path,
    for the pages worth looking at) and the post paths under their own keys."""
    if site.url in _worlds:
        return _worlds[site.url]
    suffix = uuid.uuid4().hex[:8]
    people = [f"ana{suffix}", f"bob{suffix}", f"cleo{suffix}"]
    make_accounts(site, *people)
    names = {"people": people, "group": f"garden{suffix}", "wiki": f"Compost {suffix}"}
    code = f"NAMES = {json.dumps(json.dumps(names))}\nCALLBACK = {CALLBACK!r}\n" + _SEED
    seeded = site.shell_json(code)
    ana = people[0]
    consent = "/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": seeded["client_id"],
            "redirect_uri": CALLBACK,
            "scope": "read write",
            "state": "browser-test",
        }
    )
    paths = {
        "home": "/",
        "profile": f"/@{ana}",
        "post": seeded["image_post"],
        "long-post": seeded["long_post"],
        "thread": seeded["thread"],
        "notifications": "/notifications",
        "settings-profile": "/settings/profile",
        "settings-notifications": "/settings/notifications",
        "settings-account": "/settings/account",
        "compose": "/compose",
        "group": seeded["group"],
        "topic": seeded["topic"],
        "wiki-page": seeded["wiki_page"],
        "wiki-diff": seeded["wiki_diff"],
        "wiki-history": seeded["wiki_history"],
        "wiki-edit": seeded["wiki_page"] + "?action=edit",
        "consent": consent,
        "local": "/local",
        "search": "/search?q=tomato",
        "groups": "/groups",
        "about": "/about",
        "signup": "/auth/signup",
        "login": "/auth/login",
    }
    world = {
        "ana": ana,
        "bob": people[1],
        "cleo": people[2],
        "paths": paths,
        **{key: value for key, value in seeded.items() if key != "client_id"},
        "client_id": seeded["client_id"],
        "consent": consent,
    }
    _worlds[site.url] = world
    return world
