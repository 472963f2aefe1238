"""How many bytes the home page costs, measured in a real browser against a real server.

    .venv/bin/python bench/page_weight.py            # SQLite in a temporary folder
    .venv/bin/python bench/page_weight.py --posts 40

Starts `wikisocial run` (tests/servers.py), makes two readers (one per viewport) who follow
two people, with a home timeline of ``--posts`` posts (some with one or two photo-like
JPEGs), logs each reader in with Chromium (Playwright, Debian's /usr/bin/chromium) and loads
the home page, at 1280 px and at 360 px:

- first visit: a fresh browser cache (only the session cookie carried over); what loads
  before anyone scrolls (images below the fold are lazy), then the same page scrolled to the
  end (every lazy image fetched);
- repeat visit, same posts: the same list again in the same browser (a link followed, not a
  hard reload), where cached files cost nothing;
- repeat visit, nothing new: home again, every post already seen and folded under "You're
  caught up".

Sizes are the browser's own Resource Timing numbers (`transferSize`: bytes over the wire,
headers included; `encodedBodySize` / `decodedBodySize`: the body compressed and not), for
the document and every resource it loaded. Results: a Markdown table on stdout and JSON in
bench/results/page_weight.json. Numbers, not assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "page_weight.json"
# One reader per viewport: the home page folds what its reader has already seen ("You're caught
# up"), so each first visit is a reader's real first visit.
VIEWPORTS = {
    "desktop 1280": ("reader", {"width": 1280, "height": 900}),
    "phone 360": ("phonereader", {"width": 360, "height": 780}),
}
AUTHORS = ["ana", "bob"]
TIMEOUT_MS = 120_000  # a busy machine can be slow; the sizes don't depend on it
# The newest posts first, none folded: the home page as on a first visit.
EVERY_POST = "/?max_id=9000000000000000000"

# The posts of the home timeline: ordinary text, links, hashtags, a wikilink, one long post
# (collapsed behind "Show more"), one with a content warning.
TEXTS = [
    "Spent the afternoon fixing citations on the article about the Danube delta. Three dead "
    "links replaced with archived copies, two claims that needed a better source. #wikigap",
    "Reading group tonight: we're on chapter four. Bring questions, bring tea.",
    "Does anyone have a good guide to [[Help:Reverting]] for people who are new to "
    "patrolling? Ours is from 2014 and it shows.",
    "Photo walk in the old town. The light at six was worth getting up for.",
    "A reminder that the edit-a-thon starts Saturday at ten. Childcare is available, and the "
    "room is step-free. Details: https://example.org/events/editathon",
    "Long thoughts on sourcing. " + "Secondary sources tell you what matters; primary sources "
    "tell you what happened; neither tells you both. " * 12,
    "Small win: the infobox template finally handles dates before 1582 without complaining.",
    "Two views from the bridge, morning and evening. Which one for the article?",
]
# Posts with pictures, by their text: the photo walk has one, the bridge two.
PICTURES = {3: 1, 7: 2}
SPOILER_EVERY = 7  # every seventh post has a content warning

SEED = """
import io, json, random
from PIL import Image, ImageDraw, ImageFilter
from django.core.files.uploadedfile import SimpleUploadedFile
from wikisocial.accounts import actions as accounts
from wikisocial.instance.models import CodeOfConduct
from wikisocial.posts import actions as posts
from wikisocial.social import actions as social
from wikisocial.timelines.fanout import fan_out

code = CodeOfConduct.objects.order_by('-version').first()

def person(name):
    user = accounts.register(username=name, email=name + '@example.org', password=PASSWORD,
                             code_of_conduct=None, by_operator=True)
    if code is not None:
        accounts.accept_code_of_conduct(user, code)
    return user.account

def picture(seed):
    # Photo-like: a sky gradient, hills, blurred noise; about what a phone photo compresses to.
    rng = random.Random(seed)
    width, height = 1600, 1067
    image = Image.new('RGB', (width, height))
    draw = ImageDraw.Draw(image)
    top, bottom = (rng.randrange(40, 120), rng.randrange(90, 170), 220), (250, 200, 150)
    for y in range(height):
        t = y / height
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom))
        draw.line([(0, y), (width, y)], fill=colour)
    for _ in range(6):
        x, y = rng.randrange(-200, width), rng.randrange(height // 2, height)
        colour = (rng.randrange(20, 90), rng.randrange(80, 150), rng.randrange(20, 80))
        draw.ellipse([x, y, x + rng.randrange(400, 1200), y + 900], fill=colour)
    noise = Image.effect_noise((width, height), 40).convert('RGB')
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    image.save(out, 'JPEG', quality=88)
    return out.getvalue()

readers = [person(name) for name in READERS]
authors = [person(name) for name in AUTHORS]
for reader in readers:
    for author in authors:
        social.follow(reader, author)
made = []
for i in range(POSTS):
    author = authors[i % len(authors)]
    media_ids = []
    for n in range(PICTURES.get(i % len(TEXTS), 0)):
        upload = SimpleUploadedFile(f'walk-{i}-{n}.jpg', picture(i * 10 + n), 'image/jpeg')
        alt = f'Green hills under an evening sky, picture {i}-{n}'
        media = posts.upload_media(author, upload, description=alt)
        media_ids.append(media.pk)
    spoiler = 'Food, lots of it' if i % SPOILER_EVERY == 3 else ''
    draft = posts.Draft(text=TEXTS[i % len(TEXTS)], spoiler_text=spoiler, media_ids=media_ids)
    post = posts.create_post(author, draft)
    fan_out(post)
    made.append(post.pk)
print('JSON:' + json.dumps(made))
"""


def seed_code(posts: int, password: str) -> str:
    """Python for `wikisocial shell`: the reader, the authors and their posts, fanned out."""
    values = {
        "PASSWORD": password,
        "READERS": [reader for reader, _viewport in VIEWPORTS.values()],
        "AUTHORS": AUTHORS,
        "POSTS": posts,
        "TEXTS": TEXTS,
        "PICTURES": PICTURES,
        "SPOILER_EVERY": SPOILER_EVERY,
    }
    head = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    return head + SEED


# The document and its resources as the browser's Resource Timing saw them.
MEASURE = """() => {
  const rows = [];
  for (const e of performance.getEntriesByType('navigation').concat(
      performance.getEntriesByType('resource'))) {
    rows.push({name: e.name, type: e.entryType === 'navigation' ? 'document' : e.initiatorType,
               transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize});
  }
  return rows;
}"""

KINDS = {"document": "html", "link": "css", "css": "css", "script": "js", "img": "images"}


TEXT = {"html", "css", "js"}


def summarise(rows: list[dict], gzipped: dict[str, int]) -> dict:
    """Totals of one load. ``gzipped``: the gzip size of each text resource's body, for what
    the load would transfer behind a proxy that compresses text (bodies sent uncompressed are
    counted at that size, headers as they were)."""
    total = {"requests": len(rows), "transfer": 0, "encoded": 0, "decoded": 0, "if_gzipped": 0}
    by_kind: dict[str, int] = {}
    for row in rows:
        for key in ("transfer", "encoded", "decoded"):
            total[key] += row[key]
        kind = KINDS.get(row["type"], "other")
        by_kind[kind] = by_kind.get(kind, 0) + row["transfer"]
        sent_whole = row["encoded"] and row["encoded"] == row["decoded"]
        if kind in TEXT and row["transfer"] > row["encoded"] and sent_whole:
            headers = row["transfer"] - row["encoded"]
            total["if_gzipped"] += headers + gzipped.get(row["name"], row["encoded"])
        else:
            total["if_gzipped"] += row["transfer"]
    return {**total, "by_kind": by_kind, "resources": rows}


def gzip_sizes(responses: list, known: dict[str, int]) -> dict[str, int]:
    """The gzip size (level 6, as nginx and Caddy default to) of each text response's body."""
    for response in responses:
        fresh = response.url not in known or response.request.resource_type == "document"
        if response.status == 200 and fresh:
            known[response.url] = len(gzip.compress(response.body(), compresslevel=6))
    responses.clear()
    return known


def measure(browser, base_url: str, reader: str, password: str, viewport: dict) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # Log in in one context (landing elsewhere than home, so the home page still has every post
    # to show), then carry only the cookies into a fresh one: an empty cache.
    login = browser.new_context(viewport=viewport)
    login.set_default_timeout(TIMEOUT_MS)
    page = login.new_page()
    page.goto(base_url + "/auth/login?next=/about")
    page.get_by_label("Username").fill(reader)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/about")
    state = login.storage_state()
    login.close()

    context = browser.new_context(viewport=viewport, storage_state=state)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    texts: list = []
    page.on(
        "response",
        lambda r: (
            texts.append(r)
            if r.request.resource_type in ("document", "stylesheet", "script")
            else None
        ),
    )
    gzipped: dict[str, int] = {}

    def load(path: str) -> None:
        page.goto(base_url + path, wait_until="load")
        page.wait_for_load_state("networkidle")
        gzip_sizes(texts, gzipped)

    results = {}
    try:
        load("/")
        results["first visit"] = summarise(page.evaluate(MEASURE), gzipped)
        # Every lazy image: scroll to the end in steps, as a reader would, then to each image
        # still waiting. Images under a closed content warning are not shown, so never fetched.
        height = page.evaluate("document.body.scrollHeight")
        for y in range(0, height + viewport["height"], viewport["height"] // 2):
            page.evaluate("y => window.scrollTo(0, y)", y)
            page.wait_for_load_state("networkidle")
        for index in range(page.evaluate("document.images.length")):
            page.evaluate(
                "i => { const img = document.images[i];"
                " if (img.checkVisibility() && !img.complete) img.scrollIntoView(); }",
                index,
            )
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(
                    "i => !document.images[i].checkVisibility() || document.images[i].complete",
                    arg=index,
                    timeout=30_000,
                )
        results["images not loaded"] = page.evaluate(
            "Array.from(document.images)"
            ".filter(i => i.checkVisibility() && !i.complete).map(i => i.src)"
        )
        results["first visit, scrolled to the end"] = summarise(page.evaluate(MEASURE), gzipped)
        # The same posts again, the browser cache warm (a link followed, not a hard reload).
        load(EVERY_POST)
        results["repeat visit, same posts"] = summarise(page.evaluate(MEASURE), gzipped)
        # Home again with nothing new: everything seen is folded under "You're caught up".
        load("/")
        results["repeat visit, nothing new"] = summarise(page.evaluate(MEASURE), gzipped)
        blocking = page.evaluate(
            "Array.from(document.querySelectorAll('head script[src]'))"
            ".filter(s => !s.defer && !s.async && s.type !== 'module').map(s => s.src)"
        )
        results["render-blocking scripts"] = blocking
    finally:
        context.close()
    return results


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def table(report: dict) -> str:
    lines = [
        "| viewport | load | requests | transferred KB | html | css | js | images | "
        "KB if text were gzipped |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for viewport, loads in report["viewports"].items():
        for load, s in loads.items():
            if not isinstance(s, dict):
                continue
            k = s["by_kind"]
            lines.append(
                f"| {viewport} | {load} | {s['requests']} | {kb(s['transfer'])} | "
                f"{kb(k.get('html', 0))} | {kb(k.get('css', 0))} | {kb(k.get('js', 0))} | "
                f"{kb(k.get('images', 0))} | {kb(s['if_gzipped'])} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20, help="posts on the home timeline")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
    from tests.browser.person import PASSWORD
    from tests.servers import running_instances

    chromium = chromium_path()
    if chromium is None:
        sys.exit("page_weight: no Chromium (Debian: apt-get install chromium)")
    report: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "posts": args.posts,
        "images": sum(PICTURES.get(i % len(TEXTS), 0) for i in range(args.posts)),
        "viewports": {},
    }
    with (
        tempfile.TemporaryDirectory(prefix="page-weight-") as root,
        running_instances(Path(root), ["site"], "pageweight") as found,
    ):
        site = found["site"]
        made = site.shell_json(seed_code(args.posts, PASSWORD))
        assert len(made) == args.posts
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                for name, (reader, viewport) in VIEWPORTS.items():
                    report["viewports"][name] = measure(
                        browser, site.url, reader, PASSWORD, viewport
                    )
            finally:
                browser.close()
    print(table(report))
    for name, loads in report["viewports"].items():
        blocking = loads.get("render-blocking scripts") or []
        print(f"\n{name}: render-blocking scripts: {', '.join(blocking) or 'none'}")
        if loads.get("images not loaded"):
            print(f"{name}: images still loading at the end: {loads['images not loaded']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
