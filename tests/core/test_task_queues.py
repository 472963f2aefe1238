"""Which queue each background task is on, and the backends' settings (core/tasks.py,
config/env.py). The worker processes themselves: tests/cli/test_worker.py."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django_tasks.base import Task

import wikisocial
from wikisocial.config import env
from wikisocial.core.tasks import PRIORITY, on_queue


def all_tasks() -> dict[str, Task]:
    """Every task defined in the wikisocial package, by module path."""
    found = {}
    for module_info in pkgutil.walk_packages(wikisocial.__path__, "wikisocial."):
        skipped = ("management", "migrations", "__main__", "wikisocial.cli")
        if any(part in module_info.name for part in skipped):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, Task) and value.func.__module__ == module.__name__:
                found[f"{module.__name__}.{value.func.__name__}"] = value
    return found


def test_every_task_is_on_a_known_queue_with_that_queues_priority():
    tasks = all_tasks()
    assert len(tasks) >= 19
    for path, task in tasks.items():
        assert task.queue_name in env.TASK_QUEUES, path
        assert task.priority == PRIORITY[task.queue_name], path


def test_work_from_other_servers_and_to_them_has_its_own_queue():
    queues = {path.rsplit(".", 1)[1]: task.queue_name for path, task in all_tasks().items()}
    assert queues["process_inbox_item"] == "inbound"
    assert queues["backfill_group"] == "inbound"
    assert queues["fetch_remote_media"] == "inbound"
    assert queues["fetch_profile_image"] == "inbound"
    assert queues["fan_out_post"] == "default"
    assert queues["send_email"] == "default"
    outbound = {name for name, queue in queues.items() if queue == "outbound"}
    assert outbound and all(name.startswith("send_deliver") for name in outbound), outbound


def test_local_work_goes_first():
    assert PRIORITY["default"] > PRIORITY["inbound"] > PRIORITY["outbound"]
    assert env.TASK_QUEUES == ("default", "inbound", "outbound")


def test_an_unknown_queue_is_refused():
    with pytest.raises(ValueError, match="unknown task queue 'urgent'"):
        on_queue("urgent")


def test_backends_from_the_environment(monkeypatch):
    monkeypatch.setenv("WIKISOCIAL_TASKS_BACKEND", "rq")
    with pytest.raises(env.ConfigError, match="needs REDIS_URL"):
        env.tasks_backend("")
    with pytest.raises(env.ConfigError, match="REDIS_URL must look like"):
        env.tasks_backend("http://example.org")
    rq = env.tasks_backend("redis://127.0.0.1:6379/2")
    assert rq == {
        "BACKEND": "wikisocial.core.rq.RQBackend",
        "QUEUES": ["default", "inbound", "outbound"],
    }
    queues = env.rq_queues("redis://127.0.0.1:6379/2")
    assert list(queues) == ["default", "inbound", "outbound"]
    assert {q["URL"] for q in queues.values()} == {"redis://127.0.0.1:6379/2"}
    monkeypatch.setenv("WIKISOCIAL_TASKS_BACKEND", "celery")
    with pytest.raises(env.ConfigError, match="database, rq or immediate"):
        env.tasks_backend("")
    monkeypatch.delenv("WIKISOCIAL_TASKS_BACKEND")
    assert env.tasks_backend("")["BACKEND"] == "django_tasks_db.DatabaseBackend"


def test_the_redis_backend_takes_our_tasks(settings):
    """RQ orders by queue, not by priority; our backend accepts the priorities the database
    queue needs (django-tasks-rq's own refuses any but the default)."""
    from wikisocial.core.rq import RQBackend
    from wikisocial.federation.tasks import process_inbox_item

    settings.RQ_QUEUES = env.rq_queues("redis://127.0.0.1:6379/2")
    backend = RQBackend("default", {"QUEUES": list(env.TASK_QUEUES)})
    backend.validate_task(process_inbox_item)  # no error
    assert [m.msg for m in backend.check()] == []
