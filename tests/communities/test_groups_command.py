"""``wikisocial groups create`` and ``groups list``: in-process through call_command, and once
through the real ``wikisocial`` entry point in a child process."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.cli.helpers import run_cli
from wikisocial.communities import actions
from wikisocial.communities.models import Group, LogAction, Membership, Role


def command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as excinfo:
        command(*args)
    return str(excinfo.value)


@pytest.mark.django_db
def test_create_a_chapter(ana):
    out = command(
        "groups", "create", "wmde", "--owner", "@ana", "--kind", "private",
        "--name", "Wikimedia Deutschland", "--category", "chapter", "--language", "de",
        "--description", "The German *chapter*.", "--rules", "Be kind.",
    )  # fmt: skip

    assert "Created private group !wmde owned by @ana" in out
    group = Group.objects.get(account__username="wmde")
    assert group.name == "Wikimedia Deutschland"
    assert (group.kind, group.category, group.language) == ("private", "chapter", "de")
    assert "<em>chapter</em>" in group.account.bio_html and group.rules == "Be kind."
    assert Membership.objects.get(group=group).role == Role.OWNER
    assert group.log.filter(action=LogAction.CREATE, actor=ana.account).exists()


@pytest.mark.django_db
def test_defaults_are_a_public_group_named_after_its_handle(ana):
    command("groups", "create", "birds", "--owner", "ANA")
    group = Group.objects.get()
    assert group.kind == "public" and group.name == "birds" and group.category == "other"


@pytest.mark.django_db
@pytest.mark.parametrize("handle", ["ana", "ANA", "Birds"])
def test_taken_handles_are_refused_in_any_case(ana, make_group, handle):
    make_group(ana.account, "birds")
    message = refused("groups", "create", handle, "--owner", "ana")
    assert message.startswith("group not created: handle: ")
    assert "taken by a person or another group" in message
    assert Group.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["admin", "--owner", "ana"], "is reserved"),
        (["two words", "--owner", "ana"], "letters A–Z"),
        (["birds", "--owner", "nobody"], "there is no person @nobody on this server"),
        (["birds", "--owner", "ana", "--kind", "secret"], "invalid choice: 'secret'"),
        (["birds", "--owner", "ana", "--category", "club"], "invalid choice: 'club'"),
        (["birds", "--owner", "ana", "--language", "xx-nope"], "not a language code"),
        (["birds", "--owner", "ana", "--name", " "], "Give the group a name."),
        (["birds"], "--owner"),
    ],
)
def test_bad_input_is_refused_clearly(ana, args, expected):
    assert expected in refused("groups", "create", *args)
    assert not Group.objects.exists()


@pytest.mark.django_db
def test_a_group_does_not_own_a_group(ana, make_group):
    make_group(ana.account, "birds")
    assert "there is no person @birds" in refused("groups", "create", "nest", "--owner", "birds")


@pytest.mark.django_db
def test_list_leaves_hidden_groups_out_unless_asked(ana, bea, make_group):
    group = make_group(ana.account, "birds", name="Birds of Europe")
    actions.join(bea.account, group)
    make_group(ana.account, "secret", kind="hidden")

    out = command("groups", "list")
    assert "!birds\tpublic\t2 members\tBirds of Europe" in out
    assert "secret" not in out
    assert "!secret\thidden\t1 members" in command("groups", "list", "--all")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A migrated data folder with one person, for the real command."""
    folder = tmp_path_factory.mktemp("groups-command") / "data"
    result = run_cli(["migrate", "--verbosity", "0"], folder, timeout=120)
    assert result.returncode == 0, result.stderr
    result = run_cli(["accounts", "create", "olga", "--email", "olga@example.org"], folder)
    assert result.returncode == 0, result.stderr
    return folder


def test_the_real_command_creates_and_refuses(data_dir):
    created = run_cli(
        ["groups", "create", "wm_chapter", "--owner", "olga", "--kind", "restricted"], data_dir
    )
    assert created.returncode == 0, created.stderr
    assert "Created restricted group !wm_chapter owned by @olga" in created.stdout

    again = run_cli(["groups", "create", "WM_Chapter", "--owner", "olga"], data_dir)
    assert again.returncode == 1
    assert again.stderr.startswith("CommandError: group not created: handle: ")
    assert "Traceback" not in again.stderr

    person = run_cli(["accounts", "create", "WM_CHAPTER", "--email", "x@example.org"], data_dir)
    assert person.returncode == 1 and "is taken" in person.stderr

    listed = run_cli(["groups", "list"], data_dir)
    assert listed.returncode == 0 and "!wm_chapter\trestricted\t1 members" in listed.stdout
