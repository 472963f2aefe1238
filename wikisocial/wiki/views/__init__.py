"""The wiki's web pages: reading (``reading``), writing (``editing``), history and diffs
(``history``). Every URL of a page is ``…/wiki/<title>`` with ``?action=`` naming what to do,
as on MediaWiki; ``page`` sends each action to its view."""
