"""Review of wiki saves racing on PostgreSQL: two people saving the same page from the same
revision at the same moment (two database connections) never both win; the second sees a
conflict with both texts, and nothing is overwritten."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from wikisocial.wiki.actions import EditConflict, save_page
from wikisocial.wiki.models import Page, Revision

pytestmark = pytest.mark.django_db(transaction=True)


def race(*saves) -> list:
    """Run each ``save`` in its own thread at the same moment; their results or errors."""
    barrier = threading.Barrier(len(saves))
    results: list = []

    def run(save) -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(save())
        except Exception as error:  # reported by the assertions of the test
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(save,)) for save in saves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def needs_postgresql() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time: no race to lose; run on PostgreSQL")


def test_two_edits_from_one_revision_at_once(make_user):
    needs_postgresql()
    ana, bea = make_user("ana").account, make_user("bea").account
    first = save_page(ana, None, "Rules", "Be kind.")
    base = first.revision.pk
    results = race(
        lambda: save_page(ana, None, "Rules", "Be kind. Ana's line.", base_revision_id=base),
        lambda: save_page(bea, None, "Rules", "Be kind. Bea's line.", base_revision_id=base),
    )
    conflicts = [r for r in results if isinstance(r, EditConflict)]
    saved = [r for r in results if not isinstance(r, Exception)]
    assert len(conflicts) == 1 and len(saved) == 1, results
    assert conflicts[0].theirs == saved[0].revision.text
    page = Page.objects.get(key="rules")
    assert Revision.objects.filter(page=page).count() == 2
    assert page.current_id == saved[0].revision.pk


def test_two_creations_of_one_page_at_once(make_user):
    needs_postgresql()
    ana, bea = make_user("ana").account, make_user("bea").account
    results = race(
        lambda: save_page(ana, None, "Venue", "The town hall."),
        lambda: save_page(bea, None, "Venue", "The library."),
    )
    conflicts = [r for r in results if isinstance(r, EditConflict)]
    assert len(conflicts) == 1 and len(results) == 2, results
    assert Page.objects.filter(key="venue").count() == 1
    assert Revision.objects.filter(page__key="venue").count() == 1


def test_two_people_opening_the_talk_page_at_once_make_one_topic(make_user):
    needs_postgresql()
    from wikisocial.communities.models import Topic
    from wikisocial.wiki.actions import open_talk

    ana, bea = make_user("ana").account, make_user("bea").account
    page = save_page(ana, None, "Rules", "Be kind.").page
    results = race(
        lambda: open_talk(ana, page, "Shall we add a rule?", "https://x/wiki/Rules"),
        lambda: open_talk(bea, page, "What about spam?", "https://x/wiki/Rules"),
    )
    assert all(isinstance(r, Topic) for r in results), results
    assert results[0].pk == results[1].pk
    assert Topic.objects.filter(title="Talk: Rules").count() == 1
