"""The actions a page URL takes (``?action=…``), as MediaWiki names them."""

from __future__ import annotations

from wikisocial.wiki.views import editing, history, reading

ACTIONS = {
    "view": reading.view,
    "raw": reading.raw,
    "links": reading.links_here,
    "history": history.history,
    "diff": history.diff,
    "edit": editing.edit,
    "revert": editing.revert,
    "protect": editing.protect,
    "delete": editing.delete,
    "restore": editing.restore,
    "watch": editing.watch,
    "talk": editing.talk,
}
