"""Comparing texts: the line-and-word diff shown between two revisions, and the three-way
merge offered when two people edited the same page at once.

Both use ``difflib``. Lines are the unit (wiki text is written in lines); inside a changed line
the words that changed are marked, so a one-word fix in a long paragraph is easy to see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = ["MAX_LINES", "DiffLine", "diff", "merge3"]

# Beyond this many lines a text is compared line by line only (no merge, no word marks):
# SequenceMatcher's cost grows quickly with repeated lines.
MAX_LINES = 5_000
MAX_WORD_DIFF_LINE = 2_000
CONTEXT = 2
_WORDS = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    """One row of a diff: ``kind`` is "same", "removed", "added" or "gap" (unchanged lines
    left out). ``segments`` mark the changed words of a removed or added line."""

    kind: str
    old_number: int | None = None
    new_number: int | None = None
    segments: tuple[Segment, ...] = ()

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


def _words(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The two lines as segments, changed words marked."""
    if max(len(old), len(new)) > MAX_WORD_DIFF_LINE:
        return (Segment(old, True),), (Segment(new, True),)
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def _replaced(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[DiffLine]:
    """Changed lines: pairs get word marks; what is left over is wholly removed or added."""
    rows: list[DiffLine] = []
    pairs = min(i2 - i1, j2 - j1)
    for offset in range(pairs):
        left, right = _words(a[i1 + offset], b[j1 + offset])
        rows.append(DiffLine("removed", i1 + offset + 1, None, left))
        rows.append(DiffLine("added", None, j1 + offset + 1, right))
    for i in range(i1 + pairs, i2):
        rows.append(DiffLine("removed", i + 1, None, (Segment(a[i], True),)))
    for j in range(j1 + pairs, j2):
        rows.append(DiffLine("added", None, j + 1, (Segment(b[j], True),)))
    return rows


def _same(a: list[str], i1: int, i2: int, j1: int, first: bool, last: bool) -> list[DiffLine]:
    """Unchanged lines: only a few around each change; a gap row stands for the rest."""

    def row(i: int) -> DiffLine:
        return DiffLine("same", i + 1, j1 + (i - i1) + 1, (Segment(a[i], False),))

    head = [] if first else list(range(i1, min(i2, i1 + CONTEXT)))
    tail = [] if last else list(range(max(i1, i2 - CONTEXT), i2))
    if len(head) + len(tail) >= i2 - i1:
        return [row(i) for i in range(i1, i2)]
    return [*(row(i) for i in head), DiffLine("gap"), *(row(i) for i in tail)]


def diff(old: str, new: str) -> list[DiffLine]:
    """The rows showing how ``old`` became ``new`` (empty when they are the same)."""
    a, b = old.splitlines(), new.splitlines()
    matcher = SequenceMatcher(None, a, b, autojunk=len(a) + len(b) > 2 * MAX_LINES)
    opcodes = matcher.get_opcodes()
    if all(tag == "equal" for tag, *_ in opcodes):
        return []
    rows: list[DiffLine] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            rows += _same(a, i1, i2, j1, index == 0, index == len(opcodes) - 1)
        else:
            rows += _replaced(a, b, i1, i2, j1, j2)
    return rows


def _hunks(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    """What ``other`` changed in ``base``: (start, end, new lines) per change."""
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        (i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _conflicting(change: tuple, previous: tuple | None) -> bool:
    """Two changes (start, end, lines, side) in order of start: they conflict when they
    overlap or start at the same line (then which comes first is anyone's guess)."""
    if previous is None:
        return False
    start, _end, _lines, _side = change
    return start < previous[1] or start == previous[0]


def merge3(base: str, theirs: str, yours: str) -> str | None:
    """Both edits of ``base`` together, when they change different lines (changes to the same
    lines conflict, unless both made the very same change); None when they conflict."""
    # Every line ends with a newline, so adding a last line does not change the one before.
    b, t, y = (f"{text}\n".splitlines(keepends=True) for text in (base, theirs, yours))
    if max(len(b), len(t), len(y)) > MAX_LINES:
        return None
    changes = sorted(
        [(*hunk, 0) for hunk in _hunks(b, t)] + [(*hunk, 1) for hunk in _hunks(b, y)],
        key=lambda change: (change[0], change[1]),
    )
    merged: list[str] = []
    position, previous = 0, None
    for change in changes:
        if _conflicting(change, previous):
            if change[:3] == previous[:3] and change[3] != previous[3]:
                continue
            return None
        start, end, lines, _side = change
        merged += b[position:start] + lines
        position, previous = end, change
    merged += b[position:]
    return "".join(merged)[:-1]
