"""The operator's account and token commands: `accounts`, `createadmin`, `tokens`.

Most tests call the commands in-process against the test database; those where standard
input matters run the real `wikisocial` command in a child process on its own data folder.
"""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from oauth2_provider.models import AccessToken

from tests.cli.helpers import JSON_MARK, run_cli, shell_json
from tests.conftest import PASSWORD
from wikisocial.accounts.models import Account, ActorType, ApprovalState, User

VERIFY = "/api/v1/accounts/verify_credentials"


def command(*args: str, stdin: str | None = None, monkeypatch=None) -> str:
    """Run a management command in-process; return what it wrote to stdout."""
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def refused(*args: str, stdin: str | None = None, monkeypatch=None) -> str:
    """Run a command that must refuse; return its CommandError message."""
    with pytest.raises(CommandError) as excinfo:
        command(*args, stdin=stdin, monkeypatch=monkeypatch)
    return str(excinfo.value)


# --- accounts create / list ----------------------------------------------------------------


@pytest.mark.django_db
def test_create_account_is_confirmed_approved_and_has_no_password():
    out = command("accounts", "create", "ana", "--email", "ana@example.org")

    assert "Created account @ana" in out
    assert "no password" in out
    user = User.objects.get(username="ana")
    assert user.email == "ana@example.org"
    assert user.email_confirmed_at is not None
    assert user.approval == ApprovalState.APPROVED
    assert user.is_active
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    assert user.account.actor_type == ActorType.PERSON
    assert user.account.domain == ""


@pytest.mark.django_db
def test_create_bot_account_is_a_service_actor():
    out = command("accounts", "create", "newsbot", "--email", "bot@example.org", "--bot")

    assert "Created bot account @newsbot" in out
    account = Account.objects.get(username="newsbot")
    assert account.actor_type == ActorType.SERVICE == "Service"
    assert account.bot
    assert not account.user.has_usable_password()


@pytest.mark.django_db
def test_create_account_reads_the_password_from_stdin(monkeypatch):
    out = command(
        "accounts", "create", "ana", "--email", "ana@example.org", "--password-stdin",
        stdin=PASSWORD + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip

    assert "no password" not in out
    user = User.objects.get(username="ana")
    assert user.check_password(PASSWORD)
    assert authenticate(None, username="ana", password=PASSWORD) == user
    assert authenticate(None, username="ana", password=PASSWORD + "x") is None


@pytest.mark.parametrize(
    ("username", "email", "expected"),
    [
        ("ANA", "other@example.org", "the username 'ANA' is taken"),
        ("Ana", "other@example.org", "the username 'Ana' is taken"),
        ("settings", "other@example.org", "reserved"),
        ("Admin", "other@example.org", "reserved"),
        ("bad name", "other@example.org", "username refused: Use 1 to 30 characters"),
        ("é", "other@example.org", "username refused: Use 1 to 30 characters"),
        ("a" * 31, "other@example.org", "username refused: Use 1 to 30 characters"),
        ("", "other@example.org", "username refused"),
        ("bob", "not-an-address", "'not-an-address' is not a valid e-mail address"),
        ("bob", "bob@", "is not a valid e-mail address"),
        ("bob", "ana@example.org", "email: An account with this e-mail address exists"),
        ("bob", "ANA@example.org", "email: An account with this e-mail address exists"),
    ],
)
def test_create_account_refusals(make_user, username, email, expected):
    make_user("ana")
    before = set(User.objects.values_list("username", flat=True))

    message = refused("accounts", "create", username, "--email", email)

    assert expected in message
    assert "\n" not in message
    assert set(User.objects.values_list("username", flat=True)) == before
    assert Account.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short", "too short"),
        ("", "too short"),
        ("12345678", "entirely numeric"),
        ("password", "too common"),
        ("carlos_rivera", "too similar"),
    ],
)
@pytest.mark.django_db
def test_create_account_refuses_a_weak_password(monkeypatch, password, expected):
    message = refused(
        "accounts", "create", "carlos_rivera", "--email", "carlos@example.org",
        "--password-stdin", stdin=password + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip

    assert message.startswith("password refused: ")
    assert expected in message
    assert not User.objects.filter(username="carlos_rivera").exists()


@pytest.mark.django_db
def test_accounts_list_shows_local_accounts():
    command("accounts", "create", "zoe", "--email", "zoe@example.org")
    command("accounts", "create", "ana", "--email", "ana@example.org")
    command("accounts", "create", "newsbot", "--email", "bot@example.org", "--bot")

    lines = command("accounts", "list").splitlines()

    assert [line.split("\t")[:2] for line in lines] == [
        ["@ana", "person"],
        ["@newsbot", "bot"],
        ["@zoe", "person"],
    ]


@pytest.mark.django_db
def test_accounts_needs_an_action():
    with pytest.raises(CommandError):
        command("accounts")


# --- createadmin ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_createadmin_makes_a_superuser_named_admin(monkeypatch):
    out = command(
        "createadmin", "--username", "admin", "--email", "a@example.org", "--password-stdin",
        stdin=PASSWORD + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip

    assert "Created administrator @admin" in out
    user = User.objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.email_confirmed_at is not None
    assert user.approval == ApprovalState.APPROVED
    assert user.account.username == "admin"
    assert authenticate(None, username="admin", password=PASSWORD) == user


@pytest.mark.parametrize("username", ["ana", "ANA"])
def test_createadmin_refuses_a_taken_name(make_user, monkeypatch, username):
    make_user("ana")

    message = refused(
        "createadmin", "--username", username, "--email", "new@example.org",
        "--password-stdin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip

    assert message == f"the username {username!r} is taken"
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--username", "admin"],
        ["--email", "a@example.org"],
        ["--password-stdin"],
    ],
)
@pytest.mark.django_db
def test_createadmin_without_a_terminal_needs_username_and_email(monkeypatch, args):
    message = refused("createadmin", *args, stdin=PASSWORD + "\n", monkeypatch=monkeypatch)

    assert message == "give --username and --email (or run it in a terminal)"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createadmin_without_a_terminal_needs_password_stdin(monkeypatch):
    message = refused(
        "createadmin", "--username", "admin", "--email", "a@example.org",
        stdin="", monkeypatch=monkeypatch,
    )  # fmt: skip

    assert message == "give the password on standard input with --password-stdin"
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("username", "email", "password", "expected"),
    [
        ("bad name", "a@example.org", PASSWORD, "username refused"),
        ("a" * 31, "a@example.org", PASSWORD, "username refused"),
        ("admin", "nope", PASSWORD, "is not a valid e-mail address"),
        ("admin", "a@example.org", "short", "password refused: "),
    ],
)
@pytest.mark.django_db
def test_createadmin_refusals(monkeypatch, username, email, password, expected):
    message = refused(
        "createadmin", "--username", username, "--email", email, "--password-stdin",
        stdin=password + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip

    assert expected in message
    assert not User.objects.exists()


# --- tokens --------------------------------------------------------------------------------


def make_token(username: str, scopes: str) -> str:
    out = command("tokens", "create", username, "--scopes", scopes)
    lines = out.splitlines()
    assert len(lines) == 1, out
    return lines[0]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_token_is_stored_only_as_a_checksum(make_user):
    user = make_user("ana")

    token = make_token("ana", "read write follow")

    assert len(token) >= 32
    row = AccessToken.objects.get(user=user)
    assert row.token == ""
    assert row.token_checksum == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_checksum
    assert sorted(row.scope.split()) == ["follow", "read", "write"]
    assert not row.is_expired()
    assert row.application.user == user


def test_token_authenticates_verify_credentials(client, make_user):
    user = make_user("ana")
    token = make_token("ana", "read write follow")

    response = client.get(VERIFY, headers=bearer(token))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["username"] == "ana"
    assert data["acct"] == "ana"
    assert data["bot"] is False
    assert data["id"] == str(user.account.pk)
    assert isinstance(data["id"], str)


def test_token_for_a_bot_says_bot(client, db):
    command("accounts", "create", "newsbot", "--email", "bot@example.org", "--bot")
    token = make_token("NewsBot", "read")  # the name is found in any letter case

    response = client.get(VERIFY, headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["username"] == "newsbot"
    assert response.json()["bot"] is True


def test_each_token_is_new(make_user):
    make_user("ana")
    assert make_token("ana", "read") != make_token("ana", "read")
    assert AccessToken.objects.count() == 2


def test_token_without_read_scope_is_forbidden(client, make_user):
    make_user("ana")
    token = make_token("ana", "write")

    response = client.get(VERIFY, headers=bearer(token))

    assert response.status_code == 403
    assert "error" in response.json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YW5hOnBhc3N3b3Jk"},
    ],
    ids=["no-token", "garbage", "empty", "basic"],
)
def test_missing_or_bad_token_is_unauthorized(client, make_user, headers):
    make_user("ana")
    make_token("ana", "read")

    response = client.get(VERIFY, headers=headers)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["error"], str) and response.json()["error"]


def test_token_of_a_deactivated_user_is_unauthorized(client, make_user):
    user = make_user("ana")
    token = make_token("ana", "read")
    user.is_active = False
    user.save()

    assert client.get(VERIFY, headers=bearer(token)).status_code == 401


def test_the_checksum_is_not_a_token(client, make_user):
    make_user("ana")
    make_token("ana", "read")
    checksum = AccessToken.objects.get().token_checksum

    assert client.get(VERIFY, headers=bearer(checksum)).status_code == 401


@pytest.mark.parametrize(
    ("username", "scopes", "expected"),
    [
        ("ana", "read admin:write", "admin:write"),
        ("ana", "reed", "reed"),
        ("ana", "", "Give at least one scope"),
        ("ana", "   ", "Give at least one scope"),
        ("nobody", "read", "no account named 'nobody'"),
    ],
)
def test_tokens_create_refusals(make_user, username, scopes, expected):
    make_user("ana")

    message = refused("tokens", "create", username, "--scopes", scopes)

    assert expected in message
    if scopes.strip() and username == "ana":
        assert message.startswith("Unknown scope")
        assert "Known: read, write, follow" in message
    assert not AccessToken.objects.exists()


def test_tokens_create_refuses_a_deactivated_account(make_user):
    user = make_user("ana")
    user.is_active = False
    user.save()

    assert "not active" in refused("tokens", "create", "ana", "--scopes", "read")
    assert not AccessToken.objects.exists()


# --- the real command, where standard input matters ----------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A migrated data folder shared by this module's child-process tests (distinct names)."""
    folder = tmp_path_factory.mktemp("cli-commands") / "data"
    result = run_cli(["migrate", "--verbosity", "0"], folder, timeout=90)
    assert result.returncode == 0, result.stderr
    result = run_cli(["accounts", "create", "Existing", "--email", "ex@example.org"], folder)
    assert result.returncode == 0, result.stderr
    return folder


def login_state(data_dir, name: str, password: str) -> dict:
    """What the real instance in ``data_dir`` knows about user ``name``."""
    code = f"""
import json
from django.contrib.auth import authenticate
from wikisocial.accounts.models import User
name, password = {name!r}, {password!r}
u = User.objects.get(username=name)
state = {{
    "ok": authenticate(None, username=name, password=password) is not None,
    "wrong": authenticate(None, username=name, password="x" + password) is not None,
    "superuser": u.is_superuser,
    "staff": u.is_staff,
    "bot": u.account.bot,
    "confirmed": u.email_confirmed_at is not None,
}}
print({JSON_MARK!r} + json.dumps(state))
"""
    return shell_json(data_dir, code)


def usernames(data_dir) -> list[str]:
    return shell_json(
        data_dir,
        "import json\nfrom wikisocial.accounts.models import User\n"
        "names = sorted(User.objects.values_list('username', flat=True))\n"
        f"print({JSON_MARK!r} + json.dumps(names))",
    )


def test_password_stdin_through_a_real_pipe(data_dir):
    result = run_cli(
        ["accounts", "create", "pia", "--email", "pia@example.org", "--password-stdin"],
        data_dir,
        input=PASSWORD + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert "Created account @pia" in result.stdout
    assert "no password" not in result.stdout
    state = login_state(data_dir, "pia", PASSWORD)
    assert state == {
        "ok": True, "wrong": False, "superuser": False, "staff": False,
        "bot": False, "confirmed": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("username", "stdin"),
    [("weakling", "short\n"), ("emptypass", "")],
)
def test_weak_password_through_a_real_pipe(data_dir, username, stdin):
    result = run_cli(
        ["accounts", "create", username, "--email", f"{username}@example.org", "--password-stdin"],
        data_dir,
        input=stdin,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: password refused: "), result.stderr
    assert "Traceback" not in result.stderr
    assert username not in usernames(data_dir)


@pytest.mark.parametrize(
    ("username", "email", "expected"),
    [
        ("settings", "s@example.org", "CommandError: username refused: "),
        ("é", "e@example.org", "CommandError: username refused: "),
        ("EXISTING", "other@example.org", "CommandError: the username 'EXISTING' is taken"),
    ],
)
def test_refusals_are_one_line_without_traceback(data_dir, username, email, expected):
    result = run_cli(["accounts", "create", username, "--email", email], data_dir)

    assert result.returncode == 1
    assert result.stderr.startswith(expected), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_createadmin_through_a_real_pipe(data_dir):
    args = ["createadmin", "--username", "admin", "--email", "a@example.org", "--password-stdin"]

    result = run_cli(args, data_dir, input=PASSWORD + "\n")

    assert result.returncode == 0, result.stderr
    assert "Created administrator @admin" in result.stdout
    state = login_state(data_dir, "admin", PASSWORD)
    assert state["ok"] and state["superuser"] and state["staff"] and state["confirmed"]

    again = ["createadmin", "--username", "ADMIN", "--email", "b@example.org", "--password-stdin"]
    result = run_cli(again, data_dir, input=PASSWORD + "\n")
    assert result.returncode == 1
    assert "CommandError: the username 'ADMIN' is taken" in result.stderr
    assert "Traceback" not in result.stderr


def test_createadmin_without_terminal_or_names_refuses(data_dir):
    before = usernames(data_dir)

    result = run_cli(["createadmin"], data_dir)  # stdin is /dev/null, not a terminal

    assert result.returncode == 1
    assert "CommandError: give --username and --email" in result.stderr
    assert "Traceback" not in result.stderr
    assert usernames(data_dir) == before


def test_tokens_create_prints_only_the_token(data_dir):
    run_cli(["accounts", "create", "tokenbot", "--email", "tb@example.org", "--bot"], data_dir)

    result = run_cli(["tokens", "create", "tokenbot", "--scopes", "read write"], data_dir)

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    token = result.stdout.strip()
    stored = shell_json(
        data_dir,
        "import json\nfrom oauth2_provider.models import AccessToken\n"
        f"print({JSON_MARK!r} + json.dumps([[t.token, t.token_checksum, t.scope] for t in "
        "AccessToken.objects.filter(user__username='tokenbot')]))",
    )
    assert stored == [["", hashlib.sha256(token.encode()).hexdigest(), "read write"]]
    assert token not in json.dumps(stored)
