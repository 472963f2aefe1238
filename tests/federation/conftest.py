from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.federation.test_delivery import Inbox, running_inbox


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    """A loopback HTTP server playing remote inboxes (test_delivery.Inbox)."""
    settings.DEV_FEDERATION = True  # loopback allowed, as for instances side by side
    with running_inbox() as server:
        yield server
