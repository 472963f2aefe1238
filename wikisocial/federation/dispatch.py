"""Inbound activities to their handlers: one `match` on the type, one small function per
activity, each checking that the actor may do this to that object."""

from __future__ import annotations

from wikisocial.federation.models import InboxItem

# Filled as the federation issue lands each activity (Follow, Accept, Create …).
HANDLERS: dict = {}


def handle(item: InboxItem) -> str:
    """Process one activity; returns what happened, for the log and the item's outcome."""
    handler = HANDLERS.get(item.activity_type)
    if handler is None:
        return f"not handled: {item.activity_type}"
    return handler(item)
