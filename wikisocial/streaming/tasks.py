from __future__ import annotations

from django_tasks import task

from wikisocial.streaming import events


@task()
def stream_edit(post_id: int) -> None:
    """``status.update`` to the streams that show the edited post (serialised here, in the
    worker, once per connected reader)."""
    events.post_edited(post_id)
