from __future__ import annotations

from wikisocial.core.tasks import on_queue
from wikisocial.streaming import events


@on_queue("default")
def stream_edit(post_id: int) -> None:
    """``status.update`` to the streams that show the edited post (serialised here, in the
    worker, once per connected reader)."""
    events.post_edited(post_id)
