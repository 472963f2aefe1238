"""Time-ordered 64-bit ids for content (posts, notifications, media).

An id is the creation time in milliseconds shifted left by 16 bits, plus 16 low bits that keep
ids apart within a millisecond: 6 bits from the process, 10 from a per-process counter. Sorting
by id sorts by time, which timelines and `max_id`/`since_id`/`min_id` pagination rely on, and a
remote post received today but published yesterday gets yesterday's id.
"""

from __future__ import annotations

import os
import random
import threading
from datetime import datetime

from django.utils import timezone

_lock = threading.Lock()
_state = {"ms": -1, "seq": 0, "pid": None}
_PROCESS_BITS = 6
_COUNTER_BITS = 10


def _process_tag() -> int:
    if _state["pid"] != os.getpid():  # a forked worker gets its own tag
        _state["pid"] = os.getpid()
        _state["tag"] = random.SystemRandom().randrange(1 << _PROCESS_BITS)
    return _state["tag"]


def new_id(when: datetime | None = None) -> int:
    """A fresh id for something created at ``when`` (now when not given)."""
    ms = int((when or timezone.now()).timestamp() * 1000)
    with _lock:
        tag = _process_tag()
        _state["seq"] = (_state["seq"] + 1) % (1 << _COUNTER_BITS)
        if when is None:
            # Ids made now never go backwards, even within a millisecond or if the clock does.
            if ms < _state["ms"] or (ms == _state["ms"] and _state["seq"] == 0):
                ms = _state["ms"] + (_state["seq"] == 0)
            _state["ms"] = ms
        seq = _state["seq"]
    return (ms << 16) | (tag << _COUNTER_BITS) | seq


def id_at(when: datetime) -> int:
    """The smallest id of anything created at ``when``: for "since this time" queries."""
    return int(when.timestamp() * 1000) << 16
