"""Diffs between revisions (lines and words) and the three-way merge of two edits."""

from __future__ import annotations

from wikisocial.wiki.diff import MAX_LINES, diff, merge3

BASE = "one\ntwo\nthree\nfour\nfive"


def test_edits_on_different_lines_merge():
    theirs = BASE.replace("one", "ONE")
    yours = BASE.replace("five", "FIVE")
    assert merge3(BASE, theirs, yours) == "ONE\ntwo\nthree\nfour\nFIVE"


def test_edits_on_adjacent_lines_merge():
    theirs = BASE.replace("two", "TWO")
    yours = BASE.replace("three", "THREE")
    assert merge3(BASE, theirs, yours) == "one\nTWO\nTHREE\nfour\nfive"


def test_additions_at_both_ends_merge():
    assert merge3(BASE, "zero\n" + BASE, BASE + "\nsix") == "zero\n" + BASE + "\nsix"


def test_edits_of_the_same_line_conflict():
    assert merge3(BASE, BASE.replace("two", "2"), BASE.replace("two", "deux")) is None


def test_additions_at_the_same_place_conflict():
    assert merge3(BASE, BASE + "\nsix", BASE + "\nsept") is None


def test_the_same_edit_twice_is_no_conflict():
    both = BASE.replace("two", "2")
    assert merge3(BASE, both, both) == both


def test_one_side_unchanged():
    yours = BASE.replace("four", "4")
    assert merge3(BASE, BASE, yours) == yours
    assert merge3("", "", "new text") == "new text"


def test_huge_texts_are_not_merged():
    big = "\n".join(str(n) for n in range(MAX_LINES + 1))
    assert merge3(big, big + "\na", "b\n" + big) is None


def test_diff_marks_changed_words():
    rows = diff("the quick fox\nsame", "the slow fox\nsame\nnew line")
    kinds = [row.kind for row in rows]
    assert kinds == ["removed", "added", "same", "added"]
    removed, added = rows[0], rows[1]
    assert [(s.text, s.changed) for s in removed.segments] == [
        ("the ", False),
        ("quick", True),
        (" fox", False),
    ]
    assert [s.text for s in added.segments if s.changed] == ["slow"]
    assert rows[3].new_number == 3 and rows[3].text == "new line"


def test_diff_of_equal_texts_is_empty():
    assert diff("a\nb", "a\nb") == []


def test_diff_leaves_out_far_unchanged_lines():
    old = "\n".join(f"line {n}" for n in range(40))
    new = old.replace("line 20", "line twenty")
    rows = diff(old, new)
    assert [row.kind for row in rows].count("gap") == 2
    assert sum(row.kind == "same" for row in rows) == 4
    assert any(row.old_number == 21 and row.kind == "removed" for row in rows)


def test_long_lines_are_marked_whole():
    rows = diff("x" * 3000, "y" * 3000)
    assert rows[0].segments[0].changed and len(rows[0].segments) == 1
