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
# SequenceMatcher is cubic on items that repeat (blank lines, "|-", the same word): a few
# thousand of them took minutes. It only ever compares stretches this small (items on one side
# times items on the other); longer ones are first cut at the items that occur once on each
# side (patience diff), and what is still too long is shown as replaced whole.
SMALL_STRETCH = 2_500
ANCHOR_DEPTH = 4


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


Opcode = tuple[str, int, int, int, int]


def opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    """``SequenceMatcher.get_opcodes`` of ``a`` and ``b``, in time that stays small whatever
    the texts: the common start and end are taken off, long stretches are cut at the items
    unique on both sides, and only small stretches go to ``SequenceMatcher``."""
    raw: list[Opcode] = []
    _compare(a, b, 0, len(a), 0, len(b), 0, raw)
    return _joined(raw)


def _compare(a, b, alo: int, ahi: int, blo: int, bhi: int, depth: int, out: list) -> None:
    """Opcodes of a[alo:ahi] against b[blo:bhi]: the common ends, and what is between."""
    head = 0
    while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
        head += 1
    tail, room = 0, min(ahi - alo, bhi - blo) - head
    while tail < room and a[ahi - tail - 1] == b[bhi - tail - 1]:
        tail += 1
    if head:
        out.append(("equal", alo, alo + head, blo, blo + head))
    _middle(a, b, alo + head, ahi - tail, blo + head, bhi - tail, depth, out)
    if tail:
        out.append(("equal", ahi - tail, ahi, bhi - tail, bhi))


def _middle(a, b, alo: int, ahi: int, blo: int, bhi: int, depth: int, out: list) -> None:
    """A stretch without common ends: small ones by SequenceMatcher, long ones cut at the
    items unique on both sides, and replaced whole when there are none (or after a few
    cuts)."""
    if alo == ahi and blo == bhi:
        return
    if alo == ahi or blo == bhi or (ahi - alo) * (bhi - blo) <= SMALL_STRETCH:
        matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            out.append((tag, alo + i1, alo + i2, blo + j1, blo + j2))
        return
    anchors = _anchors(a, b, alo, ahi, blo, bhi) if depth < ANCHOR_DEPTH else []
    if not anchors:
        out.append(("replace", alo, ahi, blo, bhi))
        return
    i, j = alo, blo
    for ai, bj in anchors:
        _compare(a, b, i, ai, j, bj, depth + 1, out)
        out.append(("equal", ai, ai + 1, bj, bj + 1))
        i, j = ai + 1, bj + 1
    _compare(a, b, i, ahi, j, bhi, depth + 1, out)


def _anchors(a, b, alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """Pairs of positions of the items found exactly once in each stretch, the longest run
    of them in the same order on both sides (patience sorting)."""
    once_a = _unique_positions(a, alo, ahi)
    once_b = _unique_positions(b, blo, bhi)
    pairs = [(once_a[item], once_b[item]) for item in once_a if item in once_b]
    pairs.sort()
    tails: list[int] = []  # tails[k]: index in pairs of the smallest end of a run of k + 1
    before: list[int] = []
    for index, (_i, j) in enumerate(pairs):
        k = _bisect(pairs, tails, j)
        before.append(tails[k - 1] if k else -1)
        if k == len(tails):
            tails.append(index)
        else:
            tails[k] = index
    run: list[tuple[int, int]] = []
    index = tails[-1] if tails else -1
    while index >= 0:
        run.append(pairs[index])
        index = before[index]
    return run[::-1]


def _bisect(pairs: list, tails: list[int], j: int) -> int:
    """The first run length whose smallest end is not below ``j``."""
    low, high = 0, len(tails)
    while low < high:
        mid = (low + high) // 2
        if pairs[tails[mid]][1] < j:
            low = mid + 1
        else:
            high = mid
    return low


def _unique_positions(items: list[str], lo: int, hi: int) -> dict[str, int]:
    """The items found once in items[lo:hi], with their position."""
    seen: dict[str, int] = {}
    repeated: set[str] = set()
    for position in range(lo, hi):
        item = items[position]
        if item in seen:
            repeated.add(item)
        else:
            seen[item] = position
    return {item: position for item, position in seen.items() if item not in repeated}


def _joined(raw: list[Opcode]) -> list[Opcode]:
    """Neighbouring opcodes of the same kind as one (as SequenceMatcher gives them)."""
    joined: list[Opcode] = []
    for tag, i1, i2, j1, j2 in raw:
        if i1 == i2 and j1 == j2:
            continue
        if joined and joined[-1][0] == tag:
            joined[-1] = (tag, joined[-1][1], i2, joined[-1][3], j2)
        else:
            joined.append((tag, i1, i2, j1, j2))
    return joined


def _words(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The two lines as segments, changed words marked."""
    if max(len(old), len(new)) > MAX_WORD_DIFF_LINE:
        return (Segment(old, True),), (Segment(new, True),)
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in opcodes(a, b):
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
    found = opcodes(a, b)
    if all(tag == "equal" for tag, *_ in found):
        return []
    rows: list[DiffLine] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(found):
        if tag == "equal":
            rows += _same(a, i1, i2, j1, index == 0, index == len(found) - 1)
        else:
            rows += _replaced(a, b, i1, i2, j1, j2)
    return rows


def _hunks(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    """What ``other`` changed in ``base``: (start, end, new lines) per change."""
    changed = [op for op in opcodes(base, other) if op[0] != "equal"]
    return [(i1, i2, other[j1:j2]) for _tag, i1, i2, j1, j2 in changed]


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
