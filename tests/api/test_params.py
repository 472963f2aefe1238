"""Parameters arrive as query strings, forms, multipart and JSON: every door yields the same
nested structure, and typed reads refuse what is not of their type."""

from __future__ import annotations

import contextlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from wikisocial.api.params import MAX_DEPTH, BadParams, Invalid, Params, nest, read

rf = RequestFactory()


def test_nest_follows_rails_bracket_rules():
    data = nest(
        [
            ("status", "hi"),
            ("media_ids[]", "1"),
            ("media_ids[]", "2"),
            ("poll[options][]", "yes"),
            ("poll[options][]", "no"),
            ("poll[expires_in]", "300"),
            ("fields_attributes[0][name]", "Wiki"),
            ("fields_attributes[0][value]", "w"),
            ("fields_attributes[1][name]", "Home"),
            ("id", "5"),
            ("id", "6"),
        ]
    )
    assert data == {
        "status": "hi",
        "media_ids": ["1", "2"],
        "poll": {"options": ["yes", "no"], "expires_in": "300"},
        "fields_attributes": {"0": {"name": "Wiki", "value": "w"}, "1": {"name": "Home"}},
        "id": ["5", "6"],
    }


def test_form_and_json_bodies_read_alike():
    form = rf.post(
        "/x",
        {
            "status": "hi",
            "media_ids[]": ["1", "2"],
            "poll[options][]": ["a", "b"],
            "sensitive": "0",
        },
    )
    body = {"status": "hi", "media_ids": ["1", "2"], "poll": {"options": ["a", "b"]}}
    as_json = rf.post("/x", json.dumps({**body, "sensitive": False}), "application/json")
    p_form, p_json = Params(read(form)), Params(read(as_json))
    for p in (p_form, p_json):
        assert p.str("status") == "hi"
        assert p.ids("media_ids") == [1, 2]
        assert p.sub("poll").strs("options") == ["a", "b"]
        assert p.bool("sensitive") is False


def test_put_and_patch_forms_are_read_too():
    # Django parses form bodies for POST only; Mastodon.py sends PUT forms.
    put = rf.put("/x", "description=alt+text&focus=0.5,-0.2", "application/x-www-form-urlencoded")
    assert Params(read(put)).str("description") == "alt text"


def test_multipart_patch_carries_files():
    upload = SimpleUploadedFile("a.png", b"\x89PNG", content_type="image/png")
    request = rf.post("/x", {"display_name": "Ana", "avatar": upload})
    request.method = "PATCH"  # the body is multipart, as Mastodon.py sends update_credentials
    params = Params(read(request))
    assert params.str("display_name") == "Ana"
    assert params.file("avatar").name == "a.png"


def test_query_string_merges_under_the_body():
    request = rf.post("/x?limit=5&status=from-query", {"status": "from-body"})
    params = Params(read(request))
    assert params.int("limit") == 5
    assert params.str("status") == "from-body"


def test_malformed_json_is_bad_params():
    with pytest.raises(BadParams):
        read(rf.post("/x", "{not json", "application/json"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("0", False), ("false", False), (True, True), (0, False)],
)
def test_booleans_in_every_spelling(value, expected):
    assert Params({"b": value}).bool("b") is expected


def test_typed_reads_refuse_the_wrong_type():
    with pytest.raises(Invalid):
        Params({"b": "maybe"}).bool("b")
    with pytest.raises(Invalid):
        Params({"n": "ten"}).int("n")
    with pytest.raises(Invalid):
        Params({"o": "text"}).dict("o")
    with pytest.raises(Invalid):
        Params({"f": "text"}).file("f")


def test_lists_from_every_shape():
    assert Params({"a": "1"}).list("a") == ["1"]
    assert Params({"a": {"1": "y", "0": "x"}}).list("a") == ["x", "y"]
    assert Params({"a[]": ["x"]}).list("a") == ["x"]
    assert Params({}).list("a") == []
    assert Params({"a": ["1", "x", "2"]}).ids("a") == [1, 2]


def test_an_id_that_is_not_one_never_matches():
    assert Params({"id": "abc"}).id("id") == -1
    assert Params({"id": "12"}).id("id") == 12
    assert Params({}).id("id") is None


@pytest.mark.parametrize(
    "key",
    ["a[", "[]", "][", "a][b", "a[b]c", "[a]", "a[][]", "a[][b][]", "a[[b]]", "a]", "[", "]"],
)
def test_hostile_keys_do_not_crash(key):
    data = nest([(key, "1"), (key, "2"), ("a", "3"), (key + "[x]", "4"), ("a[][b]", "5")])
    assert isinstance(data, dict)
    with contextlib.suppress(Invalid):  # a 422, the client's error
        Params(data).str("a")


def test_keys_of_one_name_in_every_shape_do_not_crash():
    pairs = [("a", "1"), ("a[]", "2"), ("a[b]", "3"), ("a[][c]", "4"), ("a[b][]", "5")]
    for order in (pairs, pairs[::-1]):
        assert isinstance(nest(order), dict)


def test_nesting_deeper_than_the_limit_is_bad_params():
    assert nest([("a" + "[b]" * (MAX_DEPTH - 1), "1")])  # as deep as allowed
    with pytest.raises(BadParams):
        nest([("a" + "[b]" * MAX_DEPTH, "1")])
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(BadParams):
        read(rf.post("/x", deep, "application/json"))
    nested = '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    with pytest.raises(BadParams):
        read(rf.post("/x", nested, "application/json"))
    assert read(rf.post("/x", '{"a": ' * MAX_DEPTH + "1" + "}" * MAX_DEPTH, "application/json"))


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "3", "true", "null", "  "])
def test_json_bodies_that_are_not_objects_carry_no_parameters(body):
    assert read(rf.post("/x?limit=5", body, "application/json")) == {"limit": "5"}


def test_whole_numbers_must_fit_the_database():
    assert Params({"n": str(2**63 - 1)}).int("n") == 2**63 - 1
    assert Params({"n": -(2**63)}).int("n") == -(2**63)
    for value in (str(2**63), 2**63, -(2**63) - 1, 1e30, "9" * 5000):
        with pytest.raises(Invalid):
            Params({"n": value}).int("n")


@pytest.mark.parametrize("value", ["inf", "-Infinity", "nan", True, {"a": 1}, ["1"]])
def test_numbers_must_be_finite_numbers(value):
    with pytest.raises(Invalid):
        Params({"x": value}).float("x")


def test_nulls_in_json_lists_are_absent():
    assert Params({"a": [None, "1"]}).strs("a") == ["1"]
    assert Params({"a": [None]}).str("a", "default") == "default"
