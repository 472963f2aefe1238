"""A worker raises its open-files limit: 512 sending threads and the kept connections need
more than the usual soft limit of 1,024 (federation/sending.py, core/http.py)."""

from __future__ import annotations

import resource

from wikisocial.core.management.commands.worker import open_files_allowed


def test_the_soft_limit_is_raised_to_the_hard_one():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = min(soft, 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        allowed = open_files_allowed()
        now, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert now == allowed > lowered
        if hard != resource.RLIM_INFINITY:
            assert now == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
