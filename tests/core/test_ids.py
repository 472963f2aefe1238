from datetime import UTC, datetime, timedelta

from wikisocial.core.ids import id_at, new_id


def test_ids_are_unique_and_increase():
    ids = [new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(0 < i < 2**63 for i in ids)


def test_ids_sort_by_time_and_fit_a_bigint():
    past = datetime(2020, 1, 1, tzinfo=UTC)
    assert new_id(past) < new_id(past + timedelta(milliseconds=1)) < new_id()
    assert id_at(past) <= new_id(past) < id_at(past + timedelta(milliseconds=1))
    assert new_id(datetime(2200, 1, 1, tzinfo=UTC)) < 2**63
