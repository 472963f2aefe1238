"""Review of wiki diffs and merges: texts built to make ``difflib`` slow (many repeated lines
or words) are compared in bounded time, because anyone may ask for a diff of two revisions
(a GET, for anonymous visitors and crawlers too) and any save may meet a conflict."""

from __future__ import annotations

import time

from wikisocial.wiki.diff import diff, merge3

BUDGET = 3.0  # seconds; these took minutes with a plain SequenceMatcher


def timed(func, *args):
    start = time.perf_counter()
    result = func(*args)
    return result, time.perf_counter() - start


def test_a_diff_of_repeated_lines_is_quick():
    old, new = "x\n" * 1500, "y\nx\n" * 750
    rows, seconds = timed(diff, old, new)
    assert seconds < BUDGET
    assert rows and {row.kind for row in rows} <= {"same", "removed", "added", "gap"}


def test_a_diff_of_repeated_words_in_a_line_is_quick():
    old, new = ("x " * 1000)[:1999], ("y x " * 500)[:1999]
    rows, seconds = timed(diff, f"a\n{old}\nb", f"a\n{new}\nb")
    assert seconds < BUDGET
    assert [row.kind for row in rows] == ["same", "removed", "added", "same"]
    assert rows[1].text == old and rows[2].text == new


def test_a_merge_of_repeated_lines_is_quick():
    base = "x\n" * 1500
    merged, seconds = timed(merge3, base, "y\nx\n" * 750, base + "z")
    assert seconds < BUDGET
    assert merged is None or "z" in merged


def test_a_long_page_edited_at_both_ends_shows_two_small_changes():
    """The bound costs nothing on ordinary pages: a page of many repeated lines (blank lines,
    table rows) edited at its top and its bottom shows just those lines changed."""
    lines = [f"line {n}" if n % 3 else "" for n in range(3000)]
    lines[1000:1200] = ["|-", "| cell"] * 100
    old = "\n".join(lines)
    new = "\n".join(["line zero", *lines[1:-1], "the end"])
    rows, seconds = timed(diff, old, new)
    assert seconds < BUDGET
    changed = [row for row in rows if row.kind in ("removed", "added")]
    assert [row.text for row in changed] == ["", "line zero", "line 2999", "the end"]
    merged = merge3(old, new, old.replace("line 1501", "line 1501 fixed"))
    assert merged is not None and merged.startswith("line zero") and "1501 fixed" in merged
